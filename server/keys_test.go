package server_test

// Key commands end to end through go-redis (RESP2), with raw RESP where the exact reply
// text matters, and TTLs driven by the manual clock.

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

func TestKeysBasics(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	tNoErr(t, "MSET", rdb.MSet(tCtx, "a", 1, "b", 2, "c", 3, "d", 4).Err())
	tEq(t, "EXISTS", rdb.Exists(tCtx, "a", "b", "nokey", "a").Val(), 3)
	tEq(t, "TOUCH", rdb.Touch(tCtx, "a", "nokey").Val(), 1)
	tEq(t, "DEL", rdb.Del(tCtx, "a", "nokey").Val(), 1)
	tEq(t, "UNLINK", rdb.Unlink(tCtx, "b", "b").Val(), 1)
	tEq(t, "DEL arity", c.do("DEL"), tErr("ERR wrong number of arguments for 'del' command"))
	tEq(t, "TYPE string", rdb.Type(tCtx, "c").Val(), "string")
	tEq(t, "TYPE none", rdb.Type(tCtx, "nokey").Val(), "none")
	tEq(t, "TYPE raw", c.do("TYPE", "c"), "+string\r\n")

	// RENAME / RENAMENX.
	tNoErr(t, "RENAME", rdb.Rename(tCtx, "c", "c2").Err())
	tEq(t, "old gone", rdb.Exists(tCtx, "c").Val(), 0)
	tEq(t, "new there", rdb.Get(tCtx, "c2").Val(), "3")
	tEq(t, "RENAME missing", c.do("RENAME", "nokey", "x"), tErr("ERR no such key"))
	tEq(t, "RENAME onto itself", c.do("RENAME", "c2", "c2"), tOK)
	tEq(t, "RENAMENX onto existing", rdb.RenameNX(tCtx, "c2", "d").Val(), false)
	tEq(t, "RENAMENX onto itself", c.do("RENAMENX", "c2", "c2"), tInt(0))
	tEq(t, "RENAMENX", rdb.RenameNX(tCtx, "c2", "e").Val(), true)
	tEq(t, "RENAMENX missing", c.do("RENAMENX", "nokey", "x"), tErr("ERR no such key"))
	// RENAME replaces the target and carries the TTL.
	tNoErr(t, "EXPIRE", rdb.Expire(tCtx, "e", 100*time.Second).Err())
	tNoErr(t, "RENAME over", rdb.Rename(tCtx, "e", "d").Err())
	tEq(t, "replaced", rdb.Get(tCtx, "d").Val(), "3")
	tEq(t, "TTL carried", rdb.TTL(tCtx, "d").Val(), 100*time.Second)

	// KEYS patterns.
	tNoErr(t, "FLUSHDB", rdb.FlushDB(tCtx).Err())
	tNoErr(t, "MSET", rdb.MSet(tCtx, "hello", 1, "hallo", 1, "hxllo", 1, "heeeello", 1, "hillo", 1, "h*llo", 1, "other", 1).Err())
	for pat, want := range map[string]string{
		"*":         "h*llo hallo heeeello hello hillo hxllo other",
		"h?llo":     "h*llo hallo hello hillo hxllo",
		"h*llo":     "h*llo hallo heeeello hello hillo hxllo",
		"h[ae]llo":  "hallo hello",
		"h[^e]llo":  "h*llo hallo hillo hxllo",
		"h[a-b]llo": "hallo",
		"h\\*llo":   "h*llo",
		"nomatch":   "",
	} {
		keys, err := rdb.Keys(tCtx, pat).Result()
		tNoErr(t, "KEYS "+pat, err)
		sort.Strings(keys)
		tEq(t, "KEYS "+pat, strings.Join(keys, " "), want)
	}
	tEq(t, "KEYS arity", c.do("KEYS"), tErr("ERR wrong number of arguments for 'keys' command"))

	// RANDOMKEY.
	k, err := rdb.RandomKey(tCtx).Result()
	tNoErr(t, "RANDOMKEY", err)
	if rdb.Exists(tCtx, k).Val() != 1 {
		t.Errorf("RANDOMKEY %q does not exist", k)
	}
	tNoErr(t, "FLUSHDB", rdb.FlushDB(tCtx).Err())
	if err := rdb.RandomKey(tCtx).Err(); err != redis.Nil {
		t.Errorf("RANDOMKEY on empty: %v", err)
	}
	tEq(t, "RANDOMKEY empty raw", c.do("RANDOMKEY"), tNil)
}

func TestKeysScan(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	want := map[string]bool{}
	pipe := rdb.Pipeline()
	for i := 0; i < 500; i++ {
		k := "key:" + strconv.Itoa(i)
		want[k] = true
		pipe.Set(tCtx, k, i, 0)
	}
	for i := 0; i < 20; i++ {
		pipe.Set(tCtx, "other:"+strconv.Itoa(i), i, 0)
	}
	_, err := pipe.Exec(tCtx)
	tNoErr(t, "pipeline", err)

	scanAll := func(match string, count int64, typ string) map[string]int {
		seen := map[string]int{}
		var cur uint64
		for n := 0; ; n++ {
			if n > 10000 {
				t.Fatal("SCAN does not end")
			}
			var keys []string
			var err error
			if typ != "" {
				keys, cur, err = rdb.ScanType(tCtx, cur, match, count, typ).Result()
			} else {
				keys, cur, err = rdb.Scan(tCtx, cur, match, count).Result()
			}
			tNoErr(t, "SCAN", err)
			for _, k := range keys {
				seen[k]++
			}
			if cur == 0 {
				return seen
			}
		}
	}
	seen := scanAll("key:*", 7, "")
	tEq(t, "SCAN MATCH key:* count", len(seen), 500)
	for k, n := range seen {
		if !want[k] || n != 1 {
			t.Errorf("SCAN returned %q %d times", k, n)
		}
	}
	tEq(t, "SCAN everything", len(scanAll("", 100, "")), 520)
	tEq(t, "SCAN TYPE string", len(scanAll("other:*", 10, "string")), 20)
	tEq(t, "SCAN TYPE hash", len(scanAll("", 50, "hash")), 0)
	tEq(t, "SCAN TYPE unknown", len(scanAll("", 50, "zset")), 0)
	tEq(t, "SCAN COUNT 1000 gets everything at once", c.do("SCAN", "0", "COUNT", "1000", "MATCH", "nomatch*"), "*2\r\n"+tBulk("0")+"*0\r\n")

	// A full iteration while keys are written still sees every key that was there
	// throughout, once.
	seen = map[string]int{}
	var cur uint64
	for i := 0; ; i++ {
		keys, next, err := rdb.Scan(tCtx, cur, "key:*", 25).Result()
		tNoErr(t, "SCAN", err)
		for _, k := range keys {
			seen[k]++
		}
		rdb.Set(tCtx, "new:"+strconv.Itoa(i), 1, 0)
		if cur = next; cur == 0 {
			break
		}
	}
	tEq(t, "SCAN during writes", len(seen), 500)
	for k, n := range seen {
		if n != 1 {
			t.Errorf("SCAN during writes returned %q %d times", k, n)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SCAN", "abc"}, "ERR invalid cursor"},
		{[]string{"SCAN", "-1"}, "ERR invalid cursor"},
		{[]string{"SCAN", "0", "COUNT", "0"}, "ERR syntax error"},
		{[]string{"SCAN", "0", "COUNT", "x"}, "ERR value is not an integer or out of range"},
		{[]string{"SCAN", "0", "MATCH"}, "ERR syntax error"},
		{[]string{"SCAN", "0", "FOO", "bar"}, "ERR syntax error"},
		{[]string{"SCAN"}, "ERR wrong number of arguments for 'scan' command"},
	} {
		tEq(t, strings.Join(tc.args, " "), c.do(tc.args...), tErr(tc.want))
	}
}

func TestKeysExpireOptions(t *testing.T) {
	clk := tNewClock()
	srv, db := tServer(t, herodbtest.Options{Clock: clk})
	c := tSelected(t, srv.Addr(), db)
	rdb := tClient(t, srv.Addr(), db)
	now := clk.Now()
	tEq(t, "SET", c.do("SET", "k", "v"), tOK)
	tEq(t, "TTL none", c.do("TTL", "k"), tInt(-1))
	tEq(t, "PTTL none", c.do("PTTL", "k"), tInt(-1))
	tEq(t, "EXPIRETIME none", c.do("EXPIRETIME", "k"), tInt(-1))
	tEq(t, "PEXPIRETIME none", c.do("PEXPIRETIME", "k"), tInt(-1))
	tEq(t, "TTL missing", c.do("TTL", "nokey"), tInt(-2))
	tEq(t, "PTTL missing", c.do("PTTL", "nokey"), tInt(-2))
	tEq(t, "EXPIRETIME missing", c.do("EXPIRETIME", "nokey"), tInt(-2))
	tEq(t, "EXPIRE missing", c.do("EXPIRE", "nokey", "10"), tInt(0))

	// NX / XX / GT / LT.
	tEq(t, "EXPIRE XX without ttl", c.do("EXPIRE", "k", "100", "XX"), tInt(0))
	tEq(t, "EXPIRE GT without ttl", c.do("EXPIRE", "k", "100", "GT"), tInt(0))
	tEq(t, "EXPIRE NX", c.do("EXPIRE", "k", "100", "NX"), tInt(1))
	tEq(t, "EXPIRE NX again", c.do("EXPIRE", "k", "200", "NX"), tInt(0))
	tEq(t, "TTL", c.do("TTL", "k"), tInt(100))
	tEq(t, "EXPIRE XX", c.do("EXPIRE", "k", "150", "XX"), tInt(1))
	tEq(t, "EXPIRE GT smaller", c.do("EXPIRE", "k", "120", "GT"), tInt(0))
	tEq(t, "EXPIRE GT larger", c.do("EXPIRE", "k", "300", "GT"), tInt(1))
	tEq(t, "EXPIRE LT larger", c.do("EXPIRE", "k", "400", "LT"), tInt(0))
	tEq(t, "EXPIRE LT smaller", c.do("EXPIRE", "k", "200", "LT"), tInt(1))
	tEq(t, "TTL after LT", c.do("TTL", "k"), tInt(200))
	tEq(t, "PTTL", c.do("PTTL", "k"), tInt(200000))
	tEq(t, "EXPIRETIME", c.do("EXPIRETIME", "k"), tInt(now.Unix()+200))
	tEq(t, "PEXPIRETIME", c.do("PEXPIRETIME", "k"), tInt(now.UnixMilli()+200000))
	// XX combines with GT or LT (as in Redis).
	tEq(t, "EXPIRE XX GT", c.do("EXPIRE", "k", "250", "XX", "GT"), tInt(1))
	tEq(t, "EXPIRE XX LT", c.do("EXPIRE", "k", "220", "XX", "LT"), tInt(1))
	tEq(t, "TTL after XX LT", c.do("TTL", "k"), tInt(220))
	tEq(t, "SET p", c.do("SET", "p", "v"), tOK)
	tEq(t, "EXPIRE LT without ttl", c.do("EXPIRE", "p", "100", "LT"), tInt(1))
	tEq(t, "PERSIST p", c.do("PERSIST", "p"), tInt(1))
	tEq(t, "EXPIRE XX LT without ttl", c.do("EXPIRE", "p", "100", "XX", "LT"), tInt(0))
	tEq(t, "TTL p", c.do("TTL", "p"), tInt(-1))

	// PEXPIRE, EXPIREAT, PEXPIREAT.
	tEq(t, "PEXPIRE", c.do("PEXPIRE", "k", "1500"), tInt(1))
	tEq(t, "PTTL after PEXPIRE", c.do("PTTL", "k"), tInt(1500))
	tEq(t, "TTL rounds", c.do("TTL", "k"), tInt(2))
	at := now.Unix() + 1000
	tEq(t, "EXPIREAT", c.do("EXPIREAT", "k", strconv.FormatInt(at, 10)), tInt(1))
	tEq(t, "EXPIRETIME", c.do("EXPIRETIME", "k"), tInt(at))
	tEq(t, "TTL after EXPIREAT", c.do("TTL", "k"), tInt(1000))
	tEq(t, "PEXPIREAT", c.do("PEXPIREAT", "k", strconv.FormatInt(at*1000+1499, 10)), tInt(1))
	tEq(t, "EXPIRETIME rounds", c.do("EXPIRETIME", "k"), tInt(at+1))
	tEq(t, "PEXPIRETIME", c.do("PEXPIRETIME", "k"), tInt(at*1000+1499))
	tEq(t, "PERSIST", c.do("PERSIST", "k"), tInt(1))
	tEq(t, "PERSIST again", c.do("PERSIST", "k"), tInt(0))
	tEq(t, "PERSIST missing", c.do("PERSIST", "nokey"), tInt(0))
	tEq(t, "TTL after PERSIST", c.do("TTL", "k"), tInt(-1))

	// go-redis's typed calls.
	tEq(t, "ExpireNX", rdb.ExpireNX(tCtx, "k", time.Minute).Val(), true)
	tEq(t, "ExpireGT", rdb.ExpireGT(tCtx, "k", 2*time.Minute).Val(), true)
	tEq(t, "ExpireLT", rdb.ExpireLT(tCtx, "k", 3*time.Minute).Val(), false)
	tEq(t, "ExpireXX", rdb.ExpireXX(tCtx, "k", 30*time.Second).Val(), true)
	tEq(t, "TTL", rdb.TTL(tCtx, "k").Val(), 30*time.Second)
	tEq(t, "PExpire", rdb.PExpire(tCtx, "k", 2500*time.Millisecond).Val(), true)
	tEq(t, "PTTL", rdb.PTTL(tCtx, "k").Val(), 2500*time.Millisecond)
	tEq(t, "ExpireAt", rdb.ExpireAt(tCtx, "k", now.Add(time.Hour)).Val(), true)
	tEq(t, "ExpireTime", rdb.ExpireTime(tCtx, "k").Val(), time.Duration(now.Add(time.Hour).Unix())*time.Second)
	tEq(t, "PExpireAt", rdb.PExpireAt(tCtx, "k", now.Add(time.Hour+time.Millisecond)).Val(), true)
	tEq(t, "PExpireTime", rdb.PExpireTime(tCtx, "k").Val(), time.Duration(now.Add(time.Hour+time.Millisecond).UnixMilli())*time.Millisecond)
	tEq(t, "Persist", rdb.Persist(tCtx, "k").Val(), true)

	// Errors.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"EXPIRE", "k", "abc"}, "ERR value is not an integer or out of range"},
		{[]string{"EXPIRE", "k", "10", "FOO"}, "ERR Unsupported option FOO"},
		{[]string{"EXPIRE", "k", "abc", "FOO"}, "ERR Unsupported option FOO"},
		{[]string{"EXPIRE", "k", "10", "NX", "XX"}, "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{[]string{"EXPIRE", "k", "10", "NX", "GT"}, "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{[]string{"EXPIRE", "k", "10", "GT", "LT"}, "ERR GT and LT options at the same time are not compatible"},
		{[]string{"EXPIRE", "k", "9223372036854775807"}, "ERR invalid expire time in 'expire' command"},
		{[]string{"PEXPIRE", "k", "9223372036854775807"}, "ERR invalid expire time in 'pexpire' command"},
		{[]string{"EXPIREAT", "k", "9223372036854775807"}, "ERR invalid expire time in 'expireat' command"},
		{[]string{"EXPIRE", "k"}, "ERR wrong number of arguments for 'expire' command"},
		{[]string{"TTL"}, "ERR wrong number of arguments for 'ttl' command"},
	} {
		tEq(t, strings.Join(tc.args, " "), c.do(tc.args...), tErr(tc.want))
	}
	// A time in the past deletes the key.
	tEq(t, "SET", c.do("SET", "gone", "v"), tOK)
	tEq(t, "EXPIRE -1", c.do("EXPIRE", "gone", "-1"), tInt(1))
	tEq(t, "gone", c.do("EXISTS", "gone"), tInt(0))
	tEq(t, "SET", c.do("SET", "gone", "v"), tOK)
	tEq(t, "PEXPIREAT 1", c.do("PEXPIREAT", "gone", "1"), tInt(1))
	tEq(t, "gone again", c.do("GET", "gone"), tNil)
}

func TestKeysExpiryFakeClock(t *testing.T) {
	clk := tNewClock()
	srv, db := tServer(t, herodbtest.Options{Clock: clk})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	tNoErr(t, "SET EX", rdb.Set(tCtx, "short", "v", 10*time.Second).Err())
	tNoErr(t, "SET PX", rdb.Set(tCtx, "ms", "v", 1500*time.Millisecond).Err())
	tNoErr(t, "SET long", rdb.Set(tCtx, "long", "v", time.Hour).Err())
	tNoErr(t, "SET forever", rdb.Set(tCtx, "forever", "v", 0).Err())
	tEq(t, "TTL short", c.do("TTL", "short"), tInt(10))

	clk.Add(1499 * time.Millisecond)
	tEq(t, "ms not yet", c.do("GET", "ms"), tBulk("v"))
	tEq(t, "PTTL ms", c.do("PTTL", "ms"), tInt(1))
	clk.Add(time.Millisecond)
	tEq(t, "ms expired at its ms", c.do("GET", "ms"), tNil)
	tEq(t, "TTL ms", c.do("TTL", "ms"), tInt(-2))

	clk.Add(9 * time.Second)
	tEq(t, "TTL short after 10.5 s", c.do("TTL", "short"), tInt(-2))
	tEq(t, "GET short", c.do("GET", "short"), tNil)
	tEq(t, "EXISTS short", c.do("EXISTS", "short"), tInt(0))
	tEq(t, "TYPE short", c.do("TYPE", "short"), "+none\r\n")
	if err := rdb.Get(tCtx, "short").Err(); err != redis.Nil {
		t.Errorf("go-redis GET expired: %v", err)
	}
	tEq(t, "SET NX on expired key", c.do("SET", "short", "new", "NX"), tOK)
	tEq(t, "TTL of new value", c.do("TTL", "short"), tInt(-1))
	tEq(t, "INCR on expired starts at 1", c.do("SET", "ctr", "10", "PX", "100"), tOK)
	clk.Add(time.Second)
	tEq(t, "INCR", c.do("INCR", "ctr"), tInt(1))
	tEq(t, "APPEND expired", c.do("SET", "ap", "abc", "PX", "100"), tOK)
	clk.Add(time.Second)
	tEq(t, "APPEND on expired", c.do("APPEND", "ap", "x"), tInt(1))

	keys, _ := rdb.Keys(tCtx, "*").Result()
	sort.Strings(keys)
	tEq(t, "KEYS hides expired", strings.Join(keys, " "), "ap ctr forever long short")

	// The active sweeper removes expired keys: DBSIZE drops without anyone reading them.
	pipe := rdb.Pipeline()
	for i := 0; i < 50; i++ {
		pipe.Set(tCtx, "sweep:"+strconv.Itoa(i), "v", time.Minute)
	}
	_, err := pipe.Exec(tCtx)
	tNoErr(t, "pipeline", err)
	// DBSIZE may still count keys that expired but were not swept yet, as in Redis.
	if n := rdb.DBSize(tCtx).Val(); n < 55 {
		t.Errorf("DBSIZE before: %d", n)
	}
	clk.Add(2 * time.Hour) // past "long" too
	tEventually(t, "sweeper removes expired keys", func() bool {
		return rdb.DBSize(tCtx).Val() == 4
	})
	keys, _ = rdb.Keys(tCtx, "*").Result()
	sort.Strings(keys)
	tEq(t, "KEYS after sweep", strings.Join(keys, " "), "ap ctr forever short")
}

// The empty string is a valid key name: RANDOMKEY and KEYS return it, not nil.
func TestReviewEmptyKeyName(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "SET", c.do("SET", "", "v"), tOK)
	tEq(t, "RANDOMKEY", c.do("RANDOMKEY"), "$0\r\n\r\n")
	tEq(t, "KEYS", c.do("KEYS", "*"), "*1\r\n$0\r\n\r\n")
	tEq(t, "GET", c.do("GET", ""), "$1\r\nv\r\n")
}
