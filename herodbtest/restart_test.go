package herodbtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestRestart: after Restart the same address answers, with the data, the credentials
// (access key, token, JWT key) and the moved clock all kept; a client reconnects by
// itself.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", false)
	key := srv.AddAccessKey(t, db, "readwrite")
	tok := srv.CreateToken(t, "ci", "app:read")
	c := client(t, &redis.Options{Addr: srv.Addr(), Password: key, DB: int(db)})
	if err := c.Set(ctx, "kept", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "ttl", "x", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	srv.FastForward(30 * time.Minute)
	addr := srv.Addr()

	srv.Restart(t)
	if srv.Addr() != addr {
		t.Fatalf("address after restart %s, want %s", srv.Addr(), addr)
	}
	// The pooled connection was closed by the restart: go-redis retries on a new one.
	if got, err := c.Get(ctx, "kept").Result(); err != nil || got != "yes" {
		t.Fatalf("GET after restart: %q %v", got, err)
	}
	if ttl, err := c.TTL(ctx, "ttl").Result(); err != nil || ttl > 30*time.Minute || ttl < 29*time.Minute {
		t.Fatalf("TTL after 30 min of an hour and a restart: %v %v", ttl, err)
	}
	r := client(t, &redis.Options{Addr: srv.Addr(), Password: tok, DB: int(db)})
	if err := r.Get(ctx, "kept").Err(); err != nil {
		t.Fatalf("token after restart: %v", err)
	}
	jwt := srv.MintJWT(t, map[string]any{"p": map[string]any{"ro": map[string]any{"ns": []string{"app"}}}})
	j := client(t, &redis.Options{Addr: srv.Addr(), Password: jwt, DB: int(db)})
	if err := j.Get(ctx, "kept").Err(); err != nil {
		t.Fatalf("JWT after restart: %v", err)
	}
	srv.FastForward(30 * time.Minute)
	if err := c.Get(ctx, "ttl").Err(); err != redis.Nil {
		t.Fatalf("the key's hour is up across the restart: %v", err)
	}
}

// TestClose: Close stops the server at once (the address refuses), and a second Close
// (the test's cleanup) is harmless.
func TestClose(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", true)
	c := client(t, &redis.Options{Addr: srv.Addr(), DB: int(db), MaxRetries: -1, DialTimeout: time.Second})
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered after Close")
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
