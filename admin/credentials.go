package admin

import "time"

// Kind is the kind of a credential; its text is what the auth log and AUTHLOG show.
type Kind string

const (
	KindAdmin     Kind = "admin"      // the admin secret
	KindAccessKey Kind = "access-key" // a key added to databases (HeroDB)
	KindJWT       Kind = "jwt"        // an Ed25519 JWT (sqld)
	KindToken     Kind = "token"      // a named token, hdbt_<id>_<secret>
	kindUnknown   Kind = "unknown"    // the auth log's kind of a credential that matched nothing
)

// Grant is what one accepted credential allows. Every entry point (RESP SELECT and AUTH,
// the RPC's bearer header) gets its grant from Authenticate, the one credential check.
//
// A grant names databases in two ways: explicitly, one entry per database it names (an
// access key's databases, a token's or a JWT's named databases), and by a wildcard, a
// rule rather than a list ("*": every live database but DB 0, including those created
// after the credential was checked). A wildcard is never expanded into entries: that
// would cost one entry per database at every check. Access is the one answer to "what
// does this grant allow on this database".
type Grant struct {
	Kind    Kind
	Admin   bool              // the admin secret: every database, DB 0 read-only
	dbs     map[uint64]Access // the databases it names explicitly, each with its access
	Expires time.Time         // zero: never

	// all is the access a wildcard gives on every live database but DB 0 (AccessNone: no
	// wildcard). keyless limits it to the databases without a JWT key of their own: a
	// JWT's "*", verified by the server-wide keys, which govern only those.
	all     Access
	keyless bool

	// Named tokens: the token's id and scopes (for "no escalation" checks), and its
	// rights over other tokens.
	TokenID               string
	Scopes                []Scope
	TokenRead, TokenWrite bool
	// Metrics: a token's metrics scope, which reads /metrics and nothing else.
	Metrics bool
}

// Access is the access the grant gives on database d, a current snapshot of its
// registration (Admin.Database, DatabaseByID): the highest of its explicit entry and its
// wildcard rule. A deleted database gets none, DB 0 only the admin's read; a JWT's
// wildcard covers d only while d has no JWT key of its own. The rule is applied to the
// snapshot it is given, so a database created after the credential was checked is
// covered, and one that is deleted or gets its own key is not, at once.
func (g *Grant) Access(d *Database) Access {
	if g == nil || d == nil || d.Deleted() {
		return AccessNone
	}
	if g.Admin {
		if d.ID == 0 {
			return AccessRead
		}
		return AccessReadWrite
	}
	if d.ID == 0 {
		return AccessNone // never through a key, token or JWT (DB 0 is the admin's)
	}
	acc := g.dbs[d.ID]
	if g.all != AccessNone && (!g.keyless || d.JWTKey == nil) {
		acc = max(acc, g.all)
	}
	return acc
}

// Wildcard reports whether the grant covers databases by a rule ("*") rather than only
// by name: the admin secret, a token's "*" database scope, a JWT's "*".
func (g *Grant) Wildcard() bool { return g != nil && (g.Admin || g.all != AccessNone) }

// Only returns the database when the grant opens exactly one (AUTH then selects it): a
// grant that names one database and has no wildcard. A wildcard grant never has only
// one, however many databases exist now: it covers the ones created later too.
func (g *Grant) Only() (uint64, bool) {
	if g == nil || g.Wildcard() || len(g.dbs) != 1 {
		return 0, false
	}
	for id := range g.dbs {
		return id, true
	}
	return 0, false
}

// ErrWrongCredential is the one answer for a wrong, unknown or revoked credential, so
// nothing about which databases or keys exist leaks.
var ErrWrongCredential = Errorf(EUNAUTHORIZED, "invalid credential")

// Authenticate is the one credential check: RESP (SELECT … KEY, AUTH, HELLO AUTH) and
// the RPC's bearer header all come here. The secret is reduced to a digest first and
// only digests are compared (the admin secret in constant time); the path is the same
// whichever databases exist. Every attempt is logged (never the secret), and a refused
// one spends a token of its source address's bucket: once the bucket is empty, every
// check from that address waits for a token first (throttle.go), slowed, never refused.
func (a *Admin) Authenticate(at Attempt, cred []byte) (*Grant, error) {
	b, err := a.guard.throttle.acquire(at.Done, at.Addr, a.guard.sleep)
	if err != nil {
		return nil, err // never checked: not counted, not logged as a failure
	}
	g, kind, err := a.authenticate(cred)
	ok, reason := err == nil, "ok"
	switch {
	case err != nil:
		reason = ErrorMessage(err)
	case at.Database != "" && !a.opens(g, at.Database):
		// A valid credential for the wrong database is a refused attempt too: it is
		// logged and counted as one (the caller answers WRONGPASS or NOPERM).
		ok, reason = false, reasonWrongDatabase
	}
	a.guard.throttle.release(b, !ok)
	a.guard.record(at, cred, kind, ok, reason, a.clock.Now())
	return g, err
}

// opens reports whether g opens the database named ref (an id, a name or "0").
func (a *Admin) opens(g *Grant, ref string) bool {
	if ref == "0" {
		return g.Admin
	}
	d, ok := a.Database(ref)
	return ok && g.Access(d) != AccessNone
}

// Recheck re-derives the grant of a credential accepted earlier, after a revocation
// may have changed it. It is Authenticate without the log and the limits: the
// credential is not being presented again.
func (a *Admin) Recheck(cred []byte) (*Grant, error) {
	g, _, err := a.authenticate(cred)
	return g, err
}

// Names reports whether a refusal for a database the grant does not cover should be
// NOPERM (a credential that names its databases: a JWT or token) rather than WRONGPASS
// (an access key of another database, which must look like a wrong key).
func (g *Grant) Names() bool { return g != nil && (g.Kind == KindJWT || g.Kind == KindToken) }

// authenticate finds the credential's kind by its shape (the first in credentialKinds
// whose shape matches) and has that kind verify it. It returns the kind the auth log
// names: the grant's, or for a refusal the kind the shape said.
func (a *Admin) authenticate(cred []byte) (*Grant, Kind, error) {
	if len(cred) == 0 {
		return nil, kindUnknown, ErrWrongCredential
	}
	for _, k := range credentialKinds {
		if !k.looks(cred) {
			continue
		}
		g, err := k.verify(a, cred)
		if err != nil {
			return nil, k.kind, err
		}
		return g, g.Kind, nil
	}
	return nil, kindUnknown, ErrWrongCredential // not reached: the last kind takes any shape
}
