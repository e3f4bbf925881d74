package storage

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/seed6aa118f9/herodb/crypto"
)

// TestInlineStrings: a small string's value lives in its key record, a large one in a
// value record of its own, and a string that moves across the bound keeps exactly one
// record of its value (no value record left behind, none missing).
func TestInlineStrings(t *testing.T) {
	kr, _ := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	db, err := Open(filepath.Join(t.TempDir(), "1.db"), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(kr); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("b"), inlineMax+1)
	small := bytes.Repeat([]byte("s"), inlineMax)
	step := func(what string, fn func(tx *Tx) error, name string, want []byte, records int) {
		t.Helper()
		if err := db.Update(fn); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		err := db.View(func(tx *Tx) error {
			v, ok, err := tx.Get([]byte(name))
			if err != nil || ok != (want != nil) || !bytes.Equal(v, want) {
				t.Errorf("%s: GET %s = %d bytes %v %v, want %d bytes", what, name, len(v), ok, err, len(want))
			}
			n := 0
			c := tx.dataB.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				n++
			}
			if n != records {
				t.Errorf("%s: %d value records, want %d", what, n, records)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	set := func(name string, v []byte) func(tx *Tx) error {
		return func(tx *Tx) error { _, err := tx.Set([]byte(name), v, SetOptions{}); return err }
	}
	step("SET small", set("k", small), "k", small, 0)
	step("SET big over small", set("k", big), "k", big, 1)
	step("SET small over big", set("k", small), "k", small, 0)
	step("APPEND across the bound", func(tx *Tx) error { _, err := tx.Append([]byte("k"), []byte("x")); return err },
		"k", append(append([]byte{}, small...), 'x'), 1)
	step("RENAME a big string", func(tx *Tx) error { _, err := tx.Rename([]byte("k"), []byte("r"), false); return err },
		"r", append(append([]byte{}, small...), 'x'), 1)
	step("SET empty", set("e", []byte{}), "e", []byte{}, 1)
	step("DEL the big one", func(tx *Tx) error { _, err := tx.Del([]byte("r")); return err }, "r", nil, 0)
	step("RENAME a small string", func(tx *Tx) error { _, err := tx.Rename([]byte("e"), []byte("e2"), false); return err },
		"e2", []byte{}, 0)
}
