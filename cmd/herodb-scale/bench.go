package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// Timeouts for the server's process: generous, because with a million databases the
// point is to measure how long these take, not to fail fast.
const (
	readyTimeout   = 5 * time.Minute
	stopTimeout    = 2 * time.Minute
	restartTimeout = 5 * time.Minute
	// settle lets the flusher (--flush-interval, storage.DefaultFlushInterval) write
	// what the log holds into the files before the disk is measured.
	settle = storage.DefaultFlushInterval + 1500*time.Millisecond
	// restartIdle is how long the restarted server idles before its RSS is sampled again.
	restartIdle = 5 * time.Second
	// dropWait is longer than the server's interval between drops of DB 0's mapped
	// pages (admin/mapped.go): RSS sampled after it holds the pages read since the last.
	dropWait = 6 * time.Second
)

// snapshot is the server's footprint at one moment.
type snapshot struct {
	rss     int64
	anon    int64 // RssAnon: rss without mapped files
	fds     int
	disk    diskUsage
	diskErr error
}

// bench is one run: its configuration, the server and everything measured.
type bench struct {
	cfg     *config
	tmp     string
	s       *server
	limit   syscall.Rlimit
	began   time.Time
	command []string
	// loadAtStart is the load average before the run: other work on the machine skews
	// every latency here.
	loadAtStart string

	base, afterCreate, afterLatency snapshot
	restartIdle                     snapshot
	create                          *createResult
	list                            *listResult
	cold, warmBusy, warm, unopened  *latencies
	redisWarm                       *latencies // nil: no redis-server here
	// warmPaced and redisPaced are the warm load at -warm-rate pairs a second (nil: 0).
	warmPaced, redisPaced *latencies
	// reopened is how many written databases were opened after the restart before
	// reopenedSnap was taken: RSS with the file cache full, not only at the first answer.
	reopened          int
	reopenedSnap      snapshot
	reopenedLater     snapshot // dropWait after reopenedSnap: DB 0's map dropped once since
	written           []uint64 // databases the cold pass wrote "k" = "v" in
	restart           *restartResult
	finalStop         time.Duration
	finalStopErr      string
	logWarns, logErrs int
	logSamples        []string
}

// run is the whole benchmark, in the order that keeps each measurement honest: disk is
// measured before any database is written, the warm set is what the cold pass opened
// last, and the restart comes after everything that needs the first process.
func (b *bench) run() error {
	b.began, b.command, b.loadAtStart = time.Now().UTC(), commandName(), loadAvg()
	var err error
	if b.limit, err = raiseFileLimit(); err != nil {
		return fmt.Errorf("RLIMIT_NOFILE: %w", err)
	}
	fmt.Printf("herodb-scale: %d databases; RLIMIT_NOFILE soft %d, hard %d (the server inherits it)\n", b.cfg.n, b.limit.Cur, b.limit.Max)
	if b.tmp, err = os.MkdirTemp(b.cfg.tmp, "herodb-scale-"); err != nil {
		return err
	}
	if b.s, err = newServer(b.cfg, b.tmp); err != nil {
		return err
	}
	if err := b.s.exec(); err != nil {
		return err
	}
	if err := b.s.waitReady(readyTimeout); err != nil {
		return err
	}
	fmt.Printf("  server pid %d, RESP %s, RPC %s, dir %s\n", b.s.pid(), b.s.respAddr, b.s.rpcURL, b.s.dir)
	b.base = b.snap(true)

	b.create = b.s.create(b.cfg)
	if err := b.s.alive(); err != nil {
		return err
	}
	time.Sleep(settle)
	b.afterCreate = b.snap(true)
	fmt.Printf("  created %d databases in %v (%d errors)\n", len(b.create.ids), b.create.elapsed.Round(time.Millisecond), b.create.nerrs)

	b.list = b.s.list(b.cfg.listLimit, b.cfg.listMax)
	fmt.Println("  listDatabases timed")
	b.measureLatency()
	time.Sleep(settle)
	b.afterLatency = b.snap(true)
	if err := b.s.alive(); err != nil {
		return err
	}
	return b.finish()
}

// measureLatency runs the cold pass over M distinct databases (at most half of them),
// then the warm pass over the databases it opened last (still in the server's file
// cache), then SELECT + GET over M databases never touched, on open connections.
func (b *bench) measureLatency() {
	ids := b.create.ids
	// At most half the databases, so the never-written pass has the other half.
	coldIDs := sample(ids, min(b.cfg.m, len(ids)/2))
	var written []uint64
	b.cold, written = b.s.cold(coldIDs, b.cfg.coldConc)
	fmt.Printf("  cold pass: %d ops, %d errors\n", len(b.cold.d), b.cold.nerrs())
	b.written = written

	hot := written[max(0, len(written)-b.cfg.maxOpenDBs/2):]
	// Right after the cold pass its first flushes are still making files (each with its
	// fsyncs) for up to --flush-interval; the warm reads race them. Then again once the
	// server is quiet: the steady state the goal is about.
	b.warmBusy = b.s.warm(fmt.Sprintf("warm, right after the cold pass (its first flushes still making files): SELECT + GET of the %d databases it opened last", len(hot)),
		hot, b.cfg.m, b.cfg.warmConns, "v")
	fmt.Printf("  warm pass (busy): %d ops, %d errors\n", len(b.warmBusy.d), b.warmBusy.nerrs())
	time.Sleep(settle)
	b.warm = b.s.warm(fmt.Sprintf("warm: open connection, SELECT + GET of the %d databases the cold pass opened last, %v after it", len(hot), settle),
		hot, b.cfg.m, b.cfg.warmConns, "v")
	fmt.Printf("  warm pass: %d ops, %d errors\n", len(b.warm.d), b.warm.nerrs())
	if r := b.cfg.warmRate; r > 0 {
		b.warmPaced = b.s.warmAt(fmt.Sprintf("the same, paced: %d pairs a second over the %d connections for %v (latency counted from when each pair was due)", r, b.cfg.warmConns, pacedFor),
			hot, pacedOps(r), b.cfg.warmConns, r, "v")
		fmt.Printf("  paced warm pass: %d ops, %d errors\n", len(b.warmPaced.d), b.warmPaced.nerrs())
	}
	if l, p, err := redisFloor(b.tmp, b.cfg.m, b.cfg.warmConns, b.cfg.warmRate); err != nil {
		fmt.Printf("  redis-server beside: %v\n", err)
	} else {
		b.redisWarm, b.redisPaced = l, p
	}

	touched := make(map[uint64]bool, len(coldIDs))
	for _, id := range coldIDs {
		touched[id] = true
	}
	var untouched []uint64
	for _, id := range ids {
		if !touched[id] {
			untouched = append(untouched, id)
		}
	}
	b.unopened = b.s.warm("open connection, SELECT + GET of a database never written", sample(untouched, b.cfg.m),
		b.cfg.m, b.cfg.warmConns, "")
	fmt.Printf("  never-written pass: %d ops, %d errors\n", len(b.unopened.d), b.unopened.nerrs())
}

// finish restarts the server, stops it for good and writes the report.
func (b *bench) finish() error {
	if len(b.written) > 0 {
		id := b.written[rand.IntN(len(b.written))]
		r, err := b.s.restart(id, restartTimeout)
		b.restart = r
		if err != nil {
			return fmt.Errorf("restart: %w", err)
		}
		fmt.Printf("  restarted: PING after %v, SELECT + GET after %v\n", r.toPing.Round(time.Millisecond), r.toSelect.Round(time.Millisecond))
		// Right after the restart RSS still holds the admin secret's Argon2id memory,
		// which the Go runtime gives back within seconds: sample again once idle.
		time.Sleep(restartIdle)
		b.restartIdle = b.snap(false)
		// Then fill the file cache: every written database up to --max-open-dbs, opened
		// by SELECT + GET, and RSS again (the goal's "1,000 open").
		reopen := b.written[:min(b.cfg.maxOpenDBs, len(b.written))]
		if err := b.s.openEach(reopen); err != nil {
			fmt.Printf("  reopening after the restart: %v\n", err)
		} else {
			b.reopened = len(reopen)
		}
		time.Sleep(settle)
		b.reopenedSnap = b.snap(false)
		time.Sleep(dropWait)
		b.reopenedLater = b.snap(false)
		fmt.Printf("  reopened %d databases after the restart: RSS %d MiB, %v later %d MiB\n", b.reopened,
			b.reopenedSnap.rss>>20, dropWait, b.reopenedLater.rss>>20)
	}
	d, err := b.s.stop(stopTimeout)
	b.finalStop = d
	if err != nil {
		b.finalStopErr = errorKind(err)
	}
	b.logWarns, b.logErrs, b.logSamples = logCounts(b.s.logPath)
	return b.writeReport()
}

// snap samples the server's RSS and open files, and the data directory's disk use
// when withDisk (a walk of every file: skipped where it is not reported).
func (b *bench) snap(withDisk bool) snapshot {
	sn := snapshot{rss: procRSS(b.s.pid()), anon: procAnon(b.s.pid()), fds: procFDs(b.s.pid())}
	if withDisk {
		sn.disk, sn.diskErr = diskOf(b.s.dir)
	}
	return sn
}

// commandName is how this run was started, for the report: `go run` builds into a
// temporary directory whose name would say nothing.
func commandName() []string {
	name := os.Args[0]
	if strings.Contains(name, "go-build") {
		name = "go run ./cmd/herodb-scale"
	}
	return append([]string{name}, os.Args[1:]...)
}

// cleanup stops the server if it still runs and removes the temporary directory unless
// -keep; it runs once, at the end, on error or on interrupt.
func (b *bench) cleanup() {
	if b.s != nil && b.s.p != nil && b.s.alive() == nil {
		if _, err := b.s.stop(stopTimeout); err != nil && b.finalStopErr == "" {
			fmt.Fprintln(os.Stderr, "herodb-scale: stopping the server:", err)
		}
	}
	if b.tmp == "" {
		return
	}
	if b.cfg.keep {
		fmt.Printf("  kept %s (data in data/, the server's log in server.log)\n", b.tmp)
		return
	}
	os.RemoveAll(b.tmp)
}
