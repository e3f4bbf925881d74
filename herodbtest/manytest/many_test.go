// Package manytest is a test suite as a user of herodbtest writes one, through the
// public harness only: many parallel tests, each with a server of its own. It checks
// that they leave no goroutine or open file behind and, as a benchmark, how long 200 of
// them take (issue 19's goal; a number to report, never a threshold in a test).
package manytest_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// servers is how many tests, each with its own server, a run holds.
const servers = 200

// oneServer is one user's test: a private database, an access key, a write, a TTL that
// FastForward expires.
func oneServer(tb testing.TB) *herodbtest.Server {
	ctx := context.Background()
	srv := herodbtest.Start(tb, herodbtest.Options{})
	db := srv.CreateDatabase(tb, "app", false)
	key := srv.AddAccessKey(tb, db, "readwrite")
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: key, DB: int(db)})
	defer rdb.Close()
	if err := rdb.Set(ctx, "session", "x", time.Minute).Err(); err != nil {
		tb.Errorf("SET: %v", err)
		return srv
	}
	srv.FastForward(time.Minute)
	if err := rdb.Get(ctx, "session").Err(); err != redis.Nil {
		tb.Errorf("GET after the TTL: %v, want nil", err)
	}
	return srv
}

func openFiles() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// noLeak fails tb unless goroutines and open files come back to their counts before
// the run (closing sockets and ending goroutines get a few seconds).
func noLeak(tb testing.TB, g0, f0 int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFiles()
		if g <= g0 && f <= f0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %d servers: %d goroutines (%d before), %d open files (%d before)", servers, g, g0, f, f0)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestManyServers runs 200 parallel subtests (20 with -short), each with its own
// server, as a user's suite would, and checks nothing is left once they end. go test
// runs -parallel of them at a time (GOMAXPROCS by default).
func TestManyServers(t *testing.T) {
	n := servers
	if testing.Short() {
		n = 20
	}
	g0, f0 := runtime.NumGoroutine(), openFiles()
	began := time.Now()
	t.Run("group", func(t *testing.T) {
		for i := range n {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				oneServer(t)
			})
		}
	})
	t.Logf("%d parallel subtests, each with its own server, in %v", n, time.Since(began))
	noLeak(t, g0, f0)
}

// BenchmarkManyServers is one op per 200 servers started, used and closed at the same
// time (not limited by -parallel), followed by the leak check.
func BenchmarkManyServers(b *testing.B) {
	g0, f0 := runtime.NumGoroutine(), openFiles()
	for range b.N {
		var wg sync.WaitGroup
		for range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				oneServer(b).Close() // now, not at the benchmark's end
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/200servers")
	noLeak(b, g0, f0)
}
