package server_test

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/storage"
)

// TestWatchNoLostUpdates: optimistic increments from 16 clients (WATCH, GET, MULTI SET
// EXEC, retried on abort) lose nothing: the final value is the number of EXECs that
// succeeded. It lost updates when a write earlier in the same group commit as an EXEC
// was announced to WATCHers only after the commit.
func TestWatchNoLostUpdates(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{Sync: storage.SyncNone})
	var wins atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < 16; c++ {
		rdb := tClient(t, srv.Addr(), id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				err := rdb.Watch(tCtx, func(tx *redis.Tx) error {
					n, err := tx.Get(tCtx, "k").Int64()
					if err != nil && !errors.Is(err, redis.Nil) {
						return err
					}
					_, err = tx.TxPipelined(tCtx, func(p redis.Pipeliner) error {
						p.Set(tCtx, "k", strconv.FormatInt(n+1, 10), 0)
						return nil
					})
					return err
				}, "k")
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, redis.TxFailedErr):
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := tClient(t, srv.Addr(), id).Get(tCtx, "k").Int64()
	tNoErr(t, "GET k", err)
	tEq(t, "final value = successful EXECs", got, wins.Load())
}

// TestWatchExpiryWithoutData: a watched key that expires before an EXEC of no data
// command aborts it too (Redis 7), though that EXEC opens no transaction.
func TestWatchExpiryWithoutData(t *testing.T) {
	clock := tNewClock()
	srv, id := tServer(t, herodbtest.Options{Clock: clock})
	c := tSelected(t, srv.Addr(), id)
	tEq(t, "SET PX", c.do("SET", "k", "v", "PX", "1000"), tOK)
	tEq(t, "WATCH", c.do("WATCH", "k"), tOK)
	clock.Add(2 * time.Second)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "PING queued", c.do("PING"), "+QUEUED\r\n")
	tEq(t, "EXEC", c.do("EXEC"), tNilA)
}
