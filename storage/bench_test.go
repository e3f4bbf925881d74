package storage_test

import (
	"encoding/binary"
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

// Benchmarks run with SyncNone: they measure CPU (sealing, index, bbolt), not the disk.

func benchEnv(b *testing.B) *env {
	return newEnvOpts(b, storage.Options{Sync: storage.SyncNone})
}

func benchName(prefix string, i int) []byte {
	return binary.BigEndian.AppendUint64([]byte(prefix), uint64(i))
}

var benchValue = make([]byte, 64)

func BenchmarkSet(b *testing.B) {
	e := benchEnv(b)
	i := 0
	for b.Loop() {
		name := benchName("k", i%10000)
		i++
		if err := e.db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set(name, benchValue, storage.SetOptions{})
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	e := benchEnv(b)
	const keys = 1000
	if err := e.db.Update(func(tx *storage.Tx) error {
		for i := range keys {
			if _, err := tx.Set(benchName("k", i), benchValue, storage.SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		name := benchName("k", i%keys)
		i++
		if err := e.db.View(func(tx *storage.Tx) error {
			_, ok, err := tx.Get(name)
			if err == nil && !ok {
				b.Error("missing key")
			}
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHSet(b *testing.B) {
	e := benchEnv(b)
	i := 0
	for b.Loop() {
		field := benchName("f", i%10000)
		i++
		if err := e.db.Update(func(tx *storage.Tx) error {
			_, err := tx.HSet([]byte("hash"), [][]byte{field, benchValue})
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLPush(b *testing.B) {
	e := benchEnv(b)
	for b.Loop() {
		if err := e.db.Update(func(tx *storage.Tx) error {
			_, err := tx.LPush([]byte("list"), [][]byte{benchValue}, false)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}
