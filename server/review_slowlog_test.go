package server_test

// Review: what the slow log keeps of a script's call.

import (
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// A script's ARGV is how it hands an AGE identity or a SYM key to the command the log
// redacts: the EVAL entry must not keep it either. The script and its KEYS stay.
func TestReviewSlowlogScriptArgs(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) { c.SlowlogSlowerThan = time.Nanosecond }})
	db := srv.CreateDatabase(t, "app", true)
	c := tSelected(t, srv.Addr(), db)
	const secret = "AGE-SECRET-KEY-1REVIEWNEVERKEPTINTHESLOWLOG"
	const body = "return redis.pcall('age', 'decrypt', ARGV[1], ARGV[2])"
	c.do("EVAL", body, "1", "somekey", secret, "ciphertext")
	c.do("EVAL_RO", body, "0", secret, "ciphertext")
	c.do("EVALSHA", "0123456789012345678901234567890123456789", "x", secret)
	c.do("EVAL", body, "9", secret)
	got := c.do("SLOWLOG", "GET", "-1")
	if strings.Contains(got, secret) {
		t.Errorf("the slow log keeps a script's ARGV: %q", got)
	}
	for _, want := range []string{body, "somekey", "(redacted)"} {
		if !strings.Contains(got, want) {
			t.Errorf("the slow log lost %q: %q", want, got)
		}
	}
}
