package server_test

// The memory bound of a running script: hostile scripts that grow the heap without
// limit (a string doubled with .., a table filled element by element) are stopped
// under a small bound (16 MiB) with herodb's error, while another database is served,
// and the server answers afterwards; a script that stays under the bound runs to its
// end.

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

const tScriptMemoryErr = "-ERR script stopped: the server's memory grew past herodb's bound for one script script: "

func TestScriptMemoryBound(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.ScriptMemory = 16 << 20 }})
	b := srv.CreateDatabase(t, "other", true)
	ca, cb := tSelected(t, srv.Addr(), a), tSelected(t, srv.Addr(), b)
	tEq(t, "under the bound", ca.do("EVAL", "local s = string.rep('x', 1024) for i = 1, 10 do s = s .. s end return #s", "0"), tInt(1<<20))
	for _, c := range []struct{ what, src string }{
		{"doubling a string", "local s = 'x' while true do s = s .. s end"},
		{"filling a table", "local t = {} local i = 0 while true do i = i + 1 t[i] = 'v' .. i end"},
		{"caught by pcall", "local t = {} pcall(function() while true do t[#t + 1] = {} end end) return #t"},
		{"after a write", "redis.call('set', 'w', '1') local s = 'y' while true do s = s .. s end"},
	} {
		done := make(chan string, 1)
		start := time.Now()
		// Under -race on a loaded machine a table fills at about 3 MB of live heap a
		// second, so the stop can take 10 s: the reply is waited for as long as the
		// select below waits.
		go func() { done <- ca.doWithin(60*time.Second, "EVAL", c.src, "0") }()
		// Another database is served while the script runs.
		tEq(t, c.what+": other database", cb.do("SET", "k", "v"), tOK)
		select {
		case got := <-done:
			if !strings.HasPrefix(got, tScriptMemoryErr) || !strings.Contains(got, ", on @user_script:") {
				t.Fatalf("%s: %q, want the memory error", c.what, got)
			}
			t.Logf("%s: stopped after %v", c.what, time.Since(start))
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: not stopped", c.what)
		}
		tEq(t, c.what+": server answers", ca.do("PING"), "+PONG\r\n")
	}
	// A run right after a stopped one is not charged with the garbage it left.
	tEq(t, "under the bound, after them", ca.do("EVAL", "local s = string.rep('x', 1024) for i = 1, 10 do s = s .. s end return #s", "0"), tInt(1<<20))
	// As after any error, what the script wrote before it was stopped stays.
	tEq(t, "write kept", ca.do("GET", "w"), tBulk("1"))
	tEq(t, "still served", ca.do("EVAL", "return redis.call('get', 'w')", "0"), tBulk("1"))
}

// With no bound (negative), the same kind of script runs until it ends by itself.
func TestScriptMemoryUnbounded(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.ScriptMemory = -1 }})
	ca := tSelected(t, srv.Addr(), a)
	tEq(t, "64 MiB built", ca.do("EVAL", "local s = 'x' for i = 1, 26 do s = s .. s end return #s", "0"), tInt(1<<26))
}

// What the watchdog costs a short script: EVALSHA of return 1 with the bound (its
// ticker and a heap reading per run) and without.
func BenchmarkScriptMemoryWatch(b *testing.B) {
	for _, c := range []struct {
		name  string
		bound int64
	}{{"bound", 0}, {"none", -1}} {
		b.Run(c.name, func(b *testing.B) {
			srv, db := tServer(b, herodbtest.Options{Configure: func(cfg *server.Config) { cfg.ScriptMemory = c.bound }})
			rdb := tClient(b, srv.Addr(), db)
			script := redis.NewScript("return 1")
			tNoErr(b, "load", script.Load(tCtx, rdb).Err())
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := script.EvalSha(tCtx, rdb, nil).Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
