package storage

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
)

// TestKeyCountFollowsEveryChange: the key count DBSIZE reads (a counter in the file, not
// a walk) equals the keys bucket's entries after every command of a random mix that
// creates, overwrites with another type, renames, empties, expires and flushes keys,
// across reopening the file; a file from before the counter counts once, on its first
// change.
func TestKeyCountFollowsEveryChange(t *testing.T) {
	clock := NewManualClock(time.Unix(1_700_000_000, 0))
	path := filepath.Join(t.TempDir(), "1.db")
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	open := func() *DB {
		db, err := Open(path, 1, Options{Sync: SyncNone, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Unlock(kr); err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	rng := rand.New(rand.NewPCG(1, 2))
	name := func() []byte { return []byte(fmt.Sprintf("k%02d", rng.IntN(40))) }
	ops := []func(tx *Tx) error{
		func(tx *Tx) error { _, err := tx.Set(name(), []byte("v"), SetOptions{}); return err },
		func(tx *Tx) error {
			_, err := tx.Set(name(), []byte("v"), SetOptions{ExpireAt: tx.Now() + 1000})
			return err
		},
		func(tx *Tx) error { _, err := tx.Del(name()); return err },
		func(tx *Tx) error { _, err := tx.HSet(name(), [][]byte{[]byte("f"), []byte("v")}); return err },
		func(tx *Tx) error { _, err := tx.HDel(name(), [][]byte{[]byte("f")}); return err },
		func(tx *Tx) error { _, err := tx.RPush(name(), [][]byte{[]byte("a"), []byte("b")}, false); return err },
		func(tx *Tx) error { _, err := tx.LPop(name(), 1); return err },
		func(tx *Tx) error { _, err := tx.Rename(name(), name(), rng.IntN(2) == 0); return err },
		func(tx *Tx) error { _, err := tx.IncrBy(name(), 1); return err },
		func(tx *Tx) error { _, err := tx.SweepExpired(5); return err },
		func(tx *Tx) error { _, _, err := tx.LMove(name(), name(), true, false); return err },
		func(tx *Tx) error {
			if rng.IntN(20) == 0 {
				return tx.Flush()
			}
			return nil
		},
	}
	check := func(step int) {
		t.Helper()
		if err := db.View(func(tx *Tx) error {
			if got, want := tx.DBSize(), countEntries(tx.keyB); got != want {
				t.Fatalf("step %d: DBSIZE %d, keys bucket %d", step, got, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for step := 0; step < 3000; step++ {
		op := ops[rng.IntN(len(ops))]
		err := db.Update(op)
		if err != nil && err != ErrWrongType && err != ErrNoSuchKey && err != ErrNotInteger {
			t.Fatalf("step %d: %v", step, err)
		}
		if step%7 == 0 {
			clock.Add(300 * time.Millisecond) // some keys expire, to be swept
		}
		check(step)
		if step%500 == 499 {
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = open()
			check(step)
		}
	}
	// A file from before the counter: its first change counts the keys once.
	if err := db.Update(func(tx *Tx) error { return tx.sysB.Delete([]byte(sysKeyCount)) }); err != nil {
		t.Fatal(err)
	}
	check(-1)
	if err := db.Update(func(tx *Tx) error { _, err := tx.Set([]byte("brand-new-key"), []byte("v"), SetOptions{}); return err }); err != nil {
		t.Fatal(err)
	}
	check(-2)
	db.Close()
}

// BenchmarkDBSize: DBSIZE of a database holding 100,000 keys (a counter read; it walked
// every key before).
func BenchmarkDBSize(b *testing.B) {
	kr, _ := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	db, err := Open(filepath.Join(b.TempDir(), "1.db"), 1, Options{Sync: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(kr); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if err := db.Update(func(tx *Tx) error {
			for j := 0; j < 1000; j++ {
				if _, err := tx.Set([]byte(fmt.Sprintf("key:%d:%d", i, j)), []byte("v"), SetOptions{}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := db.View(func(tx *Tx) error {
			if n := tx.DBSize(); n != 100000 {
				b.Fatalf("DBSIZE %d", n)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
