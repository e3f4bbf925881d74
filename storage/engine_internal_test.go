package storage

// A flush that fails, for real, in one database behind the node-wide log: that database
// stops taking writes (naming its file) and keeps serving what it holds, the other
// databases go on, the log keeps every frame the failed database holds only in memory,
// and a restart (a file that can be written again) brings those changes back.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// engRecorder is a slog.Handler that keeps every record's message and attributes.
type engRecorder struct {
	mu   sync.Mutex
	recs []string
}

func (h *engRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *engRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *engRecorder) WithGroup(string) slog.Handler            { return h }
func (h *engRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, b.String())
	h.mu.Unlock()
	return nil
}

// count is how many records hold every one of parts.
func (h *engRecorder) count(parts ...string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
next:
	for _, r := range h.recs {
		for _, p := range parts {
			if !strings.Contains(r, p) {
				continue next
			}
		}
		n++
	}
	return n
}

// engNode is a data directory's log and manager, reopenable.
type engNode struct {
	t      testing.TB
	dir    string
	walKey []byte
	keys   map[uint64][]byte
	cache  CacheOptions // zero: Idle of an hour
	buffer int64        // the write buffer's size; zero: 64 MiB
	recs   *RecordCache // nil: no record cache
	log    *wal.Log
	m      *Manager
}

func (n *engNode) unlock(id uint64) (Unlocked, error) {
	key := n.keys[id] // fixed before the manager starts: read-only after
	if key == nil {
		return Unlocked{}, fmt.Errorf("no database %d", id)
	}
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: key})
	return Unlocked{Keys: kr}, err
}

func (n *engNode) start() RecoverStats {
	n.t.Helper()
	log, err := wal.Open(wal.Options{Dir: filepath.Join(n.dir, "wal"), Key: n.walKey, Sync: wal.SyncAlways,
		SegmentSize: 4 << 10, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		n.t.Fatal(err)
	}
	n.log = log
	cache, buffer := n.cache, n.buffer
	if cache == (CacheOptions{}) {
		cache.Idle = time.Hour
	}
	if buffer == 0 {
		buffer = 64 << 20
	}
	n.m = NewManager(n.dir, Options{Log: log, Buffer: NewWriteBuffer(buffer), FlushInterval: time.Hour, Records: n.recs},
		cache, n.unlock)
	st, err := n.m.Recover(nil)
	if err != nil {
		n.t.Fatalf("recover: %v", err)
	}
	return st
}

func (n *engNode) stop() {
	if n.m == nil {
		return
	}
	n.m.Close()
	if err := n.log.Close(); err != nil {
		n.t.Errorf("closing the log: %v", err)
	}
	n.m, n.log = nil, nil
}

func engIKey(i int) []byte   { return []byte(fmt.Sprintf("key%05d", i)) }
func engIValue(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, 600+i%7) }

// engSet sets keys [from, to) of db, one transaction (one log frame) each.
func engSet(db *DB, from, to int) error {
	for i := from; i < to; i++ {
		err := db.Update(func(tx *Tx) error {
			_, err := tx.Set(engIKey(i), engIValue(i), SetOptions{})
			return err
		})
		if err != nil {
			return fmt.Errorf("database %d, set key %d: %w", db.id, i, err)
		}
	}
	return nil
}

// engGet checks keys [from, to) of db, and that it holds n keys.
func engGet(db *DB, from, to int, n int64) error {
	return db.View(func(tx *Tx) error {
		for i := from; i < to; i++ {
			v, ok, err := tx.Get(engIKey(i))
			if err != nil {
				return err
			}
			if !ok || !bytes.Equal(v, engIValue(i)) {
				return fmt.Errorf("database %d key %d: found %v, %d bytes", db.id, i, ok, len(v))
			}
		}
		if got := tx.DBSize(); got != n {
			return fmt.Errorf("database %d holds %d keys; want %d", db.id, got, n)
		}
		return nil
	})
}

// engBreakFile makes db's file unwritable for real, with the file still readable: the
// bbolt handle is closed and opened again read-only, so the next flush's bbolt Update
// fails (bbolt refuses it) while readers go on. It runs under the view lock with no
// flush under way: every other use of db.bolt (readers, the committer, the flush it
// starts) takes that lock first.
func engBreakFile(t *testing.T, db *DB) {
	t.Helper()
	if db.bolt == nil {
		if err := db.makeFile(nil); err != nil { // never written: make its (empty) file first
			t.Fatal(err)
		}
	}
	db.viewMu.Lock()
	defer db.viewMu.Unlock()
	if db.flushDone != nil || db.flushing != nil {
		t.Fatal("a flush is under way")
	}
	if err := db.bolt.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := bolt.Open(db.path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db.bolt = ro
}

// TestFlushFailureStopsOnlyThatDatabase: databases A (1) and B (2) behind one log. A's
// file becomes unwritable and its flush fails: A refuses writes with an error naming the
// flush and its file, and still reads everything (the flushed part from the file, the
// rest from its overlay); B writes, reads and flushes as before; the log is truncated up
// to A's first unflushed frame and no further; "flush failed" is logged. After a restart
// (the file writable again) A's unflushed changes are back, from the log.
func TestFlushFailureStopsOnlyThatDatabase(t *testing.T) {
	rec := &engRecorder{}
	SetLogger(slog.New(rec))
	t.Cleanup(func() { SetLogger(nil) })
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32),
		keys: map[uint64][]byte{1: crypto.Random(crypto.KeySize), 2: crypto.Random(crypto.KeySize)}}
	n.start()
	t.Cleanup(n.stop)
	m, log := n.m, n.log

	a, releaseA, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseA()
	b, releaseB, err := m.Acquire(2)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseB()

	// B's first frames fill the log's first segments (4 KiB each) and are flushed:
	// truncation may drop them. A's first keys are flushed too.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(engSet(b, 0, 60))
	must(b.flushNow())
	must(engSet(a, 0, 20))
	must(a.flushNow())
	appliedA := a.Applied()

	// A's next keys stay in memory: their frames are [s0, s1).
	s0 := log.NextSeq()
	must(engSet(a, 20, 40))
	s1 := log.NextSeq()
	if got := a.Unflushed(); got != s0 {
		t.Fatalf("A's first unflushed frame is %d; want %d", got, s0)
	}

	engBreakFile(t, a)
	ferr := a.flushNow()
	if ferr == nil {
		t.Fatal("A's flush into a read-only file succeeded")
	}
	t.Logf("A's flush: %v", ferr)
	for _, want := range []string{"flushing", a.path} {
		if !strings.Contains(ferr.Error(), want) {
			t.Errorf("A's flush error %q does not mention %q", ferr, want)
		}
	}

	// A refuses writes, with that error.
	werr := a.Update(func(tx *Tx) error { _, err := tx.Set([]byte("refused"), []byte("x"), SetOptions{}); return err })
	if werr == nil {
		t.Fatal("A took a write after its flush failed")
	}
	for _, want := range []string{"flushing", a.path} {
		if !strings.Contains(werr.Error(), want) {
			t.Errorf("A's write error %q does not mention %q", werr, want)
		}
	}
	// A reads everything: keys 0-19 from the file, 20-39 from the overlay.
	if err := engGet(a, 0, 40, 40); err != nil {
		t.Errorf("A's reads after the failed flush: %v", err)
	}
	if got := a.Applied(); got != appliedA {
		t.Errorf("A's file moved from frame %d to %d; its flush failed", appliedA, got)
	}

	// B goes on: writes, reads, flushes.
	must(engSet(b, 60, 120))
	if err := engGet(b, 0, 120, 120); err != nil {
		t.Errorf("B after A's failure: %v", err)
	}
	must(b.flushNow())
	if u := b.Unflushed(); u != 0 {
		t.Errorf("B's first unflushed frame is %d after its flush; want none", u)
	}

	// The log: truncated before A's frames (B's first 60 frames and A's flushed ones
	// are gone), A's unflushed frames all kept.
	segsBefore := log.Stats().Segments
	m.truncateLog()
	segsAfter := log.Stats().Segments
	seen := map[uint64]bool{}
	firstSeq := uint64(0)
	must(log.Replay(func(seq uint64, parts []wal.Part) error {
		if firstSeq == 0 {
			firstSeq = seq
		}
		for _, p := range parts {
			if p.DB == 1 {
				seen[seq] = true
			}
		}
		return nil
	}))
	for seq := s0; seq < s1; seq++ {
		if !seen[seq] {
			t.Errorf("A's unflushed frame %d is gone from the log", seq)
		}
	}
	if firstSeq > s0 {
		t.Errorf("the log starts at frame %d, past A's first unflushed frame %d", firstSeq, s0)
	}
	// (The manager's sweep, every 100 ms, may have truncated already.)
	if firstSeq <= 1 {
		t.Errorf("the log was not truncated at all (%d segments, then %d; first frame %d): the test proves nothing",
			segsBefore, segsAfter, firstSeq)
	}
	t.Logf("log: %d segments, %d after truncation; first frame %d, A's unflushed frames %d-%d",
		segsBefore, segsAfter, firstSeq, s0, s1-1)

	if c := rec.count("flush failed", "db=1", a.path); c == 0 {
		t.Errorf("no \"flush failed\" line for A was logged; got %q", rec.recs)
	} else {
		t.Logf("\"flush failed\" logged %d time(s) for A, %d for B", c, rec.count("flush failed", "db=2"))
	}
	if c := rec.count("flush failed", "db=2"); c != 0 {
		t.Errorf("\"flush failed\" logged %d times for B", c)
	}

	// A restart: Close cannot flush A (its file is still read-only) and keeps its frames;
	// the new manager opens the file writable and replays them.
	releaseA()
	releaseB()
	n.stop()
	if rec.count("closing a database file failed", "db=1") == 0 {
		t.Errorf("closing A with its flush failing logged nothing")
	}
	st := n.start()
	t.Logf("recovery: %+v", st)
	if len(st.Pinned) != 0 {
		t.Errorf("recovery kept frames: %v", st.Pinned)
	}
	for id, want := range map[uint64]int{1: 40, 2: 120} {
		db, release, err := n.m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := engGet(db, 0, want, int64(want)); err != nil {
			t.Errorf("after the restart: %v", err)
		}
		if err := engSet(db, want, want+5); err != nil {
			t.Errorf("after the restart: %v", err)
		}
		release()
	}
}
