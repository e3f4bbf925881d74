package main

// herodb db list pages through listDatabases (issue 14).

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/server"
)

// newIdleCLIEnv is newCLIEnv with database files closed after 1 ms idle, so listings
// meet closed files.
func newIdleCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	srv := herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) { c.IdleClose = time.Millisecond }})
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING the test server: %v", err)
	}
	c.Close()
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info})
	hs := httptest.NewServer(svc.HTTPHandler())
	t.Cleanup(hs.Close)
	dir, err := os.MkdirTemp("", "hdbcli")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "rpc.sock")
	ss, err := svc.ListenSocket(sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	return &cliEnv{srv: srv, url: hs.URL, socket: sock}
}

// TestCLIDBListPages: db list --limit 2 over five databases (one deleted, one with its
// file held open) fetches three pages and prints each database once, in id order, under
// one header; KEYS is "-" for a closed file. --json prints one array of them all, on HTTP
// and on the socket.
func TestCLIDBListPages(t *testing.T) {
	t.Parallel()
	e := newIdleCLIEnv(t)
	var ids []uint64
	for _, name := range []string{"one", "two", "three", "four", "five"} {
		ids = append(ids, e.srv.CreateDatabase(t, name, false))
	}
	e.ok(t, "db", "delete", "three")
	live := []uint64{ids[0], ids[1], ids[3], ids[4]}
	files := e.srv.Admin().Files()
	deadline := time.Now().Add(10 * time.Second)
	for files.OpenCount() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_, release, err := e.srv.Admin().Acquire(ids[1]) // "two" stays open: its key count shows
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	out := e.ok(t, "db", "list", "--limit", "2")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 1+len(live) || !strings.HasPrefix(lines[0], "ID") || strings.Count(out, "NAME") != 1 {
		t.Fatalf("db list --limit 2:\n%s", out)
	}
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 5 || f[0] != strconv.FormatUint(live[i], 10) {
			t.Errorf("row %d: %q, want database %d", i+1, l, live[i])
			continue
		}
		wantKeys := "-"
		if live[i] == ids[1] {
			wantKeys = "0"
		}
		if f[3] != wantKeys {
			t.Errorf("row %q: KEYS %q, want %q", l, f[3], wantKeys)
		}
	}
	if strings.Contains(out, "three") {
		t.Errorf("db list shows the deleted database:\n%s", out)
	}

	for _, args := range [][]string{
		{"db", "list", "--limit", "2", "--json"},
		{"db", "list", "--json", "--limit", "1", "--rpc", e.socket},
		{"db", "list", "--json"},
	} {
		out := e.ok(t, args...)
		var dbs []struct {
			ID       uint64 `json:"id"`
			Name     string `json:"name"`
			KeyCount *int64 `json:"key_count"`
		}
		if err := json.Unmarshal([]byte(out), &dbs); err != nil {
			t.Fatalf("%v is not a JSON array: %v\n%s", args, err, out)
		}
		if len(dbs) != len(live) {
			t.Fatalf("%v: %d databases, want %d\n%s", args, len(dbs), len(live), out)
		}
		for i, d := range dbs {
			if d.ID != live[i] {
				t.Errorf("%v: entry %d is database %d, want %d", args, i, d.ID, live[i])
			}
			if open := d.ID == ids[1]; open != (d.KeyCount != nil) {
				t.Errorf("%v: database %d key_count %v", args, d.ID, d.KeyCount)
			}
		}
	}

	for _, bad := range []string{"0", "1001", "-3"} {
		e.fails(t, nil, []string{"--limit", "1 to 1000"}, "db", "list", "--limit", bad)
	}
}

// TestCLIDBListEmpty: no databases: the header alone, and [] with --json.
func TestCLIDBListEmpty(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	if out := e.ok(t, "db", "list", "--limit", "3"); strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "ID") {
		t.Errorf("db list with no databases: %q", out)
	}
	if out := e.ok(t, "db", "list", "--json"); out != "[]\n" {
		t.Errorf("db list --json with no databases: %q", out)
	}
}
