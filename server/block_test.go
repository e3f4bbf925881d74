package server_test

// Blocking pops end to end: clients blocked on one connection, woken (or not) by pushes
// from another, timeouts, fairness, isolation between databases, MULTI, revocation,
// closes, shutdown and CLIENT UNBLOCK. Waiting is asserted through the registry
// (BlockedClients), never through timings.

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// tBlocked waits until n clients are blocked on srv.
func tBlocked(t *testing.T, srv *herodbtest.Server, n int) {
	t.Helper()
	tEventually(t, "blocked clients = "+strconv.Itoa(n), func() bool { return srv.BlockedClients() == n })
}

func tPair(k, v string) string { return "*2\r\n" + tBulk(k) + tBulk(v) }

func TestBlockWokenByPushes(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	pusher := tSelected(t, srv.Addr(), db)
	tDo(t, pusher, tInt(1), "RPUSH", "src3", "s")
	for _, tc := range []struct {
		name  string
		block []string
		push  []string
		want  string
	}{
		{"BLPOP by LPUSH", []string{"BLPOP", "k1", "0"}, []string{"LPUSH", "k1", "a"}, tPair("k1", "a")},
		{"BRPOP by RPUSH", []string{"BRPOP", "k2", "0"}, []string{"RPUSH", "k2", "a", "b"}, tPair("k2", "b")},
		{"BLPOP by LMOVE", []string{"BLPOP", "k3", "0"}, []string{"LMOVE", "src3", "k3", "LEFT", "RIGHT"}, tPair("k3", "s")},
		{"BLMPOP by RPUSH", []string{"BLMPOP", "0", "2", "x4", "k4", "RIGHT", "COUNT", "5"}, []string{"RPUSH", "k4", "a", "b"}, "*2\r\n" + tBulk("k4") + "*2\r\n" + tBulk("b") + tBulk("a")},
		{"BLMOVE by RPUSH", []string{"BLMOVE", "k5", "d5", "LEFT", "RIGHT", "0"}, []string{"RPUSH", "k5", "a"}, tBulk("a")},
		{"BRPOPLPUSH by LPUSH", []string{"BRPOPLPUSH", "k6", "d6", "0"}, []string{"LPUSH", "k6", "a"}, tBulk("a")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tSelected(t, srv.Addr(), db)
			c.send(tc.block...)
			tBlocked(t, srv, 1)
			pusher.do(tc.push...)
			tEq(t, "woken reply", c.read(), tc.want)
			tBlocked(t, srv, 0)
		})
	}
	// The moves landed in their destinations.
	tDo(t, pusher, "*1\r\n"+tBulk("a"), "LRANGE", "d5", "0", "-1")
	tDo(t, pusher, "*1\r\n"+tBulk("a"), "LRANGE", "d6", "0", "-1")
	tDo(t, pusher, tInt(0), "EXISTS", "k4", "k5", "k6")
}

func TestBlockGoRedis(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tClient(t, srv.Addr(), db)
	got := make(chan []string, 1)
	go func() {
		v, err := c.BLPop(tCtx, 0, "jobs").Result()
		if err != nil {
			v = []string{"error", err.Error()}
		}
		got <- v
	}()
	tBlocked(t, srv, 1)
	tNoErr(t, "RPUSH", tClient(t, srv.Addr(), db).RPush(tCtx, "jobs", "j1").Err())
	tEq(t, "BLPOP", <-got, []string{"jobs", "j1"})

	// Timeout: go-redis reports Redis's nil as redis.Nil.
	_, err := c.BRPop(tCtx, time.Second, "none").Result()
	tErrIs(t, "BRPOP timeout", err, "redis: nil")
	v, err := c.BLMove(tCtx, "none", "dst", "LEFT", "RIGHT", time.Second).Result()
	tErrIs(t, "BLMOVE timeout "+v, err, "redis: nil")

	tNoErr(t, "RPUSH", c.RPush(tCtx, "l", "a", "b", "c").Err())
	key, vals, err := c.LMPop(tCtx, "left", 2, "nokey", "l").Result()
	tNoErr(t, "LMPOP", err)
	tEq(t, "LMPOP", key+" "+vals[0]+vals[1], "l ab")
	key, vals, err = c.BLMPop(tCtx, time.Second, "right", 5, "l").Result()
	tNoErr(t, "BLMPOP", err)
	tEq(t, "BLMPOP", key+" "+vals[0], "l c")
}

func TestBlockTimeouts(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tDo(t, c, tNilA, "BLPOP", "k", "0.1")
	tDo(t, c, tNilA, "BRPOP", "k", "k2", "0.05")
	tDo(t, c, tNilA, "BLMOVE", "k", "d", "LEFT", "LEFT", "0.05") // a null array, as Redis times out
	tDo(t, c, tNilA, "BRPOPLPUSH", "k", "d", "0.05")
	tDo(t, c, tNilA, "BLMPOP", "0.05", "1", "k", "LEFT")
	tDo(t, c, tErr("ERR timeout is negative"), "BLPOP", "k", "-1")
	tDo(t, c, tErr("ERR timeout is not a float or out of range"), "BLPOP", "k", "soon")
	tBlocked(t, srv, 0)
	// The replies of commands pipelined after a timed-out one follow it, in order.
	c.write([]byte("*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$4\r\n0.05\r\n*1\r\n$4\r\nPING\r\n"))
	tEq(t, "BLPOP", c.read(), tNilA)
	tEq(t, "PING", c.read(), "+PONG\r\n")
}

func TestBlockPipelineFlushedFirst(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	// One write: the LPUSH's reply must reach the client before BLPOP waits; PING waits
	// behind BLPOP.
	c.write(append(append(tEncode(tStrs([]string{"LPUSH", "other", "x"})...),
		tEncode(tStrs([]string{"BLPOP", "k", "0"})...)...), tEncode(tStrs([]string{"PING"})...)...))
	tEq(t, "LPUSH before blocking", c.read(), tInt(1))
	tBlocked(t, srv, 1)
	tDo(t, tSelected(t, srv.Addr(), db), tInt(1), "RPUSH", "k", "v")
	tEq(t, "BLPOP", c.read(), tPair("k", "v"))
	tEq(t, "PING after", c.read(), "+PONG\r\n")
}

func TestBlockFairness(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	var cs []*tConn
	for i := range 3 {
		c := tSelected(t, srv.Addr(), db)
		c.send("BLPOP", "q", "0")
		tBlocked(t, srv, i+1) // each blocks before the next
		cs = append(cs, c)
	}
	tDo(t, tSelected(t, srv.Addr(), db), tInt(3), "RPUSH", "q", "a", "b", "c")
	for i, want := range []string{"a", "b", "c"} {
		tEq(t, "client "+strconv.Itoa(i), cs[i].read(), tPair("q", want))
	}
	// One element at a time: served in the order they blocked.
	for i := range 3 {
		cs[i].send("BRPOP", "q", "0")
		tBlocked(t, srv, i+1)
	}
	p := tSelected(t, srv.Addr(), db)
	for i, v := range []string{"x", "y", "z"} {
		tDo(t, p, tInt(1), "LPUSH", "q", v)
		tEq(t, "client "+strconv.Itoa(i), cs[i].read(), tPair("q", v))
	}
}

func TestBlockIsolatedByDatabase(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{})
	b := srv.CreateDatabase(t, "other", true)
	c := tSelected(t, srv.Addr(), a)
	c.send("BLPOP", "k", "0")
	tBlocked(t, srv, 1)
	pb := tSelected(t, srv.Addr(), b)
	tDo(t, pb, tInt(1), "RPUSH", "k", "from-b")
	tDo(t, pb, tInt(1), "LLEN", "k") // not taken by A's client
	tEq(t, "still blocked", srv.BlockedClients(), 1)
	tDo(t, tSelected(t, srv.Addr(), a), tInt(1), "RPUSH", "k", "from-a")
	tEq(t, "woken by its own database", c.read(), tPair("k", "from-a"))
	tDo(t, pb, tInt(1), "LLEN", "k")
}

func TestBlockKeysInOrder(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tDo(t, c, tInt(1), "RPUSH", "k2", "two")
	tDo(t, c, tInt(1), "RPUSH", "k3", "three")
	tDo(t, c, tPair("k2", "two"), "BLPOP", "k1", "k2", "k3", "0")
	tDo(t, c, tPair("k3", "three"), "BLPOP", "k1", "k2", "k3", "0")
	tDo(t, c, tOK, "SET", "str", "v")
	tDo(t, c, tErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "BLPOP", "k1", "str", "0")
	c.send("BRPOP", "k1", "k2", "k3", "0")
	tBlocked(t, srv, 1)
	tDo(t, tSelected(t, srv.Addr(), db), tInt(1), "RPUSH", "k3", "x")
	tEq(t, "woken by its third key", c.read(), tPair("k3", "x"))
}

func TestBlockInsideMulti(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tDo(t, c, tOK, "MULTI")
	for _, cmd := range [][]string{{"BLPOP", "k", "0"}, {"BLMOVE", "k", "d", "LEFT", "LEFT", "0"},
		{"BRPOPLPUSH", "k", "d", "0"}, {"BLMPOP", "0", "1", "k", "LEFT"}, {"RPUSH", "k", "v"}, {"BRPOP", "k", "0"}} {
		tDo(t, c, "+QUEUED\r\n", cmd...)
	}
	tDo(t, c, "*6\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n:1\r\n"+tPair("k", "v"), "EXEC")
	tEq(t, "never blocked", srv.BlockedClients(), 0)
}

func TestBlockReleasedOnRevocation(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{})
	tRevocations(t, srv, func(c *tConn) {
		c.send("BLPOP", "k", "0")
		tBlocked(t, srv, 1)
	}, func(c *tConn, want string) {
		if got := c.read(); !strings.HasPrefix(got, want) {
			t.Errorf("released with %q, want %q…", got, want)
		}
		tBlocked(t, srv, 0)
		// The connection stays usable, as after any refused command.
		tDo(t, c, "+PONG\r\n", "PING")
	})
}

func TestBlockConnectionClosed(t *testing.T) {
	// Close every blocked connection: nothing is left in the registry.
	srv2, db2 := tServer(t, herodbtest.Options{})
	var cs []*tConn
	for i := range 3 {
		c := tSelected(t, srv2.Addr(), db2)
		c.send("BLMPOP", "0", "2", "k", "k"+strconv.Itoa(i), "LEFT")
		cs = append(cs, c)
	}
	tBlocked(t, srv2, 3)
	for _, c := range cs {
		c.conn.Close()
	}
	tBlocked(t, srv2, 0)
	// A push after finds nobody and stays.
	tDo(t, tSelected(t, srv2.Addr(), db2), tInt(1), "RPUSH", "k", "v")
	tDo(t, tSelected(t, srv2.Addr(), db2), tInt(1), "LLEN", "k")
}

func TestBlockServerCloseReleases(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	var cs []*tConn
	for range 3 {
		c := tSelected(t, srv.Addr(), db)
		c.send("BLPOP", "k", "0")
		cs = append(cs, c)
	}
	tBlocked(t, srv, 3)
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		tNoErr(t, "Close", err)
	case <-time.After(30 * time.Second): // a hang, not a speed: Close must not wait on BLPOP 0
		t.Fatal("Server.Close waits on clients blocked in BLPOP k 0")
	}
	for i, c := range cs {
		// An error reply or the connection closed: never a hang.
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		rep, err := c.readReply()
		if err == nil && (len(rep.raw) == 0 || rep.raw[0] != '-') {
			t.Errorf("client %d: %q after Close", i, rep.raw)
		}
	}
	tEq(t, "blocked after Close", srv.BlockedClients(), 0)
}

func TestBlockClientUnblock(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	other := srv.CreateDatabase(t, "other", true)
	c := tSelected(t, srv.Addr(), db)
	id := c.do("CLIENT", "ID")
	id = id[1 : len(id)-2]
	u := tSelected(t, srv.Addr(), db)
	tDo(t, u, tInt(0), "CLIENT", "UNBLOCK", id) // not blocked

	c.send("BLPOP", "k", "0")
	tBlocked(t, srv, 1)
	tDo(t, tSelected(t, srv.Addr(), other), tInt(0), "CLIENT", "UNBLOCK", id) // another tenant's client
	tDo(t, u, tInt(1), "CLIENT", "UNBLOCK", id)
	tEq(t, "unblocked as a timeout", c.read(), tNilA)

	c.send("BRPOPLPUSH", "k", "d", "0")
	tBlocked(t, srv, 1)
	tDo(t, u, tInt(1), "CLIENT", "UNBLOCK", id, "ERROR")
	tEq(t, "unblocked with an error", c.read(), tErr("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
	tBlocked(t, srv, 0)

	// The admin secret unblocks anyone.
	c.send("BLMPOP", "0", "1", "k", "LEFT")
	tBlocked(t, srv, 1)
	adm := tDial(t, srv.Addr())
	tDo(t, adm, tOK, "AUTH", herodbtest.AdminSecret)
	tDo(t, adm, tInt(1), "CLIENT", "UNBLOCK", id, "timeout")
	tEq(t, "unblocked by the admin", c.read(), tNilA)

	tDo(t, u, tErr("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"), "CLIENT", "UNBLOCK", id, "later")
	tDo(t, u, tErr("ERR value is not an integer or out of range"), "CLIENT", "UNBLOCK", "me")
}
