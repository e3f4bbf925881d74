package admin

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// jwtKeyText is a mutable key text for JWTConfig.Load.
type jwtKeyText struct {
	mu   sync.Mutex
	text []byte
}

func (k *jwtKeyText) Set(b []byte) { k.mu.Lock(); k.text = b; k.mu.Unlock() }
func (k *jwtKeyText) Load() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.text, nil
}

type jwtFixture struct {
	a      *Admin
	close  func()
	dir    string
	clock  *storage.ManualClock
	keys   *jwtKeyText
	priv   ed25519.PrivateKey
	pubPEM []byte
	app    uint64 // "app"
	other  uint64 // "other"
}

func openJWTAdmin(t *testing.T, f *jwtFixture, cfg JWTConfig) {
	t.Helper()
	cfg.Load = f.keys.Load
	a := openAdmin(t, Config{Dir: f.dir, Secret: []byte("jwt-test-secret"), Clock: f.clock, JWT: cfg})
	var once sync.Once
	f.close = func() { once.Do(func() { a.Close() }) }
	t.Cleanup(f.close)
	f.a = a
}

func newJWTFixture(t *testing.T, cfg JWTConfig) *jwtFixture {
	t.Helper()
	f := &jwtFixture{dir: t.TempDir(), clock: newClock(), keys: &jwtKeyText{}}
	f.priv, f.pubPEM = newEdKey(t)
	f.keys.Set(f.pubPEM)
	openJWTAdmin(t, f, cfg)
	for _, name := range []string{"app", "other"} {
		d, err := f.a.CreateDatabase(CreateOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if name == "app" {
			f.app = d.ID
		} else {
			f.other = d.ID
		}
	}
	return f
}

// claims are the fixture's defaults (rw on app, exp in an hour) overridden by set; a
// nil value deletes the claim.
func (f *jwtFixture) claims(set jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{"p": map[string]any{"rw": map[string]any{"ns": []any{"app"}}}, "exp": f.clock.Now().Add(time.Hour).Unix()}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func mintEd(t testing.TB, priv ed25519.PrivateKey, c jwt.MapClaims, kid string) string {
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

func (f *jwtFixture) mint(t testing.TB, set jwt.MapClaims) string {
	return mintEd(t, f.priv, f.claims(set), "")
}

// jwtCode is the sqld code at the start of a refusal's message, or "" when accepted.
func jwtCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	if ErrorCode(err) != EUNAUTHORIZED {
		t.Errorf("error code %q, want %q (%v)", ErrorCode(err), EUNAUTHORIZED, err)
	}
	msg := ErrorMessage(err)
	if i := strings.IndexByte(msg, ' '); i > 0 {
		return msg[:i]
	}
	return msg
}

func ns(names ...any) map[string]any { return map[string]any{"ns": names} }

func TestJWTClaimsAndTimes(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	now := f.clock.Now()
	appID := strconv.FormatUint(f.app, 10)
	cases := []struct {
		name  string
		set   jwt.MapClaims
		code  string // "" accepted
		app   Access
		other Access
	}{
		{"rw by name", nil, "", AccessReadWrite, AccessNone},
		{"ro by name", jwt.MapClaims{"p": map[string]any{"ro": ns("app")}}, "", AccessRead, AccessNone},
		{"rw by id string", jwt.MapClaims{"p": map[string]any{"rw": ns(appID)}}, "", AccessReadWrite, AccessNone},
		{"rw by id number", jwt.MapClaims{"p": map[string]any{"rw": ns(f.app)}}, "", AccessReadWrite, AccessNone},
		{"ro and rw: rw implies read", jwt.MapClaims{"p": map[string]any{"ro": ns("app", "other"), "rw": ns("other")}}, "", AccessRead, AccessReadWrite},
		{"legacy id default rw", jwt.MapClaims{"p": nil, "id": "app"}, "", AccessReadWrite, AccessNone},
		{"legacy id ro", jwt.MapClaims{"p": nil, "id": "app", "a": "ro"}, "", AccessRead, AccessNone},
		{"legacy id rw with p ro", jwt.MapClaims{"p": map[string]any{"ro": ns("other")}, "id": "app", "a": "rw"}, "", AccessReadWrite, AccessRead},
		{"nonexistent database alongside", jwt.MapClaims{"p": map[string]any{"rw": ns("app", "ghost", "999")}}, "", AccessReadWrite, AccessNone},
		{"nbf 30 s ahead", jwt.MapClaims{"nbf": now.Add(30 * time.Second).Unix()}, "", AccessReadWrite, AccessNone},
		{"nbf 60 s ahead", jwt.MapClaims{"nbf": now.Add(60 * time.Second).Unix()}, "", AccessReadWrite, AccessNone},
		{"iat 60 s ahead", jwt.MapClaims{"iat": now.Add(60 * time.Second).Unix()}, "", AccessReadWrite, AccessNone},
		{"exp exactly now (RFC 7519: not on or after exp)", jwt.MapClaims{"exp": now.Unix()}, JWTExpired, AccessNone, AccessNone},
		{"exp one second ahead", jwt.MapClaims{"exp": now.Add(time.Second).Unix()}, "", AccessReadWrite, AccessNone},

		{"legacy a invalid", jwt.MapClaims{"p": nil, "id": "app", "a": "admin"}, JWTInvalid, 0, 0},
		{"ns entry neither name nor id", jwt.MapClaims{"p": map[string]any{"rw": ns(true)}}, JWTInvalid, 0, 0},
		{"ns entry negative", jwt.MapClaims{"p": map[string]any{"rw": ns(-1)}}, JWTInvalid, 0, 0},
		{"no p, no id", jwt.MapClaims{"p": nil}, JWTInvalid, 0, 0},
		{"empty p", jwt.MapClaims{"p": map[string]any{}}, JWTInvalid, 0, 0},
		{"empty ns", jwt.MapClaims{"p": map[string]any{"rw": ns()}}, JWTInvalid, 0, 0},
		{"DB 0 by string", jwt.MapClaims{"p": map[string]any{"rw": ns("app", "0")}}, JWTInvalid, 0, 0},
		{"DB 0 by number", jwt.MapClaims{"p": map[string]any{"ro": ns(0), "rw": ns("app")}}, JWTInvalid, 0, 0},
		{"DB 0 legacy", jwt.MapClaims{"p": nil, "id": "0"}, JWTInvalid, 0, 0},
		{"DB 0 as 00", jwt.MapClaims{"p": map[string]any{"rw": ns("00")}}, JWTInvalid, 0, 0},
		{"wildcard not allowed", jwt.MapClaims{"p": map[string]any{"rw": ns("*")}}, JWTInvalid, 0, 0},
		{"only nonexistent databases", jwt.MapClaims{"p": map[string]any{"rw": ns("ghost")}}, JWTInvalid, 0, 0},
		{"missing exp", jwt.MapClaims{"exp": nil}, JWTInvalid, 0, 0},
		{"exp a string", jwt.MapClaims{"exp": "tomorrow"}, JWTInvalid, 0, 0},
		{"expired by 1 s", jwt.MapClaims{"exp": now.Add(-time.Second).Unix()}, JWTExpired, 0, 0},
		{"nbf 61 s ahead", jwt.MapClaims{"nbf": now.Add(61 * time.Second).Unix()}, JWTImmature, 0, 0},
		{"iat 2 min ahead", jwt.MapClaims{"iat": now.Add(2 * time.Minute).Unix()}, JWTImmature, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := f.a.verifyJWT([]byte(f.mint(t, tc.set)))
			if got := jwtCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (err: %v)", got, tc.code, err)
			}
			if err != nil {
				return
			}
			if g.Kind != "jwt" || g.Admin || !g.Names() {
				t.Errorf("grant %+v: want a non-admin jwt grant", g)
			}
			if grantOn(f.a, g, f.app) != tc.app || grantOn(f.a, g, f.other) != tc.other || grantOn(f.a, g, 0) != AccessNone {
				t.Errorf("access app=%v other=%v db0=%v, want %v %v none", grantOn(f.a, g, f.app), grantOn(f.a, g, f.other), grantOn(f.a, g, 0), tc.app, tc.other)
			}
		})
	}
}

func TestJWTRefusedBeforeTrust(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	wrong, _ := newEdKey(t)
	b64 := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	body := b64(f.claims(nil))
	hs := func(secret []byte) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, f.claims(nil)).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := f.mint(t, nil)
	parts := strings.Split(good, ".")
	big := f.mint(t, jwt.MapClaims{"pad": strings.Repeat("x", MaxJWTSize)})

	cases := []struct {
		name, token string
	}{
		{"wrong key", mintEd(t, wrong, f.claims(nil), "")},
		{"alg none, empty signature", b64(map[string]any{"alg": "none", "typ": "JWT"}) + "." + body + "."},
		{"alg none, good signature copied", b64(map[string]any{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "." + parts[2]},
		{"alg None", b64(map[string]any{"alg": "None"}) + "." + body + "."},
		{"HS256 with the public key PEM", hs(f.pubPEM)},
		{"HS256 with the raw public key", hs([]byte(f.a.serverKeys()[0].Key))},
		{"EdDSA header, tampered body", parts[0] + "." + b64(f.claims(jwt.MapClaims{"p": map[string]any{"rw": ns("app", "other")}})) + "." + parts[2]},
		{"EdDSA header, no signature", parts[0] + "." + parts[1] + "."},
		{"unknown kid", mintEd(t, f.priv, f.claims(nil), "no-such-kid")},
		{"oversized", big},
		{"two parts", parts[0] + "." + parts[1]},
		{"not base64 json", "eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.AAAA"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.a.verifyJWT([]byte(tc.token))
			if got := jwtCode(t, err); got != JWTInvalid {
				t.Fatalf("code %q, want %q (err: %v)", got, JWTInvalid, err)
			}
		})
	}
	if len(big) <= MaxJWTSize {
		t.Fatalf("oversized token is only %d bytes", len(big))
	}
	// A forged token is refused as invalid, never as expired: the signature comes first.
	_, err := f.a.verifyJWT([]byte(mintEd(t, wrong, f.claims(jwt.MapClaims{"exp": f.clock.Now().Add(-time.Hour).Unix()}), "")))
	if got := jwtCode(t, err); got != JWTInvalid {
		t.Errorf("expired forgery: code %q, want %q", got, JWTInvalid)
	}
	// Through Authenticate, the one credential check.
	if _, err := f.a.Authenticate(Attempt{Addr: "127.0.0.1:1", Transport: "resp"}, []byte(good)); err != nil {
		t.Errorf("Authenticate(valid): %v", err)
	}
	if _, err := f.a.Authenticate(Attempt{Addr: "127.0.0.1:1", Transport: "resp"}, []byte(mintEd(t, wrong, f.claims(nil), ""))); jwtCode(t, err) != JWTInvalid {
		t.Errorf("Authenticate(wrong key): %v", err)
	}
}

func TestJWTLeewayAudienceIssuer(t *testing.T) {
	if _, err := Open(Config{Dir: t.TempDir(), Secret: []byte("s"), KDF: crypto.TestKDF, JWT: JWTConfig{Leeway: 61 * time.Second}}); err == nil {
		t.Error("leeway over 60 s accepted")
	}
	if _, err := Open(Config{Dir: t.TempDir(), Secret: []byte("s"), KDF: crypto.TestKDF, JWT: JWTConfig{Leeway: -time.Second}}); err == nil {
		t.Error("negative leeway accepted")
	}

	f := newJWTFixture(t, JWTConfig{Leeway: 30 * time.Second, Audience: "herodb", Issuer: "https://auth.example"})
	now := f.clock.Now()
	ok := jwt.MapClaims{"aud": "herodb", "iss": "https://auth.example"}
	with := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range ok {
			c[k] = v
		}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	cases := []struct {
		name string
		set  jwt.MapClaims
		code string
	}{
		{"aud and iss", ok, ""},
		{"aud in a list", with(jwt.MapClaims{"aud": []string{"other", "herodb"}}), ""},
		{"expired within the leeway", with(jwt.MapClaims{"exp": now.Add(-29 * time.Second).Unix()}), ""},
		{"expired at the leeway", with(jwt.MapClaims{"exp": now.Add(-30 * time.Second).Unix()}), JWTExpired},
		{"expired beyond the leeway", with(jwt.MapClaims{"exp": now.Add(-31 * time.Second).Unix()}), JWTExpired},
		{"no aud", with(jwt.MapClaims{"aud": nil}), JWTInvalid},
		{"other aud", with(jwt.MapClaims{"aud": "other"}), JWTInvalid},
		{"aud by prefix", with(jwt.MapClaims{"aud": "herodb2"}), JWTInvalid},
		{"no iss", with(jwt.MapClaims{"iss": nil}), JWTInvalid},
		{"other iss", with(jwt.MapClaims{"iss": "https://evil.example"}), JWTInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.a.verifyJWT([]byte(f.mint(t, tc.set)))
			if got := jwtCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (err: %v)", got, tc.code, err)
			}
		})
	}
	// The grant of a token accepted within the leeway lasts until exp + leeway.
	g, err := f.a.verifyJWT([]byte(f.mint(t, with(jwt.MapClaims{"exp": now.Add(10 * time.Second).Unix()}))))
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(40 * time.Second); !g.Expires.Equal(want) {
		t.Errorf("Expires %v, want %v", g.Expires, want)
	}
}

func TestJWTWildcard(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{AllowWildcard: true})
	tenantPriv, tenantPEM := newEdKey(t)
	tenant, err := f.a.CreateDatabase(CreateOptions{Name: "tenant"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.a.SetDatabaseJWTKey(tenant.ID, string(tenantPEM)); err != nil {
		t.Fatal(err)
	}
	tok := f.mint(t, jwt.MapClaims{"p": map[string]any{"ro": ns("*"), "rw": ns("app")}})
	g, err := f.a.verifyJWT([]byte(tok))
	if err != nil {
		t.Fatal(err)
	}
	if grantOn(f.a, g, f.app) != AccessReadWrite || grantOn(f.a, g, f.other) != AccessRead || grantOn(f.a, g, 0) != AccessNone || grantOn(f.a, g, tenant.ID) != AccessNone {
		t.Fatalf("wildcard access app=%v other=%v db0=%v tenant=%v", grantOn(f.a, g, f.app), grantOn(f.a, g, f.other), grantOn(f.a, g, 0), grantOn(f.a, g, tenant.ID))
	}
	// A database created later is covered by the same token at once (the cache is not stale).
	late, err := f.a.CreateDatabase(CreateOptions{Name: "late"})
	if err != nil {
		t.Fatal(err)
	}
	if g, err = f.a.verifyJWT([]byte(tok)); err != nil || grantOn(f.a, g, late.ID) != AccessRead {
		t.Fatalf("late database: %v, access %v", err, grantOn(f.a, g, late.ID))
	}
	// A deleted one is not (a fresh token: a cached grant may still list it, harmlessly,
	// since a deleted database can never be selected and its id is never reused).
	if err := f.a.DeleteDatabase(late.ID); err != nil {
		t.Fatal(err)
	}
	fresh := f.mint(t, jwt.MapClaims{"p": map[string]any{"ro": ns("*"), "rw": ns("app")}, "jti": "fresh"})
	if g, err = f.a.verifyJWT([]byte(fresh)); err != nil || grantOn(f.a, g, late.ID) != AccessNone {
		t.Fatalf("deleted database: %v, access %v", err, grantOn(f.a, g, late.ID))
	}
	// The tenant's own key with "*" opens only the tenant's database.
	g, err = f.a.verifyJWT([]byte(mintEd(t, tenantPriv, f.claims(jwt.MapClaims{"p": map[string]any{"rw": ns("*", "tenant")}}), "")))
	if err != nil || grantOn(f.a, g, tenant.ID) != AccessReadWrite || grantOn(f.a, g, f.app) != AccessNone {
		t.Fatalf("tenant wildcard: %v", err)
	}
	// "*" with DB 0 is still refused whole.
	if _, err := f.a.verifyJWT([]byte(f.mint(t, jwt.MapClaims{"p": map[string]any{"rw": ns("*", "0")}}))); jwtCode(t, err) != JWTInvalid {
		t.Errorf("wildcard with DB 0: %v", err)
	}
}

func TestJWTKidAndReload(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	privB, pubB := newEdKey(t)
	f.keys.Set(append(append([]byte{}, f.pubPEM...), pubB...))
	if err := f.a.ReloadJWTKeys(); err != nil {
		t.Fatal(err)
	}
	idA := crypto.Thumbprint(f.priv.Public().(ed25519.PublicKey))
	idB := crypto.Thumbprint(privB.Public().(ed25519.PublicKey))
	if ids := f.a.JWTKeyIDs(); len(ids) != 2 || ids[0] != idA || ids[1] != idB {
		t.Fatalf("JWTKeyIDs = %v, want [%s %s]", ids, idA, idB)
	}
	cases := []struct {
		name string
		priv ed25519.PrivateKey
		kid  string
		ok   bool
	}{
		{"A with kid A", f.priv, idA, true},
		{"B with kid B", privB, idB, true},
		{"A without kid", f.priv, "", true},
		{"B without kid", privB, "", true},
		{"B with kid A", privB, idA, false},
		{"A with kid B", f.priv, idB, false},
		{"unknown kid", f.priv, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.a.verifyJWT([]byte(mintEd(t, tc.priv, f.claims(nil), tc.kid)))
			if (err == nil) != tc.ok {
				t.Fatalf("accepted=%v, want %v (%v)", err == nil, tc.ok, err)
			}
		})
	}

	// Reload to B only: a cached A token is refused at once.
	tokA := f.mint(t, nil)
	if _, err := f.a.verifyJWT([]byte(tokA)); err != nil {
		t.Fatal(err)
	}
	if _, hit := f.a.jwt.cache[crypto.Digest([]byte(tokA))]; !hit {
		t.Fatal("a verified token was not cached")
	}
	gen := f.a.CredentialGeneration()
	f.keys.Set(pubB)
	if err := f.a.ReloadJWTKeys(); err != nil {
		t.Fatal(err)
	}
	if f.a.CredentialGeneration() == gen {
		t.Error("a reload did not move the credential generation")
	}
	if _, err := f.a.verifyJWT([]byte(tokA)); jwtCode(t, err) != JWTInvalid {
		t.Fatalf("A token after reload to B: %v", err)
	}
	// A bad reload keeps the old keys.
	privPEMText := crypto.MarshalPrivateKeyPEM(privB)
	f.keys.Set(privPEMText)
	if err := f.a.ReloadJWTKeys(); err == nil || !strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Fatalf("reload with a private key: %v", err)
	}
	if ids := f.a.JWTKeyIDs(); len(ids) != 1 || ids[0] != idB {
		t.Fatalf("keys after a failed reload: %v", ids)
	}
	if _, err := f.a.verifyJWT([]byte(mintEd(t, privB, f.claims(nil), ""))); err != nil {
		t.Fatalf("B token after a failed reload: %v", err)
	}
	// Startup with a private key fails and says so.
	f.keys.Set(privPEMText)
	_, err := Open(Config{Dir: t.TempDir(), Secret: []byte("s"), KDF: crypto.TestKDF, JWT: JWTConfig{Load: f.keys.Load}})
	if err == nil || !strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Fatalf("open with a private key: %v", err)
	}
}

func TestJWTCacheExpiry(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	tok := f.mint(t, jwt.MapClaims{"exp": f.clock.Now().Add(time.Minute).Unix()})
	if _, err := f.a.verifyJWT([]byte(tok)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.verifyJWT([]byte(tok)); err != nil {
		t.Fatalf("cached: %v", err)
	}
	f.clock.Add(61 * time.Second)
	if _, err := f.a.verifyJWT([]byte(tok)); jwtCode(t, err) != JWTExpired {
		t.Fatalf("cached after exp: %v", err)
	}
}

func TestJWTDatabaseKey(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	tenantPriv, tenantPEM := newEdKey(t)
	serverTok := f.mint(t, jwt.MapClaims{"p": map[string]any{"rw": ns("app", "other")}})
	tenantTok := mintEd(t, tenantPriv, f.claims(jwt.MapClaims{"p": map[string]any{"rw": ns("app", "other")}}), "")
	if _, err := f.a.verifyJWT([]byte(serverTok)); err != nil {
		t.Fatal(err)
	}

	if err := f.a.SetDatabaseJWTKey(f.app, string(tenantPEM)); err != nil {
		t.Fatal(err)
	}
	g, err := f.a.verifyJWT([]byte(serverTok))
	if err != nil || grantOn(f.a, g, f.app) != AccessNone || grantOn(f.a, g, f.other) != AccessReadWrite {
		t.Fatalf("server token after the tenant key: %v (app %v, other %v)", err, grantOn(f.a, g, f.app), grantOn(f.a, g, f.other))
	}
	g, err = f.a.verifyJWT([]byte(tenantTok))
	if err != nil || grantOn(f.a, g, f.app) != AccessReadWrite || grantOn(f.a, g, f.other) != AccessNone {
		t.Fatalf("tenant token: %v (app %v, other %v)", err, grantOn(f.a, g, f.app), grantOn(f.a, g, f.other))
	}
	appOnly := mintEd(t, f.priv, f.claims(nil), "")
	if _, err := f.a.verifyJWT([]byte(appOnly)); jwtCode(t, err) != JWTInvalid {
		t.Fatalf("server token naming only the tenant's database: %v", err)
	}
	// The kid of the tenant's key is its thumbprint.
	tid := crypto.Thumbprint(tenantPriv.Public().(ed25519.PublicKey))
	if _, err := f.a.verifyJWT([]byte(mintEd(t, tenantPriv, f.claims(nil), tid))); err != nil {
		t.Fatalf("tenant token with its kid: %v", err)
	}

	// The key survives a restart.
	f.close()
	openJWTAdmin(t, f, JWTConfig{})
	if d, _ := f.a.DatabaseByID(f.app); d == nil || d.JWTKey == nil {
		t.Fatal("database key lost on restart")
	}
	if _, err := f.a.verifyJWT([]byte(appOnly)); err == nil {
		t.Fatal("server token opens the tenant's database after a restart")
	}

	// Removing it restores the server-wide keys.
	if err := f.a.SetDatabaseJWTKey(f.app, ""); err != nil {
		t.Fatal(err)
	}
	if g, err := f.a.verifyJWT([]byte(appOnly)); err != nil || grantOn(f.a, g, f.app) != AccessReadWrite {
		t.Fatalf("server token after removal: %v", err)
	}
	if _, err := f.a.verifyJWT([]byte(mintEd(t, tenantPriv, f.claims(nil), ""))); err == nil {
		t.Fatal("tenant token still accepted after removal")
	}

	// Refusals.
	cases := []struct {
		name string
		id   uint64
		text string
		code string
	}{
		{"private key", f.app, string(crypto.MarshalPrivateKeyPEM(tenantPriv)), EINVALID},
		{"two keys", f.app, string(tenantPEM) + string(f.pubPEM), EINVALID},
		{"garbage", f.app, "garbage", EINVALID},
		{"no such database", 999, string(tenantPEM), ENOTFOUND},
	}
	for _, tc := range cases {
		if err := f.a.SetDatabaseJWTKey(tc.id, tc.text); ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want code %s", tc.name, err, tc.code)
		}
	}
	// Raw base64url is accepted too.
	raw := base64.RawURLEncoding.EncodeToString(tenantPriv.Public().(ed25519.PublicKey))
	if err := f.a.SetDatabaseJWTKey(f.app, raw); err != nil {
		t.Fatalf("raw key: %v", err)
	}
}

func TestJWTRevoke(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	now := f.clock.Now()
	tok := f.mint(t, jwt.MapClaims{"jti": "j-1"})
	other := f.mint(t, jwt.MapClaims{"jti": "j-2"})
	for _, s := range []string{tok, other} {
		if _, err := f.a.verifyJWT([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.a.RevokeJWT("", now.Add(time.Hour).Unix()); ErrorCode(err) != EINVALID {
		t.Errorf("empty jti: %v", err)
	}
	if err := f.a.RevokeJWT("j-1", now.Unix()); ErrorCode(err) != EINVALID {
		t.Errorf("exp not in the future: %v", err)
	}
	if err := f.a.RevokeJWT("j-1", now.Add(time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	if err := f.a.RevokeJWT("j-short", now.Add(time.Minute).Unix()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.verifyJWT([]byte(tok)); jwtCode(t, err) != JWTInvalid {
		t.Fatalf("revoked (cached) token: %v", err)
	}
	if _, err := f.a.verifyJWT([]byte(other)); err != nil {
		t.Fatalf("another jti: %v", err)
	}
	// The denylist survives a restart; entries past their exp are dropped.
	f.clock.Add(2 * time.Minute)
	f.close()
	openJWTAdmin(t, f, JWTConfig{})
	if _, err := f.a.verifyJWT([]byte(tok)); jwtCode(t, err) != JWTInvalid {
		t.Fatalf("revoked token after a restart: %v", err)
	}
	if _, ok := f.a.jwt.deny["j-short"]; ok {
		t.Error("an expired denylist entry was loaded")
	}
}

// RFC 7519 §2: exp, nbf and iat are NumericDates, JSON numbers. golang-jwt reads them
// through json.Number, which also takes a string holding a number ("1800000000"); herodb
// refuses anything but a JSON number, null included, as an invalid token.
func TestJWTTimesMustBeNumbers(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	now := f.clock.Now()
	exp := now.Add(time.Hour).Unix()
	past := now.Add(-time.Minute).Unix()
	str := func(n int64) string { return strconv.FormatInt(n, 10) }
	cases := []struct {
		name string
		set  jwt.MapClaims
		code string // "" accepted
	}{
		{"exp a number", nil, ""},
		{"exp a fraction", jwt.MapClaims{"exp": float64(exp) + 0.5}, ""},
		{"exp in exponent form", jwt.MapClaims{"exp": json.Number("1.7000036e9")}, ""},
		{"nbf and iat numbers", jwt.MapClaims{"nbf": past, "iat": past}, ""},
		{"exp a numeric string", jwt.MapClaims{"exp": str(exp)}, JWTInvalid},
		{"exp a string in exponent form", jwt.MapClaims{"exp": "1.7000036e9"}, JWTInvalid},
		{"exp a word", jwt.MapClaims{"exp": "tomorrow"}, JWTInvalid},
		{"exp null", jwt.MapClaims{"exp": json.RawMessage("null")}, JWTInvalid},
		{"exp true", jwt.MapClaims{"exp": true}, JWTInvalid},
		{"exp an array", jwt.MapClaims{"exp": []any{exp}}, JWTInvalid},
		{"exp an object", jwt.MapClaims{"exp": map[string]any{"n": exp}}, JWTInvalid},
		{"nbf a numeric string", jwt.MapClaims{"nbf": str(past)}, JWTInvalid},
		{"nbf null", jwt.MapClaims{"nbf": json.RawMessage("null")}, JWTInvalid},
		{"iat a numeric string", jwt.MapClaims{"iat": str(past)}, JWTInvalid},
		{"iat false", jwt.MapClaims{"iat": false}, JWTInvalid},
		// encoding/json folds case, so "EXP" would land in exp: it is held to the same rule.
		{"EXP a numeric string beside exp", jwt.MapClaims{"EXP": str(exp)}, JWTInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := f.mint(t, tc.set)
			_, err := f.a.verifyJWT([]byte(tok))
			if got := jwtCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (err: %v)", got, tc.code, err)
			}
			// Through the one credential check, as AUTH and the RPC see it.
			_, err = f.a.Authenticate(Attempt{Addr: "127.0.0.1:1", Transport: "resp"}, []byte(tok))
			if got := jwtCode(t, err); got != tc.code {
				t.Fatalf("Authenticate: code %q, want %q (err: %v)", got, tc.code, err)
			}
		})
	}
	// A duplicate exp whose last value is a string is refused like a single one (Go's
	// decoder keeps the last member of an object).
	tok := f.mint(t, nil)
	parts := strings.Split(tok, ".")
	body := fmt.Sprintf(`{"p":{"rw":{"ns":["app"]}},"exp":%d,"exp":"%d"}`, exp, exp)
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(body))
	sig, err := jwt.SigningMethodEdDSA.Sign(forged, f.priv)
	if err != nil {
		t.Fatal(err)
	}
	forged += "." + base64.RawURLEncoding.EncodeToString(sig)
	if _, err := f.a.verifyJWT([]byte(forged)); jwtCode(t, err) != JWTInvalid {
		t.Errorf("duplicate exp ending in a string: %v, want %s", err, JWTInvalid)
	}
}
