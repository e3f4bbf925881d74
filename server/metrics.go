package server

import (
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/seed6aa118f9/herodb/storage"
)

// Metrics: what /metrics (the RPC listener, rpc/metrics.go) and the admin's INFO show,
// read from one place. The hot path pays a clock read at each end of a handler, one map
// lookup and a few atomic adds (cmdStat); everything else is read only when scraped.

// cmdStat is one command's counters. calls and usec are Redis's commandstats; the
// histogram is the same durations in buckets.
type cmdStat struct {
	calls, failed, rejected, usec atomic.Uint64
	hist                          prometheus.Histogram
}

// cmdMetrics is a server's counters and its Prometheus registry.
type cmdMetrics struct {
	rows    map[*command]*cmdStat // every row of the table, built once at Start: read without a lock
	unknown cmdStat               // commands not in the table (refused): never named, the name is the client's
	fsync   prometheus.Histogram  // the log's fdatasyncs
	batch   prometheus.Histogram  // frames each fsync made durable (the group commit)
	// fsyncUsec and syncedFrames are the histograms' sums as integers, for INFO.
	fsyncUsec, syncedFrames atomic.Uint64
	reg                     *prometheus.Registry
}

// Buckets: a command from 10 µs to a few seconds; an fsync from 50 µs to about 0.8 s;
// a group commit of 1 to 1024 frames.
var (
	cmdBuckets   = prometheus.ExponentialBuckets(10e-6, 4, 10)
	fsyncBuckets = prometheus.ExponentialBuckets(50e-6, 2, 15)
	batchBuckets = prometheus.ExponentialBuckets(1, 2, 11)
)

const cmdDurationHelp = "Time spent running commands (the handler, not the wait for the log's fsync), by command."

func newMetrics(s *Server) *cmdMetrics {
	m := &cmdMetrics{rows: map[*command]*cmdStat{}, reg: prometheus.NewRegistry()}
	add := func(c *command) {
		m.rows[c] = &cmdStat{hist: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "herodb_command_duration_seconds", Help: cmdDurationHelp,
			ConstLabels: prometheus.Labels{"cmd": c.name}, Buckets: cmdBuckets})}
	}
	for _, c := range table {
		add(c)
		for _, sub := range c.subs {
			add(sub)
		}
	}
	m.fsync = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "herodb_wal_fsync_duration_seconds",
		Help: "Time each fdatasync of the write-ahead log took.", Buckets: fsyncBuckets})
	m.batch = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "herodb_wal_group_commit_frames",
		Help: "Log frames (write batches, from every database) made durable by one fdatasync.", Buckets: batchBuckets})
	m.reg.MustRegister(m.fsync, m.batch, &serverCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.admin.ObserveLogSyncs(func(took time.Duration, frames uint64) {
		m.fsync.Observe(took.Seconds())
		m.batch.Observe(float64(frames))
		m.fsyncUsec.Add(uint64(took.Microseconds()))
		m.syncedFrames.Add(frames)
	})
	return m
}

// ran counts a command whose handler ran for took; failed when it answered an error.
func (m *cmdMetrics) ran(row *command, took time.Duration, failed bool) {
	st := m.rows[row]
	if st == nil {
		return
	}
	st.calls.Add(1)
	st.usec.Add(uint64(took.Microseconds()))
	if failed {
		st.failed.Add(1)
	}
	st.hist.Observe(took.Seconds())
}

// refused counts a command the checks refused before it ran (unknown, arity, NOAUTH,
// NOPERM…); row is nil for a command not in the table.
func (m *cmdMetrics) refused(row *command) {
	st := m.rows[row]
	if st == nil {
		st = &m.unknown
	}
	st.rejected.Add(1)
}

// failedReply reports whether the reply written from mark on is an error.
func failedReply(b []byte, mark int) bool {
	return len(b) > mark && (b[mark] == '-' || b[mark] == '!')
}

// Metrics is the server's Prometheus registry, for /metrics: nothing in it names a
// database unless Config.MetricsPerDB.
func (s *Server) Metrics() prometheus.Gatherer { return s.metrics.reg }

// Ready reports whether the server serves: its data directory is recovered (Start
// returns only after that) and it is not closing. /readyz answers it.
func (s *Server) Ready() bool { return !s.closing.Load() }

// nodeStats are the gauges read at scrape time, shared by /metrics and INFO.
type nodeStats struct {
	connections, blocked                         int
	registered, open                             int
	walBytes, walSegments, walAppended, flushLag int64
	buffered, adminBytes, openBytes              int64
	records                                      storage.RecordCacheStats
}

func (s *Server) nodeStats() nodeStats {
	st := nodeStats{blocked: s.BlockedClients(), registered: s.admin.Count()}
	s.mu.Lock()
	st.connections = len(s.sessions)
	s.mu.Unlock()
	s.admin.Files().Each(func(_ uint64, db *storage.DB) {
		st.open++
		st.openBytes += db.Stats().SizeOnDisk
	})
	ls, buffered := s.admin.LogStats()
	st.walBytes, st.walSegments, st.walAppended = ls.Bytes, int64(ls.Segments), int64(ls.Appended)
	st.buffered, st.flushLag = buffered, int64(s.admin.FlushLag())
	st.adminBytes = fileSize(filepath.Join(s.admin.Dir(), "0.db"))
	st.records = s.admin.RecordCacheStats()
	return st
}

// fileSize is a file's size, 0 when it cannot be read.
func fileSize(path string) int64 {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size()
	}
	return 0
}

// serverCollector turns the counters and nodeStats into metrics at each scrape. It is
// unchecked (Describe sends nothing): which commands appear depends on the traffic.
type serverCollector struct{ s *Server }

func (c *serverCollector) Describe(chan<- *prometheus.Desc) {}

var (
	descCommands = prometheus.NewDesc("herodb_commands_total",
		"Commands by name and outcome: ok, error (the reply was an error) or rejected (refused before running: unknown, wrong arity, NOAUTH, NOPERM).",
		[]string{"cmd", "outcome"}, nil)
	descAuthFailures = prometheus.NewDesc("herodb_auth_failures_total",
		"Refused credentials by reason (invalid, expired, invalid_jwt, wrong_database) and transport (resp, rpc).",
		[]string{"reason", "transport"}, nil)
	descDBCommands = prometheus.NewDesc("herodb_database_commands_total",
		"Commands run on each database (only with --metrics-per-db: the label names a tenant's database).",
		[]string{"db"}, nil)
	descDisk = prometheus.NewDesc("herodb_disk_bytes",
		"Bytes on disk: the write-ahead log, DB 0's file (admin) and the database files now open (open_databases).",
		[]string{"part"}, nil)
)

// gauge is one unlabelled value of nodeStats.
type gauge struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*Server, *nodeStats) float64
}

func newGauge(name, help string, kind prometheus.ValueType, value func(*Server, *nodeStats) float64) gauge {
	return gauge{prometheus.NewDesc(name, help, nil, nil), kind, value}
}

var gauges = []gauge{
	newGauge("herodb_connections", "Client connections open now.", prometheus.GaugeValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.connections) }),
	newGauge("herodb_connections_received_total", "Client connections accepted since start.", prometheus.CounterValue,
		func(s *Server, _ *nodeStats) float64 { return float64(s.stats.conns.Load()) }),
	newGauge("herodb_connections_rejected_total", "Connections refused at maxclients.", prometheus.CounterValue,
		func(s *Server, _ *nodeStats) float64 { return float64(s.stats.rejected.Load()) }),
	newGauge("herodb_blocked_clients", "Clients waiting in a blocking command (BLPOP…).", prometheus.GaugeValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.blocked) }),
	newGauge("herodb_databases_registered", "Databases registered in DB 0 (not counting DB 0).", prometheus.GaugeValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.registered) }),
	newGauge("herodb_databases_open", "Database files open now (the file cache).", prometheus.GaugeValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.open) }),
	newGauge("herodb_wal_segments", "Segment files of the write-ahead log.", prometheus.GaugeValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.walSegments) }),
	newGauge("herodb_wal_frames_appended_total", "Frames (write batches) appended to the log since start.", prometheus.CounterValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.walAppended) }),
	newGauge("herodb_flush_lag_frames", "Log frames not yet written into the database files: what a restart would replay.", prometheus.GaugeValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.flushLag) }),
	newGauge("herodb_write_buffer_bytes", "Changes held in memory, durable in the log, waiting for a flush (bounded by --write-buffer).", prometheus.GaugeValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.buffered) }),
	newGauge("herodb_record_cache_bytes", "Key records kept in memory from the database files for reads (bounded by --record-cache).", prometheus.GaugeValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.records.Used) }),
	newGauge("herodb_record_cache_hits_total", "Key record lookups of read-only commands served from the record cache since start.", prometheus.CounterValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.records.Hits) }),
	newGauge("herodb_record_cache_misses_total", "Key record lookups of read-only commands that read the file since start.", prometheus.CounterValue,
		func(_ *Server, n *nodeStats) float64 { return float64(n.records.Misses) }),
}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	for row, st := range s.metrics.rows {
		emitCmd(ch, row.name, st)
	}
	emitCmd(ch, "unknown", &s.metrics.unknown)
	for f, n := range s.admin.AuthFailures() {
		ch <- prometheus.MustNewConstMetric(descAuthFailures, prometheus.CounterValue, float64(n), f.Reason, f.Transport)
	}
	n := s.nodeStats()
	for _, g := range gauges {
		ch <- prometheus.MustNewConstMetric(g.desc, g.kind, g.value(s, &n))
	}
	for part, v := range map[string]int64{"wal": n.walBytes, "admin": n.adminBytes, "open_databases": n.openBytes} {
		ch <- prometheus.MustNewConstMetric(descDisk, prometheus.GaugeValue, float64(v), part)
	}
	if s.cfg.MetricsPerDB {
		s.dbCmds.Range(func(k, v any) bool {
			ch <- prometheus.MustNewConstMetric(descDBCommands, prometheus.CounterValue,
				float64(v.(*atomic.Int64).Load()), strconv.FormatUint(k.(uint64), 10))
			return true
		})
	}
}

// emitCmd sends one command's counters; a command never called is left out.
func emitCmd(ch chan<- prometheus.Metric, name string, st *cmdStat) {
	failed := st.failed.Load() // before calls, which ran adds to first: calls >= failed
	calls, rejected := st.calls.Load(), st.rejected.Load()
	if calls == 0 && rejected == 0 {
		return
	}
	for _, o := range []struct {
		outcome string
		n       uint64
	}{{"ok", calls - failed}, {"error", failed}, {"rejected", rejected}} {
		if o.n > 0 {
			ch <- prometheus.MustNewConstMetric(descCommands, prometheus.CounterValue, float64(o.n), name, o.outcome)
		}
	}
	if calls > 0 && st.hist != nil {
		ch <- st.hist
	}
}
