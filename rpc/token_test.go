package rpc_test

// Named tokens over the JSON-RPC API, end to end: a herodbtest server, the RPC service
// over real HTTP on loopback, raw request and response bodies. Covers the replies'
// shapes (the secret only in createToken and rotateToken), who may call what with a
// token as the bearer (no escalation), revocation, rotation and expiry on the RPC, bad
// input, last use across a restart, and that no log line ever holds a token secret.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/storage"
)

// tkSecretField is a "token" or "hash" key (not a "type":"token" scope).
var tkSecretField = regexp.MustCompile(`"(token|hash|secret)"\s*:`)

// tkLogBuf is a log sink that the server's goroutines and the test may share.
type tkLogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *tkLogBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *tkLogBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tkFail calls and checks the error code, HTTP status and message; it returns the body.
func tkFail(e *rpcEnv, bearer, method string, params any, code int64, msgHas string) []byte {
	e.t.Helper()
	st, res, rerr, raw := tkCall(e, bearer, method, params)
	if rerr == nil {
		e.t.Errorf("%s %v: result %s, want error %d", method, params, res, code)
		return raw
	}
	if rerr.Code != code || st != wantStatus(code) {
		e.t.Errorf("%s %v: HTTP %d error %d %q, want %d (HTTP %d)", method, params, st, rerr.Code, rerr.Message, code, wantStatus(code))
	}
	if !strings.Contains(rerr.Message, msgHas) {
		e.t.Errorf("%s %v: message %q does not mention %q", method, params, rerr.Message, msgHas)
	}
	return raw
}

// tkInfo is listTokens' and getToken's object.
type tkInfo struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Scopes     []json.RawMessage `json:"scopes"`
	CreatedAt  int64             `json:"created_at"`
	UpdatedAt  int64             `json:"updated_at"`
	ExpiresAt  *int64            `json:"expires_at"`
	LastUsedAt *int64            `json:"last_used_at"`
	CreatedBy  string            `json:"created_by"`
	RevokedAt  *int64            `json:"revoked_at"`
}

var tkInfoFields = "created_at,created_by,expires_at,id,last_used_at,name,revoked_at,scopes,updated_at"

func tkAsInfo(t *testing.T, res json.RawMessage) tkInfo {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(res, &fields); err != nil {
		t.Fatalf("token %s: %v", res, err)
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != tkInfoFields {
		t.Errorf("token fields %s, want %s: %s", got, tkInfoFields, res)
	}
	var i tkInfo
	if err := json.Unmarshal(res, &i); err != nil {
		t.Fatal(err)
	}
	return i
}

func tkList(e *rpcEnv, bearer string, all bool) map[string]tkInfo {
	e.t.Helper()
	res := tkOK(e, bearer, "herodb_listTokens", []any{all})
	var list []json.RawMessage
	if err := json.Unmarshal(res, &list); err != nil {
		e.t.Fatalf("listTokens result %s: %v", res, err)
	}
	out := map[string]tkInfo{}
	for _, r := range list {
		i := tkAsInfo(e.t, r)
		out[i.ID] = i
	}
	return out
}

// tkNoSecrets fails when raw holds any of the tokens or their secret parts.
func tkNoSecrets(t *testing.T, what string, raw []byte, toks ...tkNew) {
	t.Helper()
	for _, n := range toks {
		if bytes.Contains(raw, []byte(n.secret())) || bytes.Contains(raw, []byte(n.Token)) {
			t.Errorf("%s holds the secret of token %s (%s): %s", what, n.ID, n.Name, raw)
		}
	}
	if tkSecretField.Match(raw) {
		t.Errorf("%s has a token or hash field: %s", what, raw)
	}
}

// tkI64 shows an optional unix time.
func tkI64(p *int64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// tkNames is a listing's token names, sorted.
func tkNames(l map[string]tkInfo) string {
	var n []string
	for _, i := range l {
		n = append(n, i.Name)
	}
	sort.Strings(n)
	return strings.Join(n, ",")
}

func tkCreateDB(e *rpcEnv, name string) uint64 {
	e.t.Helper()
	return asID(e.t, tkOK(e, herodbtest.AdminSecret, "herodb_createDatabase", []any{"Redb", map[string]any{"name": name}}))
}

// TestTokenCreateListGet: the shapes of the replies, the secret only in createToken's,
// active and all listings, last use right away and after a restart.
func TestTokenCreateListGet(t *testing.T) {
	t.Parallel()
	clk := storage.NewManualClock(time.Unix(1_700_000_000, 0))
	e := tkEnv(t, tkOpts{clock: clk})
	tkCreateDB(e, "app")
	const adm = herodbtest.AdminSecret

	// Named params under the hero_ prefix, an expiry in seconds.
	ci := tkAsNew(t, tkOK(e, adm, "hero_createToken", map[string]any{"name": "ci", "scopes": json.RawMessage(tkAppRead), "expires_in": 3600}))
	if ci.Name != "ci" || ci.CreatedAt != clk.Now().Unix() || ci.ExpiresAt == nil || *ci.ExpiresAt != ci.CreatedAt+3600 {
		t.Errorf("ci: %+v", ci)
	}
	if len(ci.Scopes) != 1 || string(ci.Scopes[0]) != `{"type":"database","name":"app","permissions":["read"]}` {
		t.Errorf("ci scopes: %s", ci.Scopes)
	}
	// Positional, expires_in left out, and null: never expires.
	long := tkAsNew(t, tkOK(e, adm, "herodb_createToken", []any{"long", json.RawMessage(tkAppRead)}))
	gone := tkCreate(e, adm, "gone", tkAppRead, nil)
	for _, n := range []tkNew{long, gone} {
		if n.ExpiresAt != nil {
			t.Errorf("%s: expires_at %d, want null", n.Name, *n.ExpiresAt)
		}
	}
	all := []tkNew{ci, long, gone}

	_, res, _, raw := tkCall(e, adm, "herodb_listTokens", []any{})
	tkNoSecrets(t, "listTokens", raw, all...)
	var list []json.RawMessage
	json.Unmarshal(res, &list)
	if len(list) != 3 {
		t.Fatalf("listTokens: %d tokens, want 3: %s", len(list), raw)
	}
	for _, n := range all {
		_, res, _, raw := tkCall(e, adm, "hero_getToken", map[string]any{"id": n.ID})
		tkNoSecrets(t, "getToken", raw, all...)
		i := tkAsInfo(t, res)
		if i.ID != n.ID || i.Name != n.Name || i.CreatedAt != n.CreatedAt || i.UpdatedAt != n.CreatedAt ||
			i.CreatedBy != "admin" || i.LastUsedAt != nil || i.RevokedAt != nil || tkI64(i.ExpiresAt) != tkI64(n.ExpiresAt) {
			t.Errorf("getToken %s: %s", n.Name, res)
		}
	}

	// Using a token shows at once in list and get (folded in from memory).
	clk.Add(10 * time.Second)
	used := clk.Now().Unix()
	tkOK(e, long.Token, "herodb_getServerInfo", nil)
	if got := tkAsInfo(t, tkOK(e, adm, "herodb_getToken", []any{long.ID})); got.LastUsedAt == nil || *got.LastUsedAt != used {
		t.Errorf("getToken last_used_at after use: %v, want %d", got.LastUsedAt, used)
	}
	if got := tkList(e, adm, false)[long.ID]; got.LastUsedAt == nil || *got.LastUsedAt != used {
		t.Errorf("listTokens last_used_at after use: %v, want %d", got.LastUsedAt, used)
	}

	// Revoked and expired tokens leave the active list; all shows them.
	wantTrue(t, "revokeToken", tkOK(e, adm, "herodb_revokeToken", []any{gone.ID}))
	clk.Add(3600 * time.Second) // ci has expired
	active := tkList(e, adm, false)
	if got := tkNames(active); got != "long" {
		t.Errorf("active tokens: %s, want only long", got)
	}
	if got := tkList(e, adm, false); len(got) != len(active) {
		t.Errorf("listTokens(false) and listTokens() differ")
	}
	everything := tkList(e, adm, true)
	if len(everything) != 3 {
		t.Fatalf("listTokens(true): %d tokens, want 3", len(everything))
	}
	if g := everything[gone.ID]; g.RevokedAt == nil || *g.RevokedAt != used || g.UpdatedAt != used {
		t.Errorf("revoked token: %+v, want revoked_at and updated_at %d", g, used)
	}
	if c := everything[ci.ID]; c.RevokedAt != nil {
		t.Errorf("expired (not revoked) token has revoked_at: %+v", c)
	}
	_, _, _, raw = tkCall(e, adm, "hero_listTokens", map[string]any{"all": true})
	tkNoSecrets(t, "listTokens(true)", raw, all...)
	tkFail(e, ci.Token, "herodb_getServerInfo", nil, rpc.CodeUnauthorized, "invalid credential")
	tkFail(e, gone.Token, "herodb_getServerInfo", nil, rpc.CodeUnauthorized, "invalid credential")

	// A restart keeps last use (flushed at Close) and the revocation.
	dir := e.srv.Dir
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := tkEnv(t, tkOpts{dir: dir, clock: clk})
	after := tkList(e2, adm, true)
	if g := after[long.ID]; g.LastUsedAt == nil || *g.LastUsedAt != used {
		t.Errorf("last_used_at after a restart: %v, want %d", g.LastUsedAt, used)
	}
	if g := after[gone.ID]; g.RevokedAt == nil {
		t.Errorf("revoked_at lost in a restart: %+v", g)
	}
	tkOK(e2, long.Token, "hero_getServerInfo", nil)
	tkFail(e2, gone.Token, "herodb_getServerInfo", nil, rpc.CodeUnauthorized, "invalid credential")
	_, _, _, raw = tkCall(e2, adm, "herodb_listTokens", []any{true})
	tkNoSecrets(t, "listTokens after a restart", raw, all...)
}

// TestTokenBearerRights: which token may call what, and no escalation.
func TestTokenBearerRights(t *testing.T) {
	t.Parallel()
	e := tkEnv(t, tkOpts{})
	app := tkCreateDB(e, "app")
	tkCreateDB(e, "other")
	const adm = herodbtest.AdminSecret
	admTok := tkCreate(e, adm, "ops", tkAdminSc, nil)
	reader := tkCreate(e, adm, "auditor", tkTokRead, nil)
	dev := tkCreate(e, adm, "dev", tkDevScope, 86400)
	dbOnly := tkCreate(e, adm, "svc", tkAppRead, nil)
	count := func() int { return len(tkList(e, adm, true)) }
	n0 := count()

	// token:read lists and gets, but creates, revokes and rotates nothing.
	if got := tkNames(tkList(e, reader.Token, false)); got != "auditor" {
		t.Errorf("token:read sees %s, want only itself (the others are outside its scopes)", got)
	}
	tkOK(e, reader.Token, "herodb_getToken", []any{reader.ID})
	tkFail(e, reader.Token, "herodb_getToken", []any{admTok.ID}, rpc.CodeNotFound, "no token")
	tkFail(e, reader.Token, "herodb_createToken", []any{"x", json.RawMessage(tkTokRead), nil}, rpc.CodeForbidden, "token write")
	tkFail(e, reader.Token, "hero_createToken", []any{"x", json.RawMessage(tkTokRead), nil}, rpc.CodeForbidden, "token write")
	tkFail(e, reader.Token, "herodb_revokeToken", []any{dbOnly.ID}, rpc.CodeForbidden, "token write")
	tkFail(e, reader.Token, "herodb_rotateToken", []any{reader.ID}, rpc.CodeForbidden, "token write")
	tkFail(e, reader.Token, "herodb_listDatabases", nil, rpc.CodeForbidden, "admin")
	tkOK(e, reader.Token, "herodb_getServerInfo", nil)

	// token:write with app read-write: tokens within its scopes, nothing more.
	ci := tkCreate(e, dev.Token, "ci", tkAppRead, 3600)
	tkCreate(e, dev.Token, "sub", `[{"type":"token","permissions":["read"]}]`, nil)
	tkFail(e, dev.Token, "herodb_createToken", []any{"root", json.RawMessage(tkAdminSc), nil}, rpc.CodeForbidden, "scopes")
	tkFail(e, dev.Token, "herodb_createToken", []any{"mix", json.RawMessage(`[{"type":"database","name":"app","permissions":["read"]},{"type":"admin"}]`), nil}, rpc.CodeForbidden, "scopes")
	tkFail(e, dev.Token, "herodb_createToken", []any{"o", json.RawMessage(`[{"type":"database","name":"other","permissions":["read"]}]`), nil}, rpc.CodeForbidden, "scopes")
	tkFail(e, dev.Token, "herodb_createToken", []any{"all", json.RawMessage(`[{"type":"database","name":"*","permissions":["read"]}]`), nil}, rpc.CodeForbidden, "scopes")
	for _, m := range []string{"herodb_rotateToken", "hero_rotateToken"} {
		_, res, rerr, raw := tkCall(e, dev.Token, m, []any{admTok.ID})
		if rerr == nil || (rerr.Code != rpc.CodeForbidden && rerr.Code != rpc.CodeNotFound) {
			t.Errorf("token:write rotates the admin token: %s, want 403 or not found", raw)
		}
		if res != nil || bytes.Contains(raw, []byte("hdbt_")) {
			t.Errorf("rotating the admin token as token:write returned a token: %s", raw)
		}
	}
	tkFail(e, dev.Token, "herodb_revokeToken", []any{admTok.ID}, rpc.CodeNotFound, "no token")
	tkFail(e, dev.Token, "herodb_getToken", []any{admTok.ID}, rpc.CodeNotFound, "no token")
	// It sees the tokens within its scopes (token:read ones too), not the admin token.
	if got := tkNames(tkList(e, dev.Token, true)); got != "auditor,ci,dev,sub,svc" {
		t.Errorf("token:write lists %s, want auditor,ci,dev,sub,svc", got)
	}
	tkFail(e, dev.Token, "herodb_listDatabases", nil, rpc.CodeForbidden, "admin")
	tkFail(e, dev.Token, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "bydev"}}, rpc.CodeForbidden, "admin")
	tkFail(e, dev.Token, "herodb_addAccessKey", []any{app, "a-key-of-at-least-16-bytes", "readwrite"}, rpc.CodeForbidden, "admin")
	if got := tkAsInfo(t, tkOK(e, adm, "herodb_getToken", []any{ci.ID})); got.CreatedBy != "token:"+dev.ID {
		t.Errorf("created_by of a token made by a token: %q", got.CreatedBy)
	}
	// The admin token is untouched and does admin things.
	tkOK(e, admTok.Token, "herodb_listDatabases", nil)
	tkOK(e, admTok.Token, "hero_getDatabaseInfo", []any{"app"})
	root := tkCreate(e, admTok.Token, "root2", tkAdminSc, 60)
	wantTrue(t, "admin token revokes", tkOK(e, admTok.Token, "herodb_revokeToken", []any{root.ID}))

	// A database-only token: getServerInfo, nothing else.
	tkOK(e, dbOnly.Token, "herodb_getServerInfo", nil)
	tkFail(e, dbOnly.Token, "herodb_listDatabases", nil, rpc.CodeForbidden, "admin")
	tkFail(e, dbOnly.Token, "herodb_getDatabaseInfo", []any{app}, rpc.CodeForbidden, "admin")
	tkFail(e, dbOnly.Token, "herodb_listTokens", nil, rpc.CodeForbidden, "token read")
	tkFail(e, dbOnly.Token, "herodb_createToken", []any{"x", json.RawMessage(tkAppRead), nil}, rpc.CodeForbidden, "token write")
	if n := count(); n != n0+3 {
		t.Errorf("%d tokens, want %d: a refused call created one", n, n0+3)
	}

	// Revoked: 401 at once. Rotated: the old secret 401 at once, the new one works.
	wantTrue(t, "revoke svc", tkOK(e, dev.Token, "herodb_revokeToken", []any{dbOnly.ID}))
	tkFail(e, dbOnly.Token, "herodb_getServerInfo", nil, rpc.CodeUnauthorized, "invalid credential")
	_, res, _, raw := tkCall(e, adm, "herodb_rotateToken", []any{dev.ID})
	dev2 := tkAsNew(t, res)
	if dev2.ID != dev.ID || dev2.Token == dev.Token || dev2.Name != "dev" || dev2.CreatedAt != dev.CreatedAt || tkI64(dev2.ExpiresAt) != tkI64(dev.ExpiresAt) {
		t.Errorf("rotateToken: %s (was %+v)", raw, dev)
	}
	tkFail(e, dev.Token, "herodb_listTokens", nil, rpc.CodeUnauthorized, "invalid credential")
	tkOK(e, dev2.Token, "herodb_listTokens", nil)
	// The rotated token rotates what it created; the reply holds the new secret once.
	ci2 := tkAsNew(t, tkOK(e, dev2.Token, "hero_rotateToken", map[string]any{"id": ci.ID}))
	_, _, _, raw = tkCall(e, dev2.Token, "herodb_getToken", []any{ci.ID})
	tkNoSecrets(t, "getToken after rotation", raw, ci, ci2, dev, dev2)
}

// TestTokenBadInput: clear errors and nothing changed.
func TestTokenBadInput(t *testing.T) {
	t.Parallel()
	e := tkEnv(t, tkOpts{})
	tkCreateDB(e, "app")
	const adm = herodbtest.AdminSecret
	seed := tkCreate(e, adm, "seed", tkAppRead, nil)
	app := `{"type":"database","name":"app","permissions":["read"]}`
	cases := []struct {
		params string
		code   int64
		msg    string
	}{
		{`["x",[{"type":"nope","name":"app","permissions":["read"]}],null]`, rpc.CodeInvalidParams, "unknown scope type"},
		{`["x",[{"type":"databases","name":"app","permissions":["read"]}],null]`, rpc.CodeInvalidParams, "unknown scope type"},
		{`["x",[{"type":"database","name":"app","permissions":["execute"]}],null]`, rpc.CodeInvalidParams, "unknown permission"},
		{`["x",[{"type":"database","name":"app","permissions":["readwrite"]}],null]`, rpc.CodeInvalidParams, "unknown permission"},
		{`["x",[{"type":"database","name":"app","permissions":[]}],null]`, rpc.CodeInvalidParams, "permissions"},
		{`["x",[],null]`, rpc.CodeInvalidParams, "empty"},
		{`["x",null,null]`, rpc.CodeInvalidParams, "scopes"},
		{`["x","admin",null]`, rpc.CodeInvalidParams, "scopes"},
		{`["x",{"type":"admin"},null]`, rpc.CodeInvalidParams, "scopes"},
		{`["x",[{"type":"database","name":"app","permissions":["read"],"ttl":5}],null]`, rpc.CodeInvalidParams, "unknown field"},
		{`["x",[{"type":"admin","permissions":["read"]}],null]`, rpc.CodeInvalidParams, "admin scope"},
		{`["x",[{"type":"database","name":"0","permissions":["read"]}],null]`, rpc.CodeInvalidParams, "DB 0"},
		{`["x",[{"type":"database","name":"nosuch","permissions":["read"]}],null]`, rpc.CodeNotFound, "does not exist"},
		{`["x",[{"type":"database","name":"99","permissions":["read"]}],null]`, rpc.CodeNotFound, "does not exist"},
		{`["x",[` + app + `],0]`, rpc.CodeInvalidParams, "expires_in"},
		{`["x",[` + app + `],-60]`, rpc.CodeInvalidParams, "expires_in"},
		{`["x",[` + app + `],"60"]`, rpc.CodeInvalidParams, "expires_in"},
		{`["x",[` + app + `],"30d"]`, rpc.CodeInvalidParams, "expires_in"},
		{`["x",[` + app + `],1.5]`, rpc.CodeInvalidParams, "expires_in"},
		{`["x",[` + app + `],true]`, rpc.CodeInvalidParams, "expires_in"},
		{`["",[` + app + `],null]`, rpc.CodeInvalidParams, "name"},
		{`["  ",[` + app + `],null]`, rpc.CodeInvalidParams, "name"},
		{`["` + strings.Repeat("n", 129) + `",[` + app + `],null]`, rpc.CodeInvalidParams, "name"},
		{`[5,[` + app + `],null]`, rpc.CodeInvalidParams, "name"},
		{`["x"]`, rpc.CodeInvalidParams, "scopes"},
		{`["x",[` + app + `],null,1]`, rpc.CodeInvalidParams, "at most 3"},
		{`{"name":"x","scopes":[` + app + `],"expires":60}`, rpc.CodeInvalidParams, "expires"},
	}
	for _, c := range cases {
		tkFail(e, adm, "herodb_createToken", json.RawMessage(c.params), c.code, c.msg)
	}
	for _, m := range []string{"herodb_revokeToken", "herodb_getToken", "herodb_rotateToken", "hero_revokeToken"} {
		tkFail(e, adm, m, []any{"0123456789abcdef"}, rpc.CodeNotFound, "no token")
		tkFail(e, adm, m, []any{"nope"}, rpc.CodeNotFound, "no token")
		tkFail(e, adm, m, []any{5}, rpc.CodeInvalidParams, "id")
		tkFail(e, adm, m, []any{}, rpc.CodeInvalidParams, "id")
	}
	tkFail(e, adm, "herodb_listTokens", []any{"yes"}, rpc.CodeInvalidParams, "all")
	tkFail(e, adm, "herodb_listTokens", map[string]any{"everything": true}, rpc.CodeInvalidParams, "everything")
	// A revoked token cannot be rotated back to life.
	gone := tkCreate(e, adm, "gone", tkAppRead, nil)
	wantTrue(t, "revoke", tkOK(e, adm, "herodb_revokeToken", []any{gone.ID}))
	wantTrue(t, "revoke again", tkOK(e, adm, "herodb_revokeToken", []any{gone.ID}))
	tkFail(e, adm, "herodb_rotateToken", []any{gone.ID}, rpc.CodeInvalidParams, "revoked")

	l := tkList(e, adm, true)
	if got := tkNames(l); got != "gone,seed" {
		t.Errorf("after the refusals the tokens are %s, want gone,seed", got)
	}
	if s := l[seed.ID]; s.RevokedAt != nil || s.UpdatedAt != s.CreatedAt {
		t.Errorf("seed changed: %+v", s)
	}
	tkOK(e, seed.Token, "herodb_getServerInfo", nil)
}

// TestTokenNoSecretInLogs: with the server and the RPC logging at Debug into one
// buffer, no line holds any token secret, whatever happened.
func TestTokenNoSecretInLogs(t *testing.T) {
	t.Parallel()
	buf := &tkLogBuf{}
	log := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := storage.NewManualClock(time.Unix(1_700_000_000, 0))
	e := tkEnv(t, tkOpts{log: log, clock: clk})
	id := tkCreateDB(e, "app")
	tkCreateDB(e, "other")
	const adm = herodbtest.AdminSecret
	var toks []tkNew
	keep := func(n tkNew) tkNew { toks = append(toks, n); return n }
	ci := keep(tkCreate(e, adm, "ci", tkAppRead, 60))
	dev := keep(tkCreate(e, adm, "dev", tkDevScope, nil))
	ops := keep(tkCreate(e, adm, "ops", tkAdminSc, nil))
	gone := keep(tkCreate(e, dev.Token, "gone", tkAppRead, nil))
	tkFail(e, dev.Token, "herodb_createToken", []any{"root", json.RawMessage(tkAdminSc), nil}, rpc.CodeForbidden, "scopes")
	tkList(e, dev.Token, true)
	tkOK(e, ops.Token, "herodb_getToken", []any{ci.ID})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp := func(pass string) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), Password: pass, Protocol: 2, PoolSize: 1, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return c
	}
	if err := resp(ci.Token).Get(ctx, "k").Err(); err != redis.Nil {
		t.Errorf("GET with AUTH ci: %v", err)
	}
	rw := resp(dev.Token)
	if err := rw.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("SET with AUTH dev: %v", err)
	}
	raw := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), Protocol: 2, PoolSize: 1, MaxRetries: -1})
	defer raw.Close()
	if err := raw.Do(ctx, "SELECT", id, "KEY", gone.Token).Err(); err != nil {
		t.Errorf("SELECT KEY gone: %v", err)
	}
	if err := raw.Do(ctx, "SELECT", "other", "KEY", ci.Token).Err(); err == nil {
		t.Errorf("SELECT other KEY ci succeeded")
	}
	wantTrue(t, "revoke", tkOK(e, dev.Token, "herodb_revokeToken", []any{gone.ID}))
	if err := raw.Get(ctx, "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("GET after revocation: %v", err)
	}
	devNew := keep(tkAsNew(t, tkOK(e, ops.Token, "herodb_rotateToken", []any{dev.ID})))
	if err := rw.Get(ctx, "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("GET after rotation: %v", err)
	}
	if err := resp(dev.Token).Ping(ctx).Err(); err == nil {
		t.Errorf("AUTH with a rotated token succeeded")
	}
	tkFail(e, dev.Token, "herodb_listTokens", nil, rpc.CodeUnauthorized, "invalid")
	tkFail(e, gone.Token, "herodb_listTokens", nil, rpc.CodeUnauthorized, "invalid")
	tkOK(e, devNew.Token, "herodb_listTokens", nil)
	clk.Add(61 * time.Second)
	tkFail(e, ci.Token, "herodb_getServerInfo", nil, rpc.CodeUnauthorized, "invalid")
	if err := resp(ci.Token).Ping(ctx).Err(); err == nil {
		t.Errorf("AUTH with an expired token succeeded")
	}
	// A malformed token-looking credential, and one with a known id but a wrong secret.
	tkFail(e, "hdbt_"+ops.ID+"_"+strings.Repeat("A", 43), "herodb_getServerInfo", nil, rpc.CodeUnauthorized, "invalid")
	tkFail(e, "hdbt_"+ops.secret(), "herodb_getServerInfo", nil, rpc.CodeUnauthorized, "invalid")

	e.srv.Close() // flushes last use; logs shutdown
	out := buf.String()
	if !strings.Contains(out, "authentication succeeded") || !strings.Contains(out, "kind=token") || !strings.Contains(out, "authentication failed") || !strings.Contains(out, "level=DEBUG") {
		t.Fatalf("the log does not show the token authentications at Debug level:\n%s", out)
	}
	for _, n := range toks {
		for _, s := range []string{n.Token, n.secret(), n.secret()[:16], n.secret()[27:]} {
			if strings.Contains(out, s) {
				t.Errorf("the log holds (part of) the secret of %s: %q", n.Name, s)
			}
		}
	}
	if strings.Contains(out, herodbtest.AdminSecret) {
		t.Errorf("the log holds the admin secret")
	}
}
