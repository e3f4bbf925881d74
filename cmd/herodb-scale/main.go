// Command herodb-scale measures the real herodb binary with many databases on one node
// (issue 14, "A million databases on one node"): it starts `herodb serve --dev` on a
// temporary directory, creates N databases over the JSON-RPC from concurrent workers,
// then measures what a SaaS with one database per customer feels: the create rate (and
// how it changes as N grows), cold SELECT + first write on a new connection, warm
// SELECT + GET on open connections, RSS, open files, disk per database, listDatabases,
// and the time a restart takes to serve again. It prints a markdown report and writes it
// to bench/results/<UTC date>-scale-<N>.md.
//
//	go run ./cmd/herodb-scale -bin bin/herodb -n 100000
//
// Everything runs against the real binary on loopback ports; nothing is timed in-process.
// The server and the temporary directory are removed at the end, on error and on
// interrupt (-keep keeps the directory and the server log).
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// config is the command line: every flag is echoed into the report.
type config struct {
	bin        string
	n          int
	workers    int
	bulk       int
	maxOpenDBs int
	sync       string
	m          int
	coldConc   int
	warmConns  int
	warmRate   int
	listLimit  int
	listMax    int
	out        string
	tmp        string
	keep       bool
}

func parseFlags() *config {
	c := &config{}
	flag.StringVar(&c.bin, "bin", "bin/herodb", "the herodb binary")
	flag.IntVar(&c.n, "n", 100000, "databases to create")
	flag.IntVar(&c.workers, "workers", 8, "concurrent RPC clients creating databases")
	flag.IntVar(&c.bulk, "bulk", 1, "databases per herodb_createDatabases call when the server has it (1: one createDatabase per call)")
	flag.IntVar(&c.maxOpenDBs, "max-open-dbs", 1000, "the server's --max-open-dbs")
	flag.StringVar(&c.sync, "sync", "always", "the server's --sync")
	flag.IntVar(&c.m, "m", 2000, "random databases for each latency measurement")
	flag.IntVar(&c.coldConc, "cold-conc", 4, "goroutines opening new connections for the cold measurement")
	flag.IntVar(&c.warmConns, "warm-conns", 16, "open connections for the warm measurements")
	flag.IntVar(&c.warmRate, "warm-rate", 2000, "SELECT + GET pairs a second, over all the warm connections, of the paced warm pass (0: none)")
	flag.IntVar(&c.listLimit, "list-limit", 100, "page size of a paginated listDatabases")
	flag.IntVar(&c.listMax, "list-max", 0, "stop walking listDatabases pages after this many databases (0: all)")
	flag.StringVar(&c.out, "out", "bench/results", "where the report is written")
	flag.StringVar(&c.tmp, "tmp", "", "where the temporary data directory goes (default $TMPDIR or /tmp)")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (data and server log)")
	flag.Parse()
	return c
}

func main() {
	cfg := parseFlags()
	// rpc.Call shares http.DefaultTransport, which keeps only 2 idle connections per
	// host: with 8 workers most calls would open a new TCP connection, timing the
	// client's handshakes and, at a million creates, running out of ephemeral ports to
	// TIME_WAIT. Keep one idle connection per worker instead.
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = max(64, cfg.workers*2)
	}
	b := &bench{cfg: cfg}
	var once sync.Once
	cleanup := func() { once.Do(b.cleanup) }
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "herodb-scale: %v: stopping the server and cleaning up\n", s)
		cleanup()
		os.Exit(130)
	}()
	err := b.run()
	cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "herodb-scale:", err)
		os.Exit(1)
	}
}
