package storage_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/storage"
)

func TestLockedAndReadOnly(t *testing.T) {
	e := newEnv(t)
	e.close()
	db, err := storage.Open(e.path, 1, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(*storage.Tx) error { return nil }); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("View before Unlock: %v", err)
	}
	if err := db.Update(func(*storage.Tx) error { return nil }); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("Update before Unlock: %v", err)
	}
	db.Unlock(e.kr)
	err = db.View(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
		return err
	})
	if !errors.Is(err, storage.ErrReadOnlyTx) {
		t.Fatalf("Set in View: %v", err)
	}
	e.db = db
	db.Close()
	if err := db.Update(func(*storage.Tx) error { return nil }); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Update after Close: %v", err)
	}
}

// A writer failing in a group does not fail the others, and its writes are undone.
func TestFailingWriterIsolated(t *testing.T) {
	e := newEnv(t)
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("list"), bs("a"), false) })
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.db.Update(func(tx *storage.Tx) error {
				if _, err := tx.Set(fmt.Appendf(nil, "k%d", i), []byte("v"), storage.SetOptions{}); err != nil {
					return err
				}
				if i%4 == 0 {
					_, err := tx.IncrBy([]byte("list"), 1) // WRONGTYPE after a write
					return err
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%4 == 0 {
			if !errors.Is(err, storage.ErrWrongType) {
				t.Fatalf("writer %d: %v", i, err)
			}
			wantAbsent(t, e, fmt.Sprintf("k%d", i))
		} else {
			if err != nil {
				t.Fatalf("writer %d: %v", i, err)
			}
			wantGet(t, e, fmt.Sprintf("k%d", i), "v")
		}
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
