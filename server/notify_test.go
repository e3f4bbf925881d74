package server_test

// Keyspace notifications end to end: the setting per database and its default, who may
// set it, isolation between databases, each type's events, expiry (lazy and by the
// sweeper), nothing for a command that changed nothing or a transaction that failed,
// and MULTI/EXEC publishing after EXEC.

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// tBulkText is a bulk reply's content.
func tBulkText(r tReply) string {
	s := string(r.raw)
	if i := strings.Index(s, "\r\n"); i >= 0 && strings.HasPrefix(s, "$") {
		return s[i+2 : len(s)-2]
	}
	return s
}

// tNotifySub is a connection of db subscribed to every keyspace and keyevent channel.
func tNotifySub(t *testing.T, addr string, db uint64) *tConn {
	t.Helper()
	c := tSelected(t, addr, db)
	tDo(t, c, tSubR("psubscribe", "__key*__:*", 1), "PSUBSCRIBE", "__key*__:*")
	return c
}

// tEvents reads the notifications that reached c before the reply of a PING sent now,
// each as "channel message". Events are published before the reply of the command that
// caused them, so every event of a command already answered is there.
func tEvents(t *testing.T, c *tConn) []string {
	t.Helper()
	c.send("PING")
	var out []string
	for {
		r, err := c.readReply()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !r.array || len(r.elems) < 2 {
			t.Fatalf("unexpected reply %q", r.raw)
		}
		switch tBulkText(r.elems[0]) {
		case "pong":
			return out
		case "pmessage":
			out = append(out, tBulkText(r.elems[2])+" "+tBulkText(r.elems[3]))
		default:
			t.Fatalf("unexpected reply %q", r.raw)
		}
	}
}

// tKeyevents keeps the keyevent notifications of evs, as "event key".
func tKeyevents(evs []string) []string {
	var out []string
	for _, e := range evs {
		if rest, ok := strings.CutPrefix(e, "__keyevent@"); ok {
			_, rest, _ = strings.Cut(rest, "__:")
			out = append(out, rest)
		}
	}
	return out
}

func tWantEvents(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: events %q, want %q", what, got, want)
	}
}

// tAdmin is a connection authenticated with the admin secret, no database selected.
func tAdmin(t *testing.T, addr string) *tConn {
	t.Helper()
	c := tDial(t, addr)
	tDo(t, c, tOK, "AUTH", herodbtest.AdminSecret)
	return c
}

func TestNotifyIsolatedByDatabase(t *testing.T) {
	srv, dbA := tServer(t, herodbtest.Options{})
	dbB := srv.CreateDatabase(t, "other", true)
	a, b := tSelected(t, srv.Addr(), dbA), tSelected(t, srv.Addr(), dbB)
	for _, c := range []*tConn{a, b} {
		tDo(t, c, tOK, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	}
	subA, subB := tNotifySub(t, srv.Addr(), dbA), tNotifySub(t, srv.Addr(), dbB)
	// A subscriber of A naming B's channels outright still hears nothing of B.
	spy := tSelected(t, srv.Addr(), dbA)
	idB := strconv.FormatUint(dbB, 10)
	tDo(t, spy, tSubR("psubscribe", "__keyspace@"+idB+"__:*", 1), "PSUBSCRIBE", "__keyspace@"+idB+"__:*")
	tDo(t, spy, tSubR("psubscribe", "*", 2), "PSUBSCRIBE", "*")
	tDo(t, spy, tSubR("subscribe", "__keyevent@"+idB+"__:set", 3), "SUBSCRIBE", "__keyevent@"+idB+"__:set")

	tDo(t, a, tOK, "SET", "k", "1")
	tDo(t, b, tOK, "SET", "k", "2")
	tDo(t, b, tInt(1), "LPUSH", "l", "x")
	idA := strconv.FormatUint(dbA, 10)
	tWantEvents(t, "A", tEvents(t, subA), "__keyspace@"+idA+"__:k set", "__keyevent@"+idA+"__:set k")
	tWantEvents(t, "B", tEvents(t, subB), "__keyspace@"+idB+"__:k set", "__keyevent@"+idB+"__:set k",
		"__keyspace@"+idB+"__:l lpush", "__keyevent@"+idB+"__:lpush l")
	// The spy heard A's own events on its * pattern, nothing of B's.
	spy.send("PING")
	for i := 0; i < 2; i++ {
		if got := spy.read(); strings.Contains(got, "@"+idB+"__") || !strings.Contains(got, "@"+idA+"__") {
			t.Errorf("spy of A received %q", got)
		}
	}
	tEq(t, "spy's PING", spy.read(), tArr(tBulk("pong"), tBulk("")))
}

func TestNotifyGoRedis(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	ctx := context.Background()
	tNoErr(t, "CONFIG SET", rdb.ConfigSet(ctx, "notify-keyspace-events", "Elg").Err())
	got, err := rdb.ConfigGet(ctx, "notify-keyspace-events").Result()
	tNoErr(t, "CONFIG GET", err)
	tEq(t, "CONFIG GET", got["notify-keyspace-events"], "glE")
	id := strconv.FormatUint(db, 10)
	ps := rdb.PSubscribe(ctx, "__keyevent@"+id+"__:*")
	defer ps.Close()
	_, err = ps.Receive(ctx)
	tNoErr(t, "PSUBSCRIBE", err)
	tNoErr(t, "SET", rdb.Set(ctx, "s", "v", 0).Err()) // strings are not asked for: no event
	tNoErr(t, "RPUSH", rdb.RPush(ctx, "q", "a", "b").Err())
	tNoErr(t, "LPOP", rdb.LPop(ctx, "q").Err())
	tNoErr(t, "DEL", rdb.Del(ctx, "q", "s").Err())
	want := []string{"rpush q", "lpop q", "del q", "del s"}
	ch := ps.Channel()
	for _, w := range want {
		select {
		case m := <-ch:
			tEq(t, "message", strings.TrimPrefix(m.Channel, "__keyevent@"+id+"__:")+" "+m.Payload, w)
		case <-time.After(10 * time.Second):
			t.Fatalf("no message; want %q", w)
		}
	}
}

func TestNotifyAdminDefault(t *testing.T) {
	srv, dbA := tServer(t, herodbtest.Options{})
	dbB := srv.CreateDatabase(t, "own", true)
	adm := tAdmin(t, srv.Addr())
	tDo(t, adm, tOK, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	tDo(t, adm, tArr(tBulk("notify-keyspace-events"), tBulk("AKE")), "CONFIG", "GET", "notify-keyspace-events")
	a, b := tSelected(t, srv.Addr(), dbA), tSelected(t, srv.Addr(), dbB)
	// A has no setting of its own: the default holds. B turns it off for itself.
	tDo(t, a, tArr(tBulk("notify-keyspace-events"), tBulk("AKE")), "CONFIG", "GET", "notify-keyspace-events")
	tDo(t, b, tOK, "CONFIG", "SET", "notify-keyspace-events", "")
	tDo(t, b, tArr(tBulk("notify-keyspace-events"), tBulk("")), "CONFIG", "GET", "notify-keyspace-events")
	subA, subB := tNotifySub(t, srv.Addr(), dbA), tNotifySub(t, srv.Addr(), dbB)
	tDo(t, a, tInt(1), "INCR", "n")
	tDo(t, b, tInt(1), "INCR", "n")
	tWantEvents(t, "A under the default", tKeyevents(tEvents(t, subA)), "incrby n")
	tWantEvents(t, "B, off for itself", tEvents(t, subB))
	// The admin's default moves: A follows, B keeps its own.
	tDo(t, adm, tOK, "CONFIG", "SET", "notify-keyspace-events", "Eh")
	tDo(t, a, tInt(2), "INCR", "n")
	tDo(t, a, tInt(1), "HSET", "h", "f", "v")
	tDo(t, b, tInt(1), "HSET", "h", "f", "v")
	tWantEvents(t, "A under the new default", tEvents(t, subA), "__keyevent@"+strconv.FormatUint(dbA, 10)+"__:hset h")
	tWantEvents(t, "B", tEvents(t, subB))
	// The admin with a database selected sets that database's own.
	tDo(t, adm, tOK, "SELECT", strconv.FormatUint(dbA, 10))
	tDo(t, adm, tOK, "CONFIG", "SET", "notify-keyspace-events", "Eg")
	tDo(t, adm, tArr(tBulk("notify-keyspace-events"), tBulk("gE")), "CONFIG", "GET", "notify-keyspace-events")
	tDo(t, a, tInt(1), "DEL", "h")
	tDo(t, a, tInt(2), "HSET", "h", "f", "v", "g", "w")
	tWantEvents(t, "A, its own now", tKeyevents(tEvents(t, subA)), "del h")
}

func TestNotifyPermissions(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	id := srv.CreateDatabase(t, "ro", false)
	tNoErr(t, "set public", srv.Admin().SetPublic(id, admin.AccessRead))
	ro := tSelected(t, srv.Addr(), id)
	tDo(t, ro, tErr("NOPERM this connection may only read this database"), "CONFIG", "SET", "notify-keyspace-events", "KEA")
	tDo(t, ro, tArr(tBulk("notify-keyspace-events"), tBulk("")), "CONFIG", "GET", "notify-keyspace-events")
	// All or nothing: the refusal leaves the knob unset too.
	tDo(t, ro, tErr("NOPERM this connection may only read this database"), "CONFIG", "SET", "hz", "20", "notify-keyspace-events", "KEA")
	tDo(t, ro, tArr(tBulk("hz"), tBulk("10")), "CONFIG", "GET", "hz")
	tDo(t, tDial(t, srv.Addr()), tErr(tNoAuth), "CONFIG", "SET", "notify-keyspace-events", "KEA")

	rw := tSelected(t, srv.Addr(), db)
	tDo(t, rw, tErr("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
		"CONFIG", "SET", "notify-keyspace-events", "KEQ")
	tDo(t, rw, tErr("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
		"CONFIG", "SET", "hz", "20", "notify-keyspace-events", "a")
	tDo(t, rw, tArr(tBulk("hz"), tBulk("10")), "CONFIG", "GET", "hz")
	for in, want := range map[string]string{"KEA": "AKE", "$gKE": "g$KE", "Egx": "gxE", "AKEn": "AKE", "Kn": "nK",
		"m": "m", "KEAm": "AKEm", "g$lshzxetd": "A", "lll": "l", "": "", "EKzhsl$gxetdnm": "AKEm"} {
		tDo(t, rw, tOK, "CONFIG", "SET", "NOTIFY-KEYSPACE-EVENTS", in)
		tDo(t, rw, tArr(tBulk("notify-keyspace-events"), tBulk(want)), "CONFIG", "GET", "notify-keyspace-events")
	}
	tDo(t, rw, tOK, "CONFIG", "SET", "notify-keyspace-events", "Kx")
	tDo(t, rw, tArr(tBulk("notify-keyspace-events"), tBulk("xK")), "CONFIG", "GET", "notify-*")
}

// TestNotifyEvents runs each type's write commands and compares their keyevent streams
// (Redis 7.0's event names, checked against redis-server in diff_notify_test.go).
func TestNotifyEvents(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tDo(t, c, tOK, "CONFIG", "SET", "notify-keyspace-events", "EAn")
	sub := tNotifySub(t, srv.Addr(), db)
	for _, tc := range []struct {
		cmd  []string
		want []string
	}{
		{[]string{"SET", "s", "v"}, []string{"new s", "set s"}},
		{[]string{"SET", "s", "v", "EX", "100"}, []string{"set s", "expire s"}},
		{[]string{"SET", "s", "v", "NX"}, nil},
		{[]string{"SETEX", "s", "100", "v"}, []string{"set s", "expire s"}},
		{[]string{"PERSIST", "s"}, []string{"persist s"}},
		{[]string{"PERSIST", "s"}, nil},
		{[]string{"MSET", "m1", "1", "m2", "2"}, []string{"new m1", "set m1", "new m2", "set m2"}},
		{[]string{"GETSET", "m1", "x"}, []string{"set m1"}},
		{[]string{"INCRBY", "n", "5"}, []string{"new n", "incrby n"}},
		{[]string{"DECR", "n"}, []string{"incrby n"}},
		{[]string{"INCRBYFLOAT", "n", "1.5"}, []string{"incrbyfloat n"}},
		{[]string{"APPEND", "s", "w"}, []string{"append s"}},
		{[]string{"SETRANGE", "s", "0", "x"}, []string{"setrange s"}},
		{[]string{"SETRANGE", "s", "0", ""}, nil},
		{[]string{"GETEX", "s", "PX", "100000"}, []string{"expire s"}},
		{[]string{"GETDEL", "m2"}, []string{"del m2"}},
		{[]string{"SETBIT", "b", "7", "1"}, []string{"new b", "setbit b"}},
		{[]string{"BITOP", "OR", "bo", "b"}, []string{"new bo", "set bo"}},
		{[]string{"BITOP", "OR", "bo", "nokey"}, []string{"del bo"}},
		{[]string{"PFADD", "hl", "a"}, []string{"new hl", "pfadd hl"}},
		{[]string{"PFADD", "hl", "a"}, nil},
		{[]string{"EXPIRE", "s", "100"}, []string{"expire s"}},
		{[]string{"EXPIRE", "s", "-1"}, []string{"del s"}},
		{[]string{"RENAME", "m1", "r1"}, []string{"new r1", "rename_from m1", "rename_to r1"}},
		{[]string{"DEL", "r1", "nokey", "n"}, []string{"del r1", "del n"}},
		{[]string{"RPUSH", "l", "a", "b", "c"}, []string{"new l", "rpush l"}},
		{[]string{"LPUSHX", "nol", "a"}, nil},
		{[]string{"LINSERT", "l", "BEFORE", "b", "x"}, []string{"linsert l"}},
		{[]string{"LSET", "l", "0", "z"}, []string{"lset l"}},
		{[]string{"LREM", "l", "0", "x"}, []string{"lrem l"}},
		{[]string{"LTRIM", "l", "0", "1"}, []string{"ltrim l"}},
		{[]string{"LMOVE", "l", "l2", "LEFT", "RIGHT"}, []string{"new l2", "rpush l2", "lpop l"}},
		{[]string{"RPOPLPUSH", "l", "l2"}, []string{"lpush l2", "rpop l", "del l"}},
		{[]string{"BLPOP", "l2", "0"}, []string{"lpop l2"}},
		{[]string{"LMPOP", "1", "l2", "RIGHT", "COUNT", "5"}, []string{"rpop l2", "del l2"}},
		{[]string{"HSET", "h", "f", "1", "g", "2"}, []string{"new h", "hset h"}},
		{[]string{"HSETNX", "h", "f", "1"}, nil},
		{[]string{"HINCRBY", "h", "f", "2"}, []string{"hincrby h"}},
		{[]string{"HINCRBYFLOAT", "h", "f", "0.5"}, []string{"hincrbyfloat h"}},
		{[]string{"HDEL", "h", "f", "nofield"}, []string{"hdel h"}},
		{[]string{"HDEL", "h", "g"}, []string{"hdel h", "del h"}},
		{[]string{"SADD", "st", "a", "b", "c"}, []string{"new st", "sadd st"}},
		{[]string{"SADD", "st", "a"}, nil},
		{[]string{"SREM", "st", "a"}, []string{"srem st"}},
		{[]string{"SMOVE", "st", "st2", "b"}, []string{"srem st", "new st2", "sadd st2"}},
		{[]string{"SINTERSTORE", "si", "st", "st2"}, nil},
		{[]string{"SUNIONSTORE", "si", "st", "st2"}, []string{"new si", "sunionstore si"}},
		{[]string{"SDIFFSTORE", "si", "st", "st"}, []string{"del si"}},
		{[]string{"SPOP", "st2"}, []string{"spop st2", "del st2"}},
		{[]string{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, []string{"new z", "zadd z"}},
		{[]string{"ZADD", "z", "1", "a"}, nil},
		{[]string{"ZADD", "z", "5", "a"}, []string{"zadd z"}},
		{[]string{"ZADD", "z", "INCR", "1", "a"}, []string{"zincr z"}},
		{[]string{"ZINCRBY", "z", "1", "b"}, []string{"zincr z"}},
		{[]string{"ZREM", "z", "nomember"}, nil},
		{[]string{"ZRANGESTORE", "zr", "z", "0", "0"}, []string{"new zr", "zrangestore zr"}},
		{[]string{"ZUNIONSTORE", "zu", "2", "z", "zr"}, []string{"new zu", "zunionstore zu"}},
		{[]string{"ZINTERSTORE", "zu", "2", "z", "nokey"}, []string{"del zu"}},
		{[]string{"ZREMRANGEBYSCORE", "zr", "-inf", "+inf"}, []string{"zremrangebyscore zr", "del zr"}},
		{[]string{"ZPOPMIN", "z"}, []string{"zpopmin z"}},
		{[]string{"BZPOPMAX", "z", "0"}, []string{"zpopmax z"}},
		{[]string{"ZMPOP", "1", "z", "MIN"}, []string{"zpopmin z", "del z"}},
		{[]string{"RPUSH", "sl", "3", "1", "2"}, []string{"new sl", "rpush sl"}},
		{[]string{"SORT", "sl", "STORE", "so"}, []string{"new so", "sortstore so"}},
		{[]string{"SORT", "nokey", "STORE", "so"}, []string{"del so"}},
		{[]string{"FLUSHDB"}, nil},
	} {
		c.send(tc.cmd...)
		if r := c.read(); strings.HasPrefix(r, "-") {
			t.Errorf("%q: %q", tc.cmd, r)
		}
		tWantEvents(t, strings.Join(tc.cmd, " "), tKeyevents(tEvents(t, sub)), tc.want...)
	}
}

func TestNotifyExpired(t *testing.T) {
	clock := tNewClock()
	srv, db := tServer(t, herodbtest.Options{Clock: clock})
	c := tSelected(t, srv.Addr(), db)
	tDo(t, c, tOK, "CONFIG", "SET", "notify-keyspace-events", "Egx$")
	sub := tNotifySub(t, srv.Addr(), db)
	tDo(t, c, tOK, "SET", "swept", "v", "PX", "1000")
	tDo(t, c, tOK, "SET", "lazy", "v", "PX", "5000")
	tWantEvents(t, "SETs", tKeyevents(tEvents(t, sub)), "set swept", "expire swept", "set lazy", "expire lazy")
	// The sweeper finds the first key on its own.
	clock.Add(2 * time.Second)
	var got []string
	tEventually(t, "expired swept", func() bool { got = append(got, tKeyevents(tEvents(t, sub))...); return len(got) > 0 })
	tWantEvents(t, "sweep", got, "expired swept")
	// A write that meets an expired key deletes it first (whichever of the write and the
	// sweeper gets there first, the stream is the same).
	clock.Add(4 * time.Second)
	tDo(t, c, tOK, "SET", "lazy", "again")
	tWantEvents(t, "lazy", tKeyevents(tEvents(t, sub)), "expired lazy", "set lazy")
	// Expired events are a class of their own: without x there are none.
	tDo(t, c, tOK, "CONFIG", "SET", "notify-keyspace-events", "Eg$")
	tDo(t, c, tOK, "SET", "quiet", "v", "PX", "1000")
	clock.Add(2 * time.Second)
	tDo(t, c, tOK, "SET", "quiet", "v")
	tWantEvents(t, "without x", tKeyevents(tEvents(t, sub)), "set quiet", "expire quiet", "set quiet")
}

func TestNotifyNothingWhenNothingChanged(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.MaxOutput = 64 << 10 }})
	c := tSelected(t, srv.Addr(), db)
	tDo(t, c, tOK, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	tDo(t, c, tInt(1), "SADD", "s", "a")
	tDo(t, c, tInt(1), "HSET", "h", "f", "v")
	tDo(t, c, tOK, "SET", "big", strings.Repeat("x", 100<<10))
	sub := tNotifySub(t, srv.Addr(), db)
	for _, cmd := range [][]string{
		{"SADD", "s", "a"}, {"SREM", "s", "b"}, {"DEL", "nokey"}, {"SET", "s2", "v", "XX"}, {"LPUSHX", "l", "a"},
		{"HDEL", "h", "g"}, {"EXPIRE", "nokey", "10"}, {"PERSIST", "h"}, {"RENAMENX", "h", "s"}, {"LTRIM", "nokey", "0", "1"},
		{"ZREM", "nokey", "a"}, {"SMOVE", "s", "s2", "nomember"}, {"GETDEL", "nokey"}, {"SINTERSTORE", "d", "nokey"},
		{"SADD", "big", "a"}, // WRONGTYPE
	} {
		c.do(cmd...)
		tWantEvents(t, strings.Join(cmd, " "), tEvents(t, sub))
	}
	// A transaction that fails as a whole (EXEC past the output limit) publishes nothing.
	tDo(t, c, tOK, "MULTI")
	tDo(t, c, "+QUEUED\r\n", "SET", "a", "1")
	tDo(t, c, "+QUEUED\r\n", "GET", "big")
	if got := c.do("EXEC"); !strings.HasPrefix(got, "-") {
		t.Fatalf("EXEC past the output limit answered %.40q", got)
	}
	tDo(t, tSelected(t, srv.Addr(), db), tNil, "GET", "a") // EXEC's failure closed c
	tWantEvents(t, "failed EXEC", tEvents(t, sub))
}

func TestNotifyMultiExec(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tDo(t, c, tOK, "CONFIG", "SET", "notify-keyspace-events", "E$l")
	sub := tNotifySub(t, srv.Addr(), db)
	tDo(t, c, tOK, "MULTI")
	tDo(t, c, "+QUEUED\r\n", "SET", "a", "1")
	tDo(t, c, "+QUEUED\r\n", "RPUSH", "q", "x")
	tDo(t, c, "+QUEUED\r\n", "SADD", "q", "x") // WRONGTYPE inside EXEC: its step reports nothing
	tWantEvents(t, "queued", tEvents(t, sub))
	c.do("EXEC")
	tWantEvents(t, "after EXEC", tKeyevents(tEvents(t, sub)), "set a", "rpush q")
	// A pipelined group commit: each command's events, in order.
	c.send("SET", "b", "1")
	c.send("LPUSH", "q", "y")
	c.send("GET", "b")
	c.read()
	c.read()
	c.read()
	tWantEvents(t, "pipeline", tKeyevents(tEvents(t, sub)), "set b", "lpush q")
}
