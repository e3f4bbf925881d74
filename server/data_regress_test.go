package server_test

// Regression tests for the findings of a data-plane review: each failed against the code
// before its fix (a deadlock of FLUSHALL in EXEC, WATCH missing an in-flight write or an
// expiry or firing on no-op writes, empty list elements, DBSIZE inside a transaction,
// SET KEEPTTL over another type, SCAN COUNT above 2^31-1).

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

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

// DBSIZE pipelined behind a write joins the write's group transaction and sees the
// count from before the group.
func TestReviewDBSizePipelined(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	c.write(append(append(tEncode(tStrs([]string{"SET", "a", "1"})...),
		tEncode(tStrs([]string{"SET", "b", "1"})...)...), tEncode(tStrs([]string{"DBSIZE"})...)...))
	tEq(t, "SET a", c.read(), tOK)
	tEq(t, "SET b", c.read(), tOK)
	tEq(t, "pipelined DBSIZE", c.read(), tInt(2))
}

// FLUSHALL queued in a MULTI next to a data write would run inside the database's group
// commit and call Update on that same database from the committer goroutine (a
// deadlock): it is refused inside MULTI, and EXEC aborts and answers.
func TestReviewFlushallInExecDeadlocks(t *testing.T) {
	srv, db := tReviewServerLeaky(t)
	c := tDial(t, srv.Addr())
	tEq(t, "AUTH", c.do("AUTH", herodbtest.AdminSecret), tOK)
	tEq(t, "SELECT", c.do("SELECT", strconv.FormatUint(db, 10)), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "SET", c.do("SET", "a", "1"), "+QUEUED\r\n")
	tEq(t, "FLUSHALL", c.do("FLUSHALL"), tErr("ERR Command not allowed inside a transaction"))
	c.send("EXEC")
	c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	rep, err := c.readReply()
	if err == nil && !strings.HasPrefix(string(rep.raw), "-EXECABORT") {
		t.Errorf("EXEC after a refused FLUSHALL: %q, want EXECABORT", rep.raw)
	}
	if err != nil {
		// Any other writer of the database now hangs too.
		other := tDial(t, srv.Addr())
		other.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		other.send("SELECT", strconv.FormatUint(db, 10))
		sel, err2 := other.readReply()
		other.send("SET", "b", "1")
		set, err3 := other.readReply()
		t.Fatalf("EXEC with FLUSHALL did not answer within 3 s (%v); another client's SELECT: %q %v, SET: %q %v",
			err, sel.raw, err2, set.raw, err3)
	}
}

// tReviewServerLeaky is tServer without herodbtest's Close-on-cleanup, whose wait for
// running handlers would hang the test binary behind a deadlocked command: Close is
// given 2 s and then abandoned.
func tReviewServerLeaky(t *testing.T) (*server.Server, uint64) {
	t.Helper()
	srv, err := server.Start(server.Config{Dir: t.TempDir(), AdminSecret: []byte(herodbtest.AdminSecret), KDF: crypto.TestKDF})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { srv.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Log("server Close did not return within 2 s (abandoned)")
		}
	})
	d, err := srv.Admin().CreateDatabase(admin.CreateOptions{Name: "app", Public: admin.AccessReadWrite})
	if err != nil {
		t.Fatal(err)
	}
	return srv, d.ID
}

// Redis 7 makes EXEC fail when a watched key expired after WATCH (isWatchedKeyExpired
// in execCommand); herodb's lazy or active expiry deletes it without touching watchers.
func TestReviewWatchExpiredKey(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	for _, side := range []struct {
		name string
		c    *tConn
	}{{"redis", tDial(t, raddr)}, {"herodb", tSelected(t, srv.Addr(), db)}} {
		c := side.c
		tEq(t, side.name+" SET", c.do("SET", "w", "1", "PX", "200"), tOK)
		tEq(t, side.name+" WATCH", c.do("WATCH", "w"), tOK)
		time.Sleep(400 * time.Millisecond)
		tEq(t, side.name+" MULTI", c.do("MULTI"), tOK)
		tEq(t, side.name+" SET x", c.do("SET", "x", "1"), "+QUEUED\r\n")
		tEq(t, side.name+" EXEC after the watched key expired", c.do("EXEC"), tNilA)
	}
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

// touch() marks watchers while the writer's transaction is still running, before its
// commit. A client that WATCHes in that window, then reads (and sees the old value,
// because the write is not committed yet), is never marked: its EXEC succeeds and
// overwrites the acknowledged write it never saw. Redis would abort that EXEC.
func TestReviewWatchMissesInFlightWrite(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	a := tSelected(t, srv.Addr(), db)
	b := tSelected(t, srv.Addr(), db)
	// A long list makes LREM slow: every element is opened.
	for i := 0; i < 20; i++ {
		args := []string{"RPUSH", "biglist"}
		for j := 0; j < 5000; j++ {
			args = append(args, "e")
		}
		a.do(args...)
	}
	tEq(t, "SET old", a.do("SET", "k", "old"), tOK)
	// B: one small pipeline, read at once, run as one group transaction: SET k new (which
	// touches watchers at once), then slow work, then the commit.
	var pipe []byte
	pipe = append(pipe, tEncode(tStrs([]string{"SET", "k", "new"})...)...)
	for i := 0; i < 10; i++ {
		pipe = append(pipe, tEncode(tStrs([]string{"LREM", "biglist", "0", "nomatch"})...)...)
	}
	b.write(pipe)
	time.Sleep(50 * time.Millisecond) // B's group is past SET k, not yet committed
	tEq(t, "WATCH", a.do("WATCH", "k"), tOK)
	seen := a.do("GET", "k")
	tEq(t, "MULTI", a.do("MULTI"), tOK)
	a.do("SET", "k", "from-a")
	exec := a.do("EXEC")
	for i := 0; i <= 10; i++ {
		b.read()
	}
	if seen == tBulk("old") && exec != tNilA {
		t.Fatalf("A watched k and read %q (B's acknowledged SET k new was not visible yet), yet A's EXEC "+
			"succeeded (%q): B's write is lost under WATCH; final k=%q", seen, exec, a.do("GET", "k"))
	}
	t.Logf("seen %q exec %q", seen, exec)
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
