package storage

// A failed flush must stop only its own database and lose nothing: two flaws found by
// the engine tests, fixed.

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
)

// TestFlushFailureKeepsFileOpen: database A's flush fails. A holds acknowledged changes
// that only memory and the log have, so the cache must not close it (a reopen would serve
// without them, and once A flushed again its file would pass them for good): with
// MaxOpen 1, opening B does not evict A. Once A's file can be written again, the next
// flush succeeds, writes resume, A can be evicted, and every key survives a restart.
func TestFlushFailureKeepsFileOpen(t *testing.T) {
	rec := &engRecorder{}
	SetLogger(slog.New(rec))
	t.Cleanup(func() { SetLogger(nil) })
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32), cache: CacheOptions{Idle: time.Hour, MaxOpen: 1},
		keys: map[uint64][]byte{1: crypto.Random(crypto.KeySize), 2: crypto.Random(crypto.KeySize)}}
	n.start()
	t.Cleanup(n.stop)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, releaseA, err := n.m.Acquire(1)
	must(err)
	must(engSet(a, 0, 20))
	must(a.flushNow())
	must(engSet(a, 20, 40)) // acknowledged: durable in the log
	engBreakFile(t, a)
	if a.flushNow() == nil {
		t.Fatal("the flush into a read-only file succeeded")
	}
	releaseA()

	b, releaseB, err := n.m.Acquire(2)
	must(err)
	must(engSet(b, 0, 1))
	releaseB()
	if rec.count("closing a database file failed", "db=1") != 0 {
		t.Fatal("A was closed with its flush failing")
	}
	a2, releaseA, err := n.m.Acquire(1)
	must(err)
	if a2 != a {
		t.Fatal("A was reopened: its failed file was closed")
	}
	if err := engGet(a, 0, 40, 40); err != nil {
		t.Errorf("A after its flush failed: %v (want keys 0-39, as acknowledged)", err)
	}
	if err := engSet(a, 40, 41); err == nil {
		t.Error("a write to A was accepted while its flush fails")
	}
	// The file is writable again: the manager's retry flushes, writes resume.
	a.viewMu.Lock()
	a.bolt.Close()
	rw, err := bolt.Open(a.path, 0o600, &bolt.Options{Timeout: time.Second})
	must(err)
	a.bolt = rw
	a.viewMu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for a.Failed() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if a.Failed() {
		t.Fatal("A's flush was not retried within 5 s")
	}
	must(engSet(a, 40, 45))
	releaseA()
	n.stop()
	st := n.start()
	t.Logf("recovery: %+v", st)
	a, releaseA, err = n.m.Acquire(1)
	must(err)
	defer releaseA()
	var missing []int
	must(a.View(func(tx *Tx) error {
		for i := 0; i < 45; i++ {
			if v, ok, err := tx.Get(engIKey(i)); err != nil {
				return err
			} else if !ok || !bytes.Equal(v, engIValue(i)) {
				missing = append(missing, i)
			}
		}
		return nil
	}))
	if len(missing) > 0 {
		t.Errorf("after the restart A lacks %d acknowledged keys: %s", len(missing), engSpan(missing))
	}
}

func engSpan(ks []int) string {
	if len(ks) == 0 {
		return "none"
	}
	return fmt.Sprintf("keys %d to %d", ks[0], ks[len(ks)-1])
}

// TestFlushFailureStallsOtherDatabases: database A's flush fails while A holds more
// than the whole write buffer (one batch larger than the buffer, which the buffer lets
// through alone). A failed flush never releases its bytes, so the buffer stays over its
// limit and every writer of every other database waits in buf.wait for a flush that can
// never free it: B's writes hang until A is closed (by the idle sweep, eviction or
// shutdown). The same happens, less deterministically, when A alone is written hard: its
// failed flushing layer (up to half the buffer) plus its current layer (up to its share)
// can reach the limit.
func TestFlushFailureStallsOtherDatabases(t *testing.T) {
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32), buffer: 1 << 20,
		keys: map[uint64][]byte{1: crypto.Random(crypto.KeySize), 2: crypto.Random(crypto.KeySize)}}
	SetLogger(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { SetLogger(nil) })
	n.start()
	t.Cleanup(n.stop)
	a, releaseA, err := n.m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseA()
	b, releaseB, err := n.m.Acquire(2)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseB()
	if err := engSet(b, 0, 10); err != nil {
		t.Fatal(err)
	}
	engBreakFile(t, a)
	big := bytes.Repeat([]byte("v"), 1024)
	err = a.Update(func(tx *Tx) error {
		for i := 0; i < 2048; i++ {
			if _, err := tx.Set([]byte(fmt.Sprintf("big%05d", i)), big, SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err) // durable in the log: acknowledged
	}
	deadline := time.Now().Add(3 * time.Second)
	for a.writable() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if a.writable() == nil {
		t.Fatal("A's flush did not fail")
	}
	t.Logf("A's flush failed: %v; the buffer holds %d of %d bytes", a.writable(), n.m.Buffered(), 1<<20)

	done := make(chan error, 1)
	go func() { done <- engSet(b, 10, 11) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("B's write: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("B's write hangs 3 s after A's flush failed (the buffer holds %d of %d bytes, all A's)",
			n.m.Buffered(), 1<<20)
	}
}

// TestClosedWithUnflushedChangesNotReopened: a database whose file was closed with
// changes it could not take (its frames pinned in the log) answers ErrUnflushed instead
// of opening without them; its frames stay in the log for the next start.
func TestClosedWithUnflushedChangesNotReopened(t *testing.T) {
	SetLogger(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { SetLogger(nil) })
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32),
		keys: map[uint64][]byte{1: crypto.Random(crypto.KeySize), 2: crypto.Random(crypto.KeySize)}}
	n.start()
	t.Cleanup(n.stop)
	n.m.mu.Lock()
	n.m.pins[1] = 1 // as finish records a close whose flush failed
	n.m.mu.Unlock()
	if _, _, err := n.m.Acquire(1); !errors.Is(err, ErrUnflushed) {
		t.Fatalf("Acquire of a pinned database: %v, want ErrUnflushed", err)
	}
	if _, release, err := n.m.Acquire(2); err != nil {
		t.Fatalf("another database: %v", err)
	} else {
		release()
	}
}
