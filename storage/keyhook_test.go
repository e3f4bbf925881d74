package storage_test

import (
	"slices"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// keyEvents runs fn in a write transaction with a key hook and returns what it was told,
// as "new:k", "deleted:k" and "expired:k".
func keyEvents(t *testing.T, e *env, fn func(tx *storage.Tx) error) []string {
	t.Helper()
	var got []string
	if err := e.db.Update(func(tx *storage.Tx) error {
		got = got[:0]
		tx.SetKeyHook(func(ev storage.KeyEvent, name []byte) {
			kind := map[storage.KeyEvent]string{storage.KeyNew: "new", storage.KeyDeleted: "deleted", storage.KeyExpired: "expired"}[ev]
			got = append(got, kind+":"+string(name))
		})
		return fn(tx)
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestKeyHookNewAndExpired(t *testing.T) {
	e := newEnv(t)
	setK := func(name string, opt storage.SetOptions) func(tx *storage.Tx) error {
		return func(tx *storage.Tx) error { _, err := tx.Set([]byte(name), []byte("v"), opt); return err }
	}
	if got := keyEvents(t, e, setK("k", storage.SetOptions{ExpireAt: e.now() + 1000})); !slices.Equal(got, []string{"new:k"}) {
		t.Fatalf("SET of a new key told %q", got)
	}
	if got := keyEvents(t, e, setK("k", storage.SetOptions{KeepTTL: true})); len(got) != 0 {
		t.Fatalf("SET of an existing key told %q", got)
	}
	e.clock.Add(2 * time.Second)
	// A read finds the key gone but deletes nothing: nothing to tell.
	wantAbsent(t, e, "k")
	// A write that looks the key up deletes it (lazy expiry), then makes it anew.
	if got := keyEvents(t, e, setK("k", storage.SetOptions{})); !slices.Equal(got, []string{"deleted:k", "expired:k", "new:k"}) {
		t.Fatalf("SET over an expired key told %q", got)
	}
	if got := keyEvents(t, e, func(tx *storage.Tx) error {
		_, err := tx.RPush([]byte("l"), bs("a", "b"), false)
		return err
	}); !slices.Equal(got, []string{"new:l"}) {
		t.Fatalf("RPUSH of a new list told %q", got)
	}
	// A string set over the list replaces the key: deleted, then made anew.
	if got := keyEvents(t, e, setK("l", storage.SetOptions{})); !slices.Equal(got, []string{"deleted:l", "new:l"}) {
		t.Fatalf("SET over a list told %q", got)
	}
	if got := keyEvents(t, e, func(tx *storage.Tx) error { _, err := tx.Del([]byte("l")); return err }); !slices.Equal(got, []string{"deleted:l"}) {
		t.Fatalf("DEL told %q", got)
	}
}

// sweepManager is a file cache on a manual clock, for the expiry sweep's tests.
func sweepManager(t *testing.T) (*storage.Manager, *storage.ManualClock, chan []string) {
	t.Helper()
	clock := storage.NewManualClock(time.Unix(1_700_000_000, 0))
	u := newMgrUnlock()
	m := storage.NewManager(t.TempDir(), storage.Options{Sync: storage.SyncNone, Clock: clock}, storage.CacheOptions{}, u.unlock)
	t.Cleanup(m.Close)
	return m, clock, make(chan []string, 10)
}

func TestSweepHook(t *testing.T) {
	m, clock, told := sweepManager(t)
	m.OnSweep(func(id uint64) func([][]byte) {
		if id != 7 {
			return nil // no one listens to the others: their sweep goes on alone
		}
		return func(names [][]byte) { told <- strs(names) }
	})
	for _, id := range []uint64{7, 8} {
		db, release, err := m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		now := clock.Now().UnixMilli()
		if err := db.Update(func(tx *storage.Tx) error {
			for _, k := range []string{"a", "b"} {
				if _, err := tx.Set([]byte(k), []byte("v"), storage.SetOptions{ExpireAt: now + 1000}); err != nil {
					return err
				}
			}
			_, err := tx.Set([]byte("kept"), []byte("v"), storage.SetOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		release()
	}
	clock.Add(2 * time.Second)
	select {
	case got := <-told:
		if !slices.Equal(sorted(got), []string{"a", "b"}) {
			t.Fatalf("sweep told %q, want a and b", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sweeper told nothing")
	}
	// Database 8, whose hook answered nil, was swept all the same.
	deadline := time.Now().Add(10 * time.Second)
	for {
		db, release, err := m.Acquire(8)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		db.View(func(tx *storage.Tx) error { n = tx.DBSize(); return nil })
		release()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database 8 keeps %d keys after the sweep", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case got := <-told:
		t.Fatalf("a second sweep told %q", got)
	default:
	}
}

// TestSweepAfterAnEmptyIndex: a database the sweep found with no expiring key is skipped
// by later sweeps until a write puts an expiry into it; that write must bring the sweep
// back, or the key would never be swept (nor its "expired" event told).
func TestSweepAfterAnEmptyIndex(t *testing.T) {
	m, clock, told := sweepManager(t)
	m.OnSweep(func(uint64) func([][]byte) { return func(names [][]byte) { told <- strs(names) } })
	db, release, err := m.Acquire(7)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := db.Update(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("kept"), []byte("v"), storage.SetOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(350 * time.Millisecond) // a few sweeps (every 100 ms) find nothing to expire
	for round := range 2 {
		at := clock.Now().UnixMilli() + 1000
		if err := db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set([]byte("a"), []byte("v"), storage.SetOptions{ExpireAt: at})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond) // sweeps before it is due skip the database
		clock.Add(2 * time.Second)
		select {
		case got := <-told:
			if !slices.Equal(got, []string{"a"}) {
				t.Fatalf("round %d: the sweep told %q, want a", round, got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: the key's expiry was never swept", round)
		}
	}
}
