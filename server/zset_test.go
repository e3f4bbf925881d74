package server_test

// End-to-end tests of the sorted set commands: a real server (herodbtest), a real
// client (go-redis, RESP2), the replies and error strings as a user sees them.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

func TestZSetCommands(t *testing.T) {
	h := hlNewClient(t)
	ctx := context.Background()

	h.is(3, "ZADD", "z", "1", "a", "2", "b", "1.5", "c")
	h.is(0, "ZADD", "z", "3", "a") // an update is not an addition
	h.is(1, "ZADD", "z", "CH", "4", "a")
	h.is(3, "ZCARD", "z")
	h.is("zset", "TYPE", "z")
	h.is("4", "ZSCORE", "z", "a")
	h.is("1.5", "ZSCORE", "z", "c")
	h.is(hlNil, "ZSCORE", "z", "nope")
	h.is([]any{"4", nil, "2"}, "ZMSCORE", "z", "a", "nope", "b")
	h.is([]string{"c", "b", "a"}, "ZRANGE", "z", "0", "-1")
	h.is([]string{"c", "1.5", "b", "2", "a", "4"}, "ZRANGE", "z", "0", "-1", "WITHSCORES")
	h.is([]string{"a", "b"}, "ZREVRANGE", "z", "0", "1")
	h.is(0, "ZRANK", "z", "c")
	h.is(0, "ZREVRANK", "z", "a")
	h.is(hlNil, "ZRANK", "z", "nope")
	h.is("0.10000000000000001", "ZINCRBY", "inc", "0.1", "m") // Redis 7.0 prints %.17g
	h.is("inf", "ZINCRBY", "inc", "inf", "m")
	h.is(hlErr("ERR resulting score is not a number (NaN)"), "ZINCRBY", "inc", "-inf", "m")
	h.is(hlErr("ERR value is not a valid float"), "ZADD", "z", "nan", "x")
	h.is(hlErr("ERR min or max is not a float"), "ZCOUNT", "z", "x", "1")
	h.is(hlErr("ERR min or max not valid string range item"), "ZRANGEBYLEX", "z", "a", "+")
	h.is(hlErr("ERR XX and NX options at the same time are not compatible"), "ZADD", "z", "NX", "XX", "1", "a")
	h.is(hlErr("ERR GT, LT, and/or NX options at the same time are not compatible"), "ZADD", "z", "GT", "LT", "1", "a")
	h.is(hlErr("ERR INCR option supports a single increment-element pair"), "ZADD", "z", "INCR", "1", "a", "2", "b")
	h.is(hlNil, "ZADD", "z", "NX", "INCR", "1", "a")
	h.is("5", "ZADD", "z", "XX", "INCR", "1", "a")
	h.is(0, "ZADD", "z", "GT", "1", "a")
	h.is("5", "ZSCORE", "z", "a")

	// By score, with exclusive ends and infinities, both directions.
	h.is(3, "ZADD", "s", "-inf", "lo", "inf", "hi", "0", "zero")
	h.is([]string{"lo", "zero", "c", "b", "a", "hi"}, "ZUNION", "2", "s", "z")
	h.is([]string{"zero", "hi"}, "ZRANGEBYSCORE", "s", "(-inf", "+inf")
	h.is([]string{"hi", "zero"}, "ZREVRANGEBYSCORE", "s", "inf", "(-inf")
	h.is([]string{"hi", "inf"}, "ZRANGE", "s", "+inf", "(0", "BYSCORE", "REV", "WITHSCORES")
	h.is(2, "ZCOUNT", "s", "-inf", "(inf")
	h.is(hlErr("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"), "ZRANGE", "s", "0", "1", "LIMIT", "0", "1")

	// Lex ranges over equal scores.
	h.is(5, "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
	h.is([]string{"b", "c"}, "ZRANGEBYLEX", "l", "(a", "[c")
	h.is([]string{"d", "c"}, "ZREVRANGEBYLEX", "l", "(e", "-", "LIMIT", "0", "2")
	h.is(4, "ZLEXCOUNT", "l", "[b", "+")
	h.is(2, "ZREMRANGEBYLEX", "l", "-", "(c")
	h.is([]string{"c", "d", "e"}, "ZRANGE", "l", "-", "+", "BYLEX")
	h.is(2, "ZRANGESTORE", "dst", "l", "1", "2")
	h.is([]string{"d", "e"}, "ZRANGE", "dst", "0", "-1")

	// Removals and pops; the key goes with its last member.
	h.is(1, "ZREMRANGEBYRANK", "l", "0", "0")
	h.is(0, "ZREMRANGEBYSCORE", "l", "-inf", "(0")
	h.is(1, "ZREMRANGEBYRANK", "l", "0", "0")
	h.is([]string{"e", "0"}, "ZPOPMAX", "l")
	h.is(0, "EXISTS", "l")
	h.is([]string{"c", "1.5"}, "ZPOPMIN", "z")
	h.is([]any{}, "ZPOPMIN", "nokey")
	h.is([]any{"z", []any{[]any{"b", "2"}}}, "ZMPOP", "2", "nokey", "z", "MIN")
	h.is(hlNil, "ZMPOP", "1", "nokey", "MAX")
	h.is(1, "ZREM", "z", "a", "nope")
	h.is(0, "EXISTS", "z")

	// Combinations.
	h.is(3, "ZADD", "a", "1", "x", "2", "y", "3", "z")
	h.is(2, "ZADD", "b", "10", "y", "20", "z")
	h.is([]string{"y", "22", "z", "43"}, "ZINTER", "2", "a", "b", "WEIGHTS", "1", "2", "WITHSCORES")
	h.is([]string{"x", "1"}, "ZDIFF", "2", "a", "b", "WITHSCORES")
	h.is(3, "ZUNIONSTORE", "u", "2", "a", "b", "AGGREGATE", "MAX")
	h.is([]string{"x", "1", "y", "10", "z", "20"}, "ZRANGE", "u", "0", "-1", "WITHSCORES")
	h.is(2, "ZINTERSTORE", "i", "2", "a", "b")
	h.is(1, "ZDIFFSTORE", "d", "2", "a", "b")
	h.is(1, "ZINTERCARD", "2", "a", "b", "LIMIT", "1")
	h.is(hlErr("ERR at least 1 input key is needed for 'zunionstore' command"), "ZUNIONSTORE", "u", "0", "a")
	h.is(hlErr("ERR weight value is not a float"), "ZUNION", "1", "a", "WEIGHTS", "x")

	// Random members, by count and membership.
	all := []string{"x", "y", "z"}
	for range 10 {
		got, err := h.do("ZRANDMEMBER", "a")
		if err != nil || !slices.Contains(all, got.(string)) {
			t.Fatalf("ZRANDMEMBER: %v %v", got, err)
		}
	}
	if got := h.strs("ZRANDMEMBER", "a", "2"); len(got) != 2 || got[0] == got[1] {
		t.Fatalf("ZRANDMEMBER 2 = %q", got)
	}
	if got := h.strs("ZRANDMEMBER", "a", "-7", "WITHSCORES"); len(got) != 14 {
		t.Fatalf("ZRANDMEMBER -7 WITHSCORES = %q", got)
	}
	h.is(hlErr("ERR ZRANDMEMBER count is too large: the reply would exceed the output limit"), "ZRANDMEMBER", "a", "-9223372036854775807")

	// go-redis's typed API.
	tEq(t, "ZAdd", h.rdb.ZAdd(ctx, "g", redis.Z{Score: 1, Member: "one"}, redis.Z{Score: 2, Member: "two"}).Val(), int64(2))
	tEq(t, "ZRangeWithScores", h.rdb.ZRangeWithScores(ctx, "g", 0, -1).Val(), []redis.Z{{Score: 1, Member: "one"}, {Score: 2, Member: "two"}})
	tEq(t, "ZRangeByScore", h.rdb.ZRangeByScore(ctx, "g", &redis.ZRangeBy{Min: "(1", Max: "+inf"}).Val(), []string{"two"})
	tEq(t, "ZIncrBy", h.rdb.ZIncrBy(ctx, "g", 0.5, "one").Val(), 1.5)
	tEq(t, "ZRank", h.rdb.ZRank(ctx, "g", "two").Val(), int64(1))
	tEq(t, "ZScore", h.rdb.ZScore(ctx, "g", "one").Val(), 1.5)
	tEq(t, "ZCard", h.rdb.ZCard(ctx, "g").Val(), int64(2))
	tEq(t, "ZPopMax", h.rdb.ZPopMax(ctx, "g").Val(), []redis.Z{{Score: 2, Member: "two"}})

	// RENAME keeps the members (bound to the identity); DEL and DBSIZE count it once.
	h.is("OK", "FLUSHDB")
	h.is(2, "ZADD", "r", "1", "m1", "2", "m2")
	h.is("OK", "RENAME", "r", "r2")
	h.is([]string{"m1", "m2"}, "ZRANGE", "r2", "0", "-1")
	h.is(1, "DBSIZE")
	keys, _ := h.rdb.ScanType(ctx, 0, "*", 100, "zset").Val()
	tEq(t, "SCAN TYPE zset", keys, []string{"r2"})
	h.is(1, "DEL", "r2")
	h.is(0, "DBSIZE")
}

// A sorted set bigger than one reply page and than the random draw's small-set limit:
// ranks, score ranges and ZSCAN over it.
func TestZSetBig(t *testing.T) {
	h := hlNewClient(t)
	args := []any{"ZADD", "big"}
	for i := range 1000 {
		args = append(args, i%100, fmt.Sprintf("m%04d", i))
	}
	h.is(1000, args...)
	h.is(10, "ZCOUNT", "big", "5", "5")
	h.is([]string{"m0005", "m0105"}, "ZRANGEBYSCORE", "big", "5", "5", "LIMIT", "0", "2")
	h.is(509, "ZRANK", "big", "m0950") // 50×10 below score 50, then m0050…m0850 before it
	h.is(490, "ZREVRANK", "big", "m0950")
	seen := map[string]bool{}
	cursor := uint64(0)
	for {
		page, next, err := h.rdb.ZScan(context.Background(), "big", cursor, "", 100).Result()
		tNoErr(t, "ZSCAN", err)
		for i := 0; i < len(page); i += 2 {
			seen[page[i]] = true
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	tEq(t, "ZSCAN members", len(seen), 1000)
	got := h.strs("ZRANDMEMBER", "big", "50")
	tEq(t, "ZRANDMEMBER 50 distinct", len(slices.Compact(hlSorted(got))), 50)
	h.is(100, "ZREMRANGEBYSCORE", "big", "(89", "inf")
	h.is(900, "ZCARD", "big")
}

func TestZSetWrongType(t *testing.T) {
	h := hlNewClient(t)
	h.is("OK", "SET", "str", "v")
	h.is(1, "HSET", "h", "f", "v")
	h.is(1, "RPUSH", "l", "x")
	h.is(1, "SADD", "s", "m")
	h.is(1, "ZADD", "z", "1", "m")
	for _, k := range []string{"str", "h", "l", "s"} {
		for _, args := range [][]any{
			{"ZADD", k, "1", "a"}, {"ZINCRBY", k, "1", "a"}, {"ZREM", k, "a"}, {"ZSCORE", k, "a"}, {"ZMSCORE", k, "a"},
			{"ZCARD", k}, {"ZCOUNT", k, "0", "1"}, {"ZLEXCOUNT", k, "-", "+"}, {"ZRANK", k, "a"}, {"ZREVRANK", k, "a"},
			{"ZRANGE", k, "0", "-1"}, {"ZREVRANGE", k, "0", "-1"}, {"ZRANGEBYSCORE", k, "0", "1"},
			{"ZREVRANGEBYSCORE", k, "1", "0"}, {"ZRANGEBYLEX", k, "-", "+"}, {"ZREVRANGEBYLEX", k, "+", "-"},
			{"ZRANGESTORE", "d", k, "0", "-1"}, {"ZREMRANGEBYSCORE", k, "0", "1"}, {"ZREMRANGEBYRANK", k, "0", "1"},
			{"ZREMRANGEBYLEX", k, "-", "+"}, {"ZPOPMIN", k}, {"ZPOPMAX", k, "0"}, {"ZMPOP", "1", k, "MIN"},
			{"ZSCAN", k, "0"}, {"ZRANDMEMBER", k}, {"ZRANDMEMBER", k, "0"},
		} {
			h.is(hlErr(hlWrongType), args...)
		}
		if k != "s" { // ZUNION and its relatives take sets as sorted sets of score 1
			for _, args := range [][]any{
				{"ZUNION", "2", "z", k}, {"ZINTER", "2", k, "z"}, {"ZDIFF", "2", "z", k}, {"ZUNIONSTORE", "d", "1", k},
				{"ZINTERSTORE", "d", "2", "z", k}, {"ZDIFFSTORE", "d", "2", "nokey", k}, {"ZINTERCARD", "2", "z", k},
			} {
				h.is(hlErr(hlWrongType), args...)
			}
		}
	}
	h.is(0, "EXISTS", "d")
	h.is([]string{"m", "1"}, "ZUNION", "2", "z", "s", "AGGREGATE", "MIN", "WITHSCORES")
	// The other types' commands refuse the sorted set.
	for _, args := range [][]any{
		{"GET", "z"}, {"INCR", "z"}, {"APPEND", "z", "x"}, {"STRLEN", "z"}, {"HSET", "z", "f", "v"}, {"HGET", "z", "f"},
		{"HGETALL", "z"}, {"LPUSH", "z", "x"}, {"LRANGE", "z", "0", "-1"}, {"LLEN", "z"}, {"SADD", "z", "x"},
		{"SMEMBERS", "z"}, {"SCARD", "z"}, {"SISMEMBER", "z", "m"}, {"SINTER", "z"}, {"LMOVE", "l", "z", "LEFT", "LEFT"},
	} {
		h.is(hlErr(hlWrongType), args...)
	}
	h.is([]string{"m"}, "ZRANGE", "z", "0", "-1")
	h.is("OK", "SET", "z", "now-a-string") // SET replaces a sorted set, as any value
	h.is("string", "TYPE", "z")
	for _, args := range [][]any{
		{"ZADD", "z", "1"}, {"ZREM", "z"}, {"ZSCORE", "z"}, {"ZCARD"}, {"ZRANGE", "z", "0"}, {"ZPOPMIN"},
		{"ZINCRBY", "z", "1"}, {"ZUNION", "1"}, {"ZMPOP", "1", "z"}, {"ZRANDMEMBER"}, {"ZSCAN", "z"},
	} {
		name := strings.ToLower(args[0].(string))
		h.is(hlErr(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)), args...)
	}
}

func TestZSetExpiry(t *testing.T) {
	clk := tNewClock()
	srv, db := tServer(t, herodbtest.Options{Clock: clk})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "ZADD", c.do("ZADD", "z", "1", "a", "2", "b"), tInt(2))
	tEq(t, "EXPIRE", rdb.Expire(tCtx, "z", 10*time.Second).Val(), true)
	tEq(t, "ZADD keeps the TTL", c.do("ZADD", "z", "3", "c"), tInt(1))
	tEq(t, "ZINCRBY keeps the TTL", c.do("ZINCRBY", "z", "1", "a"), tBulk("2"))
	tEq(t, "ZPOPMIN keeps the TTL", c.do("ZPOPMIN", "z"), "*2\r\n"+tBulk("a")+tBulk("2"))
	tEq(t, "TTL", c.do("TTL", "z"), tInt(10))
	clk.Add(10 * time.Second)
	tEq(t, "ZCARD expired", c.do("ZCARD", "z"), tInt(0))
	tEq(t, "ZRANGE expired", c.do("ZRANGE", "z", "0", "-1"), "*0\r\n")
	tEq(t, "ZSCORE expired", c.do("ZSCORE", "z", "b"), "$-1\r\n")
	tEq(t, "TYPE expired", c.do("TYPE", "z"), "+none\r\n")
	tEq(t, "fresh ZADD", c.do("ZADD", "z", "9", "n"), tInt(1))
	tEq(t, "fresh zset", c.do("ZRANGE", "z", "0", "-1"), "*1\r\n"+tBulk("n"))
	// ZUNIONSTORE replaces its destination's TTL, as Redis.
	tEq(t, "EXPIRE", c.do("EXPIRE", "z", "100"), tInt(1))
	tEq(t, "ZUNIONSTORE", c.do("ZUNIONSTORE", "z", "1", "z"), tInt(1))
	tEq(t, "TTL after STORE", c.do("TTL", "z"), tInt(-1))
}

func TestZSetMulti(t *testing.T) {
	h := hlNewClient(t)
	ctx := context.Background()
	h.is("OK", "SET", "str", "v")
	cmds, err := h.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, "m", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"})
		p.ZIncrBy(ctx, "m", 5, "a")
		p.ZAdd(ctx, "str", redis.Z{Score: 1, Member: "x"})
		p.ZRangeWithScores(ctx, "m", 0, -1)
		p.ZPopMin(ctx, "m")
		return nil
	})
	if err == nil || err.Error() != hlWrongType {
		t.Fatalf("EXEC: %v", err)
	}
	tEq(t, "ZADD in EXEC", cmds[0].(*redis.IntCmd).Val(), int64(2))
	tEq(t, "ZINCRBY in EXEC", cmds[1].(*redis.FloatCmd).Val(), 6.0)
	tErrIs(t, "ZADD str in EXEC", cmds[2].Err(), "WRONGTYPE")
	tEq(t, "ZRANGE in EXEC", cmds[3].(*redis.ZSliceCmd).Val(), []redis.Z{{Score: 2, Member: "b"}, {Score: 6, Member: "a"}})
	tEq(t, "ZPOPMIN in EXEC", cmds[4].(*redis.ZSliceCmd).Val(), []redis.Z{{Score: 2, Member: "b"}})
	h.is([]string{"a"}, "ZRANGE", "m", "0", "-1")

	other := redis.NewClient(&redis.Options{Addr: h.srv.Addr(), DB: int(h.db), Protocol: 2})
	defer other.Close()
	for _, write := range []func() error{
		func() error { return other.ZAdd(ctx, "w", redis.Z{Score: 1, Member: "x"}).Err() },
		func() error { return other.ZUnionStore(ctx, "w", &redis.ZStore{Keys: []string{"m"}}).Err() },
		func() error { return other.ZPopMin(ctx, "w").Err() },
		func() error { return other.ZAdd(ctx, "w", redis.Z{Score: 1, Member: "x"}).Err() },
		func() error { return other.Do(ctx, "ZMPOP", "1", "w", "MIN").Err() },
	} {
		err := h.rdb.Watch(ctx, func(tx *redis.Tx) error {
			if err := write(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.ZAdd(ctx, "w", redis.Z{Score: 0, Member: "mine"})
				return nil
			})
			return err
		}, "w")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after a watched zset changed: %v", err)
		}
	}
	h.is(hlNil, "ZSCORE", "w", "mine")
}

// TestZSetNoPlaintextOnDisk writes known names and members through the writing sorted
// set commands and looks for them in every file of the data directory (the log, the
// tenant files, DB 0), before and after a restart. Scores are not secret: the score
// index holds them in clear (docs/storage.md); members and names never appear.
func TestZSetNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	srv, db := tServer(t, herodbtest.Options{Dir: dir})
	c := tSelected(t, srv.Addr(), db)
	secrets := []string{"zkey-heron-7731", "zmember-ibis-9920", "zmember-kiwi-4410", "zkey-loon-6632", "zmember-rail-8843", "zkey-tern-1177"}
	tEq(t, "ZADD", c.do("ZADD", secrets[0], "1700000000123", secrets[1], "2", secrets[2]), tInt(2))
	tEq(t, "ZADD", c.do("ZADD", secrets[3], "5", secrets[4]), tInt(1))
	tEq(t, "ZINCRBY", c.do("ZINCRBY", secrets[3], "1", secrets[4]), tBulk("6"))
	tEq(t, "ZUNIONSTORE", c.do("ZUNIONSTORE", secrets[5], "2", secrets[0], secrets[3]), tInt(3))
	tEq(t, "ZRANGESTORE", c.do("ZRANGESTORE", secrets[3], secrets[5], "0", "1"), tInt(2))
	tEq(t, "ZPOPMIN", c.do("ZPOPMIN", secrets[0]), "*2\r\n"+tBulk(secrets[2])+tBulk("2"))
	check := func() {
		t.Helper()
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s holds %q in the clear", path, s)
				}
			}
			return nil
		})
		tNoErr(t, "walk", err)
	}
	check()
	tNoErr(t, "Close", srv.Close())
	check()
	srv2 := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	c2 := tSelected(t, srv2.Addr(), db)
	tEq(t, "after restart", c2.do("ZRANGE", secrets[5], "0", "-1", "WITHSCORES"),
		"*6\r\n"+tBulk(secrets[2])+tBulk("2")+tBulk(secrets[4])+tBulk("6")+tBulk(secrets[1])+tBulk("1700000000123"))
	tNoErr(t, "Close", srv2.Close())
	check()
}
