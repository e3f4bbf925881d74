package storage_test

// The engine behind the node-wide write-ahead log, with real parts: bbolt files in a
// temporary directory, a real wal.Log in <dir>/wal, real keyrings. The write buffer
// bounds unflushed memory across databases (and lets one oversized batch through); the
// file cache keeps at most MaxOpen files open, flushing what it evicts; the log is
// truncated once the files hold its frames.

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// engKeys is an UnlockFunc source: one data key per database id, the same across
// managers (as a registry would give), and no size cap.
type engKeys struct {
	mu   sync.Mutex
	keys map[uint64][]byte
}

func newEngKeys() *engKeys { return &engKeys{keys: map[uint64][]byte{}} }

func (k *engKeys) unlock(id uint64) (storage.Unlocked, error) {
	k.mu.Lock()
	key := k.keys[id]
	if key == nil {
		key = crypto.Random(crypto.KeySize)
		k.keys[id] = key
	}
	k.mu.Unlock()
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: key})
	return storage.Unlocked{Keys: kr}, err
}

// engine is one data directory: its log, its manager, and what reopens them.
type engine struct {
	t        *testing.T
	dir      string
	walKey   []byte
	walOpt   wal.Options
	keys     *engKeys
	opts     storage.Options // Log and Buffer are set by start
	bufLimit int64           // the write buffer's size; 0: none
	cache    storage.CacheOptions
	log      *wal.Log
	mgr      *storage.Manager
}

func newEngine(t *testing.T, walOpt wal.Options, bufLimit int64, opts storage.Options, cache storage.CacheOptions) *engine {
	t.Helper()
	e := &engine{t: t, dir: t.TempDir(), walKey: crypto.Random(32), walOpt: walOpt,
		keys: newEngKeys(), opts: opts, bufLimit: bufLimit, cache: cache}
	e.start()
	t.Cleanup(e.stop)
	return e
}

// start opens the log and a manager over it, and recovers.
func (e *engine) start() {
	e.t.Helper()
	o := e.walOpt
	o.Dir, o.Key, o.Logger = filepath.Join(e.dir, "wal"), e.walKey, slog.New(slog.DiscardHandler)
	log, err := wal.Open(o)
	if err != nil {
		e.t.Fatal(err)
	}
	opts := e.opts
	opts.Log = log
	if e.bufLimit > 0 {
		opts.Buffer = storage.NewWriteBuffer(e.bufLimit) // a fresh one per manager
	}
	e.log, e.mgr = log, storage.NewManager(e.dir, opts, e.cache, e.keys.unlock)
	if _, err := e.mgr.Recover(nil); err != nil {
		e.t.Fatalf("recover: %v", err)
	}
}

// stop closes the manager, then the log.
func (e *engine) stop() {
	if e.mgr == nil {
		return
	}
	e.mgr.Close()
	if err := e.log.Close(); err != nil {
		e.t.Errorf("closing the log: %v", err)
	}
	e.mgr, e.log = nil, nil
}

// restart closes everything and opens it again, replaying the log.
func (e *engine) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// engKey and engValue name key i of database id and give its 1 KiB value.
func engKey(id uint64, i int) []byte { return []byte(fmt.Sprintf("db%02d:key%06d", id, i)) }

func engValue(id uint64, i int) []byte {
	v := make([]byte, 1024)
	copy(v, fmt.Sprintf("value of db %d key %d|", id, i))
	for j := 64; j < len(v); j++ {
		v[j] = byte('a' + (i+j)%26)
	}
	return v
}

// engWrite sets keys [from, to) of database id in one transaction.
func engWrite(db *storage.DB, id uint64, from, to int) error {
	return db.Update(func(tx *storage.Tx) error {
		for i := from; i < to; i++ {
			if _, err := tx.Set(engKey(id, i), engValue(id, i), storage.SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
}

// engCheck reads keys [0, n) of database id back in one read transaction.
func engCheck(t *testing.T, db *storage.DB, id uint64, n int) {
	t.Helper()
	err := db.View(func(tx *storage.Tx) error {
		for i := 0; i < n; i++ {
			v, ok, err := tx.Get(engKey(id, i))
			if err != nil {
				return err
			}
			if !ok || !bytes.Equal(v, engValue(id, i)) {
				return fmt.Errorf("database %d key %d: found %v, %d bytes (want %d)", id, i, ok, len(v), 1024)
			}
		}
		if got := tx.DBSize(); got != int64(n) {
			return fmt.Errorf("database %d holds %d keys; want %d", id, got, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// engCheckVia acquires database id from m and checks it.
func engCheckVia(t *testing.T, m *storage.Manager, id uint64, n int) {
	t.Helper()
	db, release, err := m.Acquire(id)
	if err != nil {
		t.Fatalf("acquire %d: %v", id, err)
	}
	defer release()
	engCheck(t, db, id, n)
}

// engWatchdog runs fn and fails the test if it has not returned within limit (a hang,
// not slowness), with every goroutine's stack.
func engWatchdog(t *testing.T, limit time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(limit):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("no progress in %v: a deadlock?\n%s", limit, buf[:n])
	}
}

// TestWriteBufferBounded: four databases written at once through one 4 MiB write buffer
// never hold much more than 4 MiB unflushed, and everything written reads back, before
// and after a restart that replays the log.
//
// The bound: a committer waits in buf.wait while the buffer holds more than its limit,
// and then adds one batch. Each of the W committers (one per database) can pass that
// wait at the same moment, seeing the buffer at its limit, and each then adds one batch:
// the buffer can hold limit + W batches, never more (the next batch of each waits again).
// One batch's cost is measured below (its bytes as the buffer counts them: sealed
// records, digests and per-item overhead); the bound allows W of them plus 10%.
func TestWriteBufferBounded(t *testing.T) {
	const (
		limit   = 4 << 20
		writers = 4
		perDB   = 6 << 10 // keys of 1 KiB: 6 MiB of values per database
		batch   = 32      // keys per transaction
	)
	e := newEngine(t, wal.Options{Sync: wal.SyncAlways}, limit,
		storage.Options{FlushInterval: time.Hour}, storage.CacheOptions{})
	used := e.mgr.Buffered // the write buffer's Used

	// One batch's cost, on a database of its own (flushed before the test proper).
	db, release, err := e.mgr.Acquire(99)
	if err != nil {
		t.Fatal(err)
	}
	before := used()
	if err := engWrite(db, 99, 0, batch); err != nil {
		t.Fatal(err)
	}
	cost := used() - before
	release()
	if cost <= batch*1024 {
		t.Fatalf("a batch of %d 1-KiB values costs %d bytes in the buffer; want more than its values", batch, cost)
	}
	bound := int64(limit) + writers*cost*11/10
	t.Logf("one batch of %d keys costs %d bytes of buffer; bound %d (limit %d + %d)", batch, cost, bound, limit, bound-limit)

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan int)
	go func() {
		n := 0
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if u := used(); u > peak.Load() {
				peak.Store(u)
			}
			n++
			select {
			case <-stop:
				sampled <- n
				return
			case <-tick.C:
			}
		}
	}()

	start := time.Now()
	errs := make(chan error, writers)
	engWatchdog(t, 30*time.Second, func() {
		var wg sync.WaitGroup
		for w := 1; w <= writers; w++ {
			id := uint64(w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perDB; i += batch {
					db, release, err := e.mgr.Acquire(id)
					if err != nil {
						errs <- err
						return
					}
					err = engWrite(db, id, i, i+batch)
					release()
					if err != nil {
						errs <- fmt.Errorf("database %d, keys from %d: %w", id, i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	})
	took := time.Since(start)
	close(stop)
	samples := <-sampled
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	t.Logf("%d writers wrote %d MiB of values in %v; %d samples, peak buffer %d bytes (%.2f MiB, limit %.2f MiB)",
		writers, writers*perDB>>10, took.Round(time.Millisecond), samples, peak.Load(),
		float64(peak.Load())/(1<<20), float64(limit)/(1<<20))
	if peak.Load() > bound {
		t.Errorf("the buffer held %d bytes; want at most %d (limit %d + %d writers' batches of %d)",
			peak.Load(), bound, limit, writers, cost)
	}
	if peak.Load() < limit/2 {
		t.Errorf("the buffer peaked at %d bytes, under half its limit %d: the test never filled it", peak.Load(), limit)
	}

	for id := uint64(1); id <= writers; id++ {
		engCheckVia(t, e.mgr, id, perDB)
	}
	e.restart()
	for id := uint64(1); id <= writers; id++ {
		engCheckVia(t, e.mgr, id, perDB)
	}
	engCheckVia(t, e.mgr, 99, batch)
}

// TestWriteBufferOneBigBatch: one transaction larger than the whole buffer goes through
// alone, and the writes after it go through once its flush empties the buffer: nothing
// waits forever for room that cannot be made.
func TestWriteBufferOneBigBatch(t *testing.T) {
	const (
		limit = 1 << 20
		big   = 3 << 10 // 3 MiB of 1 KiB values in one transaction
	)
	e := newEngine(t, wal.Options{Sync: wal.SyncAlways}, limit,
		storage.Options{FlushInterval: time.Hour}, storage.CacheOptions{})
	engWatchdog(t, 10*time.Second, func() {
		db, release, err := e.mgr.Acquire(1)
		if err != nil {
			t.Error(err)
			return
		}
		defer release()
		if err := engWrite(db, 1, 0, big); err != nil {
			t.Errorf("the big transaction: %v", err)
			return
		}
		t.Logf("after the big transaction the buffer holds %d bytes (limit %d)", e.mgr.Buffered(), limit)
		// Small writes after it, to this database and to another one.
		for i := big; i < big+20; i++ {
			if err := engWrite(db, 1, i, i+1); err != nil {
				t.Errorf("small write %d after the big one: %v", i, err)
				return
			}
		}
		other, release2, err := e.mgr.Acquire(2)
		if err != nil {
			t.Error(err)
			return
		}
		defer release2()
		if err := engWrite(other, 2, 0, 20); err != nil {
			t.Errorf("a write to another database after the big one: %v", err)
		}
		if u := e.mgr.Buffered(); u > limit {
			t.Errorf("after small writes the buffer holds %d bytes; want at most its limit %d", u, limit)
		}
	})
	if t.Failed() {
		return
	}
	engCheckVia(t, e.mgr, 1, big+20)
	engCheckVia(t, e.mgr, 2, 20)
	e.restart()
	engCheckVia(t, e.mgr, 1, big+20)
	engCheckVia(t, e.mgr, 2, 20)
}

// engDBFDs counts this process's open descriptors of *.db files in dir; -1 without /proc.
func engDBFDs(dir string) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, fd := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		// Files live in <dir>/db/<id mod 1000>/<id>.db.
		if err == nil && strings.HasPrefix(target, filepath.Join(dir, "db")+"/") && strings.HasSuffix(target, ".db") {
			n++
		}
	}
	return n
}

// TestFileCacheBoundedOpenFiles: forty databases used one after another through a cache
// of five files keep at most five open, plus one: the manager's sweep (every 100 ms)
// holds a reference to every open file while it visits them (Manager.Each), and an
// eviction that runs meanwhile cannot close a file in use, so one Acquire may leave six
// open; the next Acquire, or the next sweep, evicts the surplus. Without that overlap the
// bound after an Acquire is exactly MaxOpen: evict runs before Acquire returns, and only
// the caller's own file is held. Each evicted file was flushed as it closed: it reads
// back opened on its own, without the log.
func TestFileCacheBoundedOpenFiles(t *testing.T) {
	const (
		maxOpen = 5
		dbs     = 40
		keys    = 50
	)
	e := newEngine(t, wal.Options{Sync: wal.SyncAlways}, 64<<20,
		storage.Options{FlushInterval: time.Hour},
		storage.CacheOptions{MaxOpen: maxOpen, Idle: time.Hour})
	maxCount, maxFDs, over := 0, -1, 0
	start := time.Now()
	for id := uint64(1); id <= dbs; id++ {
		db, release, err := e.mgr.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := engWrite(db, id, 0, keys); err != nil {
			t.Fatal(err)
		}
		release()
		count := 0
		e.mgr.Each(func(uint64, *storage.DB) { count++ })
		maxCount = max(maxCount, count)
		if count > maxOpen {
			over++
		}
		if count > maxOpen+1 {
			t.Errorf("after database %d, %d files are open; want at most %d", id, count, maxOpen+1)
		}
		if fds := engDBFDs(e.dir); fds >= 0 {
			maxFDs = max(maxFDs, fds)
			// Evicted files close in the background, up to MaxClosing at once.
			if fds > maxOpen+1+storage.MaxClosing {
				t.Errorf("after database %d, %d descriptors of database files are open; want at most %d", id, fds, maxOpen+1+storage.MaxClosing)
			}
		}
	}
	t.Logf("%d databases through a cache of %d in %v: at most %d open (%d times over %d), at most %d descriptors (-1: no /proc)",
		dbs, maxOpen, time.Since(start).Round(time.Millisecond), maxCount, over, maxOpen, maxFDs)

	// The evicted files hold their data themselves: open each directly, without a log.
	open := map[uint64]bool{}
	e.mgr.Each(func(id uint64, _ *storage.DB) { open[id] = true })
	direct := 0
	for id := uint64(1); id <= dbs; id++ {
		if open[id] {
			continue
		}
		// A database evicted before its first file was made gets it from a file maker,
		// in the background (storage.FileMakers at a time): wait for it to be there. Once
		// it holds bytes, its maker holds bbolt's lock, which Open below waits for.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if fi, err := os.Stat(e.mgr.Path(id)); (err == nil && fi.Size() > 0) || time.Now().After(deadline) {
				break
			}
		}
		db, err := storage.Open(e.mgr.Path(id), id, storage.Options{LockTimeout: 2 * time.Second})
		if err != nil {
			t.Fatalf("opening evicted database %d directly: %v", id, err)
		}
		u, _ := e.keys.unlock(id)
		if err := db.Unlock(u.Keys); err != nil {
			t.Fatal(err)
		}
		engCheck(t, db, id, keys)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		direct++
	}
	if direct < dbs-maxOpen-1 {
		t.Errorf("only %d of %d databases were evicted", direct, dbs)
	}
	// Through the cache again (reopening the evicted ones), then after a restart.
	for id := uint64(1); id <= dbs; id++ {
		engCheckVia(t, e.mgr, id, keys)
	}
	e.restart()
	for id := uint64(1); id <= dbs; id++ {
		engCheckVia(t, e.mgr, id, keys)
	}
}

// engSegments counts the log's segment files.
func engSegments(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// TestTruncateAfterFlush: a log of 64 KiB segments grows to many segments under writes
// to three databases, and once the time trigger has flushed them (FlushInterval 200 ms,
// seen by the manager's sweep every 100 ms; long enough that the writes pile up many
// segments first, even on a slow machine) the sweep truncates the log to its active
// segment; every write survives a restart.
func TestTruncateAfterFlush(t *testing.T) {
	const (
		dbs   = 3
		keys  = 768 // 768 KiB of values per database
		batch = 16
	)
	e := newEngine(t, wal.Options{Sync: wal.SyncNone, SegmentSize: 64 << 10}, 64<<20,
		storage.Options{FlushInterval: 200 * time.Millisecond},
		storage.CacheOptions{Idle: time.Hour})
	peak := 0
	for i := 0; i < keys; i += batch {
		for id := uint64(1); id <= dbs; id++ {
			db, release, err := e.mgr.Acquire(id)
			if err != nil {
				t.Fatal(err)
			}
			err = engWrite(db, id, i, i+batch)
			release()
			if err != nil {
				t.Fatal(err)
			}
		}
		peak = max(peak, e.log.Stats().Segments)
	}
	atEnd := engSegments(t, e.dir)
	t.Logf("segments: peak %d while writing, %d after", peak, atEnd)
	if peak < 8 {
		t.Fatalf("the log peaked at %d segments; the test wants many", peak)
	}
	start := time.Now()
	deadline := start.Add(5 * time.Second)
	// The directory and the log's own count (which Truncate updates just after each
	// removal) both come down.
	n, counted := atEnd, peak
	for time.Now().Before(deadline) {
		n, counted = engSegments(t, e.dir), e.log.Stats().Segments
		if n <= 2 && counted <= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n > 2 || counted > 2 {
		t.Fatalf("%d segment files (the log counts %d) are left 5 s after the writes; want at most 2 (flushed and truncated)",
			n, counted)
	}
	t.Logf("truncated to %d segment(s) %v after the writes", n, time.Since(start).Round(time.Millisecond))
	e.restart()
	for id := uint64(1); id <= dbs; id++ {
		engCheckVia(t, e.mgr, id, keys)
	}
}

// TestCleanStopLeavesNothingToReplay: after the manager and the log close cleanly, every
// frame is in a file, so the log retires them: the restart replays no frame and opens no
// database to find out, and every write is still there.
func TestCleanStopLeavesNothingToReplay(t *testing.T) {
	e := newEngine(t, wal.Options{Sync: wal.SyncAlways}, 64<<20, storage.Options{FlushInterval: time.Hour},
		storage.CacheOptions{Idle: time.Hour})
	for id := uint64(1); id <= 5; id++ {
		db, release, err := e.mgr.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		err = engWrite(db, id, 0, 20)
		release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.log.Stats().NextSeq; got < 6 {
		t.Fatalf("next seq %d after five writes", got)
	}
	e.stop()
	e.start()
	if st := e.log.Stats(); st.FramesAtOpen != 0 || st.Segments != 1 {
		t.Fatalf("after a clean stop the log opened with %d frames in %d segments; want none in one",
			st.FramesAtOpen, st.Segments)
	}
	for id := uint64(1); id <= 5; id++ {
		engCheckVia(t, e.mgr, id, 20)
	}
	// And the numbering goes on from where it was.
	db, release, err := e.mgr.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	err = engWrite(db, 1, 20, 21)
	release()
	if err != nil {
		t.Fatal(err)
	}
	if st := e.log.Stats(); st.NextSeq < 7 {
		t.Fatalf("next seq %d after the restart: numbering went back", st.NextSeq)
	}
}
