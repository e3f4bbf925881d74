package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// TestRotateKeyKilledDuringRewrite: the real server, killed with SIGKILL while it
// rewrites a database under a new key term, resumes the rewrite at its next start and
// finishes it: every acknowledged record reads back, no record in the file is sealed
// under term 1, and herodb check finds the stopped directory clean.
func TestRotateKeyKilledDuringRewrite(t *testing.T) {
	const secret = "an-admin-secret-for-the-rotation-test"
	dir := t.TempDir() + "/data"
	secretF := rkWrite(t, "secret", secret)
	serve := func() (*rkProc, string, []string) {
		rpcPort := strconv.Itoa(rkFreePort(t))
		p, addr := rkServe(t, herodbBin, nil, "--dir", dir, "--admin-secret-file", secretF, "--enable-rpc", "--rpc-port", rpcPort)
		return p, addr, []string{"HERODB_RPC=http://127.0.0.1:" + rpcPort, "HERODB_ADMIN_SECRET=" + secret}
	}
	cli := func(env []string, args ...string) string {
		t.Helper()
		stdout, stderr, code := execHerodb(t, exec.Command(herodbBin, args...), env)
		if code != 0 {
			t.Fatalf("herodb %v: exit %d: %s", args, code, stderr)
		}
		return stdout
	}
	p, addr, env := serve()
	id, err := strconv.ParseUint(strings.TrimSpace(lastLine(cli(env, "db", "create", "--name", "app"))), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Password: secret, DB: int(id), MaxRetries: -1})
	const n = 20000
	write := func(c *redis.Client) {
		pipe := c.Pipeline()
		for i := range n {
			pipe.Set(ctx, "s"+strconv.Itoa(i), strconv.Itoa(i), 0)
			pipe.HSet(ctx, "h", strconv.Itoa(i), strconv.Itoa(i))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	write(c)
	c.Close()
	cli(env, "db", "rotate-key", "app", "--rewrite")
	p.cmd.Process.Kill()
	if !p.wait() {
		t.Fatal("herodb serve did not die on SIGKILL")
	}

	p, addr, env = serve()
	var info admin.Info
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := json.Unmarshal([]byte(cli(env, "db", "info", "app", "--json")), &info); err != nil {
			t.Fatal(err)
		}
		if r := info.Encryption.Rewrite; r != nil && !r.Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resumed rewrite did not end: %+v", info.Encryption)
		}
	}
	if r := info.Encryption.Rewrite; r.Error != "" || fmt.Sprint(info.Encryption.Terms) != "[2]" {
		t.Fatalf("after the resumed rewrite: %+v, %+v", info.Encryption, r)
	}
	c = redis.NewClient(&redis.Options{Addr: addr, Password: secret, DB: int(id), MaxRetries: -1})
	defer c.Close()
	for i := range n {
		if v, err := c.Get(ctx, "s"+strconv.Itoa(i)).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("GET s%d: %q, %v", i, v, err)
		}
	}
	if h, err := c.HLen(ctx, "h").Result(); err != nil || h != n {
		t.Fatalf("HLEN h: %d, %v", h, err)
	}
	rkStop(t, p)
	if !strings.Contains(p.stderr.String(), "resuming the rewrite") { // read once it exited
		t.Errorf("the restarted server did not resume the rewrite (did it finish before the kill?):\n%s", p.stderr)
	}

	if out, stderr, code := execHerodb(t, exec.Command(herodbBin, "check", "--dir", dir, "--admin-secret-file", secretF), nil); code != 0 {
		t.Errorf("herodb check after the rewrite: exit %d\n%s%s", code, out, stderr)
	}
	b, err := bolt.Open(storage.FilePath(dir, id), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	terms := map[uint32]int{}
	b.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"keys", "data", "namedkeys"} {
			if bk := tx.Bucket([]byte(name)); bk != nil {
				bk.ForEach(func(_, v []byte) error {
					term, _ := crypto.RecordTerm(v)
					terms[term]++
					return nil
				})
			}
		}
		return nil
	})
	if terms[1] != 0 || terms[2] < 2*n {
		t.Errorf("records by key term in the file: %v, want term 2 alone", terms)
	}
}
