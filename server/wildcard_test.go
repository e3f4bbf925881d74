package server_test

// Wildcard credentials ("*") over RESP, on a real server: a database created after the
// credential was presented opens on the same connection, a deleted one never, and a
// server-wide wildcard JWT never opens a database that has its own JWT key. A wildcard
// grant covers databases yet to come, so AUTH with one selects none.

import (
	"strconv"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
)

// wcDeleted checks the next command of a connection whose database was just deleted:
// it fails (today with "the selected database was deleted" or, when the command's file
// is acquired first, "database N does not exist") and the selection is gone.
func wcDeleted(t *testing.T, c *tConn) {
	t.Helper()
	got := c.do("GET", "k")
	if !strings.HasPrefix(got, "-ERR the selected database was deleted") && !strings.HasPrefix(got, "-ERR database ") {
		t.Errorf("GET on a deleted database: %q", got)
	}
	tDo(t, c, "-"+tNoAuth, "GET", "k")
}

func TestWildcardTokenCoversLaterDatabases(t *testing.T) {
	t.Parallel()
	e := tkSetup(t, herodbtest.Options{})
	_, star := e.token(t, "all", tkScope("*", "read,write"), nil)

	c := tDial(t, e.srv.Addr())
	tDo(t, c, tOK, "AUTH", star)
	tDo(t, c, "-"+tNoAuth, "GET", "k") // a wildcard selects nothing by itself
	tDo(t, c, tOK, "SELECT", e.ciS)
	tDo(t, c, tBulk("v"+e.ciS), "GET", "k")
	keyed := tDial(t, e.srv.Addr())
	tDo(t, keyed, tOK, "SELECT", e.otherS, "KEY", star)

	// Created after AUTH: on the same connections, without presenting the token again.
	late := e.srv.CreateDatabase(t, "late", false)
	lateS := strconv.FormatUint(late, 10)
	tDo(t, c, tOK, "SELECT", "late")
	tDo(t, c, tOK, "SET", "k", "late")
	tDo(t, keyed, tOK, "SELECT", lateS, "KEY", star)
	tDo(t, keyed, tBulk("late"), "GET", "k")
	bulk, err := e.srv.Admin().CreateDatabases(3, admin.CreateOptions{})
	tNoErr(t, "create in bulk", err)
	for _, d := range bulk {
		tDo(t, c, tOK, "SELECT", strconv.FormatUint(d.ID, 10))
		tDo(t, c, tOK, "SET", "k", "bulk")
	}

	// Deleted: the selection is dropped at the next command and it never opens again.
	tDo(t, c, tOK, "SELECT", "late")
	tNoErr(t, "delete late", e.srv.Admin().DeleteDatabase(late))
	wcDeleted(t, c)
	wcDeleted(t, keyed)
	tDo(t, c, "-ERR DB index is out of range", "SELECT", lateS)
	tDo(t, c, "-NOPERM", "SELECT", lateS, "KEY", star)
	tDo(t, c, tOK, "SELECT", e.otherS) // the rest still open
	tDo(t, c, tBulk("v"+e.otherS), "GET", "k")
}

// On a node with one database, a wildcard token still selects nothing at AUTH (it was
// selected before, when the wildcard was a list of today's databases); a token naming
// that database selects it.
func TestWildcardTokenAuthSelectsNone(t *testing.T) {
	t.Parallel()
	srv := herodbtest.Start(t, herodbtest.Options{})
	only := srv.CreateDatabase(t, "only", false)
	a := srv.Admin()
	all, err := admin.ParseScopes([]byte(tkScope("*", "read,write")))
	tNoErr(t, "scopes", err)
	named, err := admin.ParseScopes([]byte(tkScope("only", "read,write")))
	tNoErr(t, "scopes", err)
	adm := &admin.Grant{Kind: admin.KindAdmin, Admin: true}
	starTok, err := a.CreateToken(adm, "all", all, 0)
	tNoErr(t, "create token", err)
	onlyTok, err := a.CreateToken(adm, "only", named, 0)
	tNoErr(t, "create token", err)

	c := tDial(t, srv.Addr())
	tDo(t, c, tOK, "AUTH", starTok.Token)
	tDo(t, c, "-"+tNoAuth, "SET", "k", "v")
	tDo(t, c, tOK, "SELECT", "only")
	tDo(t, c, tOK, "SET", "k", "v")
	c = tDial(t, srv.Addr())
	tDo(t, c, tOK, "AUTH", onlyTok.Token)
	tDo(t, c, tBulk("v"), "GET", "k")
	c = tDial(t, srv.Addr())
	tDo(t, c, tOK, "AUTH", "only", starTok.Token) // AUTH <db> <token> selects that one
	tDo(t, c, tBulk("v"), "GET", "k")
	tDo(t, c, tOK, "SELECT", strconv.FormatUint(only, 10))
}

func TestWildcardJWTCoversLaterDatabases(t *testing.T) {
	e := jwtStart(t, tNewClock(), admin.JWTConfig{AllowWildcard: true})
	star := e.mint(t, jwt.MapClaims{"p": jwtP("rw", "*")})
	c := e.dial(t)
	tDo(t, c, tOK, "AUTH", star)
	tDo(t, c, "-"+tNoAuth, "GET", "k") // a wildcard selects nothing by itself
	keyed := e.dial(t)
	tDo(t, keyed, tOK, "SELECT", "app", "KEY", star)

	// Created after the token was presented: the same connections open it.
	late := e.srv.CreateDatabase(t, "late", false)
	lateS := strconv.FormatUint(late, 10)
	tDo(t, c, tOK, "SELECT", "late")
	tDo(t, c, tOK, "SET", "k", "late")
	tDo(t, keyed, tOK, "SELECT", lateS, "KEY", star)
	tDo(t, keyed, tBulk("late"), "GET", "k")

	// Deleted: dropped at the next command, never opened again.
	tNoErr(t, "delete late", e.srv.Admin().DeleteDatabase(late))
	wcDeleted(t, c)
	tDo(t, c, "-ERR DB index is out of range", "SELECT", lateS)
	tDo(t, c, jwtNoPerm, "SELECT", lateS, "KEY", star)

	// A database that gets its own JWT key leaves the server-wide wildcard at once: the
	// connection that has it selected loses it at its next command, and it no longer
	// opens; the other databases still do.
	tDo(t, c, tOK, "SELECT", "other")
	tDo(t, c, tOK, "SET", "k", "other")
	tenantPriv, tenantPEM := jwtNewKey(t)
	tNoErr(t, "set database key", e.srv.Admin().SetDatabaseJWTKey(e.other, string(tenantPEM)))
	tDo(t, c, jwtWrong, "GET", "k")
	tDo(t, c, jwtNoPerm, "SELECT", "other")
	tDo(t, c, jwtNoPerm, "SELECT", "other", "KEY", star)
	tDo(t, e.dial(t), jwtNoPerm, "SELECT", "other", "KEY", star)
	tDo(t, c, tOK, "SELECT", "app")
	tDo(t, c, tOK, "SET", "k", "app")
	tenant := e.dial(t)
	tDo(t, tenant, tOK, "SELECT", "other", "KEY", jwtMint(t, tenantPriv, e.claims(jwt.MapClaims{"p": jwtP("rw", "other")}), ""))
	tDo(t, tenant, tBulk("other"), "GET", "k")

	// Its key removed, it is under the wildcard again, on the same connection.
	tNoErr(t, "remove database key", e.srv.Admin().SetDatabaseJWTKey(e.other, ""))
	tDo(t, c, tOK, "SELECT", "other")
	tDo(t, c, tBulk("other"), "GET", "k")
}
