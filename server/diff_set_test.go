package server_test

// The differential test of the set commands: the same sequences over raw RESP to
// redis-server and to herodb, replies compared byte for byte (helpers in diff_test.go).
// Member order differs legitimately (herodb walks keyed digests, Redis its hash table),
// so whole-set replies are compared sorted; SPOP and SRANDMEMBER are random, so their
// replies are compared by shape: how many members, each one of the set's.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// Comparison modes beyond diff_test.go's.
const (
	tScanSorted = 100 + iota // [cursor, members]: the members sorted
	tRandom                  // members drawn from among: compared by count and membership
)

type tSetCmd struct {
	mode  int
	among []string
	args  []string
}

func sD(args ...string) tSetCmd       { return tSetCmd{mode: tExact, args: args} }
func sDSorted(args ...string) tSetCmd { return tSetCmd{mode: tSorted, args: args} }
func sDSign(args ...string) tSetCmd   { return tSetCmd{mode: tSign, args: args} }
func sDScan(args ...string) tSetCmd   { return tSetCmd{mode: tScanSorted, args: args} }

// sDRand is a random draw among the members listed before "--".
func sDRand(spec ...string) tSetCmd {
	i := slices.Index(spec, "--")
	return tSetCmd{mode: tRandom, among: spec[:i], args: spec[i+1:]}
}

func (c tSetCmd) normalize(r tReply) string {
	switch c.mode {
	case tScanSorted:
		if r.array && len(r.elems) == 2 {
			return string(r.elems[0].raw) + tSortedArray(r.elems[1])
		}
		return string(r.raw)
	case tRandom:
		member := func(e tReply) string {
			for _, m := range c.among {
				if string(e.raw) == tBulk(m) {
					return "$member\r\n"
				}
			}
			return string(e.raw)
		}
		if !r.array {
			return member(r)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(r.elems))
		for _, e := range r.elems {
			b.WriteString(member(e))
		}
		return b.String()
	}
	return tNormalize(c.mode, r)
}

var tSetDiffCases = []struct {
	name string
	cmds []tSetCmd
}{
	{"add-rem-card", []tSetCmd{
		sD("SADD", "s", "a", "b", "c"), sD("SADD", "s", "a", "d", "d"), sD("SADD", "s", "a"),
		sD("SCARD", "s"), sD("SCARD", "nokey"), sDSorted("SMEMBERS", "s"), sD("SMEMBERS", "nokey"),
		sD("SISMEMBER", "s", "a"), sD("SISMEMBER", "s", "z"), sD("SISMEMBER", "nokey", "a"),
		sD("SMISMEMBER", "s", "a", "z", "b", "a"), sD("SMISMEMBER", "nokey", "a", "b"),
		sD("SREM", "s", "a", "z", "a"), sD("SREM", "s", "z"), sD("SREM", "nokey", "a"), sD("SCARD", "s"),
		sD("SREM", "s", "b", "c", "d"), sD("EXISTS", "s"), sD("TYPE", "s"),
		sD("SADD", "s", ""), sD("SMEMBERS", "s"), sD("SISMEMBER", "s", ""), sD("SREM", "s", ""), sD("EXISTS", "s"),
		sD("SADD", "n", "1", "2", "3", "10", "-1"), sDSorted("SMEMBERS", "n"), sD("SISMEMBER", "n", "10"),
		sD("SISMEMBER", "n", "01"), sD("SADD", "n", "x"), sD("SCARD", "n"), sD("TYPE", "n"),
		sD("SADD", "bin", "a\x00b", "\xff\xfe", "a\r\nb"), sDSorted("SMEMBERS", "bin"), sD("SISMEMBER", "bin", "a\x00b"),
	}},
	{"pop-randmember", []tSetCmd{
		sD("SADD", "s", "a", "b", "c", "d", "e"),
		sDRand("a", "b", "c", "d", "e", "--", "SRANDMEMBER", "s"),
		sDRand("a", "b", "c", "d", "e", "--", "SRANDMEMBER", "s", "3"),
		sDRand("a", "b", "c", "d", "e", "--", "SRANDMEMBER", "s", "-8"),
		sDRand("a", "b", "c", "d", "e", "--", "SRANDMEMBER", "s", "-1"),
		sDSorted("SRANDMEMBER", "s", "5"), sDSorted("SRANDMEMBER", "s", "100"), sD("SRANDMEMBER", "s", "0"),
		sD("SRANDMEMBER", "nokey"), sD("SRANDMEMBER", "nokey", "3"), sD("SRANDMEMBER", "nokey", "-3"),
		sD("SRANDMEMBER", "s", "x"), sD("SRANDMEMBER", "s", "1.5"), sD("SRANDMEMBER", "s", "1", "2"),
		sD("SRANDMEMBER", "s", "-9223372036854775808"), sD("SRANDMEMBER", "nokey", "-9223372036854775807"),
		sD("SCARD", "s"),
		sDRand("a", "b", "c", "d", "e", "--", "SPOP", "s"), sD("SCARD", "s"),
		sDRand("a", "b", "c", "d", "e", "--", "SPOP", "s", "2"), sD("SCARD", "s"),
		sD("SPOP", "s", "0"), sD("SCARD", "s"),
		sDRand("a", "b", "c", "d", "e", "--", "SPOP", "s", "10"), sD("EXISTS", "s"),
		sD("SPOP", "nokey"), sD("SPOP", "nokey", "3"), sD("SPOP", "nokey", "0"),
		sD("SPOP", "s", "-1"), sD("SPOP", "s", "x"), sD("SPOP", "s", "1", "2"),
		sD("SADD", "t", "x", "y"), sDSorted("SPOP", "t", "2"), sD("EXISTS", "t"),
		sD("SADD", "t", "x"), sD("SPOP", "t"), sD("EXISTS", "t"),
	}},
	{"move", []tSetCmd{
		sD("SADD", "a", "1", "2", "3"), sD("SADD", "b", "3", "4"),
		sD("SMOVE", "a", "b", "1"), sDSorted("SMEMBERS", "a"), sDSorted("SMEMBERS", "b"),
		sD("SMOVE", "a", "b", "3"), sD("SCARD", "a"), sD("SCARD", "b"), sD("SMOVE", "a", "b", "nope"),
		sD("SMOVE", "a", "a", "2"), sD("SMOVE", "a", "a", "nope"), sD("SMOVE", "nokey", "b", "1"),
		sD("SMOVE", "a", "fresh", "2"), sD("EXISTS", "a"), sD("SMEMBERS", "fresh"), sD("TYPE", "fresh"),
		sD("SET", "str", "v"), sD("SMOVE", "str", "b", "1"), sD("SMOVE", "b", "str", "1"), sD("SMOVE", "nokey", "str", "1"),
		sD("SMOVE", "b", "str", "nope"), sD("SCARD", "b"), sD("GET", "str"),
		sD("SMOVE", "a"), sD("SMOVE", "a", "b", "c", "d"),
	}},
	{"inter-union-diff", []tSetCmd{
		sD("SADD", "a", "1", "2", "3", "4"), sD("SADD", "b", "3", "4", "5"), sD("SADD", "c", "4", "5", "6"),
		sDSorted("SINTER", "a", "b"), sDSorted("SINTER", "a", "b", "c"), sDSorted("SINTER", "a"), sD("SINTER", "a", "nokey"),
		sD("SINTER", "nokey"), sDSorted("SINTER", "a", "a"),
		sDSorted("SUNION", "a", "b"), sDSorted("SUNION", "a", "b", "c", "nokey"), sD("SUNION", "nokey", "nokey2"),
		sDSorted("SDIFF", "a", "b"), sDSorted("SDIFF", "a", "b", "c"), sDSorted("SDIFF", "a", "nokey"),
		sD("SDIFF", "nokey", "a"), sD("SDIFF", "a", "a"), sDSorted("SDIFF", "c", "a"),
		sD("SET", "str", "v"), sD("SINTER", "a", "str"), sD("SINTER", "nokey", "str"), sD("SINTER", "str", "nokey"),
		sD("SUNION", "a", "str"), sD("SUNION", "nokey", "str"), sD("SDIFF", "a", "str"), sD("SDIFF", "nokey", "str"),
		sD("SDIFF", "str", "a"),
		sD("SINTERCARD", "2", "a", "b"), sD("SINTERCARD", "3", "a", "b", "c"), sD("SINTERCARD", "1", "a"),
		sD("SINTERCARD", "2", "a", "nokey"), sD("SINTERCARD", "1", "a", "LIMIT", "2"), sD("SINTERCARD", "1", "a", "limit", "0"),
		sD("SINTERCARD", "1", "a", "LIMIT", "100"), sD("SINTERCARD", "2", "a", "str"), sD("SINTERCARD", "2", "nokey", "str"),
		sD("SINTERCARD", "0", "a"), sD("SINTERCARD", "-1", "a"), sD("SINTERCARD", "abc", "a"), sD("SINTERCARD", "3", "a", "b"),
		sD("SINTERCARD", "1", "a", "LIMIT"), sD("SINTERCARD", "1", "a", "LIMIT", "-1"), sD("SINTERCARD", "1", "a", "LIMIT", "x"),
		sD("SINTERCARD", "1", "a", "FOO", "1"), sD("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "3"),
		sD("SINTERCARD", "9223372036854775808", "a"), sD("SINTERCARD", "1"),
	}},
	{"store", []tSetCmd{
		sD("SADD", "a", "1", "2", "3", "4"), sD("SADD", "b", "3", "4", "5"),
		sD("SINTERSTORE", "d", "a", "b"), sDSorted("SMEMBERS", "d"), sD("TYPE", "d"),
		sD("SUNIONSTORE", "d", "a", "b"), sD("SCARD", "d"), sD("SDIFFSTORE", "d", "a", "b"), sDSorted("SMEMBERS", "d"),
		sD("SINTERSTORE", "d", "a", "nokey"), sD("EXISTS", "d"), sD("SINTERSTORE", "d", "a", "nokey"),
		sD("SUNIONSTORE", "d", "nokey"), sD("SDIFFSTORE", "d", "a", "a"), sD("EXISTS", "d"),
		sD("SET", "str", "v"), sD("SINTERSTORE", "str", "a", "b"), sD("TYPE", "str"), sDSorted("SMEMBERS", "str"),
		sD("SET", "str2", "v"), sD("SUNIONSTORE", "str2", "nokey"), sD("EXISTS", "str2"),
		sD("SET", "str3", "v"), sD("SINTERSTORE", "d", "a", "str3"), sD("SUNIONSTORE", "d", "str3"), sD("SDIFFSTORE", "d", "a", "str3"),
		sD("SADD", "t", "x"), sD("EXPIRE", "t", "100"), sD("SUNIONSTORE", "t", "a"), sD("TTL", "t"),
		sD("SADD", "ttl", "x"), sD("EXPIRE", "ttl", "100"), sDSign("TTL", "ttl"), sD("SUNIONSTORE", "u", "ttl"), sD("TTL", "u"),
		sD("SUNIONSTORE", "a", "a", "b"), sDSorted("SMEMBERS", "a"), sD("SDIFFSTORE", "a", "a", "b"), sDSorted("SMEMBERS", "a"),
		sD("SINTERSTORE", "a", "b", "a"), sD("EXISTS", "a"),
		sD("SINTERSTORE", "d"), sD("SUNIONSTORE", "d"), sD("SDIFFSTORE", "d"),
	}},
	{"scan", []tSetCmd{
		sD("SADD", "s", "a1", "a2", "b1", "b2", "c"),
		sDScan("SSCAN", "s", "0"), sDScan("SSCAN", "s", "0", "COUNT", "1000"), sDScan("SSCAN", "s", "0", "MATCH", "a*"),
		sDScan("SSCAN", "s", "0", "MATCH", "*1", "COUNT", "100"), sDScan("SSCAN", "s", "0", "match", "zz*"),
		sD("SSCAN", "nokey", "0"), sD("SSCAN", "nokey", "0", "FOO"), sD("SSCAN", "s", "abc"), sD("SSCAN", "s", "1.5"), sD("SSCAN", "s", " 1"),
		sD("SSCAN", "s", "0", "COUNT", "0"), sD("SSCAN", "s", "0", "COUNT", "x"), sD("SSCAN", "s", "0", "MATCH"),
		sD("SSCAN", "s", "0", "TYPE", "set"), sD("SSCAN", "s", "0", "FOO", "bar"), sD("SSCAN", "s", "0", "NOVALUES"),
		sD("SET", "str", "v"), sD("SSCAN", "str", "0"), sD("SSCAN"), sD("SSCAN", "s"),
	}},
	{"types", []tSetCmd{
		sD("SET", "str", "v"), sD("HSET", "h", "f", "v"), sD("RPUSH", "l", "x"), sD("SADD", "s", "m"),
		sD("SADD", "str", "a"), sD("SADD", "h", "a"), sD("SADD", "l", "a"), sD("SREM", "str", "a"), sD("SMEMBERS", "h"),
		sD("SISMEMBER", "l", "a"), sD("SMISMEMBER", "str", "a"), sD("SCARD", "h"), sD("SPOP", "l"), sD("SPOP", "str", "0"),
		sD("SRANDMEMBER", "h"), sD("SRANDMEMBER", "l", "0"), sD("SSCAN", "h", "0"),
		sD("GET", "s"), sD("INCR", "s"), sD("APPEND", "s", "x"), sD("HSET", "s", "f", "v"), sD("HGET", "s", "f"),
		sD("HGETALL", "s"), sD("LPUSH", "s", "x"), sD("LRANGE", "s", "0", "-1"), sD("LLEN", "s"), sD("HLEN", "s"),
		sD("STRLEN", "s"), sD("SET", "s", "v", "GET"), sD("GETDEL", "s"), sD("LMOVE", "l", "s", "LEFT", "LEFT"),
		sD("TYPE", "s"), sD("SCAN", "0", "TYPE", "set"), sD("SCAN", "0", "TYPE", "SET"),
		sD("RENAME", "s", "s2"), sD("SMEMBERS", "s2"), sD("EXPIRE", "s2", "100"), sDSign("TTL", "s2"),
		sD("PERSIST", "s2"), sD("TTL", "s2"), sD("SET", "s2", "x"), sD("TYPE", "s2"),
		sD("SADD"), sD("SADD", "s"), sD("SREM", "s"), sD("SMEMBERS"), sD("SMEMBERS", "a", "b"), sD("SISMEMBER", "s"),
		sD("SMISMEMBER", "s"), sD("SCARD"), sD("SPOP"), sD("SRANDMEMBER"), sD("SINTER"), sD("SUNION"), sD("SDIFF"),
		sD("SINTERCARD"), sD("SINTERCARD", "1"),
	}},
	{"multi", []tSetCmd{
		sD("MULTI"), sD("SADD", "m", "a", "b"), sD("SCARD", "m"), sD("SISMEMBER", "m", "a"), sD("SREM", "m", "a"),
		sD("SMEMBERS", "m"), sD("EXEC"),
		sD("SET", "str", "v"), sD("MULTI"), sD("SADD", "m", "c"), sD("SADD", "str", "x"), sD("SINTERSTORE", "d", "m"),
		sD("SMOVE", "m", "e", "c"), sD("EXEC"), sDSorted("SMEMBERS", "d"), sD("SMEMBERS", "e"),
		sD("MULTI"), sD("SADD", "m2", "x"), sD("SADD", "m2"), sD("EXEC"), sD("EXISTS", "m2"),
		sD("WATCH", "w"), sD("SADD", "w", "x"), sD("MULTI"), sD("SCARD", "w"), sD("EXEC"),
		sD("WATCH", "w"), sD("MULTI"), sD("SPOP", "w"), sD("EXEC"), sD("EXISTS", "w"),
	}},
}

func TestDiffRedisSets(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	for _, tc := range tSetDiffCases {
		t.Run(tc.name, func(t *testing.T) {
			r := tDial(t, raddr)
			tEq(t, "redis FLUSHALL", r.do("FLUSHALL"), tOK)
			h := tSelected(t, srv.Addr(), db)
			tEq(t, "herodb FLUSHDB", h.do("FLUSHDB"), tOK)
			for _, cmd := range tc.cmds {
				tDiffStep(t, r, h, cmd.args, cmd.normalize)
			}
		})
	}
}
