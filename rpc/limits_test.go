package rpc_test

// The RPC's limits against memory amplification (issue 11, finding 5) and what a
// non-admin credential may learn from getServerInfo (finding 10), over real HTTP on
// loopback and the real Unix socket.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
)

// tenantKey creates database name with a read access key and returns the key.
func tenantKey(t *testing.T, e *rpcEnv, name string) string {
	t.Helper()
	id := asID(t, mustOK(t, e.callFn(), "herodb_createDatabase", []any{"Redb", map[string]any{"name": name}}))
	key := name + "-read-key-0123456789abcdef"
	e.neverShow(key)
	wantTrue(t, "addAccessKey", mustOK(t, e.callFn(), "herodb_addAccessKey", []any{id, key, "read"}))
	return key
}

// batchOf is a batch body of the given requests, each given as method and params (nil:
// left out), with ids 1….
func batchOf(t *testing.T, calls ...[2]any) string {
	t.Helper()
	var parts []string
	for i, c := range calls {
		req := map[string]any{"jsonrpc": "2.0", "id": i + 1, "method": c[0]}
		if c[1] != nil {
			req["params"] = c[1]
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, string(b))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func repeatCall(n int, method string, params any) [][2]any {
	out := make([][2]any, n)
	for i := range out {
		out[i] = [2]any{method, params}
	}
	return out
}

// wantBatchRefused checks the one -32600 object that answers a batch over the limit.
func wantBatchRefused(t *testing.T, st int, raw []byte, calls int) {
	t.Helper()
	if st != http.StatusOK {
		t.Errorf("batch of %d: HTTP %d, want 200", calls, st)
	}
	if len(raw) == 0 || raw[0] != '{' {
		t.Fatalf("batch of %d: want one JSON-RPC error object, not an array: %.300s", calls, raw)
	}
	r := decodeResp(t, raw)
	rerr := r.err(t)
	if rerr == nil || rerr.Code != rpc.CodeInvalidRequest || string(r.ID) != "null" {
		t.Fatalf("batch of %d: %.300s, want error -32600 with id null", calls, raw)
	}
	for _, s := range []string{"at most 100", fmt.Sprint(calls), "none was run"} {
		if !strings.Contains(rerr.Message, s) {
			t.Errorf("batch of %d: message %q does not say %q", calls, rerr.Message, s)
		}
	}
}

// decodeBatch decodes a batch reply into its responses by id.
func decodeBatch(t *testing.T, raw []byte) map[string]wireResp {
	t.Helper()
	var out []wireResp
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("batch reply is not an array of responses: %v: %.300s", err, raw)
	}
	byID := map[string]wireResp{}
	for _, r := range out {
		if r.JSONRPC != "2.0" {
			t.Errorf("a batch response lacks jsonrpc 2.0: %+v", r)
		}
		if _, dup := byID[string(r.ID)]; dup {
			t.Errorf("two responses for id %s", r.ID)
		}
		byID[string(r.ID)] = r
	}
	if len(byID) != len(out) {
		t.Errorf("%d responses, %d distinct ids", len(out), len(byID))
	}
	return byID
}

func TestBatchLimit(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)

	// 101 calls: one -32600 object, and none of the calls runs (no database is created).
	var creates [][2]any
	for i := range 101 {
		creates = append(creates, [2]any{"herodb_createDatabase", []any{"Redb", map[string]any{"name": fmt.Sprintf("b%d", i)}, nil}})
	}
	st, raw := e.post(batchOf(t, creates...))
	wantBatchRefused(t, st, raw, 101)
	for i := range 101 {
		if _, ok := e.srv.Admin().Database(fmt.Sprintf("b%d", i)); ok {
			t.Fatalf("database b%d was created by a refused batch", i)
		}
	}
	// Notifications count: 101 entries without ids are refused the same way.
	var notifs []string
	for range 101 {
		notifs = append(notifs, `{"jsonrpc":"2.0","method":"herodb_getServerInfo"}`)
	}
	st, raw = e.post("[" + strings.Join(notifs, ",") + "]")
	wantBatchRefused(t, st, raw, 101)

	// 100 calls work: 100 answers, each with its id.
	st, raw = e.post(batchOf(t, creates[:100]...))
	if st != http.StatusOK {
		t.Fatalf("batch of 100: HTTP %d %.300s", st, raw)
	}
	got := decodeBatch(t, raw)
	if len(got) != 100 {
		t.Fatalf("batch of 100: %d answers", len(got))
	}
	for i := 1; i <= 100; i++ {
		r, ok := got[fmt.Sprint(i)]
		if !ok || r.Error != nil || r.Result == nil {
			t.Errorf("batch of 100: answer for id %d: %+v", i, r)
		}
	}
	for i := range 100 {
		if _, ok := e.srv.Admin().Database(fmt.Sprintf("b%d", i)); !ok {
			t.Errorf("database b%d of the batch of 100 is missing", i)
		}
	}
}

// TestDiscoverBatchAttack is the finding as reported: a 1 MiB batch of rpc.discover calls
// with a tenant's read key. Before, it produced one ~200 MB reply; now a small error.
// Within the batch limit, the reply is bounded by 100 documents.
func TestDiscoverBatchAttack(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	key := tenantKey(t, e, "tenant")
	post := func(body string) (int, []byte) {
		t.Helper()
		st, _, raw := e.do(http.MethodPost, "/", key, strings.NewReader(body))
		return st, raw
	}

	attack := discoverBatch(0)
	calls := strings.Count(attack, `"method"`)
	if len(attack) > rpc.MaxBody || calls < 10000 {
		t.Fatalf("attack body: %d bytes, %d calls", len(attack), calls)
	}
	st, raw := post(attack)
	wantBatchRefused(t, st, raw, calls)
	if len(raw) > 1024 {
		t.Errorf("the reply to a refused batch is %d bytes", len(raw))
	}

	// One document alone, then 100 of them: the reply is 100 documents and their
	// envelopes, far under the cap, and every document is the same.
	st, one := post(`{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}`)
	doc := decodeResp(t, one)
	if st != http.StatusOK || doc.Error != nil || len(doc.Result) < 1000 {
		t.Fatalf("rpc.discover with a read key: HTTP %d %.300s", st, one)
	}
	st, raw = post(discoverBatch(rpc.MaxBatch))
	if st != http.StatusOK {
		t.Fatalf("100 × rpc.discover: HTTP %d %.300s", st, raw)
	}
	bound := rpc.MaxBatch * (len(one) + 16)
	if len(raw) > bound || len(raw) > rpc.DefaultMaxBatchReply {
		t.Errorf("100 × rpc.discover: reply of %d bytes, want at most %d (100 documents of %d bytes)", len(raw), bound, len(one))
	}
	got := decodeBatch(t, raw)
	if len(got) != rpc.MaxBatch {
		t.Fatalf("100 × rpc.discover: %d answers", len(got))
	}
	for id, r := range got {
		if r.Error != nil || string(r.Result) != string(doc.Result) {
			t.Fatalf("rpc.discover id %s in a batch differs from the single call's document", id)
		}
	}
	t.Logf("attack body %d bytes, %d calls: refused; 100 × rpc.discover: reply %d bytes", len(attack), calls, len(raw))
}

// TestBatchReplyCap: with a small cap, the calls run in order until the reply is full;
// the call that overflows it ran (data.ran true), the rest did not (data.ran false,
// notifications included), invalid entries still get their own error, and the body
// stays within the cap. A single request outside a batch is not capped.
func TestBatchReplyCap(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	e := newRPCEnvWith(t, rpc.Config{MaxBatchReply: limit})
	calls := [][2]any{{"herodb_createDatabase", []any{"Redb", map[string]any{"name": "first"}, nil}}}
	calls = append(calls, repeatCall(20, "rpc.discover", nil)...)                                              // ids 2..21, ~10 KB each
	calls = append(calls, [2]any{"herodb_createDatabase", []any{"Redb", map[string]any{"name": "late"}, nil}}) // id 22
	body := batchOf(t, calls...)
	body = strings.TrimSuffix(body, "]") +
		`,{"jsonrpc":"2.0","method":"herodb_createDatabase","params":["Redb",{"name":"latenotif"},null]}` + // a notification
		`,{"jsonrpc":"2.0","id":"bad"}` + // not a request: its own -32600, id null
		`,{"jsonrpc":"2.0","id":"` + strings.Repeat("x", 2000) + `","method":"rpc.discover"}]` // a long id, echoed
	st, raw := e.post(body)
	if st != http.StatusOK {
		t.Fatalf("HTTP %d %.300s", st, raw)
	}
	if len(raw) > limit {
		t.Errorf("reply of %d bytes over the %d-byte cap", len(raw), limit)
	}
	got := decodeBatch(t, raw)
	if len(got) != 24 {
		t.Errorf("%d answers, want 24 (22 calls, the invalid entry and the long id; no notification)", len(got))
	}
	if r := got["1"]; r.Error != nil || string(r.Result) == "" {
		t.Errorf("createDatabase before the cap: %+v", r)
	}
	type capData struct {
		Ran   *bool `json:"ran"`
		Limit int   `json:"limit"`
	}
	capErr := func(id string) (*jsonrpc2.Error, capData) {
		t.Helper()
		r, ok := got[id]
		if !ok {
			t.Fatalf("no answer for id %s", id)
		}
		rerr := r.err(t)
		var d capData
		if rerr == nil {
			return nil, d
		}
		if rerr.Code == rpc.CodeReplyTooLarge {
			if rerr.Data == nil || json.Unmarshal(*rerr.Data, &d) != nil || d.Ran == nil || d.Limit != limit {
				t.Errorf("id %s: error data %v, want {ran, limit: %d}", id, rerr.Data, limit)
			}
		}
		return rerr, d
	}
	done, ranDropped, notRun := 0, 0, 0
	for i := 2; i <= 21; i++ {
		rerr, d := capErr(fmt.Sprint(i))
		switch {
		case rerr == nil:
			if notRun > 0 || ranDropped > 0 {
				t.Errorf("id %d answered after the cap was reached", i)
			}
			done++
		case rerr.Code != rpc.CodeReplyTooLarge:
			t.Errorf("id %d: error %d %q", i, rerr.Code, rerr.Message)
		case *d.Ran:
			if ranDropped > 0 || notRun > 0 || !strings.Contains(rerr.Message, "ran") {
				t.Errorf("id %d: a second 'ran' error, or out of order: %q", i, rerr.Message)
			}
			ranDropped++
		default:
			if ranDropped == 0 || !strings.Contains(rerr.Message, "not run") {
				t.Errorf("id %d: not run before any call overflowed: %q", i, rerr.Message)
			}
			notRun++
		}
	}
	if done < 3 || ranDropped != 1 || notRun < 10 {
		t.Errorf("rpc.discover × 20 under a 64 KiB cap: %d done, %d ran and dropped, %d not run", done, ranDropped, notRun)
	}
	if rerr, d := capErr("22"); rerr == nil || rerr.Code != rpc.CodeReplyTooLarge || *d.Ran {
		t.Errorf("createDatabase after the cap: %v, want not run", rerr)
	}
	if rerr, d := capErr(`"` + strings.Repeat("x", 2000) + `"`); rerr == nil || rerr.Code != rpc.CodeReplyTooLarge || *d.Ran {
		t.Errorf("the long id after the cap: %v, want not run", rerr)
	}
	if rerr, _ := capErr("null"); rerr == nil || rerr.Code != rpc.CodeInvalidRequest {
		t.Errorf("the invalid entry: %v, want -32600", rerr)
	}
	for _, name := range []string{"late", "latenotif"} {
		if _, ok := e.srv.Admin().Database(name); ok {
			t.Errorf("database %q was created after the reply was full", name)
		}
	}
	if _, ok := e.srv.Admin().Database("first"); !ok {
		t.Errorf("the call before the cap did not take effect")
	}

	// A single request is not capped, and a batch of one whose reply fits works.
	e2 := newRPCEnvWith(t, rpc.Config{MaxBatchReply: 4 << 10})
	if res := mustOK(t, e2.callFn(), "rpc.discover", nil); len(res) < 4<<10 {
		t.Fatalf("the document is only %d bytes: the test needs one over the cap", len(res))
	}
	st, raw = e2.post(batchOf(t, [2]any{"herodb_getServerInfo", nil}))
	if got := decodeBatch(t, raw); st != http.StatusOK || got["1"].Error != nil {
		t.Errorf("a small batch under a 4 KiB cap: HTTP %d %s", st, raw)
	}
}

// TestGetServerInfoScoped: the admin (secret or admin-scoped token) sees the server-wide
// counts; a tenant's access key and a database-scoped token see only what a tenant's
// INFO shows (version, uptime, port, fsync policy), never the number of databases or of
// connections across the server.
func TestGetServerInfoScoped(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	key := tenantKey(t, e, "app")
	for _, n := range []string{"other1", "other2"} {
		mustOK(t, e.callFn(), "herodb_createDatabase", []any{"Redb", map[string]any{"name": n}})
	}
	dbTok := tkCreate(e, herodbtest.AdminSecret, "reader", tkAppRead, nil)
	tokRead := tkCreate(e, herodbtest.AdminSecret, "auditor", tkTokRead, nil)
	admTok := tkCreate(e, herodbtest.AdminSecret, "root", tkAdminSc, nil)
	info := func(bearer string) map[string]json.RawMessage {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal(tkOK(e, bearer, "herodb_getServerInfo", nil), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	keys := func(m map[string]json.RawMessage) string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, ",")
	}
	for name, bearer := range map[string]string{"admin secret": herodbtest.AdminSecret, "admin token": admTok.Token} {
		m := info(bearer)
		if string(m["databases"]) != "3" || m["connections"] == nil || m["version"] == nil {
			t.Errorf("%s: getServerInfo %s lacks the server-wide counts", name, keys(m))
		}
	}
	for name, bearer := range map[string]string{"read access key": key, "database token": dbTok.Token, "token-read token": tokRead.Token} {
		m := info(bearer)
		if got := keys(m); got != "redis_version,resp_addr,sync,uptime_seconds,version" {
			t.Errorf("%s: getServerInfo fields %s, want redis_version,resp_addr,sync,uptime_seconds,version", name, got)
		}
		// Also in a batch, and under the hero_ name.
		_, _, raw := e.do(http.MethodPost, "/", bearer, strings.NewReader(batchOf(t, [2]any{"hero_getServerInfo", nil})))
		if r := decodeBatch(t, raw)["1"]; r.Error != nil || strings.Contains(string(r.Result), "databases") || strings.Contains(string(r.Result), "connections") {
			t.Errorf("%s: hero_getServerInfo in a batch: %s", name, raw)
		}
	}
}

// TestSocketBatchNotRun: the socket has no batches (documented): a batch, even of 101
// calls, closes the connection without a reply and none of its calls runs.
func TestSocketBatchNotRun(t *testing.T) {
	t.Parallel()
	_, path, _ := newSocketEnv(t)
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	var calls [][2]any
	for i := range 101 {
		calls = append(calls, [2]any{"herodb_createDatabase", []any{"Redb", map[string]any{"name": fmt.Sprintf("s%d", i)}, nil}})
	}
	if _, err := io.WriteString(nc, batchOf(t, calls...)+"\n"); err != nil {
		t.Fatal(err)
	}
	if reply, err := bufio.NewReader(nc).ReadBytes('\n'); err == nil {
		t.Errorf("a batch on the socket got a reply %.200q; the documented behaviour is a closed connection", reply)
	}
	var dbs []json.RawMessage
	if err := json.Unmarshal(mustOK(t, socketCall(t, path), "herodb_listDatabases", nil), &dbs); err != nil || len(dbs) != 0 {
		t.Errorf("after a batch on the socket, listDatabases has %d databases (%v): none of its calls may run", len(dbs), err)
	}
}
