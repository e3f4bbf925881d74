package server_test

// COPY and MOVE on a real server: within a database, and into another one in one commit,
// only for a connection whose AUTH credential grants write on both (or the admin secret);
// WATCHers, blocked clients and keyspace subscribers of the other database learn of it;
// concurrent moves both ways lose and duplicate nothing; and kill -9 of the real binary
// in the middle of moves leaves every key in exactly one database.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// cpFill writes one key of each type, with a TTL on the hash.
func cpFill(t *testing.T, c *tConn) {
	t.Helper()
	tDo(t, c, tOK, "SET", "s", "string")
	tDo(t, c, tInt(2), "HSET", "h", "f1", "v1", "f2", "v2")
	tDo(t, c, tInt(1), "EXPIRE", "h", "1000")
	tDo(t, c, tInt(3), "RPUSH", "l", "a", "b", "c")
	tDo(t, c, tInt(2), "SADD", "S", "x", "y")
	tDo(t, c, tInt(2), "ZADD", "z", "1", "one", "2", "two")
}

func TestCopyWithinDatabase(t *testing.T) {
	t.Parallel()
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	cpFill(t, c)
	for _, k := range []string{"s", "h", "l", "S", "z"} {
		tDo(t, c, tInt(1), "COPY", k, k+"2")
	}
	tDo(t, c, tBulk("string"), "GET", "s2")
	tDo(t, c, tBulk("v1"), "HGET", "h2", "f1")
	tDo(t, c, tBulk("v2"), "HGET", "h2", "f2")
	tDo(t, c, tInt(2), "HLEN", "h2")
	if ttl := c.do("TTL", "h2"); ttl != tInt(1000) && ttl != tInt(999) {
		t.Errorf("TTL of the copy: %q", ttl)
	}
	tDo(t, c, tInt(-1), "TTL", "s2")
	tDo(t, c, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "l2", "0", "-1")
	tDo(t, c, tInt(1), "SISMEMBER", "S2", "y")
	tDo(t, c, "*4\r\n$3\r\none\r\n$1\r\n1\r\n$3\r\ntwo\r\n$1\r\n2\r\n", "ZRANGE", "z2", "0", "-1", "WITHSCORES")
	// The copy is its own key: changing it leaves the source as it was.
	tDo(t, c, tInt(4), "RPUSH", "l2", "d")
	tDo(t, c, tInt(3), "LLEN", "l")

	tDo(t, c, tInt(0), "COPY", "s", "l2")                                   // exists: kept
	tDo(t, c, tInt(1), "COPY", "s", "l2", "REPLACE")                        // replaced, whatever its type
	tDo(t, c, tBulk("string"), "GET", "l2")                                 //
	tDo(t, c, tInt(0), "COPY", "absent", "x")                               //
	tDo(t, c, tInt(1), "COPY", "s", "s3", "DB", strconv.FormatUint(db, 10)) // the selected database, named
	tDo(t, c, tErr("ERR source and destination objects are the same"), "COPY", "s", "s")
	tDo(t, c, tErr("ERR syntax error"), "COPY", "s", "t", "NOPE")
	tDo(t, c, tErr("ERR syntax error"), "COPY", "s", "t", "DB")
	tDo(t, c, tErr("ERR source and destination objects are the same"), "MOVE", "s", strconv.FormatUint(db, 10))
	tDo(t, c, tErr("ERR wrong number of arguments for 'move' command"), "MOVE", "s")
	tDo(t, c, tErr("ERR wrong number of arguments for 'copy' command"), "COPY", "s")

	// Inside MULTI, and with a read-only connection: refused as every write.
	tDo(t, c, tOK, "MULTI")
	tDo(t, c, "+QUEUED\r\n", "COPY", "s", "m1")
	tDo(t, c, "+QUEUED\r\n", "COPY", "m1", "m2")
	tDo(t, c, "*2\r\n:1\r\n:1\r\n", "EXEC")
	tDo(t, c, tBulk("string"), "GET", "m2")
}

// cpNoPerm is the refusal of a write into another database.
var cpNoPerm = tErr("NOPERM writing another database needs an AUTH credential granting write on both databases, or the admin secret")

// cpEnv is two private databases, ci and other, with a token granting write on both, one
// granting write on ci and read on other, and ci's access key.
type cpEnv struct {
	*tkEnv
	both, half string
}

func cpSetup(t *testing.T) *cpEnv {
	t.Helper()
	e := &cpEnv{tkEnv: tkSetup(t, herodbtest.Options{})}
	two := func(p1, p2 string) string {
		return fmt.Sprintf(`[{"type":"database","name":"ci","permissions":[%s]},{"type":"database","name":"other","permissions":[%s]}]`, p1, p2)
	}
	_, e.both = e.token(t, "both", two(`"read","write"`, `"read","write"`), nil)
	_, e.half = e.token(t, "half", two(`"read","write"`, `"read"`), nil)
	return e
}

// cpAuthed is a connection authenticated with cred, with ci selected.
func (e *cpEnv) cpAuthed(t *testing.T, cred string) *tConn {
	t.Helper()
	c := tDial(t, e.srv.Addr())
	tDo(t, c, tOK, "AUTH", cred)
	tDo(t, c, tOK, "SELECT", "ci")
	return c
}

func TestCopyMoveAcrossDatabases(t *testing.T) {
	t.Parallel()
	e := cpSetup(t)
	c := e.cpAuthed(t, e.both)
	cpFill(t, c)
	for _, k := range []string{"s", "h", "l", "S", "z"} {
		tDo(t, c, tInt(1), "COPY", k, k, "DB", "other")
	}
	tDo(t, c, tInt(2), "RPUSH", "l2", "d", "e")
	tDo(t, c, tInt(1), "MOVE", "l2", e.otherS) // by id
	tDo(t, c, tInt(0), "EXISTS", "l2")
	tDo(t, c, tInt(0), "MOVE", "s", "other") // exists there: stays here
	tDo(t, c, tInt(1), "EXISTS", "s")
	tDo(t, c, tInt(0), "MOVE", "absent", "other")
	tDo(t, c, tInt(0), "COPY", "s", "s", "DB", "other")
	tDo(t, c, tInt(1), "COPY", "h", "s", "DB", "other", "REPLACE")

	o := e.cpAuthed(t, e.both)
	tDo(t, o, tOK, "SELECT", "other")
	tDo(t, o, "+hash\r\n", "TYPE", "s")
	tDo(t, o, tBulk("v2"), "HGET", "s", "f2")
	if ttl := o.do("TTL", "h"); ttl != tInt(1000) && ttl != tInt(999) {
		t.Errorf("TTL of the hash copied across: %q", ttl)
	}
	tDo(t, o, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "l", "0", "-1")
	tDo(t, o, "*2\r\n$1\r\nd\r\n$1\r\ne\r\n", "LRANGE", "l2", "0", "-1")
	tDo(t, o, tBulk("v"+e.otherS), "GET", "k") // what was there stays

	// Every refusal is NOPERM, and changes nothing.
	for _, cred := range []string{e.half} {
		h := e.cpAuthed(t, cred)
		tDo(t, h, cpNoPerm, "COPY", "s", "new", "DB", "other")
		tDo(t, h, cpNoPerm, "MOVE", "s", "other")
		tDo(t, h, tInt(1), "COPY", "s", "new") // within ci: its write grant is enough
	}
	// A KEY given to SELECT covers that selection only: no crossing with it.
	k := tDial(t, e.srv.Addr())
	tDo(t, k, tOK, "SELECT", "ci", "KEY", e.both)
	tDo(t, k, cpNoPerm, "MOVE", "s", "other")
	tDo(t, c, cpNoPerm, "MOVE", "s", "pub")  // not granted (public has no write grant from the token)
	tDo(t, c, cpNoPerm, "MOVE", "s", "9999") // does not exist: told as not granted
	tDo(t, c, cpNoPerm, "COPY", "s", "s", "DB", "nosuchdb")
	tDo(t, c, tErr("NOPERM DB 0 is read-only over RESP; change it through the RPC"), "MOVE", "s", "0")
	tDo(t, c, tInt(1), "EXISTS", "s")

	// The admin crosses into any database, and learns when one does not exist.
	a := tDial(t, e.srv.Addr())
	tDo(t, a, tOK, "SELECT", "ci", "KEY", e.adminS)
	tDo(t, a, tErr("ERR DB index is out of range"), "MOVE", "s", "9999")
	tDo(t, a, tInt(1), "MOVE", "s", "pub")

	// MULTI: both databases change in EXEC's one commit.
	tDo(t, c, tOK, "SET", "m", "1")
	tDo(t, c, tOK, "MULTI")
	tDo(t, c, "+QUEUED\r\n", "COPY", "m", "m1", "DB", "other")
	tDo(t, c, "+QUEUED\r\n", "MOVE", "m", "other")
	tDo(t, c, "+QUEUED\r\n", "INCR", "n")
	tDo(t, c, "*3\r\n:1\r\n:1\r\n:1\r\n", "EXEC")
	tDo(t, o, "*2\r\n$1\r\n1\r\n$1\r\n1\r\n", "MGET", "m", "m1")
}

// TestMoveAcrossNotifiesTheOtherDatabase: WATCH in the other database sees a key moved
// or copied in, BLPOP there wakes for a list moved in, and the keyspace events go to each
// database's own channels.
func TestMoveAcrossNotifiesTheOtherDatabase(t *testing.T) {
	t.Parallel()
	e := cpSetup(t)
	c := e.cpAuthed(t, e.both)
	o := e.cpAuthed(t, e.both)
	tDo(t, o, tOK, "SELECT", "other")

	tDo(t, o, tOK, "WATCH", "w")
	tDo(t, c, tOK, "SET", "w", "from ci")
	tDo(t, c, tInt(1), "COPY", "w", "w", "DB", "other")
	tDo(t, o, tOK, "MULTI")
	tDo(t, o, "+QUEUED\r\n", "SET", "w", "mine")
	tDo(t, o, "*-1\r\n", "EXEC")

	blocked := e.cpAuthed(t, e.both)
	tDo(t, blocked, tOK, "SELECT", "other")
	blocked.send("BLPOP", "jobs", "10")
	time.Sleep(100 * time.Millisecond)
	tDo(t, c, tInt(1), "RPUSH", "jobs", "j1")
	tDo(t, c, tInt(1), "MOVE", "jobs", "other")
	tEq(t, "BLPOP woken by MOVE", blocked.read(), "*2\r\n$4\r\njobs\r\n$2\r\nj1\r\n")

	// Keyspace events: move_from in ci, move_to and copy_to in other.
	tDo(t, c, tOK, "CONFIG", "SET", "notify-keyspace-events", "Eg")
	tDo(t, o, tOK, "CONFIG", "SET", "notify-keyspace-events", "Eg")
	subCI, subO := e.cpAuthed(t, e.both), e.cpAuthed(t, e.both)
	tDo(t, subO, tOK, "SELECT", "other")
	subCI.send("PSUBSCRIBE", "__keyevent@*")
	subCI.read()
	subO.send("PSUBSCRIBE", "__keyevent@*")
	subO.read()
	tDo(t, c, tOK, "SET", "ev", "1")
	tDo(t, c, tInt(1), "COPY", "ev", "ev2", "DB", "other")
	tDo(t, c, tInt(1), "MOVE", "ev", "other")
	ev := func(db, event, key string) string {
		ch := "__keyevent@" + db + "__:" + event
		return fmt.Sprintf("*4\r\n$8\r\npmessage\r\n$12\r\n__keyevent@*\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(ch), ch, len(key), key)
	}
	tEq(t, "ci: move_from", subCI.read(), ev(e.ciS, "move_from", "ev"))
	tEq(t, "other: copy_to", subO.read(), ev(e.otherS, "copy_to", "ev2"))
	tEq(t, "other: move_to", subO.read(), ev(e.otherS, "move_to", "ev"))
}

// TestMoveAcrossConcurrent: clients move keys both ways between two databases while
// others copy them; under -race nothing deadlocks and every key ends in exactly one
// database.
func TestMoveAcrossConcurrent(t *testing.T) {
	t.Parallel()
	e := cpSetup(t)
	const keys, rounds = 20, 40
	seed := e.cpAuthed(t, e.both)
	for i := 0; i < keys; i++ {
		tDo(t, seed, tOK, "SET", "mv"+strconv.Itoa(i), strconv.Itoa(i))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rdb := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), Password: e.both, Protocol: 2, MaxRetries: -1})
			defer rdb.Close()
			conn := rdb.Conn() // SELECT and MOVE on one connection
			defer conn.Close()
			for i := 0; i < rounds; i++ {
				from, to := "ci", "other"
				if (w+i)%2 == 1 {
					from, to = to, from
				}
				k := "mv" + strconv.Itoa((w*7+i)%keys)
				err := conn.Do(tCtx, "SELECT", from).Err()
				if err == nil {
					err = conn.Do(tCtx, "MOVE", k, to).Err()
				}
				if err == nil && w%2 == 0 {
					err = conn.Do(tCtx, "COPY", k, "copy"+strconv.Itoa(w), "DB", to, "REPLACE").Err()
				}
				if err != nil {
					errs <- err.Error()
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	o := e.cpAuthed(t, e.both)
	for i := 0; i < keys; i++ {
		k := "mv" + strconv.Itoa(i)
		tDo(t, o, tOK, "SELECT", "ci")
		inCI := o.do("GET", k)
		tDo(t, o, tOK, "SELECT", "other")
		inOther := o.do("GET", k)
		if (inCI == "$-1\r\n") == (inOther == "$-1\r\n") {
			t.Errorf("%s: in ci %q, in other %q; want it in exactly one", k, inCI, inOther)
		}
	}
}

// TestMoveAcrossKill9: the real binary killed while clients move keys back and forth
// between two databases, then restarted: every key is in exactly one of them, with its
// value. A move is one log frame for both databases, so no kill can split it.
func TestMoveAcrossKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := tBuildHerodb(t)
	dir := filepath.Join(t.TempDir(), "data")
	secret := "kill9-move-secret"
	secretFile := filepath.Join(t.TempDir(), "secret")
	tNoErr(t, "write secret", os.WriteFile(secretFile, []byte(secret+"\n"), 0o600))
	port, rpcPort := tFreePort(t), tFreePort(t)
	args := []string{"--dev", "--dir", dir, "--admin-secret-file", secretFile, "--rpc-port", strconv.Itoa(rpcPort)}
	cmd := tStartBinary(t, bin, port, args...)
	create := exec.Command(bin, "db", "create", "--name", "second")
	create.Env = append(os.Environ(), "HERODB_RPC=http://127.0.0.1:"+strconv.Itoa(rpcPort), "HERODB_ADMIN_SECRET="+secret)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("db create: %v\n%s", err, out)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	const keys = 50
	admin := func() *redis.Client {
		return redis.NewClient(&redis.Options{Addr: addr, Password: secret, Protocol: 2, MaxRetries: -1})
	}
	seed := admin()
	for i := 0; i < keys; i++ {
		tNoErr(t, "seed", seed.Do(tCtx, "SELECT", "demo").Err())
		tNoErr(t, "seed", seed.Set(tCtx, "k"+strconv.Itoa(i), strings.Repeat("v", i+1), 0).Err())
	}
	seed.Close()
	for cycle := 0; cycle < 3; cycle++ {
		var wg sync.WaitGroup
		var moved atomic.Int64
		stop := make(chan struct{})
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rdb := admin()
				defer rdb.Close()
				conn := rdb.Conn()
				defer conn.Close()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					from, to := "demo", "second"
					if i%2 == 1 {
						from, to = to, from
					}
					if conn.Do(tCtx, "SELECT", from).Err() != nil {
						return
					}
					if conn.Do(tCtx, "MOVE", "k"+strconv.Itoa((w*13+i)%keys), to).Err() != nil {
						return
					}
					moved.Add(1)
				}
			}()
		}
		tEventually(t, "moves under way", func() bool { return moved.Load() >= 200 })
		tNoErr(t, "kill", cmd.Process.Kill())
		cmd.Wait()
		close(stop)
		wg.Wait()
		cmd = tStartBinary(t, bin, port, args...)
		check := admin()
		conn := check.Conn()
		for i := 0; i < keys; i++ {
			k := "k" + strconv.Itoa(i)
			var found []string
			for _, db := range []string{"demo", "second"} {
				tNoErr(t, "select", conn.Do(tCtx, "SELECT", db).Err())
				v, err := conn.Get(tCtx, k).Result()
				if err == nil {
					if v != strings.Repeat("v", i+1) {
						t.Fatalf("cycle %d: %s in %s = %q", cycle, k, db, v)
					}
					found = append(found, db)
				} else if err != redis.Nil {
					t.Fatalf("cycle %d: GET %s in %s: %v", cycle, k, db, err)
				}
			}
			if len(found) != 1 {
				t.Fatalf("cycle %d: %s is in %v after kill -9; want exactly one database", cycle, k, found)
			}
		}
		conn.Close()
		check.Close()
	}
}
