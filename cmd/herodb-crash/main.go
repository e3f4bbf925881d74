// Command herodb-crash kills the real herodb binary with SIGKILL under a concurrent
// write load, again and again, restarting it on the same directory each time, and
// checks after every restart, through the replies a client gets, that every
// acknowledged write is there, every counter within what was acknowledged and sent,
// every list in order, no MULTI/EXEC half-applied, every database opens and the log has
// no panic (package crashtest says exactly what is checked). It prints one line per
// cycle (acknowledged writes, writes in flight at the kill and how many of them were
// stored, restart time) and a summary.
//
//	go run ./cmd/herodb-crash -bin bin/herodb -cycles 300    (make crash)
//
// It exits non-zero on the first failed check, printing the problems, the restarted
// server's first log lines and the killed one's last, and keeping the work directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"

	"github.com/seed6aa118f9/herodb/crashtest"
)

func main() {
	bin := flag.String("bin", "", "the herodb binary (default: build ./cmd/herodb into the work directory)")
	race := flag.Bool("race", false, "with no -bin, build the server with -race (a data race fails the run)")
	cycles := flag.Int("cycles", envInt("HERODB_CRASH_CYCLES", 300), "kill/restart cycles (env HERODB_CRASH_CYCLES)")
	dbs := flag.Int("dbs", 4, "databases")
	writers := flag.Int("writers", 3, "writing connections per database")
	syncMode := flag.String("sync", envStr("HERODB_CRASH_SYNC", "always"), "the server's --sync (env HERODB_CRASH_SYNC)")
	minKill := flag.Duration("min-kill", 50*time.Millisecond, "earliest SIGKILL after the load starts")
	maxKill := flag.Duration("max-kill", 400*time.Millisecond, "latest SIGKILL after the load starts")
	fullEvery := flag.Int("full-every", 10, "read everything ever written back every n cycles (and at the end)")
	seed := flag.Uint64("seed", 0, "random seed (0: random; printed)")
	keep := flag.Bool("keep", false, "keep the work directory (data and server logs) after a passing run")
	flag.Parse()
	redis.SetLogger(&logging.VoidLogger{}) // its "failed to dial" after each kill is expected

	dir, err := os.MkdirTemp("", "herodb-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "herodb-crash:", err)
		os.Exit(1)
	}
	if *bin == "" {
		*bin = filepath.Join(dir, "herodb")
		if err := crashtest.Build(*bin, *race); err != nil {
			fmt.Fprintln(os.Stderr, "herodb-crash:", err)
			os.Exit(1)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := crashtest.Run(ctx, crashtest.Config{
		Bin: *bin, Dir: dir, Cycles: *cycles, DBs: *dbs, WorkersPerDB: *writers, Sync: *syncMode,
		MinKill: *minKill, MaxKill: *maxKill, FullEvery: *fullEvery, Seed: *seed,
		Logf: func(format string, args ...any) { fmt.Printf(format+"\n", args...) },
	})
	if err != nil {
		passed := 0
		if res != nil {
			passed = len(res.Cycles)
		}
		fmt.Printf("FAIL after %d passing cycles: %v\n", passed, err)
		fmt.Printf("work directory kept: %s\n", dir)
		os.Exit(1)
	}
	fmt.Println(res.Summary())
	if *keep {
		fmt.Printf("work directory kept: %s\n", dir)
	} else {
		os.RemoveAll(dir)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
