package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/storage"
)

var checkEnv = []string{"HERODB_ADMIN_SECRET=" + herodbtest.AdminSecret}

// checkServer starts a server on dir with its RPC on loopback; it returns a client of
// database id (created public on the first start) and the RPC's URL.
func checkServer(t *testing.T, dir string, id *uint64) (*herodbtest.Server, *redis.Client, string) {
	t.Helper()
	srv := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	if *id == 0 {
		*id = srv.CreateDatabase(t, "app", true)
	}
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: 0, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Do(ctx, "SELECT", *id).Err(); err != nil {
		t.Fatal(err)
	}
	c = redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(*id), MaxRetries: -1, PoolSize: 1})
	t.Cleanup(func() { c.Close() })
	hs := httptest.NewServer(rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info}).HTTPHandler())
	t.Cleanup(hs.Close)
	return srv, c, hs.URL
}

func runCheck(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return execHerodb(t, exec.Command(herodbBin, args...), checkEnv)
}

// TestCheckDirectory: a clean directory checks clean, a running server's is reported as
// locked, and a flipped byte in a sealed value makes the check exit 1 naming the file,
// online and offline, while GET of that key answers an error.
func TestCheckDirectory(t *testing.T) {
	dir := t.TempDir()
	var id uint64
	srv, c, _ := checkServer(t, dir, &id)
	ctx := context.Background()
	long := strings.Repeat("v", 3000)
	for i := range 20 {
		if err := c.Set(ctx, "k"+strconv.Itoa(i), long, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.HSet(ctx, "h", "f", "v")
	if out, errOut, code := runCheck(t, "check", "--dir", dir); code != 2 || !strings.Contains(errOut, "locked by a running herodb server") {
		t.Fatalf("check of a running server's directory: exit %d\n%s%s", code, out, errOut)
	}
	srv.Close()
	out, errOut, code := runCheck(t, "check", "--dir", dir)
	if code != 0 || !strings.Contains(out, "clean: 2 files checked") {
		t.Fatalf("check of a clean directory: exit %d\n%s%s", code, out, errOut)
	}

	path := storage.FilePath(dir, id)
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var ct []byte
	b.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket([]byte("data")).Cursor().First()
		if k != nil {
			ct = slices.Clone(v)
		}
		return nil
	})
	b.Close()
	raw, _ := os.ReadFile(path)
	at := bytes.Index(raw, ct)
	if ct == nil || at < 0 {
		t.Fatal("no value record found in the file")
	}
	raw[at+len(ct)/2] ^= 1
	os.WriteFile(path, raw, 0o600)

	out, errOut, code = runCheck(t, "check", "--dir", dir)
	if code != 1 || !strings.Contains(out, path+": key id") || !strings.Contains(out, "fails to open") {
		t.Fatalf("check of a flipped byte: exit %d\n%s%s", code, out, errOut)
	}
	_, c, url := checkServer(t, dir, &id)
	bad := 0
	for i := range 20 {
		v, err := c.Get(ctx, "k"+strconv.Itoa(i)).Result()
		switch {
		case err != nil:
			bad++
		case v != long:
			t.Fatalf("GET k%d answered a wrong value", i)
		}
	}
	if bad != 1 {
		t.Fatalf("%d GETs failed; want the one damaged key", bad)
	}
	out, errOut, code = runCheck(t, "db", "check", strconv.FormatUint(id, 10), "--rpc", url)
	if code != 1 || !strings.Contains(out, path+": key id") {
		t.Fatalf("db check online: exit %d\n%s%s", code, out, errOut)
	}
}

// TestCheckRollbackRefused: an older copy of a database file put back while the server
// is stopped is refused at open, named by the check, and accepted on purpose.
func TestCheckRollbackRefused(t *testing.T) {
	dir := t.TempDir()
	var id uint64
	srv, c, _ := checkServer(t, dir, &id)
	ctx := context.Background()
	if err := c.Set(ctx, "a", "old", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	path := storage.FilePath(dir, id)
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, c, _ = checkServer(t, dir, &id)
	if err := c.Set(ctx, "a", "new", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCheck(t, "check", "--dir", dir)
	if code != 1 || !strings.Contains(out, path+": an older copy") {
		t.Fatalf("check of an older copy: exit %d\n%s%s", code, out, errOut)
	}
	srv, c, url := checkServer(t, dir, &id)
	if v, err := c.Get(ctx, "a").Result(); err == nil {
		t.Fatalf("GET from an older copy answered %q", v)
	}
	ref := strconv.FormatUint(id, 10)
	if out, _, code := runCheck(t, "db", "check", ref, "--rpc", url); code != 1 || !strings.Contains(out, "older copy") {
		t.Fatalf("db check of an older copy: exit %d\n%s", code, out)
	}
	out, errOut, code = runCheck(t, "db", "accept-file", ref, "--rpc", url, "--json")
	var accepted struct {
		Database string
		Accepted bool
	}
	if err := json.Unmarshal([]byte(out), &accepted); code != 0 || err != nil || accepted.Database != ref || !accepted.Accepted {
		t.Fatalf("accept-file --json: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if v, err := c.Get(ctx, "a").Result(); err != nil || v != "old" {
		t.Fatalf("GET after accept-file: %q, %v", v, err)
	}
	if err := c.Set(ctx, "b", "after", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if out, errOut, code := runCheck(t, "check", "--dir", dir); code != 0 {
		t.Fatalf("check after accept-file: exit %d\n%s%s", code, out, errOut)
	}
	_, c, _ = checkServer(t, dir, &id)
	if v, err := c.Get(ctx, "b").Result(); err != nil || v != "after" {
		t.Fatalf("GET after a restart: %q, %v", v, err)
	}
}
