package rpc_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/server"
)

// metricsEnv is a real server whose RPC, /metrics included, is served over HTTP on
// loopback; configure, when set, changes the server's Config.
func metricsEnv(t *testing.T, configure func(*server.Config)) *rpcEnv {
	t.Helper()
	srv := startServerWith(t, herodbtest.Options{Configure: configure})
	e := serveRPC(t, srv, rpc.Config{Metrics: srv.Metrics(), Ready: srv.Ready})
	e.checkBodiesAtCleanup()
	return e
}

// scrape reads /metrics with bearer and returns each series ("name{labels}") with its
// value, and the body.
func scrape(t *testing.T, e *rpcEnv, bearer string) (map[string]float64, string) {
	t.Helper()
	st, _, body := e.do(http.MethodGet, "/metrics", bearer, nil)
	if st != http.StatusOK {
		t.Fatalf("GET /metrics: HTTP %d: %s", st, body)
	}
	series := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series, string(body)
}

// TestMetricsScrapeAfterTraffic: commands, their outcomes and latencies, refused
// credentials, the log's fsyncs and group commits, databases and connections all move
// with traffic; the admin's INFO shows the same counts; nothing names the tenant.
func TestMetricsScrapeAfterTraffic(t *testing.T) {
	e := metricsEnv(t, nil)
	ctx := context.Background()
	id := e.srv.CreateDatabase(t, "tenant-secretive-name", false)
	key := "metrics-test-access-key"
	e.neverShow(key)
	if err := e.srv.Admin().AddAccessKey(id, key, admin.AccessReadWrite); err != nil {
		t.Fatal(err)
	}
	before, _ := scrape(t, e, herodbtest.AdminSecret)

	c := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), Password: key, DB: int(id), MaxRetries: -1})
	defer c.Close()
	pipe := c.Pipeline()
	for i := range 50 {
		pipe.Set(ctx, fmt.Sprint("k", i), "v", 0)
		pipe.Get(ctx, fmt.Sprint("k", i))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	c.Do(ctx, "lpush", "k1", "x")          // WRONGTYPE: an error reply
	c.Do(ctx, "no-such-command", "secret") // refused before it runs
	bad := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), MaxRetries: -1})
	defer bad.Close()
	if err := bad.Do(ctx, "auth", "not-a-credential").Err(); err == nil {
		t.Fatal("AUTH with a wrong credential succeeded")
	}

	after, body := scrape(t, e, herodbtest.AdminSecret)
	moved := func(series string, atLeast float64) {
		t.Helper()
		if d := after[series] - before[series]; d < atLeast {
			t.Errorf("%s moved by %v, want at least %v (before %v, after %v)", series, d, atLeast, before[series], after[series])
		}
	}
	moved(`herodb_commands_total{cmd="set",outcome="ok"}`, 50)
	moved(`herodb_commands_total{cmd="get",outcome="ok"}`, 50)
	moved(`herodb_commands_total{cmd="lpush",outcome="error"}`, 1)
	moved(`herodb_commands_total{cmd="unknown",outcome="rejected"}`, 1)
	moved(`herodb_command_duration_seconds_count{cmd="get"}`, 50)
	moved(`herodb_command_duration_seconds_bucket{cmd="get",le="+Inf"}`, 50)
	moved(`herodb_auth_failures_total{reason="invalid",transport="resp"}`, 1)
	moved(`herodb_wal_fsync_duration_seconds_count`, 1)
	moved(`herodb_wal_group_commit_frames_sum`, 1)
	moved(`herodb_wal_frames_appended_total`, 1)
	moved(`herodb_connections_received_total`, 2)
	for _, s := range []string{`herodb_databases_registered`, `herodb_databases_open`, `herodb_connections`} {
		if after[s] < 1 {
			t.Errorf("%s = %v, want at least 1", s, after[s])
		}
	}
	if after[`herodb_disk_bytes{part="admin"}`] <= 0 || after[`herodb_disk_bytes{part="wal"}`] <= 0 {
		t.Errorf("disk bytes: admin %v, wal %v; want both above 0", after[`herodb_disk_bytes{part="admin"}`], after[`herodb_disk_bytes{part="wal"}`])
	}
	for _, never := range []string{"tenant-secretive-name", "no-such-command", key, `db="`} {
		if strings.Contains(body, never) {
			t.Errorf("/metrics holds %q", never)
		}
	}

	// The admin's INFO shows the same numbers.
	adm := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), Password: herodbtest.AdminSecret, MaxRetries: -1})
	defer adm.Close()
	info, err := adm.Info(ctx, "commandstats", "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	final, _ := scrape(t, e, herodbtest.AdminSecret)
	wantLine := fmt.Sprintf("cmdstat_set:calls=%d,", int(final[`herodb_commands_total{cmd="set",outcome="ok"}`]))
	if !strings.Contains(info, wantLine) {
		t.Errorf("INFO commandstats lacks %q:\n%s", wantLine, info)
	}
	wantAuth := fmt.Sprintf("total_auth_failures:%d", int(final[`herodb_auth_failures_total{reason="invalid",transport="resp"}`]))
	if !strings.Contains(info, wantAuth) {
		t.Errorf("INFO stats lacks %q:\n%s", wantAuth, info)
	}
}

// TestMetricsPerDB: --metrics-per-db adds a series per database id, and only then.
func TestMetricsPerDB(t *testing.T) {
	e := metricsEnv(t, func(c *server.Config) { c.MetricsPerDB = true })
	id := e.srv.CreateDatabase(t, "app", true)
	c := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), DB: int(id), MaxRetries: -1})
	defer c.Close()
	if err := c.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	got, _ := scrape(t, e, herodbtest.AdminSecret)
	if s := fmt.Sprintf(`herodb_database_commands_total{db="%d"}`, id); got[s] < 1 {
		t.Errorf("%s = %v, want at least 1", s, got[s])
	}
}

// TestMetricsRecordCache: GETs of a key flushed into its file move the record cache's
// series on /metrics: a miss (the first read), then hits, and the bytes it holds.
func TestMetricsRecordCache(t *testing.T) {
	e := metricsEnv(t, func(c *server.Config) { c.FlushInterval = 20 * time.Millisecond })
	id := e.srv.CreateDatabase(t, "cached", true)
	c := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), DB: int(id), MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
			t.Fatalf("GET: %q %v", v, err)
		}
		got, _ := scrape(t, e, herodbtest.AdminSecret)
		if got["herodb_record_cache_hits_total"] > 0 {
			for _, s := range []string{"herodb_record_cache_misses_total", "herodb_record_cache_bytes"} {
				if got[s] <= 0 {
					t.Errorf("%s = %v after a hit; want above 0", s, got[s])
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("herodb_record_cache_hits_total still %v after 10 s of GETs of a flushed key", got["herodb_record_cache_hits_total"])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMetricsRefusedWithoutCredential: /metrics needs the admin secret or a token with
// the metrics scope; anything else is 401 or 403 and shows no metric.
func TestMetricsRefusedWithoutCredential(t *testing.T) {
	e := metricsEnv(t, nil)
	e.srv.CreateDatabase(t, "app", false)
	appTok := tkCreate(e, herodbtest.AdminSecret, "reader", tkAppRead, nil)
	metricsTok := tkCreate(e, herodbtest.AdminSecret, "scraper", `[{"type":"metrics"}]`, nil)
	for _, tc := range []struct {
		name, bearer string
		want         int
	}{
		{"no credential", "", http.StatusUnauthorized},
		{"wrong secret", "not-the-admin-secret", http.StatusUnauthorized},
		{"database token", appTok.Token, http.StatusForbidden},
		{"metrics token", metricsTok.Token, http.StatusOK},
		{"admin secret", herodbtest.AdminSecret, http.StatusOK},
	} {
		st, _, body := e.do(http.MethodGet, "/metrics", tc.bearer, nil)
		if st != tc.want {
			t.Errorf("%s: HTTP %d, want %d: %s", tc.name, st, tc.want, body)
		}
		if leaked := strings.Contains(string(body), "herodb_"); leaked != (tc.want == http.StatusOK) {
			t.Errorf("%s: body shows metrics: %v, want %v", tc.name, leaked, tc.want == http.StatusOK)
		}
	}
	if st, _, _ := e.do(http.MethodPost, "/metrics", herodbtest.AdminSecret, nil); st != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: HTTP %d, want 405", st)
	}
	// The metrics scope opens nothing else: not the RPC's methods.
	_, _, rerr, _ := tkCall(e, metricsTok.Token, "herodb_listDatabases", []any{})
	if rerr == nil {
		t.Error("a metrics token listed the databases")
	}
}

// TestHealthAndReady: /healthz and /readyz answer without a credential, one word each;
// /readyz says 503 once the server is closing, /healthz stays up.
func TestHealthAndReady(t *testing.T) {
	e := metricsEnv(t, nil)
	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		st, h, body := e.do(http.MethodGet, path, "", nil)
		if st != http.StatusOK || string(body) != want {
			t.Errorf("GET %s: HTTP %d %q, want 200 %q", path, st, body, want)
		}
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return")
	}
	if st, _, body := e.do(http.MethodGet, "/readyz", "", nil); st != http.StatusServiceUnavailable || string(body) != "not ready\n" {
		t.Errorf("GET /readyz after Close: HTTP %d %q, want 503 \"not ready\\n\"", st, body)
	}
	if st, _, _ := e.do(http.MethodGet, "/healthz", "", nil); st != http.StatusOK {
		t.Errorf("GET /healthz after Close: HTTP %d, want 200", st)
	}
}
