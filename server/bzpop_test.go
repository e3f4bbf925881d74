package server_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestBZPopWakes: BZPOPMIN, BZPOPMAX and BZMPOP wait for a ZADD from another connection
// of the same database, never one of another database, and answer nil at their timeout.
func TestBZPopWakes(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	other := srv.CreateDatabase(t, "other", true)
	waiter, pusher := tClient(t, srv.Addr(), db), tClient(t, srv.Addr(), db)
	stranger := tClient(t, srv.Addr(), other)

	got := make(chan *redis.ZWithKey, 1)
	go func() {
		v, err := waiter.BZPopMin(tCtx, 0, "jobs").Result()
		if err != nil {
			t.Errorf("BZPOPMIN: %v", err)
		}
		got <- v
	}()
	time.Sleep(100 * time.Millisecond)
	tNoErr(t, "ZADD in another database", stranger.ZAdd(tCtx, "jobs", redis.Z{Score: 1, Member: "theirs"}).Err())
	select {
	case v := <-got:
		t.Fatalf("woken by another database's ZADD: %v", v)
	case <-time.After(300 * time.Millisecond):
	}
	tNoErr(t, "ZADD", pusher.ZAdd(tCtx, "jobs", redis.Z{Score: 5, Member: "b"}, redis.Z{Score: 2, Member: "a"}).Err())
	select {
	case v := <-got:
		if v == nil || v.Key != "jobs" || v.Member != "a" || v.Score != 2 {
			t.Errorf("BZPOPMIN answered %+v, want jobs a 2", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BZPOPMIN not woken by ZADD")
	}
	tEq(t, "BZPOPMAX with a member there", pusher.BZPopMax(tCtx, time.Second, "jobs").Val().Member, "b")
	start := time.Now()
	tErrIs(t, "BZPOPMAX timeout", pusher.BZPopMax(tCtx, time.Second, "jobs").Err(), "redis: nil")
	if time.Since(start) < 900*time.Millisecond {
		t.Errorf("BZPOPMAX returned before its timeout")
	}
	tEq(t, "another database keeps its member", stranger.ZCard(tCtx, "jobs").Val(), int64(1))

	mp := make(chan []redis.Z, 1)
	go func() {
		_, zs, err := waiter.BZMPop(tCtx, 0, "max", 2, "q1", "q2").Result()
		if err != nil {
			t.Errorf("BZMPOP: %v", err)
		}
		mp <- zs
	}()
	time.Sleep(100 * time.Millisecond)
	tNoErr(t, "ZADD q2", pusher.ZAdd(tCtx, "q2", redis.Z{Score: 1, Member: "x"}, redis.Z{Score: 3, Member: "y"}, redis.Z{Score: 2, Member: "z"}).Err())
	select {
	case zs := <-mp:
		if len(zs) != 2 || zs[0].Member != "y" || zs[1].Member != "z" {
			t.Errorf("BZMPOP answered %v, want y z", zs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BZMPOP not woken by ZADD")
	}
	// Inside MULTI nothing blocks.
	cmds, err := pusher.TxPipelined(tCtx, func(p redis.Pipeliner) error {
		p.BZPopMin(tCtx, 0, "empty")
		return nil
	})
	if err != nil && err != redis.Nil {
		t.Fatalf("MULTI BZPOPMIN: %v", err)
	}
	tErrIs(t, "BZPOPMIN in MULTI", cmds[0].Err(), "redis: nil")
}
