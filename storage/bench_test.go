package storage_test

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// Benchmarks run with SyncNone: they measure CPU (sealing, index, bbolt), not the disk.

func benchEnv(b *testing.B) *env {
	return newEnvOpts(b, storage.Options{Sync: storage.SyncNone})
}

func benchName(prefix string, i int) []byte {
	return binary.BigEndian.AppendUint64([]byte(prefix), uint64(i))
}

var benchValue = make([]byte, 64)

// benchPreload sets keys "k"+0 .. keys-1 to value, in one transaction.
func benchPreload(b *testing.B, e *env, keys int, value []byte) {
	b.Helper()
	if err := e.db.Update(func(tx *storage.Tx) error {
		for i := range keys {
			if _, err := tx.Set(benchName("k", i), value, storage.SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

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
	benchPreload(b, e, keys, benchValue)
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

// BenchmarkGetPipeline is a pipeline's read: 16 GETs of 100-byte values in one read
// transaction, as a connection's `-P 16` group runs them (per op: the 16).
func BenchmarkGetPipeline(b *testing.B) {
	e := benchEnv(b)
	const keys = 1000
	benchPreload(b, e, keys, make([]byte, 100))
	names := make([][]byte, keys)
	for i := range names {
		names[i] = benchName("k", i)
	}
	i := 0
	for b.Loop() {
		if err := e.db.View(func(tx *storage.Tx) error {
			for range 16 {
				_, ok, err := tx.Get(names[i%keys])
				i += 7
				if err != nil || !ok {
					b.Error("missing key", err)
					return err
				}
			}
			return nil
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

// BenchmarkSetLogged is the server's write path: 32 writers per CPU on one database
// behind the node's log (no fsync: CPU only), 100-byte values over 100,000 random keys,
// so batches, frames, the overlay and its flushes all take part. BENCH_PAR=1 -cpu 1 gives
// batches of one writer, as a lone client's SETs are.
func BenchmarkSetLogged(b *testing.B) {
	dir := b.TempDir()
	log, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal"), Key: crypto.Random(32), Sync: wal.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	db, err := storage.Open(filepath.Join(dir, "1.db"), 1, storage.Options{Log: log, Buffer: storage.NewWriteBuffer(64 << 20)})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	kr, _ := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	if err := db.Unlock(kr); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 100)
	if p := os.Getenv("BENCH_PAR"); p != "" {
		n, _ := strconv.Atoi(p)
		b.SetParallelism(n)
	} else {
		b.SetParallelism(32)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			name := benchName("key:", r.IntN(100000))
			if err := db.Update(func(tx *storage.Tx) error {
				_, err := tx.Set(name, value, storage.SetOptions{})
				return err
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
