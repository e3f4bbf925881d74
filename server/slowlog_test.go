package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// slEntries is SLOWLOG GET -1 on c, each entry's arguments joined by spaces, checking
// Redis's shape: id, unix time, microseconds, arguments, client address, client name.
func slEntries(t *testing.T, c *redis.Client) []string {
	t.Helper()
	v, err := c.Do(tCtx, "slowlog", "get", "-1").Slice()
	if err != nil {
		t.Fatalf("SLOWLOG GET: %v", err)
	}
	var out []string
	for _, e := range v {
		f, ok := e.([]any)
		if !ok || len(f) != 6 {
			t.Fatalf("SLOWLOG GET entry %#v: want 6 fields", e)
		}
		for i := range 3 {
			if _, ok := f[i].(int64); !ok {
				t.Fatalf("SLOWLOG GET entry %#v: field %d is not an integer", e, i)
			}
		}
		if at := f[1].(int64); at < time.Now().Add(-time.Hour).Unix() {
			t.Errorf("entry time %d is not now", at)
		}
		var args []string
		for _, a := range f[3].([]any) {
			args = append(args, a.(string))
		}
		if _, ok := f[4].(string); !ok {
			t.Fatalf("SLOWLOG GET entry %#v: no client address", e)
		}
		out = append(out, strings.Join(args, " "))
	}
	return out
}

func slHas(entries []string, s string) bool {
	for _, e := range entries {
		if e == s {
			return true
		}
	}
	return false
}

// TestSlowlogAdminAndTenants: with every command logged, the admin sees every entry, a
// tenant only its own database's (GET, LEN, RESET); credentials are never kept.
func TestSlowlogAdminAndTenants(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) { c.SlowlogSlowerThan = time.Nanosecond }})
	keys := map[string]string{"alpha": "slowlog-alpha-access-key", "beta": "slowlog-beta-access-key"}
	ids := map[string]uint64{}
	for name, key := range keys {
		ids[name] = srv.CreateDatabase(t, name, false)
		if err := srv.Admin().AddAccessKey(ids[name], key, admin.AccessReadWrite); err != nil {
			t.Fatal(err)
		}
	}
	tenant := func(name string) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: keys[name], Protocol: 2, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return c
	}
	alpha, beta := tenant("alpha"), tenant("beta")
	tNoErr(t, "alpha SET", alpha.Set(tCtx, "ka", "va", 0).Err())
	tNoErr(t, "beta SET", beta.Set(tCtx, "kb", "vb", 0).Err())
	// Credentials in every place a command carries one.
	raw := tDial(t, srv.Addr())
	raw.do("HELLO", "2", "AUTH", "default", keys["alpha"])
	raw.do("SELECT", strconv.FormatUint(ids["beta"], 10), "KEY", keys["beta"])
	raw.do("AUTH", "beta", keys["beta"])
	raw.do("AUTH", herodbtest.AdminSecret+"-wrong")
	raw.do("CONFIG", "SET", "requirepass", "a-password-never-kept")

	adm := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, Protocol: 2, MaxRetries: -1})
	defer adm.Close()
	all := slEntries(t, adm)
	for _, want := range []string{"set ka va", "set kb vb", "HELLO 2 AUTH (redacted) (redacted)",
		fmt.Sprintf("SELECT %d KEY (redacted)", ids["beta"]), "AUTH (redacted) (redacted)", "AUTH (redacted)",
		"CONFIG SET requirepass (redacted)"} {
		if !slHas(all, want) {
			t.Errorf("the admin's SLOWLOG GET lacks %q: %q", want, all)
		}
	}
	for _, e := range all {
		for _, secret := range []string{keys["alpha"], keys["beta"], herodbtest.AdminSecret, "a-password-never-kept"} {
			if strings.Contains(e, secret) {
				t.Errorf("slow log entry %q keeps a credential", e)
			}
		}
	}

	mine := slEntries(t, alpha)
	if !slHas(mine, "set ka va") || slHas(mine, "set kb vb") {
		t.Errorf("alpha's SLOWLOG GET: %q; want its SET and not beta's", mine)
	}
	n, err := alpha.Do(tCtx, "slowlog", "len").Int64()
	tNoErr(t, "SLOWLOG LEN", err)
	if n < 1 || n > int64(len(mine))+1 { // + the GET itself, logged after it ran
		t.Errorf("alpha's SLOWLOG LEN %d, GET had %d", n, len(mine))
	}
	tNoErr(t, "alpha SLOWLOG RESET", alpha.Do(tCtx, "slowlog", "reset").Err())
	if got := slEntries(t, alpha); slHas(got, "set ka va") {
		t.Errorf("after alpha's RESET it still sees %q", got)
	}
	if got := slEntries(t, beta); !slHas(got, "set kb vb") {
		t.Errorf("alpha's RESET removed beta's entries: %q", got)
	}
	if got := slEntries(t, adm); !slHas(got, "set kb vb") || slHas(got, "set ka va") {
		t.Errorf("after alpha's RESET the admin sees %q; want beta's and not alpha's", got)
	}

	// The settings: anyone reads them, the admin alone sets them.
	if err := alpha.ConfigSet(tCtx, "slowlog-log-slower-than", "-1").Err(); err == nil {
		t.Error("a tenant set slowlog-log-slower-than")
	}
	tNoErr(t, "CONFIG SET", adm.ConfigSet(tCtx, "slowlog-log-slower-than", "-1").Err())
	got, err := beta.ConfigGet(tCtx, "slowlog-*").Result()
	tNoErr(t, "CONFIG GET", err)
	if got["slowlog-log-slower-than"] != "-1" || got["slowlog-max-len"] != "128" {
		t.Errorf("CONFIG GET slowlog-*: %v", got)
	}
	tNoErr(t, "admin SLOWLOG RESET", adm.Do(tCtx, "slowlog", "reset").Err())
	tNoErr(t, "SET", beta.Set(tCtx, "kb2", "v", 0).Err())
	if got := slEntries(t, adm); len(got) != 0 {
		t.Errorf("slow log off, yet it holds %q", got)
	}
	help, err := alpha.Do(tCtx, "slowlog", "help").StringSlice()
	if err != nil || len(help) == 0 || !strings.HasPrefix(help[0], "SLOWLOG GET [count]") {
		t.Errorf("SLOWLOG HELP: %q, %v", help, err)
	}
}

// TestSlowlogBounds: Redis's bounds on an entry (32 arguments, 128 bytes each) and on
// the log (slowlog-max-len).
func TestSlowlogBounds(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.SlowlogSlowerThan, c.SlowlogMaxLen = time.Nanosecond, 3
	}})
	c := tClient(t, srv.Addr(), db)
	args := []any{"del"}
	for i := range 40 {
		args = append(args, fmt.Sprint("k", i))
	}
	tNoErr(t, "DEL", c.Do(tCtx, args...).Err())
	tNoErr(t, "SET", c.Set(tCtx, "big", strings.Repeat("x", 200), 0).Err())
	got := slEntries(t, c)
	if len(got) != 3 {
		t.Fatalf("SLOWLOG GET with slowlog-max-len 3: %d entries: %q", len(got), got)
	}
	if want := "set big " + strings.Repeat("x", 128) + "... (72 more bytes)"; got[0] != want {
		t.Errorf("newest entry %q, want %q", got[0], want)
	}
	fields := strings.Fields(got[1])
	if len(fields) < 32 || !strings.HasSuffix(got[1], "... (10 more arguments)") {
		t.Errorf("DEL of 40 keys kept as %q; want 31 arguments and \"... (10 more arguments)\"", got[1])
	}
}

// TestSlowlogTenantsApart: a tenant's entry ids count its own database's slow commands
// only: their gaps would otherwise count another tenant's.
func TestSlowlogTenantsApart(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.SlowlogSlowerThan = time.Nanosecond
		c.SlowlogMaxLen = 1000
	}})
	client := func(name string) *redis.Client {
		id := srv.CreateDatabase(t, name, false)
		key := "slowlog-apart-" + name + "-key"
		if err := srv.Admin().AddAccessKey(id, key, admin.AccessReadWrite); err != nil {
			t.Fatal(err)
		}
		c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: key, Protocol: 2, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return c
	}
	quiet, noisy := client("quiet"), client("noisy")
	tNoErr(t, "quiet SET", quiet.Set(tCtx, "mine", "1", 0).Err())
	for i := range 100 {
		tNoErr(t, "noisy SET", noisy.Set(tCtx, "k"+strconv.Itoa(i), "v", 0).Err())
	}
	tNoErr(t, "quiet SET", quiet.Set(tCtx, "mine", "2", 0).Err())

	ids := func(c *redis.Client) ([]int64, []string) {
		v, err := c.Do(tCtx, "slowlog", "get", "-1").Slice()
		tNoErr(t, "SLOWLOG GET", err)
		var ids []int64
		var args []string
		for _, e := range v {
			f := e.([]any)
			ids = append(ids, f[0].(int64))
			var a []string
			for _, x := range f[3].([]any) {
				a = append(a, x.(string))
			}
			args = append(args, strings.Join(a, " "))
		}
		return ids, args
	}
	qids, qargs := ids(quiet)
	if !slHas(qargs, "set mine 1") || !slHas(qargs, "set mine 2") {
		t.Fatalf("the quiet tenant's SLOWLOG GET lacks its SETs: %q", qargs)
	}
	// Newest first: ids that count down by one, the quiet database's own commands alone
	// (its AUTH-time commands, its SETs, nothing of the noisy one's 100).
	for i := 1; i < len(qids); i++ {
		if qids[i] != qids[i-1]-1 {
			t.Fatalf("the quiet tenant's ids %v have gaps: they count other tenants' commands", qids)
		}
	}
	if qids[0] > 10 {
		t.Errorf("the quiet tenant's newest id is %d after a handful of its own commands: %v", qids[0], qids)
	}
	nids, _ := ids(noisy)
	if len(nids) == 0 || nids[0] < 100 {
		t.Errorf("the noisy tenant's newest id %v; want at least 100 (its own count)", nids)
	}
	adm := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, Protocol: 2, MaxRetries: -1})
	defer adm.Close()
	aids, _ := ids(adm)
	if len(aids) < 102 {
		t.Errorf("the admin sees %d entries; want every one of both tenants' (at least 102)", len(aids))
	}
	seen := map[int64]bool{}
	for _, id := range aids {
		if seen[id] {
			t.Errorf("the admin sees id %d twice: %v", id, aids)
		}
		seen[id] = true
	}
}
