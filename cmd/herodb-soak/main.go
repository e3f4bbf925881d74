// Command herodb-soak runs the real herodb binary under a bounded soak (issue 11): it
// starts the server on a temporary directory with the RPC on, creates databases with
// access keys over the RPC, opens many RESP connections that SELECT those databases
// with their keys and read and write, revokes keys mid-run (rotations, and deletions
// followed by re-adding the same key), and prints throughput, errors by kind, the
// server's RSS over time and its goroutines back to baseline at the end.
//
// Goroutines are counted exactly, from outside, with the Go runtime's own scheduler
// trace (GODEBUG=schedtrace=1000,scheddetail=1 lists every goroutine once a second on
// the server's stderr); neither INFO nor getServerInfo reports them. The server's OS
// threads (from /proc/<pid>/status) are shown too, as a coarser signal: Go rarely gives
// threads back.
//
//	go run ./cmd/herodb-soak -bin bin/herodb -seconds 60
//
// It exits non-zero when the server dies, goroutines or connections do not come back
// to their baseline, or a client sees an error that revocations do not explain.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/rpc"
)

func main() {
	bin := flag.String("bin", "bin/herodb", "the herodb binary")
	seconds := flag.Int("seconds", envInt("SOAK_SECONDS", 60), "how long the load runs (env SOAK_SECONDS)")
	conns := flag.Int("conns", envInt("SOAK_CONNS", 1000), "RESP connections (env SOAK_CONNS)")
	dbs := flag.Int("dbs", envInt("SOAK_DBS", 100), "databases (env SOAK_DBS)")
	revokeEvery := flag.Duration("revoke-every", 100*time.Millisecond, "one key revocation this often")
	syncMode := flag.String("sync", envStr("SOAK_SYNC", "always"), "the server's --sync (env SOAK_SYNC)")
	keep := flag.Bool("keep", false, "keep the data directory and the server log")
	flag.Parse()
	s := &soak{bin: *bin, dur: time.Duration(*seconds) * time.Second, conns: *conns, ndbs: *dbs,
		revokeEvery: *revokeEvery, sync: *syncMode, keep: *keep,
		errs: map[string]int{}, mgmtErrs: map[string]int{}}
	code := s.run()
	os.Exit(code)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

type soak struct {
	bin         string
	dur         time.Duration
	conns, ndbs int
	revokeEvery time.Duration
	sync        string
	keep        bool

	dir, secret      string
	respAddr, rpcURL string
	cmd              *exec.Cmd
	exited           chan struct{}
	exitErr          error
	goroutines       atomic.Int64 // live goroutines in the last scheduler trace (-1: none yet)
	traces           atomic.Int64

	keysMu sync.Mutex
	dbIDs  []uint64
	keys   map[uint64]string

	ops, selects, reconnects, revocations atomic.Int64
	errMu                                 sync.Mutex
	errs, mgmtErrs                        map[string]int
	unexpected                            []string
	lat, selLat                           hist
}

// hist is a latency histogram in power-of-two microsecond buckets.
type hist struct{ b [40]atomic.Int64 }

func (h *hist) add(d time.Duration) {
	us := uint64(d / time.Microsecond)
	h.b[bits.Len64(us)].Add(1)
}

func (h *hist) quantile(q float64) time.Duration {
	var total int64
	for i := range h.b {
		total += h.b[i].Load()
	}
	if total == 0 {
		return 0
	}
	want, seen := int64(float64(total)*q), int64(0)
	for i := range h.b {
		seen += h.b[i].Load()
		if seen > want {
			return time.Duration(uint64(1)<<i) * time.Microsecond // the bucket's upper edge
		}
	}
	return 0
}

func (h *hist) max() time.Duration {
	for i := len(h.b) - 1; i >= 0; i-- {
		if h.b[i].Load() > 0 {
			return time.Duration(uint64(1)<<i) * time.Microsecond
		}
	}
	return 0
}

func (s *soak) run() int {
	var err error
	if s.dir, err = os.MkdirTemp("", "herodb-soak-"); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 1
	}
	if !s.keep {
		defer os.RemoveAll(s.dir)
	}
	if err := s.start(); err != nil {
		fmt.Fprintln(os.Stderr, "soak: start:", err)
		return 1
	}
	defer s.stop()
	fmt.Printf("herodb soak: %d connections over %d databases for %v, one revocation every %v, --sync %s\n",
		s.conns, s.ndbs, s.dur, s.revokeEvery, s.sync)
	fmt.Printf("  server pid %d, RESP %s, RPC %s, dir %s\n", s.cmd.Process.Pid, s.respAddr, s.rpcURL, s.dir)

	t0 := time.Now()
	if err := s.setup(); err != nil {
		fmt.Fprintln(os.Stderr, "soak: setup:", err)
		return 1
	}
	fmt.Printf("  created %d databases with an access key each over the RPC in %v\n", s.ndbs, time.Since(t0).Round(time.Millisecond))

	// Baseline: the server idle with every database created (their files open).
	time.Sleep(2500 * time.Millisecond)
	base := s.sample()
	baseConns, _ := s.serverConnections()
	fmt.Printf("  baseline: %d goroutines, %d threads, RSS %s (anon %s), %d connections\n", base.goroutines, base.threads, mb(base.rss), mb(base.anon), baseConns)

	peak := s.load()

	// After: every client connection closed; the server must come back to baseline.
	var after sample
	var afterConns int
	deadline := time.Now().Add(15 * time.Second)
	for {
		time.Sleep(1100 * time.Millisecond) // at least one new scheduler trace
		after = s.sample()
		afterConns, _ = s.serverConnections()
		if (after.goroutines <= base.goroutines && afterConns <= baseConns) || time.Now().After(deadline) {
			break
		}
	}
	fmt.Printf("  after:    %d goroutines (peak %d), %d threads (peak %d), RSS %s (peak %s; anon %s, peak %s), %d connections\n",
		after.goroutines, peak.goroutines, after.threads, max(peak.threads, after.threads), mb(after.rss),
		mb(max(peak.rss, after.rss)), mb(after.anon), mb(max(peak.anon, after.anon)), afterConns)

	code := 0
	select {
	case <-s.exited:
		fmt.Printf("FAIL: the server exited during the soak: %v\n", s.exitErr)
		return 1
	default:
	}
	if after.goroutines > base.goroutines {
		fmt.Printf("FAIL: goroutines did not come back to baseline: %d after, %d before\n", after.goroutines, base.goroutines)
		code = 1
	} else {
		fmt.Printf("  goroutines back to baseline (%d <= %d)\n", after.goroutines, base.goroutines)
	}
	if afterConns > baseConns {
		fmt.Printf("FAIL: the server still counts %d connections (baseline %d)\n", afterConns, baseConns)
		code = 1
	}
	if len(s.unexpected) > 0 {
		fmt.Printf("FAIL: %d unexpected errors, e.g.:\n    %s\n", len(s.unexpected), strings.Join(first(s.unexpected, 10), "\n    "))
		code = 1
	}
	if code == 0 {
		fmt.Println("PASS")
	}
	return code
}

func first(xs []string, n int) []string {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs the binary and waits until RESP and the RPC answer.
func (s *soak) start() error {
	respPort, err := freePort()
	if err != nil {
		return err
	}
	rpcPort, err := freePort()
	if err != nil {
		return err
	}
	raw := make([]byte, 24)
	rand.Read(raw)
	s.secret = hex.EncodeToString(raw)
	secretFile := filepath.Join(s.dir, "admin-secret")
	if err := os.WriteFile(secretFile, []byte(s.secret+"\n"), 0o600); err != nil {
		return err
	}
	s.respAddr = fmt.Sprintf("127.0.0.1:%d", respPort)
	s.rpcURL = fmt.Sprintf("http://127.0.0.1:%d/", rpcPort)
	s.cmd = exec.Command(s.bin, "serve", "--dir", filepath.Join(s.dir, "data"), "--port", strconv.Itoa(respPort),
		"--admin-secret-file", secretFile, "--enable-rpc", "--rpc-port", strconv.Itoa(rpcPort), "--sync", s.sync)
	s.cmd.Env = append(os.Environ(), "GODEBUG=schedtrace=1000,scheddetail=1")
	logf, err := os.Create(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return err
	}
	s.cmd.Stdout = logf
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return err
	}
	s.goroutines.Store(-1)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	go s.readTrace(stderr, logf)
	s.exited = make(chan struct{})
	go func() { s.exitErr = s.cmd.Wait(); logf.Close(); close(s.exited) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("the server exited: %v (log: %s)", s.exitErr, filepath.Join(s.dir, "server.log"))
		default:
		}
		c := redis.NewClient(&redis.Options{Addr: s.respAddr, Protocol: 2, MaxRetries: -1, DialTimeout: time.Second})
		perr := c.Ping(context.Background()).Err()
		c.Close()
		var info map[string]any
		rerr := s.rpc("herodb_getServerInfo", []any{}, &info)
		if perr == nil && rerr == nil && s.goroutines.Load() >= 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready in 30 s (PING: %v; RPC: %v; scheduler traces read: %d; log: %s)",
				perr, rerr, s.traces.Load(), filepath.Join(s.dir, "server.log"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var gLine = regexp.MustCompile(`^  G[0-9]+: status=([0-9]+)`)

// readTrace drains the server's stderr: scheduler traces are counted (live goroutines:
// every G not dead, status 6, nor idle, 0), everything else goes to the log file.
func (s *soak) readTrace(r io.Reader, log io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	count, inTrace := int64(0), false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "SCHED ") {
			if inTrace {
				s.goroutines.Store(count)
				s.traces.Add(1)
			}
			count, inTrace = 0, true
			continue
		}
		if m := gLine.FindStringSubmatch(line); m != nil {
			if st, _ := strconv.Atoi(m[1]); st&^0x1000 != 6 && st != 0 {
				count++
			}
			continue
		}
		if strings.HasPrefix(line, "  P") || strings.HasPrefix(line, "  M") {
			continue
		}
		fmt.Fprintln(log, line)
	}
}

// stop ends the server with SIGTERM (as an operator would) and waits for it.
func (s *soak) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		fmt.Printf("  server stopped on SIGTERM: %v\n", exitText(s.exitErr))
	case <-time.After(30 * time.Second):
		fmt.Println("FAIL: the server did not stop within 30 s of SIGTERM; killing it")
		s.cmd.Process.Kill()
		<-s.exited
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

// rpc calls one JSON-RPC method with the admin secret.
func (s *soak) rpc(method string, params any, out any) error {
	return rpc.Call(s.rpcURL, s.secret, method, params, out)
}

func (s *soak) serverConnections() (int, error) {
	var info map[string]any
	if err := s.rpc("herodb_getServerInfo", []any{}, &info); err != nil {
		return -1, err
	}
	n, _ := info["connections"].(float64)
	return int(n), nil
}

func newKey() string {
	raw := make([]byte, 24)
	rand.Read(raw)
	return hex.EncodeToString(raw)
}

func keyHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// setup creates the databases and their keys over the RPC, 8 calls at a time.
func (s *soak) setup() error {
	s.keys = map[uint64]string{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	work := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var id uint64
				err := s.rpc("herodb_createDatabase", []any{"bbolt", map[string]any{"name": fmt.Sprintf("soak-%d", i),
					"storage_path": nil, "max_size": nil, "redis_version": nil, "public": false}, nil}, &id)
				key := newKey()
				if err == nil {
					err = s.rpc("herodb_addAccessKey", []any{id, key, "readwrite"}, nil)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					s.dbIDs = append(s.dbIDs, id)
					s.keys[id] = key
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < s.ndbs; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	sort.Slice(s.dbIDs, func(i, j int) bool { return s.dbIDs[i] < s.dbIDs[j] })
	return firstErr
}

func (s *soak) key(id uint64) string {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	return s.keys[id]
}

type sample struct {
	at                time.Duration
	goroutines        int64
	threads, rss      int64
	anon              int64 // RssAnon: the heap and stacks, without the files' mapped pages
	ops, selects, rev int64
}

// sample reads the server's RSS and threads from /proc and its goroutines from the last
// scheduler trace.
func (s *soak) sample() sample {
	sm := sample{goroutines: s.goroutines.Load(), ops: s.ops.Load(), selects: s.selects.Load(), rev: s.revocations.Load()}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return sm
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			sm.rss = kb << 10
		case "RssAnon:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			sm.anon = kb << 10
		case "Threads:":
			sm.threads, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return sm
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// Replies a revocation explains: the session's key was deleted (WRONGPASS at its next
// command, or at a SELECT during a delete-then-re-add gap).
var expected = map[string]bool{
	"WRONGPASS invalid username-password pair or user is disabled.": true,
}

var digits = regexp.MustCompile(`[0-9]+`)

func (s *soak) countErr(err error, netErr bool) {
	kind := digits.ReplaceAllString(err.Error(), "N")
	if netErr {
		kind = "network: " + kind
	}
	s.errMu.Lock()
	s.errs[kind]++
	if !expected[kind] && len(s.unexpected) < 100 {
		s.unexpected = append(s.unexpected, err.Error())
	}
	s.errMu.Unlock()
}

func isNet(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// load runs the clients and the revoker for s.dur, printing a line every 5 s, and returns
// the peak sample.
func (s *soak) load() sample {
	ctx, cancel := context.WithTimeout(context.Background(), s.dur)
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Addr: s.respAddr, Protocol: 2, PoolSize: s.conns, MaxRetries: -1,
		DialTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		PoolTimeout: 30 * time.Second, ConnMaxIdleTime: -1})
	defer rdb.Close()

	var wg sync.WaitGroup
	for c := 0; c < s.conns; c++ {
		wg.Add(1)
		go func(c int) { defer wg.Done(); s.client(ctx, rdb, c) }(c)
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.revoker(ctx) }()

	start := time.Now()
	var peak, last sample
	every := max(1, int(s.dur/time.Second)/12) // about a dozen lines, whatever the length
	line := func(sm sample) {
		secs := (sm.at - last.at).Seconds()
		fmt.Printf("  %5.0fs %10.0f %9.0f %9d %8d %11d %9s %9s %10v\n", sm.at.Seconds(),
			float64(sm.ops-last.ops)/secs, float64(sm.selects-last.selects)/secs, sm.rev,
			sm.threads, sm.goroutines, mb(sm.rss), mb(sm.anon), s.lat.quantile(0.99))
		last = sm
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	fmt.Printf("  %6s %10s %9s %9s %8s %11s %9s %9s %10s\n", "t", "ops/s", "SELECT/s", "revoked", "threads", "goroutines", "RSS", "anon**", "p99 op*")
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			sm := s.sample()
			sm.at = time.Since(start)
			if sm.rss > peak.rss {
				peak.rss = sm.rss
			}
			if sm.anon > peak.anon {
				peak.anon = sm.anon
			}
			if sm.threads > peak.threads {
				peak.threads = sm.threads
			}
			if sm.goroutines > peak.goroutines {
				peak.goroutines = sm.goroutines
			}
			if n := int(sm.at.Round(time.Second) / time.Second); n%every == 0 || n == 1 {
				line(sm)
			}
		}
	}
	wg.Wait()
	sm := s.sample()
	sm.at = time.Since(start)
	line(sm)
	rdb.Close()
	elapsed := time.Since(start)

	ops, sel := s.ops.Load(), s.selects.Load()
	fmt.Printf("  throughput: %d commands in %v = %.0f/s (plus %d SELECTs = %.0f/s); %d reconnects\n",
		ops, elapsed.Round(time.Millisecond), float64(ops)/elapsed.Seconds(), sel, float64(sel)/elapsed.Seconds(), s.reconnects.Load())
	fmt.Printf("  (* p99 since the start; latencies are power-of-two bucket upper edges. ** RssAnon: RSS\n")
	fmt.Printf("   without the pages of the database files bbolt maps, which grow as the files do)\n")
	fmt.Printf("  latency: commands p50 <= %v, p99 <= %v, max <= %v; SELECT p50 <= %v, p99 <= %v, max <= %v\n",
		s.lat.quantile(0.5), s.lat.quantile(0.99), s.lat.max(), s.selLat.quantile(0.5), s.selLat.quantile(0.99), s.selLat.max())
	fmt.Printf("  revocations: %d (rotations, and every 10th a delete then re-add of the same key)\n", s.revocations.Load())
	s.errMu.Lock()
	fmt.Printf("  client errors by kind:%s\n", kinds(s.errs))
	fmt.Printf("  management errors by kind:%s\n", kinds(s.mgmtErrs))
	s.errMu.Unlock()
	return peak
}

func kinds(m map[string]int) string {
	if len(m) == 0 {
		return " none"
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "\n    %8d  %s", m[k], k)
	}
	return b.String()
}

// client is one connection: SELECT a database with its current key, then a read/write
// mix (70% GET, 20% SET, 10% INCR or HSET) until the key is revoked (re-SELECT) or the
// time is up. Every 500 commands it moves to another database.
func (s *soak) client(ctx context.Context, rdb *redis.Client, c int) {
	r := mrand.New(mrand.NewPCG(uint64(c), 3))
	val := make([]byte, 64+r.IntN(192))
	for i := range val {
		val[i] = 'a' + byte(r.IntN(26))
	}
	var conn *redis.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	bg := context.Background() // a command in flight finishes; ctx only stops the loop
	db := s.dbIDs[c%len(s.dbIDs)]
	for ctx.Err() == nil {
		if conn == nil {
			conn = rdb.Conn()
		}
		t := time.Now()
		err := conn.Do(bg, "SELECT", strconv.FormatUint(db, 10), "KEY", s.key(db)).Err()
		s.selLat.add(time.Since(t))
		s.selects.Add(1)
		if err != nil {
			s.countErr(err, isNet(err))
			if isNet(err) {
				conn.Close()
				conn = nil
				s.reconnects.Add(1)
			}
			time.Sleep(20 * time.Millisecond) // a delete-then-re-add gap: try again shortly
			continue
		}
		for n := 0; n < 500 && ctx.Err() == nil; n++ {
			k := "k:" + strconv.Itoa(r.IntN(1000))
			t := time.Now()
			var err error
			switch p := r.IntN(10); {
			case p < 7:
				err = conn.Get(bg, k).Err()
			case p < 9:
				err = conn.Set(bg, k, val, 0).Err()
			case p == 9 && n%2 == 0:
				err = conn.Incr(bg, "n:"+strconv.Itoa(c)).Err()
			default:
				err = conn.HSet(bg, "h:"+strconv.Itoa(r.IntN(100)), strconv.Itoa(c), val[:16]).Err()
			}
			s.lat.add(time.Since(t))
			s.ops.Add(1)
			if err != nil && !errors.Is(err, redis.Nil) {
				s.countErr(err, isNet(err))
				if isNet(err) {
					conn.Close()
					conn = nil
					s.reconnects.Add(1)
				}
				break // re-SELECT (with the current key)
			}
		}
		db = s.dbIDs[r.IntN(len(s.dbIDs))]
	}
}

// revoker revokes one key every s.revokeEvery: usually a rotation (add the new key,
// publish it, delete the old one: no gap), every 10th a delete of the key then re-add of
// the same key (a gap during which its SELECTs are refused).
func (s *soak) revoker(ctx context.Context) {
	t := time.NewTicker(s.revokeEvery)
	defer t.Stop()
	mgmt := func(err error) {
		if err != nil {
			s.errMu.Lock()
			s.mgmtErrs[digits.ReplaceAllString(err.Error(), "N")]++
			s.unexpected = append(s.unexpected, err.Error())
			s.errMu.Unlock()
		}
	}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		id := s.dbIDs[i%len(s.dbIDs)]
		old := s.key(id)
		if i%10 == 9 {
			mgmt(s.rpc("herodb_deleteAccessKey", []any{id, keyHash(old)}, nil))
			time.Sleep(10 * time.Millisecond)
			mgmt(s.rpc("herodb_addAccessKey", []any{id, old, "readwrite"}, nil))
		} else {
			key := newKey()
			if err := s.rpc("herodb_addAccessKey", []any{id, key, "readwrite"}, nil); err != nil {
				mgmt(err)
				continue
			}
			s.keysMu.Lock()
			s.keys[id] = key
			s.keysMu.Unlock()
			mgmt(s.rpc("herodb_deleteAccessKey", []any{id, keyHash(old)}, nil))
		}
		s.revocations.Add(1)
	}
}
