package admin

// How a presented named token is checked: its shape, then its id and secret.

import (
	"bytes"
	"crypto/subtle"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
)

// tokenPrefix starts every named token, hdbt_<id>_<secret>, so that it is told from the
// other kinds of credential by its shape alone.
const tokenPrefix = "hdbt_"

var tokenRE = regexp.MustCompile(`^` + tokenPrefix + `([0-9a-f]{16})_([0-9A-Za-z]{20,64})$`)

// tokens is the named-token credential kind: anything that starts with the prefix is
// only ever checked as a token. Verification is checkToken.
type tokens struct{}

func (tokens) looks(cred []byte) bool { return bytes.HasPrefix(cred, []byte(tokenPrefix)) }

func (tokens) verify(a *Admin, cred []byte) (*Grant, error) { return a.checkToken(cred) }

// tokenText is the token as its holder presents it; shown once, never stored.
func tokenText(id, secret string) string { return tokenPrefix + id + "_" + secret }

// checkToken authenticates hdbt_<id>_<secret>: a lookup by the public id, then one
// constant-time compare of the secret's digest.
func (a *Admin) checkToken(cred []byte) (*Grant, error) {
	m := tokenRE.FindSubmatch(cred)
	digest := crypto.SHA256Hex(cred) // compared on every path, even a malformed token
	id, secret := "", []byte(nil)
	if m != nil {
		id, secret = string(m[1]), m[2]
		digest = crypto.SHA256Hex(secret)
	}
	now := a.clock.Now().Unix()
	a.tokMu.Lock()
	t := a.tokens[id]
	stored := strings.Repeat("0", 64)
	if t != nil {
		stored = t.Hash
	}
	match := subtle.ConstantTimeCompare([]byte(stored), []byte(digest)) == 1
	if !match || t == nil || !t.active(now) {
		a.tokMu.Unlock()
		return nil, ErrWrongCredential
	}
	a.tokenUse[id] = now
	scopes := slices.Clone(t.Scopes)
	var expires time.Time
	if t.ExpiresAt != nil {
		expires = time.Unix(*t.ExpiresAt, 0)
	}
	a.tokMu.Unlock()

	g := &Grant{Kind: KindToken, TokenID: id, Scopes: scopes, Expires: expires, dbs: map[uint64]Access{}}
	for _, s := range scopes {
		switch s.Type {
		case ScopeAdmin:
			g.Admin = true
		case ScopeMetrics:
			g.Metrics = true
		case ScopeToken:
			g.TokenRead = g.TokenRead || s.has(PermRead)
			g.TokenWrite = g.TokenWrite || s.has(PermWrite)
		case ScopeDatabase:
			if s.Name == "*" {
				// A rule, not a list: every live database but DB 0, those created later
				// included (Grant.Access), at a cost that does not grow with their number.
				g.all = max(g.all, s.dbAccess())
			} else if d, ok := a.Database(s.Name); ok {
				g.dbs[d.ID] = max(g.dbs[d.ID], s.dbAccess())
			}
		}
	}
	return g, nil
}
