package storage_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/storage"
)

// rawBolt opens the (closed) storage file with bbolt directly and runs fn in a write
// transaction.
func rawBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

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

func utf16(s string) []byte {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

// dataKeysOf lists the data bucket's keys, ordered.
func dataKeysOf(tx *bolt.Tx) [][]byte {
	var out [][]byte
	tx.Bucket([]byte("data")).ForEach(func(k, _ []byte) error {
		out = append(out, slices.Clone(k))
		return nil
	})
	return out
}

func TestCiphertextMovedBetweenKeys(t *testing.T) {
	e := newEnv(t)
	set(t, e, "A", "secret of A")
	set(t, e, "B", "value of B")
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
	wantGet(t, e, "A", "secret of A")
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

func TestOtherFormatVersionRefused(t *testing.T) {
	e := newEnv(t)
	set(t, e, "k", "v")
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("herodb.format"))
		var f map[string]any
		if err := json.Unmarshal(b.Get([]byte("format")), &f); err != nil {
			return err
		}
		f["version"] = storage.FormatVersion + 1
		raw, _ := json.Marshal(f)
		return b.Put([]byte("format"), raw)
	})
	_, err := storage.Open(e.path, 1, e.opts)
	if !errors.Is(err, storage.ErrFormat) {
		t.Fatalf("Open of a file of a newer version: %v; want ErrFormat", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("version %d", storage.FormatVersion+1)) {
		t.Fatalf("error does not name the version: %v", err)
	}
	// Not a herodb file at all.
	other := filepath.Join(t.TempDir(), "other.db")
	b, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	b.Close()
	if _, err := storage.Open(other, 1, e.opts); !errors.Is(err, storage.ErrFormat) {
		t.Fatalf("Open of a foreign bbolt file: %v", err)
	}
	// A refused Open releases the file lock: opening again gives ErrFormat, not ErrDBInUse.
	e.opts.LockTimeout = 100 * time.Millisecond
	if _, err := storage.Open(e.path, 1, e.opts); !errors.Is(err, storage.ErrFormat) {
		t.Fatalf("second Open: %v", err)
	}
}

func TestDatabaseIDBound(t *testing.T) {
	e := newEnv(t)
	set(t, e, "k", "v")
	e.close()
	db, err := storage.Open(e.path, 2, e.opts) // same file and key, another database id
	if err == nil {
		db.Close()
	}
	if !storage.IsCorrupt(err) {
		t.Fatalf("Open under another database id: %v; want corrupt", err)
	}
}

// TestDurableAfterUpdate: every write acknowledged by Update is in the file the moment
// Update returns (a copy taken while the database is still open has it), and after a
// close and reopen.
func TestDurableAfterUpdate(t *testing.T) {
	e := newEnv(t) // SyncAlways
	const n = 200
	for i := range n {
		if err := e.db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set(fmt.Appendf(nil, "key%d", i), fmt.Appendf(nil, "val%d", i), storage.SetOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "snapshot.db")
	if err := os.WriteFile(snap, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(db *storage.DB) {
		t.Helper()
		err := db.View(func(tx *storage.Tx) error {
			for i := range n {
				v, ok, err := tx.Get(fmt.Appendf(nil, "key%d", i))
				if err != nil {
					return err
				}
				if !ok || string(v) != fmt.Sprintf("val%d", i) {
					return fmt.Errorf("key%d = %q %v", i, v, ok)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sdb, err := storage.Open(snap, 1, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	sdb.Unlock(e.kr)
	check(sdb)
	sdb.Close()
	e.reopen()
	check(e.db)
}

func TestGroupCommit(t *testing.T) {
	e := newEnv(t) // SyncAlways: each commit fsyncs, so writers queue up behind it
	const writers = 200
	before := e.db.Stats()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.db.Update(func(tx *storage.Tx) error {
				if _, err := tx.Set(fmt.Appendf(nil, "k%d", i), []byte("v"), storage.SetOptions{}); err != nil {
					return err
				}
				_, err := tx.RPush([]byte("shared"), [][]byte{fmt.Appendf(nil, "%d", i)}, false)
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := e.db.Stats()
	commits, writes := st.Commits-before.Commits, st.Writes-before.Writes
	if writes != writers {
		t.Fatalf("Stats.Writes = %d; want %d", writes, writers)
	}
	if commits > writers {
		t.Fatalf("Stats.Commits = %d > %d writers", commits, writers)
	}
	t.Logf("%d writers in %d commits", writers, commits)
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.LLen([]byte("shared")) }); n != writers {
		t.Fatalf("LLEN shared = %d", n)
	}
	if n := dbsize(t, e); n != writers+1 {
		t.Fatalf("DBSIZE = %d", n)
	}
}
