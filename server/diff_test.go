package server_test

// Differential tests: the same command sequences over raw RESP to redis-server and to
// herodb, replies compared byte for byte. Skipped when redis-server is not installed.
//
// Left out on purpose, because they differ legitimately: SCAN cursors and order, KEYS
// order (compared sorted), RANDOMKEY, exact TTL values (compared by sign), INFO,
// COMMAND, HELLO, CLIENT, and everything the command table marks as `differs`
// (SELECT's KEY and arity, AUTH, INCRBYFLOAT's float64 arithmetic, UNLINK, TOUCH, …).

import (
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// tStartRedis starts redis-server on a free port, with extra arguments if any, or skips
// the test.
func tStartRedis(t *testing.T, extra ...string) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	port := tFreePort(t)
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, extra...)
	cmd := exec.Command(path, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// How a reply pair is compared.
const (
	tExact = iota
	tSorted
	tPairs
	tSign // integers by sign only (TTL values), everything else exactly
)

type tDiffCmd struct {
	mode int
	args []string
}

func tD(args ...string) tDiffCmd       { return tDiffCmd{tExact, args} }
func tDSorted(args ...string) tDiffCmd { return tDiffCmd{tSorted, args} }
func tDPairs(args ...string) tDiffCmd  { return tDiffCmd{tPairs, args} }
func tDSign(args ...string) tDiffCmd   { return tDiffCmd{tSign, args} }

func tNormalize(mode int, r tReply) string {
	switch mode {
	case tSorted:
		return tSortedArray(r)
	case tPairs:
		return tSortedPairs(r)
	case tSign:
		s := string(r.raw)
		if strings.HasPrefix(s, ":") {
			n, _ := strconv.ParseInt(strings.TrimSpace(s[1:]), 10, 64)
			switch {
			case n > 0:
				return ":+\r\n"
			case n == 0:
				return ":0\r\n"
			}
		}
		return s
	}
	return string(r.raw)
}

type tDiffCase struct {
	name  string
	needs []string // commands herodb must know, or the case is skipped
	cmds  []tDiffCmd
}

var tDiffCases = []tDiffCase{
	{name: "strings", cmds: []tDiffCmd{
		tD("SET", "k", "v"), tD("GET", "k"), tD("GET", "nokey"),
		tD("SET", "k", "v2", "GET"), tD("SET", "k2", "v", "GET"), tD("SET", "k3", "v", "XX", "GET"),
		tD("SET", "k", "x", "NX"), tD("SET", "k", "x", "XX"), tD("SET", "nx", "x", "NX"), tD("SET", "xx", "x", "XX"),
		tD("SET", "k", "v", "NX", "XX"), tD("SET", "k", "v", "EX"), tD("SET", "k", "v", "EX", "0"),
		tD("SET", "k", "v", "EX", "-1"), tD("SET", "k", "v", "EX", "abc"), tD("SET", "k", "v", "PX", "0"),
		tD("SET", "k", "v", "EX", "10", "PX", "10"), tD("SET", "k", "v", "PX", "100000", "KEEPTTL"),
		tD("SET", "k", "v", "KEEPTTL", "EX", "10"), tD("SET", "k", "v", "FOO"),
		tD("SET", "k", "v", "EX", "9223372036854775807"), tD("SET", "k", "v", "PXAT", "9223372036854775807"),
		tD("SET", "ttl", "v", "EX", "100"), tDSign("TTL", "ttl"), tD("SET", "ttl", "v2", "KEEPTTL"), tDSign("TTL", "ttl"),
		tD("SET", "ttl", "v3"), tD("TTL", "ttl"), tD("SET", "ttl", "v", "EXAT", "99999999999"), tD("EXPIRETIME", "ttl"),
		tD("SET", "ttl", "v", "PXAT", "99999999999999"), tD("PEXPIRETIME", "ttl"),
		tD("SETNX", "k", "v"), tD("SETNX", "new", "v"), tD("SETEX", "s", "100", "v"), tD("SETEX", "s", "0", "v"),
		tD("SETEX", "s", "-5", "v"), tD("SETEX", "s", "abc", "v"), tD("PSETEX", "s", "0", "v"),
		tD("PSETEX", "s", "100000", "v"), tD("GET", "s"),
		tD("MSET", "a", "1", "b", "2"), tD("MSET", "a", "1", "b"), tD("MGET", "a", "b", "nokey", "a"),
		tD("MSETNX", "a", "1", "c", "3"), tD("MSETNX", "c", "3", "d", "4"), tD("MSETNX", "x", "1", "y"),
		tD("MGET", "c", "d"),
		tD("GETSET", "a", "10"), tD("GETSET", "nokey2", "1"), tD("GETDEL", "a"), tD("GETDEL", "a"),
		tD("GETEX", "b"), tD("GETEX", "b", "EX", "100"), tDSign("TTL", "b"), tD("GETEX", "b", "PERSIST"),
		tD("TTL", "b"), tD("GETEX", "b", "EX", "0"), tD("GETEX", "b", "FOO"), tD("GETEX", "b", "EX", "10", "PX", "10"),
		tD("GETEX", "b", "EX"), tD("GETEX", "b", "PX", "abc"), tD("GETEX", "nokey", "EX", "10"), tD("GETEX", "b", "PERSIST", "x"),
		tD("GETEX", "b", "EXAT", "99999999999"), tD("EXPIRETIME", "b"),
		tD("INCR", "n"), tD("INCRBY", "n", "10"), tD("DECR", "n"), tD("DECRBY", "n", "3"), tD("INCRBY", "n", "-100"),
		tD("INCRBY", "n", "abc"), tD("INCRBY", "n", "1.5"), tD("INCR", "k"),
		tD("SET", "max", "9223372036854775807"), tD("INCR", "max"), tD("INCRBY", "max", "0"),
		tD("SET", "min", "-9223372036854775808"), tD("DECR", "min"), tD("DECRBY", "n", "-9223372036854775808"),
		tD("SET", "sp", " 1"), tD("INCR", "sp"), tD("SET", "lead", "01"), tD("INCR", "lead"),
		tD("SET", "plus", "+1"), tD("INCR", "plus"), tD("SET", "big", "99999999999999999999"), tD("INCR", "big"),
		tD("INCRBYFLOAT", "f", "1.5"), tD("INCRBYFLOAT", "f", "0.25"), tD("INCRBYFLOAT", "f", "-1.75"),
		tD("INCRBYFLOAT", "f", "abc"), tD("INCRBYFLOAT", "k", "1"), tD("INCRBYFLOAT", "f", "5.0e3"),
		tD("INCRBYFLOAT", "f", "inf"), tD("INCRBYFLOAT", "f", "nan"), tD("GET", "f"),
		tD("APPEND", "ap", "Hello"), tD("APPEND", "ap", " World"), tD("STRLEN", "ap"), tD("STRLEN", "nokey"),
		tD("GETRANGE", "ap", "0", "4"), tD("GETRANGE", "ap", "-5", "-1"), tD("GETRANGE", "ap", "0", "-1"),
		tD("GETRANGE", "ap", "-100", "100"), tD("GETRANGE", "ap", "5", "2"), tD("GETRANGE", "ap", "20", "30"),
		tD("GETRANGE", "ap", "-1", "-5"), tD("GETRANGE", "ap", "-3", "-5"), tD("GETRANGE", "ap", "10", "10"),
		tD("GETRANGE", "nokey", "0", "-1"), tD("GETRANGE", "ap", "a", "1"), tD("GETRANGE", "ap", "0", "-100"),
		tD("SETRANGE", "ap", "6", "Redis"), tD("GET", "ap"), tD("SETRANGE", "pad", "3", "x"), tD("GET", "pad"),
		tD("SETRANGE", "pad", "-1", "x"), tD("SETRANGE", "pad", "abc", "x"), tD("SETRANGE", "e", "5", ""),
		tD("EXISTS", "e"), tD("SETRANGE", "ap", "0", ""), tD("SETRANGE", "h", "536870912", "x"),
		tD("SET", "", ""), tD("GET", ""), tD("STRLEN", ""), tD("APPEND", "", "x"),
	}},
	{name: "keys", cmds: []tDiffCmd{
		tD("MSET", "a", "1", "b", "2", "c", "3"),
		tD("DEL", "a", "b", "nokey"), tD("DEL", "a"), tD("EXISTS", "a", "c", "c", "nokey"),
		tD("TYPE", "c"), tD("TYPE", "nokey"),
		tD("SET", "a", "1"), tD("RENAME", "a", "b"), tD("GET", "b"), tD("RENAME", "nokey", "x"),
		tD("RENAME", "b", "b"), tD("RENAMENX", "b", "b"), tD("RENAMENX", "b", "c"), tD("RENAMENX", "b", "d"),
		tD("RENAMENX", "nokey", "x"), tD("SET", "t", "v", "EX", "100"), tD("RENAME", "t", "t2"), tDSign("TTL", "t2"),
		tD("RENAME", "c", "t2"), tD("TTL", "t2"),
		tD("EXPIRE", "d", "100"), tD("EXPIRE", "d", "100", "NX"), tD("EXPIRE", "d", "100", "XX"),
		tD("EXPIRE", "d", "50", "GT"), tD("EXPIRE", "d", "200", "GT"), tD("EXPIRE", "d", "300", "LT"),
		tD("EXPIRE", "d", "100", "LT"), tD("EXPIRE", "d", "100", "NX", "XX"), tD("EXPIRE", "d", "100", "GT", "LT"),
		tD("EXPIRE", "d", "90", "XX", "GT"), tD("EXPIRE", "d", "50", "XX", "LT"), tD("EXPIRE", "d", "100", "gt", "xx"),
		tD("EXPIRE", "d", "100", "FOO"), tD("EXPIRE", "d", "abc"), tD("EXPIRE", "d", "abc", "FOO"),
		tD("EXPIRE", "d", "10", "NX", "XX", "FOO"), tD("EXPIRE", "nokey", "10"),
		tD("SET", "p", "v"), tD("EXPIRE", "p", "100", "XX"), tD("EXPIRE", "p", "100", "GT"),
		tD("EXPIRE", "p", "100", "XX", "LT"), tD("EXPIRE", "p", "100", "LT"), tD("PERSIST", "p"),
		tD("PEXPIRE", "d", "100000"), tDSign("PTTL", "d"), tD("EXPIREAT", "d", "99999999999"),
		tD("EXPIRETIME", "d"), tD("PEXPIRETIME", "d"), tD("PEXPIREAT", "d", "99999999999999"), tD("EXPIRETIME", "d"),
		tD("PEXPIREAT", "d", "99999999999499"), tD("EXPIRETIME", "d"), tD("PEXPIRETIME", "d"),
		tD("EXPIRETIME", "nokey"), tD("EXPIRETIME", "b"), tD("PEXPIRETIME", "b"), tD("TTL", "nokey"), tD("PTTL", "b"),
		tD("PERSIST", "d"), tD("PERSIST", "d"), tD("PERSIST", "nokey"), tD("TTL", "d"),
		tD("EXPIRE", "d", "9223372036854775807"), tD("PEXPIRE", "d", "9223372036854775807"),
		tD("EXPIREAT", "d", "9223372036854775807"), tD("PEXPIREAT", "d", "9223372036854775807"),
		tD("EXPIRE", "d", "-9223372036854775808"), tD("EXPIRE", "d", "-1"), tD("EXISTS", "d"),
		tD("SET", "d", "1"), tD("PEXPIREAT", "d", "1"), tD("EXISTS", "d"), tD("SET", "d", "1"), tD("EXPIRE", "d", "0"),
		tD("GET", "d"),
		tD("MSET", "hello", "1", "hallo", "1", "hxllo", "1", "heeeello", "1", "h*llo", "1", "other", "1"),
		tDSorted("KEYS", "*"), tDSorted("KEYS", "h?llo"), tDSorted("KEYS", "h*llo"), tDSorted("KEYS", "h[ae]llo"),
		tDSorted("KEYS", "h[^e]llo"), tDSorted("KEYS", "h[a-b]llo"), tDSorted("KEYS", "h\\*llo"), tDSorted("KEYS", "nomatch"),
		tDSorted("KEYS", "h[e"), tDSorted("KEYS", "*llo"), tDSorted("KEYS", "[hx]*"),
		tD("DBSIZE"), tD("SCAN", "abc"), tD("SCAN", "0", "COUNT", "0"), tD("SCAN", "0", "COUNT", "abc"),
		tD("SCAN", "0", "MATCH"), tD("SCAN", "0", "FOO", "bar"), tD("SCAN", "0", "TYPE"),
		tD("SCAN", "0", "COUNT", "1000", "MATCH", "nomatch*"), tD("SCAN", "0", "COUNT", "-1"),
		tD("FLUSHDB", "FOO"), tD("FLUSHDB", "ASYNC"), tD("DBSIZE"), tD("FLUSHDB", "SYNC"), tD("FLUSHDB", "a", "b"),
		tD("RANDOMKEY"), tD("KEYS", "*"), tD("SCAN", "0"),
	}},
	{name: "errors", cmds: []tDiffCmd{
		tD("GET"), tD("GET", "a", "b"), tD("SET", "k"), tD("DEL"), tD("EXISTS"), tD("TYPE"), tD("TYPE", "a", "b"),
		tD("MGET"), tD("MSET"), tD("MSET", "a"), tD("MSETNX", "a"), tD("INCR"), tD("INCRBY", "a"), tD("DECRBY", "a"),
		tD("INCRBYFLOAT", "a"), tD("APPEND", "a"), tD("STRLEN"), tD("GETRANGE", "a", "0"), tD("SETRANGE", "a", "0"),
		tD("GETSET", "a"), tD("GETDEL"), tD("GETEX"), tD("SETNX", "a"), tD("SETEX", "a", "1"), tD("PSETEX", "a", "1"),
		tD("EXPIRE", "a"), tD("PEXPIRE", "a"), tD("EXPIREAT", "a"), tD("PEXPIREAT", "a"), tD("TTL"), tD("PTTL"),
		tD("PERSIST"), tD("EXPIRETIME"), tD("PEXPIRETIME"), tD("RENAME", "a"), tD("RENAMENX", "a"), tD("KEYS"),
		tD("SCAN"), tD("RANDOMKEY", "a"), tD("DBSIZE", "a"), tD("PING", "a", "b"), tD("ECHO"), tD("ECHO", "a", "b"),
		tD("TIME", "a"), tD("MULTI", "a"), tD("DISCARD", "a"), tD("WATCH"), tD("UNWATCH", "a"),
		tD("NOSUCH"), tD("nosuch", "a", "b"), tD("x", "a"), tD("GETX", "k", strings.Repeat("y", 200)),
		tD("nosuch", "\xff\xfe", "a\r\nb"), tD("nosuch", strings.Repeat("a", 60), strings.Repeat("b", 60), strings.Repeat("c", 60), "d"),
		tD("nosuch", "", "", ""), tD(strings.Repeat("N", 200), "x"),
		tD("PING"), tD("PING", "hi"), tD("ECHO", "hi"), tD("ECHO", ""),
		tD("set", "MiXeD", "case"), tD("gEt", "MiXeD"), tD("Get", "mixed"),
	}},
	{name: "transactions", cmds: []tDiffCmd{
		tD("MULTI"), tD("SET", "a", "1"), tD("INCR", "a"), tD("GET", "a"), tD("PING"), tD("EXEC"),
		tD("MULTI"), tD("EXEC"),
		tD("SET", "s", "abc"), tD("MULTI"), tD("SET", "x", "1"), tD("INCR", "s"), tD("SET", "y", "2"),
		tD("SET", "k", "v", "EX", "0"), tD("EXEC"), tD("MGET", "x", "y", "s"),
		tD("MULTI"), tD("SET", "z", "1"), tD("NOSUCH", "a"), tD("EXEC"), tD("EXISTS", "z"),
		tD("MULTI"), tD("SET", "z", "1"), tD("GET"), tD("EXEC"), tD("EXISTS", "z"),
		tD("MULTI"), tD("SET", "d", "1"), tD("DISCARD"), tD("EXISTS", "d"),
		tD("DISCARD"), tD("EXEC"),
		tD("MULTI"), tD("MULTI"), tD("SET", "n", "1"), tD("EXEC"),
		tD("MULTI"), tD("WATCH", "a"), tD("EXEC"),
		tD("WATCH", "w"), tD("SET", "w", "1"), tD("MULTI"), tD("GET", "w"), tD("EXEC"),
		tD("WATCH", "w"), tD("UNWATCH"), tD("SET", "w", "2"), tD("MULTI"), tD("GET", "w"), tD("EXEC"),
		tD("WATCH", "w"), tD("MULTI"), tD("SET", "w", "3"), tD("EXEC"), tD("GET", "w"),
		tD("WATCH", "nokey"), tD("MULTI"), tD("GET", "nokey"), tD("EXEC"),
		tD("MULTI"), tD("INCRBY", "x", "abc"), tD("SET", "k", "v", "BAD"), tD("GET", "x"), tD("EXEC"),
		tD("MULTI"), tD("MSET", "m1", "1", "m2", "2"), tD("MGET", "m1", "m2"), tD("DEL", "m1"), tD("EXEC"),
	}},
	// Errors of EXEC, DISCARD, MULTI and WATCH themselves while in MULTI: Redis marks the
	// transaction failed (EXECABORT), and EXEC with wrong arity discards it at once.
	{name: "transaction-errors", cmds: []tDiffCmd{
		tD("EXEC", "x"), tD("MULTI"), tD("SET", "a1", "1"), tD("EXEC", "x"), tD("EXEC"), tD("EXISTS", "a1"),
		tD("MULTI"), tD("SET", "a2", "1"), tD("DISCARD", "x"), tD("EXEC"), tD("EXISTS", "a2"),
		tD("MULTI"), tD("SET", "a3", "1"), tD("MULTI", "x"), tD("EXEC"), tD("EXISTS", "a3"),
		tD("MULTI"), tD("SET", "a4", "1"), tD("WATCH"), tD("EXEC"), tD("EXISTS", "a4"),
	}},
	{name: "hashes", needs: []string{"hset"}, cmds: []tDiffCmd{
		tD("HSET", "h", "f1", "v1", "f2", "v2"), tD("HSET", "h", "f1", "x"), tD("HSET", "h", "f1"),
		tD("HGET", "h", "f1"), tD("HGET", "h", "nofield"), tD("HGET", "nokey", "f"),
		tDPairs("HGETALL", "h"), tDSorted("HKEYS", "h"), tDSorted("HVALS", "h"), tD("HLEN", "h"),
		tD("HGETALL", "nokey"), tD("HKEYS", "nokey"), tD("HLEN", "nokey"),
		tD("HEXISTS", "h", "f1"), tD("HEXISTS", "h", "no"), tD("HDEL", "h", "f1", "no"), tD("HDEL", "h", "no"),
		tD("HMSET", "h", "a", "1", "b", "2"), tD("HMSET", "h", "a"), tD("HMGET", "h", "a", "no", "b"),
		tD("HSETNX", "h", "a", "9"), tD("HSETNX", "h", "c", "3"),
		tD("HINCRBY", "h", "n", "5"), tD("HINCRBY", "h", "n", "-10"), tD("HINCRBY", "h", "a", "abc"),
		tD("HSET", "h", "s", "abc"), tD("HINCRBY", "h", "s", "1"), tD("HINCRBYFLOAT", "h", "fl", "1.5"),
		tD("HINCRBYFLOAT", "h", "s", "1"), tD("HINCRBYFLOAT", "h", "fl", "abc"), tD("HSTRLEN", "h", "s"),
		tD("HSTRLEN", "h", "no"), tD("HSET", "h", "big", "9223372036854775807"), tD("HINCRBY", "h", "big", "1"),
		tD("HDEL", "h", "f2", "a", "b", "c", "n", "s", "fl", "big"), tD("EXISTS", "h"), tD("TYPE", "h"),
		tD("HSET", "h2", "f", "v"), tD("TYPE", "h2"),
		tD("SET", "str", "v"), tD("HSET", "str", "f", "v"), tD("HGET", "str", "f"), tD("HGETALL", "str"),
		tD("HLEN", "str"), tD("HDEL", "str", "f"), tD("HINCRBY", "str", "f", "1"),
		tD("GET", "h2"), tD("INCR", "h2"), tD("APPEND", "h2", "x"), tD("STRLEN", "h2"), tD("GETRANGE", "h2", "0", "1"),
		tD("SETRANGE", "h2", "0", "x"), tD("GETSET", "h2", "x"), tD("GETDEL", "h2"), tD("GETEX", "h2"),
		tD("SET", "h2", "v", "GET"), tD("MGET", "h2", "str"), tD("INCRBYFLOAT", "h2", "1"),
		tD("HSET"), tD("HSET", "h"), tD("HGET", "h"), tD("HGETALL"), tD("HDEL", "h"), tD("HINCRBY", "h", "f"),
		tD("RENAME", "h2", "h3"), tD("HGET", "h3", "f"), tD("EXPIRE", "h3", "100"), tDSign("TTL", "h3"),
		tD("SET", "h3", "now-a-string"), tD("TYPE", "h3"), tDSorted("KEYS", "h*"),
		tD("MULTI"), tD("HSET", "th", "a", "1"), tD("HINCRBY", "th", "a", "x"), tD("HGET", "th", "a"), tD("EXEC"),
		tD("HSCAN", "th", "abc"), tD("HSCAN", "th", "0", "COUNT", "0"), tD("HSCAN", "th", "0", "MATCH"),
		tD("HSCAN", "nokey", "0"), tD("HSCAN", "str", "0"), tD("HRANDFIELD", "nokey"), tD("HRANDFIELD", "nokey", "3"),
		tD("HRANDFIELD", "th"), tD("HRANDFIELD", "th", "0"), tD("HRANDFIELD", "th", "x"), tD("HRANDFIELD", "str"),
		tD("HRANDFIELD", "th", "1", "WITHVALUES"), tD("HRANDFIELD", "th", "-1", "WITHVALUES"), tD("HRANDFIELD", "th", "1", "FOO"),
	}},
	{name: "lists", needs: []string{"lpush", "rpush", "lrange"}, cmds: []tDiffCmd{
		tD("RPUSH", "l", "a", "b", "c"), tD("LPUSH", "l", "z"), tD("LRANGE", "l", "0", "-1"),
		tD("LRANGE", "l", "1", "2"), tD("LRANGE", "l", "-2", "-1"), tD("LRANGE", "l", "5", "10"),
		tD("LRANGE", "l", "-100", "100"), tD("LRANGE", "nokey", "0", "-1"), tD("LRANGE", "l", "a", "1"),
		tD("LLEN", "l"), tD("LLEN", "nokey"), tD("LINDEX", "l", "0"), tD("LINDEX", "l", "-1"), tD("LINDEX", "l", "10"),
		tD("LINDEX", "l", "x"), tD("LPOP", "l"), tD("RPOP", "l"), tD("LPOP", "l", "0"), tD("LPOP", "l", "5"),
		tD("LPOP", "l"), tD("EXISTS", "l"), tD("LPOP", "nokey"), tD("LPOP", "nokey", "2"), tD("LPOP", "l", "-1"),
		tD("RPUSH", "l", "1", "2", "3", "2", "1"), tD("LREM", "l", "1", "2"), tD("LRANGE", "l", "0", "-1"),
		tD("LREM", "l", "-1", "1"), tD("LRANGE", "l", "0", "-1"), tD("LREM", "l", "0", "x"),
		tD("LSET", "l", "0", "first"), tD("LSET", "l", "10", "x"), tD("LSET", "nokey", "0", "x"),
		tD("LINSERT", "l", "BEFORE", "first", "zero"), tD("LINSERT", "l", "AFTER", "nope", "x"),
		tD("LINSERT", "nokey", "BEFORE", "a", "b"), tD("LINSERT", "l", "MIDDLE", "a", "b"),
		tD("LRANGE", "l", "0", "-1"), tD("LTRIM", "l", "1", "-1"), tD("LRANGE", "l", "0", "-1"),
		tD("LTRIM", "l", "5", "10"), tD("EXISTS", "l"), tD("LPUSHX", "l", "a"), tD("RPUSHX", "l", "a"),
		tD("RPUSH", "l", "a"), tD("LPUSHX", "l", "b"), tD("RPUSHX", "l", "c"), tD("LRANGE", "l", "0", "-1"),
		tD("TYPE", "l"), tD("SET", "s", "v"), tD("LPUSH", "s", "a"), tD("LRANGE", "s", "0", "-1"), tD("LLEN", "s"),
		tD("LPOP", "s"), tD("GET", "l"), tD("INCR", "l"), tD("APPEND", "l", "x"), tD("SET", "l", "x", "GET"),
		tD("LPUSH"), tD("LPUSH", "l"), tD("LRANGE", "l", "0"), tD("LPOP"), tD("LINDEX", "l"),
		tD("MULTI"), tD("RPUSH", "tl", "a"), tD("LPOP", "tl"), tD("LPOP", "tl"), tD("INCR", "tl"), tD("EXEC"),
		tD("DEL", "l", "m"), tD("RPUSH", "l", "a", "b", "c", "b", "a"), tD("LPOS", "l", "b"), tD("LPOS", "l", "b", "RANK", "2"),
		tD("LPOS", "l", "b", "RANK", "-1"), tD("LPOS", "l", "b", "COUNT", "0"), tD("LPOS", "l", "x"),
		tD("LPOS", "l", "a", "MAXLEN", "1", "COUNT", "0"), tD("LPOS", "l", "b", "RANK", "0"), tD("LPOS", "l", "b", "COUNT", "-1"),
		tD("LPOS", "nokey", "a"), tD("LPOS", "l", "a", "FOO"),
		tD("LMOVE", "l", "m", "LEFT", "RIGHT"), tD("LMOVE", "l", "m", "RIGHT", "LEFT"), tD("LRANGE", "m", "0", "-1"),
		tD("LMOVE", "l", "l", "LEFT", "RIGHT"), tD("LRANGE", "l", "0", "-1"), tD("LMOVE", "nokey", "m", "LEFT", "LEFT"),
		tD("LMOVE", "l", "m", "UP", "LEFT"), tD("RPOPLPUSH", "l", "m"), tD("RPOPLPUSH", "nokey", "m"),
		tD("LRANGE", "m", "0", "-1"), tD("SET", "str", "v"), tD("LMOVE", "l", "str", "LEFT", "LEFT"), tD("LRANGE", "l", "0", "-1"),
		tD("RPOPLPUSH", "str", "m"), tD("LPOS", "str", "a"),
	}},
}

func TestDiffRedis(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	known := tSelected(t, srv.Addr(), db)
	for _, tc := range tDiffCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range tc.needs {
				if got := known.do("COMMAND", "INFO", name); got == "*1\r\n$-1\r\n" || got == "*1\r\n*-1\r\n" {
					t.Skipf("herodb does not have %s yet", name)
				}
			}
			r := tDial(t, raddr)
			tEq(t, "redis FLUSHALL", r.do("FLUSHALL"), tOK)
			h := tSelected(t, srv.Addr(), db)
			tEq(t, "herodb FLUSHDB", h.do("FLUSHDB"), tOK)
			for _, cmd := range tc.cmds {
				tDiffStep(t, r, h, cmd.args, func(rep tReply) string { return tNormalize(cmd.mode, rep) })
			}
		})
	}
}

// tDiffStep sends args to redis-server (r) and herodb (h) and reports a difference of
// their replies as norm sees them.
func tDiffStep(t *testing.T, r, h *tConn, args []string, norm func(tReply) string) {
	t.Helper()
	r.send(args...)
	h.send(args...)
	rr, err := r.readReply()
	if err != nil {
		t.Fatalf("redis %q: %v", args, err)
	}
	hr, err := h.readReply()
	if err != nil {
		t.Fatalf("herodb %q: %v", args, err)
	}
	if want, got := norm(rr), norm(hr); want != got {
		t.Errorf("%s:\n  redis:  %q\n  herodb: %q", strings.Join(args, " "), want, got)
	}
}

// tReviewDiff runs cmds against redis-server and herodb over raw RESP, each on its own
// connection, and reports every reply that differs. conns > 1 gives each side several
// connections; a command prefixed by "@n" runs on connection n.
func tReviewDiff(t *testing.T, conns int, cmds [][]string) {
	t.Helper()
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	var rs, hs []*tConn
	for i := 0; i < conns; i++ {
		rs = append(rs, tDial(t, raddr))
		hs = append(hs, tSelected(t, srv.Addr(), db))
	}
	rs[0].do("FLUSHALL")
	for i, cmd := range cmds {
		n := 0
		if strings.HasPrefix(cmd[0], "@") {
			n = int(cmd[0][1] - '0')
			cmd = cmd[1:]
		}
		want := rs[n].do(cmd...)
		got := hs[n].do(cmd...)
		if want != got {
			t.Errorf("#%d [conn %d] %s:\n  redis:  %q\n  herodb: %q", i, n, strings.Join(cmd, " "), want, got)
		}
	}
}

// SCAN COUNT takes a long in Redis; herodb refuses anything above 2^31-1.
func TestReviewScanCountAboveInt32(t *testing.T) {
	tReviewDiff(t, 1, [][]string{{"SET", "a", "1"}, {"SCAN", "0", "COUNT", "4294967296"}})
}

// DBSIZE inside MULTI/EXEC after writes answers the count from before the transaction.
func TestReviewDBSizeInsideTransaction(t *testing.T) {
	tReviewDiff(t, 1, [][]string{
		{"SET", "a", "1"},
		{"MULTI"}, {"SET", "b", "1"}, {"SET", "c", "1"}, {"DEL", "a"}, {"DBSIZE"}, {"EXEC"},
	})
}

// Every write command touches watchers, even when it changes nothing (SETNX on an existing
// key, DEL of an absent key, EXPIRE of an absent key); Redis only signals real changes, so
// its EXEC succeeds where herodb's answers a null array.
func TestReviewWatchNoopWrite(t *testing.T) {
	tReviewDiff(t, 2, [][]string{
		{"SET", "w", "1"},
		{"WATCH", "w", "gone"},
		{"@1", "SETNX", "w", "2"},
		{"@1", "DEL", "gone"},
		{"@1", "EXPIRE", "gone", "100"},
		{"MULTI"}, {"GET", "w"}, {"EXEC"},
	})
}

// An empty list element seals to an empty plaintext, which opens as nil; getElem takes
// nil for "missing" and reports a corrupt record. Popping, indexing or moving an empty
// element fails the whole transaction (every command of the pipeline with it).
func TestReviewEmptyListElement(t *testing.T) {
	tReviewDiff(t, 1, [][]string{
		{"RPUSH", "l", "", "x", ""},
		{"LINDEX", "l", "0"},
		{"LPOS", "l", "x"},
		{"LMOVE", "l", "m", "LEFT", "LEFT"},
		{"RPOP", "l"},
		{"LRANGE", "m", "0", "-1"},
	})
}

// SET … KEEPTTL over a key of another type: Redis keeps the key's TTL (the expire entry
// belongs to the key, whatever its value); herodb deletes the old key and its TTL.
func TestReviewSetKeepTTLOverOtherType(t *testing.T) {
	tReviewDiff(t, 1, [][]string{
		{"HSET", "h", "f", "v"}, {"EXPIRE", "h", "1000"},
		{"SET", "h", "x", "KEEPTTL"}, {"TTL", "h"},
		{"RPUSH", "l", "a"}, {"EXPIRE", "l", "1000"},
		{"SET", "l", "x", "KEEPTTL", "GET"},
		{"TTL", "l"},
	})
}
