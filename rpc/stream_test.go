package rpc_test

// POST /backup and /restore over real HTTP: who may call them, a database whose changes
// cannot be flushed, and backups taken before and after a key rotation.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/server"
)

// streamBackup posts /backup?query with bearer and returns the status and body.
func streamBackup(e *rpcEnv, bearer string, q url.Values) (int, []byte) {
	e.t.Helper()
	st, _, body := e.do(http.MethodPost, "/backup?"+q.Encode(), bearer, nil)
	return st, body
}

// plaintext decrypts a backup with id.
func plaintext(t *testing.T, file []byte, id *age.X25519Identity) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(file), id)
	if err != nil {
		t.Fatalf("the backup does not decrypt: %v", err)
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func adminRedis(t *testing.T, srv *herodbtest.Server, id uint64) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, DB: int(id), MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestBackupRestoreNeedAdmin: only the admin secret or an admin token backs up or
// restores; anything else gets 401 (no valid credential) or 403 (not admin), with the
// same fixed body whatever the request names, and no database is made.
func TestBackupRestoreNeedAdmin(t *testing.T) {
	e := newRPCEnv(t)
	ctx := context.Background()
	app := e.srv.CreateDatabase(t, "app", false)
	if err := adminRedis(t, e.srv, app).Set(ctx, "k", "tenant value", 0).Err(); err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	rcpt := id.Recipient().String()
	adminTok := tkCreate(e, herodbtest.AdminSecret, "admin", tkAdminSc, nil).Token
	appTok := tkCreate(e, herodbtest.AdminSecret, "app-reader", tkAppRead, nil).Token
	tokTok := tkCreate(e, herodbtest.AdminSecret, "token-reader", tkTokRead, nil).Token
	metricsTok := tkCreate(e, herodbtest.AdminSecret, "scraper", `[{"type":"metrics"}]`, nil).Token
	e.neverShow("tenant value")

	st, file := streamBackup(e, adminTok, url.Values{"db": {"app"}, "recipient": {rcpt}})
	if st != http.StatusOK || !bytes.HasPrefix(file, []byte("age-encryption.org/")) {
		t.Fatalf("backup with an admin token: HTTP %d %.80q", st, file)
	}
	plain := plaintext(t, file, id)

	queries := []url.Values{
		{"db": {"app"}, "recipient": {rcpt}},
		{"db": {"nosuch"}, "recipient": {rcpt}},
		{"all": {"true"}, "recipient": {rcpt}},
		{"db": {"app"}, "recipient": {"not-a-recipient"}},
	}
	before := len(e.srv.Admin().Databases())
	for _, c := range []struct {
		who, bearer string
		status      int
	}{
		{"no credential", "", http.StatusUnauthorized},
		{"a wrong secret", "not-the-admin-secret", http.StatusUnauthorized},
		{"a revoked-looking token", "hdbt_0123456789abcdef_" + strings.Repeat("A", 43), http.StatusUnauthorized},
		{"a database token", appTok, http.StatusForbidden},
		{"a token-scope token", tokTok, http.StatusForbidden},
		{"a metrics token", metricsTok, http.StatusForbidden},
	} {
		var first []byte
		for _, q := range queries {
			st, body := streamBackup(e, c.bearer, q)
			if st != c.status {
				t.Errorf("backup %s with %s: HTTP %d, want %d: %s", q.Encode(), c.who, st, c.status, body)
			}
			if first == nil {
				first = body
			} else if !bytes.Equal(body, first) {
				t.Errorf("backup with %s answers %s for %s and %s for the first query: the body tells requests apart", c.who, body, q.Encode(), first)
			}
			if bytes.Contains(body, []byte("age-encryption")) || bytes.Contains(body, []byte("nosuch")) || bytes.Contains(body, []byte("app")) {
				t.Errorf("backup with %s: the body holds more than the refusal: %s", c.who, body)
			}
		}
		for _, q := range []string{"?name=stolen", "?name=app", ""} {
			st, _, body := e.do(http.MethodPost, "/restore"+q, c.bearer, bytes.NewReader(plain))
			if st != c.status || !bytes.Equal(body, first) {
				t.Errorf("restore%s with %s: HTTP %d %s, want %d %s", q, c.who, st, body, c.status, first)
			}
		}
	}
	if n := len(e.srv.Admin().Databases()); n != before {
		t.Fatalf("%d databases after refused restores, %d before", n, before)
	}
	if _, ok := e.srv.Admin().Database("stolen"); ok {
		t.Fatal("a refused restore made its database")
	}

	// The same body restores with the admin secret: the refusals were about the caller.
	st, _, body := e.do(http.MethodPost, "/restore?name=restored", herodbtest.AdminSecret, bytes.NewReader(plain))
	if st != http.StatusOK || !strings.Contains(string(body), `"name":"restored"`) {
		t.Fatalf("restore with the admin secret: HTTP %d %s", st, body)
	}
	d, _ := e.srv.Admin().Database("restored")
	if v, err := adminRedis(t, e.srv, d.ID).Get(ctx, "k").Result(); err != nil || v != "tenant value" {
		t.Errorf("restored k: %q, %v", v, err)
	}
}

// TestBackupFlushFailing: a database whose changes cannot be flushed into its file (the
// disk is full) is not backed up: the request answers an error naming the database,
// with no age file; once space is freed the backup holds every acknowledged write.
func TestBackupFlushFailing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.MkdirAll(disk, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", disk).Run() })
	srv := startServerWith(t, herodbtest.Options{Dir: filepath.Join(disk, "data"),
		Configure: func(c *server.Config) { c.FlushInterval = time.Hour }})
	e := serveRPC(t, srv, rpc.Config{})
	e.checkBodiesAtCleanup()
	ctx := context.Background()
	db := srv.CreateDatabase(t, "full", false)
	c := adminRedis(t, srv, db)
	value := strings.Repeat("v", 16<<10)
	for i := range 64 { // 1 MiB, acknowledged (in the log) and not flushed
		if err := c.Set(ctx, fmt.Sprint("k", i), value, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Fill what is left of the disk.
	filler := filepath.Join(disk, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			break
		}
	}
	f.Close()

	id, _ := age.GenerateX25519Identity()
	q := url.Values{"db": {"full"}, "recipient": {id.Recipient().String()}}
	st, body := streamBackup(e, herodbtest.AdminSecret, q)
	if st != http.StatusInternalServerError || !strings.Contains(string(body), "database 1 cannot be backed up: flushing its changes") {
		t.Fatalf("backup with its flush failing: HTTP %d %s, want 500 naming the database", st, body)
	}
	if bytes.Contains(body, []byte("age-encryption")) || bytes.Contains(body, []byte(disk)) {
		t.Errorf("the refusal holds part of a backup or a path: %s", body)
	}
	for _, q := range []url.Values{{"all": {"true"}, "recipient": q["recipient"]}} {
		if st, body := streamBackup(e, herodbtest.AdminSecret, q); st != http.StatusInternalServerError {
			t.Errorf("node backup on the full disk: HTTP %d %.200q, want 500", st, body)
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	st, file := streamBackup(e, herodbtest.AdminSecret, q)
	if st != http.StatusOK {
		t.Fatalf("backup once space was freed: HTTP %d %s", st, file)
	}
	st, _, body = e.do(http.MethodPost, "/restore?name=back", herodbtest.AdminSecret, bytes.NewReader(plaintext(t, file, id)))
	if st != http.StatusOK || !strings.Contains(string(body), `"keys":64`) {
		t.Fatalf("restore: HTTP %d %s, want 64 keys", st, body)
	}
}

// TestBackupAcrossKeyRotation: a backup taken before a key rotation restores what it
// held; one taken after it carries every key term (admin.DatabaseKeys) and restores
// records sealed under both.
func TestBackupAcrossKeyRotation(t *testing.T) {
	e := newRPCEnv(t)
	ctx := context.Background()
	a := e.srv.Admin()
	app := e.srv.CreateDatabase(t, "app", false)
	c := adminRedis(t, e.srv, app)
	if err := c.Set(ctx, "old", "under term 1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	id, _ := age.GenerateX25519Identity()
	q := url.Values{"db": {"app"}, "recipient": {id.Recipient().String()}}
	st, before := streamBackup(e, herodbtest.AdminSecret, q)
	if st != http.StatusOK {
		t.Fatalf("backup before the rotation: HTTP %d", st)
	}
	mustOK(t, e.callFn(), "herodb_rotateDatabaseKey", []any{app, false})
	if err := c.Set(ctx, "new", "under term 2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	keys, err := a.DatabaseKeys(app)
	if err != nil || len(keys) != 2 || keys[1] == nil || keys[2] == nil {
		t.Fatalf("DatabaseKeys after one rotation: terms %v, %v; want 1 and 2", termsOf(keys), err)
	}
	st, after := streamBackup(e, herodbtest.AdminSecret, q)
	if st != http.StatusOK {
		t.Fatalf("backup after the rotation: HTTP %d", st)
	}
	plainAfter := plaintext(t, after, id)
	for _, term := range []string{`"1":`, `"2":`} {
		if !bytes.Contains(plainAfter, []byte(term)) {
			t.Errorf("the backup after the rotation has no key term %s", term)
		}
	}

	restore := func(plain []byte, name string) *redis.Client {
		t.Helper()
		st, _, body := e.do(http.MethodPost, "/restore?name="+name, herodbtest.AdminSecret, bytes.NewReader(plain))
		if st != http.StatusOK {
			t.Fatalf("restore %s: HTTP %d %s", name, st, body)
		}
		d, _ := a.Database(name)
		return adminRedis(t, e.srv, d.ID)
	}
	want := func(c *redis.Client, key, v string) {
		t.Helper()
		got, err := c.Get(ctx, key).Result()
		if v == "" {
			if err != redis.Nil {
				t.Errorf("GET %s: %q, %v; want no such key", key, got, err)
			}
			return
		}
		if err != nil || got != v {
			t.Errorf("GET %s: %q, %v; want %q", key, got, err, v)
		}
	}
	b := restore(plaintext(t, before, id), "before")
	want(b, "old", "under term 1")
	want(b, "new", "")
	r := restore(plainAfter, "after")
	want(r, "old", "under term 1")
	want(r, "new", "under term 2")
	// Restored databases have one term of their own.
	for _, name := range []string{"before", "after"} {
		d, _ := a.Database(name)
		if keys, err := a.DatabaseKeys(d.ID); err != nil || len(keys) != 1 {
			t.Errorf("%s: key terms %v, %v; want one", name, termsOf(keys), err)
		}
	}
}

func termsOf(keys map[uint32][]byte) []uint32 {
	var out []uint32
	for t := range keys {
		out = append(out, t)
	}
	return out
}
