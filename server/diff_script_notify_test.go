package server_test

// Keyspace notifications of the commands a script runs, against redis-server 7.0: each
// EVAL's reply and the messages a PSUBSCRIBE __key*__:* subscriber of the database got
// for it, with the same notify-keyspace-events on both sides.

import (
	"strconv"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

var tDiffScriptNotifyCmds = [][]string{
	{"EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "k"},
	{"EVAL", "redis.call('set', 'a', '1') redis.call('incr', 'a') redis.call('rpush', 'l', 'x', 'y') return redis.call('lpop', 'l')", "0"},
	{"EVAL", "return redis.call('del', 'nokey')", "0"},                                     // changed nothing: no event
	{"EVAL", "redis.call('hset', 'h', 'f', '1') return redis.call('hdel', 'h', 'f')", "0"}, // hdel then del
	{"EVAL", "redis.call('set', 'b', '1') return redis.call('incr', 'l')", "0"},            // the write before the error stays, so does its event
	{"EVAL", "redis.call('sadd', 's', 'm') error('stop')", "0"},
	{"EVAL", "return redis.pcall('lpush', 'k', 'x')", "0"}, // WRONGTYPE: no event
	{"EVAL", "return redis.call('get', 'k')", "0"},
	{"EVAL_RO", "return redis.call('exists', 'k')", "0"},
	{"EVAL", "redis.call('set', 'e', '1', 'EX', '100') redis.call('persist', 'e') return redis.call('rename', 'e', 'e2')", "0"},
	{"EVAL", "redis.call('del', 'k') return redis.call('set', 'k', 'again')", "0"},
	{"MULTI"}, {"EVAL", "return redis.call('set', 'm', '1')", "0"}, {"SET", "m2", "2"}, {"EXEC"},
}

func TestDiffScriptNotify(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	id := strconv.FormatUint(db, 10)
	for _, flags := range []string{"KEA", "KEAn"} {
		t.Run(flags, func(t *testing.T) {
			r, h := tDial(t, raddr), tSelected(t, srv.Addr(), db)
			r.do("FLUSHALL")
			h.do("FLUSHDB")
			raw := func(rep tReply) string { return string(rep.raw) }
			tDiffStep(t, r, h, []string{"CONFIG", "SET", "notify-keyspace-events", flags}, raw)
			rs, hs := tDial(t, raddr), tNotifySub(t, srv.Addr(), db)
			tEq(t, "redis PSUBSCRIBE", rs.do("PSUBSCRIBE", "__key*__:*"), tSubR("psubscribe", "__key*__:*", 1))
			for _, cmd := range tDiffScriptNotifyCmds {
				tDiffStep(t, r, h, cmd, raw)
				want, got := tDiffNotifyEvents(t, rs, "0"), tDiffNotifyEvents(t, hs, id)
				if strings.Join(want, "\n") != strings.Join(got, "\n") {
					t.Errorf("%s:\n  redis:  %q\n  herodb: %q", strings.Join(cmd, " "), want, got)
				}
			}
		})
	}
}

// A script's write reaches a subscriber of its own database only: another database's
// subscriber hears nothing.
func TestScriptNotifyScoped(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{})
	b := srv.CreateDatabase(t, "other", true)
	ca, cb := tSelected(t, srv.Addr(), a), tSelected(t, srv.Addr(), b)
	tEq(t, "A CONFIG", ca.do("CONFIG", "SET", "notify-keyspace-events", "KEA"), tOK)
	tEq(t, "B CONFIG", cb.do("CONFIG", "SET", "notify-keyspace-events", "KEA"), tOK)
	sa, sb := tNotifySub(t, srv.Addr(), a), tNotifySub(t, srv.Addr(), b)
	tEq(t, "EVAL", ca.do("EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "key"), tOK)
	ida := strconv.FormatUint(a, 10)
	want := []string{"__keyspace@" + ida + "__:key set", "__keyevent@" + ida + "__:set key"}
	if got := tEvents(t, sa); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("A's subscriber: %q, want %q", got, want)
	}
	if got := tEvents(t, sb); len(got) != 0 {
		t.Errorf("B's subscriber heard A's script: %q", got)
	}
}
