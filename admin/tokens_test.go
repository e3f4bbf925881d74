package admin

// Named tokens inside admin: strict scope parsing, the no-escalation rule, durations,
// the token format, and what DB 0 keeps. The end-to-end tests (RPC, RESP, CLI) are in
// rpc/token_test.go, server/token_test.go and cmd/herodb/token_test.go.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

var tkFormat = regexp.MustCompile(`^hdbt_([0-9a-f]{16})_([0-9A-Za-z]{43})$`)

// tkOpen opens an admin on dir (a new temporary one when empty), without the failure
// delay. close closes it once; the test's end closes it too if still open.
func tkOpen(t *testing.T, dir string, clock storage.Clock) (a *Admin, close func()) {
	t.Helper()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte("tokens-test-admin-secret"), Clock: clock})
	a.guard.sleep = func(time.Duration) {}
	var once sync.Once
	close = func() { once.Do(func() { a.Close() }) }
	t.Cleanup(close)
	return a, close
}

func tkCode(err error) string {
	if err == nil {
		return ""
	}
	return ErrorCode(err)
}

// tkGrant authenticates a token and fails the test when it is refused.
func tkGrant(t *testing.T, a *Admin, token string) *Grant {
	t.Helper()
	g, err := a.Authenticate(Attempt{Addr: "127.0.0.1:1", Transport: "resp"}, []byte(token))
	if err != nil {
		t.Fatalf("authenticate %s…: %v", token[:22], err)
	}
	return g
}

func tkScopes(t *testing.T, s string) []Scope {
	t.Helper()
	sc, err := ParseScopes(json.RawMessage(s))
	if err != nil {
		t.Fatalf("ParseScopes(%s): %v", s, err)
	}
	return sc
}

func TestTokenParseScopesStrict(t *testing.T) {
	good := []struct {
		in   string
		want []Scope
	}{
		{`[{"type":"database","name":"app","permissions":["read"]}]`,
			[]Scope{{Type: "database", Name: "app", Permissions: []Permission{"read"}}}},
		{`[{"type":"database","name":"7","permissions":["read","write"]}]`,
			[]Scope{{Type: "database", Name: "7", Permissions: []Permission{"read", "write"}}}},
		{`[{"type":"database","name":"*","permissions":["write"]}]`,
			[]Scope{{Type: "database", Name: "*", Permissions: []Permission{"write"}}}},
		{`[{"type":"token","name":"*","permissions":["read","write"]}]`,
			[]Scope{{Type: "token", Name: "*", Permissions: []Permission{"read", "write"}}}},
		// A token scope's name defaults to "*".
		{`[{"type":"token","permissions":["read"]}]`,
			[]Scope{{Type: "token", Name: "*", Permissions: []Permission{"read"}}}},
		{`[{"type":"admin"}]`, []Scope{{Type: "admin"}}},
		{`[{"type":"admin"},{"type":"database","name":"app","permissions":["read"]}]`,
			[]Scope{{Type: "admin"}, {Type: "database", Name: "app", Permissions: []Permission{"read"}}}},
	}
	for _, c := range good {
		got, err := ParseScopes(json.RawMessage(c.in))
		if err != nil {
			t.Errorf("ParseScopes(%s): %v", c.in, err)
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(c.want)
		if !bytes.Equal(gj, wj) {
			t.Errorf("ParseScopes(%s) = %s, want %s", c.in, gj, wj)
		}
	}

	bad := []struct {
		in, msg string
	}{
		{`[]`, "must not be empty"},
		{`null`, "must not be empty"},
		{`{}`, "array"},
		{`"admin"`, "array"},
		{`[null]`, "unknown scope type"},
		{`[{}]`, "unknown scope type"},
		{`[{"type":"databases","name":"app","permissions":["read"]}]`, "unknown scope type"},
		{`[{"type":"Database","name":"app","permissions":["read"]}]`, "unknown scope type"},
		{`[{"type":"db","name":"app","permissions":["read"]}]`, "unknown scope type"},
		{`[{"type":"superadmin"}]`, "unknown scope type"},
		{`[{"type":"admin "}]`, "unknown scope type"},
		{`[{"type":"database","name":"app","permissions":["readwrite"]}]`, "unknown permission"},
		{`[{"type":"database","name":"app","permissions":["READ"]}]`, "unknown permission"},
		{`[{"type":"database","name":"app","permissions":["read","admin"]}]`, "unknown permission"},
		{`[{"type":"database","name":"app","permissions":["rea"]}]`, "unknown permission"},
		{`[{"type":"database","name":"app","permissions":[]}]`, "needs permissions"},
		{`[{"type":"database","name":"app"}]`, "needs permissions"},
		{`[{"type":"database","permissions":["read"]}]`, "needs a name"},
		{`[{"type":"database","name":"0","permissions":["read"]}]`, "DB 0"},
		{`[{"type":"database","name":"app","permissions":["read"],"expires":1}]`, "unknown field"},
		{`[{"type":"database","name":"app","permission":["read"]}]`, "unknown field"},
		{`[{"type":"token","name":"abc","permissions":["read"]}]`, `"*"`},
		{`[{"type":"token","name":"*"}]`, "needs permissions"},
		{`[{"type":"admin","name":"*"}]`, "no name"},
		{`[{"type":"admin","permissions":["read"]}]`, "no name"},
		{`[{"type":"database","name":"app","permissions":"read"}]`, "array"},
		{`[{"type":"admin"},{"type":"nope"}]`, "unknown scope type"},
	}
	for _, c := range bad {
		got, err := ParseScopes(json.RawMessage(c.in))
		if err == nil {
			t.Errorf("ParseScopes(%s) = %+v, want an error", c.in, got)
			continue
		}
		if tkCode(err) != EINVALID {
			t.Errorf("ParseScopes(%s): code %s, want %s", c.in, tkCode(err), EINVALID)
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseScopes(%s): %q does not mention %q", c.in, err, c.msg)
		}
	}
}

func TestTokenCoversNoEscalation(t *testing.T) {
	const (
		appR   = `{"type":"database","name":"app","permissions":["read"]}`
		appW   = `{"type":"database","name":"app","permissions":["write"]}`
		appRW  = `{"type":"database","name":"app","permissions":["read","write"]}`
		otherR = `{"type":"database","name":"other","permissions":["read"]}`
		allR   = `{"type":"database","name":"*","permissions":["read"]}`
		allRW  = `{"type":"database","name":"*","permissions":["read","write"]}`
		tokR   = `{"type":"token","permissions":["read"]}`
		tokW   = `{"type":"token","permissions":["write"]}`
		tokRW  = `{"type":"token","permissions":["read","write"]}`
		adm    = `{"type":"admin"}`
	)
	cases := []struct {
		have, want string
		ok         bool
	}{
		{appR, appR, true},
		{appRW, appR, true},
		{appRW, appW, true},
		{appRW, appRW, true},
		{appR, appRW, false},
		{appR, appW, false},
		{appRW, otherR, false},
		{appRW, allR, false}, // one database does not cover every database
		{allR, appR, true},
		{allR, appRW, false},
		{allRW, appRW, true},
		{allRW, allR, true},
		{appRW + "," + tokRW, appR + "," + tokR, true},
		{appRW + "," + tokRW, appR + "," + tokRW, true},
		{appRW + "," + tokR, tokW, false},
		{tokRW, tokR, true},
		{tokR, tokRW, false},
		{tokRW, appR, false},
		{appRW, tokR, false},
		{tokRW, adm, false},
		{appRW + "," + tokRW + "," + allRW, adm, false},
		{appRW + "," + tokRW, appR + "," + adm, false},
		{adm, adm, true},
		{adm, appRW + "," + tokRW + "," + allRW, true},
		{appR + "," + otherR, appR + "," + otherR, true},
		{appR, appR + "," + otherR, false},
	}
	for _, c := range cases {
		have, want := tkScopes(t, "["+c.have+"]"), tkScopes(t, "["+c.want+"]")
		if got := covers(have, want); got != c.ok {
			t.Errorf("covers(have [%s], want [%s]) = %v, want %v", c.have, c.want, got, c.ok)
		}
	}
	// The admin secret covers everything; no caller covers nothing.
	if !callerCovers(adminGrant, tkScopes(t, "["+adm+"]")) {
		t.Errorf("the admin secret does not cover an admin scope")
	}
	if callerCovers(nil, tkScopes(t, "["+appR+"]")) {
		t.Errorf("a nil caller covers a database scope")
	}
	if callerCovers(&Grant{Kind: "access-key"}, tkScopes(t, "["+appR+"]")) {
		t.Errorf("an access key (no scopes) covers a database scope")
	}
}

func TestTokenParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"30d":        30 * 24 * time.Hour,
		"1d":         24 * time.Hour,
		"12h":        12 * time.Hour,
		"90m":        90 * time.Minute,
		"1h30m":      90 * time.Minute,
		"60":         time.Minute,
		"1":          time.Second,
		"2592000":    30 * 24 * time.Hour,
		"106751d":    106751 * 24 * time.Hour,
		"9223372036": 9223372036 * time.Second,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "-5m", "0d", "-3d", "3x", "d", "x30d", "30 d", " 30d", "1d12h",
		"30D", "1y", "0s", "500ms", "1.5", "abc", "0x10",
		// Too large for a time.Duration: an error, not a lifetime that wrapped around.
		"9223372037", "99999999999", "106752d", "200000d", "364999d", "99999999999999999999"} {
		got, err := ParseDuration(in)
		if err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
			continue
		}
		if tkCode(err) != EINVALID || !strings.Contains(err.Error(), "invalid duration") {
			t.Errorf("ParseDuration(%q): %v (code %s), want an EINVALID \"invalid duration\"", in, err, tkCode(err))
		}
	}
}

func TestTokenFormatAndStorage(t *testing.T) {
	dir := t.TempDir()
	a, closeA := tkOpen(t, dir, nil)
	if _, err := a.CreateDatabase(CreateOptions{Name: "app"}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var tokens []*NewToken
	for i := 0; i < 20; i++ {
		nt, err := a.CreateToken(adminGrant, "t", tkScopes(t, `[{"type":"database","name":"app","permissions":["read"]}]`), 0)
		if err != nil {
			t.Fatal(err)
		}
		m := tkFormat.FindStringSubmatch(nt.Token)
		if m == nil {
			t.Fatalf("token %q is not hdbt_<16 hex>_<43 base62>", nt.Token)
		}
		if m[1] != nt.ID {
			t.Errorf("token id part %s, reply id %s", m[1], nt.ID)
		}
		if seen[m[1]] || seen[m[2]] {
			t.Errorf("id or secret repeated: %s", nt.Token)
		}
		seen[m[1]], seen[m[2]] = true, true
		if got := a.tokens[nt.ID].Hash; got != crypto.SHA256Hex([]byte(m[2])) {
			t.Errorf("stored hash %s, want sha256 of the secret part", got)
		}
		tokens = append(tokens, nt)
	}
	// base62 of 256 bits is at most 43 characters; padding keeps every secret at 43.
	for i := 0; i < 2000; i++ {
		if s := newSecret(); len(s) != 43 || strings.Trim(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("newSecret() = %q", s)
		}
	}

	nt := tokens[0]
	g := tkGrant(t, a, nt.Token)
	if g.Kind != "token" || g.TokenID != nt.ID || g.Admin || g.TokenRead || g.TokenWrite {
		t.Errorf("grant of a database token: %+v", g)
	}
	if id, ok := g.Only(); !ok || id != 1 || grantOn(a, g, 1) != AccessRead {
		t.Errorf("grant of an app:read token: only %d %v, on app %v", id, ok, grantOn(a, g, 1))
	}
	m := tkFormat.FindStringSubmatch(nt.Token)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for _, bad := range []string{
		"hdbt_" + m[1] + "_" + flip(m[2], 0),
		"hdbt_" + m[1] + "_" + flip(m[2], 42),
		"hdbt_" + m[1] + "_" + m[2][:42],
		"hdbt_" + m[1] + "_" + m[2] + "x",
		"hdbt_" + tokens[1].ID + "_" + m[2], // another token's id with this secret
		"hdbt_" + strings.ToUpper(m[1]) + "_" + m[2],
		"hdbt_" + m[1] + m[2],
		"hdbt_" + m[2],
		"hdbt_",
		m[2],
		nt.Token + "\n",
		" " + nt.Token,
	} {
		if g, err := a.Authenticate(Attempt{Addr: "127.0.0.1:2"}, []byte(bad)); err == nil {
			t.Errorf("Authenticate(%q) accepted: %+v", bad, g)
		} else if !errors.Is(err, ErrWrongCredential) {
			t.Errorf("Authenticate(%q): %v, want the one wrong-credential error", bad, err)
		}
	}

	// DB 0 keeps the record and the hash, never the secret; nor does any file.
	if err := a.db0.View(func(tx *storage.Tx) error {
		v, ok, err := tx.HGet(tokenKey(nt.ID), []byte("record"))
		if err != nil || !ok {
			t.Fatalf("record of %s: %v %v", nt.ID, ok, err)
		}
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(v, &rec); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"id", "name", "scopes", "created_at", "updated_at", "expires_at", "last_used_at", "created_by", "revoked_at", "hash"} {
			if _, ok := rec[f]; !ok {
				t.Errorf("record lacks %q: %s", f, v)
			}
		}
		if len(rec) != 10 {
			t.Errorf("record has %d fields, want 10: %s", len(rec), v)
		}
		if strings.Contains(string(v), m[2]) {
			t.Errorf("the record holds the secret: %s", v)
		}
		if string(rec["hash"]) != `"`+crypto.SHA256Hex([]byte(m[2]))+`"` || string(rec["created_by"]) != `"admin"` {
			t.Errorf("record hash/created_by: %s", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	closeA()
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, tok := range tokens {
			s := tkFormat.FindStringSubmatch(tok.Token)[2]
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("%s holds a token secret", p)
			}
		}
		return nil
	})

	// Reopened, the token still works: it was kept as a hash.
	b, _ := tkOpen(t, dir, nil)
	if g := tkGrant(t, b, nt.Token); g.TokenID != nt.ID {
		t.Errorf("after reopening: %+v", g)
	}
}

// TestTokenNoEscalationAdminAPI: a token:write token creates, sees, revokes and rotates
// only tokens within its own scopes; everything else looks like it does not exist.
func TestTokenNoEscalationAdminAPI(t *testing.T) {
	a, _ := tkOpen(t, "", nil)
	for _, n := range []string{"app", "other"} {
		if _, err := a.CreateDatabase(CreateOptions{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(caller *Grant, scopes string) (*NewToken, error) {
		return a.CreateToken(caller, "t", tkScopes(t, scopes), 0)
	}
	adminTok, err := mk(adminGrant, `[{"type":"admin"}]`)
	if err != nil {
		t.Fatal(err)
	}
	otherTok, err := mk(adminGrant, `[{"type":"database","name":"other","permissions":["read"]}]`)
	if err != nil {
		t.Fatal(err)
	}
	devTok, err := mk(adminGrant, `[{"type":"database","name":"app","permissions":["read","write"]},{"type":"token","permissions":["read","write"]}]`)
	if err != nil {
		t.Fatal(err)
	}
	dev := tkGrant(t, a, devTok.Token)
	if !dev.TokenRead || !dev.TokenWrite || dev.Admin || grantOn(a, dev, 1) != AccessReadWrite || grantOn(a, dev, 2) != AccessNone {
		t.Fatalf("developer grant: %+v", dev)
	}
	if adm := tkGrant(t, a, adminTok.Token); !adm.Admin || grantOn(a, adm, 0) != AccessRead || grantOn(a, adm, 2) != AccessReadWrite {
		t.Fatalf("admin token grant: %+v", adm)
	}

	before := len(a.ListTokens(adminGrant, true))
	for _, scopes := range []string{
		`[{"type":"admin"}]`,
		`[{"type":"database","name":"other","permissions":["read"]}]`,
		`[{"type":"database","name":"*","permissions":["read"]}]`,
		`[{"type":"database","name":"app","permissions":["read"]},{"type":"admin"}]`,
	} {
		if nt, err := mk(dev, scopes); tkCode(err) != EFORBIDDEN {
			t.Errorf("developer creates %s: %+v %v, want %s", scopes, nt, err, EFORBIDDEN)
		}
	}
	if n := len(a.ListTokens(adminGrant, true)); n != before {
		t.Errorf("refused creations changed the token count: %d → %d", before, n)
	}
	ci, err := mk(dev, `[{"type":"database","name":"app","permissions":["read"]}]`)
	if err != nil {
		t.Fatalf("developer creates an app:read token: %v", err)
	}
	if got, _ := a.GetToken(adminGrant, ci.ID); got == nil || got.CreatedBy != "token:"+devTok.ID {
		t.Errorf("created_by of a token made by a token: %+v", got)
	}

	for _, hidden := range []string{adminTok.ID, otherTok.ID} {
		if _, err := a.GetToken(dev, hidden); tkCode(err) != ENOTFOUND {
			t.Errorf("developer gets %s: %v, want %s", hidden, err, ENOTFOUND)
		}
		if nt, err := a.RotateToken(dev, hidden); tkCode(err) != ENOTFOUND || nt != nil {
			t.Errorf("developer rotates %s: %+v %v, want %s", hidden, nt, err, ENOTFOUND)
		}
		if err := a.RevokeToken(dev, hidden); tkCode(err) != ENOTFOUND {
			t.Errorf("developer revokes %s: %v, want %s", hidden, err, ENOTFOUND)
		}
	}
	tkGrant(t, a, adminTok.Token) // untouched
	tkGrant(t, a, otherTok.Token)
	ids := map[string]bool{}
	for _, tok := range a.ListTokens(dev, true) {
		ids[tok.ID] = true
	}
	if len(ids) != 2 || !ids[devTok.ID] || !ids[ci.ID] {
		t.Errorf("developer lists %v, want itself and the ci token", ids)
	}

	// A token:read token sees only tokens within its scopes, and cannot create any.
	readTok, err := mk(adminGrant, `[{"type":"token","permissions":["read"]}]`)
	if err != nil {
		t.Fatal(err)
	}
	rd := tkGrant(t, a, readTok.Token)
	if l := a.ListTokens(rd, true); len(l) != 1 || l[0].ID != readTok.ID {
		t.Errorf("token:read lists %+v, want only itself", l)
	}
	// Rotation within its scopes works for the developer and kills the old secret.
	rot, err := a.RotateToken(dev, ci.ID)
	if err != nil || rot.ID != ci.ID || rot.Token == ci.Token || !tkFormat.MatchString(rot.Token) {
		t.Fatalf("developer rotates ci: %+v %v", rot, err)
	}
	if _, err := a.Authenticate(Attempt{Addr: "127.0.0.1:3"}, []byte(ci.Token)); err == nil {
		t.Errorf("the old secret still works after rotation")
	}
	tkGrant(t, a, rot.Token)
}

// TestTokenLifecycle: expiry, revocation, listings, and last use across a restart.
func TestTokenLifecycle(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	a, closeA := tkOpen(t, dir, clk)
	if _, err := a.CreateDatabase(CreateOptions{Name: "app"}); err != nil {
		t.Fatal(err)
	}
	sc := tkScopes(t, `[{"type":"database","name":"app","permissions":["read"]}]`)
	short, err := a.CreateToken(adminGrant, "short", sc, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if short.ExpiresAt == nil || *short.ExpiresAt != short.CreatedAt+60 || short.CreatedAt != clk.Now().Unix() {
		t.Errorf("created_at %d expires_at %v, want +60", short.CreatedAt, short.ExpiresAt)
	}
	long, _ := a.CreateToken(adminGrant, "long", sc, 0)
	gone, _ := a.CreateToken(adminGrant, "gone", sc, 0)
	if long.ExpiresAt != nil {
		t.Errorf("a token without expiry has expires_at %d", *long.ExpiresAt)
	}
	if nt, err := a.CreateToken(adminGrant, "", sc, 0); tkCode(err) != EINVALID {
		t.Errorf("empty name: %+v %v", nt, err)
	}
	if nt, err := a.CreateToken(adminGrant, "x", tkScopes(t, `[{"type":"database","name":"nope","permissions":["read"]}]`), 0); tkCode(err) != ENOTFOUND {
		t.Errorf("unknown database: %+v %v", nt, err)
	}

	g := tkGrant(t, a, long.Token)
	if !g.Expires.IsZero() {
		t.Errorf("a token without expiry has a grant that expires at %v", g.Expires)
	}
	if g := tkGrant(t, a, short.Token); !g.Expires.Equal(time.Unix(*short.ExpiresAt, 0)) {
		t.Errorf("grant expires %v, want %d", g.Expires, *short.ExpiresAt)
	}
	used := clk.Now().Unix()
	if got, _ := a.GetToken(adminGrant, long.ID); got.LastUsedAt == nil || *got.LastUsedAt != used {
		t.Errorf("last_used_at right after use: %v, want %d", got.LastUsedAt, used)
	}
	if err := a.RevokeToken(adminGrant, gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeToken(adminGrant, gone.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if err := a.RevokeToken(adminGrant, "0123456789abcdef"); tkCode(err) != ENOTFOUND {
		t.Errorf("revoking an unknown id: %v", err)
	}
	if _, err := a.RotateToken(adminGrant, gone.ID); tkCode(err) != EINVALID {
		t.Errorf("rotating a revoked token: %v, want %s", err, EINVALID)
	}

	clk.Add(61 * time.Second)
	if _, err := a.Authenticate(Attempt{Addr: "127.0.0.1:4"}, []byte(short.Token)); err == nil {
		t.Errorf("an expired token authenticated")
	}
	if _, err := a.Authenticate(Attempt{Addr: "127.0.0.1:4"}, []byte(gone.Token)); err == nil {
		t.Errorf("a revoked token authenticated")
	}
	names := func(l []Token) string {
		var n []string
		for _, t := range l {
			n = append(n, t.Name)
		}
		slices.Sort(n) // created in the same second: ordered by id
		return strings.Join(n, ",")
	}
	if got := names(a.ListTokens(adminGrant, false)); got != "long" {
		t.Errorf("active tokens: %s, want long", got)
	}
	if got := names(a.ListTokens(adminGrant, true)); got != "gone,long,short" {
		t.Errorf("all tokens: %s, want gone,long,short", got)
	}

	// Last use survives a restart (flushed at Close), as does the revocation.
	closeA()
	b, _ := tkOpen(t, dir, clk)
	got, err := b.GetToken(adminGrant, long.ID)
	if err != nil || got.LastUsedAt == nil || *got.LastUsedAt != used {
		t.Errorf("last_used_at after a restart: %+v %v, want %d", got, err, used)
	}
	if got, _ := b.GetToken(adminGrant, gone.ID); got == nil || got.RevokedAt == nil {
		t.Errorf("revoked_at after a restart: %+v", got)
	}
	if _, err := b.Authenticate(Attempt{Addr: "127.0.0.1:4"}, []byte(gone.Token)); err == nil {
		t.Errorf("a revoked token authenticated after a restart")
	}
}
