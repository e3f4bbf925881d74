package storage_test

// The file cache: one open per database, opens that block no other database, failed
// opens retried, and Remove/Close/idle close meeting an open in progress without leaking
// a file or handing out a closed one.

import (
	"errors"
	"fmt"
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
)

// mgrLimit bounds every wait below; hitting it means a hang, not slowness.
const mgrLimit = 10 * time.Second

// mgrUnlock is an UnlockFunc whose calls are counted per id and that can be held at a
// gate per id, to pin an open in progress.
type mgrUnlock struct {
	mu      sync.Mutex
	calls   map[uint64]int
	gates   map[uint64]chan struct{} // closed: let the open go on
	entered map[uint64]chan struct{} // closed when an open of id reached the gate
	fail    map[uint64]int           // how many more calls of id fail
	keys    map[uint64][]byte        // one data key per id, as a real keyring would be
}

var errMgrUnlock = errors.New("test unlock refused")

func newMgrUnlock() *mgrUnlock {
	return &mgrUnlock{calls: map[uint64]int{}, gates: map[uint64]chan struct{}{},
		entered: map[uint64]chan struct{}{}, fail: map[uint64]int{}, keys: map[uint64][]byte{}}
}

// hold makes the next opens of id wait until the returned func is called.
func (u *mgrUnlock) hold(t *testing.T, id uint64) (entered <-chan struct{}, let func()) {
	gate, in := make(chan struct{}), make(chan struct{})
	u.mu.Lock()
	u.gates[id], u.entered[id] = gate, in
	u.mu.Unlock()
	var once sync.Once
	let = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(let) // never leave an open pinned, even when the test fails
	return in, let
}

func (u *mgrUnlock) unlock(id uint64) (storage.Unlocked, error) {
	u.mu.Lock()
	u.calls[id]++
	gate, in := u.gates[id], u.entered[id]
	failing := u.fail[id] > 0
	if failing {
		u.fail[id]--
	}
	if u.keys[id] == nil {
		u.keys[id] = crypto.Random(crypto.KeySize)
	}
	key := u.keys[id]
	if in != nil {
		select {
		case <-in:
		default:
			close(in)
		}
	}
	u.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if failing {
		return storage.Unlocked{}, errMgrUnlock
	}
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: key})
	return storage.Unlocked{Keys: kr}, err
}

func (u *mgrUnlock) count(id uint64) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[id]
}

func newMgr(t *testing.T, idle time.Duration) (*storage.Manager, *mgrUnlock, string) {
	t.Helper()
	dir := t.TempDir()
	u := newMgrUnlock()
	m := storage.NewManager(dir, storage.Options{Sync: storage.SyncNone}, storage.CacheOptions{Idle: idle}, u.unlock)
	t.Cleanup(m.Close)
	return m, u, dir
}

type mgrResult struct {
	db      *storage.DB
	release func()
	err     error
}

func goAcquire(m *storage.Manager, id uint64) <-chan mgrResult {
	ch := make(chan mgrResult, 1)
	go func() {
		db, release, err := m.Acquire(id)
		ch <- mgrResult{db, release, err}
	}()
	return ch
}

func mgrWait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(mgrLimit):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not return in %v; goroutines:\n%s", what, mgrLimit, buf)
	}
	panic("unreachable")
}

func mgrDone(f func()) <-chan struct{} {
	ch := make(chan struct{})
	go func() { f(); close(ch) }()
	return ch
}

// openFDs counts this process's descriptors open on files of dir (Linux; -1 elsewhere).
func openFDs(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(os.PathSeparator)) {
			n++
		}
	}
	return n
}

func usable(db *storage.DB) error { return db.View(func(*storage.Tx) error { return nil }) }

// TestManagerOneOpenPerID: concurrent Acquires of one closed database open it once and
// all get the same, usable file.
func TestManagerOneOpenPerID(t *testing.T) {
	m, u, _ := newMgr(t, 0)
	entered, let := u.hold(t, 1)
	var results []<-chan mgrResult
	for i := 0; i < 16; i++ {
		results = append(results, goAcquire(m, 1))
	}
	mgrWait(t, entered, "the first open")
	time.Sleep(50 * time.Millisecond) // the other 15 are waiting by now (or soon will be)
	let()
	var first *storage.DB
	for i, ch := range results {
		r := mgrWait(t, ch, fmt.Sprintf("Acquire #%d", i))
		if r.err != nil {
			t.Fatalf("Acquire #%d: %v", i, r.err)
		}
		if first == nil {
			first = r.db
		} else if r.db != first {
			t.Fatalf("Acquire #%d got another *DB: the file was opened twice", i)
		}
		if err := usable(r.db); err != nil {
			t.Fatalf("Acquire #%d: %v", i, err)
		}
		r.release()
		r.release() // twice is harmless
	}
	if n := u.count(1); n != 1 {
		t.Fatalf("unlock called %d times for one database, want 1", n)
	}
}

// TestManagerOpenDoesNotBlockOthers: while one database's open is stuck (its UnlockFunc
// blocks), other databases open, are used, released and listed.
func TestManagerOpenDoesNotBlockOthers(t *testing.T) {
	m, u, _ := newMgr(t, 0)
	db2, rel2, err := m.Acquire(2) // open before the stall too
	if err != nil {
		t.Fatal(err)
	}
	entered, let := u.hold(t, 1)
	stuck := goAcquire(m, 1)
	mgrWait(t, entered, "the open of 1")

	r := mgrWait(t, goAcquire(m, 3), "Acquire(3) while 1 is opening")
	if r.err != nil {
		t.Fatalf("Acquire(3): %v", r.err)
	}
	if err := usable(r.db); err != nil {
		t.Fatal(err)
	}
	r.release()
	mgrWait(t, mgrDone(rel2), "release of 2 while 1 is opening")
	again := mgrWait(t, goAcquire(m, 2), "Acquire(2) again while 1 is opening")
	if again.err != nil || again.db != db2 {
		t.Fatalf("Acquire(2) again: %v (same file: %v)", again.err, again.db == db2)
	}
	again.release()
	var listed []uint64
	mgrWait(t, mgrDone(func() { m.Each(func(id uint64, _ *storage.DB) { listed = append(listed, id) }) }),
		"Each while 1 is opening")
	if fmt.Sprint(listed) != "[2 3]" {
		t.Fatalf("Each listed %v, want [2 3] (not the one still opening)", listed)
	}
	select {
	case <-stuck:
		t.Fatal("Acquire(1) returned before its open was let go")
	default:
	}
	let()
	s := mgrWait(t, stuck, "Acquire(1)")
	if s.err != nil {
		t.Fatal(s.err)
	}
	s.release()
}

// TestManagerFailedOpenNotCached: an open that fails fails for everyone waiting on it,
// and the next Acquire tries again.
func TestManagerFailedOpenNotCached(t *testing.T) {
	m, u, _ := newMgr(t, 0)
	u.mu.Lock()
	u.fail[1] = 1
	u.mu.Unlock()
	entered, let := u.hold(t, 1)
	a, b := goAcquire(m, 1), goAcquire(m, 1)
	mgrWait(t, entered, "the open of 1")
	time.Sleep(20 * time.Millisecond)
	let()
	for _, ch := range []<-chan mgrResult{a, b} {
		if r := mgrWait(t, ch, "Acquire(1)"); !errors.Is(r.err, errMgrUnlock) {
			t.Fatalf("Acquire(1) during the failing open: %v, want the unlock error", r.err)
		}
	}
	db, release, err := m.Acquire(1)
	if err != nil {
		t.Fatalf("Acquire(1) after a failed open: %v (the failure was cached)", err)
	}
	defer release()
	if err := usable(db); err != nil {
		t.Fatal(err)
	}
}

// TestManagerRemoveDuringOpen: Remove waits for the open in progress, closes what it
// opened and deletes the file; the Acquire gets an error, never a closed file.
func TestManagerRemoveDuringOpen(t *testing.T) {
	m, u, dir := newMgr(t, 0)
	entered, let := u.hold(t, 1)
	acq := goAcquire(m, 1)
	mgrWait(t, entered, "the open of 1")
	removed := make(chan error, 1)
	go func() { removed <- m.Remove(1) }()
	time.Sleep(20 * time.Millisecond)
	let()
	if err := mgrWait(t, removed, "Remove(1)"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	r := mgrWait(t, acq, "Acquire(1)")
	if r.err == nil {
		r.release()
		if err := usable(r.db); err == nil {
			t.Fatal("Acquire(1) racing Remove(1) returned a file that is still open after Remove")
		}
		t.Fatal("Acquire(1) racing Remove(1) returned a closed file")
	}
	if !errors.Is(r.err, storage.ErrClosed) {
		t.Fatalf("Acquire(1) racing Remove(1): %v, want ErrClosed", r.err)
	}
	if _, err := os.Stat(m.Path(1)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file of 1 after Remove: %v", err)
	}
	if n := openFDs(t, dir); n > 0 {
		t.Fatalf("%d descriptors still open in the directory after Remove", n)
	}
}

// TestManagerRemoveInUse: Remove never closes a file under a command: the holder
// finishes on it, its release closes it; nobody gets the removed file afterwards.
func TestManagerRemoveInUse(t *testing.T) {
	m, u, dir := newMgr(t, 0)
	db, release, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := mgrWait(t, goRemove(m, 1), "Remove(1) of a file in use"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.Path(1)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file of 1 after Remove: %v", err)
	}
	if err := db.Update(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
		return err
	}); err != nil {
		t.Fatalf("the command holding the file when it was removed: %v", err)
	}
	u.mu.Lock()
	u.fail[1] = 1 << 30 // as admin does: the key is gone, no open can succeed
	u.mu.Unlock()
	if _, _, err := m.Acquire(1); err == nil {
		t.Fatal("Acquire(1) after Remove succeeded")
	}
	release()
	if err := usable(db); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("the removed file after its last release: %v, want ErrClosed", err)
	}
	if n := openFDs(t, dir); n > 0 {
		t.Fatalf("%d descriptors still open in the directory after the last release", n)
	}
}

func goRemove(m *storage.Manager, id uint64) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- m.Remove(id) }()
	return ch
}

// TestManagerCloseDuringOpen: Close waits for the open in progress and closes it; the
// Acquire gets ErrClosed; nothing stays open.
func TestManagerCloseDuringOpen(t *testing.T) {
	m, u, dir := newMgr(t, 0)
	if _, rel, err := m.Acquire(2); err != nil {
		t.Fatal(err)
	} else {
		rel()
	}
	entered, let := u.hold(t, 1)
	acq := goAcquire(m, 1)
	mgrWait(t, entered, "the open of 1")
	closed := mgrDone(m.Close)
	time.Sleep(20 * time.Millisecond)
	if r := mgrWait(t, goAcquire(m, 3), "Acquire(3) during Close"); !errors.Is(r.err, storage.ErrClosed) {
		t.Fatalf("Acquire(3) during Close: %v, want ErrClosed", r.err)
	}
	let()
	mgrWait(t, closed, "Close")
	if r := mgrWait(t, acq, "Acquire(1)"); !errors.Is(r.err, storage.ErrClosed) {
		t.Fatalf("Acquire(1) racing Close: %v, want ErrClosed", r.err)
	}
	if n := openFDs(t, dir); n > 0 {
		t.Fatalf("%d descriptors still open in the directory after Close", n)
	}
}

// TestManagerIdleCloseAndReopen: files close when idle, never while in use, and a reopen
// racing the idle close waits for it instead of failing on bbolt's file lock.
func TestManagerIdleCloseAndReopen(t *testing.T) {
	m, u, dir := newMgr(t, time.Millisecond)
	db, release, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond) // two sweeps: in use, so still open
	if err := usable(db); err != nil {
		t.Fatalf("a file in use was closed by the idle sweep: %v", err)
	}
	release()
	deadline := time.Now().Add(5 * time.Second)
	for u.count(1) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if db, rel, err := m.Acquire(1); err != nil {
			t.Fatal(err)
		} else {
			if err := usable(db); err != nil {
				t.Fatalf("Acquire returned a closed file: %v", err)
			}
			rel()
		}
		time.Sleep(150 * time.Millisecond)
	}
	if u.count(1) < 2 {
		t.Fatal("an idle file was never closed and reopened")
	}

	// Hammer: acquires of a few ids racing the sweeper's closes.
	var wg sync.WaitGroup
	var bad atomic.Value
	stop := time.Now().Add(1500 * time.Millisecond)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				id := uint64(1 + (g+i)%3)
				db, rel, err := m.Acquire(id)
				if err != nil {
					bad.Store(fmt.Errorf("Acquire(%d): %w", id, err))
					return
				}
				if err := usable(db); err != nil {
					bad.Store(fmt.Errorf("Acquire(%d) returned a closed file: %w", id, err))
				}
				rel()
				time.Sleep(time.Duration(i%7) * 10 * time.Millisecond)
			}
		}(g)
	}
	mgrWait(t, mgrDone(wg.Wait), "the idle-close hammer")
	if err, _ := bad.Load().(error); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if n := openFDs(t, dir); n > 0 {
		t.Fatalf("%d descriptors still open in the directory after Close", n)
	}
}
