package admin

// How a presented JWT is checked: its shape, its claims, its signature by the key that
// governs each database it names, its times. The policy and the keys are in jwt.go.

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seed6aa118f9/herodb/crypto"
)

// jwtShapeStrict is a JWT's shape; a credential of this shape is only ever checked as a JWT.
var jwtShapeStrict = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$`)

// jwts is the JWT credential kind: three base64url segments, the first a JSON object
// ("eyJ" is how base64url spells '{"'). Verification is verifyJWT.
type jwts struct{}

func (jwts) looks(cred []byte) bool {
	return len(cred) > 3 && string(cred[:3]) == "eyJ" && jwtShapeStrict.Match(cred)
}

func (jwts) verify(a *Admin, cred []byte) (*Grant, error) { return a.verifyJWT(cred) }

// nsList is sqld's {"ns": [...]} (names or ids).
type nsList struct {
	NS []json.RawMessage `json:"ns"`
}

type jwtClaims struct {
	P *struct {
		RO *nsList `json:"ro"`
		RW *nsList `json:"rw"`
	} `json:"p,omitempty"`
	ID string `json:"id,omitempty"` // sqld's legacy: one database
	A  string `json:"a,omitempty"`  // with ro|rw (default rw)
	jwt.RegisteredClaims
}

// named returns the database references of the claims with their access.
func (c *jwtClaims) named() (map[string]Access, error) {
	out := map[string]Access{}
	add := func(l *nsList, acc Access) error {
		if l == nil {
			return nil
		}
		for _, raw := range l.NS {
			var s string
			var n uint64
			switch {
			case json.Unmarshal(raw, &s) == nil:
			case json.Unmarshal(raw, &n) == nil:
				s = strconv.FormatUint(n, 10)
			default:
				return errors.New("a namespace is neither a name nor an id")
			}
			out[s] = max(out[s], acc)
		}
		return nil
	}
	if c.P != nil {
		if err := add(c.P.RO, AccessRead); err != nil {
			return nil, err
		}
		if err := add(c.P.RW, AccessReadWrite); err != nil {
			return nil, err
		}
	}
	if c.ID != "" {
		acc := AccessReadWrite
		switch c.A {
		case "", "rw":
		case "ro":
			acc = AccessRead
		default:
			return nil, errors.New(`claim "a" must be "ro" or "rw"`)
		}
		out[c.ID] = max(out[c.ID], acc)
	}
	return out, nil
}

// verifyJWT checks a token and returns its grant. Signature first, then times, so a
// forged token never learns whether it would have been expired.
func (a *Admin) verifyJWT(token []byte) (*Grant, error) {
	if len(token) > MaxJWTSize {
		return nil, jwtErr(JWTInvalid, "token too large")
	}
	now := a.clock.Now()
	digest := crypto.Digest(token)
	gen := a.CredentialGeneration()
	a.jwt.mu.RLock()
	c, hit := a.jwt.cache[digest]
	a.jwt.mu.RUnlock()
	if hit && c.gen == gen {
		if !now.Before(c.grant.Expires) { // RFC 7519: not on or after exp
			return nil, JWTExpiredError()
		}
		return c.grant, nil
	}
	var claims jwtClaims
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}))
	unverified, parts, err := parser.ParseUnverified(string(token), &claims)
	switch {
	case err != nil:
		return nil, jwtErr(JWTInvalid, "malformed token, or a claim of the wrong type")
	case !numericDates(parser, parts[1]):
		return nil, jwtErr(JWTInvalid, "exp, nbf and iat must be JSON numbers (RFC 7519 NumericDate)")
	case unverified.Method.Alg() != "EdDSA":
		return nil, jwtErr(JWTInvalid, "not an EdDSA (Ed25519) JWT")
	case unverified.Header["crit"] != nil:
		// RFC 7515: a recipient must refuse critical extensions it does not understand.
		return nil, jwtErr(JWTInvalid, "the token has a crit header this server does not understand")
	}
	refs, err := claims.named()
	if err != nil {
		return nil, jwtErr(JWTInvalid, err.Error())
	}
	if len(refs) == 0 {
		return nil, jwtErr(JWTInvalid, "the token names no database (claims p.ro.ns, p.rw.ns or id)")
	}
	if _, ok := refs["0"]; ok {
		return nil, jwtErr(JWTInvalid, "the token names DB 0, which a JWT can never open")
	}
	wild, hasWild := refs["*"]
	if hasWild && !a.jwt.cfg.AllowWildcard {
		return nil, jwtErr(JWTInvalid, `"*" is not allowed on this server (--jwt-allow-wildcard)`)
	}
	delete(refs, "*")

	// Each database is opened by the key that governs it: its own key when it has one,
	// else the server-wide keys. "*" is a rule, never a list of databases: the databases
	// the server-wide keys govern (those without a key of their own), now and later, so
	// it belongs to the server-wide keys' group even when that names no database.
	type group struct {
		keys []crypto.PublicKey
		dbs  map[uint64]Access
	}
	groups := map[string]*group{}
	groupOf := func(gk string, keys []crypto.PublicKey) *group {
		g := groups[gk]
		if g == nil {
			g = &group{keys: keys, dbs: map[uint64]Access{}}
			groups[gk] = g
		}
		return g
	}
	for ref, acc := range refs {
		d, ok := a.Database(ref)
		if !ok {
			continue
		}
		var g *group
		if d.JWTKey != nil {
			g = groupOf("db:"+strconv.FormatUint(d.ID, 10), []crypto.PublicKey{{Key: d.JWTKey, ID: crypto.Thumbprint(d.JWTKey)}})
		} else {
			g = groupOf("server", nil)
		}
		g.dbs[d.ID] = max(g.dbs[d.ID], acc)
	}
	if hasWild {
		groupOf("server", nil)
	}
	if g := groups["server"]; g != nil {
		a.jwt.mu.RLock()
		g.keys = a.jwt.keys
		a.jwt.mu.RUnlock()
	}

	grant := &Grant{Kind: KindJWT, dbs: map[uint64]Access{}}
	verified := false
	for gk, g := range groups {
		if a.checkSignature(token, unverified.Header["kid"], g.keys) {
			verified = true
			for id, acc := range g.dbs {
				grant.dbs[id] = acc
			}
			if gk == "server" && hasWild {
				grant.all, grant.keyless = wild, true
			}
		}
	}
	if !verified {
		if len(groups) == 0 && a.checkSignature(token, unverified.Header["kid"], a.serverKeys()) {
			return nil, jwtErr(JWTInvalid, "the token names no database that exists")
		}
		return nil, jwtErr(JWTInvalid, "the signature does not verify with the key of any database it names")
	}
	if err := a.checkTimes(&claims, now); err != nil {
		return nil, err
	}
	if claims.RegisteredClaims.ID != "" {
		a.jwt.mu.RLock()
		_, denied := a.jwt.deny[claims.RegisteredClaims.ID]
		a.jwt.mu.RUnlock()
		if denied {
			return nil, jwtErr(JWTInvalid, "the token was revoked")
		}
	}
	grant.Expires = claims.ExpiresAt.Time.Add(a.jwt.cfg.Leeway)
	a.jwt.mu.Lock()
	if len(a.jwt.cache) > 100000 {
		a.jwt.cache = map[[32]byte]jwtCached{}
	}
	a.jwt.cache[digest] = jwtCached{grant: grant, gen: gen}
	a.jwt.mu.Unlock()
	return grant, nil
}

// numericDates reports whether the claims segment's exp, nbf and iat, where present, are
// JSON numbers, as RFC 7519 requires. golang-jwt reads them through json.Number, which
// also takes a string that holds a number ("exp": "1800000000") and reads null as absent.
// encoding/json matches member names without regard to case, so every spelling that
// lands in those fields is checked (of exact duplicates, the last: the one that is used).
func numericDates(p *jwt.Parser, seg string) bool {
	body, err := p.DecodeSegment(seg)
	if err != nil {
		return false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil {
		return false
	}
	for name, v := range members {
		if !strings.EqualFold(name, "exp") && !strings.EqualFold(name, "nbf") && !strings.EqualFold(name, "iat") {
			continue
		}
		if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
			return false
		}
	}
	return true
}

func (a *Admin) serverKeys() []crypto.PublicKey {
	a.jwt.mu.RLock()
	defer a.jwt.mu.RUnlock()
	return a.jwt.keys
}

// checkSignature verifies token with keys, or only the key named by kid when given.
func (a *Admin) checkSignature(token []byte, kid any, keys []crypto.PublicKey) bool {
	set := jwt.VerificationKeySet{}
	for _, k := range keys {
		if s, ok := kid.(string); ok && s != "" && s != k.ID {
			continue
		}
		set.Keys = append(set.Keys, k.Key)
	}
	if len(set.Keys) == 0 {
		return false
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithoutClaimsValidation())
	_, err := p.ParseWithClaims(string(token), &jwtClaims{}, func(*jwt.Token) (any, error) { return set, nil })
	return err == nil
}

// checkTimes applies exp (exact, plus the configured leeway), nbf and iat (60 s of
// skew), and the aud and iss pins. golang-jwt has one leeway for all three times, so
// herodb checks them itself after the signature.
func (a *Admin) checkTimes(c *jwtClaims, now time.Time) error {
	if c.ExpiresAt == nil {
		return jwtErr(JWTInvalid, "the token has no exp: herodb accepts only tokens that expire")
	}
	if !now.Before(c.ExpiresAt.Time.Add(a.jwt.cfg.Leeway)) { // RFC 7519: not on or after exp
		return JWTExpiredError()
	}
	if c.NotBefore != nil && c.NotBefore.Time.After(now.Add(jwtSkew)) {
		return jwtErr(JWTImmature, "the token is not valid yet (nbf)")
	}
	if c.IssuedAt != nil && c.IssuedAt.Time.After(now.Add(jwtSkew)) {
		return jwtErr(JWTImmature, "the token was issued in the future (iat)")
	}
	if a.jwt.cfg.Audience != "" {
		ok := false
		for _, aud := range c.Audience {
			ok = ok || aud == a.jwt.cfg.Audience
		}
		if !ok {
			return jwtErr(JWTInvalid, "the token's aud does not name this server")
		}
	}
	if a.jwt.cfg.Issuer != "" && c.Issuer != a.jwt.cfg.Issuer {
		return jwtErr(JWTInvalid, "the token's iss is not the expected issuer")
	}
	return nil
}
