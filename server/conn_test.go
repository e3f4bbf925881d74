package server_test

// Connection and server commands, end to end: go-redis (RESP2) and raw RESP against a
// real herodb on a loopback port.

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

func TestConnPingEcho(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	if v, err := rdb.Ping(tCtx).Result(); err != nil || v != "PONG" {
		t.Fatalf("PING: %q %v", v, err)
	}
	if v, err := rdb.Echo(tCtx, "héllo\x00world").Result(); err != nil || v != "héllo\x00world" {
		t.Fatalf("ECHO: %q %v", v, err)
	}

	// Before any SELECT: stateless commands work, data commands answer NOAUTH.
	c := tDial(t, srv.Addr())
	tEq(t, "PING", c.do("PING"), "+PONG\r\n")
	tEq(t, "PING msg", c.do("PING", "hi"), tBulk("hi"))
	tEq(t, "ECHO", c.do("ECHO", "x y"), tBulk("x y"))
	tEq(t, "PING a b", c.do("PING", "a", "b"), tErr("ERR wrong number of arguments for 'ping' command"))
	tEq(t, "ECHO arity", c.do("ECHO"), tErr("ERR wrong number of arguments for 'echo' command"))
	tEq(t, "GET unselected", c.do("GET", "k"), tErr(tNoAuth))
	tEq(t, "SET unselected", c.do("SET", "k", "v"), tErr(tNoAuth))
	tEq(t, "DBSIZE unselected", c.do("DBSIZE"), tErr(tNoAuth))
	tEq(t, "TIME unselected is stateless", c.do("TIME")[:4], "*2\r\n")
}

func TestConnSelect(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	priv := srv.CreateDatabase(t, "secret", false)
	c := tDial(t, srv.Addr())

	tEq(t, "SELECT by id", c.do("SELECT", strconv.FormatUint(db, 10)), tOK)
	tEq(t, "SET", c.do("SET", "k", "v1"), tOK)
	tEq(t, "SELECT by name", c.do("SELECT", "app"), tOK)
	tEq(t, "GET after name select", c.do("GET", "k"), tBulk("v1"))
	tEq(t, "SELECT APP is case-sensitive on names", c.do("SELECT", "nope"), tErr("ERR DB index is out of range"))
	tEq(t, "SELECT missing id", c.do("SELECT", "999"), tErr("ERR DB index is out of range"))
	// A failed SELECT leaves the selection as it was.
	tEq(t, "GET after failed select", c.do("GET", "k"), tBulk("v1"))

	// A private database needs a key.
	got := c.do("SELECT", strconv.FormatUint(priv, 10))
	if !strings.HasPrefix(got, "-NOAUTH") {
		t.Errorf("SELECT private: %q, want NOAUTH", got)
	}
	got = c.do("SELECT", "secret", "KEY", "wrong")
	if !strings.HasPrefix(got, "-WRONGPASS") {
		t.Errorf("SELECT private wrong key: %q, want WRONGPASS", got)
	}
	// Still on app.
	tEq(t, "GET after refused select", c.do("GET", "k"), tBulk("v1"))
	tEq(t, "SELECT private with admin secret", c.do("SELECT", "secret", "KEY", herodbtest.AdminSecret), tOK)
	tEq(t, "GET on private", c.do("GET", "k"), tNil)
	tEq(t, "SET on private", c.do("SET", "p", "1"), tOK)

	// DB 0.
	c2 := tDial(t, srv.Addr())
	got = c2.do("SELECT", "0")
	if !strings.HasPrefix(got, "-NOAUTH") {
		t.Errorf("SELECT 0 without key: %q, want NOAUTH", got)
	}
	got = c2.do("SELECT", "0", "KEY", "not-the-secret")
	if !strings.HasPrefix(got, "-WRONGPASS") {
		t.Errorf("SELECT 0 wrong key: %q, want WRONGPASS", got)
	}
	tEq(t, "SELECT 0 KEY admin", c2.do("SELECT", "0", "KEY", herodbtest.AdminSecret), tOK)
	got = c2.do("SET", "x", "y")
	if !strings.HasPrefix(got, "-NOPERM") {
		t.Errorf("SET on DB 0: %q, want NOPERM", got)
	}
	got = c2.do("DEL", "meta:db:1")
	if !strings.HasPrefix(got, "-NOPERM") {
		t.Errorf("DEL on DB 0: %q, want NOPERM", got)
	}

	// go-redis on DB 0 through the admin secret: HGETALL meta:db:<id> shows the database.
	adm := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2})
	defer adm.Close()
	tNoErr(t, "AUTH admin", adm.Do(tCtx, "AUTH", herodbtest.AdminSecret).Err())
	pipe := adm.Conn()
	defer pipe.Close()
	tNoErr(t, "AUTH", pipe.Do(tCtx, "AUTH", herodbtest.AdminSecret).Err())
	tNoErr(t, "SELECT 0", pipe.Do(tCtx, "SELECT", "0").Err())
	m, err := pipe.HGetAll(tCtx, "meta:db:"+strconv.FormatUint(db, 10)).Result()
	if err != nil {
		// Hashes may not be available in this build yet; DB 0 must still refuse writes.
		if !strings.Contains(err.Error(), "unknown command") {
			t.Errorf("HGETALL meta:db: %v", err)
		}
	} else {
		tEq(t, "meta name", m["name"], "app")
		if m["public"] == "" {
			t.Errorf("meta:db:%d has no public field: %v", db, m)
		}
		for k, v := range m {
			if strings.Contains(v, herodbtest.AdminSecret) || strings.Contains(k, herodbtest.AdminSecret) {
				t.Errorf("meta holds the admin secret in %s", k)
			}
		}
	}
	tErrIs(t, "SET on DB 0 (go-redis)", pipe.Set(tCtx, "x", "y", 0).Err(), "NOPERM")

	// SELECT syntax.
	tEq(t, "SELECT arity", c.do("SELECT"), tErr("ERR wrong number of arguments for 'select' command"))
	tEq(t, "SELECT bad option", c.do("SELECT", "1", "FOO", "x"), tErr("ERR syntax error"))
}

func TestConnGoRedisDBOption(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	tNoErr(t, "SET", rdb.Set(tCtx, "k", "v", 0).Err())
	if v, err := rdb.Get(tCtx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET: %q %v", v, err)
	}
	// A go-redis client with no DB (DB 0 without a key): SELECT 0 is not sent, and data
	// commands answer NOAUTH.
	none := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2})
	defer none.Close()
	err := none.Get(tCtx, "k").Err()
	tErrIs(t, "GET without SELECT", err, "NOAUTH no database selected")
	if err != nil && err.Error() != tNoAuth {
		t.Errorf("NOAUTH text: %q", err.Error())
	}
	// A private database refuses go-redis's SELECT on connect.
	priv := srv.CreateDatabase(t, "private", false)
	pc := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(priv), Protocol: 2, MaxRetries: -1})
	defer pc.Close()
	tErrIs(t, "private db without key", pc.Ping(tCtx).Err(), "NOAUTH")
}

func TestConnQuitReset(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "SET", c.do("SET", "k", "v"), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "RESET", c.do("RESET"), "+RESET\r\n")
	// RESET ends the transaction and the selection.
	tEq(t, "GET after RESET", c.do("GET", "k"), tErr(tNoAuth))
	// RESET also forgets the credential: EXEC now needs authentication first.
	tEq(t, "EXEC after RESET", c.do("EXEC"), tErr(tNoAuth))
	tEq(t, "RESET arity", c.do("RESET", "x"), tErr("ERR wrong number of arguments for 'reset' command"))
	tEq(t, "CLIENT SETNAME", c.do("CLIENT", "SETNAME", "n1"), tOK)
	tEq(t, "RESET", c.do("RESET"), "+RESET\r\n")
	tEq(t, "name cleared", c.do("CLIENT", "GETNAME"), tNil)

	tEq(t, "QUIT", c.do("QUIT"), tOK)
	c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("connection still open after QUIT")
	}

	// QUIT in a pipeline: commands after it are not run.
	c2 := tSelected(t, srv.Addr(), db)
	c2.write(append(tEncode(tStrs([]string{"QUIT"})...), tEncode(tStrs([]string{"SET", "after-quit", "1"})...)...))
	tEq(t, "QUIT pipelined", c2.read(), tOK)
	c3 := tSelected(t, srv.Addr(), db)
	tEq(t, "command after QUIT did not run", c3.do("EXISTS", "after-quit"), tInt(0))

	// go-redis's client.Quit is gone in v9; a raw QUIT through Do still answers OK.
	rdb := tClient(t, srv.Addr(), db)
	if v, err := rdb.Do(tCtx, "QUIT").Result(); err != nil || v != "OK" {
		t.Errorf("QUIT via go-redis: %v %v", v, err)
	}
}

func TestConnHello(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tDial(t, srv.Addr())
	got := c.do("HELLO", "3")
	if !strings.HasPrefix(got, "-NOPROTO") {
		t.Errorf("HELLO 3: %q, want NOPROTO", got)
	}
	got = c.do("HELLO", "abc")
	tEq(t, "HELLO abc", got, tErr("ERR Protocol version is not an integer or out of range"))
	rep := func(args ...string) tReply {
		c.send(args...)
		r, err := c.readReply()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, args := range [][]string{{"HELLO"}, {"HELLO", "2"}} {
		r := rep(args...)
		if !r.array || len(r.elems)%2 != 0 || len(r.elems) < 14 {
			t.Fatalf("%v: not a flat map: %q", args, r.raw)
		}
		m := map[string]string{}
		for i := 0; i < len(r.elems); i += 2 {
			m[string(r.elems[i].raw)] = string(r.elems[i+1].raw)
		}
		tEq(t, "server", m[tBulk("server")], tBulk("redis"))
		tEq(t, "proto", m[tBulk("proto")], tInt(2))
		tEq(t, "mode", m[tBulk("mode")], tBulk("standalone"))
		tEq(t, "role", m[tBulk("role")], tBulk("master"))
		tEq(t, "modules", m[tBulk("modules")], "*0\r\n")
		if !strings.HasPrefix(m[tBulk("id")], ":") {
			t.Errorf("id: %q", m[tBulk("id")])
		}
	}
	// HELLO 2 AUTH default <admin secret> SETNAME n: authenticated, named.
	r := rep("HELLO", "2", "AUTH", "default", herodbtest.AdminSecret, "SETNAME", "helloname")
	if !r.array {
		t.Fatalf("HELLO AUTH: %q", r.raw)
	}
	tEq(t, "GETNAME after HELLO SETNAME", c.do("CLIENT", "GETNAME"), tBulk("helloname"))
	tEq(t, "SELECT after HELLO AUTH", c.do("SELECT", strconv.FormatUint(db, 10)), tOK)
	got = c.do("HELLO", "2", "AUTH", "default", "wrong")
	if !strings.HasPrefix(got, "-WRONGPASS") {
		t.Errorf("HELLO AUTH wrong: %q", got)
	}
	got = c.do("HELLO", "2", "BOGUS")
	if !strings.HasPrefix(got, "-ERR Syntax error in HELLO option 'BOGUS'") {
		t.Errorf("HELLO bogus option: %q", got)
	}

	// go-redis with Protocol 3 falls back to RESP2 on NOPROTO.
	r3 := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db), Protocol: 3})
	defer r3.Close()
	tNoErr(t, "go-redis RESP3 fallback SET", r3.Set(tCtx, "p3", "v", 0).Err())
	if v, err := r3.Get(tCtx, "p3").Result(); err != nil || v != "v" {
		t.Errorf("go-redis RESP3 fallback GET: %q %v", v, err)
	}
}

func TestConnClient(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	conn := rdb.Conn()
	defer conn.Close()
	id, err := conn.ClientID(tCtx).Result()
	tNoErr(t, "CLIENT ID", err)
	if id <= 0 {
		t.Errorf("CLIENT ID: %d", id)
	}
	id2, _ := conn.ClientID(tCtx).Result()
	tEq(t, "CLIENT ID stable", id2, id)
	if v, err := conn.ClientGetName(tCtx).Result(); err != redis.Nil {
		t.Errorf("GETNAME before SETNAME: %q %v", v, err)
	}
	tNoErr(t, "SETNAME", conn.ClientSetName(tCtx, "worker-1").Err())
	if v, err := conn.ClientGetName(tCtx).Result(); err != nil || v != "worker-1" {
		t.Errorf("GETNAME: %q %v", v, err)
	}
	tErrIs(t, "SETNAME with space", conn.Do(tCtx, "CLIENT", "SETNAME", "a b").Err(),
		"ERR Client names cannot contain spaces, newlines or special characters.")
	tNoErr(t, "SETINFO LIB-NAME", conn.Do(tCtx, "CLIENT", "SETINFO", "LIB-NAME", "mylib").Err())
	tNoErr(t, "SETINFO LIB-VER", conn.Do(tCtx, "CLIENT", "SETINFO", "LIB-VER", "1.2.3").Err())
	tErrIs(t, "SETINFO bad attr", conn.Do(tCtx, "CLIENT", "SETINFO", "FOO", "x").Err(), "ERR")
	info, err := conn.Do(tCtx, "CLIENT", "INFO").Text()
	tNoErr(t, "CLIENT INFO", err)
	for _, want := range []string{"id=" + strconv.FormatInt(id, 10) + " ", "name=worker-1 ", "db=" + strconv.FormatUint(db, 10) + " ", "lib-name=mylib ", "lib-ver=1.2.3", "cmd=client"} {
		if !strings.Contains(info, want) {
			t.Errorf("CLIENT INFO %q lacks %q", info, want)
		}
	}
	own, err := conn.Do(tCtx, "CLIENT", "LIST").Text() // a tenant: its database's connections
	tNoErr(t, "CLIENT LIST", err)
	if !strings.Contains(own, "name=worker-1 ") {
		t.Errorf("CLIENT LIST %q lacks the connection itself", own)
	}
	tErrIs(t, "CLIENT unknown sub", conn.Do(tCtx, "CLIENT", "FOO").Err(), "ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
	tErrIs(t, "CLIENT arity", conn.Do(tCtx, "CLIENT").Err(), "ERR wrong number of arguments for 'client' command")
	tErrIs(t, "CLIENT ID arity", conn.Do(tCtx, "CLIENT", "ID", "x").Err(), "ERR wrong number of arguments for 'client|id' command")

	// CLIENT LIST as admin never shows a credential.
	c := tDial(t, srv.Addr())
	tEq(t, "AUTH", c.do("AUTH", herodbtest.AdminSecret), tOK)
	tEq(t, "SELECT KEY", c.do("SELECT", "app", "KEY", herodbtest.AdminSecret), tOK)
	list := c.do("CLIENT", "LIST")
	if !strings.Contains(list, "name=worker-1") {
		t.Errorf("CLIENT LIST lacks worker-1: %q", list)
	}
	if strings.Contains(list, herodbtest.AdminSecret) {
		t.Errorf("CLIENT LIST shows the admin secret")
	}
}

func TestServerInfo(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	tNoErr(t, "SET", rdb.Set(tCtx, "a", "1", 0).Err())
	tNoErr(t, "SET", rdb.Set(tCtx, "b", "2", 0).Err())
	info, err := rdb.Info(tCtx).Result()
	tNoErr(t, "INFO", err)
	for _, want := range []string{"# Server\r\n", "redis_version:", "# Clients\r\n", "connected_clients:",
		"# Persistence\r\n", "# Stats\r\n", "total_commands_processed:", "# Keyspace\r\n",
		"db" + strconv.FormatUint(db, 10) + ":keys=2,"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if strings.Contains(info, herodbtest.AdminSecret) {
		t.Error("INFO shows the admin secret")
	}
	one, err := rdb.Info(tCtx, "server").Result()
	tNoErr(t, "INFO server", err)
	if !strings.HasPrefix(one, "# Server\r\n") || strings.Contains(one, "# Clients") {
		t.Errorf("INFO server: %q", one)
	}
	two, err := rdb.Info(tCtx, "clients", "keyspace").Result()
	tNoErr(t, "INFO clients keyspace", err)
	if !strings.Contains(two, "# Clients") || !strings.Contains(two, "# Keyspace") || strings.Contains(two, "# Server") {
		t.Errorf("INFO clients keyspace: %q", two)
	}
	none, err := rdb.Info(tCtx, "nosuchsection").Result()
	tNoErr(t, "INFO nosuchsection", err)
	tEq(t, "INFO unknown section", none, "")
	// INFO works before any selection too (after auth), and without a keyspace line.
	c := tDial(t, srv.Addr())
	got := c.do("INFO", "server")
	if !strings.HasPrefix(got, "-NOAUTH") && !strings.Contains(got, "# Server") {
		t.Errorf("INFO unauthenticated: %q", got)
	}
}

func TestServerDBSizeFlushTime(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	other := srv.CreateDatabase(t, "other", true)
	rdb := tClient(t, srv.Addr(), db)
	rdb2 := tClient(t, srv.Addr(), other)
	n, err := rdb.DBSize(tCtx).Result()
	tNoErr(t, "DBSIZE", err)
	tEq(t, "DBSIZE empty", n, 0)
	tNoErr(t, "MSET", rdb.MSet(tCtx, "a", 1, "b", 2, "c", 3).Err())
	tNoErr(t, "SET other", rdb2.Set(tCtx, "x", 1, 0).Err())
	n, _ = rdb.DBSize(tCtx).Result()
	tEq(t, "DBSIZE", n, 3)
	tNoErr(t, "FLUSHDB", rdb.FlushDB(tCtx).Err())
	n, _ = rdb.DBSize(tCtx).Result()
	tEq(t, "DBSIZE after FLUSHDB", n, 0)
	n, _ = rdb2.DBSize(tCtx).Result()
	tEq(t, "other database untouched by FLUSHDB", n, 1)
	tNoErr(t, "FLUSHDB ASYNC", rdb2.FlushDBAsync(tCtx).Err())
	n, _ = rdb2.DBSize(tCtx).Result()
	tEq(t, "DBSIZE after FLUSHDB ASYNC", n, 0)
	tErrIs(t, "FLUSHDB bad", rdb.Do(tCtx, "FLUSHDB", "FOO").Err(), "ERR syntax error")
	tErrIs(t, "DBSIZE arity", rdb.Do(tCtx, "DBSIZE", "x").Err(), "ERR wrong number of arguments for 'dbsize' command")

	before := time.Now().Add(-time.Second)
	tm, err := rdb.Time(tCtx).Result()
	tNoErr(t, "TIME", err)
	if tm.Before(before) || tm.After(time.Now().Add(time.Second)) {
		t.Errorf("TIME %v is not now", tm)
	}
}

func TestServerTimeFollowsClock(t *testing.T) {
	clk := tNewClock()
	srv, db := tServer(t, herodbtest.Options{Clock: clk})
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "TIME", c.do("TIME"), "*2\r\n"+tBulk("1700000000")+tBulk("0"))
}

func TestServerCommand(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	n, err := rdb.Do(tCtx, "COMMAND", "COUNT").Int64()
	tNoErr(t, "COMMAND COUNT", err)
	if n < 50 {
		t.Errorf("COMMAND COUNT = %d", n)
	}
	cmds, err := rdb.Command(tCtx).Result()
	tNoErr(t, "COMMAND", err)
	tEq(t, "COMMAND length", int64(len(cmds)), n)
	get := cmds["get"]
	if get == nil {
		t.Fatal("COMMAND lacks get")
	}
	tEq(t, "get arity", get.Arity, 2)
	tEq(t, "get first key", get.FirstKeyPos, 1)
	if !strings.Contains(strings.Join(get.Flags, ","), "readonly") {
		t.Errorf("get flags: %v", get.Flags)
	}
	if set := cmds["set"]; set == nil || !strings.Contains(strings.Join(set.Flags, ","), "write") || set.Arity != -3 {
		t.Errorf("set: %+v", set)
	}

	// COMMAND INFO through go-redis's generic Do: get and mset's key positions.
	info, err := rdb.Do(tCtx, "COMMAND", "INFO", "get", "mset").Slice()
	tNoErr(t, "COMMAND INFO", err)
	if len(info) != 2 {
		t.Fatalf("COMMAND INFO: %v", info)
	}
	g, _ := info[0].([]any)
	if len(g) < 6 || g[0] != "get" || g[1] != int64(2) {
		t.Errorf("COMMAND INFO get: %v", g)
	}
	m, _ := info[1].([]any)
	if len(m) < 6 || m[0] != "mset" || m[3] != int64(1) || m[4] != int64(-1) || m[5] != int64(2) {
		t.Errorf("COMMAND INFO mset: %v", m)
	}
	// Raw: an unknown name is a null entry.
	c := tSelected(t, srv.Addr(), db)
	c.send("COMMAND", "INFO", "nosuchcommand")
	r, err := c.readReply()
	tNoErr(t, "COMMAND INFO raw", err)
	tEq(t, "COMMAND INFO unknown", string(r.raw), "*1\r\n$-1\r\n")

	c.send("COMMAND", "DOCS", "get")
	r, err = c.readReply()
	tNoErr(t, "COMMAND DOCS", err)
	if !r.array || len(r.elems) != 2 || string(r.elems[0].raw) != tBulk("get") || !strings.Contains(string(r.elems[1].raw), "summary") {
		t.Errorf("COMMAND DOCS get: %q", r.raw)
	}
	c.send("COMMAND", "DOCS", "nosuchcommand")
	r, _ = c.readReply()
	tEq(t, "COMMAND DOCS unknown", string(r.raw), "*0\r\n")
	got := c.do("COMMAND", "FOO")
	if !strings.HasPrefix(got, "-ERR unknown subcommand") {
		t.Errorf("COMMAND FOO: %q", got)
	}
	// COMMAND LIST names subcommands too (client|kill), as Redis 7.0 does; COUNT does not.
	c.send("COMMAND", "LIST")
	r, _ = c.readReply()
	var top int64
	for _, e := range r.elems {
		if !strings.Contains(string(e.raw), "|") {
			top++
		}
	}
	tEq(t, "COMMAND LIST top-level length", top, n)
}

func TestServerConfigGet(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	tenant, err := rdb.ConfigGet(tCtx, "*").Result()
	tNoErr(t, "CONFIG GET by a tenant", err)
	for _, k := range []string{"dir", "bind", "databases"} {
		if v, ok := tenant[k]; ok {
			t.Errorf("a tenant's CONFIG GET * shows %s = %q", k, v)
		}
	}
	tEq(t, "a tenant's save", tenant["save"], "")
	tEq(t, "a tenant's appendonly", tenant["appendonly"], "no")
	c := tDial(t, srv.Addr())
	got := c.do("CONFIG", "GET", "*")
	if !strings.HasPrefix(got, "-NOAUTH") {
		t.Errorf("CONFIG GET unauthenticated: %q", got)
	}

	adm := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, Password: herodbtest.AdminSecret})
	defer adm.Close()
	all, err := adm.ConfigGet(tCtx, "*").Result()
	tNoErr(t, "CONFIG GET *", err)
	if all["appendfsync"] != "always" {
		t.Errorf("appendfsync = %q", all["appendfsync"])
	}
	if all["port"] != srv.Addr()[strings.LastIndexByte(srv.Addr(), ':')+1:] {
		t.Errorf("port = %q", all["port"])
	}
	for k, v := range all {
		if strings.Contains(k, herodbtest.AdminSecret) || strings.Contains(v, herodbtest.AdminSecret) {
			t.Errorf("CONFIG GET shows the admin secret in %q", k)
		}
	}
	one, err := adm.ConfigGet(tCtx, "maxclients").Result()
	tNoErr(t, "CONFIG GET maxclients", err)
	tEq(t, "maxclients", one["maxclients"], "10000")
	tEq(t, "one entry", len(one), 1)
	none, _ := adm.ConfigGet(tCtx, "nosuchparam").Result()
	tEq(t, "unknown param", len(none), 0)
	// Raw, to see the reply's shape too.
	tEq(t, "AUTH", c.do("AUTH", herodbtest.AdminSecret), tOK)
	tEq(t, "CONFIG GET save", c.do("CONFIG", "GET", "save"), "*2\r\n"+tBulk("save")+tBulk(""))
	tEq(t, "CONFIG arity", c.do("CONFIG", "GET"), tErr("ERR wrong number of arguments for 'config|get' command"))
	if raw := c.do("CONFIG", "GET", "*"); strings.Contains(raw, herodbtest.AdminSecret) {
		t.Error("raw CONFIG GET shows the admin secret")
	}
}

func TestConnAuth(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	priv := srv.CreateDatabase(t, "priv", false)
	c := tDial(t, srv.Addr())
	got := c.do("AUTH", "wrong")
	tEq(t, "AUTH wrong", got, tErr("WRONGPASS invalid username-password pair or user is disabled."))
	tEq(t, "AUTH admin", c.do("AUTH", herodbtest.AdminSecret), tOK)
	// The admin secret grants every database and selects none.
	tEq(t, "GET after AUTH", c.do("GET", "k"), tErr(tNoAuth))
	tEq(t, "SELECT private without KEY after AUTH", c.do("SELECT", strconv.FormatUint(priv, 10)), tOK)
	tEq(t, "SET private", c.do("SET", "k", "v"), tOK)
	// AUTH <dbname> <credential> selects it.
	c2 := tDial(t, srv.Addr())
	tEq(t, "AUTH user=db", c2.do("AUTH", "priv", herodbtest.AdminSecret), tOK)
	tEq(t, "GET after AUTH user", c2.do("GET", "k"), tBulk("v"))
	// go-redis with Password and DB: redis://:secret@host/db works.
	opt, err := redis.ParseURL("redis://:" + herodbtest.AdminSecret + "@" + srv.Addr() + "/" + strconv.FormatUint(priv, 10) + "?protocol=2")
	tNoErr(t, "ParseURL", err)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if v, err := rdb.Get(tCtx, "k").Result(); err != nil || v != "v" {
		t.Errorf("URL client GET: %q %v", v, err)
	}
	_ = db
}

func TestConnOddInput(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "unknown command", c.do("x", "a"), tErr("ERR unknown command 'x', with args beginning with: 'a' "))
	tEq(t, "unknown no args", c.do("FOOBAR"), tErr("ERR unknown command 'FOOBAR', with args beginning with: "))
	tEq(t, "wrong arity", c.do("GET"), tErr("ERR wrong number of arguments for 'get' command"))
	tEq(t, "wrong arity upper", c.do("GET", "a", "b"), tErr("ERR wrong number of arguments for 'get' command"))
	tEq(t, "still usable", c.do("PING"), "+PONG\r\n")

	// A big value (4 MiB) round-trips and the connection stays usable.
	big := strings.Repeat("x", 4<<20)
	tEq(t, "SET big", c.do("SET", "big", big), tOK)
	tEq(t, "STRLEN big", c.do("STRLEN", "big"), tInt(4<<20))
	tEq(t, "GET big", c.do("GET", "big") == tBulk(big), true)
	// A long unknown command name is clipped in the error.
	long := strings.Repeat("z", 1000)
	got := c.do(long, "a")
	if !strings.HasPrefix(got, "-ERR unknown command '") || len(got) > 400 {
		t.Errorf("long unknown command: %d bytes", len(got))
	}
	// Control characters in an unknown command's name are not echoed raw.
	got = c.do("bad\r\nname")
	if strings.Count(got, "\r\n") != 1 {
		t.Errorf("unknown command with CRLF: %q", got)
	}
	// Inline commands (telnet style).
	c.write([]byte("PING\r\n"))
	tEq(t, "inline PING", c.read(), "+PONG\r\n")
	// Many arguments.
	args := []string{"DEL"}
	for i := 0; i < 5000; i++ {
		args = append(args, "k"+strconv.Itoa(i))
	}
	tEq(t, "DEL 5000", c.do(args...), tInt(0))
	tEq(t, "still usable", c.do("PING"), "+PONG\r\n")

	// A protocol error closes only that connection; the server keeps serving.
	bad := tDial(t, srv.Addr())
	bad.write([]byte("*1\r\n$abc\r\n"))
	bad.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, _ := bad.r.ReadString('\n')
	if line != "" && !strings.HasPrefix(line, "-ERR") {
		t.Errorf("protocol error reply: %q", line)
	}
	tEq(t, "other connection still fine", c.do("PING"), "+PONG\r\n")

	tEq(t, "server still serving", tDial(t, srv.Addr()).do("PING"), "+PONG\r\n")
}

// TestConnPreAuthLimits: before authentication, Redis's pre-auth limits apply (docs/security.md,
// Limits: at most 10 arguments, 16 KiB per argument).
func TestConnPreAuthLimits(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{})
	pre := tDial(t, srv.Addr())
	pre.send("ECHO", strings.Repeat("e", 20<<10))
	pre.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, _ := pre.r.ReadString('\n')
	if !strings.HasPrefix(line, "-") && line != "" {
		t.Errorf("pre-auth ECHO of 20 KiB: %q, want an error or a close", line)
	}
	pre2 := tDial(t, srv.Addr())
	args := []string{"HELLO", "2"}
	for i := 0; i < 5; i++ {
		args = append(args, "SETNAME", "n")
	}
	pre2.send(args...) // 12 arguments
	pre2.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, _ = pre2.r.ReadString('\n')
	if !strings.HasPrefix(line, "-") && line != "" {
		t.Errorf("pre-auth HELLO with 12 arguments: %q, want an error or a close", line)
	}
	tEq(t, "server still serving", tDial(t, srv.Addr()).do("PING"), "+PONG\r\n")
}

// Before authentication only the stateless commands docs/commands.md lists (PING, ECHO,
// HELLO, AUTH, QUIT, stateless AGE/SYM) may run, within the pre-auth limits. MULTI is accepted
// before authentication, and every stateless command sent after it is appended to the
// session's queue: the pre-auth byte cap is reset at each handled batch, so an
// unauthenticated client can grow server memory without bound.
func TestSecReviewPreAuthMultiQueueGrowsUnbounded(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{})
	c := tDial(t, srv.Addr())
	if got := c.do("MULTI"); got != tOK {
		t.Logf("MULTI before auth: %q (refused: good)", got)
		return
	}
	arg := strings.Repeat("x", 16<<10) // the largest argument allowed before auth
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 2000 // 32 MiB
	queued := 0
	for i := 0; i < n; i++ {
		got := c.do("ECHO", arg)
		if got != "+QUEUED\r\n" {
			t.Logf("ECHO %d: %q", i, got)
			break
		}
		queued++
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// The most an unauthenticated connection may make the server hold is one command of
	// 10 arguments of 16 KiB (about 160 KiB).
	if held := queued * len(arg); held > 10*(16<<10)+64 {
		t.Errorf("an unauthenticated connection queued %d commands (%d bytes; heap grew by %d MiB): pre-auth memory is unbounded",
			queued, held, (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>20)
	}
}
