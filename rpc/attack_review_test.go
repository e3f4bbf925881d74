package rpc_test

// Hostile review of the JSON-RPC surface added for "a million databases": listDatabases
// pagination, createDatabases bulk creation, and the HTTP framing around them (batches,
// nesting, body limits, Content-Type, bearer credentials). Every test starts the real
// server (herodbtest) and sends real HTTP to the real handler.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
)

// rvRaw sends one raw single request (params as given, unparsed) as the admin and
// returns the HTTP status and the decoded response.
func rvRaw(t *testing.T, e *rpcEnv, method, params string) (int, wireResp, []byte) {
	t.Helper()
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q,"params":%s}`, method, params)
	st, raw := e.post(body)
	return st, decodeResp(t, raw), raw
}

// rvNext is the id the next database will get, probed by creating one (and deleting it).
func rvNext(t *testing.T, e *rpcEnv) uint64 {
	t.Helper()
	var ids []uint64
	if err := json.Unmarshal(mustOK(t, e.callFn(), "herodb_createDatabases", []any{1}), &ids); err != nil || len(ids) != 1 {
		t.Fatalf("probe createDatabases [1]: %v %v", ids, err)
	}
	wantTrue(t, "delete probe", mustOK(t, e.callFn(), "herodb_deleteDatabase", []any{ids[0]}))
	return ids[0]
}

// TestReviewListDatabasesHostileParams: every hostile cursor or limit, named or
// positional, is -32602 (HTTP 200) naming the bad param, and the message does not echo
// a large hostile value back.
func TestReviewListDatabasesHostileParams(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	for range 5 {
		mustOK(t, e.callFn(), "herodb_createDatabase", []any{"Redb", map[string]any{}})
	}
	huge := strings.Repeat("9", 5000)
	bad := []struct {
		params string
		names  string // the param the message must name
	}{
		{`{"cursor":""}`, "cursor"},
		{`{"cursor":"0"}`, "cursor"},
		{`{"cursor":-0}`, "cursor"},
		{`{"cursor":0.0}`, "cursor"},
		{`{"cursor":1e0}`, "cursor"},
		{`{"cursor":-9223372036854775808}`, "cursor"},
		{`{"cursor":` + huge + `}`, "cursor"},
		{`{"cursor":{"after":3}}`, "cursor"},
		{`{"cursor":[]}`, "cursor"},
		{`{"cursor":false}`, "cursor"},
		{`{"cursor":"eyJhZnRlciI6M30="}`, "cursor"},
		{`{"limit":1e12}`, "limit"},
		{`{"limit":1000000000000}`, "limit"},
		{`{"limit":18446744073709551616}`, "limit"},
		{`{"limit":` + huge + `}`, "limit"},
		{`{"limit":1000.0}`, "limit"},
		{`{"limit":0.5}`, "limit"},
		{`{"limit":-0}`, "limit"},
		{`{"limit":""}`, "limit"},
		{`{"limit":[]}`, "limit"},
		{`{"limit":{}}`, "limit"},
		{`{"limit":false}`, "limit"},
		{`{"cursor":null,"limit":-1}`, "limit"},
		{`{"cursor":null,"limit":5,"extra":1}`, "extra"},
		{`{"Cursor":null}`, "Cursor"},
		{`{"LIMIT":5}`, "LIMIT"},
		{`[null,5,1]`, "at most 2"},
		{`[-1]`, "cursor"},
		{`[1e12]`, "cursor"},
		{`[""]`, "cursor"},
		{`[{}]`, "cursor"},
		{`[[]]`, "cursor"},
		{`[true]`, "cursor"},
		{`[null,"5"]`, "limit"},
		{`[null,1e12]`, "limit"},
		{`[null,-1]`, "limit"},
		{`[null,1001]`, "limit"},
		{`[0,0]`, "limit"},
		{`5`, "params"},
		{`true`, "params"},
	}
	for _, c := range bad {
		st, r, raw := rvRaw(t, e, "herodb_listDatabases", c.params)
		rerr := r.err(t)
		if rerr == nil {
			t.Errorf("listDatabases %.80s: result %.200s, want -32602", c.params, r.Result)
			continue
		}
		if rerr.Code != rpc.CodeInvalidParams || st != http.StatusOK {
			t.Errorf("listDatabases %.80s: HTTP %d error %d %q, want HTTP 200 -32602", c.params, st, rerr.Code, rerr.Message)
		}
		if !strings.Contains(rerr.Message, c.names) {
			t.Errorf("listDatabases %.80s: message %q does not name %q", c.params, rerr.Message, c.names)
		}
		if len(raw) > 2000 {
			t.Errorf("listDatabases %.80s: the %d-byte reply echoes the hostile value", c.params, len(raw))
		}
	}

	// The largest cursor is accepted: an empty, complete page (no overflow of cursor+1).
	st, r, raw := rvRaw(t, e, "herodb_listDatabases", `{"cursor":18446744073709551615,"limit":1000}`)
	if st != http.StatusOK || r.err(t) != nil {
		t.Fatalf("cursor MaxUint64: HTTP %d %s", st, raw)
	}
	if p := asPage(t, r.Result); len(p.Databases) != 0 || p.Cursor != nil {
		t.Errorf("cursor MaxUint64: %s, want an empty page and a null cursor", raw)
	}
	// limit 1000 (the documented maximum) and 1 work, by name and by position.
	for _, params := range []string{`{"limit":1000}`, `[null,1000]`, `[0,1]`, `{"cursor":0,"limit":1}`, `[null,null]`} {
		st, r, raw := rvRaw(t, e, "herodb_listDatabases", params)
		if st != http.StatusOK || r.err(t) != nil {
			t.Errorf("listDatabases %s: HTTP %d %s", params, st, raw)
			continue
		}
		asPage(t, r.Result)
	}
}

// TestReviewListDatabasesForeignCursor: a cursor is only an id, so one from another walk,
// one edited by hand, or the id of a deleted database resumes just past it: the page holds
// the live databases above it, in id order, none at or below it.
func TestReviewListDatabasesForeignCursor(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	var ids []uint64
	if err := json.Unmarshal(mustOK(t, call, "herodb_createDatabases", []any{40}), &ids); err != nil {
		t.Fatal(err)
	}
	deleted := ids[10]
	wantTrue(t, "delete", mustOK(t, call, "herodb_deleteDatabase", []any{deleted}))
	for _, cur := range []uint64{0, ids[0], deleted - 1, deleted, ids[25] + 0, ids[39] - 1} {
		p := asPage(t, mustOK(t, call, "herodb_listDatabases", map[string]any{"cursor": cur, "limit": 7}))
		var want []uint64
		for _, id := range ids {
			if id > cur && id != deleted && len(want) < 7 {
				want = append(want, id)
			}
		}
		var got []uint64
		for _, raw := range p.Databases {
			got = append(got, asInfo(t, raw).ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("cursor %d: page %v, want %v", cur, got, want)
		}
		if len(want) == 7 && want[6] != ids[39] && (p.Cursor == nil || *p.Cursor != want[6]) {
			t.Errorf("cursor %d: next cursor %v, want %d", cur, p.Cursor, want[6])
		}
	}
}

// TestReviewListDatabasesWalkUnderBulkChurn: walkers page through listDatabases (by name
// and by position, many limits) while other callers create databases one at a time and
// in bulk (createDatabases) and delete the ones they made. Every database that exists for
// the whole walk is seen exactly once, ids are strictly increasing, and no call fails.
// Run with -race.
func TestReviewListDatabasesWalkUnderBulkChurn(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	var stable []uint64
	if err := json.Unmarshal(mustOK(t, call, "herodb_createDatabases", []any{600}), &stable); err != nil {
		t.Fatal(err)
	}
	// Holes: delete every fifth stable database before the walks start.
	var live []uint64
	for i, id := range stable {
		if i%5 == 0 {
			wantTrue(t, "delete", mustOK(t, call, "herodb_deleteDatabase", []any{id}))
			continue
		}
		live = append(live, id)
	}

	var stop atomic.Bool
	var failures atomic.Int64
	var wg sync.WaitGroup
	fail := func(format string, args ...any) {
		failures.Add(1)
		t.Errorf(format, args...)
	}
	// rpcCall is a goroutine-safe call (rpcEnv.call uses t.Fatal on transport errors only
	// through e.t, which is this test: acceptable from goroutines only via Errorf, so the
	// raw body is decoded here).
	rpcCall := func(method string, params any) (json.RawMessage, *jsonrpc2.Error, error) {
		id, body := e.request(method, params)
		req, err := http.NewRequest(http.MethodPost, e.hs.URL, bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+herodbtest.AdminSecret)
		resp, err := e.hs.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, nil, err
		}
		var r wireResp
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, nil, fmt.Errorf("not JSON: %v: %.200s", err, raw)
		}
		if string(r.ID) != fmt.Sprint(id) {
			return nil, nil, fmt.Errorf("id %s, want %d", r.ID, id)
		}
		if r.Error != nil {
			var je jsonrpc2.Error
			json.Unmarshal(*r.Error, &je)
			return nil, &je, nil
		}
		return r.Result, nil, nil
	}

	// Churners: single creates with deletes, and bulk creates with deletes.
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				var res json.RawMessage
				var rerr *jsonrpc2.Error
				var err error
				if g == 0 {
					res, rerr, err = rpcCall("herodb_createDatabase", []any{"bbolt", map[string]any{"name": fmt.Sprintf("churn-%d-%d", g, i)}})
				} else {
					res, rerr, err = rpcCall("herodb_createDatabases", []any{1 + (i*7+g)%40, map[string]any{"public": "read"}})
				}
				if err != nil || rerr != nil {
					fail("churner %d: create: %v %v", g, err, rerr)
					return
				}
				var made []uint64
				if g == 0 {
					var id uint64
					json.Unmarshal(res, &id)
					made = []uint64{id}
				} else if err := json.Unmarshal(res, &made); err != nil {
					fail("churner %d: %s: %v", g, res, err)
					return
				}
				for j, id := range made {
					if j%2 == 1 {
						continue // keep some
					}
					if _, rerr, err := rpcCall("herodb_deleteDatabase", []any{id}); err != nil || rerr != nil {
						fail("churner %d: delete %d: %v %v", g, id, err, rerr)
						return
					}
				}
			}
		}()
	}

	limits := []int{1, 2, 3, 7, 50, 999, 1000}
	var walks atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 6 && failures.Load() == 0; k++ {
				limit := limits[(w+k)%len(limits)]
				positional := (w+k)%2 == 0
				var cursor any
				seen := map[uint64]int{}
				var last uint64
				for pages := 0; ; pages++ {
					if pages > 100000 {
						fail("walker %d: the cursor never became null", w)
						return
					}
					var params any = map[string]any{"cursor": cursor, "limit": limit}
					if positional {
						params = []any{cursor, limit}
					}
					res, rerr, err := rpcCall("herodb_listDatabases", params)
					if err != nil || rerr != nil {
						fail("walker %d: listDatabases %v: %v %v", w, params, err, rerr)
						return
					}
					var p listPage
					if err := json.Unmarshal(res, &p); err != nil {
						fail("walker %d: page %.200s: %v", w, res, err)
						return
					}
					if len(p.Databases) > limit {
						fail("walker %d: page of limit %d holds %d", w, limit, len(p.Databases))
					}
					for _, raw := range p.Databases {
						var d struct {
							ID uint64 `json:"id"`
						}
						json.Unmarshal(raw, &d)
						if d.ID <= last {
							fail("walker %d (limit %d): id %d after %d: out of order or repeated", w, limit, d.ID, last)
						}
						last = d.ID
						seen[d.ID]++
					}
					if p.Cursor == nil {
						break
					}
					if c, ok := cursor.(uint64); ok && *p.Cursor < c {
						fail("walker %d: cursor went back from %d to %d", w, c, *p.Cursor)
					}
					cursor = *p.Cursor
				}
				for _, id := range live {
					if seen[id] != 1 {
						fail("walker %d (limit %d, positional %v): database %d, live for the whole walk, seen %d times", w, limit, positional, id, seen[id])
						break
					}
				}
				walks.Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		// Stop the churners once the walkers are done.
		for walks.Load() < 24 && failures.Load() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		stop.Store(true)
		close(done)
	}()
	<-done
	wg.Wait()
}

// TestReviewCreateDatabasesHostileCount: every bad count, by position and by name, is
// -32602 naming count, and creates nothing (the next id still follows on).
func TestReviewCreateDatabasesHostileCount(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	before := rvNext(t, e)
	count0 := e.srv.Admin().Count()
	for _, c := range []string{`0`, `-1`, `-0`, `1.5`, `1.0`, `1e1`, `10001`, `1000000`, `1e12`, `18446744073709551617`,
		`9223372036854775807`, `"5"`, `null`, `true`, `[5]`, `{"n":5}`, `""`} {
		for _, params := range []string{`[` + c + `]`, `[` + c + `,{}]`, `{"count":` + c + `}`, `{"count":` + c + `,"options":null}`} {
			st, r, raw := rvRaw(t, e, "herodb_createDatabases", params)
			rerr := r.err(t)
			if rerr == nil {
				t.Errorf("createDatabases %s: result %.200s, want -32602", params, r.Result)
				continue
			}
			if rerr.Code != rpc.CodeInvalidParams || st != http.StatusOK || !strings.Contains(rerr.Message, "count") {
				t.Errorf("createDatabases %s: HTTP %d %s, want -32602 naming count", params, st, raw)
			}
		}
	}
	// Missing count.
	for _, params := range []string{`[]`, `{}`, `{"options":{}}`, `null`} {
		st, r, raw := rvRaw(t, e, "herodb_createDatabases", params)
		if rerr := r.err(t); rerr == nil || rerr.Code != rpc.CodeInvalidParams || st != http.StatusOK || !strings.Contains(rerr.Message, "count") {
			t.Errorf("createDatabases %s: HTTP %d %s, want -32602 naming count", params, st, raw)
		}
	}
	if n := e.srv.Admin().Count(); n != count0 {
		t.Errorf("refused createDatabases calls changed the number of databases: %d, was %d", n, count0)
	}
	if next := rvNext(t, e); next != before+1 {
		t.Errorf("after refused calls the next id is %d, want %d: refused calls consumed ids", next, before+1)
	}
}

// TestReviewCreateDatabasesHostileOptions: bad options are -32602 (or -32010 for an
// unsupported backend), never partly applied: nothing is created.
func TestReviewCreateDatabasesHostileOptions(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	mustOK(t, e.callFn(), "herodb_createDatabase", []any{"Redb", map[string]any{"name": "taken"}})
	before := rvNext(t, e)
	count0 := e.srv.Admin().Count()
	cases := []struct {
		params string
		code   int64
	}{
		{`[2,5]`, rpc.CodeInvalidParams},
		{`[2,"x"]`, rpc.CodeInvalidParams},
		{`[2,[]]`, rpc.CodeInvalidParams},
		{`[2,[{"public":true}]]`, rpc.CodeInvalidParams},
		{`[2,true]`, rpc.CodeInvalidParams},
		{`[2,{"name":"x"}]`, rpc.CodeInvalidParams},
		{`[2,{"name":"taken"}]`, rpc.CodeInvalidParams},
		{`[2,{"names":["a","b"]}]`, rpc.CodeInvalidParams},
		{`[2,{"name":null}]`, rpc.CodeInvalidParams},
		{`[2,{"storage_path":null}]`, rpc.CodeInvalidParams},
		{`[2,{"encryption_key":"some-key-0123456789"}]`, rpc.CodeInvalidParams},
		{`[2,{"redis_version":"7"}]`, rpc.CodeInvalidParams},
		{`[2,{"backend":5}]`, rpc.CodeInvalidParams},
		{`[2,{"backend":""}]`, rpc.CodeInvalidParams},
		{`[2,{"backend":"rocksdb"}]`, rpc.CodeInvalidParams},
		{`[2,{"backend":"Lance"}]`, rpc.CodeUnsupported},
		{`[2,{"max_size":"65536"}]`, rpc.CodeInvalidParams},
		{`[2,{"max_size":1.5}]`, rpc.CodeInvalidParams},
		{`[2,{"max_size":1}]`, rpc.CodeInvalidParams},
		{`[2,{"max_size":-1}]`, rpc.CodeInvalidParams},
		{`[2,{"max_size":1e30}]`, rpc.CodeInvalidParams},
		{`[2,{"public":"write"}]`, rpc.CodeInvalidParams},
		{`[2,{"public":1}]`, rpc.CodeInvalidParams},
		{`[2,{"public":{}}]`, rpc.CodeInvalidParams},
		{`[2,{"public":false},3]`, rpc.CodeInvalidParams},
		{`{"count":2,"options":{},"extra":1}`, rpc.CodeInvalidParams},
		{`{"count":2,"option":{}}`, rpc.CodeInvalidParams},
		{`[2,{"public":false} ,{"public":false}]`, rpc.CodeInvalidParams},
	}
	for _, c := range cases {
		st, r, raw := rvRaw(t, e, "herodb_createDatabases", c.params)
		rerr := r.err(t)
		if rerr == nil {
			t.Errorf("createDatabases %s: result %.200s, want error %d", c.params, r.Result, c.code)
			continue
		}
		if rerr.Code != c.code || st != http.StatusOK {
			t.Errorf("createDatabases %s: HTTP %d %s, want HTTP 200 error %d", c.params, st, raw, c.code)
		}
	}
	if n := e.srv.Admin().Count(); n != count0 {
		t.Errorf("refused createDatabases calls changed the number of databases: %d, was %d", n, count0)
	}
	if next := rvNext(t, e); next != before+1 {
		t.Errorf("after refused calls the next id is %d, want %d", next, before+1)
	}

	// Good options: null options, empty options, nulls inside, the documented fields.
	for _, params := range []string{`[1,null]`, `[1,{}]`, `[1,{"backend":null,"max_size":null,"public":null}]`,
		`{"count":2,"options":{"backend":"Sled","max_size":65536,"public":"read"}}`} {
		st, r, raw := rvRaw(t, e, "herodb_createDatabases", params)
		if st != http.StatusOK || r.err(t) != nil {
			t.Errorf("createDatabases %s: HTTP %d %s", params, st, raw)
			continue
		}
		var ids []uint64
		if err := json.Unmarshal(r.Result, &ids); err != nil || len(ids) == 0 {
			t.Errorf("createDatabases %s: %s", params, raw)
			continue
		}
		for _, id := range ids {
			if d := asInfo(t, mustOK(t, e.callFn(), "herodb_getDatabaseInfo", []any{id})); d.Name != "" {
				t.Errorf("database %d made in bulk has name %q, want none", id, d.Name)
			}
		}
	}
}

// TestReviewCreateDatabasesOptionsCaseFold: options are decoded strictly and named as
// docs/rpc.md names them, in lower case. encoding/json matches struct fields regardless
// of case, so {"PUBLIC":"read"} once set public and {"public":false,"Public":"read"}
// set it twice, and createDatabase's {"NAME":"app"} named the database; a field not
// spelled exactly as documented is refused with -32602, as {"names":…} is.
func TestReviewCreateDatabasesOptionsCaseFold(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	for _, params := range []string{`[1,{"PUBLIC":"read"}]`, `[1,{"Max_Size":65536}]`, `[1,{"public":false,"Public":"read"}]`} {
		st, r, raw := rvRaw(t, e, "herodb_createDatabases", params)
		if r.err(t) == nil {
			var ids []uint64
			json.Unmarshal(r.Result, &ids)
			var info string
			if len(ids) == 1 {
				res := mustOK(t, e.callFn(), "herodb_getDatabaseInfo", []any{ids[0]})
				info = string(res)
			}
			t.Errorf("createDatabases %s: HTTP %d %s accepted a field not spelled as documented (database: %.200s); want -32602", params, st, raw, info)
		}
	}
	st, r, raw := rvRaw(t, e, "herodb_createDatabase", `["Redb",{"NAME":"shouty"}]`)
	if r.err(t) == nil {
		t.Errorf(`createDatabase ["Redb",{"NAME":"shouty"}]: HTTP %d %s accepted "NAME" as "name"; want -32602`, st, raw)
	}
}

// TestReviewCreateDatabasesContract: count 10000 (the documented maximum) works in one
// call, ids strictly increasing and distinct from every existing id; concurrent bulk
// creates never share an id; a batch mixing good and refused bulk creates runs the good
// ones only, and a refused one consumes no id.
func TestReviewCreateDatabasesContract(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	pre := asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "pre"}}))
	var ids []uint64
	if err := json.Unmarshal(mustOK(t, call, "herodb_createDatabases", map[string]any{"count": 10000, "options": nil}), &ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 10000 {
		t.Fatalf("count 10000: %d ids", len(ids))
	}
	for i, id := range ids {
		if id <= pre || (i > 0 && id <= ids[i-1]) {
			t.Fatalf("count 10000: id %d at %d is not above %d and increasing", id, i, pre)
		}
	}
	if n := e.srv.Admin().Count(); n != 10001 {
		t.Errorf("Count after 1 + 10000 creates: %d", n)
	}

	// Concurrent bulk creates: distinct ids, each call's in order.
	var mu sync.Mutex
	all := map[uint64]bool{}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, body := e.request("herodb_createDatabases", []any{50 + g})
			req, _ := http.NewRequest(http.MethodPost, e.hs.URL, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+herodbtest.AdminSecret)
			resp, err := e.hs.Client().Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var r struct {
				Result []uint64 `json:"result"`
			}
			if json.Unmarshal(raw, &r) != nil || len(r.Result) != 50+g {
				errs <- fmt.Sprintf("concurrent createDatabases %d: %.200s", 50+g, raw)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for i, id := range r.Result {
				if all[id] {
					errs <- fmt.Sprintf("id %d given twice", id)
				}
				all[id] = true
				if i > 0 && id <= r.Result[i-1] {
					errs <- fmt.Sprintf("ids out of order: %v", r.Result)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Error(s)
	}

	// A batch: good, refused (count 0), refused (max_size too small), good.
	st, raw := e.post(`[` +
		`{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabases","params":[3]},` +
		`{"jsonrpc":"2.0","id":2,"method":"herodb_createDatabases","params":[0]},` +
		`{"jsonrpc":"2.0","id":3,"method":"herodb_createDatabases","params":[3,{"max_size":10}]},` +
		`{"jsonrpc":"2.0","id":4,"method":"hero_createDatabases","params":{"count":2}}]`)
	if st != http.StatusOK {
		t.Fatalf("batch: HTTP %d %s", st, raw)
	}
	got := decodeBatch(t, raw)
	var first, last []uint64
	if r := got["1"]; r.Error != nil || json.Unmarshal(r.Result, &first) != nil || len(first) != 3 {
		t.Fatalf("batch call 1: %s", raw)
	}
	for _, id := range []string{"2", "3"} {
		if r := got[id]; r.err(t) == nil || r.err(t).Code != rpc.CodeInvalidParams {
			t.Errorf("batch call %s: want -32602: %s", id, raw)
		}
	}
	if r := got["4"]; r.Error != nil || json.Unmarshal(r.Result, &last) != nil || len(last) != 2 {
		t.Fatalf("batch call 4: %s", raw)
	}
	if last[0] != first[2]+1 {
		t.Errorf("batch: the refused calls between consumed ids: %v then %v", first, last)
	}
}

// TestReviewBatchMixed: a batch mixing good calls, bad ones and notifications answers
// each request once, in order, with its own id, and runs its calls in order.
func TestReviewBatchMixed(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	body := `[` +
		`{"jsonrpc":"2.0","id":"mk","method":"herodb_createDatabase","params":["Redb",{"name":"mixed"}]},` +
		`{"jsonrpc":"2.0","id":2,"method":"herodb_getDatabaseInfo","params":["mixed"]},` +
		`{"jsonrpc":"2.0","id":3,"method":"herodb_nope"},` +
		`{"jsonrpc":"2.0","id":4,"method":"herodb_listDatabases","params":{"limit":0}},` +
		`42,` +
		`[{"jsonrpc":"2.0","id":99,"method":"herodb_getServerInfo"}],` +
		`{"jsonrpc":"1.0","id":6,"method":"herodb_getServerInfo"},` +
		`{"jsonrpc":"2.0","method":"herodb_createDatabase","params":["Redb",{"name":"by-notif"}]},` +
		`{"jsonrpc":"2.0","method":"herodb_listDatabases","params":{"limit":-1}},` +
		`{"jsonrpc":"2.0","id":null,"method":"herodb_getServerInfo"},` +
		`{"jsonrpc":"2.0","id":9,"method":"herodb_deleteDatabase","params":["mixed"]},` +
		`{"jsonrpc":"2.0","id":10,"method":"herodb_getDatabaseInfo","params":["mixed"]},` +
		`{"jsonrpc":"2.0","id":11,"method":"herodb_getDatabaseInfo","params":["by-notif"]},` +
		`{"jsonrpc":"2.0","id":12,"method":"herodb_listDatabases","params":{"cursor":null,"limit":1000}}` +
		`]`
	st, raw := e.post(body)
	if st != http.StatusOK {
		t.Fatalf("HTTP %d %s", st, raw)
	}
	var out []wireResp
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	type want struct {
		id   string
		code int64 // 0: a result
	}
	wants := []want{
		{`"mk"`, 0}, {`2`, 0}, {`3`, rpc.CodeMethodNotFound}, {`4`, rpc.CodeInvalidParams},
		{`null`, rpc.CodeInvalidRequest}, {`null`, rpc.CodeInvalidRequest}, {`null`, rpc.CodeInvalidRequest},
		{`null`, 0}, {`9`, 0}, {`10`, rpc.CodeNotFound}, {`11`, 0}, {`12`, 0},
	}
	if len(out) != len(wants) {
		t.Fatalf("%d responses, want %d (notifications unanswered): %s", len(out), len(wants), raw)
	}
	for i, w := range wants {
		r := out[i]
		if string(r.ID) != w.id {
			t.Errorf("response %d: id %s, want %s", i, r.ID, w.id)
		}
		rerr := r.err(t)
		switch {
		case w.code == 0 && (rerr != nil || r.Result == nil):
			t.Errorf("response %d (id %s): %v, want a result", i, r.ID, rerr)
		case w.code != 0 && (rerr == nil || rerr.Code != w.code):
			t.Errorf("response %d (id %s): %v %s, want error %d", i, r.ID, rerr, r.Result, w.code)
		}
	}
}

// TestReviewBatchSizes: a batch of 0, of exactly 100, of 101, and a huge one (thousands of
// tiny entries within 1 MiB): the refused ones are one -32600 object with "id": null
// and run nothing.
func TestReviewBatchSizes(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	for _, body := range []string{`[]`, ` [ ] `, "[\n]"} {
		st, raw := e.post(body)
		r := decodeResp(t, raw)
		if rerr := r.err(t); st != http.StatusOK || rerr == nil || rerr.Code != rpc.CodeInvalidRequest || string(r.ID) != "null" {
			t.Errorf("batch %q: HTTP %d %s, want one -32600 with id null", body, st, raw)
		}
	}
	count0 := e.srv.Admin().Count()
	one := `{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabases","params":[1]}`
	for _, n := range []int{101, 5000, 14000} {
		entries := make([]string, n)
		for i := range entries {
			entries[i] = one
		}
		if n > 101 {
			// mostly tiny entries, one create
			for i := 1; i < n; i++ {
				entries[i] = `0`
			}
		}
		body := "[" + strings.Join(entries, ",") + "]"
		if len(body) > rpc.MaxBody {
			t.Fatalf("test body %d bytes", len(body))
		}
		st, raw := e.post(body)
		wantBatchRefused(t, st, raw, n)
	}
	if n := e.srv.Admin().Count(); n != count0 {
		t.Errorf("refused batches created databases: %d, was %d", n, count0)
	}
	entries := make([]string, 100)
	for i := range entries {
		entries[i] = fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"herodb_createDatabases","params":[2]}`, i+1)
	}
	st, raw := e.post("[" + strings.Join(entries, ",") + "]")
	if st != http.StatusOK || len(decodeBatch(t, raw)) != 100 {
		t.Fatalf("batch of 100: HTTP %d %.300s", st, raw)
	}
	if n := e.srv.Admin().Count(); n != count0+200 {
		t.Errorf("batch of 100 creates of 2: %d databases, want %d", n, count0+200)
	}
}

// TestReviewDeepNesting: deeply nested JSON, as the whole body, inside a batch, and inside
// params, is refused with a JSON-RPC error; the server stays up.
func TestReviewDeepNesting(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	deep := func(n int, open, close string) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	cases := []struct {
		body string
		code int64
	}{
		{deep(400000, "[", "]"), rpc.CodeParse},
		{strings.Repeat("[", 900000), rpc.CodeParse},
		{strings.Repeat(`{"a":`, 150000) + "1" + strings.Repeat("}", 150000), rpc.CodeParse},
		{`{"jsonrpc":"2.0","id":1,"method":"herodb_listDatabases","params":{"cursor":` + deep(9000, "[", "]") + `}}`, rpc.CodeInvalidParams},
		{`{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabases","params":[1,{"public":` + deep(9000, "[", "]") + `}]}`, rpc.CodeInvalidParams},
		{`{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabases","params":[1,` + strings.Repeat(`{"public":`, 9000) + "1" + strings.Repeat("}", 9000) + `]}`, rpc.CodeInvalidParams},
		{`{"jsonrpc":"2.0","id":1,"method":"herodb_listDatabases","params":{"cursor":` + deep(20000, "[", "]") + `}}`, rpc.CodeParse},
	}
	count0 := e.srv.Admin().Count()
	for _, c := range cases {
		st, raw := e.post(c.body)
		r := decodeResp(t, raw)
		rerr := r.err(t)
		if st != http.StatusOK || rerr == nil || rerr.Code != c.code {
			t.Errorf("%.40s… (%d bytes): HTTP %d %.300s, want error %d", c.body, len(c.body), st, raw, c.code)
		}
		if len(raw) > 4096 {
			t.Errorf("%.40s…: %d-byte reply echoes the input", c.body, len(raw))
		}
	}
	// A batch whose one entry nests deep: that entry is refused, the other runs.
	st, raw := e.post(`[{"jsonrpc":"2.0","id":1,"method":"herodb_getServerInfo"},{"jsonrpc":"2.0","id":2,"method":"herodb_listDatabases","params":[` + deep(5000, "[", "]") + `]}]`)
	got := decodeBatch(t, raw)
	if st != http.StatusOK || got["1"].Error != nil || got["2"].err(t) == nil || got["2"].err(t).Code != rpc.CodeInvalidParams {
		t.Errorf("batch with a deep entry: HTTP %d %.300s", st, raw)
	}
	if n := e.srv.Admin().Count(); n != count0 {
		t.Errorf("nesting created databases")
	}
	mustOK(t, e.callFn(), "herodb_getServerInfo", nil)
}

// TestReviewBodyLimit: a body over 1 MiB is 413 with -32013, whether its length is
// declared or chunked, and runs nothing; exactly 1 MiB is read and answered.
func TestReviewBodyLimit(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	count0 := e.srv.Admin().Count()
	call := `{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabases","params":[1]}`
	pad := func(total int) string { return call + strings.Repeat(" ", total-len(call)) }

	send := func(body string, chunked bool, bearer string) (int, []byte) {
		t.Helper()
		var rd io.Reader = strings.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // unknown length: sent chunked
		}
		st, _, raw := e.do(http.MethodPost, "/", bearer, rd)
		return st, raw
	}
	for _, chunked := range []bool{false, true} {
		for _, bearer := range []string{herodbtest.AdminSecret, "wrong-secret-0123456789"} {
			st, raw := send(pad(rpc.MaxBody+1), chunked, bearer)
			r := decodeResp(t, raw)
			if rerr := r.err(t); st != http.StatusRequestEntityTooLarge || rerr == nil || rerr.Code != rpc.CodeTooLarge {
				t.Errorf("1 MiB + 1 (chunked %v): HTTP %d %s, want 413 -32013", chunked, st, raw)
			}
		}
		st, raw := send(pad(4<<20), chunked, herodbtest.AdminSecret)
		if st != http.StatusRequestEntityTooLarge {
			t.Errorf("4 MiB (chunked %v): HTTP %d %.200s, want 413", chunked, st, raw)
		}
	}
	if n := e.srv.Admin().Count(); n != count0 {
		t.Fatalf("an oversized body ran its call: %d databases, was %d", n, count0)
	}
	for _, chunked := range []bool{false, true} {
		st, raw := send(pad(rpc.MaxBody), chunked, herodbtest.AdminSecret)
		if r := decodeResp(t, raw); st != http.StatusOK || r.err(t) != nil {
			t.Errorf("exactly 1 MiB (chunked %v): HTTP %d %.200s, want a result", chunked, st, raw)
		}
	}
	if n := e.srv.Admin().Count(); n != count0+2 {
		t.Errorf("two 1 MiB bodies: %d databases, want %d", n, count0+2)
	}
}

// TestReviewContentType: the docs' own curl examples send -d (form-urlencoded), so any
// Content-Type is read as JSON; a request with none, text/plain or a charset works the
// same, and the reply is application/json.
func TestReviewContentType(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8", "multipart/form-data; boundary=x", "application/xml"} {
		req, err := http.NewRequest(http.MethodPost, e.hs.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"herodb_listDatabases","params":{"limit":1}}`))
		if err != nil {
			t.Fatal(err)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("Authorization", "Bearer "+herodbtest.AdminSecret)
		resp, err := e.hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := decodeResp(t, raw)
		if resp.StatusCode != http.StatusOK || r.err(t) != nil {
			t.Errorf("Content-Type %q: HTTP %d %s", ct, resp.StatusCode, raw)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type %q: reply Content-Type %q", ct, got)
		}
	}
}

// TestReviewBearerRefusedBeforeWork: a missing, malformed or wrong credential is HTTP 401
// with -32001 before anything else: no call runs (not in a batch either), a refused
// batch size, a parse error or a bad param is not reported, and the message is one
// constant text per case that never echoes the credential. A valid non-admin credential
// is 403 for the bulk methods and runs nothing.
func TestReviewBearerRefusedBeforeWork(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	e.srv.Admin().SetCredentialThrottle(time.Millisecond, 1<<20) // many refusals, no delays
	call := e.callFn()
	appID := asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "app"}}))
	_ = appID
	// (The tokens' secrets are in their createToken replies by design, so they are not
	// added to neverShow; each refusal below is checked not to echo them.)
	revoked := tkCreate(e, herodbtest.AdminSecret, "gone", tkAdminSc, nil)
	wantTrue(t, "revoke", tkOK(e, herodbtest.AdminSecret, "herodb_revokeToken", []any{revoked.ID}))
	readTok := tkCreate(e, herodbtest.AdminSecret, "reader", tkAppRead, nil)
	accessKey := tenantKey(t, e, "tenant")

	count0 := e.srv.Admin().Count()
	bodies := map[string]string{
		"bulk create":  `{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabases","params":[5]}`,
		"named create": `{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabase","params":["Redb",{"name":"intruder"}]}`,
		"batch": `[{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabases","params":[5]},` +
			`{"jsonrpc":"2.0","id":2,"method":"herodb_createDatabase","params":["Redb",{"name":"intruder2"}]}]`,
		"batch of 101":  "[" + strings.TrimSuffix(strings.Repeat(`{"jsonrpc":"2.0","id":1,"method":"herodb_createDatabases","params":[1]},`, 101), ",") + "]",
		"parse error":   `{"jsonrpc":"2.0","id":1,"method":`,
		"bad params":    `{"jsonrpc":"2.0","id":1,"method":"herodb_listDatabases","params":{"limit":0}}`,
		"notification":  `{"jsonrpc":"2.0","method":"herodb_createDatabases","params":[5]}`,
		"no method":     `{"jsonrpc":"2.0","id":1,"method":"herodb_nope"}`,
		"empty batch":   `[]`,
		"not a request": `42`,
	}
	creds := []struct {
		what   string
		header string // the whole Authorization value; "" for none
		secret string // must never be echoed
	}{
		{"none", "", ""},
		{"scheme only", "Bearer", ""},
		{"scheme and space", "Bearer ", ""},
		{"basic", "Basic " + herodbtest.AdminSecret, herodbtest.AdminSecret},
		{"wrong secret", "Bearer wrong-admin-secret-0123456789", "wrong-admin-secret-0123456789"},
		{"secret plus one", "Bearer " + herodbtest.AdminSecret + "x", herodbtest.AdminSecret + "x"},
		{"secret minus one", "Bearer " + herodbtest.AdminSecret[:len(herodbtest.AdminSecret)-1], herodbtest.AdminSecret[:len(herodbtest.AdminSecret)-1]},
		{"fake token", "Bearer hdbt_0123456789abcdef_" + strings.Repeat("A", 43), "hdbt_0123456789abcdef_"},
		{"revoked token", "Bearer " + revoked.Token, revoked.Token},
		{"jwt shaped", "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln", "eyJhbGciOiJFZERTQSJ9"},
		{"huge", "Bearer " + strings.Repeat("z", 8000), strings.Repeat("z", 100)},
	}
	messages := map[int]map[string]bool{} // 0: missing kinds, 1: wrong kinds
	for _, c := range creds {
		for name, body := range bodies {
			req, err := http.NewRequest(http.MethodPost, e.hs.URL, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
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
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s credential, %s: HTTP %d %.200s, want 401", c.what, name, resp.StatusCode, raw)
				continue
			}
			var r struct {
				ID    json.RawMessage `json:"id"`
				Error *jsonrpc2.Error `json:"error"`
			}
			if err := json.Unmarshal(raw, &r); err != nil || r.Error == nil || r.Error.Code != rpc.CodeUnauthorized {
				t.Errorf("%s credential, %s: %s, want one -32001 object", c.what, name, raw)
				continue
			}
			if string(r.ID) != "null" {
				t.Errorf("%s credential, %s: id %s before authentication, want null", c.what, name, r.ID)
			}
			if c.secret != "" && strings.Contains(string(raw), c.secret) {
				t.Errorf("%s credential, %s: the reply echoes the credential: %.200s", c.what, name, raw)
			}
			kind := 1
			if strings.HasPrefix(c.what, "none") || strings.HasPrefix(c.what, "scheme") || c.what == "basic" {
				kind = 0
			}
			if messages[kind] == nil {
				messages[kind] = map[string]bool{}
			}
			messages[kind][r.Error.Message] = true
		}
	}
	for kind, ms := range messages {
		if len(ms) != 1 {
			var list []string
			for m := range ms {
				list = append(list, m)
			}
			sort.Strings(list)
			t.Errorf("refusals of kind %d answer %d different messages (a hint): %q", kind, len(list), list)
		}
	}
	for m := range messages[1] {
		if m != "invalid credential" {
			t.Errorf("wrong credential message %q, want the constant \"invalid credential\"", m)
		}
	}
	if n := e.srv.Admin().Count(); n != count0 {
		t.Errorf("unauthenticated requests created databases: %d, was %d", n, count0)
	}
	for _, name := range []string{"intruder", "intruder2"} {
		if _, ok := e.srv.Admin().Database(name); ok {
			t.Errorf("database %q was created without a credential", name)
		}
	}

	// Valid but not the admin: 403, nothing created, in a batch too.
	for _, bearer := range []string{readTok.Token, accessKey} {
		for _, params := range []any{[]any{5}, []any{0}, map[string]any{"count": 10001}} {
			st, _, rerr, raw := tkCall(e, bearer, "herodb_createDatabases", params)
			if st != http.StatusForbidden || rerr == nil || rerr.Code != rpc.CodeForbidden {
				t.Errorf("non-admin createDatabases %v: HTTP %d %s, want 403 -32003", params, st, raw)
			}
		}
		st, _, rerr, raw := tkCall(e, bearer, "herodb_listDatabases", map[string]any{"cursor": nil, "limit": 1000})
		if st != http.StatusForbidden || rerr == nil || rerr.Code != rpc.CodeForbidden {
			t.Errorf("non-admin listDatabases: HTTP %d %s, want 403", st, raw)
		}
		st, _, body := e.do(http.MethodPost, "/", bearer, strings.NewReader(bodies["batch"]))
		if st != http.StatusOK {
			t.Errorf("non-admin batch: HTTP %d %s", st, body)
		}
		for _, r := range decodeBatch(t, body) {
			if rerr := r.err(t); rerr == nil || rerr.Code != rpc.CodeForbidden {
				t.Errorf("non-admin batch entry: %s, want -32003", body)
			}
		}
	}
	if n := e.srv.Admin().Count(); n != count0 {
		t.Errorf("non-admin requests created databases: %d, was %d", n, count0)
	}
}

// TestReviewRequestIDNegativeEchoedWrong: a request's id comes back as it was sent. A
// request with "id": -1 once ran with "id": 18446744073709551615 in its reply (jsonrpc2
// v0.2.3's request type kept a numeric id as a uint64), so a client matching replies by
// id (every batch client) lost the reply, or matched it to another request.
func TestReviewRequestIDNegativeEchoedWrong(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	for _, id := range []string{`-1`, `-2`, `-9223372036854775808`} {
		st, raw := e.post(`{"jsonrpc":"2.0","id":` + id + `,"method":"herodb_getServerInfo"}`)
		r := decodeResp(t, raw)
		if string(r.ID) != id && r.err(t) == nil {
			t.Errorf("id %s: HTTP %d, the call ran and its reply carries id %s; want id %s (or a -32600 refusal)", id, st, r.ID, id)
		}
	}
	// In a batch the wrong echo collides with a request that really used that id.
	st, raw := e.post(`[{"jsonrpc":"2.0","id":-1,"method":"herodb_createDatabases","params":[1]},` +
		`{"jsonrpc":"2.0","id":18446744073709551615,"method":"herodb_getServerInfo"}]`)
	var out []wireResp
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("HTTP %d %s", st, raw)
	}
	for _, r := range out {
		if string(r.ID) == "18446744073709551615" && r.Error == nil && bytes.HasPrefix(r.Result, []byte("[")) {
			t.Errorf("batch: the createDatabases reply of request -1 is labelled 18446744073709551615: %s", raw)
		}
	}
}

// TestReviewRequestIDsNumeric: JSON-RPC 2.0 lets an id be any Number or String: a
// fraction, an exponent or a number past int64 (1.5, 1e3, 2^64) runs and is echoed as
// sent (they were refused as "not a JSON-RPC 2.0 request").
func TestReviewRequestIDsNumeric(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	for _, id := range []string{`0`, `"x"`, `""`, `9223372036854775807`, `18446744073709551615`, `1.5`, `1e3`, `18446744073709551616`} {
		st, raw := e.post(`{"jsonrpc":"2.0","id":` + id + `,"method":"herodb_getServerInfo"}`)
		r := decodeResp(t, raw)
		if st != http.StatusOK || r.err(t) != nil || string(r.ID) != id {
			t.Errorf("id %s: HTTP %d %s; want a result with id %s", id, st, raw, id)
		}
	}
}
