package storage_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestLayoutSpreadsFiles: files live in <dir>/db/<id mod 1000>/<id>.db.
func TestLayoutSpreadsFiles(t *testing.T) {
	for id, want := range map[uint64]string{1: "db/1/1.db", 999: "db/999/999.db", 1000: "db/0/1000.db", 123456: "db/456/123456.db"} {
		if got := storage.FilePath("/d", id); got != filepath.Join("/d", want) {
			t.Errorf("FilePath(%d) = %s, want /d/%s", id, got, want)
		}
	}
}

// TestLayoutLegacyFileAdopted: a data directory from before the db/ layout keeps
// working: a file at <dir>/<id>.db is moved into the layout when it is next opened, with
// its data, and Remove removes a file still in the legacy place.
func TestLayoutLegacyFileAdopted(t *testing.T) {
	m, u, dir := newMgr(t, 0)
	legacy := storage.LegacyPath(dir, 1001)
	db, err := storage.Open(legacy, 1001, storage.Options{Sync: storage.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := u.unlock(1001)
	if err := db.Unlock(r.Keys); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("k"), []byte("old layout"), storage.SetOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	got, release, err := m.Acquire(1001)
	if err != nil {
		t.Fatal(err)
	}
	var v []byte
	if err := got.View(func(tx *storage.Tx) error { v, _, err = tx.Get([]byte("k")); return err }); err != nil || string(v) != "old layout" {
		t.Fatalf("GET k after the move: %q, %v", v, err)
	}
	release()
	if _, err := os.Stat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("legacy file after the open: %v, want moved", err)
	}
	if _, err := os.Stat(m.Path(1001)); err != nil {
		t.Errorf("file in the layout: %v", err)
	}

	// Never opened since: removed from where it is.
	if err := os.WriteFile(storage.LegacyPath(dir, 7), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove(7); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(storage.LegacyPath(dir, 7)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("legacy file after Remove: %v", err)
	}
}

// TestLayoutTwoFilesRefused: a database with a file in both places is refused, naming
// both, and neither is touched.
func TestLayoutTwoFilesRefused(t *testing.T) {
	m, _, dir := newMgr(t, 0)
	for _, p := range []string{storage.LegacyPath(dir, 5), storage.FilePath(dir, 5)} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := m.Acquire(5)
	if err == nil || !errors.Is(err, storage.ErrFormat) {
		t.Fatalf("Acquire with two files: %v, want ErrFormat", err)
	}
	for _, p := range []string{storage.LegacyPath(dir, 5), storage.FilePath(dir, 5)} {
		if raw, err := os.ReadFile(p); err != nil || string(raw) != "x" {
			t.Errorf("%s: %q, %v: touched", p, raw, err)
		}
	}
}
