package server_test

// End-to-end tests of Ed25519 JWTs (docs/jwt.md; shared/DESIGN.md section 7): tokens
// minted with golang-jwt, presented over RESP (raw, or go-redis), checked by the replies
// a user sees. Helpers here start with jwt to stay clear of other test files.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/storage"
)

const (
	jwtInvalid  = "-WRONGPASS AUTH_JWT_INVALID"
	jwtExpired  = "-WRONGPASS AUTH_JWT_EXPIRED"
	jwtImmature = "-WRONGPASS AUTH_JWT_IMMATURE"
	jwtNoPerm   = "-NOPERM"
	jwtWrong    = "-WRONGPASS"
)

// jwtEnv is a test server whose server-wide JWT keys can be changed (then reloaded),
// with two private databases, "app" and "other".
type jwtEnv struct {
	srv    *herodbtest.Server
	clock  *storage.ManualClock // nil: the wall clock
	priv   ed25519.PrivateKey
	pubPEM []byte
	app    uint64
	other  uint64

	mu      sync.Mutex
	keyText []byte
}

func jwtNewKey(t testing.TB) (ed25519.PrivateKey, []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv, crypto.MarshalPublicKeyPEM(pub)
}

// jwtStart starts a server; cfg.Load is replaced by the env's key text (the env's own
// public key at first). clock nil means the wall clock.
func jwtStart(t testing.TB, clock *storage.ManualClock, cfg admin.JWTConfig) *jwtEnv {
	t.Helper()
	e := &jwtEnv{clock: clock}
	e.priv, e.pubPEM = jwtNewKey(t)
	e.keyText = e.pubPEM
	cfg.Load = e.load
	o := herodbtest.Options{Configure: func(c *server.Config) { c.JWT = cfg }}
	if clock != nil {
		o.Clock = clock
	}
	e.srv = herodbtest.Start(t, o)
	e.app = e.srv.CreateDatabase(t, "app", false)
	e.other = e.srv.CreateDatabase(t, "other", false)
	return e
}

func (e *jwtEnv) load() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.keyText, nil
}

// setKeys changes what Load returns and reloads, as SIGHUP does.
func (e *jwtEnv) setKeys(t testing.TB, text []byte) {
	t.Helper()
	e.mu.Lock()
	e.keyText = text
	e.mu.Unlock()
	tNoErr(t, "reload JWT keys", e.srv.Admin().ReloadJWTKeys())
}

func (e *jwtEnv) now() time.Time {
	if e.clock != nil {
		return e.clock.Now()
	}
	return time.Now()
}

// claims are the defaults (rw on "app", exp in an hour) overridden by set; a nil value
// removes a claim.
func (e *jwtEnv) claims(set jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{"p": jwtP("rw", "app"), "exp": e.now().Add(time.Hour).Unix()}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// jwtP is sqld's "p" claim with one access level.
func jwtP(level string, dbs ...any) map[string]any {
	return map[string]any{level: map[string]any{"ns": dbs}}
}

func jwtMint(t testing.TB, priv ed25519.PrivateKey, c jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mint signs the default claims, overridden by set, with the env's key.
func (e *jwtEnv) mint(t testing.TB, set jwt.MapClaims) string {
	t.Helper()
	return jwtMint(t, e.priv, e.claims(set), "")
}

func (e *jwtEnv) dial(t testing.TB) *tConn { return tDial(t, e.srv.Addr()) }

func jwtB64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Valid tokens, presented every supported way: what they open and what they allow.
func TestJWTValid(t *testing.T) {
	clock := tNewClock()
	e := jwtStart(t, clock, admin.JWTConfig{})
	appID := strconv.FormatUint(e.app, 10)
	now := clock.Now()
	roApp := e.mint(t, jwt.MapClaims{"p": jwtP("ro", "app")})
	rwApp := e.mint(t, nil)

	type step struct {
		args []string
		want string
	}
	sel := func(tok string) step { return step{[]string{"SELECT", "app", "KEY", tok}, tOK} }
	get := step{[]string{"GET", "k"}, "$"}
	set := step{[]string{"SET", "k", "v"}, tOK}
	setDenied := step{[]string{"SET", "k", "v"}, jwtNoPerm}
	cases := []struct {
		name  string
		steps []step
	}{
		{"ro by name: reads, writes refused", []step{sel(roApp), get, setDenied}},
		{"rw by name", []step{sel(rwApp), set, get}},
		{"rw by id string", []step{sel(e.mint(t, jwt.MapClaims{"p": jwtP("rw", appID)})), set}},
		{"rw by id number", []step{sel(e.mint(t, jwt.MapClaims{"p": jwtP("rw", e.app)})), set}},
		{"SELECT by id, token by name", []step{{[]string{"SELECT", appID, "KEY", rwApp}, tOK}, set}},
		{"ro and rw on the same database: rw", []step{sel(e.mint(t, jwt.MapClaims{"p": map[string]any{"ro": map[string]any{"ns": []string{"app"}}, "rw": map[string]any{"ns": []string{"app"}}}})), set}},
		{"legacy id, a=ro", []step{sel(e.mint(t, jwt.MapClaims{"p": nil, "id": "app", "a": "ro"})), get, setDenied}},
		{"legacy id, a=rw", []step{sel(e.mint(t, jwt.MapClaims{"p": nil, "id": "app", "a": "rw"})), set}},
		{"legacy id, no a: rw", []step{sel(e.mint(t, jwt.MapClaims{"p": nil, "id": "app"})), set}},
		{"nbf 30 s ahead", []step{sel(e.mint(t, jwt.MapClaims{"nbf": now.Add(30 * time.Second).Unix()})), set}},
		{"iat 30 s ahead", []step{sel(e.mint(t, jwt.MapClaims{"iat": now.Add(30 * time.Second).Unix()})), set}},
		{"with kid of the server key", []step{sel(jwtMint(t, e.priv, e.claims(nil), crypto.Thumbprint(e.priv.Public().(ed25519.PublicKey)))), set}},
		{"AUTH naming one database selects it", []step{{[]string{"AUTH", rwApp}, tOK}, set, get}},
		{"AUTH ro naming one database", []step{{[]string{"AUTH", roApp}, tOK}, get, setDenied}},
		{"AUTH <db> <jwt>", []step{{[]string{"AUTH", "app", rwApp}, tOK}, set}},
		{"AUTH <id> <jwt>", []step{{[]string{"AUTH", appID, roApp}, tOK}, get, setDenied}},
		{"HELLO 2 AUTH default <jwt>", []step{{[]string{"HELLO", "2", "AUTH", "default", rwApp}, "*"}, set}},
		{"valid token, other database: SELECT", []step{{[]string{"SELECT", "other", "KEY", rwApp}, jwtNoPerm}, {[]string{"GET", "k"}, "-NOAUTH"}}},
		{"valid token, other database: AUTH <db>", []step{{[]string{"AUTH", "other", rwApp}, jwtNoPerm}}},
		{"valid token, DB 0", []step{{[]string{"SELECT", "0", "KEY", rwApp}, jwtNoPerm}}},
		{"valid token, admin command", []step{{[]string{"AUTH", rwApp}, tOK}, {[]string{"FLUSHALL"}, "-NOPERM"}}},
		{"KEY applies to its selection only", []step{{[]string{"SELECT", "other", "KEY", e.mint(t, jwt.MapClaims{"p": jwtP("rw", "other", "app")})}, tOK}, {[]string{"SELECT", "app"}, "-NOAUTH"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.dial(t)
			for _, s := range tc.steps {
				tDo(t, c, s.want, s.args...)
			}
		})
	}

	// A token naming two databases: AUTH selects neither; SELECT then needs no KEY.
	c := e.dial(t)
	two := e.mint(t, jwt.MapClaims{"p": map[string]any{"ro": map[string]any{"ns": []string{"app"}}, "rw": map[string]any{"ns": []string{"other"}}}})
	tDo(t, c, tOK, "AUTH", two)
	tDo(t, c, "-NOAUTH", "GET", "k")
	tDo(t, c, tOK, "SELECT", "other")
	tDo(t, c, tOK, "SET", "k", "v2")
	tDo(t, c, tOK, "SELECT", "app")
	tDo(t, c, jwtNoPerm, "SET", "k", "v2")

	// go-redis: Password is sent as HELLO 2 AUTH default <jwt>.
	for _, tc := range []struct {
		tok     string
		setWant string
	}{{rwApp, ""}, {roApp, "NOPERM"}} {
		rdb := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), Password: tc.tok, Protocol: 2, MaxRetries: -1})
		t.Cleanup(func() { rdb.Close() })
		if _, err := rdb.Get(tCtx, "k").Result(); err != nil && err != redis.Nil {
			t.Errorf("go-redis GET: %v", err)
		}
		err := rdb.Set(tCtx, "k", "v3", 0).Err()
		if tc.setWant == "" {
			tNoErr(t, "go-redis SET", err)
		} else {
			tErrIs(t, "go-redis SET with a ro token", err, tc.setWant)
		}
	}
}

// Tokens refused, by the code a user sees, on a fresh connection each.
func TestJWTRefused(t *testing.T) {
	clock := tNewClock()
	e := jwtStart(t, clock, admin.JWTConfig{})
	now := clock.Now()
	wrong, _ := jwtNewKey(t)
	body := jwtB64(e.claims(nil))
	hs256 := func(secret []byte) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, e.claims(nil)).SignedString(secret)
		tNoErr(t, "sign HS256", err)
		return s
	}
	pubRaw := []byte(e.priv.Public().(ed25519.PublicKey))
	big := e.mint(t, jwt.MapClaims{"pad": strings.Repeat("x", 8<<10)})
	if len(big) <= admin.MaxJWTSize || len(big) > 16<<10 {
		t.Fatalf("oversized token is %d bytes", len(big))
	}

	cases := []struct {
		name, token, want string
	}{
		{"expired", e.mint(t, jwt.MapClaims{"exp": now.Add(-time.Second).Unix()}), jwtExpired},
		{"nbf 2 min ahead", e.mint(t, jwt.MapClaims{"nbf": now.Add(2 * time.Minute).Unix()}), jwtImmature},
		{"iat 2 min ahead", e.mint(t, jwt.MapClaims{"iat": now.Add(2 * time.Minute).Unix()}), jwtImmature},
		{"wrong key", jwtMint(t, wrong, e.claims(nil), ""), jwtInvalid},
		{"alg none", jwtB64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + body + ".", jwtInvalid},
		{"HS256 with the public key PEM", hs256(e.pubPEM), jwtInvalid},
		{"HS256 with the raw public key", hs256(pubRaw), jwtInvalid},
		{"missing exp", e.mint(t, jwt.MapClaims{"exp": nil}), jwtInvalid},
		{"no databases", e.mint(t, jwt.MapClaims{"p": nil}), jwtInvalid},
		{"empty ns", e.mint(t, jwt.MapClaims{"p": jwtP("rw")}), jwtInvalid},
		{"DB 0 named beside app", e.mint(t, jwt.MapClaims{"p": jwtP("rw", "app", "0")}), jwtInvalid},
		{"DB 0 as a number, ro", e.mint(t, jwt.MapClaims{"p": map[string]any{"ro": map[string]any{"ns": []any{0}}, "rw": map[string]any{"ns": []any{"app"}}}}), jwtInvalid},
		{"wildcard without AllowWildcard", e.mint(t, jwt.MapClaims{"p": jwtP("rw", "*")}), jwtInvalid},
		{"oversized", big, jwtInvalid},
		{"unknown kid", jwtMint(t, e.priv, e.claims(nil), "not-a-key-id"), jwtInvalid},
		{"names only a database that does not exist", e.mint(t, jwt.MapClaims{"p": jwtP("rw", "ghost")}), jwtInvalid},
		{"JWT-shaped garbage", "eyJhbGciOiJFZERTQSJ9.eyJ4Ijoi.AAAA", jwtInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.dial(t)
			tDo(t, c, tc.want, "SELECT", "app", "KEY", tc.token)
			tDo(t, c, "-NOAUTH", "GET", "k") // nothing was selected
		})
	}
}

// Every way of presenting a token carries the same code; the connection stays usable.
func TestJWTRefusedEachWay(t *testing.T) {
	clock := tNewClock()
	e := jwtStart(t, clock, admin.JWTConfig{})
	expired := e.mint(t, jwt.MapClaims{"exp": clock.Now().Add(-time.Minute).Unix()})
	c := e.dial(t)
	tDo(t, c, jwtExpired, "SELECT", "app", "KEY", expired)
	tDo(t, c, jwtExpired, "AUTH", expired)
	tDo(t, c, jwtExpired, "AUTH", "app", expired)
	tDo(t, c, jwtExpired, "HELLO", "2", "AUTH", "default", expired)
	tDo(t, c, tOK, "AUTH", e.mint(t, nil))
	tDo(t, c, tOK, "SET", "k", "v")
}

func TestJWTWildcard(t *testing.T) {
	e := jwtStart(t, tNewClock(), admin.JWTConfig{AllowWildcard: true})
	star := e.mint(t, jwt.MapClaims{"p": jwtP("ro", "*")})
	c := e.dial(t)
	tDo(t, c, tOK, "SELECT", "app", "KEY", star)
	tDo(t, c, "$", "GET", "k")
	tDo(t, c, jwtNoPerm, "SET", "k", "v")
	tDo(t, c, tOK, "SELECT", "other", "KEY", star)
	tDo(t, c, jwtNoPerm, "SELECT", "0", "KEY", star)
	tDo(t, c, jwtInvalid, "SELECT", "app", "KEY", e.mint(t, jwt.MapClaims{"p": jwtP("rw", "*", "0")}))

	// A database created after AUTH with "*" is covered too.
	c2 := e.dial(t)
	tDo(t, c2, tOK, "AUTH", e.mint(t, jwt.MapClaims{"p": jwtP("rw", "*")}))
	e.srv.CreateDatabase(t, "late", false)
	tDo(t, c2, tOK, "SELECT", "late")
	tDo(t, c2, tOK, "SET", "k", "v")
}

// kid selects one of several server keys; without kid each is tried.
func TestJWTKidRotation(t *testing.T) {
	e := jwtStart(t, tNewClock(), admin.JWTConfig{})
	privB, pubB := jwtNewKey(t)
	e.setKeys(t, append(append([]byte{}, e.pubPEM...), pubB...))
	idA := crypto.Thumbprint(e.priv.Public().(ed25519.PublicKey))
	idB := crypto.Thumbprint(privB.Public().(ed25519.PublicKey))
	tEq(t, "key ids", e.srv.Admin().JWTKeyIDs(), []string{idA, idB})
	cases := []struct {
		name string
		priv ed25519.PrivateKey
		kid  string
		want string
	}{
		{"key A, kid A", e.priv, idA, tOK},
		{"key B, kid B", privB, idB, tOK},
		{"key A, no kid", e.priv, "", tOK},
		{"key B, no kid", privB, "", tOK},
		{"key B, kid A", privB, idA, jwtInvalid},
		{"unknown kid", privB, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", jwtInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tDo(t, e.dial(t), tc.want, "SELECT", "app", "KEY", jwtMint(t, tc.priv, e.claims(nil), tc.kid))
		})
	}
}

// A reload replaces the keys at once: cached verifications and open connections too.
func TestJWTReload(t *testing.T) {
	e := jwtStart(t, tNewClock(), admin.JWTConfig{})
	tokA := e.mint(t, nil)
	authed := e.dial(t)
	tDo(t, authed, tOK, "AUTH", tokA)
	tDo(t, authed, tOK, "SET", "k", "v")
	keyed := e.dial(t)
	tDo(t, keyed, tOK, "SELECT", "app", "KEY", tokA) // verified once more: now cached
	tDo(t, keyed, "$", "GET", "k")

	privB, pubB := jwtNewKey(t)
	e.setKeys(t, pubB)
	tDo(t, authed, jwtWrong, "GET", "k")
	tDo(t, keyed, jwtWrong, "GET", "k")
	tDo(t, e.dial(t), jwtInvalid, "SELECT", "app", "KEY", tokA)
	c := e.dial(t)
	tDo(t, c, tOK, "SELECT", "app", "KEY", jwtMint(t, privB, e.claims(nil), ""))
	tDo(t, c, tBulk("v"), "GET", "k")

	// A failed reload keeps the keys in use.
	e.mu.Lock()
	e.keyText = crypto.MarshalPrivateKeyPEM(privB)
	e.mu.Unlock()
	if err := e.srv.Admin().ReloadJWTKeys(); err == nil || !strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("reload with a private key: %v", err)
	}
	tDo(t, c, tBulk("v"), "GET", "k")
	tDo(t, e.dial(t), tOK, "SELECT", "app", "KEY", jwtMint(t, privB, e.claims(jwt.MapClaims{"jti": "x"}), ""))
}

func TestJWTAudienceIssuer(t *testing.T) {
	e := jwtStart(t, tNewClock(), admin.JWTConfig{Audience: "herodb", Issuer: "https://auth.example"})
	cases := []struct {
		name string
		set  jwt.MapClaims
		want string
	}{
		{"aud and iss", jwt.MapClaims{"aud": "herodb", "iss": "https://auth.example"}, tOK},
		{"aud list", jwt.MapClaims{"aud": []string{"x", "herodb"}, "iss": "https://auth.example"}, tOK},
		{"no aud", jwt.MapClaims{"iss": "https://auth.example"}, jwtInvalid},
		{"other aud", jwt.MapClaims{"aud": "redis", "iss": "https://auth.example"}, jwtInvalid},
		{"no iss", jwt.MapClaims{"aud": "herodb"}, jwtInvalid},
		{"other iss", jwt.MapClaims{"aud": "herodb", "iss": "https://evil.example"}, jwtInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tDo(t, e.dial(t), tc.want, "SELECT", "app", "KEY", e.mint(t, tc.set))
		})
	}
}

// A database's own key: the tenant's tokens open it, the server's no longer do.
func TestJWTDatabaseKey(t *testing.T) {
	e := jwtStart(t, tNewClock(), admin.JWTConfig{})
	tenantPriv, tenantPEM := jwtNewKey(t)
	serverTok := e.mint(t, nil)
	both := e.mint(t, jwt.MapClaims{"p": jwtP("rw", "app", "other")})
	tenantTok := jwtMint(t, tenantPriv, e.claims(jwt.MapClaims{"p": jwtP("rw", "app", "other")}), "")

	open := e.dial(t)
	tDo(t, open, tOK, "AUTH", serverTok)
	tDo(t, open, tOK, "SET", "k", "v")
	tDo(t, e.dial(t), jwtInvalid, "SELECT", "app", "KEY", tenantTok)

	tNoErr(t, "set database key", e.srv.Admin().SetDatabaseJWTKey(e.app, string(tenantPEM)))
	tDo(t, open, jwtWrong, "GET", "k") // the open connection loses it at once
	c := e.dial(t)
	tDo(t, c, jwtInvalid, "SELECT", "app", "KEY", serverTok)
	tDo(t, c, tOK, "SELECT", "app", "KEY", tenantTok)
	tDo(t, c, tBulk("v"), "GET", "k")
	tDo(t, c, jwtNoPerm, "SELECT", "other", "KEY", tenantTok) // a tenant key opens only its database
	tDo(t, c, tOK, "SELECT", "other", "KEY", both)
	tDo(t, c, jwtNoPerm, "SELECT", "app", "KEY", both) // valid, but no longer for app

	tNoErr(t, "remove database key", e.srv.Admin().SetDatabaseJWTKey(e.app, ""))
	c = e.dial(t)
	tDo(t, c, tOK, "SELECT", "app", "KEY", serverTok)
	tDo(t, c, tBulk("v"), "GET", "k")
	tDo(t, e.dial(t), jwtInvalid, "SELECT", "app", "KEY", jwtMint(t, tenantPriv, e.claims(nil), ""))
}

// A revoked jti is refused at once: new AUTHs, and open connections at their next command.
func TestJWTRevoke(t *testing.T) {
	clock := tNewClock()
	e := jwtStart(t, clock, admin.JWTConfig{})
	exp := clock.Now().Add(time.Hour).Unix()
	tok := e.mint(t, jwt.MapClaims{"jti": "j-1", "exp": exp})
	keep := e.mint(t, jwt.MapClaims{"jti": "j-2", "exp": exp})
	authed, keyed, kept := e.dial(t), e.dial(t), e.dial(t)
	tDo(t, authed, tOK, "AUTH", tok)
	tDo(t, authed, tOK, "SET", "k", "v")
	tDo(t, keyed, tOK, "SELECT", "app", "KEY", tok)
	tDo(t, keyed, tBulk("v"), "GET", "k")
	tDo(t, kept, tOK, "SELECT", "app", "KEY", keep)

	tNoErr(t, "revoke", e.srv.Admin().RevokeJWT("j-1", exp))
	tDo(t, authed, jwtWrong, "GET", "k")
	tDo(t, keyed, jwtWrong, "GET", "k")
	tDo(t, e.dial(t), jwtInvalid, "AUTH", tok)
	tDo(t, e.dial(t), jwtInvalid, "SELECT", "app", "KEY", tok)
	tDo(t, kept, tBulk("v"), "GET", "k")
	tDo(t, e.dial(t), tOK, "AUTH", keep)
}

// A token that expires during a session: the next command says so; AUTH with a fresh
// token on the same connection continues.
func TestJWTExpiryInSession(t *testing.T) {
	clock := tNewClock()
	e := jwtStart(t, clock, admin.JWTConfig{})
	cases := []struct {
		name    string
		present func(tok string) []string
	}{
		{"AUTH", func(tok string) []string { return []string{"AUTH", tok} }},
		{"AUTH db", func(tok string) []string { return []string{"AUTH", "app", tok} }},
		{"HELLO AUTH", func(tok string) []string { return []string{"HELLO", "2", "AUTH", "default", tok} }},
		{"SELECT KEY", func(tok string) []string { return []string{"SELECT", "app", "KEY", tok} }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.dial(t)
			first := tc.present(e.mint(t, jwt.MapClaims{"exp": clock.Now().Add(time.Minute).Unix(), "jti": "a" + strconv.Itoa(i)}))
			okReply := tOK
			if first[0] == "HELLO" {
				okReply = "*"
			}
			tDo(t, c, okReply, first...)
			tDo(t, c, tOK, "SET", "k", tc.name)
			clock.Add(time.Minute - time.Second) // a second before exp: still valid
			tDo(t, c, tBulk(tc.name), "GET", "k")
			clock.Add(time.Second)
			tDo(t, c, jwtExpired, "GET", "k")
			tDo(t, c, "-NOAUTH", "GET", "k")
			tDo(t, c, jwtExpired, first...) // the same token again (cached) is expired too
			tDo(t, c, okReply, tc.present(e.mint(t, jwt.MapClaims{"exp": clock.Now().Add(time.Hour).Unix()}))...)
			tDo(t, c, tBulk(tc.name), "GET", "k")
		})
	}
}

// A token naming two databases expires between SELECTs: the SELECT says so.
func TestJWTExpiryThenSelect(t *testing.T) {
	clock := tNewClock()
	e := jwtStart(t, clock, admin.JWTConfig{})
	c := e.dial(t)
	tDo(t, c, tOK, "AUTH", e.mint(t, jwt.MapClaims{"exp": clock.Now().Add(time.Minute).Unix(), "p": jwtP("rw", "app", "other")}))
	tDo(t, c, tOK, "SELECT", "app")
	tDo(t, c, tOK, "SET", "k", "v")
	clock.Add(2 * time.Minute)
	tDo(t, c, jwtExpired, "SELECT", "other")
	tDo(t, c, jwtExpired, "GET", "k")
	tDo(t, c, tOK, "AUTH", e.mint(t, jwt.MapClaims{"p": jwtP("rw", "app", "other")}))
	tDo(t, c, tOK, "SELECT", "app")
	tDo(t, c, tBulk("v"), "GET", "k")
}

// Keys made with openssl as in the sqld guide; raw base64url keys.
func TestJWTOpenSSLAndRawKeys(t *testing.T) {
	e := jwtStart(t, tNewClock(), admin.JWTConfig{})
	if openssl, err := exec.LookPath("openssl"); err != nil {
		t.Log("openssl not on PATH: skipping its keys")
	} else {
		dir := t.TempDir()
		k, pub := filepath.Join(dir, "k.pem"), filepath.Join(dir, "k.pub")
		for _, args := range [][]string{{"genpkey", "-algorithm", "ed25519", "-out", k}, {"pkey", "-in", k, "-pubout", "-out", pub}} {
			if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
				t.Fatalf("openssl %v: %v\n%s", args, err, out)
			}
		}
		pubText, _ := os.ReadFile(pub)
		privText, _ := os.ReadFile(k)
		keys, err := crypto.ParsePublicKeys(pubText)
		tNoErr(t, "parse openssl public key", err)
		priv, err := crypto.ParsePrivateKeyPEM(privText)
		tNoErr(t, "parse openssl private key", err)
		e.setKeys(t, pubText)
		tEq(t, "key ids", e.srv.Admin().JWTKeyIDs(), []string{keys[0].ID})
		c := e.dial(t)
		tDo(t, c, tOK, "SELECT", "app", "KEY", jwtMint(t, priv, e.claims(nil), keys[0].ID))
		tDo(t, c, tOK, "SET", "k", "openssl")
		tDo(t, e.dial(t), jwtInvalid, "SELECT", "app", "KEY", e.mint(t, nil)) // the old key is gone
	}

	raw := base64.RawURLEncoding.EncodeToString(e.priv.Public().(ed25519.PublicKey))
	e.setKeys(t, []byte(raw+"\n"))
	c := e.dial(t)
	tDo(t, c, tOK, "SELECT", "app", "KEY", e.mint(t, nil))
	tDo(t, c, tOK, "SET", "k", "raw")
}

// herodb jwt keygen / mint, and SIGHUP reload, with the real binary.
func TestJWTCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := tBuildHerodb(t)
	dir := filepath.Join(t.TempDir(), "keys")
	run := func(env []string, args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	out, stderr, err := run(nil, "jwt", "keygen", "--out", dir)
	if err != nil {
		t.Fatalf("keygen: %v\n%s", err, stderr)
	}
	privPath, pubPath := filepath.Join(dir, "jwt_private.pem"), filepath.Join(dir, "jwt_public.pem")
	st, err := os.Stat(privPath)
	tNoErr(t, "stat private key", err)
	tEq(t, "private key mode", st.Mode().Perm(), os.FileMode(0o600))
	pubText, err := os.ReadFile(pubPath)
	tNoErr(t, "read public key", err)
	keys, err := crypto.ParsePublicKeys(pubText)
	tNoErr(t, "parse public key", err)
	if !strings.Contains(out, "kid: "+keys[0].ID) {
		t.Errorf("keygen does not print the key id %s:\n%s", keys[0].ID, out)
	}
	if _, _, err := run(nil, "jwt", "keygen", "--out", dir); err == nil {
		t.Error("keygen overwrote an existing key")
	}

	mint := func(args ...string) string {
		t.Helper()
		out, stderr, err := run(nil, append([]string{"jwt", "mint", "--key", privPath}, args...)...)
		if err != nil {
			t.Fatalf("mint %v: %v\n%s", args, err, stderr)
		}
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
			t.Fatalf("mint printed %q, want one line", out)
		}
		return strings.TrimSuffix(out, "\n")
	}
	// The binary mints with the wall clock, so this server runs on it too.
	e := jwtStart(t, nil, admin.JWTConfig{})
	e.setKeys(t, pubText)
	c := e.dial(t)
	tDo(t, c, tOK, "SELECT", "app", "KEY", mint("--db", "app", "--ttl", "1h"))
	tDo(t, c, tOK, "SET", "k", "v")
	ro := mint("--db", "app", "--db", strconv.FormatUint(e.other, 10), "--ro", "--ttl", "1h")
	tDo(t, c, tOK, "SELECT", "other", "KEY", ro)
	tDo(t, c, jwtNoPerm, "SET", "k", "v")
	tDo(t, c, tOK, "SELECT", "app", "KEY", ro)
	tDo(t, c, tBulk("v"), "GET", "k")
	if _, _, err := run(nil, "jwt", "mint", "--key", pubPath, "--db", "app"); err == nil {
		t.Error("mint accepted a public key")
	}
	if _, _, err := run(nil, "jwt", "mint", "--key", privPath); err == nil {
		t.Error("mint without --db succeeded")
	}

	// serve: a PRIVATE KEY refused at startup; both key sources refused; SIGHUP reloads.
	secretFile := filepath.Join(t.TempDir(), "secret")
	tNoErr(t, "write secret", os.WriteFile(secretFile, []byte("jwt-cli-admin-secret\n"), 0o600))
	serveArgs := func(data string) []string {
		return []string{"serve", "--dev", "--dir", data, "--admin-secret-file", secretFile, "--port", strconv.Itoa(tFreePort(t)),
			"--rpc-port", strconv.Itoa(tFreePort(t))} // --dev serves the RPC: not on 8080, which other tests may hold
	}
	_, stderr, err = run(nil, append(serveArgs(filepath.Join(t.TempDir(), "d1")), "--jwt-key-file", privPath)...)
	if err == nil || !strings.Contains(stderr, "PRIVATE KEY") {
		t.Errorf("serve with a private key: %v\n%s", err, stderr)
	}
	_, stderr, err = run([]string{"HERODB_JWT_KEY=" + string(pubText)}, append(serveArgs(filepath.Join(t.TempDir(), "d2")), "--jwt-key-file", pubPath)...)
	if err == nil || !strings.Contains(stderr, "not both") {
		t.Errorf("serve with both key sources: %v\n%s", err, stderr)
	}

	keyFile := filepath.Join(t.TempDir(), "jwt.pub")
	tNoErr(t, "write key file", os.WriteFile(keyFile, pubText, 0o644))
	port := tFreePort(t)
	cmd := tStartBinary(t, bin, port, "--dev", "--dir", filepath.Join(t.TempDir(), "d3"), "--admin-secret-file", secretFile, "--jwt-key-file", keyFile,
		"--rpc-port", strconv.Itoa(tFreePort(t)))
	addr := "127.0.0.1:" + strconv.Itoa(port)
	tokA := mint("--db", "demo", "--ttl", "1h")
	tDo(t, tDial(t, addr), tOK, "SELECT", "demo", "KEY", tokA)
	privB, pubB := jwtNewKey(t)
	tNoErr(t, "rewrite key file", os.WriteFile(keyFile, pubB, 0o644))
	tNoErr(t, "SIGHUP", cmd.Process.Signal(syscall.SIGHUP))
	tEventually(t, "old key refused after SIGHUP", func() bool {
		return strings.HasPrefix(tDial(t, addr).do("SELECT", "demo", "KEY", tokA), jwtInvalid)
	})
	tokB := jwtMint(t, privB, jwt.MapClaims{"p": jwtP("rw", "demo"), "exp": time.Now().Add(time.Hour).Unix()}, "")
	tDo(t, tDial(t, addr), tOK, "SELECT", "demo", "KEY", tokB)
}

// A revocation is not forgotten because another credential was presented after it.
func TestJWTRevokeThenOtherCredential(t *testing.T) {
	clock := tNewClock()
	e := jwtStart(t, clock, admin.JWTConfig{})
	exp := clock.Now().Add(time.Hour).Unix()
	revoked := e.mint(t, jwt.MapClaims{"jti": "j-1", "exp": exp, "p": jwtP("rw", "app", "other")})
	otherTok := e.mint(t, jwt.MapClaims{"jti": "j-2", "exp": exp, "p": jwtP("rw", "other")})

	c := e.dial(t)
	tDo(t, c, tOK, "AUTH", revoked)
	tDo(t, c, tOK, "SELECT", "app")
	tDo(t, c, tOK, "SET", "k", "v")
	tNoErr(t, "revoke", e.srv.Admin().RevokeJWT("j-1", exp))
	tDo(t, c, tOK, "SELECT", "other", "KEY", otherTok)
	tDo(t, c, "$", "GET", "k")
	tDo(t, c, jwtInvalid, "SELECT", "app") // the revoked AUTH token no longer opens app
	if got := c.do("GET", "k"); got == tBulk("v") {
		t.Errorf("GET k read app's value with a revoked token")
	}

	// The same for a SELECT … KEY credential, then an AUTH that selects nothing.
	e.srv.CreateDatabase(t, "third", false)
	multi := e.mint(t, jwt.MapClaims{"jti": "j-4", "exp": exp, "p": jwtP("rw", "other", "third")})
	c = e.dial(t)
	tDo(t, c, tOK, "SELECT", "app", "KEY", e.mint(t, jwt.MapClaims{"jti": "j-3", "exp": exp}))
	tDo(t, c, tBulk("v"), "GET", "k")
	tNoErr(t, "revoke", e.srv.Admin().RevokeJWT("j-3", exp))
	tDo(t, c, tOK, "AUTH", multi)
	tDo(t, c, jwtWrong, "GET", "k")
}

// The same for an access key deleted while a connection holds it, then another
// credential presented (the selection check must not trust the stale grant).
func TestJWTStaleAuthGrantAccessKey(t *testing.T) {
	e := jwtStart(t, tNewClock(), admin.JWTConfig{})
	const appKey, otherKey = "app-key-7Qx2mZ9pL4vT", "other-key-3Hn8wR5cY1dK"
	tNoErr(t, "add key", e.srv.Admin().AddAccessKey(e.app, appKey, admin.AccessReadWrite))
	tNoErr(t, "add key", e.srv.Admin().AddAccessKey(e.other, otherKey, admin.AccessReadWrite))
	c := e.dial(t)
	tDo(t, c, tOK, "AUTH", appKey)
	tDo(t, c, tOK, "SET", "k", "v")
	sum := sha256.Sum256([]byte(appKey))
	tNoErr(t, "delete key", e.srv.Admin().DeleteAccessKey(e.app, hex.EncodeToString(sum[:])))
	tDo(t, c, tOK, "SELECT", "other", "KEY", otherKey)
	tDo(t, c, "-NOAUTH", "SELECT", "app")
	if got := c.do("GET", "k"); got == tBulk("v") {
		t.Errorf("GET k read app's value with a deleted access key")
	}

	// No second credential needed: a detour through a public database is enough.
	const key2 = "app-key-second-Wm4Ks8Jd2Qa"
	tNoErr(t, "add key", e.srv.Admin().AddAccessKey(e.app, key2, admin.AccessReadWrite))
	e.srv.CreateDatabase(t, "pub", true)
	c = e.dial(t)
	tDo(t, c, tOK, "AUTH", key2)
	tDo(t, c, tBulk("v"), "GET", "k")
	sum = sha256.Sum256([]byte(key2))
	tNoErr(t, "delete key", e.srv.Admin().DeleteAccessKey(e.app, hex.EncodeToString(sum[:])))
	tDo(t, c, tOK, "SELECT", "pub")
	tDo(t, c, "-NOAUTH", "SELECT", "app")
	if got := c.do("GET", "k"); got == tBulk("v") {
		t.Errorf("GET k read app's value with a deleted access key (via a public database)")
	}
}

// RFC 7519 4.1.4: exp is the time "on or after which the JWT MUST NOT be accepted", and
// docs/jwt.md (Claims) says exp is exact by default. herodb refuses only when now is after exp
// (checkTimes: now.After(exp+leeway)), so a token is still accepted at exactly its exp;
// golang-jwt itself (and sqld) refuse it then.
func TestSecReviewJWTAcceptedAtExp(t *testing.T) {
	clock := tNewClock() // whole seconds
	e := jwtStart(t, clock, admin.JWTConfig{})
	tok := e.mint(t, jwt.MapClaims{"exp": clock.Now().Unix()})
	c := e.dial(t)
	if got := c.do("AUTH", tok); !strings.HasPrefix(got, "-WRONGPASS") {
		t.Errorf("AUTH with a JWT whose exp is now: %q, want -WRONGPASS AUTH_JWT_EXPIRED", got)
	}
}
