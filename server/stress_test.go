package server_test

// The concurrency storm of issue 11 (finding 3), as users cause it: 8 goroutines create
// and delete databases and rotate their access keys through the admin API while 16
// go-redis clients on real loopback connections SELECT those databases with their keys,
// read and write. Files close after 1 ms idle, so SELECTs keep opening closed files
// while management runs. It asserts that every call returns (a watchdog names what is
// stuck and dumps the goroutines), that PING and a GET of a cold database answer within
// a liveness bound throughout, and that clients only ever see the errors a racing
// revocation or deletion explains. Run it under -race (make test does).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

const (
	stStorm    = 3 * time.Second
	stManagers = 8
	stClients  = 16
	// stLive is the liveness bound for one PING (and one GET of a cold database) during
	// the storm: generous for a loaded CI machine under -race. Not a speed goal: a
	// deadlock or a cache-wide lock held across file opens is what it catches.
	stLive = 5 * time.Second
	// stHang is how long any one call may take before the test calls it hung.
	stHang = 30 * time.Second
)

// stExpected are the replies a client may get while its database is deleted or its key
// rotated under it (digits folded to N).
var stExpected = map[string]bool{
	"ERR the selected database was deleted; SELECT another":              true, // deleted while selected
	"ERR DB index is out of range":                                       true, // SELECT of a deleted one
	"WRONGPASS invalid username-password pair or user is disabled.":      true, // a key rotated away
	"NOAUTH this database needs a key: SELECT <db> KEY <key>":            true,
	"NOAUTH no database selected: SELECT <db> [KEY <key>] or AUTH first": true, // after one of the above
	"ERR database N does not exist":                                      true, // opened as it was deleted
	"ERR database N has no key":                                          true, // idem, after the key was shredded
}

var stDigits = regexp.MustCompile(`[0-9]+`)

func stKind(err error) string { return stDigits.ReplaceAllString(err.Error(), "N") }

// stPool is the set of live databases and their current access key, as management
// publishes them; clients read it (and may read a key a moment before it is rotated).
type stPool struct {
	mu  sync.Mutex
	dbs map[uint64]string
}

func (p *stPool) pick(r *rand.Rand) (uint64, string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.dbs) == 0 {
		return 0, "", false
	}
	ids := make([]uint64, 0, len(p.dbs))
	for id := range p.dbs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	id := ids[r.IntN(len(ids))]
	return id, p.dbs[id], true
}

func (p *stPool) set(id uint64, key string) { p.mu.Lock(); p.dbs[id] = key; p.mu.Unlock() }

// take removes and returns one database, keeping at least keep.
func (p *stPool) take(r *rand.Rand, keep int) (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.dbs) <= keep {
		return 0, false
	}
	ids := make([]uint64, 0, len(p.dbs))
	for id := range p.dbs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	id := ids[r.IntN(len(ids))]
	delete(p.dbs, id)
	return id, true
}

// stCalls tracks every call in flight, so a hang is reported with its name and age.
type stCalls struct {
	mu       sync.Mutex
	inflight map[int]stCall
	next     int
	maxDur   map[string]time.Duration
	count    map[string]int
}

type stCall struct {
	what  string
	start time.Time
}

func (c *stCalls) do(what string, fn func() error) error {
	c.mu.Lock()
	c.next++
	n := c.next
	start := time.Now()
	c.inflight[n] = stCall{what, start}
	c.mu.Unlock()
	err := fn()
	d := time.Since(start)
	c.mu.Lock()
	delete(c.inflight, n)
	c.count[what]++
	if d > c.maxDur[what] {
		c.maxDur[what] = d
	}
	c.mu.Unlock()
	return err
}

func (c *stCalls) stuck() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, call := range c.inflight {
		out = append(out, fmt.Sprintf("%s (for %v)", call.what, time.Since(call.start).Round(time.Millisecond)))
	}
	sort.Strings(out)
	return out
}

func (c *stCalls) summary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for k := range c.count {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "\n  %-14s %7d calls, slowest %v", k, c.count[k], c.maxDur[k].Round(time.Millisecond))
	}
	return b.String()
}

// stErrors counts error kinds.
type stErrors struct {
	mu    sync.Mutex
	kinds map[string]int
}

func (e *stErrors) add(kind string) { e.mu.Lock(); e.kinds[kind]++; e.mu.Unlock() }

func stAccessKey(r *rand.Rand) string {
	return fmt.Sprintf("stress-%016x%016x", r.Uint64(), r.Uint64())
}

func TestStressManagementVsDataPlane(t *testing.T) {
	a, err := admin.Open(admin.Config{Dir: t.TempDir(), Secret: []byte(herodbtest.AdminSecret),
		KDF: crypto.TestKDF, IdleClose: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	logs := &stLog{}
	srv, err := server.Start(server.Config{Dir: a.Dir(), AdminSecret: []byte(herodbtest.AdminSecret),
		KDF: crypto.TestKDF, Admin: a, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Bounded: after a hang, Close would hang too and stall the whole package.
		closed := make(chan struct{})
		go func() { srv.Close(); a.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(stHang):
			t.Errorf("closing the server and admin did not finish in %v", stHang)
		}
	})
	addr := srv.Addr()
	probe, err := a.CreateDatabase(admin.CreateOptions{Name: "probe", Public: admin.AccessReadWrite})
	tNoErr(t, "create probe", err)
	probeDB := probe.ID

	pool := &stPool{dbs: map[uint64]string{}}
	seed := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 16; i++ {
		d, err := a.CreateDatabase(admin.CreateOptions{})
		tNoErr(t, "create", err)
		key := stAccessKey(seed)
		tNoErr(t, "add key", a.AddAccessKey(d.ID, key, admin.AccessReadWrite))
		pool.set(d.ID, key)
	}

	calls := &stCalls{inflight: map[int]stCall{}, maxDur: map[string]time.Duration{}, count: map[string]int{}}
	mgmtErrs := &stErrors{kinds: map[string]int{}}
	dataErrs := &stErrors{kinds: map[string]int{}}
	var unexpected atomic.Int64
	var mu sync.Mutex
	var samples []string
	oops := func(what string, err error) {
		if unexpected.Add(1) <= 10 {
			mu.Lock()
			samples = append(samples, fmt.Sprintf("%s: %v", what, err))
			mu.Unlock()
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), stStorm)
	defer cancel()
	var wg sync.WaitGroup

	// Management: create (with a key), rotate a key (add the new one, publish it, delete
	// the old one), look, delete. ENOTFOUND is what a racing delete explains.
	mgmt := func(what string, err error) {
		if err == nil {
			return
		}
		if admin.ErrorCode(err) == admin.ENOTFOUND {
			mgmtErrs.add(what + ": not_found")
			return
		}
		mgmtErrs.add(what + ": " + stKind(err))
		oops(what, err)
	}
	var created, deleted, rotated atomic.Int64
	for w := 0; w < stManagers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ctx.Err() == nil; i++ {
				switch i % 4 {
				case 0:
					var d *admin.Database
					err := calls.do("createDatabase", func() (err error) {
						d, err = a.CreateDatabase(admin.CreateOptions{Name: fmt.Sprintf("st-%d-%d", w, i)})
						return err
					})
					mgmt("createDatabase", err)
					if err != nil {
						continue
					}
					key := stAccessKey(r)
					err = calls.do("addAccessKey", func() error { return a.AddAccessKey(d.ID, key, admin.AccessReadWrite) })
					mgmt("addAccessKey", err)
					if err == nil {
						pool.set(d.ID, key)
						created.Add(1)
					}
				case 1, 3:
					id, old, ok := pool.pick(r)
					if !ok {
						continue
					}
					key := stAccessKey(r)
					err := calls.do("addAccessKey", func() error { return a.AddAccessKey(id, key, admin.AccessReadWrite) })
					mgmt("addAccessKey", err)
					if err != nil {
						continue
					}
					pool.mu.Lock()
					if _, live := pool.dbs[id]; live {
						pool.dbs[id] = key
					}
					pool.mu.Unlock()
					// The old key may be gone already (another manager rotated it).
					mgmt("deleteAccessKey", calls.do("deleteAccessKey", func() error {
						return a.DeleteAccessKey(id, crypto.SHA256Hex([]byte(old)))
					}))
					rotated.Add(1)
				case 2:
					if id, _, ok := pool.pick(r); ok {
						mgmt("databaseInfo", calls.do("databaseInfo", func() error { _, err := a.DatabaseInfo(id); return err }))
					}
					if id, ok := pool.take(r, 8); ok {
						mgmt("deleteDatabase", calls.do("deleteDatabase", func() error { return a.DeleteDatabase(id) }))
						deleted.Add(1)
					}
				}
			}
		}(w)
	}

	// Data plane: each client SELECTs a database with its current key and runs a few
	// reads and writes; an explained error sends it to another database (on a new
	// connection after a refused key, as a real client would reconnect).
	var selects, commands atomic.Int64
	for c := 0; c < stClients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 11))
			rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1,
				DialTimeout: stHang, ReadTimeout: 2 * stHang, WriteTimeout: 2 * stHang, MaxRetries: -1})
			defer rdb.Close()
			var conn *redis.Conn
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			result := func(what string, err error) (again bool) {
				if err == nil || errors.Is(err, redis.Nil) {
					return false
				}
				kind := stKind(err)
				dataErrs.add(kind)
				if !stExpected[kind] {
					oops(what, err)
				}
				return true
			}
			for ctx.Err() == nil {
				if conn == nil {
					conn = rdb.Conn()
				}
				id, key, ok := pool.pick(r)
				if !ok {
					continue
				}
				err := calls.do("SELECT", func() error {
					return conn.Do(context.Background(), "SELECT", strconv.FormatUint(id, 10), "KEY", key).Err()
				})
				selects.Add(1)
				if result("SELECT", err) {
					if strings.HasPrefix(err.Error(), "WRONGPASS") || isNetErr(err) {
						conn.Close()
						conn = nil
					}
					continue
				}
				k := fmt.Sprintf("c%d", c)
				for j := 0; j < 8 && ctx.Err() == nil; j++ {
					var err error
					var what string
					switch j % 4 {
					case 0:
						what, err = "SET", calls.do("SET", func() error { return conn.Set(context.Background(), k, j, 0).Err() })
					case 1:
						what, err = "GET", calls.do("GET", func() error { return conn.Get(context.Background(), k).Err() })
					case 2:
						what, err = "HSET", calls.do("HSET", func() error { return conn.HSet(context.Background(), k+":h", "f", j).Err() })
					case 3:
						what, err = "INCR", calls.do("INCR", func() error { return conn.Incr(context.Background(), k+":n").Err() })
					}
					commands.Add(1)
					if result(what, err) {
						if strings.HasPrefix(err.Error(), "WRONGPASS") || isNetErr(err) {
							conn.Close()
							conn = nil
						}
						break
					}
				}
			}
		}(c)
	}

	// Liveness: a PING, and a GET of a public database whose file the 1 ms idle close
	// keeps closing, must each answer within stLive all through the storm.
	var pings atomic.Int64
	var slowest atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		probe := redis.NewClient(&redis.Options{Addr: addr, DB: int(probeDB), Protocol: 2, PoolSize: 1,
			DialTimeout: stHang, ReadTimeout: 2 * stHang, WriteTimeout: 2 * stHang, MaxRetries: -1})
		defer probe.Close()
		for ctx.Err() == nil {
			for _, cmd := range []string{"PING", "GET"} {
				start := time.Now()
				err := calls.do("probe "+cmd, func() error {
					if cmd == "PING" {
						return probe.Ping(context.Background()).Err()
					}
					return probe.Get(context.Background(), "probe").Err()
				})
				d := time.Since(start)
				if int64(d) > slowest.Load() {
					slowest.Store(int64(d))
				}
				if err != nil && !errors.Is(err, redis.Nil) {
					oops("probe "+cmd, err)
				} else if d > stLive {
					oops("probe "+cmd, fmt.Errorf("answered after %v, over the liveness bound %v", d, stLive))
				}
				pings.Add(1)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stStorm + stHang):
		buf := make([]byte, 1<<22)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("the storm did not end %v after its %v: calls still in flight:\n  %s\ngoroutines:\n%s",
			stHang, stStorm, strings.Join(calls.stuck(), "\n  "), buf)
	}

	t.Logf("storm of %v: %d databases created, %d deleted, %d keys rotated; %d SELECTs, %d commands; %d liveness probes, slowest %v",
		stStorm, created.Load(), deleted.Load(), rotated.Load(), selects.Load(), commands.Load(),
		pings.Load(), time.Duration(slowest.Load()).Round(time.Millisecond))
	t.Logf("calls:%s", calls.summary())
	t.Logf("management errors: %v", mgmtErrs.kinds)
	t.Logf("client errors: %v", dataErrs.kinds)
	if n := unexpected.Load(); n > 0 {
		t.Errorf("%d unexpected errors, first ones:\n  %s\nserver errors logged:\n%s", n, strings.Join(samples, "\n  "), logs.String())
	}
	if created.Load() == 0 || selects.Load() == 0 || commands.Load() == 0 || pings.Load() == 0 {
		t.Fatal("the storm did not run")
	}

	// Afterwards every database left is usable with its key.
	pool.mu.Lock()
	left := make(map[uint64]string, len(pool.dbs))
	for id, key := range pool.dbs {
		left[id] = key
	}
	pool.mu.Unlock()
	c := tClient(t, addr, 0)
	conn := c.Conn()
	defer conn.Close()
	for id, key := range left {
		if err := conn.Do(tCtx, "SELECT", strconv.FormatUint(id, 10), "KEY", key).Err(); err != nil {
			t.Errorf("SELECT %d after the storm: %v", id, err)
			continue
		}
		if err := conn.Set(tCtx, "after", "1", 0).Err(); err != nil {
			t.Errorf("SET in %d after the storm: %v", id, err)
		}
	}
}

// stLog keeps the server's error log (the first 64 KiB), to show with a failure.
type stLog struct {
	mu sync.Mutex
	b  []byte
}

func (l *stLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.b) < 64<<10 {
		l.b = append(l.b, p...)
	}
	return len(p), nil
}

func (l *stLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return string(l.b) }

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, redis.ErrClosed) || strings.Contains(err.Error(), "EOF") ||
		strings.Contains(err.Error(), "connection reset")
}
