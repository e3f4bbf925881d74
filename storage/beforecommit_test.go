package storage_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestBeforeCommitOncePerBatch: 40 writers each register the same named function. The
// first holds the committer while the other 39 queue, so they share a batch: the
// function runs once per batch (a few calls, never one per writer), before the batch is
// visible: a read inside it does not see the batch's keys.
func TestBeforeCommitOncePerBatch(t *testing.T) {
	e := newEnv(t)
	var calls, sawEarly atomic.Int64
	gate := make(chan struct{})
	write := func(i int) error {
		key := fmt.Appendf(nil, "k%d", i)
		return e.db.Update(func(tx *storage.Tx) error {
			if i == 0 {
				<-gate
			}
			if _, err := tx.Set(key, []byte("v"), storage.SetOptions{}); err != nil {
				return err
			}
			return tx.BeforeCommit("count", func() error {
				calls.Add(1)
				return e.db.View(func(r *storage.Tx) error {
					if _, ok, _ := r.Get(key); ok {
						sawEarly.Add(1)
					}
					return nil
				})
			})
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 40)
	before := e.db.Stats().Commits
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = write(0) }()
	time.Sleep(50 * time.Millisecond) // writer 0 holds the committer
	for i := 1; i < len(errs); i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = write(i) }()
	}
	time.Sleep(100 * time.Millisecond) // the others queue behind it
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	commits := e.db.Stats().Commits - before
	if n := calls.Load(); n < 1 || uint64(n) > commits || n > 5 {
		t.Fatalf("the function ran %d times for 40 writers over %d commits; want once per batch", n, commits)
	}
	if sawEarly.Load() != 0 {
		t.Fatalf("the function saw its batch's writes %d times: it must run before they are visible", sawEarly.Load())
	}
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
