package storage_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestPeekOpensNothing: Peek answers only for a file already open and ready; it never
// opens or creates one.
func TestPeekOpensNothing(t *testing.T) {
	m, u, _ := newMgr(t, time.Hour)
	if db, release, ok := m.Peek(1); ok || db != nil || release != nil {
		t.Fatal("Peek of a database never opened answered a file")
	}
	if n := u.count(1); n != 0 {
		t.Errorf("Peek unlocked database 1 (%d times): it opened it", n)
	}
	if _, err := os.Stat(m.Path(1)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Peek made a file: %v", err)
	}
	if n := m.OpenCount(); n != 0 {
		t.Errorf("OpenCount %d after a Peek, want 0", n)
	}

	_, rel, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	rel()
	if n := m.OpenCount(); n != 1 {
		t.Errorf("OpenCount %d after an Acquire, want 1", n)
	}
	db, release, ok := m.Peek(1)
	if !ok {
		t.Fatal("Peek of an open database found nothing")
	}
	if err := usable(db); err != nil {
		t.Errorf("Peek returned an unusable file: %v", err)
	}
	release()
	release() // twice is once
	if n := u.count(1); n != 1 {
		t.Errorf("database 1 unlocked %d times, want 1", n)
	}
}

// TestPeekHoldsAgainstRemove: a file peeked at is not closed under the caller by Remove;
// the peek's release closes it, and Peek answers nothing after the Remove.
func TestPeekHoldsAgainstRemove(t *testing.T) {
	m, _, _ := newMgr(t, time.Hour)
	_, rel, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	rel()
	db, release, ok := m.Peek(1)
	if !ok {
		t.Fatal("Peek found nothing")
	}
	removed := make(chan error, 1)
	go func() { removed <- m.Remove(1) }()
	if err := <-removed; err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(*storage.Tx) error { return nil }); err != nil {
		t.Errorf("a peeked file was closed by Remove before its release: %v", err)
	}
	if _, _, ok := m.Peek(1); ok {
		t.Error("Peek answered a removed database")
	}
	release()
	if n := m.OpenCount(); n != 0 {
		t.Errorf("OpenCount %d after Remove and release, want 0", n)
	}
}

// TestPeekIsNotAUse: peeking at a file over and over does not keep it open past its
// idle time (Acquire would). Idle is 50 ms against the sweeper's 100 ms tick.
func TestPeekIsNotAUse(t *testing.T) {
	m, u, _ := newMgr(t, 50*time.Millisecond)
	_, rel, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	rel()
	deadline := time.Now().Add(5 * time.Second)
	for m.OpenCount() > 0 && time.Now().Before(deadline) {
		if _, release, ok := m.Peek(1); ok {
			release()
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := m.OpenCount(); n != 0 {
		t.Fatalf("a file only peeked at stayed open %d", n)
	}
	if n := u.count(1); n != 1 {
		t.Errorf("database 1 unlocked %d times: Peek opened it", n)
	}
}
