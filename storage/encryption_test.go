package storage_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestNoPlaintextOnDisk writes known names, values, fields and elements, then reads the
// whole file and looks for each of them.
func TestNoPlaintextOnDisk(t *testing.T) {
	e := newEnv(t)
	secrets := []string{
		"KeyNameAlpha7431", "StringValueBravo9902",
		"HashKeyCharlie2231", "FieldNameDelta5511", "FieldValueEcho8817",
		"ListKeyFoxtrot6623", "ListElementGolf3390", "ListElementHotel1178",
		"RenamedKeyIndia4471", "ExpiringKeyJuliet8830",
	}
	run(t, e, func(tx *storage.Tx) (storage.SetResult, error) {
		return tx.Set([]byte(secrets[0]), []byte(secrets[1]), storage.SetOptions{})
	})
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.HSet([]byte(secrets[2]), bs(secrets[3], secrets[4]))
	})
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.RPush([]byte(secrets[5]), bs(secrets[6], secrets[7]), false)
	})
	run(t, e, func(tx *storage.Tx) (bool, error) {
		return tx.Rename([]byte(secrets[0]), []byte(secrets[8]), false)
	})
	run(t, e, func(tx *storage.Tx) (storage.SetResult, error) {
		return tx.Set([]byte(secrets[9]), []byte(secrets[1]), storage.SetOptions{ExpireAt: e.now() + 100_000})
	})
	// Moved elements too.
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.LInsert([]byte(secrets[5]), true, []byte(secrets[7]), []byte(secrets[6]))
	})
	e.close()
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 {
		t.Fatal("empty file")
	}
	for _, s := range secrets {
		for _, form := range [][]byte{[]byte(s), []byte(strings.ToLower(s)), utf16(s)} {
			if bytes.Contains(raw, form) {
				t.Errorf("%q appears in the database file", form)
			}
		}
	}
	// The file still reads back: the check above is on a real database.
	e.open()
	wantGet(t, e, secrets[8], secrets[1])
	if v, ok := hget(t, e, secrets[2], secrets[3]); !ok || v != secrets[4] {
		t.Fatalf("HGET = %q %v", v, ok)
	}
	wantList(t, e, secrets[5], secrets[6], secrets[6], secrets[7])
}

func TestCiphertextMovedBetweenKeys(t *testing.T) {
	e := newEnv(t)
	pad := strings.Repeat(".", 600) // past what a key record holds inline: value records
	set(t, e, "A", "secret of A"+pad)
	set(t, e, "B", "value of B"+pad)
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		var ids [][]byte // string values: the key is exactly the 8-byte id
		for _, k := range dataKeysOf(tx) {
			if len(k) == 8 {
				ids = append(ids, k)
			}
		}
		if len(ids) != 2 {
			return fmt.Errorf("found %d string records", len(ids))
		}
		a, b := ids[0], ids[1] // ids are allocated in order: A first
		if binary.BigEndian.Uint64(a) >= binary.BigEndian.Uint64(b) {
			return errors.New("ids not ordered")
		}
		d := tx.Bucket([]byte("data"))
		return d.Put(b, slices.Clone(d.Get(a)))
	})
	e.open()
	err := e.db.View(func(tx *storage.Tx) error {
		v, _, err := tx.Get([]byte("B"))
		if bytes.Contains(v, []byte("secret of A")) {
			t.Errorf("B opened to A's plaintext")
		}
		return err
	})
	if err == nil || !storage.IsCorrupt(err) {
		t.Fatalf("GET B after swap: %v; want a corrupt-record error", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks plaintext: %v", err)
	}
	wantGet(t, e, "A", "secret of A"+pad)
}

func TestKeyRecordMovedBetweenNames(t *testing.T) {
	e := newEnv(t)
	set(t, e, "A", "va")
	set(t, e, "B", "vb")
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		k := tx.Bucket([]byte("keys"))
		var idx [][]byte
		k.ForEach(func(key, _ []byte) error { idx = append(idx, slices.Clone(key)); return nil })
		if len(idx) != 2 {
			return fmt.Errorf("found %d key records", len(idx))
		}
		// Swap the two records: each now sits under the other's name index.
		r0, r1 := slices.Clone(k.Get(idx[0])), slices.Clone(k.Get(idx[1]))
		if err := k.Put(idx[0], r1); err != nil {
			return err
		}
		return k.Put(idx[1], r0)
	})
	e.open()
	for _, name := range []string{"A", "B"} {
		err := e.db.View(func(tx *storage.Tx) error { _, _, err := tx.Get([]byte(name)); return err })
		if !storage.IsCorrupt(err) {
			t.Fatalf("GET %s after key record swap: %v", name, err)
		}
	}
}

func TestListElementMovedToAnotherSlot(t *testing.T) {
	e := newEnv(t)
	rpush(t, e, "L", "elem0", "elem1", "elem2")
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		var elems [][]byte
		for _, k := range dataKeysOf(tx) {
			if len(k) == 17 && k[8] == 'l' {
				elems = append(elems, k)
			}
		}
		if len(elems) != 3 {
			return fmt.Errorf("found %d list records", len(elems))
		}
		d := tx.Bucket([]byte("data"))
		return d.Put(elems[1], slices.Clone(d.Get(elems[0]))) // element 0 over element 1
	})
	e.open()
	for _, f := range []func(tx *storage.Tx) error{
		func(tx *storage.Tx) error { _, _, err := tx.LIndex([]byte("L"), 1); return err },
		func(tx *storage.Tx) error { _, err := tx.LRange([]byte("L"), 0, -1); return err },
		func(tx *storage.Tx) error { _, err := tx.LPos([]byte("L"), []byte("elem0"), 1, 0, 0); return err },
	} {
		if err := e.db.View(f); !storage.IsCorrupt(err) {
			t.Fatalf("read of moved element: %v; want corrupt", err)
		}
	}
	if err := e.db.Update(func(tx *storage.Tx) error { _, err := tx.RPop([]byte("L"), 3); return err }); !storage.IsCorrupt(err) {
		t.Fatalf("RPOP over moved element: %v; want corrupt", err)
	}
	// Untouched elements still open.
	type r struct {
		v  []byte
		ok bool
	}
	got := view(t, e, func(tx *storage.Tx) (r, error) {
		v, ok, err := tx.LIndex([]byte("L"), 2)
		return r{v, ok}, err
	})
	if string(got.v) != "elem2" {
		t.Fatalf("LINDEX 2 = %q", got.v)
	}
}

func TestHashFieldMovedToAnotherSlot(t *testing.T) {
	e := newEnv(t)
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("H"), bs("f1", "v1", "f2", "v2")) })
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		var fields [][]byte
		for _, k := range dataKeysOf(tx) {
			if len(k) > 9 && k[8] == 'h' {
				fields = append(fields, k)
			}
		}
		if len(fields) != 2 {
			return fmt.Errorf("found %d field records", len(fields))
		}
		d := tx.Bucket([]byte("data"))
		return d.Put(fields[1], slices.Clone(d.Get(fields[0])))
	})
	e.open()
	if err := e.db.View(func(tx *storage.Tx) error { _, err := tx.HGetAll([]byte("H")); return err }); !storage.IsCorrupt(err) {
		t.Fatalf("HGETALL with a moved field: %v; want corrupt", err)
	}
	var corrupt int
	for _, f := range []string{"f1", "f2"} {
		err := e.db.View(func(tx *storage.Tx) error { _, _, err := tx.HGet([]byte("H"), []byte(f)); return err })
		if storage.IsCorrupt(err) {
			corrupt++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if corrupt != 1 {
		t.Fatalf("%d fields fail to open; want exactly the overwritten one", corrupt)
	}
}
