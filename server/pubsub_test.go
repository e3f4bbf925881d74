package server_test

// Pub/Sub end to end: delivery, patterns, (un)subscribe replies, subscriber mode,
// isolation between databases, revocation, shutdown and the slow-subscriber bound.

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
)

func tArr(items ...string) string {
	return "*" + strconv.Itoa(len(items)) + "\r\n" + strings.Join(items, "")
}

func tSubR(kind, name string, n int64) string { return tArr(tBulk(kind), tBulk(name), tInt(n)) }
func tMsg(ch, msg string) string              { return tArr(tBulk("message"), tBulk(ch), tBulk(msg)) }
func tPMsg(p, ch, msg string) string {
	return tArr(tBulk("pmessage"), tBulk(p), tBulk(ch), tBulk(msg))
}

// tSubscribers waits until n connections are in subscriber mode.
func tSubscribers(t *testing.T, srv *herodbtest.Server, n int) {
	t.Helper()
	tEventually(t, "subscribers = "+strconv.Itoa(n), func() bool { return srv.Subscribers() == n })
}

func TestPubSubGoRedis(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	ps := rdb.Subscribe(tCtx, "news")
	defer ps.Close()
	_, err := ps.Receive(tCtx)
	tNoErr(t, "subscribe", err)
	pps := rdb.PSubscribe(tCtx, "n*")
	defer pps.Close()
	_, err = pps.Receive(tCtx)
	tNoErr(t, "psubscribe", err)

	n, err := rdb.Publish(tCtx, "news", "hello").Result()
	tNoErr(t, "publish", err)
	tEq(t, "receivers", n, 2)
	m := <-ps.Channel()
	tEq(t, "message", m.Channel+" "+m.Payload, "news hello")
	pm := <-pps.Channel()
	tEq(t, "pmessage", pm.Pattern+" "+pm.Channel+" "+pm.Payload, "n* news hello")

	chs, err := rdb.PubSubChannels(tCtx, "*").Result()
	tNoErr(t, "channels", err)
	tEq(t, "channels", chs, []string{"news"})
	ns, err := rdb.PubSubNumSub(tCtx, "news", "other").Result()
	tNoErr(t, "numsub", err)
	tEq(t, "numsub", ns, map[string]int64{"news": 1, "other": 0})
	np, err := rdb.PubSubNumPat(tCtx).Result()
	tNoErr(t, "numpat", err)
	tEq(t, "numpat", np, 1)
	n, _ = rdb.Publish(tCtx, "other", "x").Result()
	tEq(t, "no receivers", n, 0)
}

func TestPubSubRaw(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	sub := tSelected(t, srv.Addr(), db)
	pub := tSelected(t, srv.Addr(), db)
	tDo(t, sub, tArr(tBulk("unsubscribe"), tNil, tInt(0)), "UNSUBSCRIBE")
	tDo(t, sub, tArr(tBulk("punsubscribe"), tNil, tInt(0)), "PUNSUBSCRIBE")
	sub.send("SUBSCRIBE", "a", "b", "a")
	tEq(t, "sub a", sub.read(), tSubR("subscribe", "a", 1))
	tEq(t, "sub b", sub.read(), tSubR("subscribe", "b", 2))
	tEq(t, "sub a again", sub.read(), tSubR("subscribe", "a", 2))
	tDo(t, sub, tSubR("psubscribe", "h?llo", 3), "PSUBSCRIBE", "h?llo")

	// Subscriber mode.
	tDo(t, sub, tErr("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"), "GET", "k")
	tDo(t, sub, tErr("ERR Can't execute 'select': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"), "SELECT", "1")
	tDo(t, sub, tArr(tBulk("pong"), tBulk("")), "PING")
	tDo(t, sub, tArr(tBulk("pong"), tBulk("hi")), "PING", "hi")

	tDo(t, pub, tInt(1), "PUBLISH", "a", "1")
	tEq(t, "message", sub.read(), tMsg("a", "1"))
	tDo(t, pub, tInt(1), "PUBLISH", "hello", "2")
	tEq(t, "pmessage", sub.read(), tPMsg("h?llo", "hello", "2"))
	tDo(t, pub, tInt(0), "PUBLISH", "c", "3")

	tDo(t, sub, tSubR("unsubscribe", "zz", 3), "UNSUBSCRIBE", "zz")
	sub.send("UNSUBSCRIBE")
	tEq(t, "unsub a", sub.read(), tSubR("unsubscribe", "a", 2))
	tEq(t, "unsub b", sub.read(), tSubR("unsubscribe", "b", 1))
	tDo(t, sub, tSubR("punsubscribe", "h?llo", 0), "PUNSUBSCRIBE")
	// Out of subscriber mode: everything runs again.
	tDo(t, sub, "+PONG\r\n", "PING")
	tDo(t, sub, tNil, "GET", "k")

	// A pipeline: replies before SUBSCRIBE come first; a message after its confirmation.
	sub.write([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nq\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
	tEq(t, "GET before", sub.read(), tNil)
	tEq(t, "SUBSCRIBE", sub.read(), tSubR("subscribe", "q", 1))
	tEq(t, "GET after", sub.read(), tErr("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"))
	tSubscribers(t, srv, 1)
	tDo(t, sub, "+RESET\r\n", "RESET")
	tSubscribers(t, srv, 0)
	tDo(t, pub, tInt(0), "PUBLISH", "q", "x")

	// QUIT in subscriber mode answers and closes.
	q := tSelected(t, srv.Addr(), db)
	tDo(t, q, tSubR("subscribe", "q", 1), "SUBSCRIBE", "q")
	tDo(t, q, tOK, "QUIT")
	if _, err := q.readReply(); err == nil {
		t.Error("connection still open after QUIT")
	}
	tSubscribers(t, srv, 0)
}

func TestPubSubPermissions(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	a := srv.Admin()
	id := srv.CreateDatabase(t, "ro", false)
	tNoErr(t, "set public", a.SetPublic(id, admin.AccessRead))
	c := tSelected(t, srv.Addr(), id)
	tDo(t, c, tErr("NOPERM this connection may only read this database"), "PUBLISH", "a", "b")
	tDo(t, c, tSubR("subscribe", "a", 1), "SUBSCRIBE", "a")
	n := tDial(t, srv.Addr())
	tDo(t, n, tErr(tNoAuth), "SUBSCRIBE", "a")
	_ = db
}

func TestPubSubIsolatedByDatabase(t *testing.T) {
	srv, dbA := tServer(t, herodbtest.Options{})
	dbB := srv.CreateDatabase(t, "other", true)
	subs := map[uint64]*tConn{}
	for _, db := range []uint64{dbA, dbB} {
		c := tSelected(t, srv.Addr(), db)
		tDo(t, c, tSubR("subscribe", "news", 1), "SUBSCRIBE", "news")
		tDo(t, c, tSubR("psubscribe", "*", 2), "PSUBSCRIBE", "*")
		subs[db] = c
	}
	pa, pb := tSelected(t, srv.Addr(), dbA), tSelected(t, srv.Addr(), dbB)
	tDo(t, pa, tInt(2), "PUBLISH", "news", "for-a")
	tDo(t, pb, tInt(2), "PUBLISH", "news", "for-b")
	tDo(t, pa, "*1\r\n"+tBulk("news"), "PUBSUB", "CHANNELS")
	tDo(t, pa, tInt(1), "PUBSUB", "NUMPAT")
	tDo(t, pa, tArr(tBulk("news"), tInt(1)), "PUBSUB", "NUMSUB", "news")
	for db, who := range map[uint64]string{dbA: "for-a", dbB: "for-b"} {
		c := subs[db]
		got := []string{c.read(), c.read()}
		want1, want2 := tMsg("news", who), tPMsg("*", "news", who)
		if !(got[0] == want1 && got[1] == want2) && !(got[0] == want2 && got[1] == want1) {
			t.Errorf("db %d received %q, want its own two messages", db, got)
		}
	}
	// Nothing else arrived: the next thing each reads is its own PING.
	for db, c := range subs {
		tEq(t, "ping of "+strconv.FormatUint(db, 10), c.do("PING"), tArr(tBulk("pong"), tBulk("")))
	}
}

func TestPubSubRevocation(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{})
	tRevocations(t, srv, func(c *tConn) {
		tDo(t, c, tSubR("subscribe", "ch", 1), "SUBSCRIBE", "ch")
		tDo(t, c, tSubR("psubscribe", "*", 2), "PSUBSCRIBE", "*")
		tSubscribers(t, srv, 1)
	}, func(c *tConn, want string) {
		if got := c.read(); !strings.HasPrefix(got, want) {
			t.Errorf("dropped with %q, want %q…", got, want)
		}
		tSubscribers(t, srv, 0)
		tDo(t, c, "+PONG\r\n", "PING") // out of subscriber mode
	})
}

func TestPubSubServerClose(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	var cs []*tConn
	for i := 0; i < 3; i++ {
		c := tSelected(t, srv.Addr(), db)
		tDo(t, c, tSubR("subscribe", "ch", 1), "SUBSCRIBE", "ch")
		cs = append(cs, c)
	}
	tSubscribers(t, srv, 3)
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		tNoErr(t, "Close", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Server.Close waits on subscribers")
	}
	for i, c := range cs {
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if rep, err := c.readReply(); err == nil && string(rep.raw) != tErr("ERR herodb is shutting down") {
			t.Errorf("subscriber %d: %q after Close", i, rep.raw)
		}
	}
}

func TestPubSubSlowSubscriberDisconnected(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	slow := tSelected(t, srv.Addr(), db)
	tDo(t, slow, tSubR("subscribe", "ch", 1), "SUBSCRIBE", "ch")
	fast := tSelected(t, srv.Addr(), db)
	tDo(t, fast, tSubR("subscribe", "ch", 1), "SUBSCRIBE", "ch")
	go io.Copy(io.Discard, fast.conn) // reads everything
	pub := tSelected(t, srv.Addr(), db)
	msg := strings.Repeat("x", 1<<20)
	dropped := false
	for i := 0; i < 200 && !dropped; i++ { // 200 MiB at most; 32 MiB + socket buffers is the bound
		dropped = pub.do("PUBLISH", "ch", msg) == tInt(1)
	}
	if !dropped {
		t.Fatal("a subscriber that does not read was never disconnected")
	}
	tEventually(t, "slow subscriber gone", func() bool {
		return pub.do("PUBSUB", "NUMSUB", "ch") == tArr(tBulk("ch"), tInt(1))
	})
	// The slow connection reads what was written before, then the close.
	slow.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, slow.conn)
	if err != nil {
		t.Errorf("slow subscriber: %v after %d bytes, want EOF", err, n)
	}
}
