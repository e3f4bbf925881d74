package server_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestEveryHelpAnswers: every command with subcommands answers HELP with its
// subcommands' syntax lines, and an unknown subcommand's error, which says "Try <CMD>
// HELP.", points to one that is there (XINFO's and XGROUP's once did not).
func TestEveryHelpAnswers(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tClient(t, srv.Addr(), db)
	// COMMAND lists every command, and each with subcommands carries them (element 9).
	all, err := c.Do(tCtx, "COMMAND").Slice()
	tNoErr(t, "COMMAND", err)
	var parents []string
	for _, row := range all {
		r := row.([]any)
		if len(r) >= 10 {
			if subs, ok := r[9].([]any); ok && len(subs) > 0 {
				parents = append(parents, strings.ToUpper(r[0].(string)))
			}
		}
	}
	for _, want := range []string{"XINFO", "XGROUP", "PUBSUB", "CLIENT", "OBJECT"} {
		if !slices.Contains(parents, want) {
			t.Fatalf("COMMAND lists no subcommands of %s: %v", want, parents)
		}
	}
	for _, p := range parents {
		lines, err := c.Do(tCtx, p, "HELP").StringSlice()
		if err != nil || len(lines) == 0 {
			t.Errorf("%s HELP: %q, %v", p, lines, err)
			continue
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, p+" ") || !strings.Contains(l, " -- ") {
				t.Errorf("%s HELP line %q: want %q, its syntax, \" -- \" and what it does", p, l, p+" …")
			}
		}
		err = c.Do(tCtx, p, "NOSUCHSUB").Err()
		if err == nil || err.Error() != "ERR unknown subcommand 'NOSUCHSUB'. Try "+p+" HELP." {
			t.Errorf("%s NOSUCHSUB: %v", p, err)
		}
	}
}
