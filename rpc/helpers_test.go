package rpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sourcegraph/jsonrpc2"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/storage"
)

// Helpers shared by the rpc tests: a server with its RPC on HTTP (rpcEnv) or a Unix
// socket, calls on either transport (callFn), reply decoders, the checks every transport
// runs, and token calls made with a bearer credential.

// rpcEnv is a herodb server with its RPC served over HTTP on loopback. Every response
// body is kept, and checked at cleanup for the admin secret.
type rpcEnv struct {
	t   *testing.T
	srv *herodbtest.Server
	svc *rpc.Service
	hs  *httptest.Server

	nextID atomic.Int64
	mu     sync.Mutex
	bodies []string
	// secrets are strings that must never appear in any response body.
	secrets []string
}

// startServer starts a herodbtest server and waits until it answers a PING. Without the
// wait, a test that never speaks RESP can close the server before its accept loop
// started, and server.Close then waits forever (see the report: redcon's Close before
// Serve is a no-op).
func startServer(t *testing.T) *herodbtest.Server {
	t.Helper()
	return startServerWith(t, herodbtest.Options{})
}

// startServerWith is startServer with o.
func startServerWith(t *testing.T, o herodbtest.Options) *herodbtest.Server {
	t.Helper()
	srv := herodbtest.Start(t, o)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING the test server: %v", err)
	}
	return srv
}

func newRPCEnv(t *testing.T) *rpcEnv {
	t.Helper()
	e := serveRPC(t, startServer(t), rpc.Config{})
	e.checkBodiesAtCleanup()
	return e
}

// serveRPC serves srv's RPC, configured by cfg (Admin and Info are set), over HTTP on
// loopback until the test ends.
func serveRPC(t *testing.T, srv *herodbtest.Server, cfg rpc.Config) *rpcEnv {
	t.Helper()
	cfg.Admin, cfg.Info = srv.Admin(), srv.Info
	svc := rpc.NewService(cfg)
	hs := httptest.NewServer(svc.HTTPHandler())
	t.Cleanup(hs.Close)
	return &rpcEnv{t: t, srv: srv, svc: svc, hs: hs, secrets: []string{herodbtest.AdminSecret}}
}

// checkBodiesAtCleanup fails the test at its end if any response body holds a secret.
func (e *rpcEnv) checkBodiesAtCleanup() {
	t := e.t
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, b := range e.bodies {
			for _, s := range e.secrets {
				if strings.Contains(b, s) {
					t.Errorf("a response body holds the secret %q: %s", s, b)
				}
			}
		}
	})
}

// neverShow adds a string that no response body may hold.
func (e *rpcEnv) neverShow(s string) {
	e.mu.Lock()
	e.secrets = append(e.secrets, s)
	e.mu.Unlock()
}

// do sends one HTTP request with an optional bearer credential and returns the status,
// the headers and the body.
func (e *rpcEnv) do(method, path, bearer string, body io.Reader) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.hs.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.bodies = append(e.bodies, string(raw))
	e.mu.Unlock()
	return resp.StatusCode, resp.Header, raw
}

// post sends body as the admin.
func (e *rpcEnv) post(body string) (int, []byte) {
	e.t.Helper()
	st, _, raw := e.do(http.MethodPost, "/", herodbtest.AdminSecret, strings.NewReader(body))
	return st, raw
}

// wireResp is one JSON-RPC response as it is on the wire.
type wireResp struct {
	JSONRPC string           `json:"jsonrpc"`
	ID      json.RawMessage  `json:"id"`
	Result  json.RawMessage  `json:"result"`
	Error   *json.RawMessage `json:"error"`
}

func (w wireResp) err(t *testing.T) *jsonrpc2.Error {
	t.Helper()
	if w.Error == nil {
		return nil
	}
	var e jsonrpc2.Error
	if err := json.Unmarshal(*w.Error, &e); err != nil {
		t.Fatalf("error object %s: %v", *w.Error, err)
	}
	return &e
}

func decodeResp(t *testing.T, raw []byte) wireResp {
	t.Helper()
	var r wireResp
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response is not a JSON-RPC object: %v: %s", err, raw)
	}
	if r.JSONRPC != "2.0" {
		t.Fatalf(`response lacks "jsonrpc":"2.0": %s`, raw)
	}
	return r
}

// wantStatus is the HTTP status that goes with a JSON-RPC error code on a single request.
func wantStatus(code int64) int {
	switch code {
	case rpc.CodeUnauthorized:
		return http.StatusUnauthorized
	case rpc.CodeForbidden:
		return http.StatusForbidden
	case rpc.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusOK
}

// request is the body of one request with the next id; params as in call.
func (e *rpcEnv) request(method string, params any) (id int64, body []byte) {
	e.t.Helper()
	id = e.nextID.Add(1)
	req := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	body, err := json.Marshal(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return id, body
}

// call is one request as the admin: params are marshalled unless they are a
// json.RawMessage (sent as is) or nil (left out). It checks the id echo and the HTTP
// status and returns the raw body, the result and the error.
func (e *rpcEnv) call(method string, params any) (json.RawMessage, *jsonrpc2.Error, []byte) {
	e.t.Helper()
	id, body := e.request(method, params)
	st, raw := e.post(string(body))
	r := decodeResp(e.t, raw)
	if string(r.ID) != fmt.Sprint(id) {
		e.t.Errorf("%s: id %s, want %d", method, r.ID, id)
	}
	rerr := r.err(e.t)
	want := http.StatusOK
	if rerr != nil {
		want = wantStatus(rerr.Code)
	}
	if st != want {
		e.t.Errorf("%s %s: HTTP %d, want %d: %s", method, body, st, want, raw)
	}
	if rerr == nil && r.Result == nil {
		e.t.Errorf("%s: no result and no error: %s", method, raw)
	}
	return r.Result, rerr, raw
}

// callFn calls one method on some transport: the HTTP one here, the socket in
// socket_test.go. params as in rpcEnv.call. raw is the reply's bytes when the transport
// has them.
type callFn func(t *testing.T, method string, params any) (res json.RawMessage, rerr *jsonrpc2.Error, raw []byte)

func (e *rpcEnv) callFn() callFn {
	return func(t *testing.T, method string, params any) (json.RawMessage, *jsonrpc2.Error, []byte) {
		t.Helper()
		return e.call(method, params)
	}
}

func mustOK(t *testing.T, call callFn, method string, params any) json.RawMessage {
	t.Helper()
	res, rerr, raw := call(t, method, params)
	if rerr != nil {
		t.Fatalf("%s %v: error %d %q (%s)", method, params, rerr.Code, rerr.Message, raw)
	}
	return res
}

func mustFail(t *testing.T, call callFn, method string, params any, code int64, msgHas ...string) *jsonrpc2.Error {
	t.Helper()
	res, rerr, raw := call(t, method, params)
	if rerr == nil {
		t.Fatalf("%s %v: result %s, want error %d", method, params, res, code)
	}
	if rerr.Code != code {
		t.Errorf("%s %v: error %d %q, want code %d (%s)", method, params, rerr.Code, rerr.Message, code, raw)
	}
	for _, s := range msgHas {
		if !strings.Contains(rerr.Message, s) {
			t.Errorf("%s %v: message %q does not mention %q", method, params, rerr.Message, s)
		}
	}
	return rerr
}

func wantTrue(t *testing.T, what string, res json.RawMessage) {
	t.Helper()
	if string(res) != "true" {
		t.Errorf("%s: result %s, want true", what, res)
	}
}

func asID(t *testing.T, res json.RawMessage) uint64 {
	t.Helper()
	var id uint64
	if err := json.Unmarshal(res, &id); err != nil || id == 0 {
		t.Fatalf("result %s is not a database id (a positive integer): %v", res, err)
	}
	return id
}

// exerciseAllMethods calls every method under prefix, each with positional and with
// named params, on one transport, checking results and that no key is ever returned.
// Database names start with tag, so runs on one server do not collide.
func exerciseAllMethods(t *testing.T, call callFn, prefix, tag string) {
	m := func(name string) string { return prefix + name }
	encKey1 := "enc-key-" + tag + "-positional-0123456789"
	encKey2 := "enc-key-" + tag + "-named-0123456789"

	// createDatabase, positional (HeroDB's shape) and named (encryption_key left out, and
	// given).
	idA := asID(t, mustOK(t, call, m("createDatabase"), json.RawMessage(fmt.Sprintf(
		`["Redb",{"name":%q,"storage_path":null,"max_size":null,"redis_version":null},%q]`, tag+"-pos", encKey1))))
	idB := asID(t, mustOK(t, call, m("createDatabase"), map[string]any{
		"backend": "Sled", "config": map[string]any{"name": tag + "-named", "public": "read"}}))
	idC := asID(t, mustOK(t, call, m("createDatabase"), map[string]any{
		"backend": "bbolt", "config": map[string]any{"name": tag + "-named-enc", "max_size": 1 << 20, "redis_version": "7.2"},
		"encryption_key": encKey2}))
	if idA == idB || idB == idC || idA == idC {
		t.Fatalf("ids %d %d %d are not distinct", idA, idB, idC)
	}

	// getDatabaseInfo: positional id, named id, and a name.
	var infoRaw []json.RawMessage
	for _, p := range []any{[]any{idA}, map[string]any{"id": idA}, []any{tag + "-pos"}, map[string]any{"id": fmt.Sprint(idA)}} {
		res := mustOK(t, call, m("getDatabaseInfo"), p)
		infoRaw = append(infoRaw, res)
		d := asInfo(t, res)
		if d.ID != idA || d.Name != tag+"-pos" || d.Public != false || !d.Encrypted || d.MaxSize != 0 || d.CreatedAt == 0 {
			t.Errorf("getDatabaseInfo %v: %+v", p, d)
		}
	}
	if d := asInfo(t, mustOK(t, call, m("getDatabaseInfo"), []any{idB})); d.Public != "read" || d.Name != tag+"-named" {
		t.Errorf("database created with public \"read\": %+v", d)
	}
	if d := asInfo(t, mustOK(t, call, m("getDatabaseInfo"), map[string]any{"id": tag + "-named-enc"})); d.ID != idC || d.MaxSize != 1<<20 || d.Public != false {
		t.Errorf("database created with max_size 1 MiB: %+v", d)
	}

	// listDatabases: [] , {}, no params, null params.
	for _, p := range []any{[]any{}, map[string]any{}, nil, json.RawMessage(`null`)} {
		res := mustOK(t, call, m("listDatabases"), p)
		infoRaw = append(infoRaw, res)
		dbs := asInfos(t, res)
		for _, id := range []uint64{idA, idB, idC} {
			if _, ok := dbs[id]; !ok {
				t.Errorf("listDatabases %v lacks database %d: %s", p, id, res)
			}
		}
		if dbs[idC].MaxSize != 1<<20 || dbs[idB].Public != "read" {
			t.Errorf("listDatabases %v: %+v", p, dbs)
		}
	}
	for _, raw := range infoRaw {
		for _, k := range []string{encKey1, encKey2} {
			if bytes.Contains(raw, []byte(k)) {
				t.Errorf("database info holds the encryption key %q: %s", k, raw)
			}
		}
	}

	// addAccessKey, positional and named; listAccessKeys shows hashes only.
	key1 := "access-key-" + tag + "-one-0123456789"
	key2 := "access-key-" + tag + "-two-0123456789"
	wantTrue(t, "addAccessKey positional", mustOK(t, call, m("addAccessKey"), []any{idA, key1, "readwrite"}))
	wantTrue(t, "addAccessKey named", mustOK(t, call, m("addAccessKey"), map[string]any{"id": tag + "-pos", "key": key2, "permissions": "read"}))
	for _, p := range []any{[]any{idA}, map[string]any{"id": idA}} {
		res, rerr, raw := call(t, m("listAccessKeys"), p)
		if rerr != nil {
			t.Fatalf("listAccessKeys %v: %v", p, rerr)
		}
		for _, k := range []string{key1, key2} {
			if bytes.Contains(raw, []byte(k)) || bytes.Contains(res, []byte(k)) {
				t.Errorf("listAccessKeys %v holds the key %q: %s", p, k, raw)
			}
		}
		var keys []accessKey
		if err := json.Unmarshal(res, &keys); err != nil {
			t.Fatalf("listAccessKeys result %s: %v", res, err)
		}
		got := map[string]string{}
		for _, k := range keys {
			got[k.Hash] = k.Permissions
			if k.CreatedAt == 0 {
				t.Errorf("key %s has no created_at", k.Hash)
			}
		}
		want := map[string]string{sha256hex(key1): "readwrite", sha256hex(key2): "read"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("listAccessKeys %v: %v, want %v", p, got, want)
		}
	}
	// Another database's list is empty.
	if res := mustOK(t, call, m("listAccessKeys"), []any{idB}); string(res) != "[]" {
		t.Errorf("listAccessKeys of a database without keys: %s, want []", res)
	}

	// deleteAccessKey, positional and named.
	wantTrue(t, "deleteAccessKey positional", mustOK(t, call, m("deleteAccessKey"), []any{idA, sha256hex(key1)}))
	wantTrue(t, "deleteAccessKey named", mustOK(t, call, m("deleteAccessKey"), map[string]any{"id": idA, "hash": sha256hex(key2)}))
	if res := mustOK(t, call, m("listAccessKeys"), []any{idA}); string(res) != "[]" {
		t.Errorf("listAccessKeys after deleting both keys: %s", res)
	}
	mustFail(t, call, m("deleteAccessKey"), []any{idA, sha256hex(key1)}, rpc.CodeNotFound)

	// setDatabasePublic: true, "read", false, positional and named.
	for _, c := range []struct {
		params any
		want   any
	}{
		{[]any{idA, true}, true},
		{map[string]any{"id": idA, "public": "read"}, "read"},
		{[]any{tag + "-pos", false}, false},
		{map[string]any{"id": idA, "public": true}, true},
		{[]any{idA, "read"}, "read"},
		{map[string]any{"id": idA, "public": false}, false},
	} {
		wantTrue(t, fmt.Sprint("setDatabasePublic ", c.params), mustOK(t, call, m("setDatabasePublic"), c.params))
		if d := asInfo(t, mustOK(t, call, m("getDatabaseInfo"), []any{idA})); d.Public != c.want {
			t.Errorf("after setDatabasePublic %v: public %v, want %v", c.params, d.Public, c.want)
		}
	}

	// getServerInfo: [], {}, no params.
	for _, p := range []any{[]any{}, map[string]any{}, nil} {
		res := mustOK(t, call, m("getServerInfo"), p)
		var info map[string]any
		if err := json.Unmarshal(res, &info); err != nil {
			t.Fatalf("getServerInfo: %s: %v", res, err)
		}
		for _, f := range []string{"version", "uptime_seconds", "databases", "connections"} {
			if _, ok := info[f]; !ok {
				t.Errorf("getServerInfo %v lacks %q: %s", p, f, res)
			}
		}
		if n, _ := info["databases"].(float64); n < 3 {
			t.Errorf("getServerInfo databases = %v, want at least 3", info["databases"])
		}
	}

	// deleteDatabase, positional and named; then the databases are gone.
	wantTrue(t, "deleteDatabase positional", mustOK(t, call, m("deleteDatabase"), []any{idA}))
	wantTrue(t, "deleteDatabase named", mustOK(t, call, m("deleteDatabase"), map[string]any{"id": tag + "-named"}))
	dbs := asInfos(t, mustOK(t, call, m("listDatabases"), []any{}))
	if _, ok := dbs[idA]; ok {
		t.Errorf("listDatabases still lists deleted database %d", idA)
	}
	if _, ok := dbs[idB]; ok {
		t.Errorf("listDatabases still lists deleted database %d", idB)
	}
	if _, ok := dbs[idC]; !ok {
		t.Errorf("listDatabases lost database %d", idC)
	}
	mustFail(t, call, m("getDatabaseInfo"), []any{idA}, rpc.CodeNotFound)
	mustFail(t, call, m("getDatabaseInfo"), map[string]any{"id": tag + "-named"}, rpc.CodeNotFound)
	mustFail(t, call, m("deleteDatabase"), []any{idA}, rpc.CodeNotFound)
	wantTrue(t, "deleteDatabase C", mustOK(t, call, m("deleteDatabase"), []any{idC}))
}

// checkDiscover checks rpc.discover: an OpenRPC document naming every method.
func checkDiscover(t *testing.T, call callFn) {
	for _, p := range []any{nil, []any{}, map[string]any{}} {
		res := mustOK(t, call, "rpc.discover", p)
		var doc struct {
			OpenRPC string `json:"openrpc"`
			Methods []struct {
				Name    string   `json:"name"`
				Aliases []string `json:"x-aliases"`
				Params  []struct {
					Name string `json:"name"`
				} `json:"params"`
			} `json:"methods"`
		}
		if err := json.Unmarshal(res, &doc); err != nil {
			t.Fatalf("rpc.discover: %v: %s", err, res)
		}
		if !strings.HasPrefix(doc.OpenRPC, "1.") {
			t.Errorf("rpc.discover openrpc = %q", doc.OpenRPC)
		}
		got := map[string][]string{}
		for _, m := range doc.Methods {
			var ps []string
			for _, p := range m.Params {
				ps = append(ps, p.Name)
			}
			got[m.Name] = ps
			if len(m.Aliases) != 1 || m.Aliases[0] != "hero_"+strings.TrimPrefix(m.Name, "herodb_") {
				t.Errorf("rpc.discover %s aliases %v", m.Name, m.Aliases)
			}
		}
		want := map[string][]string{
			"herodb_createDatabase":    {"backend", "config", "encryption_key"},
			"herodb_listDatabases":     {"cursor", "limit"},
			"herodb_getDatabaseInfo":   {"id"},
			"herodb_deleteDatabase":    {"id"},
			"herodb_addAccessKey":      {"id", "key", "permissions"},
			"herodb_listAccessKeys":    {"id"},
			"herodb_deleteAccessKey":   {"id", "hash"},
			"herodb_setDatabasePublic": {"id", "public"},
			"herodb_getServerInfo":     nil,
		}
		for name, ps := range want {
			gp, ok := got[name]
			if !ok {
				t.Errorf("rpc.discover lacks %s", name)
				continue
			}
			if fmt.Sprint(gp) != fmt.Sprint(ps) {
				t.Errorf("rpc.discover %s params %v, want %v", name, gp, ps)
			}
		}
	}
}

// newRPCEnvWith is newRPCEnv with a service configured by cfg (Admin and Info are set).
func newRPCEnvWith(t *testing.T, cfg rpc.Config) *rpcEnv {
	t.Helper()
	return serveRPC(t, startServer(t), cfg)
}

// sockDir is a short directory for sockets: a Unix socket path must stay under ~104
// bytes, which t.TempDir() under a long test name can exceed.
func sockDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hdbsock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func newSocketEnv(t *testing.T) (*rpc.Service, string, *rpc.SocketServer) {
	t.Helper()
	srv := startServer(t)
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info})
	path := filepath.Join(sockDir(t), "rpc.sock")
	ss, err := svc.ListenSocket(path)
	if err != nil {
		t.Fatalf("ListenSocket: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	return svc, path, ss
}

// socketCall returns a callFn over one jsonrpc2 connection to path.
func socketCall(t *testing.T, path string) callFn {
	t.Helper()
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	conn := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewPlainObjectStream(nc),
		jsonrpc2.HandlerWithError(func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
	t.Cleanup(func() { conn.Close() })
	return func(t *testing.T, method string, params any) (json.RawMessage, *jsonrpc2.Error, []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var res json.RawMessage
		err := conn.Call(ctx, method, params, &res) // nil params: the member is left out
		var je *jsonrpc2.Error
		if errors.As(err, &je) {
			if strings.Contains(je.Message, herodbtest.AdminSecret) {
				t.Errorf("%s: error holds the admin secret: %q", method, je.Message)
			}
			return nil, je, []byte(je.Message)
		}
		if err != nil {
			t.Fatalf("%s over the socket: %v", method, err)
		}
		if strings.Contains(string(res), herodbtest.AdminSecret) {
			t.Errorf("%s: result holds the admin secret", method)
		}
		return res, nil, res
	}
}

var tkFormat = regexp.MustCompile(`^hdbt_([0-9a-f]{16})_([0-9A-Za-z]{43})$`)

type tkOpts struct {
	dir   string
	clock storage.Clock
	log   *slog.Logger
}

// tkEnv is newRPCEnv with a data directory, a clock and a logger of the test's choice.
// The server has answered a PING before it returns, so closing it early is safe.
func tkEnv(t *testing.T, o tkOpts) *rpcEnv {
	t.Helper()
	srv := startServerWith(t, herodbtest.Options{Dir: o.dir, Clock: o.clock, Configure: func(c *server.Config) {
		if o.log != nil {
			c.Logger = o.log
		}
	}})
	e := serveRPC(t, srv, rpc.Config{Logger: o.log})
	e.checkBodiesAtCleanup()
	return e
}

// tkCall is one request with bearer as the credential; params as in rpcEnv.call. It
// checks the id echo and that the HTTP status goes with the error code.
func tkCall(e *rpcEnv, bearer, method string, params any) (int, json.RawMessage, *jsonrpc2.Error, []byte) {
	e.t.Helper()
	id, body := e.request(method, params)
	st, _, raw := e.do(http.MethodPost, "/", bearer, bytes.NewReader(body))
	r := decodeResp(e.t, raw)
	rerr := r.err(e.t)
	want := http.StatusOK
	if rerr != nil {
		want = wantStatus(rerr.Code)
	} else if string(r.ID) != fmt.Sprint(id) {
		e.t.Errorf("%s: id %s, want %d", method, r.ID, id)
	}
	if st != want {
		e.t.Errorf("%s %s: HTTP %d, want %d: %s", method, body, st, want, raw)
	}
	return st, r.Result, rerr, raw
}

// tkOK calls and fails the test on an error.
func tkOK(e *rpcEnv, bearer, method string, params any) json.RawMessage {
	e.t.Helper()
	_, res, rerr, raw := tkCall(e, bearer, method, params)
	if rerr != nil {
		e.t.Fatalf("%s %v: error %d %q (%s)", method, params, rerr.Code, rerr.Message, raw)
	}
	return res
}

// tkNew is createToken's and rotateToken's reply.
type tkNew struct {
	ID        string            `json:"id"`
	Token     string            `json:"token"`
	Name      string            `json:"name"`
	Scopes    []json.RawMessage `json:"scopes"`
	CreatedAt int64             `json:"created_at"`
	ExpiresAt *int64            `json:"expires_at"`
}

// secret is the secret part of the token.
func (n tkNew) secret() string {
	if m := tkFormat.FindStringSubmatch(n.Token); m != nil {
		return m[2]
	}
	return n.Token
}

// tkAsNew decodes a createToken/rotateToken reply and checks its exact fields and the
// token's format.
func tkAsNew(t *testing.T, res json.RawMessage) tkNew {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(res, &fields); err != nil {
		t.Fatalf("new token %s: %v", res, err)
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "created_at,expires_at,id,name,scopes,token" {
		t.Errorf("new token fields %s, want id, token, name, scopes, created_at, expires_at: %s", got, res)
	}
	var n tkNew
	if err := json.Unmarshal(res, &n); err != nil {
		t.Fatal(err)
	}
	if m := tkFormat.FindStringSubmatch(n.Token); m == nil || m[1] != n.ID {
		t.Errorf("token %q is not hdbt_<id %s>_<43 base62 characters>", n.Token, n.ID)
	}
	return n
}

func tkCreate(e *rpcEnv, bearer, name, scopes string, expiresIn any) tkNew {
	e.t.Helper()
	return tkAsNew(e.t, tkOK(e, bearer, "herodb_createToken", []any{name, json.RawMessage(scopes), expiresIn}))
}

// Token scopes the tests grant.
const (
	tkAppRead  = `[{"type":"database","name":"app","permissions":["read"]}]`
	tkAdminSc  = `[{"type":"admin"}]`
	tkTokRead  = `[{"type":"token","name":"*","permissions":["read"]}]`
	tkDevScope = `[{"type":"database","name":"app","permissions":["read","write"]},{"type":"token","name":"*","permissions":["read","write"]}]`
)
