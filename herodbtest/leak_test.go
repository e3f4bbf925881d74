package herodbtest_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// openFiles counts this process's open file descriptors (Linux: /proc/self/fd); -1
// where that cannot be read.
func openFiles() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// settled waits until the goroutine and file counts are back to at most before's,
// giving closing sockets and exiting goroutines a moment; it returns the last counts.
func settled(goroutines, files int) (int, int) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFiles()
		if (g <= goroutines && f <= files) || time.Now().After(deadline) {
			return g, f
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNoLeak: a server that was started, used with every kind of credential, restarted
// and cleaned up leaves no goroutine and no open file behind.
func TestNoLeak(t *testing.T) {
	g0, f0 := runtime.NumGoroutine(), openFiles()
	t.Run("server", func(t *testing.T) {
		ctx := context.Background()
		srv := herodbtest.Start(t, herodbtest.Options{})
		db := srv.CreateDatabase(t, "app", false)
		for _, cred := range []string{
			srv.AddAccessKey(t, db, "readwrite"),
			srv.CreateToken(t, "ci", "app:read,write"),
			srv.MintJWT(t, map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}}),
		} {
			o, _ := redis.ParseURL(srv.URL(db, cred))
			c := redis.NewClient(o)
			if err := c.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
		srv.Restart(t)
		srv.FastForward(time.Hour)
	})
	if g, f := settled(g0, f0); g > g0 || f > f0 {
		t.Fatalf("after cleanup: %d goroutines (%d before), %d open files (%d before)", g, g0, f, f0)
	}
}
