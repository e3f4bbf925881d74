package storage

// First files are made a few at a time across the node (Options.makers): an open never
// waits for another database's file to be made; past as many waiting as the cache holds,
// files are made at once; a database someone opens again or deletes while its file waits
// is not left waiting its turn; and what waited is in its file once the makers are free,
// and after a restart.

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
)

// within runs fn and fails the test if it has not returned after limit (a hang).
func within(t *testing.T, limit time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s did not return in %v", what, limit)
	}
}

// holdMakers takes every file maker's slot of m; free gives them back (once).
func holdMakers(m *Manager) (free func()) {
	for range cap(m.opts.makers) {
		m.opts.makers <- struct{}{}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			for range cap(m.opts.makers) {
				<-m.opts.makers
			}
		})
	}
}

// checkDBs opens each database in ids and checks it holds keys [0, id) (engSet(db, 0, id)).
func checkDBs(t *testing.T, m *Manager, ids ...uint64) {
	t.Helper()
	for _, id := range ids {
		db, release, err := m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := engGet(db, 0, int(id), int64(id)); err != nil {
			t.Error(err)
		}
		release()
	}
}

func fileExists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func TestFileMakersFirstFlushes(t *testing.T) {
	keys := map[uint64][]byte{}
	for id := uint64(1); id <= 14; id++ {
		keys[id] = crypto.Random(crypto.KeySize)
	}
	// Four open at a time, so four evicted databases may wait for a maker.
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32), keys: keys,
		cache: CacheOptions{Idle: time.Hour, MaxOpen: 4}}
	n.start()
	defer n.stop()
	m := n.m
	// Every maker busy: no first file can be made in its turn until they are given back.
	free := holdMakers(m)
	defer free()
	write := func(from, to uint64) {
		t.Helper()
		within(t, 10*time.Second, "opening and writing databases while every file maker is busy", func() {
			for id := from; id <= to; id++ {
				db, release, err := m.Acquire(id)
				if err != nil {
					t.Error(err)
					return
				}
				if err := engSet(db, 0, int(id)); err != nil {
					t.Error(err)
				}
				release()
			}
		})
	}
	waitFile := func(id uint64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !fileExists(t, m.Path(id)); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("database %d's file was not made", id)
			}
		}
	}

	// Eight databases written once each: each open past four evicts one that holds a
	// change and no file. No open waits for those files, and none is made.
	write(1, 8)
	for id := uint64(1); id <= 4; id++ {
		if fileExists(t, m.Path(id)) {
			t.Fatalf("database %d has a file although no maker was free", id)
		}
	}
	// Four more wait than the makers keep up with: those evicted now are made at once.
	write(9, 12)
	for id := uint64(5); id <= 8; id++ {
		waitFile(id)
	}
	for id := uint64(1); id <= 4; id++ {
		if fileExists(t, m.Path(id)) {
			t.Fatalf("database %d has a file although no maker was free", id)
		}
	}

	// Opened again while its file waits: the open makes it now, and reads it whole.
	within(t, 10*time.Second, "reopening a database whose file waits for a maker", func() {
		db, release, err := m.Acquire(1)
		if err != nil {
			t.Error(err)
			return
		}
		defer release()
		if err := engGet(db, 0, 1, 1); err != nil {
			t.Error(err)
		}
	})
	if !fileExists(t, m.Path(1)) {
		t.Fatal("database 1 was reopened but its file was not made")
	}

	// Deleted while its file waits: the deletion returns, and no file is made after it.
	within(t, 10*time.Second, "deleting a database whose file waits for a maker", func() {
		if err := m.Remove(2); err != nil {
			t.Error(err)
		}
	})

	free()
	for id := uint64(3); id <= 4; id++ {
		waitFile(id)
	}
	n.stop()
	if fileExists(t, FilePath(n.dir, 2)) {
		t.Fatal("database 2 was deleted while its file waited, and the file was made after")
	}
	delete(n.keys, 2) // its key is destroyed, as a deletion does
	n.start()
	checkDBs(t, n.m, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
}

// A stop does not wait for the makers: every file still to make is made at once, and
// holds its changes after the restart.
func TestFileMakersStopMakesEveryFile(t *testing.T) {
	keys := map[uint64][]byte{}
	for id := uint64(1); id <= 6; id++ {
		keys[id] = crypto.Random(crypto.KeySize)
	}
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32), keys: keys,
		cache: CacheOptions{Idle: time.Hour, MaxOpen: 4}}
	n.start()
	defer n.stop()
	holdMakers(n.m) // never given back: the stop must not need them
	for id := uint64(1); id <= 6; id++ {
		db, release, err := n.m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := engSet(db, 0, int(id)); err != nil {
			t.Fatal(err)
		}
		release()
	}
	within(t, 10*time.Second, "stopping with every file maker busy", n.stop)
	for id := uint64(1); id <= 6; id++ {
		if !fileExists(t, FilePath(n.dir, id)) {
			t.Fatalf("database %d has no file after the stop", id)
		}
	}
	n.start()
	checkDBs(t, n.m, 1, 2, 3, 4, 5, 6)
}

// The sweep closing an idle database whose first file is still to make does not wait
// its turn: its file is made while every maker is busy, and the sweep goes on.
func TestFileMakersIdleCloseGoesAhead(t *testing.T) {
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32),
		keys:  map[uint64][]byte{1: crypto.Random(crypto.KeySize)},
		cache: CacheOptions{Idle: 50 * time.Millisecond, MaxOpen: 4}}
	n.start()
	defer n.stop()
	defer holdMakers(n.m)()
	db, release, err := n.m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := engSet(db, 0, 3); err != nil {
		t.Fatal(err)
	}
	release()
	for deadline := time.Now().Add(10 * time.Second); !fileExists(t, n.m.Path(1)); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the idle database's file was not made while the makers were busy: the sweep waited its turn")
		}
	}
}
