package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/seed6aa118f9/herodb/admin"
)

// session is one connection's state. Only its own handler goroutine touches the plain
// fields; what other goroutines read (CLIENT LIST, WATCH) is behind mu or atomic.
type session struct {
	id      int64
	addr    string
	conn    redcon.Conn
	created time.Time

	// Selection: which database, with what access, as of which revocation generation.
	selected bool
	db       uint64
	access   admin.Access
	gen      uint64
	selKey   []byte // the credential given with SELECT … KEY, rechecked on revocation

	// Credential from AUTH, kept for later SELECTs without KEY.
	isAdmin bool
	authed  bool // a credential was accepted, or a database was selected

	multi   bool
	dirty   bool // a command failed to queue: EXEC aborts
	queue   [][][]byte
	watched []watchKey
	// casDirty is set by other connections' writes to a watched key.
	casDirty atomic.Bool

	quit bool

	mu      sync.Mutex // guards the fields CLIENT LIST reads
	name    string
	libName string
	libVer  string
	lastCmd string
	lastAt  time.Time
}

func newSession(id int64, conn redcon.Conn, now time.Time) *session {
	return &session{id: id, addr: conn.RemoteAddr(), conn: conn, created: now, lastAt: now}
}

func (s *session) deselect() {
	s.selected, s.db, s.access, s.gen, s.selKey = false, 0, admin.AccessNone, 0, nil
}

func (s *session) setLast(cmd string, at time.Time) {
	s.mu.Lock()
	s.lastCmd, s.lastAt = cmd, at
	s.mu.Unlock()
}

// watchKey is one watched key of one database.
type watchKey struct {
	db  uint64
	key string
}
