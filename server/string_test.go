package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// String commands end to end through go-redis (RESP2), with raw RESP where the exact
// reply text matters.

func TestStringsGetSet(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	if err := rdb.Get(tCtx, "missing").Err(); err != redis.Nil {
		t.Fatalf("GET missing: %v", err)
	}
	tNoErr(t, "SET", rdb.Set(tCtx, "k", "v", 0).Err())
	if v, _ := rdb.Get(tCtx, "k").Result(); v != "v" {
		t.Errorf("GET = %q", v)
	}
	// NX / XX.
	ok, err := rdb.SetNX(tCtx, "k", "x", 0).Result()
	tNoErr(t, "SET NX", err)
	tEq(t, "SET NX on existing", ok, false)
	ok, _ = rdb.SetXX(tCtx, "k", "v2", 0).Result()
	tEq(t, "SET XX on existing", ok, true)
	ok, _ = rdb.SetXX(tCtx, "nope", "v", 0).Result()
	tEq(t, "SET XX on missing", ok, false)
	tEq(t, "EXISTS nope", rdb.Exists(tCtx, "nope").Val(), 0)
	// GET option.
	old, err := rdb.SetArgs(tCtx, "k", "v3", redis.SetArgs{Get: true}).Result()
	tNoErr(t, "SET GET", err)
	tEq(t, "SET GET old", old, "v2")
	if err := rdb.SetArgs(tCtx, "fresh", "1", redis.SetArgs{Get: true}).Err(); err != redis.Nil {
		t.Errorf("SET GET on missing: %v", err)
	}
	// Expiry options.
	tNoErr(t, "SET EX", rdb.Set(tCtx, "ex", "1", 100*time.Second).Err())
	if ttl := rdb.TTL(tCtx, "ex").Val(); ttl < 99*time.Second || ttl > 100*time.Second {
		t.Errorf("TTL after SET EX 100: %v", ttl)
	}
	tNoErr(t, "SET PX", rdb.Set(tCtx, "px", "1", 1500*time.Millisecond).Err())
	if pttl := rdb.PTTL(tCtx, "px").Val(); pttl <= 0 || pttl > 1500*time.Millisecond {
		t.Errorf("PTTL after SET PX 1500: %v", pttl)
	}
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	tNoErr(t, "SET EXAT", rdb.SetArgs(tCtx, "exat", "1", redis.SetArgs{ExpireAt: at}).Err())
	if et := rdb.ExpireTime(tCtx, "exat").Val(); et != time.Duration(at.Unix())*time.Second {
		t.Errorf("EXPIRETIME after EXAT: %v want %v", et, at.Unix())
	}
	c := tSelected(t, srv.Addr(), db)
	pxat := strconv.FormatInt(at.UnixMilli()+123, 10)
	tEq(t, "SET PXAT", c.do("SET", "pxat", "1", "PXAT", pxat), tOK)
	tEq(t, "PEXPIRETIME", c.do("PEXPIRETIME", "pxat"), ":"+pxat+"\r\n")
	// KEEPTTL keeps it, a plain SET drops it.
	tEq(t, "SET KEEPTTL", c.do("SET", "pxat", "2", "KEEPTTL"), tOK)
	tEq(t, "PEXPIRETIME kept", c.do("PEXPIRETIME", "pxat"), ":"+pxat+"\r\n")
	tEq(t, "SET plain", c.do("SET", "pxat", "3"), tOK)
	tEq(t, "TTL dropped", c.do("TTL", "pxat"), tInt(-1))
	// NX with GET.
	tEq(t, "SET NX GET existing", c.do("SET", "pxat", "4", "NX", "GET"), tBulk("3"))
	tEq(t, "SET NX GET did not set", c.do("GET", "pxat"), tBulk("3"))
	tEq(t, "SET XX GET missing", c.do("SET", "gone", "4", "XX", "GET"), tNil)
	tEq(t, "SET NX missing", c.do("SET", "nx1", "v", "NX"), tOK)
	tEq(t, "SET NX existing", c.do("SET", "nx1", "v", "NX"), tNil)
	// Errors.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SET", "k", "v", "NX", "XX"}, "ERR syntax error"},
		{[]string{"SET", "k", "v", "EX"}, "ERR syntax error"},
		{[]string{"SET", "k", "v", "EX", "10", "PX", "10"}, "ERR syntax error"},
		{[]string{"SET", "k", "v", "EX", "10", "KEEPTTL"}, "ERR syntax error"},
		{[]string{"SET", "k", "v", "FOO"}, "ERR syntax error"},
		{[]string{"SET", "k", "v", "EX", "abc"}, "ERR value is not an integer or out of range"},
		{[]string{"SET", "k", "v", "EX", "0"}, "ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k", "v", "PX", "-5"}, "ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k", "v", "EX", "9223372036854775807"}, "ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k"}, "ERR wrong number of arguments for 'set' command"},
		{[]string{"SETEX", "k", "0", "v"}, "ERR invalid expire time in 'setex' command"},
		{[]string{"PSETEX", "k", "-1", "v"}, "ERR invalid expire time in 'psetex' command"},
		{[]string{"SETEX", "k", "x", "v"}, "ERR value is not an integer or out of range"},
	} {
		tEq(t, strings.Join(tc.args, " "), c.do(tc.args...), tErr(tc.want))
	}
	tEq(t, "k unchanged by refused SETs", c.do("GET", "k"), tBulk("v3"))

	// SETNX, SETEX, PSETEX.
	tEq(t, "SETNX new", rdb.SetNX(tCtx, "snx", "1", 0).Val(), true)
	tEq(t, "SETNX old", rdb.SetNX(tCtx, "snx", "2", 0).Val(), false)
	tEq(t, "SETNX raw", c.do("SETNX", "snx", "3"), tInt(0))
	tNoErr(t, "SETEX", rdb.SetEx(tCtx, "sex", "v", 10*time.Second).Err())
	tEq(t, "TTL SETEX", rdb.TTL(tCtx, "sex").Val(), 10*time.Second)
	tEq(t, "PSETEX", c.do("PSETEX", "psex", "10000", "v"), tOK)
	if p := rdb.PTTL(tCtx, "psex").Val(); p <= 9*time.Second || p > 10*time.Second {
		t.Errorf("PTTL after PSETEX: %v", p)
	}
}

func TestStringsMulti(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	tNoErr(t, "MSET", rdb.MSet(tCtx, "a", "1", "b", "2").Err())
	vals, err := rdb.MGet(tCtx, "a", "nokey", "b").Result()
	tNoErr(t, "MGET", err)
	tEq(t, "MGET", vals, []any{"1", nil, "2"})
	tEq(t, "MSET odd", c.do("MSET", "a", "1", "b"), tErr("ERR wrong number of arguments for 'mset' command"))
	tEq(t, "MSETNX existing", rdb.MSetNX(tCtx, "a", "9", "c", "3").Val(), false)
	tEq(t, "MSETNX left c alone", rdb.Exists(tCtx, "c").Val(), 0)
	tEq(t, "MSETNX new", rdb.MSetNX(tCtx, "c", "3", "d", "4").Val(), true)
	tEq(t, "MGET after MSETNX", rdb.MGet(tCtx, "c", "d").Val(), []any{"3", "4"})
	tEq(t, "MSETNX odd", c.do("MSETNX", "x", "1", "y"), tErr("ERR wrong number of arguments for 'msetnx' command"))
	// MSET with a key twice: the last value wins.
	tEq(t, "MSET dup", c.do("MSET", "dup", "1", "dup", "2"), tOK)
	tEq(t, "GET dup", c.do("GET", "dup"), tBulk("2"))

	// GETSET, GETDEL, GETEX.
	tEq(t, "GETSET", rdb.GetSet(tCtx, "a", "10").Val(), "1")
	tEq(t, "GETSET new value", rdb.Get(tCtx, "a").Val(), "10")
	if err := rdb.GetSet(tCtx, "gs-new", "1").Err(); err != redis.Nil {
		t.Errorf("GETSET missing: %v", err)
	}
	tEq(t, "GETDEL", rdb.GetDel(tCtx, "a").Val(), "10")
	tEq(t, "GETDEL removed", rdb.Exists(tCtx, "a").Val(), 0)
	if err := rdb.GetDel(tCtx, "a").Err(); err != redis.Nil {
		t.Errorf("GETDEL missing: %v", err)
	}
	tEq(t, "GETEX plain", rdb.GetEx(tCtx, "b", 0).Val(), "2")
	tEq(t, "TTL after plain GETEX", rdb.TTL(tCtx, "b").Val(), time.Duration(-1))
	tEq(t, "GETEX EX", rdb.GetEx(tCtx, "b", 50*time.Second).Val(), "2")
	tEq(t, "TTL after GETEX EX", rdb.TTL(tCtx, "b").Val(), 50*time.Second)
	tEq(t, "GETEX PX", c.do("GETEX", "b", "PX", "70000"), tBulk("2"))
	tEq(t, "TTL after GETEX PX", c.do("TTL", "b"), tInt(70))
	tEq(t, "GETEX PERSIST", rdb.GetDel(tCtx, "nonexistent").Err(), redis.Nil)
	tEq(t, "GETEX PERSIST", c.do("GETEX", "b", "PERSIST"), tBulk("2"))
	tEq(t, "TTL after GETEX PERSIST", c.do("TTL", "b"), tInt(-1))
	exat := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	tEq(t, "GETEX EXAT", c.do("GETEX", "b", "EXAT", exat), tBulk("2"))
	tEq(t, "EXPIRETIME after GETEX EXAT", c.do("EXPIRETIME", "b"), ":"+exat+"\r\n")
	tEq(t, "GETEX missing", c.do("GETEX", "nokey", "EX", "10"), tNil)
	tEq(t, "GETEX bad option", c.do("GETEX", "b", "FOO"), tErr("ERR syntax error"))
	tEq(t, "GETEX EX 0", c.do("GETEX", "b", "EX", "0"), tErr("ERR invalid expire time in 'getex' command"))
	tEq(t, "GETEX EX x", c.do("GETEX", "b", "EX", "x"), tErr("ERR value is not an integer or out of range"))
}

func TestStringsCounters(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "INCR new", rdb.Incr(tCtx, "n").Val(), 1)
	tEq(t, "INCRBY", rdb.IncrBy(tCtx, "n", 41).Val(), 42)
	tEq(t, "DECR", rdb.Decr(tCtx, "n").Val(), 41)
	tEq(t, "DECRBY", rdb.DecrBy(tCtx, "n", 50).Val(), -9)
	tEq(t, "GET counter", rdb.Get(tCtx, "n").Val(), "-9")
	tEq(t, "INCRBY -", rdb.IncrBy(tCtx, "n", -1).Val(), -10)
	tNoErr(t, "SET max", rdb.Set(tCtx, "max", "9223372036854775807", 0).Err())
	tEq(t, "INCR overflow", c.do("INCR", "max"), tErr("ERR increment or decrement would overflow"))
	tEq(t, "DECRBY min", c.do("DECRBY", "n", "-9223372036854775808"), tErr("ERR decrement would overflow"))
	tNoErr(t, "SET str", rdb.Set(tCtx, "s", "abc", 0).Err())
	tEq(t, "INCR string", c.do("INCR", "s"), tErr("ERR value is not an integer or out of range"))
	tEq(t, "INCRBY non-integer", c.do("INCRBY", "n", "1.5"), tErr("ERR value is not an integer or out of range"))
	tEq(t, "INCR spaces", c.do("SET", "sp", " 1"), tOK)
	tEq(t, "INCR leading space", c.do("INCR", "sp"), tErr("ERR value is not an integer or out of range"))
	tEq(t, "INCR arity", c.do("INCR"), tErr("ERR wrong number of arguments for 'incr' command"))

	f, err := rdb.IncrByFloat(tCtx, "f", 1.5).Result()
	tNoErr(t, "INCRBYFLOAT", err)
	tEq(t, "INCRBYFLOAT new", f, 1.5)
	tEq(t, "INCRBYFLOAT raw", c.do("INCRBYFLOAT", "f", "0.25"), tBulk("1.75"))
	tEq(t, "INCRBYFLOAT int result", c.do("INCRBYFLOAT", "f", "0.25"), tBulk("2"))
	tEq(t, "INCRBYFLOAT exp", c.do("INCRBYFLOAT", "f", "5.0e3"), tBulk("5002"))
	tEq(t, "INCRBYFLOAT bad", c.do("INCRBYFLOAT", "f", "abc"), tErr("ERR value is not a valid float"))
	tEq(t, "INCRBYFLOAT on string", c.do("INCRBYFLOAT", "s", "1"), tErr("ERR value is not a valid float"))
	tEq(t, "INCRBYFLOAT inf", c.do("INCRBYFLOAT", "f", "inf"), tErr("ERR increment would produce NaN or Infinity"))
	tEq(t, "INCRBYFLOAT half", c.do("INCRBYFLOAT", "f", "0.5"), tBulk("5002.5"))
	tEq(t, "INCR on float string", c.do("INCR", "f"), tErr("ERR value is not an integer or out of range"))
}

func TestStringsAppendRange(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "APPEND new", rdb.Append(tCtx, "s", "Hello").Val(), 5)
	tEq(t, "APPEND", rdb.Append(tCtx, "s", " World").Val(), 11)
	tEq(t, "STRLEN", rdb.StrLen(tCtx, "s").Val(), 11)
	tEq(t, "STRLEN missing", rdb.StrLen(tCtx, "nokey").Val(), 0)
	for _, tc := range []struct {
		start, end int64
		want       string
	}{
		{0, 4, "Hello"}, {-5, -1, "World"}, {0, -1, "Hello World"}, {-100, 100, "Hello World"},
		{5, 2, ""}, {20, 30, ""}, {-1, -5, ""}, {10, 10, "d"},
	} {
		tEq(t, "GETRANGE "+strconv.FormatInt(tc.start, 10)+" "+strconv.FormatInt(tc.end, 10),
			rdb.GetRange(tCtx, "s", tc.start, tc.end).Val(), tc.want)
	}
	tEq(t, "GETRANGE missing", c.do("GETRANGE", "nokey", "0", "-1"), tBulk(""))
	tEq(t, "GETRANGE bad", c.do("GETRANGE", "s", "a", "1"), tErr("ERR value is not an integer or out of range"))
	tEq(t, "SETRANGE", rdb.SetRange(tCtx, "s", 6, "Redis").Val(), 11)
	tEq(t, "after SETRANGE", rdb.Get(tCtx, "s").Val(), "Hello Redis")
	tEq(t, "SETRANGE pad", rdb.SetRange(tCtx, "p", 3, "x").Val(), 4)
	tEq(t, "padded with zero bytes", rdb.Get(tCtx, "p").Val(), "\x00\x00\x00x")
	tEq(t, "SETRANGE negative", c.do("SETRANGE", "p", "-1", "x"), tErr("ERR offset is out of range"))
	tEq(t, "SETRANGE empty on missing", c.do("SETRANGE", "e", "5", ""), tInt(0))
	tEq(t, "SETRANGE empty did not create", c.do("EXISTS", "e"), tInt(0))
	tEq(t, "SETRANGE huge", c.do("SETRANGE", "h", "536870912", "x"), tErr("ERR string exceeds maximum allowed size (proto-max-bulk-len)"))
}

func TestStringsBinarySafe(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	key := append([]byte("bin\x00\r\n"), all...)
	tEq(t, "SET binary", c.doB([]byte("SET"), key, all), tOK)
	tEq(t, "GET binary", c.doB([]byte("GET"), key) == tBulk(string(all)), true)
	v, err := rdb.Get(tCtx, string(key)).Bytes()
	tNoErr(t, "go-redis GET binary", err)
	tEq(t, "go-redis binary value", string(v) == string(all), true)
	keys, _ := rdb.Keys(tCtx, "bin*").Result()
	tEq(t, "KEYS binary", len(keys) == 1 && keys[0] == string(key), true)
	// Every single byte as a key and as a value.
	pipe := rdb.Pipeline()
	for i := 0; i < 256; i++ {
		pipe.Set(tCtx, string([]byte{byte(i)}), string([]byte{byte(255 - i), byte(i)}), 0)
	}
	_, err = pipe.Exec(tCtx)
	tNoErr(t, "pipeline of byte keys", err)
	for i := 0; i < 256; i++ {
		got, err := rdb.Get(tCtx, string([]byte{byte(i)})).Result()
		if err != nil || got != string([]byte{byte(255 - i), byte(i)}) {
			t.Fatalf("byte key %d: %q %v", i, got, err)
		}
	}
	tEq(t, "DBSIZE", rdb.DBSize(tCtx).Val(), 257)
	// An empty key and an empty value.
	tNoErr(t, "SET empty", rdb.Set(tCtx, "", "", 0).Err())
	tEq(t, "GET empty key", c.do("GET", ""), tBulk(""))
	tEq(t, "EXISTS empty key", c.do("EXISTS", ""), tInt(1))
	tEq(t, "STRLEN empty", c.do("STRLEN", ""), tInt(0))
}
