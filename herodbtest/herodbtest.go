// Package herodbtest starts a real herodb server inside a Go test: a temporary data
// directory, cheap key derivation, a free loopback port, and cleanup when the test ends.
// It is the real server with the real storage, not a fake.
//
//	srv := herodbtest.Start(t, herodbtest.Options{})
//	db := srv.CreateDatabase(t, "app", false)
//	key := srv.AddAccessKey(t, db, "readwrite")
//	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: key, DB: int(db)})
//
// Credentials come one call each (AddAccessKey, CreateToken, MintJWT); one clock per
// server moves TTLs, token and JWT expiry and TIME together (FastForward, SetTime);
// Restart reopens the same directory on the same port. docs/embedding.md has the whole
// surface and its miniredis equivalents.
package herodbtest

import (
	"crypto/ed25519"
	"net"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/storage"
)

// AdminSecret is the admin secret of every test server.
const AdminSecret = "herodbtest-admin-secret"

// Options adjust the test server; the zero value is fine.
type Options struct {
	Dir string // default: t.TempDir()
	// Clock is the time the server's clock starts from and runs with (default: the wall
	// clock). FastForward and SetTime shift it; a storage.ManualClock here makes time
	// stand still between those calls, as in miniredis.
	Clock storage.Clock
	Sync  storage.SyncMode
	// Configure may change the server config before the first start; Restart reuses
	// the result (without Setup, which has already run on the directory).
	Configure func(*server.Config)
}

// Server is a running test server. Its methods are not meant to be called while
// Restart runs; everything else may be used from many goroutines.
type Server struct {
	*server.Server
	Dir string

	cfg        server.Config
	clock      *clock
	jwtKey     ed25519.PrivateKey // the key MintJWT signs with; the server trusts its public half
	jwtTrusted atomic.Bool        // from the first MintJWT on (useJWTKey)
}

// Start starts a server on 127.0.0.1 with a free port; it stops when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	base := o.Clock
	if base == nil {
		base = storage.SystemClock
	}
	s := &Server{Dir: o.Dir, clock: &clock{base: base}}
	s.cfg = server.Config{
		Dir: o.Dir, Port: 0, AdminSecret: []byte(AdminSecret), KDF: crypto.TestKDF,
		Sync: o.Sync, Clock: s.clock,
	}
	if o.Configure != nil {
		o.Configure(&s.cfg)
	}
	s.trustJWTKey(t)
	srv, err := server.Start(s.cfg)
	if err != nil {
		t.Fatalf("herodbtest: start: %v", err)
	}
	s.Server = srv
	s.cfg.Setup = nil // it has run on the directory; a restart must not run it again
	if _, port, err := net.SplitHostPort(srv.Addr()); err == nil {
		s.cfg.Port, _ = strconv.Atoi(port)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Close stops the server: connections are closed and every file is flushed and closed.
// It is safe to call more than once; the test's cleanup calls it too.
func (s *Server) Close() error { return s.Server.Close() }

// Restart stops the server and starts it again on the same directory, port and clock, as
// a process restart would: what was acknowledged is there, open connections are gone
// (clients reconnect to the same address).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.Server.Close(); err != nil {
		t.Fatalf("herodbtest: restart: close: %v", err)
	}
	srv, err := server.Start(s.cfg)
	if err != nil {
		t.Fatalf("herodbtest: restart: %v", err)
	}
	s.Server = srv
}

// CreateDatabase creates a database (public read-write when public) and returns its id.
func (s *Server) CreateDatabase(t testing.TB, name string, public bool) uint64 {
	t.Helper()
	p := admin.AccessNone
	if public {
		p = admin.AccessReadWrite
	}
	d, err := s.Admin().CreateDatabase(admin.CreateOptions{Name: name, Public: p})
	if err != nil {
		t.Fatalf("herodbtest: create database: %v", err)
	}
	return d.ID
}
