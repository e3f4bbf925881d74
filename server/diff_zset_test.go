package server_test

// The differential test of the sorted set commands: the same sequences over raw RESP to
// redis-server 7.0 and to herodb, replies compared byte for byte (helpers in
// diff_test.go and diff_set_test.go). Sorted sets have one order, so ranges compare
// exactly; ZSCAN walks keyed digests (its pairs are compared sorted) and ZRANDMEMBER is
// random (compared by count and membership).

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

const tZScanPairs = 200 // [cursor, member score ...]: the pairs sorted

func zDScan(args ...string) tSetCmd { return tSetCmd{mode: tZScanPairs, args: args} }

func zNormalize(c tSetCmd, r tReply) string {
	if c.mode == tZScanPairs && r.array && len(r.elems) == 2 {
		return string(r.elems[0].raw) + tSortedPairs(r.elems[1])
	}
	return c.normalize(r)
}

// zBig is a ZADD of n members with scores that make ties, negatives and fractions: a
// sorted set over Redis's listpack limit (128), so Redis answers from its skiplist.
func zBig(key string, n int) tSetCmd {
	args := []string{"ZADD", key}
	for i := 0; i < n; i++ {
		args = append(args, strconv.FormatFloat(float64(i%17-8)/4, 'g', -1, 64), fmt.Sprintf("m%03d", i))
	}
	return sD(args...)
}

var tZSetDiffCases = []struct {
	name string
	cmds []tSetCmd
}{
	{"add-score-card", []tSetCmd{
		sD("ZADD", "z", "1", "a", "2", "b", "1.5", "c"), sD("ZADD", "z", "1", "a"), sD("ZADD", "z", "3", "a"),
		sD("ZCARD", "z"), sD("ZCARD", "nokey"), sD("ZSCORE", "z", "a"), sD("ZSCORE", "z", "c"), sD("ZSCORE", "z", "nope"),
		sD("ZSCORE", "nokey", "a"), sD("ZMSCORE", "z", "a", "nope", "b"), sD("ZMSCORE", "nokey", "a", "b"),
		sD("ZADD", "f", "0.1", "a", "-0.1", "b", "1e20", "c", "1e-5", "d", "123456789012345678", "e", "3.0", "f", "-0", "g",
			"inf", "h", "-inf", "i", "+inf", "j", "0.30000000000000004", "k", "1e16", "l", "1e17", "m", "2.5e-7", "n"),
		sD("ZRANGE", "f", "0", "-1", "WITHSCORES"), sD("ZSCORE", "f", "g"), sD("ZSCORE", "f", "h"), sD("ZSCORE", "f", "i"),
		sD("ZADD", "z", "nan", "x"), sD("ZADD", "z", "abc", "x"), sD("ZADD", "z", "1", "x", "2"), sD("ZADD", "z"),
		sD("ZADD", "z", "1"), sD("ZADD", "z", " 1", "x"), sD("ZADD", "z", "1e400", "x"), sD("ZADD", "z", "", "x"),
		sD("ZADD", "z", "NX", "XX", "1", "x"), sD("ZADD", "z", "GT", "LT", "1", "x"), sD("ZADD", "z", "GT", "NX", "1", "x"),
		sD("ZADD", "z", "LT", "NX", "1", "x"), sD("ZADD", "z", "INCR", "1", "x", "2", "y"), sD("ZADD", "z", "FOO", "1", "x"),
		sD("ZADD", "z", "NX", "10", "a", "10", "new"), sD("ZSCORE", "z", "a"), sD("ZADD", "z", "XX", "10", "a", "10", "new2"),
		sD("ZSCORE", "z", "new2"), sD("ZADD", "z", "XX", "CH", "11", "a", "11", "new2"), sD("ZADD", "z", "CH", "11", "a", "12", "b", "1", "q"),
		sD("ZADD", "z", "GT", "CH", "5", "a", "20", "b"), sD("ZMSCORE", "z", "a", "b"), sD("ZADD", "z", "LT", "CH", "5", "a", "30", "b"),
		sD("ZMSCORE", "z", "a", "b"), sD("ZADD", "z", "GT", "1", "brandnew"), sD("ZSCORE", "z", "brandnew"),
		sD("ZADD", "z", "INCR", "2.5", "a"), sD("ZADD", "z", "INCR", "1", "fresh"), sD("ZADD", "z", "NX", "INCR", "1", "a"),
		sD("ZADD", "z", "XX", "INCR", "1", "nope"), sD("ZADD", "z", "GT", "INCR", "-1", "a"), sD("ZADD", "z", "LT", "INCR", "-1", "a"),
		sD("ZADD", "nokey", "XX", "1", "a"), sD("EXISTS", "nokey"), sD("ZADD", "nokey", "XX", "INCR", "1", "a"),
		sD("ZADD", "z", "inf", "a"), sD("ZADD", "z", "INCR", "-inf", "a"), sD("ZINCRBY", "z", "-inf", "a"), sD("ZSCORE", "z", "a"),
		sD("ZINCRBY", "z", "2", "b"), sD("ZINCRBY", "z", "1.5", "nope"), sD("ZINCRBY", "z", "x", "b"), sD("ZINCRBY", "z", "nan", "b"),
		sD("ZINCRBY", "nokey2", "0.1", "m"), sD("ZINCRBY", "nokey2", "0.2", "m"), sD("TYPE", "nokey2"),
		sD("ZADD", "z", "ch", "incr", "1", "b"), sD("ZADD", "z", "xx", "nx", "1", "b"),
		sD("ZREM", "z", "a", "nope", "a"), sD("ZREM", "z", "nope"), sD("ZREM", "nokey", "a"), sD("ZCARD", "z"),
		sD("ZADD", "e", "1", ""), sD("ZSCORE", "e", ""), sD("ZREM", "e", ""), sD("EXISTS", "e"),
		sD("ZADD", "bin", "1", "a\x00b", "2", "\xff"), sD("ZRANGE", "bin", "0", "-1"),
		sD("ZADD", "mz", "-0", "a", "0", "b"), sD("ZRANGE", "mz", "0", "-1", "WITHSCORES"), sD("ZADD", "mz", "0", "a"), sD("ZSCORE", "mz", "a"),
	}},
	{"rank-range", []tSetCmd{
		sD("ZADD", "z", "1", "a", "2", "b", "2", "c", "2", "bb", "3", "d", "-1", "neg", "-inf", "ninf", "inf", "pinf"),
		sD("ZRANK", "z", "a"), sD("ZRANK", "z", "c"), sD("ZRANK", "z", "bb"), sD("ZRANK", "z", "ninf"), sD("ZRANK", "z", "pinf"),
		sD("ZRANK", "z", "nope"), sD("ZRANK", "nokey", "a"), sD("ZREVRANK", "z", "a"), sD("ZREVRANK", "z", "bb"),
		sD("ZREVRANK", "z", "pinf"), sD("ZREVRANK", "z", "nope"),
		sD("ZRANGE", "z", "0", "-1"), sD("ZRANGE", "z", "0", "-1", "WITHSCORES"), sD("ZRANGE", "z", "2", "4"),
		sD("ZRANGE", "z", "-3", "-1"), sD("ZRANGE", "z", "-100", "1"), sD("ZRANGE", "z", "5", "100"), sD("ZRANGE", "z", "3", "2"),
		sD("ZRANGE", "z", "100", "200"), sD("ZRANGE", "z", "0", "-1", "REV"), sD("ZRANGE", "z", "1", "3", "REV", "WITHSCORES"),
		sD("ZREVRANGE", "z", "0", "2"), sD("ZREVRANGE", "z", "0", "-1", "WITHSCORES"), sD("ZREVRANGE", "z", "0", "-1", "REV"),
		sD("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"), sD("ZRANGE", "z", "0", "1", "LIMIT", "0", "1"),
		sD("ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"), sD("ZRANGE", "z", "a", "1"), sD("ZRANGE", "z", "0", "1", "FOO"),
		sD("ZRANGE", "nokey", "0", "-1"), sD("ZRANGE", "z", "0", "1", "REV", "REV"), sD("ZRANGE", "z", "0", "1", "LIMIT", "0"),
		sD("ZRANGE", "z", "0", "-1", "withscores", "withscores"),
	}},
	{"score-ranges", []tSetCmd{
		sD("ZADD", "z", "1", "a", "2", "b", "2", "c", "2", "bb", "3", "d", "-1", "neg", "-inf", "ninf", "inf", "pinf", "2.5", "e"),
		sD("ZRANGEBYSCORE", "z", "-inf", "+inf"), sD("ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES"),
		sD("ZRANGEBYSCORE", "z", "1", "2"), sD("ZRANGEBYSCORE", "z", "(1", "2"), sD("ZRANGEBYSCORE", "z", "1", "(2"),
		sD("ZRANGEBYSCORE", "z", "(1", "(2"), sD("ZRANGEBYSCORE", "z", "2", "2"), sD("ZRANGEBYSCORE", "z", "(2", "2"),
		sD("ZRANGEBYSCORE", "z", "3", "1"), sD("ZRANGEBYSCORE", "z", "(-inf", "(inf"), sD("ZRANGEBYSCORE", "z", "inf", "inf"),
		sD("ZRANGEBYSCORE", "z", "-inf", "-inf"), sD("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "1", "2"),
		sD("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "1", "-1"), sD("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "-1", "2"),
		sD("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "100", "2"), sD("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "0", "0"),
		sD("ZRANGEBYSCORE", "z", "0", "10", "WITHSCORES", "LIMIT", "2", "3"), sD("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "2", "3", "WITHSCORES"),
		sD("ZRANGEBYSCORE", "z", "x", "10"), sD("ZRANGEBYSCORE", "z", "0", "nan"), sD("ZRANGEBYSCORE", "z", "(", "10"),
		sD("ZRANGEBYSCORE", "z", "", "10"), sD("ZRANGEBYSCORE", "z", "0", "10", "LIMIT"), sD("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "a", "1"),
		sD("ZRANGEBYSCORE", "z", "0", "10", "REV"), sD("ZRANGEBYSCORE", "z", "0", "10", "BYSCORE"), sD("ZRANGEBYSCORE", "nokey", "0", "1"),
		sD("ZREVRANGEBYSCORE", "z", "+inf", "-inf"), sD("ZREVRANGEBYSCORE", "z", "2", "1", "WITHSCORES"),
		sD("ZREVRANGEBYSCORE", "z", "(2", "1"), sD("ZREVRANGEBYSCORE", "z", "2", "(1"), sD("ZREVRANGEBYSCORE", "z", "1", "2"),
		sD("ZREVRANGEBYSCORE", "z", "inf", "0", "LIMIT", "1", "3"), sD("ZREVRANGEBYSCORE", "z", "(inf", "(-inf"),
		sD("ZRANGE", "z", "1", "2", "BYSCORE"), sD("ZRANGE", "z", "(1", "inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"),
		sD("ZRANGE", "z", "2", "1", "BYSCORE", "REV"), sD("ZRANGE", "z", "inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "3"),
		sD("ZRANGE", "z", "1", "2", "BYSCORE", "BYLEX"), sD("ZRANGE", "z", "1", "2", "BYSCORE", "BYSCORE"),
		sD("ZCOUNT", "z", "-inf", "inf"), sD("ZCOUNT", "z", "1", "2"), sD("ZCOUNT", "z", "(1", "(2"), sD("ZCOUNT", "z", "2", "1"),
		sD("ZCOUNT", "z", "x", "1"), sD("ZCOUNT", "nokey", "0", "1"), sD("ZCOUNT", "z", "(2", "(2"),
		sD("ZREMRANGEBYSCORE", "z", "(2", "2.5"), sD("ZRANGE", "z", "0", "-1"), sD("ZREMRANGEBYSCORE", "z", "x", "1"),
		sD("ZREMRANGEBYSCORE", "z", "5", "1"), sD("ZREMRANGEBYSCORE", "nokey", "0", "1"), sD("ZREMRANGEBYSCORE", "z", "-inf", "1"),
		sD("ZRANGE", "z", "0", "-1", "WITHSCORES"), sD("ZREMRANGEBYSCORE", "z", "-inf", "inf"), sD("EXISTS", "z"),
	}},
	{"rank-remove-pop", []tSetCmd{
		sD("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "5", "ee"),
		sD("ZREMRANGEBYRANK", "z", "1", "2"), sD("ZRANGE", "z", "0", "-1"), sD("ZREMRANGEBYRANK", "z", "-1", "-1"),
		sD("ZREMRANGEBYRANK", "z", "5", "10"), sD("ZREMRANGEBYRANK", "z", "2", "1"), sD("ZREMRANGEBYRANK", "z", "x", "1"),
		sD("ZREMRANGEBYRANK", "nokey", "0", "1"), sD("ZRANGE", "z", "0", "-1", "WITHSCORES"),
		sD("ZADD", "p", "1", "a", "2", "b", "3", "c", "3", "cc", "4", "d"),
		sD("ZPOPMIN", "p"), sD("ZPOPMAX", "p"), sD("ZPOPMAX", "p", "2"), sD("ZPOPMIN", "p", "0"), sD("ZPOPMIN", "p", "-1"),
		sD("ZPOPMIN", "p", "x"), sD("ZPOPMIN", "p", "1", "2"), sD("ZPOPMIN", "nokey"), sD("ZPOPMIN", "nokey", "0"),
		sD("ZPOPMIN", "p", "10"), sD("EXISTS", "p"), sD("ZPOPMAX", "nokey", "3"),
		sD("SET", "str", "v"), sD("ZPOPMIN", "str", "0"), sD("ZPOPMIN", "str"),
	}},
	{"lex", []tSetCmd{
		sD("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "aa", "0", ""),
		sD("ZRANGEBYLEX", "l", "-", "+"), sD("ZRANGEBYLEX", "l", "[a", "[c"), sD("ZRANGEBYLEX", "l", "(a", "(c"),
		sD("ZRANGEBYLEX", "l", "[aa", "+"), sD("ZRANGEBYLEX", "l", "-", "(b"), sD("ZRANGEBYLEX", "l", "+", "-"),
		sD("ZRANGEBYLEX", "l", "[c", "[a"), sD("ZRANGEBYLEX", "l", "[", "[b"), sD("ZRANGEBYLEX", "l", "(", "+"),
		sD("ZRANGEBYLEX", "l", "-", "+", "LIMIT", "1", "2"), sD("ZRANGEBYLEX", "l", "-", "+", "LIMIT", "-1", "2"),
		sD("ZRANGEBYLEX", "l", "-", "+", "LIMIT", "2", "-1"), sD("ZRANGEBYLEX", "l", "a", "c"), sD("ZRANGEBYLEX", "l", "[a", "c"),
		sD("ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"), sD("ZRANGEBYLEX", "nokey", "-", "+"), sD("ZRANGEBYLEX", "l", "--", "+"),
		sD("ZREVRANGEBYLEX", "l", "+", "-"), sD("ZREVRANGEBYLEX", "l", "[c", "[a"), sD("ZREVRANGEBYLEX", "l", "(c", "-", "LIMIT", "1", "2"),
		sD("ZREVRANGEBYLEX", "l", "-", "+"),
		sD("ZRANGE", "l", "[a", "[c", "BYLEX"), sD("ZRANGE", "l", "[c", "[a", "BYLEX", "REV"), sD("ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", "2", "2"),
		sD("ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"), sD("ZRANGE", "l", "1", "2", "BYLEX"),
		sD("ZLEXCOUNT", "l", "-", "+"), sD("ZLEXCOUNT", "l", "[a", "(c"), sD("ZLEXCOUNT", "l", "x", "+"), sD("ZLEXCOUNT", "nokey", "-", "+"),
		sD("ZREMRANGEBYLEX", "l", "[aa", "(c"), sD("ZRANGE", "l", "0", "-1"), sD("ZREMRANGEBYLEX", "l", "x", "+"),
		sD("ZREMRANGEBYLEX", "nokey", "-", "+"), sD("ZREMRANGEBYLEX", "l", "-", "+"), sD("EXISTS", "l"),
	}},
	{"rangestore", []tSetCmd{
		sD("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"),
		sD("ZRANGESTORE", "d", "z", "1", "2"), sD("ZRANGE", "d", "0", "-1", "WITHSCORES"), sD("TYPE", "d"),
		sD("ZRANGESTORE", "d", "z", "(1", "3", "BYSCORE"), sD("ZRANGE", "d", "0", "-1", "WITHSCORES"),
		sD("ZRANGESTORE", "d", "z", "3", "1", "BYSCORE", "REV", "LIMIT", "0", "2"), sD("ZRANGE", "d", "0", "-1"),
		sD("ZRANGESTORE", "d", "z", "0", "-1", "REV"), sD("ZRANGE", "d", "0", "-1"),
		sD("ZRANGESTORE", "d", "z", "5", "10"), sD("EXISTS", "d"), sD("ZRANGESTORE", "d", "nokey", "0", "-1"),
		sD("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"), sD("ZRANGESTORE", "d", "z", "0", "-1", "LIMIT", "0", "1"),
		sD("SET", "str", "v"), sD("ZRANGESTORE", "str", "z", "0", "0"), sD("TYPE", "str"), sD("ZRANGESTORE", "d", "str", "0", "-1"),
		sD("ZADD", "lz", "0", "a", "0", "b", "0", "c"), sD("ZRANGESTORE", "d", "lz", "[b", "+", "BYLEX"), sD("ZRANGE", "d", "0", "-1"),
		sD("ZRANGESTORE", "z", "z", "0", "1"), sD("ZRANGE", "z", "0", "-1"),
	}},
	{"combine", []tSetCmd{
		sD("ZADD", "a", "1", "x", "2", "y", "3", "z"), sD("ZADD", "b", "10", "y", "20", "z", "30", "w"), sD("SADD", "s", "x", "w", "v"),
		sD("ZUNION", "2", "a", "b"), sD("ZUNION", "2", "a", "b", "WITHSCORES"), sD("ZUNION", "3", "a", "b", "s", "WITHSCORES"),
		sD("ZUNION", "2", "a", "b", "WEIGHTS", "2", "0.5", "WITHSCORES"), sD("ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"),
		sD("ZUNION", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES"), sD("ZUNION", "2", "a", "b", "AGGREGATE", "foo"),
		sD("ZUNION", "2", "a", "b", "WEIGHTS", "1"), sD("ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"), sD("ZUNION", "2", "a", "nokey", "WITHSCORES"),
		sD("ZUNION", "0", "a"), sD("ZUNION", "-1", "a"), sD("ZUNION", "x", "a"), sD("ZUNION", "3", "a", "b"),
		sD("ZINTER", "2", "a", "b", "WITHSCORES"), sD("ZINTER", "3", "a", "b", "s"), sD("ZINTER", "2", "a", "s", "WITHSCORES"),
		sD("ZINTER", "2", "a", "nokey"), sD("ZINTER", "2", "a", "b", "WEIGHTS", "1", "-1", "AGGREGATE", "SUM", "WITHSCORES"),
		sD("ZDIFF", "2", "a", "b", "WITHSCORES"), sD("ZDIFF", "2", "b", "s"), sD("ZDIFF", "1", "a"), sD("ZDIFF", "2", "nokey", "a"),
		sD("ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"), sD("ZDIFF", "2", "a", "a"),
		sD("ZADD", "inf", "inf", "x", "-inf", "y"), sD("ZADD", "ninf", "-inf", "x", "inf", "y"),
		sD("ZUNION", "2", "inf", "ninf", "WITHSCORES"), sD("ZUNION", "2", "inf", "ninf", "WEIGHTS", "0", "1", "WITHSCORES"),
		sD("ZUNIONSTORE", "d", "2", "a", "b"), sD("ZRANGE", "d", "0", "-1", "WITHSCORES"), sD("ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MAX"),
		sD("ZRANGE", "d", "0", "-1", "WITHSCORES"), sD("ZDIFFSTORE", "d", "2", "a", "b"), sD("ZRANGE", "d", "0", "-1", "WITHSCORES"),
		sD("ZINTERSTORE", "d", "2", "a", "nokey"), sD("EXISTS", "d"), sD("ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"),
		sD("ZUNIONSTORE", "d", "0", "a"), sD("ZINTERSTORE", "d", "0", "a"), sD("ZDIFFSTORE", "d", "0", "a"),
		sD("ZUNIONSTORE", "a", "2", "a", "b"), sD("ZRANGE", "a", "0", "-1", "WITHSCORES"),
		sD("SET", "str", "v"), sD("ZUNION", "2", "a", "str"), sD("ZUNION", "2", "a", "str", "FOO"), sD("ZINTER", "2", "nokey", "str"),
		sD("ZUNIONSTORE", "str", "1", "b"), sD("TYPE", "str"), sD("ZINTERSTORE", "d", "2", "b", "str"),
		sD("ZINTERCARD", "2", "a", "b"), sD("ZINTERCARD", "2", "a", "s"), sD("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
		sD("ZINTERCARD", "2", "a", "b", "LIMIT", "0"), sD("ZINTERCARD", "2", "a", "b", "LIMIT", "-1"), sD("ZINTERCARD", "0", "a"),
		sD("ZINTERCARD", "3", "a", "b"), sD("ZINTERCARD", "x", "a"), sD("ZINTERCARD", "2", "a", "str"), sD("ZINTERCARD", "1", "a", "FOO"),
	}},
	{"mpop", []tSetCmd{
		sD("ZADD", "a", "1", "x", "2", "y", "3", "z"), sD("ZADD", "b", "10", "q"),
		sD("ZMPOP", "2", "nokey", "a", "MIN"), sD("ZMPOP", "2", "a", "b", "MAX", "COUNT", "5"), sD("ZMPOP", "2", "a", "b", "min"),
		sD("ZMPOP", "1", "a", "MIN"), sD("ZMPOP", "2", "a", "b", "MIN"), sD("ZMPOP", "0", "a", "MIN"), sD("ZMPOP", "x", "a", "MIN"),
		sD("ZMPOP", "1", "a", "FOO"), sD("ZMPOP", "3", "a", "MIN"), sD("ZMPOP", "1", "a", "MIN", "COUNT", "0"),
		sD("ZMPOP", "1", "a", "MIN", "COUNT", "x"), sD("ZMPOP", "1", "a", "MIN", "COUNT"), sD("ZMPOP", "1", "a", "MIN", "COUNT", "1", "COUNT", "2"),
		sD("SET", "str", "v"), sD("ZADD", "c", "1", "x"), sD("ZMPOP", "2", "str", "c", "MIN"), sD("ZMPOP", "2", "c", "str", "MIN"),
	}},
	{"randmember", []tSetCmd{
		sD("ZADD", "z", "1", "a", "2", "b", "3", "c"),
		sDRand("a", "b", "c", "--", "ZRANDMEMBER", "z"), sDRand("a", "b", "c", "--", "ZRANDMEMBER", "z", "2"),
		sDRand("a", "b", "c", "--", "ZRANDMEMBER", "z", "-5"), sDRand("a", "b", "c", "1", "2", "3", "--", "ZRANDMEMBER", "z", "-5", "WITHSCORES"),
		sD("ZRANDMEMBER", "z", "0"), sD("ZRANDMEMBER", "nokey"), sD("ZRANDMEMBER", "nokey", "5"), sD("ZRANDMEMBER", "z", "x"),
		sD("ZRANDMEMBER", "z", "1", "FOO"), sD("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"),
		sD("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"), sD("ZRANDMEMBER", "z", "-9223372036854775808"),
		sD("SET", "str", "v"), sD("ZRANDMEMBER", "str"), sD("ZRANDMEMBER", "str", "0"),
	}},
	{"scan-big", []tSetCmd{
		sD("ZADD", "s", "1", "a1", "2", "a2", "0.1", "b1", "-3.5", "b2", "inf", "c"),
		zDScan("ZSCAN", "s", "0"), zDScan("ZSCAN", "s", "0", "MATCH", "a*"), zDScan("ZSCAN", "s", "0", "COUNT", "1000"),
		sD("ZSCAN", "nokey", "0"), sD("ZSCAN", "s", "x"), sD("ZSCAN", "s", "0", "COUNT", "0"), sD("ZSCAN", "s", "0", "FOO", "1"),
		zBig("big", 300), sD("ZCARD", "big"), sD("ZRANGE", "big", "0", "-1", "WITHSCORES"), sD("ZRANGE", "big", "100", "120", "REV", "WITHSCORES"),
		sD("ZRANGEBYSCORE", "big", "(-1", "0.5", "WITHSCORES", "LIMIT", "3", "20"), sD("ZREVRANGEBYSCORE", "big", "1", "-1", "LIMIT", "5", "10"),
		sD("ZRANK", "big", "m150"), sD("ZREVRANK", "big", "m150"), sD("ZCOUNT", "big", "-1", "1"),
		zDScan("ZSCAN", "big", "0", "COUNT", "10000"), sD("ZINCRBY", "big", "0.1", "m001"), sD("ZSCORE", "big", "m001"),
		sD("ZREMRANGEBYRANK", "big", "10", "50"), sD("ZREMRANGEBYSCORE", "big", "(0", "1"), sD("ZPOPMAX", "big", "3"), sD("ZPOPMIN", "big", "3"),
		sD("ZRANGE", "big", "0", "-1", "WITHSCORES"),
	}},
	{"types", []tSetCmd{
		sD("SET", "str", "v"), sD("HSET", "h", "f", "v"), sD("RPUSH", "l", "x"), sD("SADD", "s", "m"), sD("ZADD", "z", "1", "m"),
		sD("ZADD", "str", "1", "a"), sD("ZADD", "h", "1", "a"), sD("ZADD", "l", "1", "a"), sD("ZADD", "s", "1", "a"),
		sD("ZSCORE", "str", "a"), sD("ZCARD", "h"), sD("ZRANGE", "l", "0", "-1"), sD("ZRANK", "s", "m"), sD("ZREM", "str", "a"),
		sD("ZINCRBY", "h", "1", "a"), sD("ZCOUNT", "l", "0", "1"), sD("ZRANGEBYSCORE", "s", "0", "1"), sD("ZSCAN", "str", "0"),
		sD("ZRANGEBYSCORE", "s", "x", "1"), sD("ZMSCORE", "str", "a"), sD("ZLEXCOUNT", "h", "-", "+"),
		sD("GET", "z"), sD("HGET", "z", "f"), sD("LPUSH", "z", "x"), sD("SADD", "z", "x"), sD("SCARD", "z"), sD("LLEN", "z"),
		sD("SMEMBERS", "z"), sD("INCR", "z"), sD("APPEND", "z", "x"),
		sD("TYPE", "z"), sD("SCAN", "0", "TYPE", "zset"), sD("RENAME", "z", "z2"), sD("ZRANGE", "z2", "0", "-1", "WITHSCORES"),
		sD("EXPIRE", "z2", "100"), sDSign("TTL", "z2"), sD("PERSIST", "z2"), sD("DEL", "z2"), sD("EXISTS", "z2"),
		sD("ZADD"), sD("ZADD", "z"), sD("ZREM", "z"), sD("ZSCORE", "z"), sD("ZCARD"), sD("ZRANGE", "z", "0"), sD("ZRANK", "z"),
		sD("ZPOPMIN"), sD("ZINCRBY", "z", "1"), sD("ZUNION", "1"), sD("ZMPOP", "1", "z"), sD("ZRANDMEMBER"), sD("ZSCAN", "z"),
	}},
	{"multi", []tSetCmd{
		sD("MULTI"), sD("ZADD", "m", "1", "a", "2", "b"), sD("ZINCRBY", "m", "5", "a"), sD("ZRANGE", "m", "0", "-1", "WITHSCORES"),
		sD("ZADD", "m", "x", "a"), sD("ZPOPMIN", "m"), sD("EXEC"), sD("ZRANGE", "m", "0", "-1", "WITHSCORES"),
		sD("SET", "str", "v"), sD("MULTI"), sD("ZADD", "m", "3", "c"), sD("ZADD", "str", "1", "x"), sD("ZUNIONSTORE", "d", "1", "m"), sD("EXEC"),
		sD("ZRANGE", "d", "0", "-1"),
	}},
}

func TestDiffRedisZSets(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	for _, tc := range tZSetDiffCases {
		t.Run(tc.name, func(t *testing.T) {
			r := tDial(t, raddr)
			tEq(t, "redis FLUSHALL", r.do("FLUSHALL"), tOK)
			h := tSelected(t, srv.Addr(), db)
			tEq(t, "herodb FLUSHDB", h.do("FLUSHDB"), tOK)
			for _, cmd := range tc.cmds {
				tDiffStep(t, r, h, cmd.args, func(rep tReply) string { return zNormalize(cmd, rep) })
			}
		})
	}
}
