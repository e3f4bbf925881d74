package admin

import (
	"sort"
	"time"
)

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
type Grant struct {
	Kind    Kind
	Admin   bool              // the admin secret: every database, DB 0 read-only
	dbs     map[uint64]Access // an access key: the databases it was added to
	Expires time.Time         // zero: never

	// Named tokens: the token's id and scopes (for "no escalation" checks), and its
	// rights over other tokens.
	TokenID               string
	Scopes                []Scope
	TokenRead, TokenWrite bool
}

// On is the access the grant gives on database id.
func (g *Grant) On(id uint64) Access {
	if g == nil {
		return AccessNone
	}
	if g.Admin {
		if id == 0 {
			return AccessRead
		}
		return AccessReadWrite
	}
	return g.dbs[id]
}

// Only returns the database when the grant opens exactly one (AUTH then selects it).
func (g *Grant) Only() (uint64, bool) {
	if g == nil || g.Admin || len(g.dbs) != 1 {
		return 0, false
	}
	for id := range g.dbs {
		return id, true
	}
	return 0, false
}

// Databases lists the databases the grant names, in id order (not for the admin).
func (g *Grant) Databases() []uint64 {
	var ids []uint64
	for id := range g.dbs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
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
		ok, reason = false, "credential does not open this database"
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
	return ok && g.On(d.ID) != AccessNone
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
