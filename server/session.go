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
	selKey   []byte       // the credential given with SELECT … KEY, for this selection only
	selGrant *admin.Grant // what selKey grants; rechecked on revocation

	// The credential from AUTH, kept for later SELECTs without KEY.
	authCred   []byte
	authGrant  *admin.Grant
	authed     bool   // a credential was accepted, or a database was selected
	failures   int    // refused credentials on this connection
	credGen    uint64 // admin's credential generation when the grants were derived
	authErr    error  // why the AUTH credential was last refused on a recheck
	expiredMsg string // an expiry noticed between commands, reported at the next one
	limits     *guardConn

	multi    bool
	dirty    bool // a command failed to queue: EXEC aborts
	queue    [][][]byte
	watched  []watchKey
	watchExp map[watchKey]int64 // expiry (unix ms) of watched keys that had one
	// casDirty is set by other connections' writes to a watched key.
	casDirty atomic.Bool

	quit bool

	mu      sync.Mutex // guards the fields CLIENT LIST reads
	name    string
	libName string
	libVer  string
	lastCmd string
	lastAt  time.Time
	listDB  int64 // the selected database for CLIENT LIST and INFO; -1: none
}

func newSession(id int64, conn redcon.Conn, now time.Time) *session {
	sess := &session{id: id, addr: conn.RemoteAddr(), conn: conn, created: now, lastAt: now, listDB: -1}
	sess.limits, _ = conn.NetConn().(*guardConn)
	return sess
}

// isAdmin reports whether the connection presented the admin secret (AUTH or KEY).
func (s *session) isAdmin() bool { return adminGrant(s.authGrant) || adminGrant(s.selGrant) }

func (s *session) deselect() {
	s.selected, s.db, s.access, s.gen, s.selKey, s.selGrant = false, 0, admin.AccessNone, 0, nil, nil
	s.mu.Lock()
	s.listDB = -1
	s.mu.Unlock()
}

// choose makes db the selection, with its access, generation and KEY credential.
func (s *session) choose(db uint64, acc admin.Access, gen uint64, key []byte, kg *admin.Grant) {
	s.selected, s.db, s.access, s.gen, s.selKey, s.selGrant = true, db, acc, gen, key, kg
	s.authed = true
	s.mu.Lock()
	s.listDB = int64(db)
	s.mu.Unlock()
	s.authenticated()
}

// setAuth remembers an accepted AUTH credential and forgets what the last one left.
func (s *session) setAuth(cred []byte, g *admin.Grant) {
	s.authCred, s.authGrant, s.authErr, s.expiredMsg = cred, g, nil, ""
	s.authenticated()
}

// authenticated lifts the pre-authentication limits of the connection.
func (s *session) authenticated() {
	s.authed = true
	if s.limits != nil {
		s.limits.authenticated()
	}
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
