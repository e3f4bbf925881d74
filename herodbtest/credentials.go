package herodbtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
)

// AddAccessKey adds a new random access key to database db with perm ("read" or
// "readwrite") and returns it: the password a tenant's client sends.
func (s *Server) AddAccessKey(t testing.TB, db uint64, perm string) string {
	t.Helper()
	p, err := admin.ParsePermission(perm)
	if err != nil {
		t.Fatalf("herodbtest: access key: %v", err)
	}
	key := hex.EncodeToString(crypto.Random(24))
	if err := s.Admin().AddAccessKey(db, key, p); err != nil {
		t.Fatalf("herodbtest: access key: %v", err)
	}
	return key
}

// CreateToken creates a named token that never expires and returns its secret
// (hdbt_…). Each scope is "DB:PERMS" as the CLI's --db takes it ("app:read",
// "7:read,write", "*:read"), or "admin".
func (s *Server) CreateToken(t testing.TB, name string, scopes ...string) string {
	t.Helper()
	return s.CreateExpiringToken(t, name, 0, scopes...)
}

// CreateExpiringToken is CreateToken for a token that expires ttl from the server's
// clock (whole seconds, as the RPC's expires_in): FastForward past it and the token is
// refused, also on connections that hold it.
func (s *Server) CreateExpiringToken(t testing.TB, name string, ttl time.Duration, scopes ...string) string {
	t.Helper()
	var sc []admin.Scope
	for _, text := range scopes {
		x, err := parseScope(text)
		if err != nil {
			t.Fatalf("herodbtest: token %q: %v", name, err)
		}
		sc = append(sc, x)
	}
	caller, err := s.Admin().Recheck([]byte(AdminSecret))
	if err != nil {
		t.Fatalf("herodbtest: token %q: %v", name, err)
	}
	tok, err := s.Admin().CreateToken(caller, name, sc, ttl)
	if err != nil {
		t.Fatalf("herodbtest: token %q: %v", name, err)
	}
	return tok.Token
}

// parseScope reads "admin" or "DB:PERMS"; the admin package checks the rest.
func parseScope(text string) (admin.Scope, error) {
	if text == "admin" {
		return admin.Scope{Type: admin.ScopeAdmin}, nil
	}
	db, perms, ok := strings.Cut(text, ":")
	if !ok || db == "" || perms == "" {
		return admin.Scope{}, fmt.Errorf("scope %q: want \"admin\" or DB:PERMS, e.g. app:read", text)
	}
	sc := admin.Scope{Type: admin.ScopeDatabase, Name: db}
	for _, p := range strings.Split(perms, ",") {
		sc.Permissions = append(sc.Permissions, admin.Permission(p))
	}
	return sc, nil
}

// trustJWTKey makes the key pair MintJWT signs with and has the server trust its public
// half. A server given JWT keys of its own (Configure) serves exactly those until the
// test first uses the harness's key (useJWTKey), which then joins them: a test of its own
// keys sees only them.
func (s *Server) trustJWTKey(t testing.TB) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("herodbtest: JWT key: %v", err)
	}
	s.jwtKey = priv
	own, theirs := crypto.MarshalPublicKeyPEM(pub), s.cfg.JWT.Load
	s.cfg.JWT.Load = func() ([]byte, error) {
		switch {
		case theirs == nil:
			return own, nil
		case !s.jwtTrusted.Load():
			return theirs()
		}
		text, err := theirs()
		return append(append(append([]byte{}, own...), '\n'), text...), err
	}
}

// useJWTKey has the server trust MintJWT's key from now on (a reload of its JWT keys).
func (s *Server) useJWTKey(t testing.TB) {
	t.Helper()
	if s.jwtTrusted.Swap(true) {
		return
	}
	if err := s.Admin().ReloadJWTKeys(); err != nil {
		t.Fatalf("herodbtest: trusting the JWT key: %v", err)
	}
}

// MintJWT signs claims (sqld's shape, see docs/jwt.md) with EdDSA under a key the server
// trusts. Missing "iat" and "exp" are filled from the server's clock, exp one hour on, so
// the smallest useful call is
//
//	srv.MintJWT(t, map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}})
//
// claims itself is not changed.
func (s *Server) MintJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	s.useJWTKey(t)
	c := jwt.MapClaims{}
	for k, v := range claims {
		c[k] = v
	}
	now := s.clock.Now()
	if _, ok := c["iat"]; !ok {
		c["iat"] = now.Unix()
	}
	if _, ok := c["exp"]; !ok {
		c["exp"] = now.Add(time.Hour).Unix()
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(s.jwtKey)
	if err != nil {
		t.Fatalf("herodbtest: mint JWT: %v", err)
	}
	return tok
}

// JWTPublicKeyPEM is the public key the server trusts for MintJWT's tokens, for a test
// that signs with its own JWT library instead (PUBLIC KEY PEM).
func (s *Server) JWTPublicKeyPEM(t testing.TB) []byte {
	s.useJWTKey(t)
	return crypto.MarshalPublicKeyPEM(s.jwtKey.Public().(ed25519.PublicKey))
}

// JWTPrivateKey is the key MintJWT signs with, for a test that signs with another JWT
// library (jose in Node, for instance); the server trusts it from this call on.
func (s *Server) JWTPrivateKey(t testing.TB) ed25519.PrivateKey {
	s.useJWTKey(t)
	return s.jwtKey
}

// URL is the redis:// URL of database db with credential as the password (an access
// key, a token or a JWT; "" for a public database): what REDIS_URL holds in production.
func (s *Server) URL(db uint64, credential string) string {
	u := url.URL{Scheme: "redis", Host: s.Addr(), Path: "/" + strconv.FormatUint(db, 10)}
	if credential != "" {
		u.User = url.UserPassword("", credential)
	}
	return u.String()
}
