package admin

// Finding 3 of issue 11: parallel createDatabase calls racing the opening of closed
// database files deadlocked the server (Admin.mu ↔ Manager.mu). These tests fail by
// timeout, with every goroutine's stack, when the cycle comes back.

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// dlHangLimit is how long a storm may take before it counts as hung. The storms below
// take about two seconds; this only has to be far above that on a loaded machine.
const dlHangLimit = 30 * time.Second

// dlWait fails the test with a goroutine dump if done is not closed in time.
func dlWait(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(dlHangLimit):
		buf := make([]byte, 1<<22)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not finish in %v (deadlock?); goroutines:\n%s", what, dlHangLimit, buf)
	}
}

// dlOpen opens an admin whose files close after 1 ms idle, so the sweeper (every 100 ms)
// keeps closing them and every Acquire below has a fair chance of opening a file.
// There is no t.Cleanup: on a hang, Close would hang too and mask the dump.
func dlOpen(t *testing.T) *Admin {
	t.Helper()
	a := openAdmin(t, Config{Secret: []byte("deadlock-test-admin-secret"), IdleClose: time.Millisecond})
	a.guard.sleep = func(time.Duration) {}
	return a
}

// dlClose closes a within the hang limit.
func dlClose(t *testing.T, a *Admin) {
	t.Helper()
	done := make(chan struct{})
	go func() { a.Close(); close(done) }()
	dlWait(t, done, "Admin.Close")
}

// TestDeadlockCreateDatabaseVsAcquire is the reviewer's reproduction in-process: 8
// goroutines create databases while 8 others open databases whose files are closed.
func TestDeadlockCreateDatabaseVsAcquire(t *testing.T) {
	a := dlOpen(t)
	var ids []uint64
	for i := 0; i < 16; i++ {
		d, err := a.CreateDatabase(CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		ids = append(ids, d.ID)
	}
	time.Sleep(300 * time.Millisecond) // the sweeper closes every file

	deadline := time.Now().Add(2 * time.Second)
	var created, acquired atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 8; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, err := a.CreateDatabase(CreateOptions{}); err != nil {
					errs <- fmt.Errorf("create: %w", err)
					return
				}
				created.Add(1)
			}
		}()
		go func(w int) {
			defer wg.Done()
			for i := w; time.Now().Before(deadline); i++ {
				db, release, err := a.Acquire(ids[i%len(ids)])
				if err != nil {
					errs <- fmt.Errorf("acquire %d: %w", ids[i%len(ids)], err)
					return
				}
				if err := db.View(func(*storage.Tx) error { return nil }); err != nil {
					errs <- fmt.Errorf("acquire %d returned a file that fails: %w", ids[i%len(ids)], err)
					release()
					return
				}
				release()
				acquired.Add(1)
				if i%8 == 0 {
					time.Sleep(2 * time.Millisecond) // let the sweeper close it again
				}
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	dlWait(t, done, "8 creators and 8 acquirers")
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d databases created, %d acquires", created.Load(), acquired.Load())
	if created.Load() == 0 || acquired.Load() == 0 {
		t.Fatalf("the storm did nothing: %d created, %d acquired", created.Load(), acquired.Load())
	}
	dlClose(t, a)
}

// TestDeadlockManagementStorm mixes every management call that touches the file cache
// (create, delete, access keys, info) with opens of live, closed and deleted databases.
func TestDeadlockManagementStorm(t *testing.T) { dlStorm(t, dlOpen(t)) }

// TestDeadlockManagementStormTinyRegistryCache: the same storm with room for 4
// registrations in memory, so nearly every lookup reads DB 0 and snapshots are dropped
// and read again under the storm (registry_cache.go); a key just added must open its
// database every time.
func TestDeadlockManagementStormTinyRegistryCache(t *testing.T) {
	a := openAdmin(t, Config{Secret: []byte("deadlock-test-admin-secret"), IdleClose: time.Millisecond, RegistryCache: 4})
	a.guard.sleep = func(time.Duration) {}
	dlStorm(t, a)
}

func dlStorm(t *testing.T, a *Admin) {
	var mu sync.Mutex
	var live []uint64
	for i := 0; i < 8; i++ {
		d, err := a.CreateDatabase(CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		live = append(live, d.ID)
	}
	pick := func(i int) uint64 {
		mu.Lock()
		defer mu.Unlock()
		return live[i%len(live)]
	}
	deadline := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 256)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for w := 0; w < 8; w++ {
		wg.Add(2)
		go func(w int) { // management
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				d, err := a.CreateDatabase(CreateOptions{})
				if err != nil {
					report(fmt.Errorf("create: %w", err))
					return
				}
				key := fmt.Sprintf("storm-access-key-%03d-%06d", w, i)
				if err := a.AddAccessKey(d.ID, key, AccessReadWrite); err != nil {
					report(fmt.Errorf("add key: %w", err))
				}
				if g, err := a.Recheck([]byte(key)); err != nil || g.Access(d) != AccessReadWrite {
					report(fmt.Errorf("the key just added to database %d: %v, %v", d.ID, g, err))
				}
				if _, err := a.DatabaseInfo(d.ID); err != nil {
					report(fmt.Errorf("info: %w", err))
				}
				if err := a.DeleteAccessKey(d.ID, crypto.SHA256Hex([]byte(key))); err != nil {
					report(fmt.Errorf("delete key: %w", err))
				}
				if i%2 == 0 {
					if err := a.DeleteDatabase(d.ID); err != nil {
						report(fmt.Errorf("delete: %w", err))
					}
				} else {
					mu.Lock()
					live = append(live, d.ID)
					mu.Unlock()
				}
			}
		}(w)
		go func(w int) { // data plane: opens of whatever exists, and of deleted ones
			defer wg.Done()
			for i := w; time.Now().Before(deadline); i++ {
				id := pick(i)
				if i%5 == 0 {
					id += 1 // often a deleted or not yet created one: an error, never a hang
				}
				db, release, err := a.Acquire(id)
				if err != nil {
					// Deleted, or not created yet: a not-found error, never another kind.
					if ErrorCode(err) != ENOTFOUND {
						report(fmt.Errorf("acquire %d: %w", id, err))
					}
					continue
				}
				// Even a database deleted meanwhile keeps its file open for this user
				// until it releases it: a command never has its file closed under it.
				if err := db.View(func(*storage.Tx) error { return nil }); err != nil {
					report(fmt.Errorf("acquire %d, then read: %w", id, err))
				}
				release()
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	dlWait(t, done, "the management storm")
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	dlClose(t, a)
}

// TestDatabaseInfoRacingDelete: a databaseInfo that races the database's deletion answers
// the info or "does not exist", never the storage layer's "database is closed" (the
// management stress test met it once on a clean clone). The race is an info opening a
// closed file while the deletion takes it out of the cache; with two files open at most,
// the infos of 16 databases keep closing each other's files.
func TestDatabaseInfoRacingDelete(t *testing.T) {
	a := openAdmin(t, Config{Secret: []byte("deadlock-test-admin-secret"), MaxOpenDBs: 2})
	a.guard.sleep = func(time.Duration) {}
	defer dlClose(t, a)
	for round := 0; round < 20; round++ {
		var ids []uint64
		for i := 0; i < 16; i++ {
			d, err := a.CreateDatabase(CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					_, err := a.DatabaseInfo(ids[(n+g)%len(ids)])
					if err == nil {
						continue
					}
					if ErrorCode(err) != ENOTFOUND {
						errs <- err
						return
					}
					if _, err := a.DatabaseInfo(ids[len(ids)-1]); err != nil {
						return // all deleted
					}
				}
			}()
		}
		for _, id := range ids {
			if err := a.DeleteDatabase(id); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if ErrorCode(err) != ENOTFOUND {
				t.Fatalf("databaseInfo racing deleteDatabase answered %v (code %s), want not_found", err, ErrorCode(err))
			}
		}
	}
}
