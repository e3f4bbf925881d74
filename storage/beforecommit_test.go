package storage_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestBeforeCommitOncePerBatch: 40 concurrent writers each register the same named
// function; it runs once per batch (at most one call per commit, at least one), before
// the batch is visible: a read inside it does not see the batch's keys.
func TestBeforeCommitOncePerBatch(t *testing.T) {
	e := newEnv(t)
	var calls, sawEarly atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, 40)
	before := e.db.Stats().Commits
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Appendf(nil, "k%d", i)
			errs[i] = e.db.Update(func(tx *storage.Tx) error {
				if _, err := tx.Set(key, []byte("v"), storage.SetOptions{}); err != nil {
					return err
				}
				return tx.BeforeCommit("count", func() error {
					calls.Add(1)
					if err := e.db.View(func(r *storage.Tx) error {
						if _, ok, _ := r.Get(key); ok {
							sawEarly.Add(1)
						}
						return nil
					}); err != nil {
						return err
					}
					return nil
				})
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	commits := e.db.Stats().Commits - before
	if n := calls.Load(); n < 1 || uint64(n) > commits {
		t.Fatalf("the function ran %d times over %d commits; want once per batch", n, commits)
	}
	if sawEarly.Load() != 0 {
		t.Fatalf("the function saw its batch's writes %d times: it must run before they are visible", sawEarly.Load())
	}
	t.Logf("40 writers, %d commits, %d calls", commits, calls.Load())
}

// TestBeforeCommitErrorFailsTheWrite: an error from the function fails the writer that
// registered it, and its writes are not made; a read-only transaction cannot register.
func TestBeforeCommitErrorFailsTheWrite(t *testing.T) {
	e := newEnv(t)
	boom := errors.New("the disk is gone")
	err := e.db.Update(func(tx *storage.Tx) error {
		if _, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{}); err != nil {
			return err
		}
		return tx.BeforeCommit("fail", func() error { return boom })
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want the function's error", err)
	}
	if err := e.db.View(func(tx *storage.Tx) error {
		if _, ok, _ := tx.Get([]byte("k")); ok {
			t.Error("the failed write's key is there")
		}
		return tx.BeforeCommit("ro", func() error { return nil })
	}); !errors.Is(err, storage.ErrReadOnlyTx) {
		t.Fatalf("BeforeCommit in View: %v, want ErrReadOnlyTx", err)
	}
}
