package storage

import (
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
)

// TestViewsConsistentUnderFlushes: writers commit pairs (a:i and b:i, the same value, in
// one transaction) and bump a counter in the same transaction, while readers check pairs,
// walk the keyspace, and flushes swap and commit layers as fast as they can (a 1 MiB
// buffer and a tight loop of flushNow). A reader must never see half a transaction, a key
// that vanished between a flush's commit and its swap, or a count that goes back.
func TestViewsConsistentUnderFlushes(t *testing.T) {
	SetLogger(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { SetLogger(nil) })
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32), buffer: 1 << 20,
		keys: map[uint64][]byte{1: crypto.Random(crypto.KeySize)}}
	n.start()
	t.Cleanup(n.stop)
	db, release, err := n.m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
		stop.Store(true)
	}
	var written atomic.Int64
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k := strconv.Itoa(w*1_000_000 + i%300) // overwrites, so flushes coalesce
				v := []byte(fmt.Sprint(i))
				err := db.Update(func(tx *Tx) error {
					for _, name := range []string{"a:" + k, "b:" + k} {
						if _, err := tx.Set([]byte(name), v, SetOptions{}); err != nil {
							return err
						}
					}
					_, err := tx.IncrBy([]byte("count"), 1)
					return err
				})
				if err != nil {
					fail(err)
					return
				}
				written.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() { // flushes back to back
		defer wg.Done()
		for !stop.Load() {
			if err := db.flushNow(); err != nil {
				fail(err)
			}
		}
	}()
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := int64(0)
			for !stop.Load() {
				err := db.View(func(tx *Tx) error {
					c, _, err := tx.Get([]byte("count"))
					if err != nil {
						return err
					}
					count, _ := strconv.ParseInt(string(c), 10, 64)
					if count < last {
						return fmt.Errorf("count went back: %d after %d", count, last)
					}
					last = count
					names, err := tx.Keys([]byte("a:*"))
					if err != nil {
						return err
					}
					for _, a := range names {
						av, aok, err := tx.Get(a)
						if err != nil {
							return err
						}
						bv, bok, err := tx.Get(append([]byte("b:"), a[2:]...))
						if err != nil {
							return err
						}
						if !aok || !bok || string(av) != string(bv) {
							return fmt.Errorf("%s = %q (%v) but its pair = %q (%v): half a transaction", a, av, aok, bv, bok)
						}
					}
					if int64(len(names)) > count {
						return fmt.Errorf("%d pairs but count %d", len(names), count)
					}
					return nil
				})
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if written.Load() < 100 {
		t.Fatalf("only %d transactions in 2 s", written.Load())
	}
	st := db.Stats()
	t.Logf("%d transactions, %d commits", written.Load(), st.Commits)
}
