package server_test

// Differential test of keyspace notifications against redis-server: the same commands
// with the same notify-keyspace-events on both, each command's reply and the messages a
// PSUBSCRIBE __key*__:* subscriber received for it compared, herodb's channel names read
// with its database id in place of Redis's 0. Expiry is left to notify_test.go (it needs
// herodb's manual clock); CONFIG's own replies are compared too.

import (
	"strconv"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// tDiffNotifyCmds are run in order on both sides, in one keyspace.
var tDiffNotifyCmds = [][]string{
	// strings
	{"SET", "s", "v"}, {"SET", "s", "v2", "GET"}, {"SET", "s", "x", "NX"}, {"SET", "s", "x", "XX", "PX", "100000"},
	{"SET", "s", "y", "KEEPTTL"}, {"SETNX", "s", "z"}, {"SETNX", "s2", "z"}, {"SETEX", "s3", "100", "v"},
	{"PSETEX", "s3", "100000", "v"}, {"MSET", "a", "1", "b", "2"}, {"MSETNX", "a", "1", "c", "3"},
	{"MSETNX", "c", "3", "d", "4"}, {"GETSET", "a", "10"}, {"GETDEL", "a"}, {"GETDEL", "a"},
	{"GETEX", "b", "EX", "100"}, {"GETEX", "b", "PERSIST"}, {"GETEX", "b", "PERSIST"}, {"GETEX", "b"},
	{"GETEX", "b", "PXAT", "1"}, {"INCR", "n"}, {"INCRBY", "n", "10"}, {"DECR", "n"}, {"DECRBY", "n", "2"},
	{"INCRBYFLOAT", "f", "1.5"}, {"INCR", "s"}, {"APPEND", "s", "tail"}, {"APPEND", "new", "x"},
	{"SETRANGE", "s", "2", "ZZ"}, {"SETRANGE", "s", "1", ""}, {"SETRANGE", "nos", "0", ""}, {"SETRANGE", "sr", "3", "x"},
	// bitmaps and HyperLogLogs
	{"SETBIT", "bits", "3", "1"}, {"SETBIT", "bits", "20", "0"}, {"BITOP", "AND", "band", "bits", "sr"},
	{"BITOP", "OR", "band", "nokey"}, {"BITOP", "OR", "band", "nokey"}, {"BITFIELD", "bf", "SET", "u8", "0", "200"},
	{"BITFIELD", "bf", "GET", "u8", "0"}, {"PFADD", "hll", "a", "b"}, {"PFADD", "hll", "a"}, {"PFADD", "hll2"},
	{"PFMERGE", "hll3", "hll", "hll2"},
	// keys
	{"EXPIRE", "s", "100"}, {"EXPIRE", "s", "100", "NX"}, {"PEXPIRE", "s", "50000", "LT"}, {"EXPIREAT", "s", "99999999999"},
	{"PERSIST", "s"}, {"PERSIST", "s"}, {"EXPIRE", "nokey", "10"}, {"PEXPIREAT", "c", "1"}, {"EXPIRE", "d", "0"},
	{"RENAME", "s", "s4"}, {"RENAME", "s4", "s4"}, {"RENAMENX", "s4", "b"}, {"RENAMENX", "s4", "s5"},
	{"RENAME", "s5", "b"}, {"DEL", "b", "nokey", "n", "f"}, {"UNLINK", "new", "sr"},
	// lists
	{"LPUSH", "l", "a", "b"}, {"RPUSH", "l", "c"}, {"LPUSHX", "nol", "x"}, {"RPUSHX", "l", "d"},
	{"LINSERT", "l", "BEFORE", "c", "x"}, {"LINSERT", "l", "AFTER", "nopivot", "x"}, {"LSET", "l", "0", "z"},
	{"LREM", "l", "0", "x"}, {"LREM", "l", "0", "nothing"}, {"LTRIM", "l", "0", "2"}, {"LPOP", "l"},
	{"RPOP", "l", "1"}, {"LPOP", "l", "0"}, {"RPUSH", "l", "e", "f"}, {"LMOVE", "l", "l2", "LEFT", "RIGHT"},
	{"LMOVE", "l2", "l2", "LEFT", "LEFT"}, {"RPOPLPUSH", "l", "l2"}, {"RPOPLPUSH", "l", "l2"}, {"LMPOP", "2", "l", "l2", "LEFT", "COUNT", "1"},
	{"BLPOP", "l2", "0"}, {"BRPOP", "l2", "nol", "0"}, {"RPUSH", "l3", "a", "b", "c"}, {"BLMOVE", "l3", "l4", "RIGHT", "LEFT", "0"},
	{"BRPOPLPUSH", "l3", "l4", "0"}, {"BLMPOP", "0", "1", "l3", "RIGHT", "COUNT", "5"}, {"LTRIM", "l4", "5", "10"},
	{"RPUSH", "l5", "a"}, {"LPOP", "l5", "3"},
	// hashes
	{"HSET", "h", "f", "1", "g", "2"}, {"HSET", "h", "f", "1"}, {"HMSET", "h", "k", "3"}, {"HSETNX", "h", "f", "9"},
	{"HSETNX", "h", "new", "9"}, {"HINCRBY", "h", "f", "2"}, {"HINCRBYFLOAT", "h", "f", "0.5"}, {"HINCRBY", "h", "nofield", "1"},
	{"HDEL", "h", "f", "nofield"}, {"HDEL", "h", "nofield"}, {"HDEL", "h", "g", "k", "new", "nofield"},
	// sets
	{"SADD", "st", "a", "b", "c", "d"}, {"SADD", "st", "a"}, {"SREM", "st", "a", "x"}, {"SREM", "st", "x"},
	{"SMOVE", "st", "st2", "b"}, {"SADD", "st2", "c"}, {"SMOVE", "st", "st2", "c"}, {"SMOVE", "st", "st", "d"},
	{"SMOVE", "st", "st2", "nomember"}, {"SMOVE", "st", "st3", "d"}, {"SPOP", "st3"}, {"SPOP", "st2", "5"},
	{"SADD", "st4", "a", "b", "c"}, {"SPOP", "st4", "0"}, {"SPOP", "st4", "3"}, {"SADD", "x1", "a", "b"}, {"SADD", "x2", "b", "c"},
	{"SINTERSTORE", "xi", "x1", "x2"}, {"SUNIONSTORE", "xu", "x1", "x2"}, {"SDIFFSTORE", "xd", "x1", "x2"},
	{"SDIFFSTORE", "xd", "x1", "x1"}, {"SINTERSTORE", "xnone", "x1", "nokey"}, {"SUNIONSTORE", "x1", "x1", "x2"},
	// sorted sets
	{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, {"ZADD", "z", "1", "a"}, {"ZADD", "z", "CH", "5", "a"},
	{"ZADD", "z", "NX", "9", "a"}, {"ZADD", "z", "XX", "9", "nomember"}, {"ZADD", "z", "GT", "1", "a"},
	{"ZADD", "z", "INCR", "1", "b"}, {"ZADD", "z", "NX", "INCR", "1", "b"}, {"ZINCRBY", "z", "2", "c"},
	{"ZINCRBY", "znew", "1", "m"}, {"ZREM", "z", "nomember"}, {"ZREM", "znew", "m"}, {"ZADD", "z2", "1", "x", "2", "y"},
	{"ZRANGESTORE", "zr", "z", "0", "1"}, {"ZRANGESTORE", "zr", "z", "5", "9"}, {"ZRANGESTORE", "zr", "z", "5", "9"},
	{"ZUNIONSTORE", "zu", "2", "z", "z2"}, {"ZINTERSTORE", "zi", "2", "z", "z2"}, {"ZINTERSTORE", "zu", "2", "z", "z2"},
	{"ZDIFFSTORE", "zd", "2", "z", "z2"}, {"ZREMRANGEBYSCORE", "z2", "5", "9"}, {"ZREMRANGEBYRANK", "z2", "0", "0"},
	{"ZREMRANGEBYLEX", "z2", "-", "+"}, {"ZPOPMIN", "z"}, {"ZPOPMAX", "z", "0"}, {"ZPOPMAX", "z", "1"},
	{"BZPOPMIN", "zd", "0"}, {"ZADD", "z3", "1", "a", "2", "b"}, {"BZPOPMAX", "z3", "0"}, {"ZMPOP", "2", "nokey", "z3", "MIN"},
	{"ZADD", "z4", "1", "a", "2", "b"}, {"BZMPOP", "0", "1", "z4", "MAX", "COUNT", "5"}, {"ZPOPMIN", "z", "10"},
	// SORT STORE
	{"RPUSH", "sl", "3", "1", "2"}, {"SORT", "sl", "STORE", "so"}, {"SORT", "sl", "LIMIT", "5", "5", "STORE", "so"},
	{"SORT", "nokey", "STORE", "so"},
	// errors and type changes
	{"LPUSH", "h", "x"}, {"SADD", "st3", "q"}, {"SET", "st3", "now-a-string"}, {"SADD", "x1", "q"}, {"INCR", "x1"},
	// MULTI/EXEC: the events of the commands that ran, after EXEC
	{"MULTI"}, {"SET", "m", "1"}, {"INCR", "m"}, {"LPUSH", "m", "x"}, {"DEL", "m"}, {"EXEC"},
	{"MULTI"}, {"SET", "m", "1"}, {"DISCARD"},
	{"FLUSHDB"},
}

// tDiffNotifyEvents reads what sub received before a PING's reply, each message whole
// (pattern, channel, text), with channel names read as database 0's.
func tDiffNotifyEvents(t *testing.T, sub *tConn, id string) []string {
	t.Helper()
	evs := tEvents(t, sub)
	for i, e := range evs {
		evs[i] = strings.Replace(e, "@"+id+"__:", "@0__:", 1)
	}
	return evs
}

func TestDiffNotify(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	id := strconv.FormatUint(db, 10)
	for _, flags := range []string{"KEA", "KEAn", "Eglz"} {
		t.Run(flags, func(t *testing.T) {
			r, h := tDial(t, raddr), tSelected(t, srv.Addr(), db)
			r.do("FLUSHALL")
			h.do("FLUSHDB")
			tDiffStep(t, r, h, []string{"CONFIG", "SET", "notify-keyspace-events", flags}, func(rep tReply) string { return string(rep.raw) })
			tDiffStep(t, r, h, []string{"CONFIG", "GET", "notify-keyspace-events"}, func(rep tReply) string { return string(rep.raw) })
			rs, hs := tDial(t, raddr), tNotifySub(t, srv.Addr(), db)
			tEq(t, "redis PSUBSCRIBE", rs.do("PSUBSCRIBE", "__key*__:*"), tSubR("psubscribe", "__key*__:*", 1))
			for _, cmd := range tDiffNotifyCmds {
				tDiffStep(t, r, h, cmd, func(rep tReply) string { return tSortedArray(rep) }) // SPOP's order is its own
				want, got := tDiffNotifyEvents(t, rs, "0"), tDiffNotifyEvents(t, hs, id)
				if strings.Join(want, "\n") != strings.Join(got, "\n") {
					t.Errorf("%s:\n  redis:  %q\n  herodb: %q", strings.Join(cmd, " "), want, got)
				}
			}
		})
	}
}

// TestDiffNotifyConfig compares CONFIG SET and GET of notify-keyspace-events: the
// canonical form of every kind of value, and the refusals.
func TestDiffNotifyConfig(t *testing.T) {
	var cmds [][]string
	for _, v := range []string{"", "K", "E", "KE", "A", "KEA", "AKE", "$gKE", "Egx", "AKEn", "Kn", "n", "m", "KEAm",
		"g$lshzxetd", "g$lshzxetdn", "lll", "EKzhsl$gxetdnm", "KEt", "Kd", "Ke", "x"} {
		cmds = append(cmds, []string{"CONFIG", "SET", "notify-keyspace-events", v}, []string{"CONFIG", "GET", "notify-keyspace-events"})
	}
	for _, bad := range []string{"KEQ", "a", "k", "KE ", "*", "AKE\x00"} {
		cmds = append(cmds, []string{"CONFIG", "SET", "notify-keyspace-events", bad}, []string{"CONFIG", "GET", "notify-keyspace-events"})
	}
	cmds = append(cmds,
		[]string{"CONFIG", "SET", "notify-keyspace-events"},
		[]string{"CONFIG", "SET", "notify-keyspace-events", "KEA", "notify-keyspace-events", "KEA"},
		[]string{"CONFIG", "SET", "NOTIFY-KEYSPACE-EVENTS", "Kg"},
		[]string{"CONFIG", "GET", "notify-keyspace-*"},
		[]string{"CONFIG", "GET", "NOTIFY-keyspace-events"},
		[]string{"CONFIG", "SET", "notify-keyspace-events", "KEA", "hz", "abc"},
		[]string{"CONFIG", "GET", "notify-keyspace-events"},
	)
	tReviewDiff(t, 1, cmds)
}
