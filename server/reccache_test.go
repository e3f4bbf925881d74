package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// tRecordCacheInfo reads the admin's INFO persistence field name (a record_cache_ line).
func tRecordCacheInfo(t *testing.T, adm *redis.Client, name string) int64 {
	t.Helper()
	info, err := adm.Info(tCtx, "persistence").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", name, v)
			}
			return n
		}
	}
	t.Fatalf("INFO persistence has no %s:\n%s", name, info)
	return 0
}

// TestRecordCacheOverTheServer: GETs of a key flushed into its file are served from the
// record cache (INFO counts the hits), and an overwrite is what every GET sees, across
// the flushes that move it into the file.
func TestRecordCacheOverTheServer(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.FlushInterval = 20 * time.Millisecond
	}})
	id := srv.CreateDatabase(t, "cached", true)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(id), Protocol: 2})
	defer rdb.Close()
	adm := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, Protocol: 2})
	defer adm.Close()

	if limit := tRecordCacheInfo(t, adm, "record_cache_limit"); limit != 64<<20 {
		t.Fatalf("record_cache_limit %d; want the 64 MiB default", limit)
	}
	if err := rdb.Set(tCtx, "k", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tRecordCacheInfo(t, adm, "record_cache_hits") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no GET was served from the record cache in 10 s")
		}
		if v, err := rdb.Get(tCtx, "k").Result(); err != nil || v != "v1" {
			t.Fatalf("GET: %q %v; want v1", v, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := tRecordCacheInfo(t, adm, "record_cache_bytes"); n <= 0 {
		t.Fatalf("record_cache_bytes %d after a hit", n)
	}

	for i := 2; i < 6; i++ {
		want := "v" + strconv.Itoa(i)
		if err := rdb.Set(tCtx, "k", want, 0).Err(); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
			if v, err := rdb.Get(tCtx, "k").Result(); err != nil || v != want {
				t.Fatalf("GET after SET %s: %q %v", want, v, err)
			}
		}
	}
	if err := rdb.Del(tCtx, "k").Err(); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
		if err := rdb.Get(tCtx, "k").Err(); err != redis.Nil {
			t.Fatalf("GET after DEL: %v; want nil", err)
		}
	}
}

// TestRecordCacheOff: a bound of none (--record-cache 0) caches nothing and reads stay
// right.
func TestRecordCacheOff(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.FlushInterval = 20 * time.Millisecond
		c.RecordCache = -1
	}})
	id := srv.CreateDatabase(t, "uncached", true)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(id), Protocol: 2})
	defer rdb.Close()
	adm := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, Protocol: 2})
	defer adm.Close()
	if err := rdb.Set(tCtx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		if v, err := rdb.Get(tCtx, "k").Result(); err != nil || v != "v" {
			t.Fatalf("GET: %q %v", v, err)
		}
	}
	for _, f := range []string{"record_cache_limit", "record_cache_bytes", "record_cache_hits", "record_cache_misses"} {
		if n := tRecordCacheInfo(t, adm, f); n != 0 {
			t.Errorf("%s %d with no record cache", f, n)
		}
	}
}
