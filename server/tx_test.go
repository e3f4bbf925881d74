package server_test

// MULTI/EXEC/DISCARD/WATCH, pipelines and concurrent writers, end to end.

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

func TestTxMultiExec(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "SET queued", c.do("SET", "a", "1"), "+QUEUED\r\n")
	tEq(t, "INCR queued", c.do("INCR", "a"), "+QUEUED\r\n")
	tEq(t, "GET queued", c.do("GET", "a"), "+QUEUED\r\n")
	tEq(t, "PING queued", c.do("PING"), "+QUEUED\r\n")
	tEq(t, "EXEC", c.do("EXEC"), "*4\r\n"+tOK+tInt(2)+tBulk("2")+"+PONG\r\n")
	tEq(t, "EXEC empty", c.do("MULTI")+c.do("EXEC"), tOK+"*0\r\n")

	// Another connection sees nothing until EXEC.
	other := tSelected(t, srv.Addr(), db)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "SET queued", c.do("SET", "b", "1"), "+QUEUED\r\n")
	tEq(t, "not visible before EXEC", other.do("EXISTS", "b"), tInt(0))
	tEq(t, "EXEC", c.do("EXEC"), "*1\r\n"+tOK)
	tEq(t, "visible after EXEC", other.do("GET", "b"), tBulk("1"))

	// A command error inside EXEC is that element's error; the others apply.
	tEq(t, "SET str", c.do("SET", "s", "abc"), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	c.do("SET", "x", "1")
	c.do("INCR", "s")
	c.do("SET", "y", "2")
	c.do("SET", "k", "v", "EX", "0")
	tEq(t, "EXEC with errors", c.do("EXEC"), "*4\r\n"+tOK+
		tErr("ERR value is not an integer or out of range")+tOK+tErr("ERR invalid expire time in 'set' command"))
	tEq(t, "x applied", c.do("GET", "x"), tBulk("1"))
	tEq(t, "y applied", c.do("GET", "y"), tBulk("2"))
	tEq(t, "s unchanged", c.do("GET", "s"), tBulk("abc"))

	// A queueing error (unknown command, wrong arity) aborts the whole transaction.
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	c.do("SET", "z", "1")
	tEq(t, "unknown in MULTI", c.do("NOSUCH", "a"), tErr("ERR unknown command 'NOSUCH', with args beginning with: 'a' "))
	tEq(t, "arity in MULTI", c.do("GET"), tErr("ERR wrong number of arguments for 'get' command"))
	tEq(t, "EXECABORT", c.do("EXEC"), tErr("EXECABORT Transaction discarded because of previous errors."))
	tEq(t, "z not set", c.do("EXISTS", "z"), tInt(0))
	tEq(t, "no longer in MULTI", c.do("EXEC"), tErr("ERR EXEC without MULTI"))

	// DISCARD.
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	c.do("SET", "d", "1")
	tEq(t, "DISCARD", c.do("DISCARD"), tOK)
	tEq(t, "d not set", c.do("EXISTS", "d"), tInt(0))
	tEq(t, "DISCARD without MULTI", c.do("DISCARD"), tErr("ERR DISCARD without MULTI"))
	tEq(t, "EXEC without MULTI", c.do("EXEC"), tErr("ERR EXEC without MULTI"))

	// Nested MULTI is an error but leaves the transaction open.
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "nested MULTI", c.do("MULTI"), tErr("ERR MULTI calls can not be nested"))
	c.do("SET", "n", "1")
	tEq(t, "EXEC after nested MULTI", c.do("EXEC"), "*1\r\n"+tOK)

	// WATCH inside MULTI; SELECT inside MULTI.
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "WATCH in MULTI", c.do("WATCH", "a"), tErr("ERR WATCH inside MULTI is not allowed"))
	tEq(t, "EXEC", c.do("EXEC"), "*0\r\n")

	// Writes to a read-only DB 0 inside MULTI: the element's error.
	adm := tDial(t, srv.Addr())
	tEq(t, "SELECT 0", adm.do("SELECT", "0", "KEY", herodbtest.AdminSecret), tOK)
	tEq(t, "MULTI", adm.do("MULTI"), tOK)
	got := adm.do("SET", "a", "b")
	if got != "+QUEUED\r\n" && !strings.HasPrefix(got, "-NOPERM") {
		t.Errorf("SET on DB 0 in MULTI: %q", got)
	}
	got = adm.do("EXEC") // refused at queueing (EXECABORT, as Redis does for ACL) or in EXEC
	if !strings.Contains(got, "NOPERM") && !strings.HasPrefix(got, "-EXECABORT") {
		t.Errorf("EXEC of a DB 0 write: %q", got)
	}

	// MULTI before authentication is refused: a queue would let an unauthenticated
	// connection hold unbounded memory.
	un := tDial(t, srv.Addr())
	tEq(t, "MULTI unauthenticated", un.do("MULTI"), tErr(tNoAuth))

	// Data commands in MULTI without a selected database (authenticated, none selected).
	un2 := tDial(t, srv.Addr())
	tEq(t, "AUTH admin", un2.do("AUTH", herodbtest.AdminSecret), tOK)
	tEq(t, "MULTI unselected", un2.do("MULTI"), tOK)
	got = un2.do("GET", "a")
	if got != "+QUEUED\r\n" && got != tErr(tNoAuth) {
		t.Errorf("GET queued without selection: %q", got)
	}
	got = un2.do("EXEC")
	if !strings.Contains(got, "NOAUTH") && !strings.HasPrefix(got, "-EXECABORT") {
		t.Errorf("EXEC without selection: %q", got)
	}
}

func TestTxGoRedis(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	cmds, err := rdb.TxPipelined(tCtx, func(p redis.Pipeliner) error {
		p.Set(tCtx, "a", "1", 0)
		p.IncrBy(tCtx, "a", 5)
		p.Get(tCtx, "a")
		return nil
	})
	tNoErr(t, "TxPipelined", err)
	tEq(t, "3 replies", len(cmds), 3)
	tEq(t, "GET in tx", cmds[2].(*redis.StringCmd).Val(), "6")

	// A command error inside: go-redis reports it on that command.
	tNoErr(t, "SET s", rdb.Set(tCtx, "s", "abc", 0).Err())
	cmds, err = rdb.TxPipelined(tCtx, func(p redis.Pipeliner) error {
		p.Set(tCtx, "b", "1", 0)
		p.Incr(tCtx, "s")
		return nil
	})
	tErrIs(t, "TxPipelined with INCR on string", err, "ERR value is not an integer")
	tNoErr(t, "SET in failed tx", cmds[0].Err())
	tEq(t, "b applied", rdb.Get(tCtx, "b").Val(), "1")

	// WATCH: a write by another connection between WATCH and EXEC fails the transaction.
	other := tClient(t, srv.Addr(), db)
	tNoErr(t, "SET counter", rdb.Set(tCtx, "counter", "10", 0).Err())
	err = rdb.Watch(tCtx, func(tx *redis.Tx) error {
		n, err := tx.Get(tCtx, "counter").Int()
		if err != nil {
			return err
		}
		if err := other.Set(tCtx, "counter", "100", 0).Err(); err != nil {
			return err
		}
		_, err = tx.TxPipelined(tCtx, func(p redis.Pipeliner) error {
			p.Set(tCtx, "counter", strconv.Itoa(n+1), 0)
			return nil
		})
		return err
	}, "counter")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Errorf("WATCH conflict: %v, want TxFailedErr", err)
	}
	tEq(t, "other's write stands", rdb.Get(tCtx, "counter").Val(), "100")

	// Without interference the optimistic increment works.
	for i := 0; i < 5; i++ {
		err = rdb.Watch(tCtx, func(tx *redis.Tx) error {
			n, err := tx.Get(tCtx, "counter").Int()
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(tCtx, func(p redis.Pipeliner) error {
				p.Set(tCtx, "counter", strconv.Itoa(n+1), 0)
				return nil
			})
			return err
		}, "counter")
		tNoErr(t, "WATCH increment", err)
	}
	tEq(t, "counter", rdb.Get(tCtx, "counter").Val(), "105")
}

func TestTxWatchRaw(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	other := srv.CreateDatabase(t, "other", true)
	c := tSelected(t, srv.Addr(), db)
	w := tSelected(t, srv.Addr(), db)

	// Conflict from another connection: EXEC answers a null array.
	tEq(t, "WATCH", c.do("WATCH", "k"), tOK)
	tEq(t, "other writes", w.do("SET", "k", "x"), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	c.do("SET", "k", "mine")
	tEq(t, "EXEC after conflict", c.do("EXEC"), tNilA)
	tEq(t, "k is the other's", c.do("GET", "k"), tBulk("x"))

	// EXEC unwatches: the next transaction runs.
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	c.do("SET", "k", "mine")
	tEq(t, "EXEC", c.do("EXEC"), "*1\r\n"+tOK)

	// UNWATCH forgets the keys.
	tEq(t, "WATCH", c.do("WATCH", "k"), tOK)
	tEq(t, "UNWATCH", c.do("UNWATCH"), tOK)
	tEq(t, "other writes", w.do("SET", "k", "y"), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	c.do("GET", "k")
	tEq(t, "EXEC after UNWATCH", c.do("EXEC"), "*1\r\n"+tBulk("y"))

	// DISCARD unwatches too.
	tEq(t, "WATCH", c.do("WATCH", "k"), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "DISCARD", c.do("DISCARD"), tOK)
	tEq(t, "other writes", w.do("SET", "k", "z"), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	c.do("GET", "k")
	tEq(t, "EXEC after DISCARD", c.do("EXEC"), "*1\r\n"+tBulk("z"))

	// A write to another key, or the same key name in another database, is no conflict.
	w2 := tSelected(t, srv.Addr(), other)
	tEq(t, "WATCH", c.do("WATCH", "k"), tOK)
	tEq(t, "other key", w.do("SET", "k2", "1"), tOK)
	tEq(t, "same name, other db", w2.do("SET", "k", "1"), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	c.do("INCR", "n")
	tEq(t, "EXEC without conflict", c.do("EXEC"), "*1\r\n"+tInt(1))

	// Deleting, expiring and FLUSHDB all count as writes.
	for _, write := range [][]string{{"DEL", "k"}, {"EXPIRE", "n", "100"}, {"FLUSHDB"}, {"RENAME", "k2", "k"}} {
		c.do("SET", "k", "v")
		c.do("SET", "n", "1")
		c.do("SET", "k2", "v")
		key := "k"
		if write[0] == "EXPIRE" {
			key = "n"
		}
		tEq(t, "WATCH", c.do("WATCH", key), tOK)
		tEq(t, strings.Join(write, " "), w.do(write...)[0] != '-', true)
		tEq(t, "MULTI", c.do("MULTI"), tOK)
		c.do("PING")
		tEq(t, "EXEC after "+write[0], c.do("EXEC"), tNilA)
	}
	tEq(t, "WATCH arity", c.do("WATCH"), tErr("ERR wrong number of arguments for 'watch' command"))
	tEq(t, "UNWATCH arity", c.do("UNWATCH", "x"), tErr("ERR wrong number of arguments for 'unwatch' command"))
}

func TestTxPipeline(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	// 100 SETs then 100 GETs in one pipeline on one connection see their own writes.
	pipe := rdb.Pipeline()
	for i := 0; i < 100; i++ {
		pipe.Set(tCtx, "p:"+strconv.Itoa(i), "v"+strconv.Itoa(i), 0)
	}
	gets := make([]*redis.StringCmd, 100)
	for i := 0; i < 100; i++ {
		gets[i] = pipe.Get(tCtx, "p:"+strconv.Itoa(i))
	}
	_, err := pipe.Exec(tCtx)
	tNoErr(t, "pipeline", err)
	for i, g := range gets {
		if g.Val() != "v"+strconv.Itoa(i) {
			t.Fatalf("pipelined GET %d: %q %v", i, g.Val(), g.Err())
		}
	}

	// Raw: one write carrying a mix of commands, including errors and connection
	// commands, answers each in order.
	c := tSelected(t, srv.Addr(), db)
	var b []byte
	for _, args := range [][]string{
		{"SET", "r", "1"}, {"INCR", "r"}, {"NOSUCH"}, {"GET", "r"}, {"SELECT", "999"}, {"GET", "r"},
		{"PING"}, {"MULTI"}, {"INCR", "r"}, {"EXEC"}, {"GET"}, {"GET", "r"},
	} {
		b = append(b, tEncode(tStrs(args)...)...)
	}
	c.write(b)
	want := []string{tOK, tInt(2), tErr("ERR unknown command 'NOSUCH', with args beginning with: "), tBulk("2"),
		tErr("ERR DB index is out of range"), tBulk("2"), "+PONG\r\n", tOK, "+QUEUED\r\n", "*1\r\n" + tInt(3),
		tErr("ERR wrong number of arguments for 'get' command"), tBulk("3")}
	for i, w := range want {
		tEq(t, "pipelined reply "+strconv.Itoa(i), c.read(), w)
	}
}

func TestTxConcurrentWriters(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	const conns, perConn = 20, 25
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db), Protocol: 2, PoolSize: 1})
			defer rdb.Close()
			for j := 0; j < perConn; j++ {
				k := "w:" + strconv.Itoa(i) + ":" + strconv.Itoa(j)
				if err := rdb.Set(tCtx, k, k, 0).Err(); err != nil {
					errs <- err
					return
				}
				if err := rdb.Incr(tCtx, "shared").Err(); err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("writer: %v", err)
	}
	rdb := tClient(t, srv.Addr(), db)
	tEq(t, "DBSIZE", rdb.DBSize(tCtx).Val(), conns*perConn+1)
	tEq(t, "shared counter", rdb.Get(tCtx, "shared").Val(), strconv.Itoa(conns*perConn))
	for i := 0; i < conns; i++ {
		for j := 0; j < perConn; j++ {
			k := "w:" + strconv.Itoa(i) + ":" + strconv.Itoa(j)
			if v, err := rdb.Get(tCtx, k).Result(); err != nil || v != k {
				t.Fatalf("GET %s: %q %v", k, v, err)
			}
		}
	}
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
