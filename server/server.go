// Package server speaks RESP (on redcon): connections, sessions, the command table,
// dispatch, group commit of pipelines and MULTI/EXEC, and the embedding API.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// Version is herodb's version, set at build time with -ldflags.
var Version = "0.1.0-dev"

// redisVersion is what INFO and HELLO report as the Redis version herodb speaks, so
// clients that gate features on it behave.
const redisVersion = "7.2.0"

// Config is everything a server needs. The zero value of each field is a sensible
// default, except Dir and AdminSecret.
type Config struct {
	Dir         string
	Bind        string // default 127.0.0.1
	Port        int    // 0: any free port (see Server.Addr)
	AdminSecret []byte
	KDF         crypto.KDFParams // Argon2id cost on bootstrap; crypto.TestKDF for tests
	Sync        storage.SyncMode
	Clock       storage.Clock
	MaxClients  int // default 10000
	// MaxArgs and MaxArgSize bound a command after authentication (defaults: 1,048,576
	// arguments and 512 MiB per argument, Redis's own limits).
	MaxArgs    int
	MaxArgSize int
	// MaxOutput is the hard limit on a connection's unsent replies (default 1 GiB, as
	// --client-output-limit): a client that is not reading is held by backpressure, and
	// closed once the replies it has not taken pass this. Keep it above MaxArgSize, so
	// every value a client can store stays readable.
	MaxOutput int
	// MaxQuery bounds the bytes of one incomplete command a connection may have
	// buffered (default 1 GiB, as Redis's client-query-buffer-limit).
	MaxQuery int
	// PreAuthIdle closes a connection that has not authenticated after this long without
	// sending anything (default 60 s; negative: never).
	PreAuthIdle time.Duration
	Logger      *slog.Logger
	// JWT is the policy for Ed25519 JWTs (keys, leeway, audience, issuer, wildcard).
	JWT admin.JWTConfig
	// Admin, when set, is used instead of opening Dir (the caller owns and closes it).
	Admin *admin.Admin
	// Setup, when set, runs once the data directory is open and before the server
	// listens, so nothing it makes (--dev's database) is missing for a first client.
	Setup func(*admin.Admin) error
	// The storage engine's bounds (admin.Config has their defaults): the file cache's
	// idle close and open-file bound, the write buffer, the flush interval, and what
	// startup does with a damaged log frame.
	IdleClose     time.Duration
	MaxOpenDBs    int
	RegistryCache int
	WriteBuffer   int64
	RecordCache   int64 // admin.Config.RecordCache: 0 is 64 MiB, negative none
	FlushInterval time.Duration
	WALRecover    wal.RecoverMode
	// ScriptMemory stops a running script once the process's live heap has grown by
	// more than this many bytes since it began (default 512 MiB, as --script-memory-limit;
	// negative: no bound). A coarse guard against a runaway script: script_memory.go.
	ScriptMemory int64
	// MetricsPerDB adds metrics labelled with database ids (--metrics-per-db); off, no
	// metric names a tenant.
	MetricsPerDB bool
	// SlowlogSlowerThan and SlowlogMaxLen are the slow log's threshold (default 10 ms;
	// negative: off; under a microsecond: every command) and length (default 128), as
	// Redis's slowlog-log-slower-than and slowlog-max-len: slowlog.go.
	SlowlogSlowerThan time.Duration
	SlowlogMaxLen     int

	// NoPlainPort turns the plain-text RESP port off, leaving TLS only (what
	// `herodb serve --port 0` means, as in Redis).
	NoPlainPort bool
	// TLS, when set, also serves RESP over TLS on TLSPort (0: any free port, see
	// TLSAddr); never below TLS 1.2, whatever it says (tlsconf.Harden). A handshake
	// must finish within TLSHandshakeTimeout (default 10 s). listen.go.
	TLS                 *tls.Config
	TLSPort             int
	TLSHandshakeTimeout time.Duration
	// ProtectedModeOff lets clients beyond loopback use public databases while the
	// server listens beyond loopback (`--protected-mode no`): protected.go.
	ProtectedModeOff bool
}

func (c *Config) defaults() {
	if c.Bind == "" {
		c.Bind = "127.0.0.1"
	}
	if c.MaxClients == 0 {
		c.MaxClients = 10000
	}
	if c.MaxArgs == 0 {
		c.MaxArgs = 1 << 20
	}
	if c.MaxArgSize == 0 {
		c.MaxArgSize = storage.MaxStringSize
	}
	if c.MaxOutput == 0 {
		c.MaxOutput = 1 << 30
	}
	if c.MaxQuery == 0 {
		c.MaxQuery = 1 << 30
	}
	if c.Clock == nil {
		c.Clock = storage.SystemClock
	}
	if c.PreAuthIdle == 0 {
		c.PreAuthIdle = 60 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Server is a running herodb RESP server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	admin    *admin.Admin
	ownAdmin bool
	rs       *redcon.Server
	ln       net.Listener
	ports    *ports // the plain and TLS ports behind ln (listen.go)
	started  time.Time

	runMu    sync.RWMutex // held for reading by running handlers; Close takes it to wait
	closing  atomic.Bool
	closed   chan struct{}
	stopping chan struct{} // closed as Close begins: a check waiting for the throttle gives up
	stopOnce sync.Once
	serveErr error

	mu       sync.Mutex
	sessions map[int64]*session
	nextID   int64

	watchMu sync.Mutex
	watches map[watchKey]map[*session]struct{}
	watchN  atomic.Int64 // len(watches), read without watchMu: writes skip WATCH work when 0

	blocks blockRegistry  // clients waiting in BLPOP and friends (blocking.go)
	pubsub pubsubRegistry // subscriptions by database (pubsub.go)
	notify notifySettings // keyspace notifications by database (notify.go)

	// Lua scripts: the cache per database and the runs under way (script.go).
	scripting scriptRegistry

	saves saveState // SAVE, BGSAVE, LASTSAVE (cmd_save.go)

	stats struct {
		conns, cmds, rejected, errors atomic.Int64
	}
	dbCmds sync.Map // database id → *atomic.Int64: commands, for a tenant's INFO

	metrics *cmdMetrics // per-command counters and the Prometheus registry (metrics.go)
	slow    slowLog     // SLOWLOG (slowlog.go)
}

// Start opens the data directory (unless cfg.Admin is given), listens on cfg.Bind and
// cfg.Port and serves in the background until Close.
func Start(cfg Config) (*Server, error) {
	cfg.defaults()
	s := &Server{cfg: cfg, log: cfg.Logger, admin: cfg.Admin, started: time.Now(),
		sessions: map[int64]*session{}, watches: map[watchKey]map[*session]struct{}{},
		closed: make(chan struct{}), stopping: make(chan struct{})}
	if s.admin == nil {
		a, err := admin.Open(admin.Config{Dir: cfg.Dir, Secret: cfg.AdminSecret, KDF: cfg.KDF,
			Sync: cfg.Sync, Clock: cfg.Clock, Logger: cfg.Logger, JWT: cfg.JWT,
			IdleClose: cfg.IdleClose, MaxOpenDBs: cfg.MaxOpenDBs, RegistryCache: cfg.RegistryCache, WriteBuffer: cfg.WriteBuffer,
			RecordCache: cfg.RecordCache, FlushInterval: cfg.FlushInterval, WALRecover: cfg.WALRecover})
		if err != nil {
			return nil, err
		}
		s.admin, s.ownAdmin = a, true
	}
	if cfg.Setup != nil {
		if err := cfg.Setup(s.admin); err != nil {
			if s.ownAdmin {
				s.admin.Close()
			}
			return nil, err
		}
	}
	ln, err := s.listen()
	if err != nil {
		if s.ownAdmin {
			s.admin.Close()
		}
		return nil, err
	}
	s.ports = ln
	s.metrics = newMetrics(s)
	s.slow.init(cfg.SlowlogSlowerThan, cfg.SlowlogMaxLen)
	s.ln = &guardListener{Listener: ln, limits: guardLimits{idle: max(cfg.PreAuthIdle, 0),
		maxArgs: cfg.MaxArgs, maxBulk: cfg.MaxArgSize, maxQuery: cfg.MaxQuery}}
	s.rs = redcon.NewServerNetwork("tcp", ln.Addr().String(), s.handle, s.accept, s.onClosed)
	s.admin.Files().OnSweep(s.sweepNotes) // the sweeper's expired events (notify.go)
	go func() {
		s.serveErr = s.rs.Serve(s.ln)
		close(s.closed)
	}()
	s.logListening()
	return s, nil
}

// Addr is the plain port's address, e.g. "127.0.0.1:6379"; the TLS port's when the
// plain port is off.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Admin is the server's control plane (create databases, etc.).
func (s *Server) Admin() *admin.Admin { return s.admin }

// Close stops accepting, lets running commands finish and answer (blocked clients and
// subscribers get an error), closes connections and then every database file
// (shutdown.go).
func (s *Server) Close() error {
	s.stopOnce.Do(func() { close(s.stopping) })
	// Not under runMu: a handler blocked writing to a client that does not read holds it
	// for reading until its connection is closed, which is what the next lines do.
	if s.closing.Swap(true) {
		return nil
	}
	s.drain() // shutdown.go: what is running answers first
	err := s.rs.Close()
	// redcon's Close does nothing when Serve has not started yet; closing the listener
	// ourselves makes Serve return either way.
	s.ln.Close()
	<-s.closed // redcon closes every connection as Serve returns: blocked writes fail
	// Every handler holds runMu for reading while it runs: this waits for them.
	s.runMu.Lock()
	s.runMu.Unlock()
	if s.ownAdmin {
		if cerr := s.admin.Close(); err == nil {
			err = cerr
		}
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) accept(conn redcon.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= s.cfg.MaxClients {
		s.stats.rejected.Add(1)
		conn.NetConn().Write([]byte("-ERR max number of clients reached\r\n"))
		return false
	}
	s.nextID++
	sess := newSession(s.nextID, conn, s.cfg.Clock.Now())
	s.sessions[sess.id] = sess
	conn.SetContext(sess)
	s.stats.conns.Add(1)
	return true
}

// onClosed runs under redcon's server lock: keep it short.
func (s *Server) onClosed(conn redcon.Conn, err error) {
	sess, _ := conn.Context().(*session)
	if sess == nil {
		return
	}
	s.unwatchAll(sess)
	s.subscriberGone(sess) // pubsub.go: its subscriptions and writer
	s.mu.Lock()
	delete(s.sessions, sess.id)
	s.mu.Unlock()
	if err != nil {
		s.log.Debug("connection closed", "client", sess.addr, "id", sess.id, "err", err)
	}
}

// handle is redcon's handler: it takes this command and every command already parsed
// behind it, and runs runs of data commands as one transaction (group commit). Replies
// are written straight to the socket: once outputFlush bytes are waiting they go out
// before the next command runs, and the write blocks while the client does not read
// (backpressure), so a pipeline of big replies never sits in memory whole.
func (s *Server) handle(conn redcon.Conn, first redcon.Command) {
	s.runMu.RLock()
	defer s.runMu.RUnlock()
	sess := conn.Context().(*session)
	sess.cmdMu.Lock() // pubsub.go: the recheck of an idle subscriber waits for none of this
	defer sess.cmdMu.Unlock()
	if s.closing.Load() {
		conn.ReadPipeline()
		conn.Close()
		return
	}
	// The steps and the replies' buffer are the session's, kept from call to call
	// (handle holds cmdMu): two or three allocations fewer per unpipelined command.
	steps := append(sess.steps[:0], newStep(first.Args))
	for _, cmd := range conn.ReadPipeline() {
		steps = append(steps, newStep(cmd.Args))
	}
	out := sess.out[:0]
	defer func() {
		clear(steps) // their arguments and replies are not kept past the call
		sess.steps, sess.out = steps[:0], out[:0]
		if cap(steps) > maxKeptSteps {
			sess.steps = nil
		}
		if cap(out) > maxKeptOut {
			sess.out = nil
		}
	}()
	for i := 0; i < len(steps) && !sess.quit; {
		if !sess.authed {
			if msg := preAuthCheck(steps[i].args); msg != "" {
				out = redcon.AppendError(out, msg)
				sess.quit = true
				break
			}
		}
		j := i
		for j < len(steps) && s.groupable(sess, &steps[j]) && (sess.authed || preAuthCheck(steps[j].args) == "") {
			j++
		}
		if j > i {
			var n int
			out, n = s.runGroup(sess, steps[i:j], out)
			i += max(n, 1) // a group always runs at least one command
		} else {
			out = s.runOne(sess, &steps[i], out)
			i++
		}
		if len(out) > s.cfg.MaxOutput {
			s.log.Warn("closing connection: client output limit", "client", sess.addr, "id", sess.id, "unsent", len(out))
			out = nil
			sess.quit = true
			break
		}
		if len(out) >= s.flushAt() {
			if !s.send(sess, conn, out) {
				return
			}
			out = out[:0]
			if cap(out) > 1<<20 {
				out = nil
			}
		}
	}
	if len(out) > 0 && !s.send(sess, conn, out) {
		return
	}
	if sess.quit {
		if sess.sub.Load() != nil {
			s.subscriberQuit(sess) // closed by its writer, after what is queued
			return
		}
		conn.Close()
	}
}

// send writes replies to the client, blocking until the socket takes them. A failed
// write closes the connection.
func (s *Server) send(sess *session, conn redcon.Conn, out []byte) bool {
	if sess.sub.Load() != nil {
		return s.subscriberSend(sess, out) // pubsub.go: behind the queued messages
	}
	if _, err := conn.NetConn().Write(out); err != nil {
		s.log.Debug("write failed", "client", sess.addr, "id", sess.id, "err", err)
		conn.Close()
		return false
	}
	return true
}

// sessionList returns a snapshot of the open sessions, for CLIENT LIST and INFO.
func (s *Server) sessionList() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		out = append(out, sess)
	}
	return out
}

// Info is the server's public facts, for the RPC's getServerInfo: never a secret.
func (s *Server) Info() map[string]any {
	return map[string]any{
		"version":        Version,
		"redis_version":  redisVersion,
		"uptime_seconds": int64(time.Since(s.started).Seconds()),
		"connections":    len(s.sessionList()),
		"resp_addr":      s.Addr(),
		"resp_tls_addr":  s.TLSAddr(),
		"sync":           s.cfg.Sync.String(),
	}
}

// countCmd counts a command for INFO: server-wide, and per database for tenants' INFO.
func (s *Server) countCmd(sess *session, row *command) {
	s.stats.cmds.Add(1)
	if sess.selected {
		v, ok := s.dbCmds.Load(sess.db)
		if !ok { // the first command of this database: LoadOrStore alone allocated per call
			v, _ = s.dbCmds.LoadOrStore(sess.db, new(atomic.Int64))
		}
		v.(*atomic.Int64).Add(1)
	}
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		// Arguments are never logged: they hold credentials (AUTH, SELECT … KEY) and
		// secrets (AGE, SYM). The name and count are enough to follow a session.
		s.log.Debug("command", "client", sess.addr, "id", sess.id, "db", sess.db, "cmd", row.name)
	}
}
