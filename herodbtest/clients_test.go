package herodbtest_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// The client examples of docs/clients.md, run for real: each script in clients/
// connects with an access key in a redis:// URL, a named token as password and db, and
// a JWT it signs itself, and prints what it read. A client that is not installed skips
// with how to install it.

// clientEnv starts a server with a private database "app" and returns the environment
// the scripts read.
func clientEnv(t *testing.T) []string {
	t.Helper()
	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", false)
	der, err := x509.MarshalPKCS8PrivateKey(srv.JWTPrivateKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(),
		"REDIS_URL="+srv.URL(db, srv.AddAccessKey(t, db, "readwrite")),
		"HERODB_ADDR="+srv.Addr(),
		"HERODB_DB="+strconv.FormatUint(db, 10),
		"HERODB_TOKEN="+srv.CreateToken(t, "reader", "app:read"),
		"HERODB_JWT_PRIVATE_KEY="+string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	)
}

// runClient runs a client script and compares its output with want.
func runClient(t *testing.T, env []string, want string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	if string(out) != want {
		t.Fatalf("%s printed\n%s\nwant\n%s", args[len(args)-1], out, want)
	}
}

const clientsWant = "access key: hello\ntoken: hello\njwt: hello\njwt write: NOPERM\n"

// npmModules is where the Node examples' packages are installed (clients/package.json).
func npmModules(t *testing.T, mods ...string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := os.Getenv("HERODBTEST_NPM_CACHE")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "herodbtest-npm")
	}
	for _, m := range mods {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", m, "package.json")); err != nil {
			t.Skipf("%s is not installed in %s: cp herodbtest/clients/package.json %s && npm install --prefix %s", m, dir, dir, dir)
		}
	}
	return filepath.Join(dir, "node_modules")
}

func TestClientIORedis(t *testing.T) {
	mods := npmModules(t, "ioredis", "jose")
	env := append(clientEnv(t), "NODE_PATH="+mods)
	runClient(t, env, clientsWant, "node", filepath.Join("clients", "ioredis.js"))
}

func TestClientNodeRedis(t *testing.T) {
	mods := npmModules(t, "redis", "jose")
	env := append(clientEnv(t), "NODE_PATH="+mods)
	runClient(t, env, clientsWant, "node", filepath.Join("clients", "node-redis.js"))
}

func TestClientRedisPy(t *testing.T) {
	py := "/usr/bin/python3" // the distribution's, where python3-redis and python3-jwt install
	if _, err := os.Stat(py); err != nil {
		py = "python3"
	}
	if err := exec.Command(py, "-c", "import redis, jwt, cryptography").Run(); err != nil {
		t.Skip("redis-py, PyJWT or cryptography is not installed for python3 (apt-get install python3-redis python3-jwt python3-cryptography)")
	}
	want := strings.Replace(clientsWant, "NOPERM", "NoPermissionError", 1)
	runClient(t, clientEnv(t), want, py, filepath.Join("clients", "redis_py.py"))
}

// TestClientRedisCLI: redis-cli with -u and a URL, and with --user default --pass, the
// two forms docs/clients.md gives.
func TestClientRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli is not installed (apt-get install redis-tools)")
	}
	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", false)
	key := srv.AddAccessKey(t, db, "readwrite")
	env := os.Environ()
	runClient(t, env, "OK\n", "redis-cli", "--no-auth-warning", "-u", srv.URL(db, key), "SET", "greeting", "hello")
	host, port, _ := strings.Cut(srv.Addr(), ":")
	tok := srv.CreateToken(t, "reader", "app:read")
	runClient(t, env, "hello\n", "redis-cli", "--no-auth-warning", "-h", host, "-p", port,
		"-n", strconv.FormatUint(db, 10), "--user", "default", "--pass", tok, "GET", "greeting")
	jwt := srv.MintJWT(t, map[string]any{"p": map[string]any{"ro": map[string]any{"ns": []string{"app"}}}})
	runClient(t, env, "hello\n", "redis-cli", "--no-auth-warning", "-u", srv.URL(db, jwt), "GET", "greeting")
	runClient(t, append(env, "REDISCLI_AUTH="+jwt), "hello\n", "redis-cli", "-h", host, "-p", port,
		"-n", strconv.FormatUint(db, 10), "GET", "greeting")
}
