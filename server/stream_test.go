package server_test

// Streams end to end through go-redis: a producer, consumer groups, acknowledgement and
// claiming as a job queue uses them; blocking reads woken by XADD from another
// connection of the same database only; timeouts, MULTI, WRONGTYPE, TTL, keyspace
// events, and consumer groups across a restart.

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

func TestStreamQueue(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tClient(t, srv.Addr(), db)
	ctx := context.Background()
	for i, id := range []string{"1-1", "1-2", "2-0"} {
		got, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "jobs", ID: id, Values: []string{"n", string(rune('a' + i))}}).Result()
		tNoErr(t, "XADD", err)
		tEq(t, "XADD id", got, id)
	}
	auto, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "jobs", Values: map[string]any{"n": "d"}}).Result()
	tNoErr(t, "XADD *", err)
	if !strings.Contains(auto, "-") || len(auto) < 13 {
		t.Fatalf("XADD * = %q", auto)
	}
	n, _ := c.XLen(ctx, "jobs").Result()
	tEq(t, "XLEN", n, int64(4))
	rng, err := c.XRangeN(ctx, "jobs", "-", "+", 2).Result()
	tNoErr(t, "XRANGE", err)
	tEq(t, "XRANGE", len(rng), 2)
	tEq(t, "XRANGE first", rng[0].Values["n"], "a")
	rev, _ := c.XRevRangeN(ctx, "jobs", "+", "-", 1).Result()
	tEq(t, "XREVRANGE", rev[0].ID, auto)

	tNoErr(t, "XGROUP CREATE", c.XGroupCreate(ctx, "jobs", "workers", "0").Err())
	got, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "w1", Streams: []string{"jobs", ">"}, Count: 2}).Result()
	tNoErr(t, "XREADGROUP", err)
	tEq(t, "delivered", len(got[0].Messages), 2)
	got, _ = c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "w2", Streams: []string{"jobs", ">"}}).Result()
	tEq(t, "to w2", len(got[0].Messages), 2)
	acked, _ := c.XAck(ctx, "jobs", "workers", "1-1", "9-9").Result()
	tEq(t, "XACK", acked, int64(1))
	sum, err := c.XPending(ctx, "jobs", "workers").Result()
	tNoErr(t, "XPENDING", err)
	tEq(t, "pending", sum.Count, int64(3))
	tEq(t, "lowest", sum.Lower, "1-2")
	tEq(t, "w2's", sum.Consumers["w2"], int64(2))
	ext, _ := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "jobs", Group: "workers", Start: "-", End: "+", Count: 10, Consumer: "w1"}).Result()
	tEq(t, "w1's pending", len(ext), 1)
	tEq(t, "w1's retry count", ext[0].RetryCount, int64(1))

	// w1 died: w3 claims its job, then takes the rest with XAUTOCLAIM.
	claimed, err := c.XClaim(ctx, &redis.XClaimArgs{Stream: "jobs", Group: "workers", Consumer: "w3", MinIdle: 0, Messages: []string{"1-2"}}).Result()
	tNoErr(t, "XCLAIM", err)
	tEq(t, "claimed", len(claimed), 1)
	ids, start, err := c.XAutoClaimJustID(ctx, &redis.XAutoClaimArgs{Stream: "jobs", Group: "workers", Consumer: "w3", Start: "0", Count: 10}).Result()
	tNoErr(t, "XAUTOCLAIM", err)
	tEq(t, "autoclaimed", len(ids), 3)
	tEq(t, "cursor", start, "0-0")
	cons, err := c.XInfoConsumers(ctx, "jobs", "workers").Result()
	tNoErr(t, "XINFO CONSUMERS", err)
	tEq(t, "consumers", len(cons), 3)
	tEq(t, "w3 holds all", cons[2].Pending, int64(3))
	groups, _ := c.XInfoGroups(ctx, "jobs").Result()
	tEq(t, "group lag", groups[0].Lag, int64(0))
	info, err := c.XInfoStream(ctx, "jobs").Result()
	tNoErr(t, "XINFO STREAM", err)
	tEq(t, "info length", info.Length, int64(4))
	tEq(t, "info last", info.LastGeneratedID, auto)
	tEq(t, "TYPE", c.Type(ctx, "jobs").Val(), "stream")
	keys, _, _ := c.ScanType(ctx, 0, "*", 100, "stream").Result()
	tEq(t, "SCAN TYPE stream", strings.Join(keys, ","), "jobs")

	// WRONGTYPE both ways, and TTL and DEL as on any key.
	c.Set(ctx, "str", "v", 0)
	tErrIs(t, "XADD on a string", c.XAdd(ctx, &redis.XAddArgs{Stream: "str", Values: []string{"a", "b"}}).Err(), "WRONGTYPE")
	tErrIs(t, "LPUSH on a stream", c.LPush(ctx, "jobs", "x").Err(), "WRONGTYPE")
	tErrIs(t, "bad id", c.XAdd(ctx, &redis.XAddArgs{Stream: "jobs", ID: "1-1", Values: []string{"a", "b"}}).Err(),
		"ERR The ID specified in XADD is equal or smaller than the target stream top item")
	tErrIs(t, "NOGROUP", c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "nope", Consumer: "c", Streams: []string{"jobs", ">"}}).Err(), "NOGROUP")
	c.Expire(ctx, "jobs", time.Minute)
	if ttl := c.TTL(ctx, "jobs").Val(); ttl <= 0 {
		t.Fatalf("TTL = %v", ttl)
	}
	tEq(t, "DEL", c.Del(ctx, "jobs").Val(), int64(1))
	tEq(t, "gone", c.Exists(ctx, "jobs").Val(), int64(0))
	tErrIs(t, "XINFO of a deleted stream", c.XInfoGroups(ctx, "jobs").Err(), "ERR no such key")
}

// XREAD BLOCK and XREADGROUP BLOCK wait until an XADD to their key in their database;
// an XADD in another database does not wake them; $ means the last id when the read
// began, even after a wake-up that found nothing new.
func TestStreamBlock(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{})
	b := srv.CreateDatabase(t, "other", true)
	pa, pb := tSelected(t, srv.Addr(), a), tSelected(t, srv.Addr(), b)
	tDo(t, pa, tBulk("1-1"), "XADD", "s", "1-1", "f", "old")

	c := tSelected(t, srv.Addr(), a)
	c.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	tBlocked(t, srv, 1)
	tDo(t, pb, tBulk("5-1"), "XADD", "s", "5-1", "f", "elsewhere") // another database: no wake-up
	tDo(t, pa, tOK, "XGROUP", "CREATE", "s", "g0", "0")            // a write to s, nothing new: it waits on
	tEq(t, "still blocked", srv.BlockedClients(), 1)
	tDo(t, pa, tBulk("2-1"), "XADD", "s", "2-1", "f", "new")
	tEq(t, "woken", c.read(), "*1\r\n*2\r\n"+tBulk("s")+"*1\r\n*2\r\n"+tBulk("2-1")+"*2\r\n"+tBulk("f")+tBulk("new"))
	tBlocked(t, srv, 0)

	// A group reader waits for what is new to its group.
	tDo(t, pa, tOK, "XGROUP", "CREATE", "s", "g", "$")
	gc := tClient(t, srv.Addr(), a)
	done := make(chan []redis.XStream, 1)
	go func() {
		res, _ := gc.XReadGroup(context.Background(), &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{"s", ">"}, Block: 0}).Result()
		done <- res
	}()
	tBlocked(t, srv, 1)
	tDo(t, pa, tBulk("3-1"), "XADD", "s", "3-1", "f", "job")
	res := <-done
	if len(res) != 1 || len(res[0].Messages) != 1 || res[0].Messages[0].ID != "3-1" {
		t.Fatalf("XREADGROUP BLOCK = %+v", res)
	}
	if got := pa.do("XPENDING", "s", "g", "-", "+", "1"); !strings.HasPrefix(got, "*1\r\n*4\r\n"+tBulk("3-1")+tBulk("c1")) {
		t.Fatalf("XPENDING after the blocked read: %q", got)
	}

	// A timeout answers nil; inside MULTI nothing waits.
	tDo(t, c, tNilA, "XREAD", "BLOCK", "50", "STREAMS", "s", "$")
	tDo(t, c, tOK, "MULTI")
	tDo(t, c, "+QUEUED\r\n", "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	tDo(t, c, "+QUEUED\r\n", "XADD", "s", "4-1", "f", "in-multi")
	tDo(t, c, "*2\r\n"+tNilA+tBulk("4-1"), "EXEC")
	// A group destroyed while its reader waits: the reader gets NOGROUP.
	c.do("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">") // takes 4-1
	c.send("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
	tBlocked(t, srv, 1)
	tDo(t, pa, tInt(1), "XGROUP", "DESTROY", "s", "g")
	if got := c.read(); !strings.HasPrefix(got, "-NOGROUP") {
		t.Fatalf("after DESTROY: %q", got)
	}
}

// Consumer groups, their pending entries and the stream's counters survive a restart.
func TestStreamRestart(t *testing.T) {
	dir := t.TempDir()
	first := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	db := first.CreateDatabase(t, "app", true)
	c := tSelected(t, first.Addr(), db)
	tDo(t, c, tBulk("1-1"), "XADD", "s", "1-1", "f", "v")
	tDo(t, c, tBulk("2-1"), "XADD", "s", "2-1", "f", "v")
	tDo(t, c, tOK, "XGROUP", "CREATE", "s", "g", "0")
	c.do("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">")
	tDo(t, c, tInt(1), "XDEL", "s", "2-1")
	want := c.do("XINFO", "GROUPS", "s")
	wantPending := c.do("XPENDING", "s", "g")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	h := tSelected(t, second.Addr(), db)
	tEq(t, "groups after restart", h.do("XINFO", "GROUPS", "s"), want)
	tEq(t, "pending after restart", h.do("XPENDING", "s", "g"), wantPending)
	tDo(t, h, tErr("ERR The ID specified in XADD is equal or smaller than the target stream top item"), "XADD", "s", "2-1", "f", "v")
	tDo(t, h, tBulk("3-1"), "XADD", "s", "3-1", "f", "v")
}

// Keyspace events of the stream commands, in class t as Redis 7.0 names them.
func TestStreamNotify(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tDo(t, c, tOK, "CONFIG", "SET", "notify-keyspace-events", "Et")
	sub := tClient(t, srv.Addr(), db)
	ps := sub.PSubscribe(context.Background(), "__keyevent@*")
	defer ps.Close()
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{
		{"XADD", "s", "MAXLEN", "1", "1-1", "f", "v"}, {"XADD", "s", "MAXLEN", "1", "2-1", "f", "v"},
		{"XDEL", "s", "2-1"}, {"XGROUP", "CREATE", "s", "g", "0"}, {"XGROUP", "CREATECONSUMER", "s", "g", "c"},
		{"XGROUP", "SETID", "s", "g", "0"}, {"XGROUP", "DELCONSUMER", "s", "g", "c"}, {"XGROUP", "DESTROY", "s", "g"},
		{"XSETID", "s", "9-9"}, {"XTRIM", "s", "MAXLEN", "0"},
	} {
		c.do(cmd...)
	}
	var got []string
	for range 10 {
		m, err := ps.ReceiveMessage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimPrefix(m.Channel, "__keyevent@"+strconv.FormatUint(db, 10)+"__:"))
	}
	tEq(t, "events", strings.Join(got, " "),
		"xadd xadd xtrim xdel xgroup-create xgroup-createconsumer xgroup-setid xgroup-delconsumer xgroup-destroy xsetid")
}
