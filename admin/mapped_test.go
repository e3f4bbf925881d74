//go:build linux

package admin

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/internal/smaps"
)

// DB 0's pages read by lookups leave this process's RSS at the next drop, and lookups
// after it still find every database.
func TestDB0MappedPagesDropped(t *testing.T) {
	defer func(d time.Duration) { dropMappedEvery = d }(dropMappedEvery)
	dropMappedEvery = time.Second
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte("mapped-test-admin-secret")})
	dbs, err := a.CreateDatabases(3000, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte("mapped-test-admin-secret")}) // a fresh map
	defer a.Close()
	path := filepath.Join(dir, "0.db")
	lookupAll := func() {
		t.Helper()
		for _, d := range dbs {
			if got, ok := a.Database(strconv.FormatUint(d.ID, 10)); !ok || got.Name != d.Name {
				t.Fatalf("database %d: %+v, %v", d.ID, got, ok)
			}
		}
	}
	lookupAll()
	before, err := smaps.FileRSS(os.Getpid(), path)
	if err != nil {
		t.Fatal(err)
	}
	if before < 1<<20 {
		t.Fatalf("after reading 3,000 registrations, %d bytes of 0.db are resident; want more than 1 MiB", before)
	}
	waitResidentBelow(t, path, before/4, 10*time.Second, "after the lookups")
	lookupAll()
}

// Opening databases faster than the interval brings a drop every dropAfterTouches of
// them: RSS holds what the last ones read, not every open since the tick.
func TestDB0MappedPagesDroppedByOpens(t *testing.T) {
	defer func(d time.Duration) { dropMappedEvery = d }(dropMappedEvery)
	dropMappedEvery = time.Hour // only the opens can bring a drop
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte("mapped-test-admin-secret")})
	// Many more than are opened: the opens read DB 0 in many places, and the few pages
	// the last open reads again after the drop are a small part of what they left.
	dbs, err := a.CreateDatabases(4000, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte("mapped-test-admin-secret")})
	defer a.Close()
	path := filepath.Join(dir, "0.db")
	open := func(d *Database) {
		t.Helper()
		db, release, err := a.Acquire(d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if db == nil {
			t.Fatalf("database %d: no handle", d.ID)
		}
		release()
	}
	step := len(dbs) / dropAfterTouches
	for i := 0; i < dropAfterTouches-1; i++ {
		open(dbs[i*step])
	}
	before, err := smaps.FileRSS(os.Getpid(), path)
	if err != nil {
		t.Fatal(err)
	}
	if before < 1<<20 {
		t.Fatalf("after %d opens, %d bytes of 0.db are resident; want more", dropAfterTouches-1, before)
	}
	open(dbs[len(dbs)-1]) // the one that asks for a drop
	waitResidentBelow(t, path, before/4, 5*time.Second, "after the opens")
}

// waitResidentBelow waits until this process has less than limit bytes of the file at
// path resident, and fails the test if that takes longer than wait.
func waitResidentBelow(t *testing.T, path string, limit int64, wait time.Duration, what string) {
	t.Helper()
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		n, err := smaps.FileRSS(os.Getpid(), path)
		if err != nil {
			t.Fatal(err)
		}
		if n < limit {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s, %d bytes of %s stayed resident for %v; want under %d", what, n, path, wait, limit)
		}
	}
}
