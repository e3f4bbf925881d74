package server_test

// Durability and encryption at rest, end to end: restart on the same directory, kill -9
// of the real binary, a wrong admin secret, and the bytes on disk.

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

func TestDurabilityRestart(t *testing.T) {
	dir := t.TempDir()
	srv, db := tServer(t, herodbtest.Options{Dir: dir})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db), Protocol: 2})
	pipe := rdb.Pipeline()
	for i := 0; i < 100; i++ {
		pipe.Set(tCtx, "k"+strconv.Itoa(i), "v"+strconv.Itoa(i), 0)
	}
	pipe.Set(tCtx, "ttl", "v", time.Hour)
	pipe.IncrBy(tCtx, "n", 42)
	_, err := pipe.Exec(tCtx)
	tNoErr(t, "pipeline", err)
	_, err = rdb.TxPipelined(tCtx, func(p redis.Pipeliner) error {
		p.Set(tCtx, "tx1", "a", 0)
		p.Set(tCtx, "tx2", "b", 0)
		return nil
	})
	tNoErr(t, "tx", err)
	rdb.Close()
	tNoErr(t, "Close", srv.Close())

	srv2 := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	rdb2 := tClient(t, srv2.Addr(), db)
	for i := 0; i < 100; i++ {
		if v, err := rdb2.Get(tCtx, "k"+strconv.Itoa(i)).Result(); err != nil || v != "v"+strconv.Itoa(i) {
			t.Fatalf("after restart k%d: %q %v", i, v, err)
		}
	}
	tEq(t, "n", rdb2.Get(tCtx, "n").Val(), "42")
	tEq(t, "tx1", rdb2.Get(tCtx, "tx1").Val(), "a")
	tEq(t, "tx2", rdb2.Get(tCtx, "tx2").Val(), "b")
	if ttl := rdb2.TTL(tCtx, "ttl").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL after restart: %v", ttl)
	}
	tEq(t, "DBSIZE", rdb2.DBSize(tCtx).Val(), 104)
	// The database is still found by name.
	c := tDial(t, srv2.Addr())
	tEq(t, "SELECT by name after restart", c.do("SELECT", "app"), tOK)
}

func TestEncryptionOnDisk(t *testing.T) {
	dir := t.TempDir()
	srv, db := tServer(t, herodbtest.Options{Dir: dir})
	c := tSelected(t, srv.Addr(), db)
	secrets := []string{
		"zebrakeyname7731", "platypusvalue9920", "quokka-appended-4410", "wombat-renamed-5521",
		"narwhal-ttl-key-6632", "axolotl-mset-value-8843",
	}
	tEq(t, "SET", c.do("SET", secrets[0], secrets[1]), tOK)
	tEq(t, "APPEND", c.do("APPEND", secrets[0], secrets[2])[0], byte(':'))
	tEq(t, "SET", c.do("SET", "tmp", "x"), tOK)
	tEq(t, "RENAME", c.do("RENAME", "tmp", secrets[3]), tOK)
	tEq(t, "SETEX", c.do("SETEX", secrets[4], "1000", "v"), tOK)
	tEq(t, "MSET", c.do("MSET", "m1", secrets[5], "m2", strings.Repeat(secrets[5], 50)), tOK)
	tNoErr(t, "Close", srv.Close())

	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for _, s := range append(secrets, herodbtest.AdminSecret) {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in the clear", path, s)
			}
		}
		return nil
	})
	tNoErr(t, "walk", err)
	if n < 2 {
		t.Errorf("only %d files in %s", n, dir)
	}
}

// tFreePort is a port that was free a moment ago.
func tFreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tBuildHerodb builds the real binary into a temp dir.
func tBuildHerodb(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "herodb")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/herodb")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tStartBinary starts the binary with args and waits until it answers PING.
func tStartBinary(t testing.TB, bin string, port int, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--port", strconv.Itoa(port)}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("herodb did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tHashDir(t testing.TB, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[path] = sha256.Sum256(b)
		return nil
	})
	tNoErr(t, "hash dir", err)
	return out
}

func TestDurabilityKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := tBuildHerodb(t)
	dir := filepath.Join(t.TempDir(), "data")
	secretFile := filepath.Join(t.TempDir(), "secret")
	tNoErr(t, "write secret", os.WriteFile(secretFile, []byte("kill9-admin-secret\n"), 0o600))
	port := tFreePort(t)
	args := []string{"--dev", "--dir", dir, "--admin-secret-file", secretFile, "--rpc-port", strconv.Itoa(tFreePort(t))}

	cmd := tStartBinary(t, bin, port, args...)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: 1, Protocol: 2, MaxRetries: -1})
	for i := 0; i < 200; i++ {
		k := "kill9:" + strconv.Itoa(i)
		if err := rdb.Set(tCtx, k, strings.Repeat(k, 10), 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	rdb.Close()
	tNoErr(t, "kill", cmd.Process.Kill())
	cmd.Wait()

	cmd = tStartBinary(t, bin, port, args...)
	rdb = redis.NewClient(&redis.Options{Addr: addr, DB: 1, Protocol: 2})
	for i := 0; i < 200; i++ {
		k := "kill9:" + strconv.Itoa(i)
		if v, err := rdb.Get(tCtx, k).Result(); err != nil || v != strings.Repeat(k, 10) {
			t.Fatalf("after kill -9, %s: %q %v", k, v, err)
		}
	}
	tEq(t, "DBSIZE", rdb.DBSize(tCtx).Val(), 200)
	rdb.Close()
	tNoErr(t, "kill", cmd.Process.Kill())
	cmd.Wait()

	// A wrong admin secret: refused at start, one line on stderr, files untouched.
	before := tHashDir(t, dir)
	wrong := filepath.Join(t.TempDir(), "wrong")
	tNoErr(t, "write wrong secret", os.WriteFile(wrong, []byte("not-the-secret\n"), 0o600))
	run := exec.Command(bin, "serve", "--dir", dir, "--port", strconv.Itoa(port), "--admin-secret-file", wrong)
	var stderr, stdout bytes.Buffer
	run.Stderr, run.Stdout = &stderr, &stdout
	done := make(chan error, 1)
	tNoErr(t, "start", run.Start())
	go func() { done <- run.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		run.Process.Kill()
		t.Fatal("herodb with a wrong admin secret did not exit")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("exit with wrong secret: %v, want a non-zero exit code", err)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "admin secret does not match the data in") {
		t.Errorf("stderr: %q", msg)
	}
	if strings.Count(strings.TrimRight(msg, "\n"), "\n") != 0 {
		t.Errorf("stderr is not a single line: %q", msg)
	}
	if strings.Contains(msg+stdout.String(), "not-the-secret") || strings.Contains(msg, "kill9-admin-secret") {
		t.Errorf("stderr shows a secret: %q", msg)
	}
	after := tHashDir(t, dir)
	if len(after) != len(before) {
		t.Errorf("files changed: %d before, %d after", len(before), len(after))
	}
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed after a refused start", p)
		}
	}
}
