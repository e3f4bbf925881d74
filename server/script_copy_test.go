package server_test

// COPY and MOVE inside a script: within its database they run; one naming another
// database is refused, even one the caller may write, since a script never leaves its
// database (checked as the admin, who may write both, so only that rule refuses it);
// and the other database is unchanged.

import (
	"strconv"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

func TestScriptCopyStaysInDatabase(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{})
	b := srv.CreateDatabase(t, "other", true)
	ca, cb := tSelected(t, srv.Addr(), a), tSelected(t, srv.Addr(), b)
	bid := strconv.FormatUint(b, 10)
	tEq(t, "AUTH admin", ca.do("AUTH", herodbtest.AdminSecret), tOK)
	tEq(t, "SELECT", ca.do("SELECT", strconv.FormatUint(a, 10)), tOK)
	tEq(t, "a direct COPY … DB works", ca.do("SET", "direct", "d"), tOK)
	tEq(t, "COPY DB", ca.do("COPY", "direct", "direct", "DB", bid), tInt(1))
	tEq(t, "DEL there", cb.do("DEL", "direct"), tInt(1))
	tEq(t, "SET", ca.do("SET", "src", "v"), tOK)
	tEq(t, "COPY here", ca.do("EVAL", "return redis.call('copy', KEYS[1], KEYS[2])", "2", "src", "dst"), tInt(1))
	tEq(t, "copied", ca.do("GET", "dst"), tBulk("v"))
	for _, src := range []string{
		"return redis.call('copy', KEYS[1], KEYS[2], 'db', ARGV[1])",
		"return redis.call('move', KEYS[1], ARGV[1])",
	} {
		got := ca.do("EVAL", src, "2", "src", "dst2", bid)
		if !strings.HasPrefix(got, "-ERR another database cannot be reached from here (a script stays in its database) script: ") {
			t.Errorf("%s: %q", src, got)
		}
	}
	tEq(t, "the other database unchanged", cb.do("DBSIZE"), tInt(0))
	tEq(t, "nor this one", ca.do("EXISTS", "dst2"), tInt(0))
	tEq(t, "source kept", ca.do("GET", "src"), tBulk("v"))
}
