package herodbtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestStart is the embedding API as a test suite uses it: a real server in a temp dir,
// a database, an ordinary Redis client.
func TestStart(t *testing.T) {
	began := time.Now()
	srv := herodbtest.Start(t, herodbtest.Options{})
	t.Logf("started in %v", time.Since(began)) // a log, not a threshold: machines are noisy
	id := srv.CreateDatabase(t, "shop", true)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(id)})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "cart:1", "3 apples", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := rdb.Get(ctx, "cart:1").Result(); err != nil || got != "3 apples" {
		t.Fatalf("GET: %q %v", got, err)
	}
	// A private database needs a key: the test sees what production would.
	priv := srv.CreateDatabase(t, "vault", false)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(priv)})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("a private database opened without a key")
	}
}

// TestStart_Restart reuses a directory: what was written survives a restart.
func TestStart_Restart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	id := first.CreateDatabase(t, "app", true)
	rdb := redis.NewClient(&redis.Options{Addr: first.Addr(), DB: int(id)})
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	rdb = redis.NewClient(&redis.Options{Addr: second.Addr(), DB: int(id)})
	defer rdb.Close()
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("after restart: %q %v", got, err)
	}
}
