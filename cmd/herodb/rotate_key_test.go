package main

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestCLIRotateKey: herodb db rotate-key without and with --rewrite --wait, on a
// database of every type while a client writes, through the real binary and the HTTP
// RPC: every record and every write reads back, db info shows the terms and the
// rewrite done, and a backup of the rotated database (term 1 gone) restores.
func TestCLIRotateKey(t *testing.T) {
	e := newCLIEnv(t)
	ctx := context.Background()
	id := e.srv.CreateDatabase(t, "app", false)
	c := adminClient(t, e.srv, id)
	check := fillTyped(t, c)
	if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "x", ID: "1-1", Values: []string{"f", "v"}}).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		c.HSet(ctx, "big", strconv.Itoa(i), strings.Repeat("v", 100))
	}

	out := e.ok(t, "db", "rotate-key", "app")
	if !strings.Contains(out, "key term 2 seals new writes (terms [1 2])") {
		t.Errorf("rotate-key said %q", out)
	}
	var acked atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := c.Set(ctx, "w:"+strconv.FormatInt(i, 10), i, 0).Err(); err != nil {
				t.Errorf("write %d during the rewrite: %v", i, err)
				return
			}
			acked.Store(i + 1)
		}
	}()
	out = e.ok(t, "db", "rotate-key", "app", "--rewrite", "--wait")
	close(stop)
	<-done
	if !strings.Contains(out, "every record resealed under key term 3") || !strings.Contains(out, "(terms [3])") {
		t.Errorf("rotate-key --rewrite --wait said %q", out)
	}
	info := e.ok(t, "db", "info", "app")
	if !strings.Contains(info, "3 (terms [3])") {
		t.Errorf("db info after the rewrite:\n%s", info)
	}
	if !strings.Contains(info, "term 3: done") {
		t.Errorf("db info does not show the rewrite done:\n%s", info)
	}
	check(t, c)
	if n, err := c.HLen(ctx, "big").Result(); err != nil || n != 300 {
		t.Errorf("HLEN big: %d, %v", n, err)
	}
	if x, err := c.XRange(ctx, "x", "-", "+").Result(); err != nil || len(x) != 1 || x[0].Values["f"] != "v" {
		t.Errorf("XRANGE x: %v, %v", x, err)
	}
	for i := range acked.Load() {
		if v, err := c.Get(ctx, "w:"+strconv.FormatInt(i, 10)).Result(); err != nil || v != strconv.FormatInt(i, 10) {
			t.Fatalf("write %d acknowledged during the rewrite reads %q, %v", i, v, err)
		}
	}
	e.fails(t, nil, []string{"does not exist"}, "db", "rotate-key", "nosuch")

	// A backup of the rotated database carries its keys (term 3 and the naming keys).
	keyFile, recipient := ageKey(t)
	file := t.TempDir() + "/app.age"
	e.ok(t, "backup", "--db", "app", "--to", file, "--recipient", recipient)
	out = e.ok(t, "restore", "--from", file, "--identity", keyFile, "--name", "app-restored")
	nid, _ := strconv.ParseUint(strings.Fields(lastLine(out))[0], 10, 64)
	check(t, adminClient(t, e.srv, nid))
}
