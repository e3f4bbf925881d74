package rpc_test

// End-to-end tests of the JSON-RPC API over real HTTP on loopback: a herodbtest server,
// the RPC service in front of it through httptest.NewServer, and raw request bodies, so
// the bytes on the wire are what is checked. The same method scenario runs over the Unix
// socket in socket_test.go.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
)

type dbInfo struct {
	ID         uint64 `json:"id"`
	Name       string `json:"name"`
	Backend    string `json:"backend"`
	Encrypted  bool   `json:"encrypted"`
	Public     any    `json:"public"`
	SizeOnDisk int64  `json:"size_on_disk"`
	KeyCount   int64  `json:"key_count"`
	CreatedAt  int64  `json:"created_at"`
	LastAccess int64  `json:"last_access"`
	MaxSize    int64  `json:"max_size"`
}

func asInfo(t *testing.T, res json.RawMessage) dbInfo {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(res, &fields); err != nil {
		t.Fatalf("getDatabaseInfo result %s: %v", res, err)
	}
	for _, f := range []string{"id", "backend", "encrypted", "public", "size_on_disk", "key_count", "created_at", "last_access", "max_size"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("database info lacks %q: %s", f, res)
		}
	}
	for f := range fields {
		if strings.Contains(f, "key") && f != "key_count" || strings.Contains(f, "secret") {
			t.Errorf("database info has a field %q that looks like a key: %s", f, res)
		}
	}
	var d dbInfo
	if err := json.Unmarshal(res, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func asInfos(t *testing.T, res json.RawMessage) map[uint64]dbInfo {
	t.Helper()
	var list []json.RawMessage
	if err := json.Unmarshal(res, &list); err != nil {
		t.Fatalf("listDatabases result %s is not an array: %v", res, err)
	}
	out := map[uint64]dbInfo{}
	for _, r := range list {
		d := asInfo(t, r)
		out[d.ID] = d
	}
	return out
}

type accessKey struct {
	Hash        string `json:"hash"`
	Permissions string `json:"permissions"`
	CreatedAt   int64  `json:"created_at"`
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestEveryMethodHTTP(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	for _, prefix := range []string{"herodb_", "hero_"} {
		t.Run(prefix, func(t *testing.T) {
			exerciseAllMethods(t, e.callFn(), prefix, strings.TrimSuffix(prefix, "_"))
		})
	}
	t.Run("rpc.discover", func(t *testing.T) { checkDiscover(t, e.callFn()) })
	// hero_/herodb_ do not make rpc.discover: it lives in the rpc namespace.
	mustFail(t, e.callFn(), "herodb_rpc.discover", nil, rpc.CodeMethodNotFound)
}

// TestHeroDBDocExamples sends the requests of HeroDB's docs/rpc_examples.md byte for byte
// (only the Authorization header is added) to a fresh server.
func TestHeroDBDocExamples(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	e.neverShow("my-per-db-encryption-key")
	type step struct {
		body   string
		result string // exact JSON result, or "" when an error is expected
		code   int64
		msgHas string
	}
	steps := []step{
		{`{"jsonrpc":"2.0","id":1,"method":"hero_createDatabase","params":["Redb",{"name":null,"storage_path":null,"max_size":null,"redis_version":null},null]}`, `1`, 0, ""},
		{`{"jsonrpc":"2.0","id":2,"method":"hero_createDatabase","params":["Sled",{"name":"secure-db","storage_path":null,"max_size":null,"redis_version":null},"my-per-db-encryption-key"]}`, `2`, 0, ""},
		{`{"jsonrpc":"2.0","id":3,"method":"hero_listDatabases","params":[]}`, "", 0, ""},
		{`{"jsonrpc":"2.0","id":4,"method":"hero_getDatabaseInfo","params":[1]}`, "", 0, ""},
		{`{"jsonrpc":"2.0","id":5,"method":"hero_deleteDatabase","params":[1]}`, `true`, 0, ""},
		{`{"jsonrpc":"2.0","id":6,"method":"hero_addAccessKey","params":[2,"my-access-key","readwrite"]}`, "", rpc.CodeInvalidParams, "16"},
		{`{"jsonrpc":"2.0","id":7,"method":"hero_listAccessKeys","params":[2]}`, `[]`, 0, ""},
		{`{"jsonrpc":"2.0","id":8,"method":"hero_deleteAccessKey","params":[2,"0123abcd...keyhash..."]}`, "", rpc.CodeNotFound, ""},
		{`{"jsonrpc":"2.0","id":9,"method":"hero_setDatabasePublic","params":[2,true]}`, `true`, 0, ""},
		{`{"jsonrpc":"2.0","method":"herodb_listDatabases","id":1}`, "", 0, ""},
	}
	for i, s := range steps {
		st, raw := e.post(s.body)
		if st != http.StatusOK {
			t.Errorf("step %d: HTTP %d: %s", i+1, st, raw)
		}
		r := decodeResp(t, raw)
		var req struct {
			ID json.RawMessage `json:"id"`
		}
		json.Unmarshal([]byte(s.body), &req)
		if string(r.ID) != string(req.ID) {
			t.Errorf("step %d: id %s, want %s", i+1, r.ID, req.ID)
		}
		rerr := r.err(t)
		switch {
		case s.code != 0:
			if rerr == nil || rerr.Code != s.code || !strings.Contains(rerr.Message, s.msgHas) {
				t.Errorf("step %d %s: %s, want error %d mentioning %q", i+1, s.body, raw, s.code, s.msgHas)
			}
		case rerr != nil:
			t.Errorf("step %d %s: error %s", i+1, s.body, raw)
		case s.result != "" && string(r.Result) != s.result:
			t.Errorf("step %d %s: result %s, want %s", i+1, s.body, r.Result, s.result)
		}
		if i == 5 && rerr != nil && strings.Contains(rerr.Message, "my-access-key") {
			t.Errorf("the refusal echoes the key: %q", rerr.Message)
		}
	}
	// After the sequence: 1 deleted, 2 public, named, encrypted.
	dbs := asInfos(t, mustOK(t, e.callFn(), "hero_listDatabases", []any{}))
	if len(dbs) != 1 || dbs[2].Name != "secure-db" || dbs[2].Public != true || !dbs[2].Encrypted || dbs[2].Backend == "" {
		t.Errorf("after HeroDB's examples: %+v", dbs)
	}
	mustFail(t, e.callFn(), "hero_getDatabaseInfo", []any{1}, rpc.CodeNotFound, "1")
}

func TestNamesAndIDsNeverReused(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	create := func(name string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`["bbolt",{"name":%q,"storage_path":null,"max_size":null,"redis_version":null},null]`, name))
	}
	a := asID(t, mustOK(t, call, "herodb_createDatabase", create("alpha")))
	b := asID(t, mustOK(t, call, "herodb_createDatabase", create("beta")))
	mustFail(t, call, "herodb_createDatabase", create("beta"), rpc.CodeConflict, "beta")
	wantTrue(t, "delete beta", mustOK(t, call, "herodb_deleteDatabase", []any{b}))
	// The name of a deleted database stays taken; its id is not given again.
	mustFail(t, call, "hero_createDatabase", create("beta"), rpc.CodeConflict, "beta")
	c := asID(t, mustOK(t, call, "herodb_createDatabase", create("gamma")))
	if c <= b || c == a {
		t.Errorf("new database got id %d after %d was deleted: ids must not be reused", c, b)
	}
	// A nameless database after a delete gets a fresh id too.
	wantTrue(t, "delete gamma", mustOK(t, call, "herodb_deleteDatabase", []any{"gamma"}))
	d := asID(t, mustOK(t, call, "herodb_createDatabase", create("")))
	if d <= c {
		t.Errorf("id %d reused after %d was deleted", d, c)
	}
	// The deleted database answers not found everywhere.
	for _, c := range []struct {
		method string
		params any
	}{
		{"herodb_getDatabaseInfo", []any{b}},
		{"herodb_getDatabaseInfo", []any{"beta"}},
		{"herodb_deleteDatabase", []any{b}},
		{"herodb_addAccessKey", []any{b, "a-key-of-at-least-16-bytes", "read"}},
		{"herodb_listAccessKeys", []any{b}},
		{"herodb_deleteAccessKey", []any{b, sha256hex("a-key-of-at-least-16-bytes")}},
		{"herodb_setDatabasePublic", []any{b, true}},
		{"herodb_getDatabaseInfo", []any{999999}},
	} {
		mustFail(t, call, c.method, c.params, rpc.CodeNotFound)
	}
	dbs := asInfos(t, mustOK(t, call, "herodb_listDatabases", nil))
	var ids []uint64
	for id := range dbs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if fmt.Sprint(ids) != fmt.Sprint([]uint64{a, d}) {
		t.Errorf("listDatabases ids %v, want %v", ids, []uint64{a, d})
	}
}

// TestCreateDatabaseRefusals: each bad createDatabase is a clear error and creates
// nothing.
func TestCreateDatabaseRefusals(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "taken"}}))
	cfg := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"storage_path":null,"max_size":null,"redis_version":null}`, name)
	}
	cases := []struct {
		params string
		code   int64
		msgHas string
	}{
		{`["Redb",` + cfg("App") + `,null]`, rpc.CodeInvalidParams, "name"},
		{`["Redb",` + cfg("1db") + `,null]`, rpc.CodeInvalidParams, "name"},
		{`["Redb",` + cfg("default") + `,null]`, rpc.CodeInvalidParams, "default"},
		{`["Redb",` + cfg("has space") + `,null]`, rpc.CodeInvalidParams, "name"},
		{`["Redb",` + cfg("a"+strings.Repeat("b", 63)) + `,null]`, rpc.CodeInvalidParams, "name"},
		{`["Redb",` + cfg("naïve") + `,null]`, rpc.CodeInvalidParams, "name"},
		{`["Redb",` + cfg("taken") + `,null]`, rpc.CodeConflict, "taken"},
		{`["Redb",{"name":"sp","storage_path":"/tmp/x","max_size":null,"redis_version":null},null]`, rpc.CodeInvalidParams, "storage_path"},
		{`["Redb",{"name":"sp2","storage_path":"","max_size":null,"redis_version":null},null]`, rpc.CodeInvalidParams, "storage_path"},
		{`["Tantivy",` + cfg("tv") + `,null]`, rpc.CodeUnsupported, "not supported"},
		{`["Lance",` + cfg("ln") + `,null]`, rpc.CodeUnsupported, "not supported"},
		{`["Postgres",` + cfg("pg") + `,null]`, rpc.CodeInvalidParams, "backend"},
		{`[42,` + cfg("num") + `,null]`, rpc.CodeInvalidParams, "backend"},
		{`["Redb",null,null]`, rpc.CodeInvalidParams, "config"},
		{`["Redb"]`, rpc.CodeInvalidParams, "config"},
		{`["Redb","app",null]`, rpc.CodeInvalidParams, "config"},
		{`["Redb",{"name":"x","color":"red"},null]`, rpc.CodeInvalidParams, "color"},
		{`["Redb",{"name":"neg","max_size":-1},null]`, rpc.CodeInvalidParams, "max_size"},
		{`["Redb",{"name":"str","max_size":"1GB"},null]`, rpc.CodeInvalidParams, "max_size"},
		{`["Redb",{"name":"pub","public":"write"},null]`, rpc.CodeInvalidParams, "public"},
		{`["Redb",{"name":"enc"},5]`, rpc.CodeInvalidParams, "encryption_key"},
		{`["Redb",{"name":"four"},null,null]`, rpc.CodeInvalidParams, "at most 3"},
		{`{"backend":"Redb","config":{"name":"nm"},"encryption":"k"}`, rpc.CodeInvalidParams, "encryption"},
		{`{"config":{"name":"nb"}}`, rpc.CodeInvalidParams, "backend"},
		{`"Redb"`, rpc.CodeInvalidParams, "params"},
	}
	for _, c := range cases {
		mustFail(t, call, "herodb_createDatabase", json.RawMessage(c.params), c.code, c.msgHas)
	}
	dbs := asInfos(t, mustOK(t, call, "herodb_listDatabases", nil))
	if len(dbs) != 1 {
		t.Errorf("refused creates left databases behind: %+v", dbs)
	}
	// A refused name did not get reserved: "sp" is still free.
	asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "sp"}}))
}

// TestParamErrors: wrong counts, types and names of params, each -32602 naming the param.
func TestParamErrors(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	id := asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "app"}}))
	cases := []struct {
		method, params, msgHas string
	}{
		{"getDatabaseInfo", `[]`, `"id"`},
		{"getDatabaseInfo", `null`, `"id"`},
		{"getDatabaseInfo", `[true]`, `"id"`},
		{"getDatabaseInfo", `[null]`, `"id"`},
		{"getDatabaseInfo", `[-1]`, `"id"`},
		{"getDatabaseInfo", `[1.5]`, `"id"`},
		{"getDatabaseInfo", `[{"id":1}]`, `"id"`},
		{"getDatabaseInfo", `[1,2]`, "at most 1"},
		{"getDatabaseInfo", `{"db":1}`, `"db"`},
		{"getDatabaseInfo", `{"id":1,"extra":2}`, `"extra"`},
		{"getDatabaseInfo", `[0]`, "database 0"},
		{"getDatabaseInfo", `17`, "params"},
		{"deleteDatabase", `[]`, `"id"`},
		{"deleteDatabase", `[0]`, "database 0"},
		{"addAccessKey", fmt.Sprintf(`[%d]`, id), `"key"`},
		{"addAccessKey", fmt.Sprintf(`[%d,"a-key-of-at-least-16-bytes"]`, id), `"permissions"`},
		{"addAccessKey", fmt.Sprintf(`[%d,1234567890123456789,"read"]`, id), `"key"`},
		{"addAccessKey", fmt.Sprintf(`[%d,"a-key-of-at-least-16-bytes","admin"]`, id), `permissions`},
		{"addAccessKey", fmt.Sprintf(`[%d,"short","read"]`, id), "16"},
		{"addAccessKey", fmt.Sprintf(`[%d,"hdbt_abc_0123456789abcdef","read"]`, id), "token"},
		{"addAccessKey", fmt.Sprintf(`[%d,"eyJhbGciOiJFZERTQSJ9.eyJleHAiOjF9.c2ln","read"]`, id), "JWT"},
		{"addAccessKey", fmt.Sprintf(`{"id":%d,"secret":"a-key-of-at-least-16-bytes","permissions":"read"}`, id), `"secret"`},
		{"addAccessKey", fmt.Sprintf(`[%d,"a-key-of-at-least-16-bytes","read",1]`, id), "at most 3"},
		{"listAccessKeys", `[]`, `"id"`},
		{"deleteAccessKey", fmt.Sprintf(`[%d]`, id), `"hash"`},
		{"deleteAccessKey", fmt.Sprintf(`[%d,5]`, id), `"hash"`},
		{"setDatabasePublic", fmt.Sprintf(`[%d]`, id), `"public"`},
		{"setDatabasePublic", fmt.Sprintf(`[%d,null]`, id), `"public"`},
		{"setDatabasePublic", fmt.Sprintf(`[%d,"yes"]`, id), `"public"`},
		{"setDatabasePublic", fmt.Sprintf(`[%d,1]`, id), `"public"`},
		{"setDatabasePublic", fmt.Sprintf(`{"id":%d,"open":true}`, id), `"open"`},
		{"listDatabases", `[null,10,1]`, "at most 2"},
		{"listDatabases", `{"all":true}`, `"all"`},
		{"getServerInfo", `[1]`, "at most 0"},
	}
	for _, c := range cases {
		for _, prefix := range []string{"herodb_", "hero_"} {
			rerr := mustFail(t, call, prefix+c.method, json.RawMessage(c.params), rpc.CodeInvalidParams, c.msgHas)
			if strings.Contains(rerr.Message, "a-key-of-at-least-16-bytes") || strings.Contains(rerr.Message, "hdbt_abc") || strings.Contains(rerr.Message, "eyJhbGci") {
				t.Errorf("%s %s: the message echoes the key: %q", c.method, c.params, rerr.Message)
			}
		}
	}
	// Nothing changed: no key was added, the database is as it was.
	if res := mustOK(t, call, "herodb_listAccessKeys", []any{id}); string(res) != "[]" {
		t.Errorf("refused addAccessKey calls left keys: %s", res)
	}
	if d := asInfo(t, mustOK(t, call, "herodb_getDatabaseInfo", []any{id})); d.Public != false {
		t.Errorf("refused setDatabasePublic calls changed public to %v", d.Public)
	}
	// Unknown method, under both prefixes and none.
	for _, m := range []string{"herodb_noSuchMethod", "hero_createdatabase", "createDatabase", "db_listInstances", ""} {
		mustFail(t, call, m, json.RawMessage(`[]`), rpc.CodeMethodNotFound)
	}
}

func TestHTTPBadInput(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	admin := herodbtest.AdminSecret

	t.Run("malformed JSON", func(t *testing.T) {
		for _, body := range []string{`{"jsonrpc":"2.0","id":1,"method":`, `not json`, `{"jsonrpc":"2.0","id":1,"method":"herodb_listDatabases"}}`, `[{"jsonrpc":"2.0","id":1,"method":"herodb_listDatabases"}`} {
			st, raw := e.post(body)
			if st != http.StatusOK {
				t.Errorf("%s: HTTP %d, want 200", body, st)
			}
			r := decodeResp(t, raw)
			if string(r.ID) != "null" {
				t.Errorf("%s: id %s, want null: %s", body, r.ID, raw)
			}
			if rerr := r.err(t); rerr == nil || rerr.Code != rpc.CodeParse {
				t.Errorf("%s: %s, want -32700", body, raw)
			}
			if !bytes.Contains(raw, []byte(`"id":null`)) {
				t.Errorf("%s: the reply does not carry \"id\":null: %s", body, raw)
			}
		}
	})

	t.Run("batch", func(t *testing.T) {
		st, raw := e.post(`[{"jsonrpc":"2.0","id":"a","method":"herodb_getServerInfo"},{"jsonrpc":"2.0","id":7,"method":"hero_getDatabaseInfo","params":[12345]}]`)
		if st != http.StatusOK {
			t.Errorf("batch: HTTP %d", st)
		}
		var out []wireResp
		if err := json.Unmarshal(raw, &out); err != nil || len(out) != 2 {
			t.Fatalf("batch of two: %s (%v)", raw, err)
		}
		byID := map[string]wireResp{}
		for _, r := range out {
			byID[string(r.ID)] = r
		}
		if r, ok := byID[`"a"`]; !ok || r.Error != nil || r.Result == nil {
			t.Errorf("batch reply for id \"a\": %s", raw)
		}
		if r, ok := byID[`7`]; !ok || r.err(t) == nil || r.err(t).Code != rpc.CodeNotFound {
			t.Errorf("batch reply for id 7: %s", raw)
		}
		// A notification inside a batch gets no reply.
		st, raw = e.post(`[{"jsonrpc":"2.0","method":"herodb_getServerInfo"},{"jsonrpc":"2.0","id":3,"method":"herodb_listDatabases"}]`)
		if err := json.Unmarshal(raw, &out); err != nil || len(out) != 1 || string(out[0].ID) != "3" || st != http.StatusOK {
			t.Errorf("batch with a notification: HTTP %d %s", st, raw)
		}
		// A batch of invalid entries answers each.
		_, raw = e.post(`[1,{"jsonrpc":"2.0","id":4}]`)
		if err := json.Unmarshal(raw, &out); err != nil || len(out) != 2 {
			t.Fatalf("batch of invalid entries: %s", raw)
		}
		for _, r := range out {
			if rerr := r.err(t); rerr == nil || rerr.Code != rpc.CodeInvalidRequest {
				t.Errorf("batch of invalid entries: %s", raw)
			}
		}
	})

	t.Run("empty batch", func(t *testing.T) {
		st, raw := e.post(`[]`)
		r := decodeResp(t, raw)
		if rerr := r.err(t); st != http.StatusOK || rerr == nil || rerr.Code != rpc.CodeInvalidRequest || string(r.ID) != "null" {
			t.Errorf("empty batch: HTTP %d %s, want -32600", st, raw)
		}
	})

	t.Run("not a request", func(t *testing.T) {
		for _, body := range []string{`{"jsonrpc":"2.0","id":1}`, `42`, `"hello"`, `{"jsonrpc":"2.0","id":1,"method":5}`} {
			st, raw := e.post(body)
			if r := decodeResp(t, raw); st != http.StatusOK || r.err(t) == nil || r.err(t).Code != rpc.CodeInvalidRequest {
				t.Errorf("%s: HTTP %d %s, want -32600", body, st, raw)
			}
		}
	})

	t.Run("unknown method", func(t *testing.T) {
		st, raw := e.post(`{"jsonrpc":"2.0","id":1,"method":"herodb_frobnicate","params":[]}`)
		if r := decodeResp(t, raw); st != http.StatusOK || r.err(t) == nil || r.err(t).Code != rpc.CodeMethodNotFound {
			t.Errorf("unknown method: HTTP %d %s", st, raw)
		}
	})

	t.Run("oversized body", func(t *testing.T) {
		big := `{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabase","params":["Redb",{"name":"big"},"` + strings.Repeat("k", rpc.MaxBody) + `"]}`
		// With a Content-Length.
		st, _, raw := e.do(http.MethodPost, "/", admin, strings.NewReader(big))
		if st != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized body: HTTP %d, want 413: %.200s", st, raw)
		}
		if r := decodeResp(t, raw); r.err(t) == nil || r.err(t).Code != rpc.CodeTooLarge {
			t.Errorf("oversized body: %.200s, want a JSON-RPC error", raw)
		}
		// Chunked, without a Content-Length.
		st, _, raw = e.do(http.MethodPost, "/", admin, io.MultiReader(strings.NewReader(big)))
		if st != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized chunked body: HTTP %d, want 413: %.200s", st, raw)
		}
		// Without credentials it is 413 too: the limit comes first.
		st, _, _ = e.do(http.MethodPost, "/", "", strings.NewReader(big))
		if st != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized body without credential: HTTP %d, want 413", st)
		}
		// Nothing was created.
		if _, ok := e.srv.Admin().Database("big"); ok {
			t.Errorf("an oversized request created a database")
		}
		// Just under the limit is read.
		fit := `{"jsonrpc":"2.0","id":1,"method":"herodb_getServerInfo","params":[]}`
		fit += strings.Repeat(" ", rpc.MaxBody-len(fit))
		if st, raw := e.post(fit); st != http.StatusOK || decodeResp(t, raw).Error != nil {
			t.Errorf("a body of exactly 1 MiB: HTTP %d %.200s", st, raw)
		}
	})

	t.Run("credentials", func(t *testing.T) {
		body := `{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabase","params":["Redb",{"name":"nocred"},null]}`
		wrong := "wrong-admin-secret-Zq8xv3"
		for _, c := range []struct {
			name   string
			header string
		}{
			{"missing", ""},
			{"wrong bearer", "Bearer " + wrong},
			{"basic scheme", "Basic " + admin},
			{"bare secret", admin},
			{"empty bearer", "Bearer "},
			{"secret with suffix", "Bearer " + admin + "x"},
		} {
			req, _ := http.NewRequest(http.MethodPost, e.hs.URL, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := e.hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			e.mu.Lock()
			e.bodies = append(e.bodies, string(raw))
			e.mu.Unlock()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: HTTP %d, want 401: %s", c.name, resp.StatusCode, raw)
			}
			if r := decodeResp(t, raw); r.err(t) == nil || r.err(t).Code != rpc.CodeUnauthorized {
				t.Errorf("%s: %s, want a JSON-RPC error -32001", c.name, raw)
			}
			if bytes.Contains(raw, []byte(wrong)) || bytes.Contains(raw, []byte("Zq8xv3")) {
				t.Errorf("%s: the reply echoes the presented secret: %s", c.name, raw)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s: Content-Type %q", c.name, ct)
			}
		}
		if _, ok := e.srv.Admin().Database("nocred"); ok {
			t.Errorf("an unauthenticated request created a database")
		}
		// "bearer" in lower case is fine (RFC 7235: the scheme is case-insensitive).
		st, _, raw := e.do(http.MethodPost, "/", "", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"herodb_getServerInfo"}`))
		if st != http.StatusUnauthorized {
			t.Errorf("no header: HTTP %d %s", st, raw)
		}
		req, _ := http.NewRequest(http.MethodPost, e.hs.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"herodb_getServerInfo"}`))
		req.Header.Set("Authorization", "bearer "+admin)
		resp, err := e.hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		e.mu.Lock()
		e.bodies = append(e.bodies, string(raw))
		e.mu.Unlock()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("lower-case bearer: HTTP %d %s", resp.StatusCode, raw)
		}
	})

	t.Run("GET", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			st, h, raw := e.do(m, "/", admin, nil)
			if st != http.StatusMethodNotAllowed {
				t.Errorf("%s: HTTP %d, want 405", m, st)
			}
			if h.Get("Allow") != http.MethodPost {
				t.Errorf("%s: Allow %q, want POST", m, h.Get("Allow"))
			}
			if r := decodeResp(t, raw); r.Error == nil {
				t.Errorf("%s: %s, want a JSON-RPC error object", m, raw)
			}
		}
	})

	t.Run("notification", func(t *testing.T) {
		st, _, raw := e.do(http.MethodPost, "/", admin, strings.NewReader(`{"jsonrpc":"2.0","method":"herodb_getServerInfo","params":[]}`))
		if st != http.StatusNoContent || len(raw) != 0 {
			t.Errorf("notification: HTTP %d %q, want 204 and no body", st, raw)
		}
		// A batch of only notifications: no body either.
		st, _, raw = e.do(http.MethodPost, "/", admin, strings.NewReader(`[{"jsonrpc":"2.0","method":"herodb_getServerInfo"}]`))
		if st != http.StatusNoContent || len(raw) != 0 {
			t.Errorf("batch of notifications: HTTP %d %q, want 204", st, raw)
		}
	})

	t.Run("any path", func(t *testing.T) {
		st, _, raw := e.do(http.MethodPost, "/rpc/v1", admin, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"hero_listDatabases","params":[]}`))
		if r := decodeResp(t, raw); st != http.StatusOK || r.Error != nil {
			t.Errorf("POST /rpc/v1: HTTP %d %s", st, raw)
		}
	})

	t.Run("content type", func(t *testing.T) {
		_, h, _ := e.do(http.MethodPost, "/", admin, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"hero_listDatabases","params":[]}`))
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
	})
}

// TestAccessKeyBearer: an access key is a valid credential for getServerInfo but not
// for admin methods (403), and stops working when deleted (401).
func TestAccessKeyBearer(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	id := asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "app"}}))
	key := "app-access-key-0123456789abcdef"
	e.neverShow(key)
	wantTrue(t, "addAccessKey", mustOK(t, call, "herodb_addAccessKey", []any{id, key, "readwrite"}))

	post := func(body string) (int, wireResp, []byte) {
		st, _, raw := e.do(http.MethodPost, "/", key, strings.NewReader(body))
		return st, decodeResp(t, raw), raw
	}
	for _, m := range []string{"herodb_getServerInfo", "hero_getServerInfo", "rpc.discover"} {
		st, r, raw := post(`{"jsonrpc":"2.0","id":1,"method":"` + m + `","params":[]}`)
		if st != http.StatusOK || r.Error != nil {
			t.Errorf("%s with an access key: HTTP %d %s", m, st, raw)
		}
	}
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabase","params":["Redb",{"name":"bykey"},null]}`,
		`{"jsonrpc":"2.0","id":1,"method":"hero_listDatabases","params":[]}`,
		fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"herodb_getDatabaseInfo","params":[%d]}`, id),
		fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"herodb_listAccessKeys","params":[%d]}`, id),
		fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"herodb_deleteDatabase","params":[%d]}`, id),
		fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"herodb_addAccessKey","params":[%d,"another-key-0123456789","readwrite"]}`, id),
	} {
		st, r, raw := post(body)
		if st != http.StatusForbidden {
			t.Errorf("%s with an access key: HTTP %d, want 403: %s", body, st, raw)
		}
		if rerr := r.err(t); rerr == nil || rerr.Code != rpc.CodeForbidden {
			t.Errorf("%s with an access key: %s, want -32003", body, raw)
		}
	}
	// In a batch the refusal is per entry, HTTP 200.
	st, _, raw := e.do(http.MethodPost, "/", key, strings.NewReader(`[{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabase","params":["Redb",{"name":"bykey"},null]},{"jsonrpc":"2.0","id":2,"method":"herodb_getServerInfo"}]`))
	var out []wireResp
	if err := json.Unmarshal(raw, &out); err != nil || len(out) != 2 || st != http.StatusOK {
		t.Fatalf("batch with an access key: HTTP %d %s", st, raw)
	}
	for _, r := range out {
		if string(r.ID) == "1" && (r.err(t) == nil || r.err(t).Code != rpc.CodeForbidden) {
			t.Errorf("createDatabase in a batch with an access key: %s", raw)
		}
		if string(r.ID) == "2" && r.Error != nil {
			t.Errorf("getServerInfo in a batch with an access key: %s", raw)
		}
	}
	if _, ok := e.srv.Admin().Database("bykey"); ok {
		t.Errorf("an access key created a database")
	}
	// Deleting the key revokes it at once.
	wantTrue(t, "deleteAccessKey", mustOK(t, call, "herodb_deleteAccessKey", []any{id, sha256hex(key)}))
	if st, r, raw := post(`{"jsonrpc":"2.0","id":1,"method":"herodb_getServerInfo"}`); st != http.StatusUnauthorized || r.err(t) == nil || r.err(t).Code != rpc.CodeUnauthorized {
		t.Errorf("deleted access key: HTTP %d %s, want 401", st, raw)
	}
}

// TestMaxSizeEnforced: writes over RESP fail once the file reaches max_size; deletes
// still work.
func TestMaxSizeEnforced(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	const maxSize = 64 << 10
	id := asID(t, mustOK(t, e.callFn(), "herodb_createDatabase", json.RawMessage(fmt.Sprintf(
		`["Redb",{"name":"small","storage_path":null,"max_size":%d,"redis_version":null,"public":true},null]`, maxSize))))
	if d := asInfo(t, mustOK(t, e.callFn(), "herodb_getDatabaseInfo", []any{id})); d.MaxSize != maxSize || d.Public != true {
		t.Fatalf("info: %+v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), DB: int(id), PoolSize: 1, MaxRetries: -1})
	defer rdb.Close()
	val := strings.Repeat("v", 4096)
	var full error
	n := 0
	for ; n < 2000; n++ {
		if err := rdb.Set(ctx, fmt.Sprintf("k%d", n), val, 0).Err(); err != nil {
			full = err
			break
		}
	}
	if full == nil {
		t.Fatalf("wrote %d × 4 KiB into a database with max_size %d without an error", n, maxSize)
	}
	if !strings.Contains(full.Error(), "max_size") {
		t.Errorf("write over max_size: %q, want a message mentioning max_size", full)
	}
	if n == 0 {
		t.Fatalf("the first write already failed: %v", full)
	}
	t.Logf("max_size %d: %d writes of 4 KiB before %q", maxSize, n, full)
	// Deletes are always allowed.
	if got, err := rdb.Del(ctx, "k0").Result(); err != nil || got != 1 {
		t.Errorf("DEL on a full database: %d, %v", got, err)
	}
	if got, err := rdb.Exists(ctx, "k0", "k1").Result(); err != nil || got != 1 {
		t.Errorf("EXISTS after DEL: %d, %v", got, err)
	}
	d := asInfo(t, mustOK(t, e.callFn(), "herodb_getDatabaseInfo", []any{id}))
	if d.SizeOnDisk > maxSize {
		t.Errorf("size_on_disk %d over max_size %d", d.SizeOnDisk, maxSize)
	}
	if d.KeyCount != int64(n-1) {
		t.Errorf("key_count %d, want %d", d.KeyCount, n-1)
	}
}

// TestSetDatabasePublicOverRESP: the public flag set over the RPC is what RESP clients
// get.
func TestSetDatabasePublicOverRESP(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	id := asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "priv"}}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := func() *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), DB: int(id), PoolSize: 1, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return c
	}
	if err := client().Set(ctx, "k", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("SET on a new private database without a key: %v, want NOAUTH", err)
	}
	// SELECT by name answers the same.
	raw := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), PoolSize: 1, MaxRetries: -1})
	defer raw.Close()
	if err := raw.Do(ctx, "SELECT", "priv").Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("SELECT priv without a key: %v, want NOAUTH", err)
	}

	wantTrue(t, "public true", mustOK(t, call, "hero_setDatabasePublic", []any{id, true}))
	rw := client()
	if err := rw.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("SET on a public database: %v", err)
	}
	if v, err := rw.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("GET on a public database: %q %v", v, err)
	}

	wantTrue(t, "public read", mustOK(t, call, "herodb_setDatabasePublic", map[string]any{"id": "priv", "public": "read"}))
	ro := client()
	if v, err := ro.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("GET on a public-read database: %q %v", v, err)
	}
	if err := ro.Set(ctx, "k", "w", 0).Err(); err == nil {
		t.Errorf("SET on a public-read database succeeded")
	}
	// The connection opened while it was read-write loses write access at once.
	if err := rw.Set(ctx, "k", "w", 0).Err(); err == nil {
		t.Errorf("SET on an open connection after the database became read-only succeeded")
	}

	wantTrue(t, "public false", mustOK(t, call, "herodb_setDatabasePublic", []any{id, false}))
	if err := client().Get(ctx, "k").Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("GET on a database made private: %v, want NOAUTH", err)
	}
	if err := ro.Get(ctx, "k").Err(); err == nil || err == redis.Nil {
		t.Errorf("GET on an open connection after the database became private: %v, want an error", err)
	}
	if d := asInfo(t, mustOK(t, call, "herodb_getDatabaseInfo", []any{id})); d.Public != false || d.KeyCount != 1 {
		t.Errorf("info after the round trip: %+v", d)
	}
}

// TestDeleteDatabaseCutsConnections: a connection on a deleted database gets an error at
// its next command, and the database's data is gone for good.
func TestDeleteDatabaseCutsConnections(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	id := asID(t, mustOK(t, call, "hero_createDatabase", []any{"Redb", map[string]any{"name": "doomed", "public": true}, nil}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), DB: int(id), PoolSize: 1, MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	wantTrue(t, "deleteDatabase", mustOK(t, call, "hero_deleteDatabase", []any{"doomed"}))
	if v, err := rdb.Get(ctx, "k").Result(); err == nil {
		t.Errorf("GET on a deleted database answered %q", v)
	}
	fresh := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), DB: int(id), PoolSize: 1, MaxRetries: -1})
	defer fresh.Close()
	if err := fresh.Get(ctx, "k").Err(); err == nil || err == redis.Nil {
		t.Errorf("SELECT of a deleted database: %v, want an error", err)
	}
}

// TestCreateDatabaseTinyMaxSize: a max_size too small for an empty database file must be
// refused up front (or the create rolled back); it must never leave a registered
// database whose file cannot open, which breaks listDatabases for every database.
func TestCreateDatabaseTinyMaxSize(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "fine"}, nil}))
	for _, n := range []int{1, 16384, 32767} {
		res, rerr, raw := call(t, "herodb_createDatabase", []any{"Redb", map[string]any{"name": fmt.Sprintf("tiny%d", n), "max_size": n}, nil})
		if rerr == nil {
			// Accepted: it must then be a working database.
			asInfo(t, mustOK(t, call, "herodb_getDatabaseInfo", []any{asID(t, res)}))
			continue
		}
		if rerr.Code != rpc.CodeInvalidParams || !strings.Contains(rerr.Message, "max_size") {
			t.Errorf("max_size %d: %s, want -32602 naming max_size", n, raw)
		}
		mustFail(t, call, "herodb_getDatabaseInfo", []any{fmt.Sprintf("tiny%d", n)}, rpc.CodeNotFound)
	}
	if dbs := asInfos(t, mustOK(t, call, "herodb_listDatabases", nil)); len(dbs) != 1 {
		t.Errorf("listDatabases after refused creates: %+v", dbs)
	}
}
