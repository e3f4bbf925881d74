// Package crashtest is a crash-safety harness for the real herodb binary.
//
// It starts `herodb serve --sync always` on a fresh directory, creates databases over the
// JSON-RPC, and runs cycles of: a concurrent write load from several go-redis clients
// over every database (SET of unique keys, pipelined SETs, INCR of shared counters,
// RPUSH, HSET, MULTI/EXEC transactions), a SIGKILL of the server at a random moment,
// a restart on the same directory, and a check, through the replies a client gets, that
// every acknowledged write is there and that nothing half-applied or unknown is:
//
//   - every acknowledged SET key holds its value; a SET in flight at the kill either
//     holds its value or is absent;
//   - every counter is at least its highest acknowledged INCR reply and at most its
//     value before the cycle plus the INCRs sent;
//   - every list holds every acknowledged RPUSH element once, in order, and nothing
//     else but elements in flight at the kill;
//   - every acknowledged HSET field holds its value;
//   - every MULTI/EXEC (SET a, SET b, INCR tx:count, RPUSH tx log) is all there or not
//     at all, and all there when acknowledged: tx:count equals the transactions present;
//   - every database answers, and DBSIZE is exactly the number of keys the model holds
//     (no acknowledged key lost, nothing unknown appears, nothing once seen absent
//     comes back);
//   - the server's log holds no panic.
//
// After a check the model is exact again (every write in flight is now known stored or
// not), so the next cycle continues on the same data. Every few cycles, and at the end,
// everything ever written is read back in full. The last step stops the server with
// SIGTERM, which must exit cleanly.
//
// cmd/herodb-crash runs it from the command line (make crash); TestCrashKill9 runs a few
// cycles in `go test`.
package crashtest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// Config says what to run. Zero fields take the defaults in parentheses.
type Config struct {
	Bin          string        // the herodb binary (required)
	Dir          string        // work directory: data, logs, secret (required; created)
	Cycles       int           // kill/restart cycles (3)
	DBs          int           // databases (4)
	WorkersPerDB int           // writing goroutines per database, one connection each (3)
	Sync         string        // the server's --sync (always)
	MinKill      time.Duration // earliest kill after the load starts (50ms)
	MaxKill      time.Duration // latest kill (400ms)
	FullEvery    int           // read everything back every n cycles; 0: only at the end (10)
	Seed         uint64        // random seed (0: random)
	ExtraArgs    []string      // more `herodb serve` flags
	Logf         func(format string, args ...any)

	// BeforeRestart, when set, runs after each kill with the server down, before the
	// restart; the harness's own test uses it to prove that a lost write is reported.
	BeforeRestart func(cycle int, dataDir string) error
}

// CycleStats is one kill/restart cycle.
type CycleStats struct {
	Cycle     int
	KillAfter time.Duration    // from the start of the load to the SIGKILL
	Acked     int              // writes acknowledged in this cycle (a transaction counts once)
	ByKind    map[string]int   // acknowledged, by kind
	InFlight  int              // writes sent and not acknowledged when the server died
	Applied   int              // of those, found stored after the restart
	Restart   time.Duration    // from exec to the first PING answered
	Ready     time.Duration    // from exec to every database answering DBSIZE
	Verify    time.Duration    // the check after the restart
	DBSize    map[uint64]int64 // DBSIZE of each database after the restart
	Full      bool             // everything was read back this cycle
}

// Result is a whole run.
type Result struct {
	Seed     uint64
	Cycles   []CycleStats
	Keys     int64 // keys over every database at the end
	Duration time.Duration
}

// Summary is a few lines on the whole run.
func (r *Result) Summary() string {
	if len(r.Cycles) == 0 {
		return "no cycles ran"
	}
	var acked, inflight, applied []int
	var restart, ready, verify []time.Duration
	kinds := map[string]int{}
	total, totalIn, totalApplied := 0, 0, 0
	for _, c := range r.Cycles {
		acked = append(acked, c.Acked)
		inflight = append(inflight, c.InFlight)
		applied = append(applied, c.Applied)
		restart = append(restart, c.Restart)
		ready = append(ready, c.Ready)
		verify = append(verify, c.Verify)
		total += c.Acked
		totalIn += c.InFlight
		totalApplied += c.Applied
		for k, n := range c.ByKind {
			kinds[k] += n
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d kill -9 cycles in %v (seed %d), no acknowledged write lost, no transaction half-applied\n",
		len(r.Cycles), r.Duration.Round(time.Millisecond), r.Seed)
	fmt.Fprintf(&b, "  acknowledged writes: %d in all (%s); per cycle min %d, median %d, max %d\n",
		total, kindList(kinds), slices.Min(acked), median(acked), slices.Max(acked))
	fmt.Fprintf(&b, "  in flight at the kill: %d in all, %d of them found stored after the restart\n", totalIn, totalApplied)
	fmt.Fprintf(&b, "  restart (exec to PING): min %v, median %v, p95 %v, max %v\n",
		ms(slices.Min(restart)), ms(median(restart)), ms(pct(restart, 0.95)), ms(slices.Max(restart)))
	fmt.Fprintf(&b, "  ready (every database answers): median %v, max %v; check after restart: median %v, max %v\n",
		ms(median(ready)), ms(slices.Max(ready)), ms(median(verify)), ms(slices.Max(verify)))
	fmt.Fprintf(&b, "  keys at the end: %d", r.Keys)
	return b.String()
}

// Line is one line on a cycle.
func (c CycleStats) Line(of int) string {
	full := ""
	if c.Full {
		full = ", full read-back"
	}
	var size int64
	for _, n := range c.DBSize {
		size += n
	}
	return fmt.Sprintf("cycle %d/%d: killed after %v; acked %d (%s); in flight %d, %d stored; restart %v, ready %v, check %v%s; %d keys",
		c.Cycle, of, ms(c.KillAfter), c.Acked, kindList(c.ByKind), c.InFlight, c.Applied, ms(c.Restart), ms(c.Ready), ms(c.Verify), full, size)
}

func kindList(m map[string]int) string {
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

var kinds = []string{"set", "pipeline-set", "incr", "rpush", "hset", "multi"}

func ms(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}

func median[T int | time.Duration](xs []T) T { return pct(xs, 0.5) }

func pct[T int | time.Duration](xs []T, q float64) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*q+0.5)]
}

// Build builds ./cmd/herodb of this module into out (with -race when race).
func Build(out string, race bool) error {
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "github.com/seed6aa118f9/herodb/cmd/herodb")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	return nil
}

// Run runs the harness. An error is a failed check (or a harness that could not run),
// with the problems found and the server's log lines that explain them.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Bin == "" || cfg.Dir == "" {
		return nil, errors.New("crashtest: Bin and Dir are required")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Cycles, 3)
	def(&cfg.DBs, 4)
	def(&cfg.WorkersPerDB, 3)
	if cfg.FullEvery < 0 {
		cfg.FullEvery = 0
	} else if cfg.FullEvery == 0 {
		cfg.FullEvery = 10
	}
	if cfg.Sync == "" {
		cfg.Sync = "always"
	}
	if cfg.MinKill <= 0 {
		cfg.MinKill = 50 * time.Millisecond
	}
	if cfg.MaxKill < cfg.MinKill {
		cfg.MaxKill = max(cfg.MinKill, 400*time.Millisecond)
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Seed == 0 {
		cfg.Seed = mrand.Uint64()
	}
	h := &harness{cfg: cfg, rng: mrand.New(mrand.NewPCG(cfg.Seed, 0x6372617368))}
	res := &Result{Seed: cfg.Seed}
	t0 := time.Now()
	err := h.run(ctx, res)
	res.Duration = time.Since(t0)
	if h.proc != nil && h.proc.alive() {
		h.proc.cmd.Process.Kill()
		<-h.proc.exited
	}
	return res, err
}

type harness struct {
	cfg    Config
	rng    *mrand.Rand
	secret string
	data   string
	logs   string
	starts int
	proc   *proc // the running server
	prev   *proc // the one killed last
	dbs    []*dbModel
	ws     []*worker
}

// proc is one run of the server.
type proc struct {
	n       int
	cmd     *exec.Cmd
	addr    string
	rpc     string
	logPath string
	logf    *os.File
	exited  chan struct{}
	err     error
	started time.Time
}

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (h *harness) run(ctx context.Context, res *Result) error {
	h.data = filepath.Join(h.cfg.Dir, "data")
	h.logs = filepath.Join(h.cfg.Dir, "logs")
	if err := os.MkdirAll(h.logs, 0o700); err != nil {
		return err
	}
	b := make([]byte, 24)
	rand.Read(b)
	h.secret = "crash-" + hex.EncodeToString(b)
	if err := os.WriteFile(filepath.Join(h.cfg.Dir, "admin-secret"), []byte(h.secret+"\n"), 0o600); err != nil {
		return err
	}
	h.cfg.Logf("herodb crash harness: %d cycles, %d databases x %d writers, --sync %s, kill %v..%v after the load starts, seed %d, dir %s",
		h.cfg.Cycles, h.cfg.DBs, h.cfg.WorkersPerDB, h.cfg.Sync, h.cfg.MinKill, h.cfg.MaxKill, h.cfg.Seed, h.cfg.Dir)

	if _, err := h.start(true); err != nil {
		return err
	}
	for i := 0; i < h.cfg.DBs; i++ {
		var id uint64
		err := h.rpcCall("herodb_createDatabase", []any{"bbolt", map[string]any{"name": fmt.Sprintf("crash-%d", i),
			"storage_path": nil, "max_size": nil, "redis_version": nil, "public": false}, nil}, &id)
		if err != nil {
			return h.report(0, fmt.Errorf("createDatabase: %w", err))
		}
		d := &dbModel{id: id, ctrs: make([]*counter, 2)}
		for j := range d.ctrs {
			d.ctrs[j] = &counter{}
		}
		h.dbs = append(h.dbs, d)
		for w := 0; w < h.cfg.WorkersPerDB; w++ {
			wk := &worker{id: len(h.ws), db: d}
			d.workers = append(d.workers, wk)
			h.ws = append(h.ws, wk)
		}
	}

	for c := 1; c <= h.cfg.Cycles; c++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := h.cycle(ctx, c)
		if err != nil {
			return h.report(c, err)
		}
		res.Cycles = append(res.Cycles, st)
		h.cfg.Logf("%s", st.Line(h.cfg.Cycles))
	}

	// The end: everything read back once more, then a clean stop.
	if errs := h.verify(ctx, true, nil); len(errs) > 0 {
		return h.report(h.cfg.Cycles, problems(errs))
	}
	for _, d := range h.dbs {
		res.Keys += d.expectedSize()
	}
	p := h.proc
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		return h.report(h.cfg.Cycles, errors.New("the server did not exit within 30 s of SIGTERM"))
	}
	if p.err != nil {
		return h.report(h.cfg.Cycles, fmt.Errorf("the server exited with %v after SIGTERM", p.err))
	}
	if bad := logProblems(p.logPath); bad != "" {
		return h.report(h.cfg.Cycles, fmt.Errorf("the server's log after SIGTERM: %s", bad))
	}
	return nil
}

// start execs the server on the data directory and waits for PING. With rpc, the
// JSON-RPC is served too (only the first start needs it).
func (h *harness) start(rpc bool) (*proc, error) {
	h.starts++
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &proc{n: h.starts, addr: fmt.Sprintf("127.0.0.1:%d", port), exited: make(chan struct{})}
	args := []string{"serve", "--dir", h.data, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--admin-secret-file", filepath.Join(h.cfg.Dir, "admin-secret"), "--sync", h.cfg.Sync}
	if rpc {
		rport, err := freePort()
		if err != nil {
			return nil, err
		}
		p.rpc = fmt.Sprintf("http://127.0.0.1:%d/", rport)
		args = append(args, "--enable-rpc", "--rpc-bind", "127.0.0.1", "--rpc-port", strconv.Itoa(rport))
	}
	args = append(args, h.cfg.ExtraArgs...)
	p.logPath = filepath.Join(h.logs, fmt.Sprintf("server-%04d.log", p.n))
	if p.logf, err = os.Create(p.logPath); err != nil {
		return nil, err
	}
	p.cmd = exec.Command(h.cfg.Bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.logf, p.logf
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		p.logf.Close()
		return nil, err
	}
	go func() { p.err = p.cmd.Wait(); p.logf.Close(); close(p.exited) }()
	h.proc = p

	// Keep only the logs of the last few runs.
	if old := p.n - 3; old > 0 {
		os.Remove(filepath.Join(h.logs, fmt.Sprintf("server-%04d.log", old)))
	}

	// The restart time is measured with a bare RESP PING on a new connection every 2 ms
	// (a go-redis pool backs off after failed dials and would measure itself).
	deadline := p.started.Add(60 * time.Second)
	for {
		if !p.alive() {
			return p, fmt.Errorf("the server (run %d) exited at start: %v", p.n, p.err)
		}
		reply, err := rawPing(p.addr)
		if err == nil && reply == "+PONG" {
			break
		}
		if err == nil {
			return p, fmt.Errorf("PING after start answered %q", reply)
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("the server (run %d) did not answer PING within 60 s: %v", p.n, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if rpc {
		for {
			var info map[string]any
			err := h.rpcCall("herodb_getServerInfo", []any{}, &info)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return p, fmt.Errorf("the RPC did not answer within 60 s: %v", err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return p, nil
}

// rawPing sends PING on a new connection and returns the reply line.
func rawPing(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (h *harness) rpcCall(method string, params any, out any) error {
	return rpc.Call(h.proc.rpc, h.secret, method, params, out)
}

func (h *harness) client(db uint64, pool int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: h.proc.addr, Password: h.secret, DB: int(db), Protocol: 2,
		// No retries: a write is sent once, so what was acknowledged is exactly known; one
		// dial attempt, so writers stop at once when the server is gone.
		MaxRetries: -1, DialerRetries: 1, DialTimeout: 2 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		PoolSize: pool, DisableIdentity: true,
	})
}

// cycle is one load, kill, restart and check.
func (h *harness) cycle(ctx context.Context, n int) (CycleStats, error) {
	st := CycleStats{Cycle: n, ByKind: map[string]int{}}
	for _, d := range h.dbs {
		d.beginCycle()
	}
	var killed atomic.Bool
	var wg sync.WaitGroup
	for _, w := range h.ws {
		w.beginCycle(h.client(w.db.id, 1), h.rng.Uint64())
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.load(ctx, &killed)
		}()
	}
	st.KillAfter = h.cfg.MinKill + time.Duration(h.rng.Int64N(int64(h.cfg.MaxKill-h.cfg.MinKill)+1))
	t0 := time.Now()
	p := h.proc
	select {
	case <-time.After(st.KillAfter):
	case <-p.exited:
		killed.Store(true)
		wg.Wait()
		h.closeWorkers()
		return st, fmt.Errorf("the server exited by itself during the load (%v after it started): %v", time.Since(t0), p.err)
	}
	killed.Store(true)
	st.KillAfter = time.Since(t0)
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	h.prev = p
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		return st, errors.New("writers did not stop within 60 s of the kill")
	}
	h.closeWorkers()

	var errs []string
	for _, w := range h.ws {
		errs = append(errs, w.failures...)
		for k, v := range w.acked {
			st.ByKind[k] += v
			st.Acked += v
		}
		st.InFlight += w.inFlight()
	}
	if bad := logProblems(p.logPath); bad != "" {
		errs = append(errs, "the killed server's log: "+bad)
	}
	if len(errs) > 0 {
		return st, problems(errs)
	}

	if h.cfg.BeforeRestart != nil {
		if err := h.cfg.BeforeRestart(n, h.data); err != nil {
			return st, err
		}
	}
	np, err := h.start(false)
	if err != nil {
		return st, err
	}
	st.Restart = time.Since(np.started)

	// Every database answers.
	st.DBSize = map[uint64]int64{}
	for _, d := range h.dbs {
		c := h.client(d.id, 1)
		size, err := c.DBSize(ctx).Result()
		c.Close()
		if err != nil {
			return st, fmt.Errorf("database %d after the restart: DBSIZE: %v", d.id, err)
		}
		st.DBSize[d.id] = size
	}
	st.Ready = time.Since(np.started)

	tv := time.Now()
	st.Full = h.cfg.FullEvery > 0 && n%h.cfg.FullEvery == 0
	errs = h.verify(ctx, st.Full, &st)
	st.Verify = time.Since(tv)
	if bad := logProblems(np.logPath); bad != "" {
		errs = append(errs, "the restarted server's log: "+bad)
	}
	if len(errs) > 0 {
		return st, problems(errs)
	}
	return st, nil
}

func (h *harness) closeWorkers() {
	for _, w := range h.ws {
		if w.rdb != nil {
			w.rdb.Close()
			w.rdb = nil
		}
	}
}

// verify checks the data after a restart against the model and makes the model exact
// again. full reads back everything ever written; otherwise what this cycle wrote, the
// aggregates (DBSIZE, lengths, counters) and a sample of older keys.
func (h *harness) verify(ctx context.Context, full bool, st *CycleStats) []string {
	var mu sync.Mutex
	var all []string
	var wg sync.WaitGroup
	applied := 0
	for _, d := range h.dbs {
		rng := mrand.New(mrand.NewPCG(h.rng.Uint64(), 1)) // h.rng is not for goroutines
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := h.client(d.id, 2)
			defer c.Close()
			v := &verifier{ctx: ctx, c: c, db: d, rng: rng}
			v.run(full)
			mu.Lock()
			all = append(all, v.errs...)
			applied += v.applied
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, w := range h.ws {
		w.settle()
	}
	if st != nil {
		st.Applied = applied
	}
	return all
}

// problems makes one error of the problems found (the first 40 of them).
func problems(errs []string) error {
	sort.Strings(errs)
	n := len(errs)
	if n > 40 {
		errs = append(errs[:40], fmt.Sprintf("… and %d more", n-40))
	}
	return fmt.Errorf("%d problem(s):\n  - %s", n, strings.Join(errs, "\n  - "))
}

// report adds to a failure what explains it: the server's startup lines and the last
// lines of the server that was killed.
func (h *harness) report(cycle int, err error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "crash cycle %d of %d (seed %d): %v", cycle, h.cfg.Cycles, h.cfg.Seed, err)
	if h.proc != nil {
		fmt.Fprintf(&b, "\n--- server run %d (%s), first lines:\n%s", h.proc.n, h.proc.logPath, headLines(h.proc.logPath, 40))
	}
	if h.prev != nil && h.prev != h.proc {
		fmt.Fprintf(&b, "\n--- server run %d, killed (%s), last lines:\n%s", h.prev.n, h.prev.logPath, tailLines(h.prev.logPath, 20))
	}
	fmt.Fprintf(&b, "\n--- work directory: %s", h.cfg.Dir)
	return errors.New(b.String())
}

func headLines(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("… (%d more lines)\n", len(lines)-n))
	}
	return strings.Join(lines, "")
}

func tailLines(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// logProblems is the first sign of a crash of the server's own making in its log: a
// panic, a Go runtime fatal error, a data race (with a -race binary).
func logProblems(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for i := 1; sc.Scan(); i++ {
		line := sc.Text()
		for _, bad := range []string{"panic:", "panic(", "fatal error:", "WARNING: DATA RACE", "level=ERROR"} {
			if strings.Contains(line, bad) {
				return fmt.Sprintf("line %d: %s", i, line)
			}
		}
	}
	return ""
}
