package main

// End-to-end tests of herodb backup and herodb restore: the real binary against a real
// server, real files, and the real age CLI where it is installed.

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
)

// ageKey writes a new age identity to a file and returns the file and its recipient.
func ageKey(t *testing.T) (string, string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(path, []byte("# test key\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, id.Recipient().String()
}

// adminClient opens database id with the admin secret (which opens every database).
func adminClient(t *testing.T, srv *herodbtest.Server, id uint64) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, DB: int(id), MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// fillTyped writes one key of each type, a TTL and a named key, and returns a check
// that a database holds them.
func fillTyped(t *testing.T, c *redis.Client) func(*testing.T, *redis.Client) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, "s", "string value", 0).Err())
	must(c.Set(ctx, "ttl", "soon gone", time.Hour).Err())
	must(c.HSet(ctx, "h", "f1", "v1", "f2", "v2").Err())
	must(c.RPush(ctx, "l", "a", "b", "c").Err())
	must(c.SAdd(ctx, "set", "x", "y").Err())
	must(c.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "m1"}, redis.Z{Score: -2, Member: "m2"}).Err())
	must(c.Do(ctx, "AGE", "KEYGEN", "named").Err())
	ct, err := c.Do(ctx, "AGE", "ENCRYPTNAME", "named", "sealed message").Text()
	must(err)
	return func(t *testing.T, c *redis.Client) {
		t.Helper()
		want := func(what string, got, exp any, err error) {
			t.Helper()
			if err != nil || fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Errorf("%s: got %v (err %v), want %v", what, got, err, exp)
			}
		}
		v, err := c.Get(ctx, "s").Result()
		want("GET s", v, "string value", err)
		ttl, err := c.TTL(ctx, "ttl").Result()
		want("TTL ttl kept", ttl > 50*time.Minute, true, err)
		hm, err := c.HGetAll(ctx, "h").Result()
		want("HGETALL h", hm, map[string]string{"f1": "v1", "f2": "v2"}, err)
		l, err := c.LRange(ctx, "l", 0, -1).Result()
		want("LRANGE l", l, []string{"a", "b", "c"}, err)
		n, err := c.SCard(ctx, "set").Result()
		want("SCARD set", n, 2, err)
		z, err := c.ZRangeWithScores(ctx, "z", 0, -1).Result()
		want("ZRANGE z", z, []redis.Z{{Score: -2, Member: "m2"}, {Score: 1.5, Member: "m1"}}, err)
		pt, err := c.Do(ctx, "AGE", "DECRYPTNAME", "named", ct).Text()
		want("AGE DECRYPTNAME with the restored named key", pt, "sealed message", err)
	}
}

// lastLine is the last line a command printed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestCLIBackupRestore(t *testing.T) {
	e := newCLIEnv(t)
	ctx := context.Background()
	id := e.srv.CreateDatabase(t, "app", false)
	src := adminClient(t, e.srv, id)
	check := fillTyped(t, src)
	keyFile, recipient := ageKey(t)
	dir := t.TempDir()

	// A write load runs through the backup; every write acknowledged before it began
	// must be restored.
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := src.Set(ctx, "w:"+strconv.FormatInt(i, 10), i, 0).Err(); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
			acked.Store(i + 1)
		}
	}()
	for acked.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	before := acked.Load()
	file := filepath.Join(dir, "app.age")
	out := e.ok(t, "backup", "--db", "app", "--to", file, "--recipient", recipient)
	during := acked.Load()
	close(stop)
	wg.Wait()
	if !strings.Contains(out, file) {
		t.Errorf("backup printed %q", out)
	}
	if during == before {
		t.Logf("no write was acknowledged while the backup ran (%d before)", before)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v", st, err)
	}

	t.Run("restore", func(t *testing.T) {
		out := e.ok(t, "restore", "--from", file, "--identity", keyFile, "--name", "app-restored")
		f := strings.Fields(lastLine(out))
		if len(f) != 2 || f[1] != "app-restored" {
			t.Fatalf("last line %q, want <id> app-restored", lastLine(out))
		}
		nid, _ := strconv.ParseUint(f[0], 10, 64)
		if nid == id || nid == 0 {
			t.Fatalf("restored into id %q", f[0])
		}
		dst := adminClient(t, e.srv, nid)
		check(t, dst)
		for i := int64(0); i < before; i++ {
			v, err := dst.Get(ctx, "w:"+strconv.FormatInt(i, 10)).Result()
			if err != nil || v != strconv.FormatInt(i, 10) {
				t.Fatalf("write %d, acknowledged before the backup began: %q, %v", i, v, err)
			}
		}
		// New id, new key, no access keys: the source's access key opens nothing here.
		if err := e.srv.Admin().AddAccessKey(id, "source-key-0123456789", admin.AccessReadWrite); err != nil {
			t.Fatal(err)
		}
		c := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), MaxRetries: -1})
		defer c.Close()
		if err := c.Do(ctx, "SELECT", nid, "KEY", "source-key-0123456789").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
			t.Errorf("SELECT the restored database with the source's access key: %v, want WRONGPASS", err)
		}
		if d, ok := e.srv.Admin().DatabaseByID(nid); !ok || d.Public != admin.AccessNone {
			t.Errorf("restored database: %+v, want private", d)
		}
	})

	t.Run("age CLI decrypts it", func(t *testing.T) {
		agePath, err := exec.LookPath("age")
		if err != nil {
			t.Skip("the age CLI is not installed (apt install age): skipping the check with the standard tool")
		}
		plain, err := exec.Command(agePath, "-d", "-i", keyFile, file).Output()
		if err != nil {
			t.Fatalf("age -d: %v", err)
		}
		tr := tar.NewReader(bytes.NewReader(plain))
		var names []string
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, h.Name)
		}
		want := fmt.Sprintf("herodb-backup.json db/%d.json db/%d.db end.json", id, id)
		if strings.Join(names, " ") != want {
			t.Errorf("the archive holds %v, want %s", names, want)
		}
		if bytes.Contains(plain, []byte("string value")) {
			t.Error("a value is in clear inside the archive: records must stay sealed")
		}
	})

	t.Run("wrong identity", func(t *testing.T) {
		other, _ := ageKey(t)
		e.fails(t, nil, []string{"was not encrypted to the identity"}, "restore", "--from", file, "--identity", other, "--name", "nope")
	})

	t.Run("taken name", func(t *testing.T) {
		e.fails(t, nil, []string{"taken"}, "restore", "--from", file, "--identity", keyFile, "--name", "app")
		e.fails(t, nil, []string{"taken"}, "restore", "--from", file, "--identity", keyFile) // the backup's own name
	})

	t.Run("cut or tampered file", func(t *testing.T) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		count := len(e.srv.Admin().Databases())
		cases := map[string][]byte{
			"cut":            raw[:len(raw)-300],
			"cut at a chunk": raw[:len(raw)/2],
			"flipped":        flip(raw, len(raw)/2),
			"flipped last":   flip(raw, len(raw)-5),
		}
		for name, b := range cases {
			bad := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".age")
			if err := os.WriteFile(bad, b, 0o600); err != nil {
				t.Fatal(err)
			}
			r := e.fails(t, nil, []string{"refused, nothing restored"}, "restore", "--from", bad, "--identity", keyFile, "--name", "bad-"+strings.ReplaceAll(name, " ", "-"))
			if !strings.Contains(r.stderr, "damaged or cut short") {
				t.Errorf("%s: %q does not say it is damaged or cut short", name, r.stderr)
			}
		}
		// The server learns that an aborted request broke off a moment after the CLI
		// has exited, and may only then stage its file: wait until nothing is staged
		// for half a second in a row (an empty directory seen once could come before a
		// late request's file; make test saw that once in about 30 runs).
		for i, empty := 0, 0; i < 200 && empty < 10; i++ {
			if left, _ := filepath.Glob(filepath.Join(e.srv.Dir, "tmp", "*")); len(left) == 0 {
				empty++
			} else {
				empty = 0
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n := len(e.srv.Admin().Databases()); n != count {
			t.Errorf("%d databases after refused restores, %d before: one was left behind", n, count)
		}
		if _, ok := e.srv.Admin().Database("bad-cut"); ok {
			t.Error("a refused restore left its database")
		}
		left, _ := filepath.Glob(filepath.Join(e.srv.Dir, "tmp", "*"))
		if len(left) != 0 {
			t.Errorf("staged files left: %v", left)
		}
	})

	t.Run("backup taken before a delete", func(t *testing.T) {
		e.ok(t, "db", "delete", "app")
		out := e.ok(t, "restore", "--from", file, "--identity", keyFile, "--name", "app-again")
		nid, _ := strconv.ParseUint(strings.Fields(lastLine(out))[0], 10, 64)
		check(t, adminClient(t, e.srv, nid))
	})
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x20
	return c
}

func TestCLIBackupErrors(t *testing.T) {
	e := newCLIEnv(t)
	_, recipient := ageKey(t)
	dir := t.TempDir()
	e.fails(t, nil, []string{"does not exist"}, "backup", "--db", "nosuch", "--to", filepath.Join(dir, "x.age"), "--recipient", recipient)
	e.fails(t, nil, []string{"--recipient"}, "backup", "--db", "1", "--to", filepath.Join(dir, "x.age"), "--recipient", "not-a-key")
	e.fails(t, nil, []string{"--db <db> or --all"}, "backup", "--to", filepath.Join(dir, "x.age"), "--recipient", recipient)
	e.fails(t, []string{"HERODB_RPC=" + e.socket}, []string{"not the Unix socket"}, "backup", "--all", "--to", filepath.Join(dir, "x.age"), "--recipient", recipient)
	e.fails(t, []string{"HERODB_ADMIN_SECRET=wrong"}, []string{"invalid credential"}, "backup", "--all", "--to", filepath.Join(dir, "x.age"), "--recipient", recipient)
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed backups left files: %v", left)
	}
	exists := filepath.Join(dir, "exists.age")
	os.WriteFile(exists, nil, 0o600)
	e.fails(t, nil, []string{"never overwrites"}, "backup", "--all", "--to", exists, "--recipient", recipient)
}

// A node backup restored offline into an empty directory comes back whole: databases,
// their data and access keys, under the same admin secret.
func TestCLIBackupNodeOffline(t *testing.T) {
	e := newCLIEnv(t)
	ctx := context.Background()
	a := e.srv.CreateDatabase(t, "alpha", false)
	b := e.srv.CreateDatabase(t, "beta", false)
	e.srv.CreateDatabase(t, "empty", false) // never written: no file
	check := fillTyped(t, adminClient(t, e.srv, a))
	if err := adminClient(t, e.srv, b).Set(ctx, "b", "beta value", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Admin().AddAccessKey(b, "beta-key-0123456789", admin.AccessReadWrite); err != nil {
		t.Fatal(err)
	}
	keyFile, recipient := ageKey(t)
	file := filepath.Join(t.TempDir(), "node.age")
	e.ok(t, "backup", "--all", "--to", file, "--recipient", recipient)

	e.fails(t, nil, []string{"node backup"}, "restore", "--from", file, "--identity", keyFile, "--name", "x")
	notEmpty := t.TempDir()
	os.WriteFile(filepath.Join(notEmpty, "f"), nil, 0o600)
	e.fails(t, nil, []string{"not empty"}, "restore", "--from", file, "--identity", keyFile, "--dir", notEmpty)

	// One database of it, online.
	out := e.ok(t, "restore", "--from", file, "--identity", keyFile, "--db", strconv.FormatUint(a, 10), "--name", "alpha-copy")
	nid, _ := strconv.ParseUint(strings.Fields(lastLine(out))[0], 10, 64)
	check(t, adminClient(t, e.srv, nid))

	target := filepath.Join(t.TempDir(), "restored")
	out = e.ok(t, "restore", "--from", file, "--identity", keyFile, "--dir", target)
	if !strings.Contains(out, "3 databases") {
		t.Errorf("restore --dir printed %q", out)
	}
	srv := herodbtest.Start(t, herodbtest.Options{Dir: target})
	check(t, adminClient(t, srv, a))
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer c.Close()
	if err := c.Do(ctx, "SELECT", "beta", "KEY", "beta-key-0123456789").Err(); err != nil {
		t.Fatalf("SELECT beta with its access key on the restored node: %v", err)
	}
	if v, err := c.Get(ctx, "b").Result(); err != nil || v != "beta value" {
		t.Errorf("GET b on the restored node: %q, %v", v, err)
	}
	// Writes after the restore survive a restart: the new log is not taken for old.
	if err := c.Set(ctx, "after", "restore", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	srv2 := herodbtest.Start(t, herodbtest.Options{Dir: target})
	if v, err := adminClient(t, srv2, b).Get(ctx, "after").Result(); err != nil || v != "restore" {
		t.Errorf("a write after the restore, after a restart: %q, %v", v, err)
	}
	if _, ok := srv2.Admin().Database("empty"); !ok {
		t.Error("the database never written to is not on the restored node")
	}
}
