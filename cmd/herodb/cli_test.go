package main

// End-to-end tests of the management CLI: the herodb binary, built once, run as a
// subprocess against a herodbtest server whose RPC is served over HTTP on loopback (and
// over a Unix socket for --rpc <path>).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
)

// cliEnv is a server with its RPC on HTTP and on a Unix socket.
type cliEnv struct {
	srv    *herodbtest.Server
	url    string
	socket string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	srv, svc, hs := serveRPC(t)
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

type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary with HERODB_RPC and HERODB_ADMIN_SECRET pointing at the env;
// extraEnv entries (KEY=VALUE) override them, KEY= unsets.
func (e *cliEnv) run(t *testing.T, extraEnv []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, herodbBin, args...)
	env := map[string]string{"HERODB_RPC": e.url, "HERODB_ADMIN_SECRET": herodbtest.AdminSecret}
	for _, kv := range extraEnv {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var set []string
	for k, v := range env {
		if v != "" {
			set = append(set, k+"="+v)
		}
	}
	var r result
	r.stdout, r.stderr, r.code = execHerodb(t, cmd, set)
	if strings.Contains(r.stdout+r.stderr, herodbtest.AdminSecret) {
		t.Errorf("herodb %v printed the admin secret:\n%s%s", args, r.stdout, r.stderr)
	}
	return r
}

// ok runs and wants exit 0 with nothing on stderr.
func (e *cliEnv) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := e.run(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("herodb %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("herodb %s: stderr %q", strings.Join(args, " "), r.stderr)
	}
	return r.stdout
}

// fails wants a non-zero exit with exactly one line on stderr holding each of msgHas.
func (e *cliEnv) fails(t *testing.T, extraEnv []string, msgHas []string, args ...string) result {
	t.Helper()
	r := e.run(t, extraEnv, args...)
	if r.code == 0 {
		t.Errorf("herodb %s: exit 0, want a failure\nstdout: %s", strings.Join(args, " "), r.stdout)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("herodb %s: stderr is not one line: %q", strings.Join(args, " "), r.stderr)
	}
	for _, s := range msgHas {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("herodb %s: stderr %q does not mention %q", strings.Join(args, " "), r.stderr, s)
		}
	}
	if r.stdout != "" {
		t.Errorf("herodb %s failed but printed on stdout: %q", strings.Join(args, " "), r.stdout)
	}
	return r
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

type cliDB struct {
	ID        uint64 `json:"id"`
	Name      string `json:"name"`
	Public    any    `json:"public"`
	Encrypted bool   `json:"encrypted"`
	MaxSize   int64  `json:"max_size"`
	KeyCount  int64  `json:"key_count"`
}

func TestCLIDatabaseLifecycle(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)

	// db create prints the id and nothing else.
	out := e.ok(t, "db", "create", "--name", "app")
	id, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil || id == 0 || out != strings.TrimSpace(out)+"\n" {
		t.Fatalf("db create printed %q, want an id on one line", out)
	}
	if d, ok := e.srv.Admin().Database("app"); !ok || d.ID != id || d.Public != admin.AccessNone {
		t.Fatalf("db create --name app: the server has %+v", d)
	}

	// An encryption key from a file is never shown afterwards.
	encKey := "cli-encryption-key-0123456789abcdef"
	keyFile := filepath.Join(t.TempDir(), "enc.key")
	if err := os.WriteFile(keyFile, []byte(encKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = e.ok(t, "db", "create", "--name", "vault", "--encryption-key-file", keyFile, "--max-size", "1048576", "--public-read")
	vaultID, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil || vaultID == id {
		t.Fatalf("db create vault printed %q", out)
	}
	out = e.ok(t, "db", "create", "--json", "--public")
	var created struct {
		ID uint64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ID == 0 {
		t.Errorf("db create --json printed %q", out)
	}

	// db list: a table with a header and the names.
	out = e.ok(t, "db", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "NAME") || !strings.Contains(out, "app") || !strings.Contains(out, "vault") {
		t.Errorf("db list:\n%s", out)
	}
	for _, l := range lines[1:] {
		if strings.Contains(l, "app") && !strings.Contains(l, "private") {
			t.Errorf("db list row for app does not say private: %q", l)
		}
	}

	// db list --json: valid JSON, every database, no key.
	out = e.ok(t, "db", "list", "--json")
	var dbs []cliDB
	if err := json.Unmarshal([]byte(out), &dbs); err != nil {
		t.Fatalf("db list --json is not JSON: %v\n%s", err, out)
	}
	byName := map[string]cliDB{}
	for _, d := range dbs {
		byName[d.Name] = d
	}
	if len(dbs) != 3 || byName["app"].ID != id || byName["vault"].Public != "read" || byName["vault"].MaxSize != 1<<20 || byName[""].Public != true {
		t.Errorf("db list --json: %+v", dbs)
	}
	if strings.Contains(out, encKey) {
		t.Errorf("db list --json shows the encryption key")
	}

	// db info, by name and by id.
	out = e.ok(t, "db", "info", "app")
	if !strings.Contains(out, "app") || !strings.Contains(out, "private") || !strings.Contains(out, strconv.FormatUint(id, 10)) {
		t.Errorf("db info app:\n%s", out)
	}
	out = e.ok(t, "db", "info", strconv.FormatUint(vaultID, 10), "--json")
	var info cliDB
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.Name != "vault" || !info.Encrypted || info.MaxSize != 1<<20 {
		t.Errorf("db info <id> --json: %v %s", err, out)
	}
	if strings.Contains(out, encKey) {
		t.Errorf("db info shows the encryption key")
	}

	// db public: read, on, off — seen by the server and by db info.
	for _, c := range []struct {
		arg  string
		want admin.Access
		json any
	}{
		{"read", admin.AccessRead, "read"},
		{"on", admin.AccessReadWrite, true},
		{"off", admin.AccessNone, false},
		{"read", admin.AccessRead, "read"},
	} {
		e.ok(t, "db", "public", "app", c.arg)
		if d, _ := e.srv.Admin().Database("app"); d.Public != c.want {
			t.Errorf("db public app %s: server has %v", c.arg, d.Public)
		}
		var d cliDB
		if err := json.Unmarshal([]byte(e.ok(t, "db", "info", "app", "--json")), &d); err != nil || d.Public != c.json {
			t.Errorf("db public app %s: info says %v (%v)", c.arg, d.Public, err)
		}
	}
	// The public-read database is readable without a key over RESP.
	rdb := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), DB: int(id), MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Get(context.Background(), "missing").Err(); err != redis.Nil {
		t.Errorf("GET on a public-read database: %v", err)
	}
	e.fails(t, nil, []string{"on, off or read"}, "db", "public", "app", "maybe")

	// db delete; afterwards info fails and the name stays taken.
	out = e.ok(t, "db", "delete", "app")
	if !strings.Contains(out, "app") {
		t.Errorf("db delete app printed %q", out)
	}
	if _, ok := e.srv.Admin().Database("app"); ok {
		t.Errorf("db delete app: the database is still there")
	}
	e.fails(t, nil, []string{"does not exist"}, "db", "info", "app")
	e.fails(t, nil, []string{"app"}, "db", "create", "--name", "app")
	e.fails(t, nil, []string{"name"}, "db", "create", "--name", "Bad Name")
}

// TestCLICreateCount: db create --count makes many unnamed databases in one call and
// prints their ids, one per line, in order; each exists with the options given.
func TestCLICreateCount(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	out := e.ok(t, "db", "create", "--count", "5", "--public-read")
	ids := strings.Fields(out)
	if len(ids) != 5 {
		t.Fatalf("db create --count 5 printed %q", out)
	}
	var prev uint64
	for i, s := range ids {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || (i > 0 && n != prev+1) {
			t.Fatalf("db create --count 5 printed %q: not consecutive ids", out)
		}
		prev = n
		if d, ok := e.srv.Admin().DatabaseByID(n); !ok || d.Public != admin.AccessRead {
			t.Errorf("database %d: %v, %v; want it public-read", n, d, ok)
		}
	}
	e.fails(t, nil, []string{"--count"}, "db", "create", "--count", "3", "--name", "many")
	e.fails(t, nil, []string{"count"}, "db", "create", "--count", "0")
}

func TestCLIKeys(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.ok(t, "db", "create", "--name", "app")

	// key add: a generated key printed once, with its hash.
	added := e.run(t, nil, "key", "add", "app")
	key := strings.TrimSuffix(added.stdout, "\n")
	if added.code != 0 || len(key) < admin.MinAccessKeyLen || strings.ContainsAny(key, "\n ") {
		t.Fatalf("key add printed %q (exit %d): want the key alone on stdout", added.stdout, added.code)
	}
	hash := sha256hex(key)
	if !strings.Contains(added.stderr, hash) {
		t.Errorf("key add's note on stderr does not show the key's hash %s:\n%s", hash, added.stderr)
	}

	// key list --json: the hash, never the key.
	out := e.ok(t, "key", "list", "app", "--json")
	if strings.Contains(out, key) {
		t.Errorf("key list --json shows the key")
	}
	var keys []struct {
		Hash        string `json:"hash"`
		Permissions string `json:"permissions"`
		CreatedAt   int64  `json:"created_at"`
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 1 || keys[0].Hash != hash || keys[0].Permissions != "readwrite" || keys[0].CreatedAt == 0 {
		t.Fatalf("key list --json: %v %s", err, out)
	}
	out = e.ok(t, "key", "list", "app")
	if !strings.Contains(out, hash) || !strings.Contains(out, "HASH") || strings.Contains(out, key) {
		t.Errorf("key list table:\n%s", out)
	}

	// key add --read --key-file: the given key; only its hash is printed.
	given := "reader-key-from-a-file-0123456789"
	kf := filepath.Join(t.TempDir(), "reader.key")
	if err := os.WriteFile(kf, []byte(given+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = e.ok(t, "key", "add", "app", "--read", "--key-file", kf)
	if strings.Contains(out, given) || !strings.Contains(out, sha256hex(given)) || !strings.Contains(out, "read") {
		t.Errorf("key add --key-file printed %q", out)
	}
	// A too-short key from a file is refused with the minimum.
	short := filepath.Join(t.TempDir(), "short.key")
	os.WriteFile(short, []byte("my-access-key"), 0o600)
	r := e.fails(t, nil, []string{"16"}, "key", "add", "app", "--key-file", short)
	if strings.Contains(r.stderr, "my-access-key") {
		t.Errorf("the refusal echoes the key: %q", r.stderr)
	}

	// key delete by hash.
	out = e.ok(t, "key", "delete", "app", hash)
	if !strings.Contains(out, hash) {
		t.Errorf("key delete printed %q", out)
	}
	out = e.ok(t, "key", "list", "app", "--json")
	if strings.Contains(out, hash) || !strings.Contains(out, sha256hex(given)) {
		t.Errorf("key list after delete: %s", out)
	}
	e.fails(t, nil, []string{"no access key"}, "key", "delete", "app", hash)
	e.ok(t, "key", "delete", "app", sha256hex(given))
	if out := strings.TrimSpace(e.ok(t, "key", "list", "app", "--json")); out != "[]" {
		t.Errorf("key list with no keys --json: %q, want []", out)
	}
}

func TestCLIErrors(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.ok(t, "db", "create", "--name", "app")

	e.fails(t, nil, []string{"nope"}, "db", "info", "nope")
	e.fails(t, nil, []string{"does not exist"}, "db", "delete", "4242")
	e.fails(t, nil, []string{"does not exist"}, "key", "list", "nope")

	wrong := "not-the-admin-secret-Qx7"
	r := e.fails(t, []string{"HERODB_ADMIN_SECRET=" + wrong}, []string{"invalid credential"}, "db", "list")
	if strings.Contains(r.stderr, wrong) {
		t.Errorf("the error echoes the wrong secret: %q", r.stderr)
	}
	e.fails(t, []string{"HERODB_ADMIN_SECRET=" + wrong}, []string{"invalid credential"}, "db", "create", "--name", "other")
	if _, ok := e.srv.Admin().Database("other"); ok {
		t.Errorf("a wrong secret created a database")
	}
	e.fails(t, []string{"HERODB_ADMIN_SECRET="}, []string{"HERODB_ADMIN_SECRET"}, "db", "list")
	// Nobody listening.
	e.fails(t, []string{"HERODB_RPC=http://127.0.0.1:1"}, []string{"cannot reach"}, "db", "list")
	// Argument mistakes.
	e.fails(t, nil, nil, "db", "info")
	e.fails(t, nil, nil, "db", "info", "a", "b")
	e.fails(t, nil, nil, "key", "delete", "app")
	r = e.run(t, nil, "db", "frobnicate")
	if r.code == 0 || !strings.Contains(r.stderr, "frobnicate") {
		t.Errorf("db frobnicate: exit %d stderr %q", r.code, r.stderr)
	}
	// --help exits 0 and shows an example.
	r = e.run(t, nil, "db", "create", "--help")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "herodb db create --name app") {
		t.Errorf("db create --help: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestCLISocket(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	// The socket needs no credential: unset it, and point HERODB_RPC nowhere useful.
	noCred := []string{"HERODB_ADMIN_SECRET=", "HERODB_RPC=http://127.0.0.1:1"}
	ok := func(args ...string) string {
		t.Helper()
		r := e.run(t, noCred, append(args, "--rpc", e.socket)...)
		if r.code != 0 {
			t.Fatalf("herodb %v --rpc socket: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	id := strings.TrimSpace(ok("db", "create", "--name", "sockdb"))
	if d, found := e.srv.Admin().Database("sockdb"); !found || strconv.FormatUint(d.ID, 10) != id {
		t.Fatalf("db create over the socket printed %q; server has %+v", id, d)
	}
	if out := ok("db", "list"); !strings.Contains(out, "sockdb") {
		t.Errorf("db list over the socket:\n%s", out)
	}
	ok("db", "public", id, "read")
	out := ok("key", "add", "sockdb")
	key := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
	if out := ok("key", "list", "sockdb", "--json"); !strings.Contains(out, sha256hex(key)) || strings.Contains(out, key) {
		t.Errorf("key list over the socket: %s", out)
	}
	// Errors over the socket are one line too.
	r := e.run(t, noCred, "db", "info", "nope", "--rpc", e.socket)
	if r.code == 0 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "nope") {
		t.Errorf("db info nope over the socket: exit %d stderr %q", r.code, r.stderr)
	}
	// HERODB_RPC may name the socket.
	r = e.run(t, []string{"HERODB_ADMIN_SECRET=", "HERODB_RPC=" + e.socket}, "db", "info", "sockdb", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"read"`) {
		t.Errorf("HERODB_RPC=<socket> db info: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	ok("db", "delete", "sockdb")
	// A socket path that does not exist: a one-line error.
	r = e.run(t, noCred, "db", "list", "--rpc", filepath.Join(filepath.Dir(e.socket), "missing.sock"))
	if r.code == 0 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("a missing socket: exit %d stderr %q", r.code, r.stderr)
	}
}
