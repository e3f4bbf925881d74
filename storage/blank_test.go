package storage_test

import (
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestEvictBlankFirst: with the cache full, reading databases never written (no file,
// nothing to flush) pushes out other such databases, never the files in use: a tenant
// probing many ids cannot evict everyone else's files.
func TestEvictBlankFirst(t *testing.T) {
	dir := t.TempDir()
	u := newMgrUnlock()
	m := storage.NewManager(dir, storage.Options{Sync: storage.SyncNone}, storage.CacheOptions{Idle: time.Hour, MaxOpen: 4}, u.unlock)
	t.Cleanup(m.Close)
	for id := uint64(1); id <= 3; id++ {
		db, release, err := m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		release()
	}
	for id := uint64(100); id < 150; id++ {
		db, release, err := m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.View(func(tx *storage.Tx) error {
			if n := tx.DBSize(); n != 0 {
				t.Errorf("database %d never written holds %d keys", id, n)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		release()
	}
	open := map[uint64]bool{}
	m.Each(func(id uint64, _ *storage.DB) { open[id] = true })
	for id := uint64(1); id <= 3; id++ {
		if !open[id] {
			t.Errorf("database %d (written, its file open) was evicted by reads of blank databases; open: %v", id, open)
		}
	}
	if len(open) > 4 {
		t.Errorf("%d open, want at most MaxOpen 4", len(open))
	}
}

// TestIdleCloseDespiteSweep: a file unused for longer than the idle timeout closes, even
// though the sweep (every 100 ms) holds every open file to expire keys: the sweep is not
// a use. With a timeout above the sweep's period the file never closed before.
func TestIdleCloseDespiteSweep(t *testing.T) {
	m, _, _ := newMgr(t, 300*time.Millisecond)
	db, release, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	release()
	deadline := time.Now().Add(10 * time.Second)
	for m.OpenCount() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the file is still open 10 s after its last use (idle timeout 300 ms)")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEvictLeastRecentlyUsed: among files, the one used longest ago goes, a file in use
// is passed over whatever its age, and a database that was blank when opened and then
// written counts as a file.
func TestEvictLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	u := newMgrUnlock()
	m := storage.NewManager(dir, storage.Options{Sync: storage.SyncNone}, storage.CacheOptions{Idle: time.Hour, MaxOpen: 3}, u.unlock)
	t.Cleanup(m.Close)
	write := func(id uint64) {
		t.Helper()
		db, release, err := m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		if err := db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	openSet := func() map[uint64]bool {
		open := map[uint64]bool{}
		m.Each(func(id uint64, _ *storage.DB) { open[id] = true })
		return open
	}
	write(1)
	write(2)
	write(3)
	write(1) // 2 is now the least recently used
	write(4)
	if open := openSet(); open[2] || !open[1] || !open[3] || !open[4] {
		t.Fatalf("open after using 1, 2, 3, 1, 4 with room for 3: %v; want 1, 3, 4", open)
	}
	// 3 is held while 1 and 4 are used after it: the oldest, but in use, so 1 goes.
	_, hold, err := m.Acquire(3)
	if err != nil {
		t.Fatal(err)
	}
	write(1)
	write(4)
	write(5)
	open := openSet()
	hold()
	if !open[3] || open[1] || !open[4] || !open[5] {
		t.Fatalf("open with 3 held, after writing 5: %v; want 3, 4, 5", open)
	}
}

// TestAcquireNotHeldByAnotherDatabasesRead: a long read of one database with a write
// queued behind it (waiting for the view lock) must not hold up Acquires of other
// databases. The file cache looked at the busy database's state under its own lock, and
// every Acquire on the node waited for that read to end (found by review).
func TestAcquireNotHeldByAnotherDatabasesRead(t *testing.T) {
	dir := t.TempDir()
	u := newMgrUnlock()
	m := storage.NewManager(dir, storage.Options{Sync: storage.SyncNone}, storage.CacheOptions{Idle: time.Hour, MaxOpen: 10}, u.unlock)
	t.Cleanup(m.Close)
	db1, release1, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	defer release1()
	inRead, endRead := make(chan struct{}), make(chan struct{})
	readDone := make(chan error, 1)
	go func() {
		readDone <- db1.View(func(*storage.Tx) error { close(inRead); <-endRead; return nil })
	}()
	<-inRead
	writeDone := make(chan error, 1)
	go func() {
		writeDone <- db1.Update(func(tx *storage.Tx) error {
			_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
			return err
		})
	}()
	time.Sleep(100 * time.Millisecond) // the write reaches the view lock and waits
	again := make(chan struct{})
	go func() {
		if _, rel, err := m.Acquire(1); err == nil {
			rel()
		}
		close(again)
	}()
	time.Sleep(50 * time.Millisecond)
	other := make(chan error, 1)
	go func() {
		_, rel, err := m.Acquire(2)
		if err == nil {
			rel()
		}
		other <- err
	}()
	select {
	case err := <-other:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		close(endRead)
		t.Fatal("Acquire of database 2 waited 2 s for a read of database 1")
	}
	close(endRead)
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	if err := <-writeDone; err != nil {
		t.Fatal(err)
	}
	<-again
}
