package storage

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/seed6aa118f9/herodb/crypto"
)

func tOneDB(t *testing.T) *DB {
	t.Helper()
	kr, _ := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	db, err := Open(filepath.Join(t.TempDir(), "1.db"), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Unlock(kr); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestManyOpensInOneTx: one transaction opens many key records, with values of every
// size around the inline bound, keeps every one it read and appends to each: no value
// may change under a later open or an append to its neighbour (a key record's name and
// value are views of its plaintext, decodeMeta; an open into shared room would show).
func TestManyOpensInOneTx(t *testing.T) {
	db := tOneDB(t)
	var sizes []int
	for n := 0; n <= inlineMax; n += 37 {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 440, 460, 470, 480, 490, 500, inlineMax-1, inlineMax, inlineMax+1, 3000)
	val := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, sizes[i]) }
	if err := db.Update(func(tx *Tx) error {
		for i := range sizes {
			if _, err := tx.Set(fmt.Appendf(nil, "key-%d", i), val(i), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	check := func(tx *Tx) error {
		got := make([][]byte, 0, 3*len(sizes))
		for round := range 3 { // three opens of each key: more metas than a few chunks
			for i := range sizes {
				v, ok, err := tx.Get(fmt.Appendf(nil, "key-%d", i))
				if err != nil || !ok {
					return fmt.Errorf("round %d: key-%d: %v %v", round, i, ok, err)
				}
				got = append(got, v)
			}
		}
		for j, v := range got {
			if !bytes.Equal(v, val(j%len(sizes))) {
				t.Errorf("read %d (key-%d): %d bytes %.20q, want %d", j, j%len(sizes), len(v), v, sizes[j%len(sizes)])
			}
		}
		// Longer than a record's fixed fields and name: an append that ran on into
		// another record's plaintext would reach its value.
		tail := bytes.Repeat([]byte("!"), 100)
		for j := range got {
			got[j] = append(got[j], tail...)
		}
		for j, v := range got {
			if want := append(val(j%len(sizes)), tail...); !bytes.Equal(v, want) {
				t.Errorf("read %d after the appends: %.20q, want %.20q", j, v, want)
			}
		}
		return nil
	}
	if err := db.View(check); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(check); err != nil {
		t.Fatal(err)
	}
}

// TestShortKeyRecord: a key record shorter than a sealed record's overhead (a damaged
// file) is a corruption error, not a panic.
func TestShortKeyRecord(t *testing.T) {
	db := tOneDB(t)
	for _, n := range []int{0, 1, 5, crypto.Overhead - 1, crypto.Overhead} {
		if err := db.Update(func(tx *Tx) error {
			return tx.keyB.Put(tx.nameIndex([]byte("k")), bytes.Repeat([]byte{1}, n))
		}); err != nil {
			t.Fatal(err)
		}
		err := db.View(func(tx *Tx) error { _, _, err := tx.Get([]byte("k")); return err })
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Errorf("a key record of %d bytes: %v, want a CorruptError", n, err)
		}
	}
}
