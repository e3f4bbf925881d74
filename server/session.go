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
	dirty    bool   // a command failed to queue: EXEC aborts
	queue    []step // found and checked when queued; checked again at EXEC
	watched  []watchKey
	watchExp map[watchKey]int64 // expiry (unix ms) of watched keys that had one
	// casDirty is set by other connections' writes to a watched key.
	casDirty atomic.Bool

	quit bool

	// steps and out are handle's, reused from one call to the next: a long pipeline's
	// are let go (maxKeptSteps, maxKeptOut) rather than held by an idle connection.
	steps []step
	out   []byte

	// block is the waiter of the blocking command being run (blocking.go), nil otherwise:
	// a blocking handler that finds nothing leaves its keys to it, or, without one (MULTI,
	// EXEC), answers nil at once.
	block *waiter

	// sub is the connection's Pub/Sub state once it subscribed (pubsub.go): from then on
	// its bytes go through the subscriber's writer. cmdMu is held by handle while the
	// connection runs commands, so the Pub/Sub recheck can run the permission check for
	// an idle subscriber.
	sub   atomic.Pointer[subscriber]
	cmdMu sync.Mutex

	mu      sync.Mutex // guards the fields CLIENT LIST reads
	name    string
	libName string
	libVer  string
	lastCmd string
	lastAt  time.Time
	listDB  int64 // the selected database for CLIENT LIST and INFO; -1: none
}

const (
	maxKeptSteps = 256
	maxKeptOut   = 16 << 10
)

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

// beginMulti starts a transaction: commands are queued until EXEC or DISCARD.
func (s *session) beginMulti() { s.multi, s.dirty, s.queue = true, false, nil }

// endMulti ends the transaction (EXEC, DISCARD, RESET, a malformed EXEC) and returns what
// was queued, and whether a command failed to queue.
func (s *session) endMulti() (queued []step, dirty bool) {
	queued, dirty = s.queue, s.dirty
	s.multi, s.dirty, s.queue = false, false, nil
	return queued, dirty
}

// spoilMulti marks the transaction failed: EXEC will answer EXECABORT.
func (s *session) spoilMulti() { s.dirty = true }

func (s *session) queued() int     { return len(s.queue) }
func (s *session) enqueue(st step) { s.queue = append(s.queue, st) }

// reset puts the connection back as it was when it connected (RESET): no selection, no
// credential, the pre-authentication limits, no transaction, no name.
func (s *session) reset() {
	s.deselect()
	s.authCred, s.authGrant, s.authErr, s.expiredMsg, s.authed = nil, nil, nil, "", false
	if s.limits != nil {
		s.limits.unauthenticated()
	}
	s.endMulti()
	s.mu.Lock()
	s.name = ""
	s.mu.Unlock()
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
