package server_test

// Review: hostile scripts that must cost their tenant a bounded time and answer a
// script error, never a server panic.

import (
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// Pushing many values at once (unpack, string.byte) grows the Lua stack: it must grow
// in big steps (gopher-lua's default of 32 slots copies the whole stack every 32
// values: 100 Ki values took seconds of one core, a full stack half a minute, and no
// SCRIPT KILL reaches a Go function), and a full stack is the script's error even
// when an error handler (the server's, or xpcall's) has no room left to run.
func TestReviewScriptStackGrowth(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	for _, tc := range []struct{ script, want string }{
		{"return select('#', unpack({}, 1, 200000))", ":200000\r\n"},
		{"return select('#', string.byte(string.rep('a', 200000), 1, -1))", ":200000\r\n"},
		{"return #unpack({}, 1, 1e7)", "-ERR user_script:1: registry overflow script: "},
		{"return xpcall(function() return unpack({}, 1, 1e7) end, function(e) return e end)", "-ERR user_script:1: registry overflow script: "},
	} {
		start := time.Now()
		got := c.do("EVAL", tc.script, "0")
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %.200q, want prefix %q", tc.script, got, tc.want)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s took %v", tc.script, took)
		}
	}
	tEq(t, "alive", c.do("PING"), "+PONG\r\n")
}
