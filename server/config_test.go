package server_test

// CONFIG SET/GET of the no-op knobs and INFO's sections (issue 15, Server), through
// real connections: who may set what, what a tenant sees, and that nothing set by one
// connection reaches another.

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestConfigKnobsPerConnection: a tenant sets the knobs test suites send; CONFIG GET
// answers them on that connection; another connection, of the same tenant or another
// one or the admin, still sees the defaults.
func TestConfigKnobsPerConnection(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	other := srv.CreateDatabase(t, "other", true)
	a, a2, b := tSelected(t, srv.Addr(), db), tSelected(t, srv.Addr(), db), tSelected(t, srv.Addr(), other)
	tEq(t, "SET several", a.do("CONFIG", "SET", "list-max-listpack-size", "1", "hz", "100", "lazyfree-lazy-user-flush", "yes"), tOK)
	tEq(t, "GET by the alias", a.do("CONFIG", "GET", "list-max-ziplist-size"), "*2\r\n"+tBulk("list-max-ziplist-size")+tBulk("1"))
	tEq(t, "GET hz", a.do("CONFIG", "GET", "hz"), "*2\r\n"+tBulk("hz")+tBulk("100"))
	for what, c := range map[string]*tConn{"same tenant": a2, "other tenant": b} {
		tEq(t, what+": list-max-listpack-size", c.do("CONFIG", "GET", "list-max-listpack-size"), "*2\r\n"+tBulk("list-max-listpack-size")+tBulk("-2"))
		tEq(t, what+": hz", c.do("CONFIG", "GET", "hz"), "*2\r\n"+tBulk("hz")+tBulk("10"))
	}
	adm := tDial(t, srv.Addr())
	tEq(t, "admin AUTH", adm.do("AUTH", herodbtest.AdminSecret), tOK)
	tEq(t, "admin sees the default", adm.do("CONFIG", "GET", "lazyfree-lazy-user-flush"), "*2\r\n"+tBulk("lazyfree-lazy-user-flush")+tBulk("no"))
	tEq(t, "admin sets its own", adm.do("CONFIG", "SET", "lazyfree-lazy-user-flush", "no", "activerehashing", "no"), tOK)
	tEq(t, "tenant keeps its value", a.do("CONFIG", "GET", "lazyfree-lazy-user-flush"), "*2\r\n"+tBulk("lazyfree-lazy-user-flush")+tBulk("yes"))
	tEq(t, "tenant's activerehashing", a.do("CONFIG", "GET", "activerehashing"), "*2\r\n"+tBulk("activerehashing")+tBulk("yes"))

	// A knob changes nothing: data commands behave as before.
	tEq(t, "RPUSH", a.do("RPUSH", "l", "x", "y", "z"), tInt(3))
	tEq(t, "LRANGE", a.do("LRANGE", "l", "0", "-1"), "*3\r\n"+tBulk("x")+tBulk("y")+tBulk("z"))

	// Inside MULTI, CONFIG SET is queued and runs at EXEC, as in Redis.
	tEq(t, "MULTI", a.do("MULTI"), tOK)
	tEq(t, "queued", a.do("CONFIG", "SET", "hz", "20"), "+QUEUED\r\n")
	tEq(t, "EXEC", a.do("EXEC"), "*1\r\n+OK\r\n")
	tEq(t, "after EXEC", a.do("CONFIG", "GET", "hz"), "*2\r\n"+tBulk("hz")+tBulk("20"))
}

// TestConfigWhoMay: CONFIG needs authentication, not the admin; the server's settings
// are immutable for everyone; a tenant never sees bind, dir or databases.
func TestConfigWhoMay(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	priv := srv.CreateDatabase(t, "priv", false)
	pre := tDial(t, srv.Addr())
	for _, args := range [][]string{{"CONFIG", "GET", "save"}, {"CONFIG", "SET", "hz", "5"}} {
		if got := pre.do(args...); !strings.HasPrefix(got, "-NOAUTH") {
			t.Errorf("%v before authentication: %q, want NOAUTH", args, got)
		}
	}
	ten := tSelected(t, srv.Addr(), db)
	// What redis-benchmark and clients ask.
	tEq(t, "save", ten.do("CONFIG", "GET", "save"), "*2\r\n"+tBulk("save")+tBulk(""))
	tEq(t, "appendonly", ten.do("CONFIG", "GET", "appendonly"), "*2\r\n"+tBulk("appendonly")+tBulk("no"))
	tEq(t, "save and appendonly", ten.do("CONFIG", "GET", "save", "appendonly"), "*4\r\n"+tBulk("save")+tBulk("")+tBulk("appendonly")+tBulk("no"))
	for _, k := range []string{"dir", "bind", "databases"} {
		tEq(t, "tenant GET "+k, ten.do("CONFIG", "GET", k), "*0\r\n")
	}
	// The server's settings cannot change over RESP, for the tenant or the admin.
	adm := tDial(t, srv.Addr())
	tEq(t, "admin AUTH", adm.do("AUTH", herodbtest.AdminSecret), tOK)
	for _, c := range []*tConn{ten, adm} {
		for _, k := range []string{"maxclients", "appendfsync", "dir", "port", "databases", "proto-max-bulk-len"} {
			tEq(t, "SET "+k, c.do("CONFIG", "SET", k, "1"),
				tErr("ERR CONFIG SET failed (possibly related to argument '"+k+"') - can't set immutable config"))
		}
		// save and appendonly take herodb's own values only.
		tEq(t, "save \"\"", c.do("CONFIG", "SET", "save", ""), tOK)
		tEq(t, "appendonly no", c.do("CONFIG", "SET", "appendonly", "NO"), tOK)
		if got := c.do("CONFIG", "SET", "save", "900 1"); !strings.HasPrefix(got, "-ERR CONFIG SET failed (possibly related to argument 'save') - ") {
			t.Errorf("save 900 1: %q", got)
		}
		if got := c.do("CONFIG", "SET", "appendonly", "yes"); !strings.HasPrefix(got, "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - ") {
			t.Errorf("appendonly yes: %q", got)
		}
		tEq(t, "unknown", c.do("CONFIG", "SET", "maxmemory", "1mb"), tErr("ERR Unknown option or number of arguments for CONFIG SET - 'maxmemory'"))
	}
	if got := adm.do("CONFIG", "GET", "databases"); !strings.HasPrefix(got, "*2\r\n") {
		t.Errorf("admin GET databases: %q", got)
	}
	// A read-only credential may set knobs too: they write nothing.
	ro := tDial(t, srv.Addr())
	tNoErr(t, "read key", srv.Admin().AddAccessKey(priv, "read-only-key-0123456789", admin.AccessRead))
	tEq(t, "SELECT read-only", ro.do("SELECT", "priv", "KEY", "read-only-key-0123456789"), tOK)
	tEq(t, "read-only sets a knob", ro.do("CONFIG", "SET", "zset-max-ziplist-entries", "0"), tOK)
}

// TestConfigGoRedis: go-redis's ConfigSet and ConfigGet, as client test suites call them.
func TestConfigGoRedis(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db), Protocol: 2, PoolSize: 1})
	defer rdb.Close()
	tNoErr(t, "ConfigSet", rdb.ConfigSet(tCtx, "set-max-intset-entries", "2").Err())
	got, err := rdb.ConfigGet(tCtx, "set-max-*").Result()
	tNoErr(t, "ConfigGet", err)
	tEq(t, "set-max-intset-entries", got["set-max-intset-entries"], "2")
	tEq(t, "set-max-listpack-entries", got["set-max-listpack-entries"], "128")
	tErrIs(t, "bad value", rdb.ConfigSet(tCtx, "hz", "fast").Err(), "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer")
}

// TestInfoSections: several sections at once, and all, everything and default; a
// tenant's INFO keeps its scope whatever it asks.
func TestInfoSections(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	ten := tSelected(t, srv.Addr(), db)
	tEq(t, "SET", ten.do("SET", "k", "v"), tOK)
	heads := func(info string) []string {
		var out []string
		for _, l := range strings.Split(info, "\r\n") {
			if strings.HasPrefix(l, "# ") {
				out = append(out, l[2:])
			}
		}
		return out
	}
	bulk := func(c *tConn, args ...string) string {
		raw := c.do(args...)
		if !strings.HasPrefix(raw, "$") {
			t.Fatalf("%v: %q", args, raw)
		}
		return raw[strings.Index(raw, "\r\n")+2:]
	}
	tEq(t, "server clients", strings.Join(heads(bulk(ten, "INFO", "server", "clients")), ","), "Server,Clients")
	tEq(t, "CLIENTS Keyspace", strings.Join(heads(bulk(ten, "INFO", "CLIENTS", "Keyspace")), ","), "Clients,Keyspace")
	tEq(t, "repeated", strings.Join(heads(bulk(ten, "INFO", "server", "server")), ","), "Server")
	tEq(t, "unknown", ten.do("INFO", "nosuch"), tBulk(""))
	full := "Server,Clients,Persistence,Stats,Keyspace"
	for _, arg := range []string{"all", "everything", "default", "ALL"} {
		tEq(t, "INFO "+arg, strings.Join(heads(bulk(ten, "INFO", arg)), ","), full)
	}
	tEq(t, "default and another", strings.Join(heads(bulk(ten, "INFO", "default", "server")), ","), full)
	// A tenant's persistence and stats stay its own, with several sections too.
	info := bulk(ten, "INFO", "persistence", "stats", "keyspace")
	for _, hidden := range []string{"wal_", "group_commits", "open_database_files", "rejected_connections", "total_connections_received"} {
		if strings.Contains(info, hidden) {
			t.Errorf("tenant INFO persistence stats shows %s: %q", hidden, info)
		}
	}
	if !strings.Contains(info, "keys=1,") {
		t.Errorf("tenant INFO keyspace: %q", info)
	}
	adm := tDial(t, srv.Addr())
	tEq(t, "admin AUTH", adm.do("AUTH", herodbtest.AdminSecret), tOK)
	if a := bulk(adm, "INFO", "persistence", "stats"); !strings.Contains(a, "wal_segments:") || !strings.Contains(a, "total_connections_received:") {
		t.Errorf("admin INFO persistence stats: %q", a)
	}
	// The admin sees the process's major faults and GOMAXPROCS (which herodb serve
	// raises while faults come); a tenant does not.
	a := bulk(adm, "INFO", "stats")
	for _, f := range []string{"major_page_faults:", "gomaxprocs:"} {
		i := strings.Index(a, f)
		if i < 0 {
			t.Errorf("admin INFO stats lacks %s: %q", f, a)
			continue
		}
		v := a[i+len(f):]
		v = v[:strings.Index(v, "\r\n")]
		if n, err := strconv.Atoi(v); err != nil || n < 0 || (f == "gomaxprocs:" && n < 1) {
			t.Errorf("admin INFO %s%q", f, v)
		}
		if strings.Contains(bulk(ten, "INFO", "stats"), f) {
			t.Errorf("a tenant's INFO shows %s", f)
		}
	}
}
