// Package herodbtest starts a real herodb server inside a Go test: a temporary data
// directory, cheap key derivation, a free loopback port, and cleanup when the test ends.
// It is the real server with the real storage, not a fake.
//
//	srv := herodbtest.Start(t, herodbtest.Options{})
//	db := srv.CreateDatabase(t, "app", true)
//	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db)})
package herodbtest

import (
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
	Dir   string        // default: t.TempDir()
	Clock storage.Clock // default: the wall clock
	Sync  storage.SyncMode
	// Configure may change the server config before start.
	Configure func(*server.Config)
}

// Server is a running test server.
type Server struct {
	*server.Server
	Dir string
}

// Start starts a server on 127.0.0.1 with a free port; it stops when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	cfg := server.Config{
		Dir: o.Dir, Port: 0, AdminSecret: []byte(AdminSecret), KDF: crypto.TestKDF,
		Sync: o.Sync, Clock: o.Clock,
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	srv, err := server.Start(cfg)
	if err != nil {
		t.Fatalf("herodbtest: start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &Server{Server: srv, Dir: o.Dir}
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
