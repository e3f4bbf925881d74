package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// Tests of changing the admin secret, offline (herodb rekey) and online
// (rotateAdminSecret). The crash tests cut the real process at every step with SIGKILL:
// a binary built with -tags crashhooks kills itself at the step HERODB_CRASH_AT names
// (crashhook.go). That is the real process dying with its files half-way, which a
// simulation on a copy of the directory would only imitate. bbolt's own commit is one
// step here: it is atomic by its meta page, which no hook of ours can cut inside.

const (
	rkOld = herodbtest.AdminSecret
	rkNew = "the-rotated-admin-secret-0123456789"
	rkKey = "an-access-key-of-the-app-database"
)

var (
	rkCrashOnce sync.Once
	rkCrashBin  string
	rkCrashErr  error
)

// rkCrashBinary builds herodb with its crash hooks, once.
func rkCrashBinary(t *testing.T) string {
	t.Helper()
	rkCrashOnce.Do(func() {
		rkCrashBin = filepath.Join(filepath.Dir(herodbBin), "herodb-crashhooks")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(gobin); err != nil {
			gobin = "go"
		}
		out, err := exec.Command(gobin, "build", "-tags", "crashhooks", "-o", rkCrashBin, ".").CombinedOutput()
		if err != nil {
			rkCrashErr = errors.New(err.Error() + ": " + string(out))
		}
	})
	if rkCrashErr != nil {
		t.Fatalf("build herodb with crash hooks: %v", rkCrashErr)
	}
	return rkCrashBin
}

// rkMakeDir makes a data directory with cheap KDF parameters (herodbtest's), the admin
// secret rkOld, and database "app" holding k=v, opened by the access key rkKey. The
// server is stopped when it returns.
func rkMakeDir(t *testing.T) (dir string, id uint64) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	srv := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	id = srv.CreateDatabase(t, "app", false)
	if err := srv.Admin().AddAccessKey(id, rkKey, admin.AccessReadWrite); err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	conn := c.Conn()
	defer conn.Close()
	if err := conn.Do(ctx, "SELECT", strconv.FormatUint(id, 10), "KEY", rkKey).Err(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, id
}

// rkCopyDir copies a stopped data directory.
func rkCopyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "data")
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// rkHashes is the SHA-256 of every file under dir, by relative path.
func rkHashes(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = sha256.Sum256(b)
		}
		return nil
	})
	return out
}

// rkOpens reports whether secret opens the stopped directory (in process, on its real
// files): false for "admin secret does not match"; any other failure ends the test.
func rkOpens(t *testing.T, dir, secret string) bool {
	t.Helper()
	a, err := admin.Open(admin.Config{Dir: dir, Secret: []byte(secret), KDF: crypto.TestKDF})
	var ae *admin.Error
	if errors.As(err, &ae) && ae.Code == admin.EWRONGSECRET {
		return false
	}
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	a.Close()
	return true
}

func rkWrite(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func rkFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// rkProc is a herodb serve process; done closes when it has exited, and state is then
// how it ended.
type rkProc struct {
	cmd    *exec.Cmd
	done   chan struct{}
	state  *os.ProcessState
	stderr *bytes.Buffer
}

// rkServe starts bin serve with args on a free port and waits until it accepts; the
// process is killed when the test ends if it still runs.
func rkServe(t *testing.T, bin string, env []string, args ...string) (p *rkProc, addr string) {
	t.Helper()
	port := rkFreePort(t)
	p = &rkProc{cmd: exec.Command(bin, append([]string{"serve", "--port", strconv.Itoa(port)}, args...)...),
		done: make(chan struct{}), stderr: &bytes.Buffer{}}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERODB_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	addr = "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return p, addr
		}
		select {
		case <-p.done:
			t.Fatalf("herodb serve %v exited: %s", args, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("herodb serve %v did not start", args)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the process to exit (at most 20 s) and reports whether it did.
func (p *rkProc) wait() bool {
	select {
	case <-p.done:
		return true
	case <-time.After(20 * time.Second):
		return false
	}
}

// rkRotateUntilCut asks the server at url to rotate the admin secret to rkNew, again
// until the call reaches it (the RPC listener may start after the RESP port answered,
// later still on a loaded machine) or the server has stopped (its cut point killed it).
func rkRotateUntilCut(t *testing.T, p *rkProc, url string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		req, _ := http.NewRequest("POST", url,
			strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"herodb_rotateAdminSecret","params":["`+rkNew+`"]}`))
		req.Header.Set("Authorization", "Bearer "+rkOld)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-p.done:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return // it reached the server, which died answering: the cut
		}
	}
}

// rkStop stops a server with SIGTERM and waits for it.
func rkStop(t *testing.T, p *rkProc) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if !p.wait() {
		t.Fatal("herodb serve did not stop on SIGTERM")
	}
}

// rkAuth answers AUTH secret on a new connection to addr ("" when accepted).
func rkAuth(t *testing.T, addr, secret string) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	if err := c.Do(context.Background(), "AUTH", secret).Err(); err != nil {
		return err.Error()
	}
	return ""
}

// TestRekeyOffline: herodb rekey on a stopped directory. A wrong old secret changes
// nothing; then only 0.db is rewritten, a restart with the new secret reads the data
// and one with the old stops with the one line a wrong secret gives.
func TestRekeyOffline(t *testing.T) {
	dir, id := rkMakeDir(t)
	oldF, newF, wrongF := rkWrite(t, "old", rkOld), rkWrite(t, "new", rkNew), rkWrite(t, "wrong", "not-the-admin-secret")
	before := rkHashes(t, dir)

	_, stderr, code := execHerodb(t, exec.Command(herodbBin, "rekey", "--dir", dir, "--old-secret-file", wrongF, "--new-secret-file", newF), nil)
	if code != 1 || stderr != "herodb: admin secret does not match the data in "+dir+"\n" {
		t.Fatalf("rekey with a wrong old secret: exit %d, stderr %q", code, stderr)
	}
	if after := rkHashes(t, dir); !mapsEqual(before, after) {
		t.Fatal("rekey with a wrong old secret changed files")
	}
	for _, tc := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"--new-secret-file", newF}, nil, "no old admin secret"},
		{[]string{"--old-secret-file", oldF}, nil, "no new admin secret"},
		{[]string{"--old-secret-file", oldF, "--new-secret-file", oldF}, nil, "is the current one"},
		{[]string{"--old-secret-file", oldF}, []string{"HERODB_NEW_ADMIN_SECRET=short"}, "16 bytes or more"},
		{[]string{"--old-secret-file", oldF, "--new-secret-file", newF}, []string{"HERODB_NEW_ADMIN_SECRET=" + rkNew}, "given twice"},
	} {
		_, stderr, code := execHerodb(t, exec.Command(herodbBin, append([]string{"rekey", "--dir", dir}, tc.args...)...), tc.env)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("rekey %v: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// A secret as a flag only is no option at all.
	if _, _, code := execHerodb(t, exec.Command(herodbBin, "rekey", "--dir", dir, "--new-secret", rkNew), []string{"HERODB_ADMIN_SECRET=" + rkOld}); code != 2 {
		t.Errorf("rekey --new-secret: exit %d, want 2 (no such flag)", code)
	}

	stdout, stderr, code := execHerodb(t, exec.Command(herodbBin, "rekey", "--dir", dir),
		[]string{"HERODB_ADMIN_SECRET=" + rkOld, "HERODB_NEW_ADMIN_SECRET=" + rkNew})
	if code != 0 || strings.Contains(stdout+stderr, rkNew) || strings.Contains(stdout+stderr, rkOld) {
		t.Fatalf("rekey: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	after := rkHashes(t, dir)
	for name, h := range before {
		if changed := after[name] != h; changed != (name == "0.db") {
			t.Errorf("%s changed: %v; only 0.db may change", name, changed)
		}
	}
	if len(after) != len(before) {
		t.Errorf("rekey added or removed files: %d before, %d after", len(before), len(after))
	}

	port := strconv.Itoa(rkFreePort(t))
	_, stderr, code = execHerodb(t, exec.Command(herodbBin, "serve", "--dir", dir, "--port", port, "--admin-secret-file", oldF), nil)
	if code != 1 || stderr != "herodb: admin secret does not match the data in "+dir+"\n" {
		t.Fatalf("serve with the old secret: exit %d, stderr %q; want one line", code, stderr)
	}
	srv, addr := rkServe(t, herodbBin, nil, "--dir", dir, "--admin-secret-file", newF)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	conn := c.Conn()
	defer conn.Close()
	ctx := context.Background()
	if err := conn.Do(ctx, "SELECT", strconv.FormatUint(id, 10), "KEY", rkKey).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := conn.Get(ctx, "k").Result(); v != "v" || err != nil {
		t.Errorf("GET k after the rekey: %q, %v", v, err)
	}
	if msg := rkAuth(t, addr, rkNew); msg != "" {
		t.Errorf("AUTH with the new secret: %s", msg)
	}
	if msg := rkAuth(t, addr, rkOld); !strings.HasPrefix(msg, "WRONGPASS") {
		t.Errorf("AUTH with the old secret: %q, want WRONGPASS", msg)
	}
	rkStop(t, srv)
}

func mapsEqual(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// rkWantOne checks that exactly one of the two secrets opens dir: the old one before
// the commit, the new one from it on.
func rkWantOne(t *testing.T, dir string, step admin.RekeyStep) {
	t.Helper()
	oldOK, newOK := rkOpens(t, dir, rkOld), rkOpens(t, dir, rkNew)
	wantNew := step == admin.StepCommitted || step == admin.StepDone
	if oldOK == newOK || newOK != wantNew {
		t.Errorf("killed at %s: the old secret opens: %v, the new: %v; want only the %s", step, oldOK, newOK,
			map[bool]string{true: "new", false: "old"}[wantNew])
	}
}

// TestRekeyCrashAtEveryStep kills herodb rekey with SIGKILL at each step, on a fresh
// copy each time: exactly one of the two secrets opens the directory afterwards, and the
// data stays. For a --dev directory (its secret in dev-admin-secret) the file is
// brought back in line with the secret that works.
func TestRekeyCrashAtEveryStep(t *testing.T) {
	bin := rkCrashBinary(t)
	base, _ := rkMakeDir(t)
	for _, dev := range []bool{false, true} {
		for _, step := range admin.RekeySteps {
			t.Run(map[bool]string{false: "plain", true: "dev"}[dev]+"/"+string(step), func(t *testing.T) {
				dir := rkCopyDir(t, base)
				env := []string{"HERODB_NEW_ADMIN_SECRET=" + rkNew, "HERODB_CRASH_AT=" + string(step)}
				devFile := filepath.Join(dir, "dev-admin-secret")
				if dev {
					if err := os.WriteFile(devFile, []byte(rkOld+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
				} else {
					env = append(env, "HERODB_ADMIN_SECRET="+rkOld)
				}
				cmd := exec.Command(bin, "rekey", "--dir", dir)
				_, stderr, code := execHerodb(t, cmd, env)
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
					t.Fatalf("rekey cut at %s: exit %d, stderr %q; want killed by SIGKILL", step, code, stderr)
				}
				rkWantOne(t, dir, step)
				if !dev {
					return
				}
				secret, err := admin.ResolveSecretFile(dir, devFile)
				if err != nil {
					t.Fatal(err)
				}
				if !rkOpens(t, dir, string(secret)) {
					t.Errorf("killed at %s: dev-admin-secret, resolved, does not open the directory", step)
				}
				if _, err := os.Stat(devFile + ".new"); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("killed at %s: dev-admin-secret.new left after resolving: %v", step, err)
				}
			})
		}
	}
}

// TestRotateAdminSecretOnline: herodb admin rotate-secret against a running server. The
// old secret stops working at once: on an AUTHed connection and a SELECT 0 KEY one at
// their next command, for new connections, and as the RPC's bearer. The new one works
// everywhere, and is the one a restart needs.
func TestRotateAdminSecretOnline(t *testing.T) {
	srv, _, hs := serveRPC(t)
	id := srv.CreateDatabase(t, "app", false)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer c.Close()
	authed, admin0 := c.Conn(), c.Conn()
	defer authed.Close()
	defer admin0.Close()
	if err := authed.Do(ctx, "AUTH", rkOld).Err(); err != nil {
		t.Fatal(err)
	}
	if err := authed.Do(ctx, "SELECT", strconv.FormatUint(id, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := authed.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := admin0.Do(ctx, "SELECT", "0", "KEY", rkOld).Err(); err != nil {
		t.Fatal(err)
	}
	rpcEnv := func(secret string) []string { return []string{"HERODB_RPC=" + hs.URL, "HERODB_ADMIN_SECRET=" + secret} }

	for _, tc := range []struct{ secret, want string }{
		{"short", "16 bytes or more"},
		{rkOld, "is the current one"},
	} {
		_, stderr, code := execHerodb(t, exec.Command(herodbBin, "admin", "rotate-secret", "--new-secret-file", rkWrite(t, "bad", tc.secret)), rpcEnv(rkOld))
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, tc.secret) {
			t.Errorf("rotate-secret to %q: exit %d, stderr %q; want exit 1 and %q, never the secret", tc.secret, code, stderr, tc.want)
		}
	}
	stdout, stderr, code := execHerodb(t, exec.Command(herodbBin, "admin", "rotate-secret", "--new-secret-file", rkWrite(t, "new", rkNew)), rpcEnv(rkOld))
	if code != 0 || !strings.Contains(stdout, "before its next restart") || strings.Contains(stdout+stderr, rkNew) {
		t.Fatalf("rotate-secret: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	if err := authed.Get(ctx, "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("GET on a connection AUTHed with the old secret: %v, want WRONGPASS", err)
	}
	if err := admin0.Do(ctx, "DBSIZE").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("DBSIZE on DB 0 selected with the old secret: %v, want WRONGPASS", err)
	}
	if msg := rkAuth(t, srv.Addr(), rkOld); !strings.HasPrefix(msg, "WRONGPASS") {
		t.Errorf("AUTH with the old secret: %q, want WRONGPASS", msg)
	}
	if msg := rkAuth(t, srv.Addr(), rkNew); msg != "" {
		t.Errorf("AUTH with the new secret: %q", msg)
	}
	if err := authed.Do(ctx, "AUTH", rkNew).Err(); err != nil {
		t.Fatal(err)
	}
	if err := authed.Do(ctx, "SELECT", strconv.FormatUint(id, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := authed.Get(ctx, "k").Result(); v != "v" || err != nil {
		t.Errorf("GET with the new secret: %q, %v", v, err)
	}
	if _, stderr, code := execHerodb(t, exec.Command(herodbBin, "db", "list"), rpcEnv(rkOld)); code != 1 || !strings.Contains(stderr, "credential") {
		t.Errorf("db list with the old bearer: exit %d, stderr %q; want refused", code, stderr)
	}
	if _, stderr, code := execHerodb(t, exec.Command(herodbBin, "db", "list"), rpcEnv(rkNew)); code != 0 {
		t.Errorf("db list with the new bearer: exit %d, stderr %q", code, stderr)
	}
	req, _ := http.NewRequest("POST", hs.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"herodb_listDatabases","params":[]}`))
	req.Header.Set("Authorization", "Bearer "+rkOld)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("RPC with the old bearer: %v %v; want 401", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}

	// The next start needs the new secret.
	srv.Close()
	if _, err := server.Start(server.Config{Dir: srv.Dir, AdminSecret: []byte(rkOld), KDF: crypto.TestKDF}); err == nil ||
		!strings.Contains(err.Error(), "admin secret does not match the data in "+srv.Dir) {
		t.Errorf("restart with the old secret: %v", err)
	}
	again := herodbtest.Start(t, herodbtest.Options{Dir: srv.Dir, Configure: func(c *server.Config) { c.AdminSecret = []byte(rkNew) }})
	if msg := rkAuth(t, again.Addr(), rkNew); msg != "" {
		t.Errorf("AUTH with the new secret after a restart: %q", msg)
	}
}

// TestRotateAdminSecretCrashDev: a server run with --dev rewrites its dev-admin-secret
// as it rotates. Killed with SIGKILL at each step of rotateAdminSecret, it starts again
// with --dev on the secret that works, whichever it is, and the other one opens nothing.
func TestRotateAdminSecretCrashDev(t *testing.T) {
	bin := rkCrashBinary(t)
	base, _ := rkMakeDir(t)
	if err := os.WriteFile(filepath.Join(base, "dev-admin-secret"), []byte(rkOld+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, step := range admin.RekeySteps[1:] { // online, the old secret is the caller's: no StepVerified
		t.Run(string(step), func(t *testing.T) {
			dir := rkCopyDir(t, base)
			rpcPort := strconv.Itoa(rkFreePort(t))
			p, _ := rkServe(t, bin, []string{"HERODB_CRASH_AT=" + string(step)}, "--dev", "--dir", dir, "--rpc-port", rpcPort)
			rkRotateUntilCut(t, p, "http://127.0.0.1:"+rpcPort)
			if !p.wait() {
				t.Fatalf("serve cut at %s did not stop", step)
			}
			if ws, ok := p.state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("serve cut at %s: %v, stderr %s; want killed by SIGKILL", step, p.state, p.stderr)
			}

			again, addr := rkServe(t, herodbBin, nil, "--dev", "--dir", dir, "--rpc-port", strconv.Itoa(rkFreePort(t)))
			b, err := os.ReadFile(filepath.Join(dir, "dev-admin-secret"))
			if err != nil {
				t.Fatal(err)
			}
			works, other := rkOld, rkNew
			if step == admin.StepCommitted || step == admin.StepDone {
				works, other = rkNew, rkOld
			}
			if got := strings.TrimSpace(string(b)); got != works {
				t.Errorf("killed at %s: dev-admin-secret holds %q, want %q", step, got, works)
			}
			if msg := rkAuth(t, addr, works); msg != "" {
				t.Errorf("killed at %s: AUTH %q: %s", step, works, msg)
			}
			if msg := rkAuth(t, addr, other); !strings.HasPrefix(msg, "WRONGPASS") {
				t.Errorf("killed at %s: AUTH %q: %q, want WRONGPASS", step, other, msg)
			}
			rkStop(t, again)
			if _, err := os.Stat(filepath.Join(dir, "dev-admin-secret.new")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("killed at %s: dev-admin-secret.new left: %v", step, err)
			}
			rkWantOne(t, dir, step)
		})
	}
}
