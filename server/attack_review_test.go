package server_test

// Hostile review of the recently added SLOWLOG, HELP subcommands, INFO sections (admin
// against tenant) and `herodb serve --fault-procs`. Every test talks to a real server on
// loopback (or runs the real binary) and asserts what a client sees. Tests that fail
// found a bug; each says what is wrong and what Redis does.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// rvSlowServer is a server that logs every command.
func rvSlowServer(t *testing.T, maxLen int) *herodbtest.Server {
	t.Helper()
	return herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.SlowlogSlowerThan = time.Nanosecond
		if maxLen > 0 {
			c.SlowlogMaxLen = maxLen
		}
	}})
}

// rvTenant creates a private database with a read-write access key and returns the id
// and the key.
func rvTenant(t *testing.T, srv *herodbtest.Server, name string) (uint64, string) {
	t.Helper()
	id := srv.CreateDatabase(t, name, false)
	key := "review-" + name + "-access-key"
	if err := srv.Admin().AddAccessKey(id, key, admin.AccessReadWrite); err != nil {
		t.Fatal(err)
	}
	return id, key
}

// rvTenantConn is a raw connection with the tenant's private database selected by KEY.
func rvTenantConn(t *testing.T, srv *herodbtest.Server, id uint64, key string) *tConn {
	t.Helper()
	c := tDial(t, srv.Addr())
	if got := c.do("SELECT", strconv.FormatUint(id, 10), "KEY", key); got != tOK {
		t.Fatalf("SELECT %d KEY: %q", id, got)
	}
	return c
}

// rvAdminConn is a raw connection authenticated with the admin secret.
func rvAdminConn(t *testing.T, srv *herodbtest.Server) *tConn {
	t.Helper()
	c := tDial(t, srv.Addr())
	if got := c.do("AUTH", herodbtest.AdminSecret); got != tOK {
		t.Fatalf("admin AUTH: %q", got)
	}
	return c
}

// rvEntry is one SLOWLOG GET entry as the client sees it.
type rvEntry struct {
	id   int64
	args []string
	addr string
	name string
}

// rvBulkBody is a bulk reply's body ("$3\r\nabc\r\n" -> "abc").
func rvBulkBody(t testing.TB, raw []byte) string {
	t.Helper()
	i := bytes.Index(raw, []byte("\r\n"))
	if len(raw) == 0 || raw[0] != '$' || i < 0 || len(raw) < i+4 {
		t.Fatalf("not a bulk string: %q", raw)
	}
	return string(raw[i+2 : len(raw)-2])
}

// rvSlowGet runs SLOWLOG GET with args and parses the reply, checking Redis's shape.
func rvSlowGet(t testing.TB, c *tConn, args ...string) []rvEntry {
	t.Helper()
	c.send(append([]string{"SLOWLOG", "GET"}, args...)...)
	rep, err := c.readReply()
	if err != nil {
		t.Fatalf("SLOWLOG GET: %v", err)
	}
	if !rep.array {
		t.Fatalf("SLOWLOG GET %v: %q, want an array", args, rep.raw)
	}
	var out []rvEntry
	for _, e := range rep.elems {
		if !e.array || len(e.elems) != 6 {
			t.Fatalf("SLOWLOG GET entry %q: want 6 fields", e.raw)
		}
		id, err := strconv.ParseInt(strings.TrimSpace(string(e.elems[0].raw[1:])), 10, 64)
		if err != nil || e.elems[0].raw[0] != ':' {
			t.Fatalf("SLOWLOG GET entry id %q", e.elems[0].raw)
		}
		en := rvEntry{id: id, addr: rvBulkBody(t, e.elems[4].raw), name: rvBulkBody(t, e.elems[5].raw)}
		for _, a := range e.elems[3].elems {
			en.args = append(en.args, rvBulkBody(t, a.raw))
		}
		out = append(out, en)
	}
	return out
}

// --- SLOWLOG -------------------------------------------------------------------------

// TestReviewSlowlogGetCountLikeRedis: SLOWLOG GET reads its count as Redis does
// (string2ll), so "+5", "-0" and "05" are refused with "ERR count should be greater
// than or equal to -1" (checked against redis-server 7.0.15); strconv.Atoi took them.
func TestReviewSlowlogGetCountLikeRedis(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	const want = "-ERR count should be greater than or equal to -1\r\n"
	for _, count := range []string{"+5", "-0", "05", "+0", "-01", " 1"} {
		if got := c.do("SLOWLOG", "GET", count); got != want {
			t.Errorf("SLOWLOG GET %q: %q; want %q (as Redis)", count, got, want)
		}
	}
}

// TestReviewSlowlogGetExtraArgs: SLOWLOG GET with more than one count answers Redis's
// "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."
// (slowlogCommand takes GET only with argc 2 or 3), not the count's error.
func TestReviewSlowlogGetExtraArgs(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	want := "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"
	for _, args := range [][]string{{"1", "2"}, {"-1", "-1"}, {"10", "x", "y"}} {
		if got := c.do(append([]string{"SLOWLOG", "GET"}, args...)...); got != want {
			t.Errorf("SLOWLOG GET %v: %q; want %q (as Redis)", args, got, want)
		}
	}
}

// TestReviewSlowlogHostileArgs: the errors Redis gives for bad counts and arities, in
// any letter case, and the connection keeps serving after each.
func TestReviewSlowlogHostileArgs(t *testing.T) {
	srv := rvSlowServer(t, 0)
	db := srv.CreateDatabase(t, "app", true)
	c := tSelected(t, srv.Addr(), db)
	const countErr = "-ERR count should be greater than or equal to -1\r\n"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SLOWLOG", "GET", "-2"}, countErr},
		{[]string{"SLOWLOG", "GET", "abc"}, countErr},
		{[]string{"SLOWLOG", "GET", ""}, countErr},
		{[]string{"SLOWLOG", "GET", "1e3"}, countErr},
		{[]string{"SLOWLOG", "GET", "9223372036854775808"}, countErr},
		{[]string{"SLOWLOG", "GET", "-9223372036854775809"}, countErr},
		{[]string{"SLOWLOG", "GET", strings.Repeat("9", 1<<16)}, countErr},
		{[]string{"SLOWLOG", "GET", "0"}, "*0\r\n"},
		{[]string{"SLOWLOG", "LEN", "x"}, "-ERR wrong number of arguments for 'slowlog|len' command\r\n"},
		{[]string{"SLOWLOG", "RESET", "x"}, "-ERR wrong number of arguments for 'slowlog|reset' command\r\n"},
		{[]string{"SLOWLOG", "HELP", "x"}, "-ERR wrong number of arguments for 'slowlog|help' command\r\n"},
		{[]string{"sLoWlOg", "rEsEt", "x"}, "-ERR wrong number of arguments for 'slowlog|reset' command\r\n"},
		{[]string{"SLOWLOG"}, "-ERR wrong number of arguments for 'slowlog' command\r\n"},
		{[]string{"SLOWLOG", "FOO"}, "-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.\r\n"},
		// Not a word: herodb does not echo it (errors.go, errUnknownSub), on purpose.
		{[]string{"SLOWLOG", "GET\x00"}, "-ERR unknown subcommand. Try SLOWLOG HELP.\r\n"},
		{[]string{"slowlog", "reset"}, tOK},
	} {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%q: %q; want %q", tc.args, got, tc.want)
		}
	}
	// The largest count is all of them, like -1; mixed case works.
	c.do("SET", "k", "v")
	all := rvSlowGet(t, c, "-1")
	if got := rvSlowGet(t, c, "9223372036854775807"); len(got) != len(all)+1 { // + the GET -1 itself
		t.Errorf("SLOWLOG GET 9223372036854775807: %d entries, GET -1 had %d", len(got), len(all))
	}
	c.send("sLoWlOg", "gEt", "1")
	if rep, err := c.readReply(); err != nil || !rep.array || len(rep.elems) != 1 {
		t.Errorf("sLoWlOg gEt 1: %q, %v; want one entry", rep.raw, err)
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("after the hostile SLOWLOGs PING: %q", got)
	}
}

// TestReviewSlowlogCredentialAfterMissingVersion: a client that leaves out the protocol
// version or the database, `HELLO AUTH default <key>` or `SELECT KEY <key>` (both
// refused), still has its credential redacted. The entry is its database's, so every
// tenant of a shared (here public) database could read it with SLOWLOG GET; the
// redaction once looked from the third argument on only. (redis-server 7.0.15 keeps
// `HELLO AUTH default x` unredacted, but Redis has no tenants to show it to.)
func TestReviewSlowlogCredentialAfterMissingVersion(t *testing.T) {
	srv := rvSlowServer(t, 0)
	shared := srv.CreateDatabase(t, "shared", true)
	victim := tSelected(t, srv.Addr(), shared)
	const secret = "review-private-access-key-of-another-db"
	victim.do("HELLO", "AUTH", "default", secret) // version left out: refused
	victim.do("SELECT", "KEY", secret)            // database left out: refused

	stranger := tSelected(t, srv.Addr(), shared)
	for _, e := range rvSlowGet(t, stranger, "-1") {
		for _, a := range e.args {
			if strings.Contains(a, secret) {
				t.Errorf("another tenant of the shared database reads %q in the slow log entry %q", secret, e.args)
			}
		}
	}
}

// TestReviewSlowlogTenantsConcurrent: many tenants log, read, count and reset at once
// while the admin changes slowlog-max-len (run with -race). A tenant sees only its own
// database's entries (never another's arguments or client address), its ids count down,
// and the server keeps serving.
func TestReviewSlowlogTenantsConcurrent(t *testing.T) {
	srv := rvSlowServer(t, 64)
	const tenants, rounds = 6, 60
	type tenant struct {
		id   uint64
		key  string
		addr string // its connection's local address, as the server logs it
	}
	ts := make([]tenant, tenants)
	for i := range ts {
		ts[i].id, ts[i].key = rvTenant(t, srv, fmt.Sprint("conc", i))
	}
	conns := make([]*tConn, tenants)
	for i := range ts {
		conns[i] = rvTenantConn(t, srv, ts[i].id, ts[i].key)
		ts[i].addr = conns[i].conn.LocalAddr().String()
	}
	adm := rvAdminConn(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	var admWG sync.WaitGroup
	admWG.Add(1)
	go func() {
		defer admWG.Done()
		for n := 0; ctx.Err() == nil; n++ {
			v := []string{"3", "500", "1", "64"}[n%4]
			adm.send("CONFIG", "SET", "slowlog-max-len", v)
			if _, err := adm.readReply(); err != nil {
				return
			}
			if n%7 == 0 {
				adm.send("SLOWLOG", "RESET")
				adm.readReply()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan string, tenants*rounds)
	for i := range ts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := conns[i]
			mark := fmt.Sprintf("tenant-%d-marker", i)
			for r := range rounds {
				c.send("SET", mark, strconv.Itoa(r))
				if rep, err := c.readReply(); err != nil || string(rep.raw) != tOK {
					errs <- fmt.Sprintf("tenant %d SET: %q %v", i, rep.raw, err)
					return
				}
				switch r % 5 {
				case 1:
					c.send("SLOWLOG", "RESET")
					if rep, err := c.readReply(); err != nil || string(rep.raw) != tOK {
						errs <- fmt.Sprintf("tenant %d RESET: %q %v", i, rep.raw, err)
						return
					}
				case 2:
					c.send("SLOWLOG", "LEN")
					if rep, err := c.readReply(); err != nil || rep.raw[0] != ':' {
						errs <- fmt.Sprintf("tenant %d LEN: %q %v", i, rep.raw, err)
						return
					}
				default:
					c.send("SLOWLOG", "GET", "-1")
					rep, err := c.readReply()
					if err != nil || !rep.array {
						errs <- fmt.Sprintf("tenant %d GET: %q %v", i, rep.raw, err)
						return
					}
					last := int64(-1)
					for _, e := range rep.elems {
						id, _ := strconv.ParseInt(strings.TrimSpace(string(e.elems[0].raw[1:])), 10, 64)
						if last >= 0 && id >= last {
							errs <- fmt.Sprintf("tenant %d: ids not counting down: %d after %d", i, id, last)
						}
						last = id
						entry := string(e.raw)
						for j := range ts {
							if j == i {
								continue
							}
							if strings.Contains(entry, fmt.Sprintf("tenant-%d-marker", j)) || strings.Contains(entry, ts[j].addr) {
								errs <- fmt.Sprintf("tenant %d sees tenant %d's entry %q", i, j, entry)
							}
						}
					}
				}
			}
		}(i)
	}
	wg.Wait()
	cancel()
	admWG.Wait()
	close(errs)
	n := 0
	for e := range errs {
		if n++; n <= 10 {
			t.Error(e)
		}
	}
	for i, c := range conns {
		if got := c.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("tenant %d PING after the storm: %q", i, got)
		}
	}
}

// TestReviewSlowlogOthersEvictMine: each database's entries are a list of its own, so
// another tenant's slow commands never push a quiet tenant's entries out (they did when
// the log was one list for the server), nor make its SLOWLOG LEN fall, which would count
// the other tenants' slow commands.
func TestReviewSlowlogOthersEvictMine(t *testing.T) {
	srv := rvSlowServer(t, 16)
	qid, qkey := rvTenant(t, srv, "quiet")
	nid, nkey := rvTenant(t, srv, "noisy")
	quiet := rvTenantConn(t, srv, qid, qkey)
	noisy := rvTenantConn(t, srv, nid, nkey)
	quiet.do("SET", "mine", "1")
	before := quiet.do("SLOWLOG", "LEN")
	for i := range 100 {
		noisy.do("SET", "k"+strconv.Itoa(i), "v")
	}
	after := quiet.do("SLOWLOG", "LEN")
	// The first SLOWLOG LEN is logged too (after it answered): one more, no fewer.
	n0, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(before, ":"), "\r\n"))
	if want := fmt.Sprintf(":%d\r\n", n0+1); after != want {
		t.Errorf("the quiet tenant's SLOWLOG LEN went from %q to %q (want %q) while only another tenant ran commands", before, after, want)
	}
	found := false
	for _, e := range rvSlowGet(t, quiet, "-1") {
		if strings.Join(e.args, " ") == "SET mine 1" {
			found = true
		}
	}
	if !found {
		t.Error("the quiet tenant's own SET was evicted from its slow log by another tenant's commands")
	}
}

// TestReviewSlowlogHugeArguments: an entry keeps at most 32 arguments of at most 128
// bytes (and a short note of the rest) whatever a client sends, so the log's memory
// and SLOWLOG GET's reply stay small.
func TestReviewSlowlogHugeArguments(t *testing.T) {
	srv := rvSlowServer(t, 0)
	db := srv.CreateDatabase(t, "app", true)
	c := tSelected(t, srv.Addr(), db)
	big := bytes.Repeat([]byte("A"), 4<<20)
	if got := c.doB([]byte("SET"), []byte("big"), big); got != tOK {
		t.Fatalf("SET of 4 MiB: %q", got)
	}
	many := [][]byte{[]byte("SADD"), []byte("s")}
	for i := range 20000 {
		many = append(many, big[:200+i%50])
	}
	if got := c.doB(many...); got != tInt(50) { // 50 distinct lengths
		t.Fatalf("SADD of 20000 members: %q", got)
	}
	c.send("SLOWLOG", "GET", "-1")
	rep, err := c.readReply()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.raw) > 64<<10 {
		t.Errorf("SLOWLOG GET after huge commands is %d bytes; the entries are not cut to Redis's bounds", len(rep.raw))
	}
	for _, e := range rep.elems {
		args := e.elems[3].elems
		if len(args) > 32 {
			t.Errorf("an entry keeps %d arguments, want at most 32", len(args))
		}
		for _, a := range args {
			if body := rvBulkBody(t, a.raw); len(body) > 128+len("... (4194176 more bytes)") {
				t.Errorf("an entry keeps an argument of %d bytes", len(body))
			}
		}
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING: %q", got)
	}
}

// --- HELP ----------------------------------------------------------------------------

// rvParents lists the commands with subcommands, from COMMAND (element 9).
func rvParents(t *testing.T, c *tConn) []string {
	t.Helper()
	c.send("COMMAND")
	rep, err := c.readReply()
	if err != nil || !rep.array {
		t.Fatalf("COMMAND: %q %v", rep.raw, err)
	}
	var out []string
	for _, row := range rep.elems {
		if len(row.elems) >= 10 && len(row.elems[9].elems) > 0 {
			out = append(out, strings.ToUpper(rvBulkBody(t, row.elems[0].raw)))
		}
	}
	if len(out) < 5 {
		t.Fatalf("COMMAND lists only %v with subcommands", out)
	}
	return out
}

// TestReviewHelpHostile: every command with subcommands answers HELP in any letter
// case with the same lines; HELP with an argument is Redis's arity error of
// '<cmd>|help' (as redis-server 7.0.15); HELP queues in MULTI and answers in EXEC.
func TestReviewHelpHostile(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	for _, p := range rvParents(t, c) {
		want := c.do(p, "HELP")
		if !strings.HasPrefix(want, "*") || strings.HasPrefix(want, "*0") {
			t.Errorf("%s HELP: %q", p, want)
			continue
		}
		for _, v := range []string{"help", "hElP", "Help"} {
			if got := c.do(strings.ToLower(p), v); got != want {
				t.Errorf("%s %s: %q; want what %s HELP answers", strings.ToLower(p), v, got, p)
			}
		}
		wantArity := tErr(fmt.Sprintf("ERR wrong number of arguments for '%s|help' command", strings.ToLower(p)))
		for _, extra := range [][]string{{"x"}, {"HELP"}, {"", ""}, {strings.Repeat("z", 70000)}} {
			if got := c.do(append([]string{p, "HELP"}, extra...)...); got != wantArity {
				t.Errorf("%s HELP %d more args: %.200q; want %q", p, len(extra), got, wantArity)
			}
		}
		if got := c.do("MULTI"); got != tOK {
			t.Fatalf("MULTI: %q", got)
		}
		if got := c.do(p, "HELP"); got != "+QUEUED\r\n" {
			t.Errorf("%s HELP in MULTI: %q", p, got)
		}
		if got := c.do("EXEC"); got != "*1\r\n"+want {
			t.Errorf("EXEC of %s HELP: %.300q; want *1 and %.200q", p, got, want)
		}
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING: %q", got)
	}
}

// --- INFO ----------------------------------------------------------------------------

// rvNodeOnly are lines only the admin's INFO may hold: node-wide numbers.
var rvNodeOnly = []string{"major_page_faults", "gomaxprocs", "blocked_clients", "registered_databases",
	"wal_", "group_commit", "open_database_files", "write_buffer_bytes", "record_cache", "flush_lag", "disk_",
	"total_connections_received", "rejected_connections", "total_error_replies", "auth_failures",
	"cmdstat_", "# Commandstats"}

// TestReviewInfoTenantSeesOnlyItself: whatever sections a tenant names (all,
// everything, mixed case, many, unknown, very long), its INFO holds none of the node's
// numbers and no other database's keyspace line, and counts only its own clients;
// the admin's INFO has major_page_faults and gomaxprocs.
func TestReviewInfoTenantSeesOnlyItself(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{})
	aid, akey := rvTenant(t, srv, "infoa")
	bid, bkey := rvTenant(t, srv, "infob")
	a := rvTenantConn(t, srv, aid, akey)
	b := rvTenantConn(t, srv, bid, bkey)
	for range 3 { // more clients of B
		rvTenantConn(t, srv, bid, bkey)
	}
	a.do("SET", "a1", "v")
	b.do("SET", "b1", "v")
	b.do("SET", "b2", "v")
	b.do("PEXPIRE", "b2", "100000")
	long := strings.Repeat("stats", 200000) // 1 MB section name
	many := []string{"INFO"}
	for i := range 5000 {
		many = append(many, []string{"server", "STATS", "keyspace", "x" + strconv.Itoa(i)}[i%4])
	}
	for _, args := range [][]string{
		{"INFO"}, {"INFO", "all"}, {"INFO", "everything"}, {"INFO", "EVERYTHING"}, {"INFO", "AlL"},
		{"INFO", "default"}, {"INFO", "commandstats"}, {"INFO", "CommandStats"}, {"INFO", "stats"},
		{"INFO", "persistence"}, {"INFO", "clients"}, {"INFO", "keyspace"}, {"INFO", "stats", "all", "commandstats"},
		{"INFO", "cpu", "memory", "replication", "errorstats", "latencystats", "modules"},
		{"INFO", long}, {"info", "EVERYTHING", long}, many,
	} {
		what := fmt.Sprintf("tenant %.60q (%d args)", args, len(args))
		a.send(args...)
		rep, err := a.readReply()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if rep.raw[0] != '$' {
			t.Errorf("%s: %.200q; want a bulk string", what, rep.raw)
			continue
		}
		body := rvBulkBody(t, rep.raw)
		for _, bad := range rvNodeOnly {
			if strings.Contains(body, bad) {
				t.Errorf("%s shows the node's %q:\n%s", what, bad, body)
			}
		}
		if strings.Contains(body, fmt.Sprintf("db%d:", bid)) {
			t.Errorf("%s shows the other tenant's keyspace:\n%s", what, body)
		}
		if strings.Contains(body, "connected_clients:") && !strings.Contains(body, "connected_clients:1\r\n") {
			t.Errorf("%s counts other databases' clients:\n%s", what, body)
		}
		if strings.Contains(body, "# Keyspace") && !strings.Contains(body, fmt.Sprintf("db%d:keys=1,expires=0", aid)) {
			t.Errorf("%s lacks its own keyspace line:\n%s", what, body)
		}
	}
	// Unknown sections alone: an empty bulk string, as Redis.
	if got := a.do("INFO", "nosuchsection"); got != "$0\r\n\r\n" {
		t.Errorf("INFO nosuchsection: %q; want an empty bulk string", got)
	}
	// B's INFO keyspace: its own two keys, one with a TTL; nothing of A.
	body := rvBulkBody(t, []byte(b.do("INFO", "keyspace")))
	if !strings.Contains(body, fmt.Sprintf("db%d:keys=2,expires=1", bid)) || strings.Contains(body, fmt.Sprintf("db%d:", aid)) {
		t.Errorf("tenant B's INFO keyspace:\n%s", body)
	}
	adm := rvAdminConn(t, srv)
	body = rvBulkBody(t, []byte(adm.do("INFO", "stats")))
	for _, want := range []string{"major_page_faults:", "gomaxprocs:" + strconv.Itoa(runtime.GOMAXPROCS(0))} {
		if !strings.Contains(body, want) {
			t.Errorf("the admin's INFO stats lacks %q:\n%s", want, body)
		}
	}
	if got := a.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING: %q", got)
	}
}

// --- herodb serve --fault-procs ------------------------------------------------------

// rvBuildHerodb builds the herodb binary once per test.
func rvBuildHerodb(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "herodb")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	out, err := exec.Command(gobin, "build", "-o", bin, "../cmd/herodb").CombinedOutput()
	if err != nil {
		t.Fatalf("build herodb: %v\n%s", err, out)
	}
	return bin
}

// rvServe runs `herodb serve --dir <fresh> --port 0 args...` for at most 20 s and
// returns its exit code, stderr and whether it created the data directory.
func rvServe(t *testing.T, bin string, env []string, args ...string) (int, string, bool) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--dir", dir, "--port", "0"}, args...)...)
	cmd.Env = append(append(os.Environ(), "HERODB_ADMIN_SECRET=review-fault-procs-secret"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run herodb: %v", err)
	}
	_, statErr := os.Stat(dir)
	return code, stderr.String(), statErr == nil
}

// TestReviewFaultProcsHugeRefused: --fault-procs has a floor (-1) but no ceiling
// (cmd/herodb/procs.go, faultProcs), and the watcher hands the number to
// runtime.GOMAXPROCS, which keeps it as an int32. --fault-procs 2147483648 is accepted
// and the server dies ("fatal error: procresize: invalid arg", the int32 wrapped to a
// negative) at its first major page fault: reproduced by hand by evicting a closed
// tenant file from the page cache (posix_fadvise DONTNEED) and reading it with GET.
// 1000000000 is accepted as well and asks the runtime for a billion Ps. Each should be
// refused at start, with a message naming --fault-procs, before the data directory is
// touched, as -2 is.
func TestReviewFaultProcsHugeRefused(t *testing.T) {
	bin := rvBuildHerodb(t)
	for _, v := range []string{"2147483648", "4294967297", "1000000000"} {
		code, stderr, made := rvServe(t, bin, nil, "--fault-procs", v)
		if code == 0 || !strings.Contains(stderr, "--fault-procs") {
			t.Errorf("serve --fault-procs %s: exit %d, stderr %q; want a refusal naming --fault-procs", v, code, stderr)
		}
		if made {
			t.Errorf("serve --fault-procs %s created the data directory", v)
		}
	}
}

// TestReviewFaultProcsBadValues: values that are not integers, below -1, or given by
// the environment are refused with a message naming the setting, before the data
// directory exists.
func TestReviewFaultProcsBadValues(t *testing.T) {
	bin := rvBuildHerodb(t)
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--fault-procs", "abc"}, "fault-procs"},
		{nil, []string{"--fault-procs", "1.5"}, "fault-procs"},
		{nil, []string{"--fault-procs", ""}, "fault-procs"},
		{nil, []string{"--fault-procs", "99999999999999999999"}, "fault-procs"},
		{nil, []string{"--fault-procs", "-9223372036854775808"}, "--fault-procs: -9223372036854775808"},
		{nil, []string{"--fault-procs=-2"}, "--fault-procs: -2"},
		{[]string{"HERODB_FAULT_PROCS=-7"}, nil, "-7"},
		{[]string{"HERODB_FAULT_PROCS=lots"}, nil, "FAULT_PROCS"},
		{[]string{"GOMAXPROCS=2"}, []string{"--fault-procs", "-3"}, "--fault-procs: -3"},
	} {
		code, stderr, made := rvServe(t, bin, tc.env, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "no RESP port") {
			t.Errorf("serve %v env %v: exit %d, stderr %.300q; want a refusal holding %q", tc.args, tc.env, code, stderr, tc.want)
		}
		if made {
			t.Errorf("serve %v env %v created the data directory", tc.args, tc.env)
		}
	}
}

// rvPings sends n PINGs pipelined in batches and reads every reply.
func rvPings(t *testing.T, c *tConn, n int) {
	t.Helper()
	const batch = 500
	cmd := tEncode([]byte("PING"))
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		c.write(bytes.Repeat(cmd, k))
		for range k {
			if got := c.read(); got != "+PONG\r\n" {
				t.Fatalf("PING: %q", got)
			}
		}
	}
}

// TestReviewSlowlogNodeCap: past slowNodeLists (64) lists' worth of entries the node drops
// the oldest entries of the longest lists, so many tenants cannot grow the log without
// bound, and a tenant holding few entries keeps them while others hold more. The admin
// sees every list's entries merged newest first by the server's ids.
func TestReviewSlowlogNodeCap(t *testing.T) {
	const maxLen = 2
	srv := rvSlowServer(t, maxLen)
	var conns []*tConn
	for i := range 70 {
		id, key := rvTenant(t, srv, "cap"+strconv.Itoa(i))
		c := rvTenantConn(t, srv, id, key)
		for j := range 3 {
			c.do("SET", "k"+strconv.Itoa(j), "v")
		}
		conns = append(conns, c)
	}
	adm := rvAdminConn(t, srv)
	got := rvSlowGet(t, adm, "-1")
	// 70 lists of 2, over the cap of 128: the longest lose their oldest until 128 stay
	// (the admin's own SLOWLOG GET is logged after it answers).
	if len(got) != 64*maxLen {
		t.Fatalf("the admin sees %d entries, want the node's cap %d", len(got), 64*maxLen)
	}
	for i := 1; i < len(got); i++ {
		if got[i].id >= got[i-1].id {
			t.Fatalf("the admin's entries are not newest first: id %d after %d", got[i].id, got[i-1].id)
		}
	}
	// Every tenant still holds at least one entry of its own: the cap takes from the
	// longest lists, not from whoever is oldest.
	for i, c := range conns {
		if n := c.do("SLOWLOG", "LEN"); n == ":0\r\n" {
			t.Errorf("tenant %d lost every entry to the node's cap", i)
		}
	}
}
