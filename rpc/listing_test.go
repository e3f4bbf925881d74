package rpc_test

// listDatabases at scale (issue 14): pages by cursor, the plain array of HeroDB's form up
// to a bound, consistency while other callers create and delete, and no file opened by a
// listing.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/storage"
)

// listPage is one page of listDatabases as it is on the wire.
type listPage struct {
	Databases []json.RawMessage `json:"databases"`
	Cursor    *uint64           `json:"cursor"`
}

func asPage(t *testing.T, res json.RawMessage) listPage {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(res, &fields); err != nil {
		t.Fatalf("listDatabases page %s is not an object: %v", res, err)
	}
	if len(fields) != 2 || fields["databases"] == nil || fields["cursor"] == nil {
		t.Fatalf("listDatabases page %s: want exactly databases and cursor", res)
	}
	var p listPage
	if err := json.Unmarshal(res, &p); err != nil {
		t.Fatal(err)
	}
	if p.Databases == nil {
		t.Fatalf("listDatabases page %s: databases is not an array", res)
	}
	return p
}

// walkPages pages through listDatabases with limit, by name or by position, checking
// each page, and returns the ids in the order seen and the number of pages.
func walkPages(t *testing.T, call callFn, limit int, positional bool) (ids []uint64, pages int) {
	t.Helper()
	var cursor any // nil: JSON null
	for pages = 1; ; pages++ {
		var params any = map[string]any{"cursor": cursor, "limit": limit}
		if positional {
			params = []any{cursor, limit}
		}
		p := asPage(t, mustOK(t, call, "herodb_listDatabases", params))
		if len(p.Databases) > limit {
			t.Fatalf("page %d holds %d databases, limit %d", pages, len(p.Databases), limit)
		}
		for _, raw := range p.Databases {
			ids = append(ids, asInfo(t, raw).ID)
		}
		if p.Cursor == nil {
			return ids, pages
		}
		if pages > 10000 {
			t.Fatal("the cursor never became null")
		}
		cursor = *p.Cursor
	}
}

// TestListDatabasesPages: 250 databases (some deleted) paged 7 at a time, by name and by
// position, are each seen once, in id order, and the cursor is null at the end.
func TestListDatabasesPages(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	var live []uint64
	for i := 1; i <= 250; i++ {
		d, err := e.srv.Admin().CreateDatabase(admin.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i%9 == 0 {
			wantTrue(t, "delete", mustOK(t, call, "herodb_deleteDatabase", []any{d.ID}))
			continue
		}
		live = append(live, d.ID)
	}
	for _, positional := range []bool{false, true} {
		ids, pages := walkPages(t, call, 7, positional)
		if fmt.Sprint(ids) != fmt.Sprint(live) {
			t.Errorf("positional %v: walk saw %v,\nwant %v", positional, ids, live)
		}
		if want := (len(live) + 6) / 7; pages != want {
			t.Errorf("positional %v: %d pages of 7 for %d databases, want %d", positional, pages, len(live), want)
		}
	}
	// Default limit 100: a cursor alone, null or absent.
	for _, params := range []any{map[string]any{"cursor": nil}, map[string]any{"limit": nil}, []any{nil}} {
		p := asPage(t, mustOK(t, call, "herodb_listDatabases", params))
		if len(p.Databases) != 100 || p.Cursor == nil || *p.Cursor != live[99] {
			t.Errorf("%v: %d databases, cursor %v; want 100 and cursor %d", params, len(p.Databases), p.Cursor, live[99])
		}
	}
	// Past the end: an empty page, the listing complete.
	p := asPage(t, mustOK(t, call, "herodb_listDatabases", map[string]any{"cursor": live[len(live)-1], "limit": 5}))
	if len(p.Databases) != 0 || p.Cursor != nil {
		t.Errorf("after the last database: %+v", p)
	}
	p = asPage(t, mustOK(t, call, "hero_listDatabases", map[string]any{"cursor": uint64(1) << 60}))
	if len(p.Databases) != 0 || p.Cursor != nil {
		t.Errorf("cursor far past the end: %+v", p)
	}
	// HeroDB's form: the plain array, the same databases.
	for _, params := range []any{nil, []any{}, map[string]any{}, json.RawMessage(`null`)} {
		all := asInfos(t, mustOK(t, call, "herodb_listDatabases", params))
		if len(all) != len(live) {
			t.Errorf("%v: %d databases, want %d", params, len(all), len(live))
		}
		for _, id := range live {
			if _, ok := all[id]; !ok {
				t.Errorf("%v lacks database %d", params, id)
			}
		}
	}
}

// TestListDatabasesParamErrors: a bad cursor or limit is -32602 naming the param.
func TestListDatabasesParamErrors(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	asID(t, mustOK(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "app"}}))
	cases := []struct {
		params string
		msgHas []string
	}{
		{`{"cursor":"abc"}`, []string{`"cursor"`, "integer"}},
		{`{"cursor":"7"}`, []string{`"cursor"`}},
		{`{"cursor":-1}`, []string{`"cursor"`}},
		{`{"cursor":1.5}`, []string{`"cursor"`}},
		{`{"cursor":1e3}`, []string{`"cursor"`}},
		{`{"cursor":true}`, []string{`"cursor"`}},
		{`{"cursor":{}}`, []string{`"cursor"`}},
		{`{"cursor":[1]}`, []string{`"cursor"`}},
		{`{"cursor":18446744073709551616}`, []string{`"cursor"`}},
		{`{"limit":0}`, []string{`"limit"`, "1 to 1000"}},
		{`{"limit":1001}`, []string{`"limit"`, "1 to 1000"}},
		{`{"limit":-5}`, []string{`"limit"`}},
		{`{"limit":2.5}`, []string{`"limit"`}},
		{`{"limit":"10"}`, []string{`"limit"`}},
		{`{"limit":true}`, []string{`"limit"`}},
		{`{"cursor":null,"limit":0}`, []string{`"limit"`}},
		{`[null,0]`, []string{`"limit"`}},
		{`["x",10]`, []string{`"cursor"`}},
		{`{"after":3}`, []string{`"after"`}},
		{`{"cursor":null,"limit":10,"all":true}`, []string{`"all"`}},
		{`[null,10,1]`, []string{"at most 2"}},
		{`"cursor"`, []string{"params"}},
	}
	for _, c := range cases {
		for _, prefix := range []string{"herodb_", "hero_"} {
			mustFail(t, call, prefix+"listDatabases", json.RawMessage(c.params), rpc.CodeInvalidParams, c.msgHas...)
		}
	}
	// The edges of the range are fine.
	for _, params := range []string{`{"limit":1}`, `{"limit":1000}`, `{"cursor":0,"limit":1}`} {
		asPage(t, mustOK(t, call, "herodb_listDatabases", json.RawMessage(params)))
	}
}

// TestListDatabasesUnpagedBound: HeroDB's form answers the plain array while there are
// at most the bound (10,000; lowered here to 5), and past it an error that says how to
// paginate; pages work whatever the number. Not parallel: the bound is the package's.
func TestListDatabasesUnpagedBound(t *testing.T) {
	defer rpc.SetMaxUnpagedList(5)()
	e := newRPCEnv(t)
	call := e.callFn()
	var ids []uint64
	for i := 0; i < 6; i++ {
		ids = append(ids, asID(t, mustOK(t, call, "herodb_createDatabase", []any{"bbolt", map[string]any{}})))
	}
	for _, params := range []any{nil, []any{}, map[string]any{}} {
		mustFail(t, call, "herodb_listDatabases", params, rpc.CodeInvalidParams,
			"more than 5 databases", "paginate", `{"cursor":null,"limit":100}`)
	}
	if ids2, _ := walkPages(t, call, 100, false); len(ids2) != 6 {
		t.Errorf("paged past the bound: %v", ids2)
	}
	wantTrue(t, "delete", mustOK(t, call, "herodb_deleteDatabase", []any{ids[0]}))
	if all := asInfos(t, mustOK(t, call, "herodb_listDatabases", []any{})); len(all) != 5 {
		t.Errorf("at the bound: %d databases, want 5", len(all))
	}
}

// TestListDatabasesUnpagedBoundAtScale: the real bound. 10,000 databases (made in one
// DB 0 transaction: they have no files) come back as the plain array; one more and the
// plain form says to paginate, while pages of 1000 still walk them all.
func TestListDatabasesUnpagedBoundAtScale(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	call := e.callFn()
	if _, err := e.srv.Admin().CreateDatabases(10000, admin.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var all []json.RawMessage
	if err := json.Unmarshal(mustOK(t, call, "herodb_listDatabases", []any{}), &all); err != nil || len(all) != 10000 {
		t.Fatalf("10,000 databases: the plain form answered %d (%v)", len(all), err)
	}
	if _, err := e.srv.Admin().CreateDatabase(admin.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mustFail(t, call, "herodb_listDatabases", nil, rpc.CodeInvalidParams, "more than 10000 databases", `{"cursor":null,"limit":100}`)
	if ids, pages := walkPages(t, call, 1000, false); len(ids) != 10001 || pages != 11 {
		t.Errorf("paged: %d databases in %d pages, want 10001 in 11", len(ids), pages)
	}
}

// churnLog records, on one sequence, when each churned database came to exist and when
// its deletion began, so a walk can tell which databases existed for the whole of it.
type churnLog struct {
	mu      sync.Mutex
	seq     uint64
	created map[uint64]uint64 // id → seq after its create returned
	deleted map[uint64]uint64 // id → seq before its delete was sent
}

func (l *churnLog) tick() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return l.seq
}

// TestListDatabasesUnderChurn: 4 callers create and delete databases while 4 others page
// through listDatabases (and call HeroDB's form) under -race. No call fails, every walk
// is in increasing id order with no repeat, and holds every database that existed for
// the whole walk: the 30 never touched and the churned ones created before it began and
// not deleted before it ended.
func TestListDatabasesUnderChurn(t *testing.T) {
	t.Parallel()
	e := newRPCEnv(t)
	url, cred := e.hs.URL, herodbtest.AdminSecret
	stable := map[uint64]bool{}
	for i := 0; i < 30; i++ {
		d, err := e.srv.Admin().CreateDatabase(admin.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		stable[d.ID] = true
	}
	log := &churnLog{created: map[uint64]uint64{}, deleted: map[uint64]uint64{}}
	stop := make(chan struct{})
	var failed atomic.Bool
	fail := func(format string, args ...any) {
		failed.Store(true)
		t.Errorf(format, args...)
	}

	var churn sync.WaitGroup
	for g := 0; g < 4; g++ {
		churn.Add(1)
		go func(g int) {
			defer churn.Done()
			var mine []uint64
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if len(mine) < 6 || i%2 == 0 {
					var id uint64
					if err := rpc.Call(url, cred, "herodb_createDatabase", []any{"bbolt", map[string]any{}}, &id); err != nil {
						fail("churn %d: createDatabase: %v", g, err)
						return
					}
					log.mu.Lock()
					log.seq++
					log.created[id] = log.seq
					log.mu.Unlock()
					mine = append(mine, id)
					continue
				}
				k := rand.IntN(len(mine))
				id := mine[k]
				mine = append(mine[:k], mine[k+1:]...)
				log.mu.Lock()
				log.seq++
				log.deleted[id] = log.seq
				log.mu.Unlock()
				if err := rpc.Call(url, cred, "herodb_deleteDatabase", []any{id}, nil); err != nil {
					fail("churn %d: deleteDatabase %d: %v", g, id, err)
					return
				}
			}
		}(g)
	}

	// walk lists everything once: by pages of limit (by name or position), or with
	// HeroDB's form when limit is 0.
	walk := func(limit int, positional bool) ([]uint64, error) {
		if limit == 0 {
			var all []struct {
				ID       uint64 `json:"id"`
				KeyCount *int64 `json:"key_count"`
			}
			err := rpc.Call(url, cred, "herodb_listDatabases", nil, &all)
			ids := make([]uint64, len(all))
			for i, d := range all {
				ids[i] = d.ID
			}
			return ids, err
		}
		var ids []uint64
		var cursor any
		for {
			var params any = map[string]any{"cursor": cursor, "limit": limit}
			if positional {
				params = []any{cursor, limit}
			}
			var p struct {
				Databases []struct {
					ID uint64 `json:"id"`
				} `json:"databases"`
				Cursor *uint64 `json:"cursor"`
			}
			if err := rpc.Call(url, cred, "herodb_listDatabases", params, &p); err != nil {
				return ids, err
			}
			if len(p.Databases) > limit {
				return ids, fmt.Errorf("a page of limit %d holds %d", limit, len(p.Databases))
			}
			for _, d := range p.Databases {
				ids = append(ids, d.ID)
			}
			if p.Cursor == nil {
				return ids, nil
			}
			cursor = *p.Cursor
		}
	}

	var walks atomic.Int64
	var listers sync.WaitGroup
	deadline := time.Now().Add(3 * time.Second)
	for g := 0; g < 4; g++ {
		listers.Add(1)
		go func(g int) {
			defer listers.Done()
			for w := 0; time.Now().Before(deadline) && !failed.Load(); w++ {
				limit := []int{0, 1, 3, 7, 13, 100}[(g+w)%6]
				positional := w%3 == 1
				start := log.tick()
				ids, err := walk(limit, positional)
				if err != nil {
					fail("lister %d, walk %d (limit %d): %v", g, w, limit, err)
					return
				}
				log.mu.Lock()
				log.seq++
				end := log.seq
				var want []uint64
				for id, c := range log.created {
					if d, gone := log.deleted[id]; c < start && (!gone || d > end) {
						want = append(want, id)
					}
				}
				log.mu.Unlock()
				seen := map[uint64]int{}
				for i, id := range ids {
					seen[id]++
					if i > 0 && id <= ids[i-1] {
						fail("lister %d, walk %d (limit %d): ids out of order or repeated: %d after %d", g, w, limit, id, ids[i-1])
						return
					}
				}
				for id := range stable {
					if seen[id] != 1 {
						fail("lister %d, walk %d (limit %d): untouched database %d seen %d times", g, w, limit, id, seen[id])
					}
				}
				for _, id := range want {
					if seen[id] != 1 {
						fail("lister %d, walk %d (limit %d): database %d, live for the whole walk, seen %d times", g, w, limit, id, seen[id])
					}
				}
				walks.Add(1)
			}
		}(g)
	}
	listers.Wait()
	close(stop)
	churn.Wait()
	log.mu.Lock()
	created, deleted := len(log.created), len(log.deleted)
	log.mu.Unlock()
	if walks.Load() < 8 || deleted < 8 {
		t.Errorf("too little happened to test anything: %d walks, %d creates, %d deletes", walks.Load(), created, deleted)
	}
	t.Logf("%d walks while %d databases were created and %d deleted", walks.Load(), created, deleted)
}

// dbFDs counts this process's descriptors open on tenant database files under dir (not
// DB 0's).
func dbFDs(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		if strings.HasPrefix(target, dir+string(filepath.Separator)) && strings.HasSuffix(target, ".db") && filepath.Base(target) != "0.db" {
			n++
		}
	}
	return n
}

// TestListDatabasesOpensNoFile: with every file closed (idle close of 1 ms), listing by
// pages and in HeroDB's form opens none (key_count null); a file open in the cache shows
// its key count; getDatabaseInfo still opens and counts.
func TestListDatabasesOpensNoFile(t *testing.T) {
	t.Parallel()
	srv := startServerWith(t, herodbtest.Options{Configure: func(c *server.Config) { c.IdleClose = time.Millisecond }})
	e := serveRPC(t, srv, rpc.Config{})
	call := e.callFn()
	files := srv.Admin().Files()
	pub := srv.CreateDatabase(t, "pub", true)
	for i := 0; i < 12; i++ {
		srv.CreateDatabase(t, "", false)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(pub), MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, k := range []string{"a", "b", "c"} {
		if err := rdb.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// Closed for good: the close that flushes pub's writes makes its file (files are made
	// by their first flush), so wait for the file too, not only for an empty cache.
	made := func() bool { _, err := os.Stat(storage.FilePath(srv.Dir, pub)); return err == nil }
	deadline := time.Now().Add(10 * time.Second)
	for (files.OpenCount() > 0 || dbFDs(t, srv.Dir) > 0 || !made()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n, fds := files.OpenCount(), dbFDs(t, srv.Dir); n > 0 || fds > 0 {
		t.Fatalf("files never closed: %d in the cache, %d descriptors", n, fds)
	}
	checkClosed := func(what string, raws []json.RawMessage) {
		t.Helper()
		if n, fds := files.OpenCount(), dbFDs(t, srv.Dir); n > 0 || fds > 0 {
			t.Errorf("%s opened files: %d in the cache, %d descriptors", what, n, fds)
		}
		if len(raws) != 13 {
			t.Errorf("%s: %d databases, want 13", what, len(raws))
		}
		for _, raw := range raws {
			asInfo(t, raw)
			if !strings.Contains(string(raw), `"key_count":null`) {
				t.Errorf("%s: a database whose file is closed: %s, want key_count null", what, raw)
			}
		}
	}
	var raws []json.RawMessage
	var cursor any
	for {
		p := asPage(t, mustOK(t, call, "herodb_listDatabases", map[string]any{"cursor": cursor, "limit": 5}))
		raws = append(raws, p.Databases...)
		if p.Cursor == nil {
			break
		}
		cursor = *p.Cursor
	}
	checkClosed("paging", raws)
	raws = nil
	if err := json.Unmarshal(mustOK(t, call, "herodb_listDatabases", nil), &raws); err != nil {
		t.Fatal(err)
	}
	checkClosed("HeroDB's form", raws)

	// A file open in the cache: its key count is shown, read from the open file.
	_, release, err := srv.Admin().Acquire(pub)
	if err != nil {
		t.Fatal(err)
	}
	p := asPage(t, mustOK(t, call, "herodb_listDatabases", map[string]any{"limit": 1}))
	if len(p.Databases) != 1 || !strings.Contains(string(p.Databases[0]), `"key_count":3`) {
		t.Errorf("the open database %d: %s, want key_count 3", pub, p.Databases)
	}
	release()
	// getDatabaseInfo opens a closed file and counts.
	for files.OpenCount() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if d := asInfo(t, mustOK(t, call, "herodb_getDatabaseInfo", []any{pub})); d.KeyCount != 3 || d.ID != pub {
		t.Errorf("getDatabaseInfo of database %d: %+v, want 3 keys", pub, d)
	}
}
