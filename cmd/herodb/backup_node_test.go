package main

// A node backup during which a database is deleted, restored offline: the restored
// node agrees with itself (every database DB 0 lists opens, herodb check is clean).

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
)

// archiveEntries decrypts a backup file with the identity in keyFile and returns its
// tar entries' names and contents.
func archiveEntries(t *testing.T, file, keyFile string) ([]string, map[string][]byte) {
	t.Helper()
	kf, err := os.Open(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	ids, err := age.ParseIdentities(kf)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, ids...)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(r)
	var names []string
	body := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, body
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if body[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCLIBackupNodeDeleteDuring(t *testing.T) {
	e := newCLIEnv(t)
	ctx := context.Background()
	alpha := e.srv.CreateDatabase(t, "alpha", false)
	big := e.srv.CreateDatabase(t, "big", false)
	victim := e.srv.CreateDatabase(t, "victim", false)
	gamma := e.srv.CreateDatabase(t, "gamma", false)
	for id, v := range map[uint64]string{alpha: "alpha value", victim: "victim value", gamma: "gamma value"} {
		if err := adminClient(t, e.srv, id).Set(ctx, "k", v, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// big is larger than what the socket buffers and the bytes read below hold, so the
	// server is still sending it when the stream is paused: victim, after it, is not
	// copied yet, and DB 0 (copied first) still lists it.
	chunk := strings.Repeat("b", 1<<20)
	bc := adminClient(t, e.srv, big)
	for i := range 32 {
		if err := bc.Set(ctx, fmt.Sprint("b", i), chunk, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	keyFile, recipient := ageKey(t)

	q := url.Values{"all": {"true"}, "recipient": {recipient}}
	req, err := http.NewRequest(http.MethodPost, e.url+"/backup?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+herodbtest.AdminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /backup: HTTP %d", resp.StatusCode)
	}
	var got bytes.Buffer
	if _, err := io.CopyN(&got, resp.Body, 4<<20); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Admin().DeleteDatabase(victim); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(&got, resp.Body); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "node.age")
	if err := os.WriteFile(file, got.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	// The archive: DB 0 with its key slots beside it, and victim skipped.
	names, body := archiveEntries(t, file, keyFile)
	if len(names) < 4 || names[1] != "db0.json" || names[2] != "0.db" || names[3] != "shred.slots" {
		t.Fatalf("the archive begins %v, want herodb-backup.json db0.json 0.db shred.slots", names)
	}
	if len(body["shred.slots"]) == 0 || bytes.Count(body["shred.slots"], []byte{0}) == len(body["shred.slots"]) {
		t.Errorf("shred.slots is empty or all zeros (%d bytes)", len(body["shred.slots"]))
	}
	var end struct {
		Databases int      `json:"databases"`
		Skipped   []uint64 `json:"skipped"`
	}
	if err := json.Unmarshal(body["end.json"], &end); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(end.Skipped, []uint64{victim}) || slices.Contains(names, fmt.Sprintf("db/%d.json", victim)) {
		t.Fatalf("end.json %s, entries %v: want database %d skipped (deleted while the backup ran)", body["end.json"], names, victim)
	}

	target := filepath.Join(t.TempDir(), "restored")
	out := e.ok(t, "restore", "--from", file, "--identity", keyFile, "--dir", target)
	if !strings.Contains(out, fmt.Sprintf("database %d: deleted while the backup was taken", victim)) || !strings.Contains(out, "DB 0 and 3 databases") {
		t.Errorf("restore --dir printed %q", out)
	}
	check := func(when string) {
		t.Helper()
		r := e.run(t, nil, "check", "--dir", target)
		if r.code != 0 || !strings.Contains(r.stdout, "clean") {
			t.Errorf("herodb check --dir of the restored node %s: exit %d\n%s%s", when, r.code, r.stdout, r.stderr)
		}
	}
	check("before its first start")

	srv := herodbtest.Start(t, herodbtest.Options{Dir: target})
	for id, v := range map[uint64]string{alpha: "alpha value", gamma: "gamma value"} {
		if got, err := adminClient(t, srv, id).Get(ctx, "k").Result(); err != nil || got != v {
			t.Errorf("database %d on the restored node: %q, %v", id, got, err)
		}
	}
	if n, err := adminClient(t, srv, big).DBSize(ctx).Result(); err != nil || n != 32 {
		t.Errorf("big on the restored node: %d keys, %v", n, err)
	}
	if d, ok := srv.Admin().DatabaseByID(victim); !ok || !d.Deleted() {
		t.Errorf("victim on the restored node: %+v, want deleted", d)
	}
	for _, d := range srv.Admin().Databases() {
		if c, err := srv.Admin().CheckDatabase(d.ID); err != nil || !c.OK {
			t.Errorf("database %d on the restored node: %+v, %v", d.ID, c, err)
		}
	}
	if _, err := srv.Admin().DatabaseKeys(victim); admin.ErrorCode(err) != admin.ENOTFOUND {
		t.Errorf("victim's keys on the restored node: %v, want ENOTFOUND", err)
	}
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, MaxRetries: -1})
	defer c.Close()
	if err := c.Do(ctx, "SELECT", victim).Err(); err == nil {
		t.Error("SELECT of the deleted database on the restored node succeeded")
	}
	srv.Close()
	check("after it started")
}
