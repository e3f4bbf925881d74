package server

// Blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP; cmd_block.go): the registry
// of waiting clients and the loop a blocked connection runs.
//
// A blocking command runs as any data command does, in its own transaction
// (runOne → block → runSteps). A handler that finds nothing to pop writes no reply and
// tells its waiter which keys it would pop from; the connection then waits on its own
// goroutine (redcon gives each connection one, so the commands pipelined behind it wait
// too), after sending the replies of the commands before it.
//
// Waking. Each database and key has a FIFO of waiters. A transaction that changed keys
// rings, after its commit, the first waiter of each of them (runner.go notify → wake);
// the woken client runs its command again, whole, in a transaction of its own: if
// another client took the element first, it finds nothing and waits again, keeping its
// place. A waiter that leaves the registry (served, timed out, released) rings the new
// first waiter of each of its keys, so one push of n elements serves the first n waiters
// one after another, in the order they blocked (Redis's fairness). Only keys of the
// waiter's own database ring it. A client that registers runs its command once more
// before it waits, so a push that lands between its first try and its registration is
// never missed. What Redis does in the push's own command (hand the elements over)
// herodb does in the woken clients' transactions: a client that arrives while the wake-up
// is passed down may take an element a waiter further back would have had.
//
// Revocation. A waiting client is released with the error its next command would get:
// one goroutine per server, running only while someone waits, compares every
// blockRecheck the revocation generations (admin/revocation.go) and credential expiries
// each waiter was admitted under with the current ones, and rings the waiters whose
// changed; a rung waiter runs the permission check (dispatch.go check, access.go
// refresh) and, when it fails, answers its error. Nothing else is polled: a waiter
// costs no goroutine of its own beyond its connection's, and no read of its keys until
// it is rung.
//
// Leaving. A timeout answers nil (a null array, as Redis answers every blocking pop's
// timeout in RESP2); CLIENT UNBLOCK answers nil or an UNBLOCKED error; Server.Close
// (its stopping channel) answers errShuttingDown and closes the connection; a peer that
// closes the connection is noticed by a peek at its socket (blocking_unix.go) and
// leaves nothing behind.

import (
	"container/list"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
)

// blockRecheck is how often the registry compares the waiters' access with the current
// revocation generations. One timer for the whole server, and only while someone waits.
const blockRecheck = 100 * time.Millisecond

// Why a waiter was rung (bits of waiter.why).
const (
	wakeData    uint32 = 1 << iota // one of its keys changed: run the command again
	wakeRecheck                    // its access may have changed: run the permission check
	wakeTimeout                    // CLIENT UNBLOCK … TIMEOUT
	wakeError                      // CLIENT UNBLOCK … ERROR
)

// waiter is one blocked connection. Its handler goroutine owns the plain fields; the
// registry (under its lock) and the recheck goroutine use the rest.
type waiter struct {
	sess *session
	db   uint64

	// Set by the handler when it found nothing: the keys it pops from and its timeout
	// in milliseconds (0: forever).
	keys    [][]byte
	timeout int64
	// state is the handler's own, kept across its runs (XREAD's $ ids as first resolved).
	state any

	bell chan struct{} // capacity 1: rung, not yet seen
	why  atomic.Uint32

	// What its access was admitted under, for the recheck goroutine.
	gen, credGen atomic.Uint64
	expires      atomic.Int64 // unix nanoseconds of its credentials' first expiry; 0: none

	queued []watchKey      // under the registry lock: the queues it is in …
	elems  []*list.Element // … and its place in each
}

func (w *waiter) ring(why uint32) {
	w.why.Or(why)
	select {
	case w.bell <- struct{}{}:
	default:
	}
}

// admitted records the access the session now has, after a permission check passed.
func (w *waiter) admitted(sess *session) {
	w.gen.Store(sess.gen)
	w.credGen.Store(sess.credGen)
	var first time.Time
	for _, g := range []*admin.Grant{sess.authGrant, sess.selGrant} {
		if g != nil && !g.Expires.IsZero() && (first.IsZero() || g.Expires.Before(first)) {
			first = g.Expires
		}
	}
	if first.IsZero() {
		w.expires.Store(0)
	} else {
		w.expires.Store(first.UnixNano())
	}
}

// blockRegistry is every waiter, by database and key (FIFO) and by connection id.
// Its zero value is ready; the lock is never held across a call into another component.
type blockRegistry struct {
	mu      sync.Mutex
	queues  map[watchKey]*list.List
	byID    map[int64]*waiter
	n       atomic.Int64 // len(byID), read without mu: a write with nobody waiting pays one load
	ticking bool         // the recheck goroutine runs
}

// addWaiter puts w at the end of the queue of each of its keys, and starts the recheck
// goroutine if it is not running.
func (s *Server) addWaiter(w *waiter) {
	b := &s.blocks
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queues == nil {
		b.queues, b.byID = map[watchKey]*list.List{}, map[int64]*waiter{}
	}
	for _, k := range w.keys {
		wk := watchKey{db: w.db, key: string(k)}
		if containsKey(w.queued, wk) {
			continue // BLPOP k k 0: one place is enough
		}
		q := b.queues[wk]
		if q == nil {
			q = list.New()
			b.queues[wk] = q
		}
		w.queued = append(w.queued, wk)
		w.elems = append(w.elems, q.PushBack(w))
	}
	b.byID[w.sess.id] = w
	b.n.Store(int64(len(b.byID)))
	if !b.ticking {
		b.ticking = true
		go s.recheckWaiters()
	}
}

func containsKey(ks []watchKey, k watchKey) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// removeWaiter takes w out of the registry (if it is in) and rings the new first waiter
// of each of its keys: the element w did not take, or the next of several, is theirs.
func (s *Server) removeWaiter(w *waiter) {
	b := &s.blocks
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byID[w.sess.id] != w {
		return
	}
	for i, wk := range w.queued {
		q := b.queues[wk]
		q.Remove(w.elems[i])
		if q.Len() == 0 {
			delete(b.queues, wk)
		} else {
			q.Front().Value.(*waiter).ring(wakeData)
		}
	}
	w.queued, w.elems = nil, nil
	delete(b.byID, w.sess.id)
	b.n.Store(int64(len(b.byID)))
}

// wake rings the first waiter on each key the committed transaction of database db
// changed (runner.go notify). A change that fills no list (a DEL, an LPOP) rings too; the
// woken client finds nothing and waits on, in its place.
func (s *Server) wake(db uint64, ts []touched) {
	if s.blocks.n.Load() == 0 {
		return
	}
	b := &s.blocks
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range ts {
		for _, k := range t.row.keys(t.args) {
			if q := b.queues[watchKey{db: db, key: string(k)}]; q != nil {
				q.Front().Value.(*waiter).ring(wakeData)
			}
		}
	}
}

// unblock rings the waiter of connection id for CLIENT UNBLOCK, if it waits in database
// db (any database when anyDB); it reports whether there was one.
func (s *Server) unblock(id int64, why uint32, db uint64, anyDB bool) bool {
	b := &s.blocks
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.byID[id]
	if w == nil || (!anyDB && w.db != db) || w.why.Load()&(wakeTimeout|wakeError) != 0 {
		return false
	}
	w.ring(why)
	return true
}

// BlockedClients is how many connections wait in a blocking command.
func (s *Server) BlockedClients() int { return int(s.blocks.n.Load()) }

// recheckWaiters runs while anyone waits: every blockRecheck it rings the waiters whose
// database's generation or the credential generation moved since they were admitted,
// or whose credential expired. It reads only admin's snapshots and the waiters' atomics.
func (s *Server) recheckWaiters() {
	t := time.NewTicker(blockRecheck)
	defer t.Stop()
	var ws []*waiter
	for {
		select {
		case <-t.C:
		case <-s.stopping:
			return // every waiter leaves on stopping by itself
		}
		b := &s.blocks
		b.mu.Lock()
		if len(b.byID) == 0 {
			b.ticking = false
			b.mu.Unlock()
			return
		}
		ws = ws[:0]
		for _, w := range b.byID {
			ws = append(ws, w)
		}
		b.mu.Unlock()
		cg := s.admin.CredentialGeneration()
		now := s.cfg.Clock.Now().UnixNano()
		gens := map[uint64]uint64{}
		for _, w := range ws {
			gen, ok := gens[w.db]
			if !ok {
				gen = ^uint64(1) // deleted or gone: never a generation a waiter holds
				if d, found := s.admin.DatabaseByID(w.db); found && !d.Deleted() {
					gen = d.Generation()
				}
				gens[w.db] = gen
			}
			exp := w.expires.Load()
			if gen != w.gen.Load() || cg != w.credGen.Load() || (exp != 0 && now >= exp) {
				w.ring(wakeRecheck)
			}
		}
		clear(ws)
	}
}

// block runs a checked blocking command for its connection (runOne): at once when its
// keys have something, else after waiting (see the top of this file). out holds the
// replies of the commands before it, sent before the connection waits; it returns out
// with this command's reply appended.
func (s *Server) block(sess *session, st *step, out []byte) []byte {
	dbID := sess.db // the database the check was made against, as runOne
	w := &waiter{sess: sess, db: dbID, bell: make(chan struct{}, 1)}
	sess.block = w
	steps := []step{*st}
	var (
		timer    *time.Timer
		timeout  <-chan time.Time
		gone     <-chan struct{}
		stopPeer func()
		waiting  bool
	)
	defer func() {
		sess.block = nil
		s.removeWaiter(w)
		if stopPeer != nil {
			stopPeer()
		}
		if timer != nil {
			timer.Stop()
		}
		s.account(sess, steps)
	}()
	done := func(reply []byte) []byte { return append(out, reply...) }
	fail := func(msg string) []byte {
		steps[0].pre = msg
		return done(errorReply(msg))
	}
	// try runs the command once; it reports whether it answered.
	try := func(check bool) ([]byte, bool) {
		if check {
			if msg := s.check(sess, &steps[0]); msg != "" {
				return errorReply(msg), true
			}
			w.admitted(sess)
		}
		_, _, err := s.runSteps(sess, dbID, true, steps, runOpts{})
		if err != nil {
			if admin.ErrorCode(err) == admin.EINTERNAL {
				s.log.Error("transaction failed", "db", dbID, "client", sess.addr, "err", err)
			}
			return errorReply(failureReply(err)), true
		}
		if len(steps[0].r.b) == 0 {
			return nil, false // nothing to pop: the handler filled w.keys and w.timeout
		}
		return steps[0].r.b, true
	}
	w.admitted(sess)
	if reply, ok := try(false); ok {
		return done(reply)
	}
	s.addWaiter(w)
	for {
		if reply, ok := try(waiting); ok {
			return done(reply)
		}
		if !waiting {
			waiting = true
			if len(out) > 0 {
				if !s.send(sess, sess.conn, out) {
					sess.quit = true
					return nil
				}
				out = out[:0]
			}
			if w.timeout > 0 && w.timeout <= math.MaxInt64/int64(time.Millisecond) {
				timer = time.NewTimer(time.Duration(w.timeout) * time.Millisecond)
				timeout = timer.C
			}
			gone, stopPeer = watchPeer(sess)
		}
		for rerun := false; !rerun; {
			select {
			case <-w.bell:
			case <-timeout:
				return done(nullArrayReply)
			case <-gone:
				sess.quit = true // the peer left: nothing to answer, nothing left behind
				return nil
			case <-s.stopping:
				sess.quit = true
				return fail(errShuttingDown)
			}
			why := w.why.Swap(0)
			switch {
			case why&wakeError != 0:
				return done(errorReply(errUnblocked))
			case why&wakeTimeout != 0:
				return done(nullArrayReply)
			case why&wakeData != 0:
				rerun = true // run the command again, its checks first
			default:
				// A recheck alone: the permission check, without touching the keys.
				if msg := s.check(sess, &steps[0]); msg != "" {
					return fail(msg)
				}
				w.admitted(sess)
			}
		}
	}
}

// errUnblockArgs is Redis's reply to CLIENT UNBLOCK with too many arguments; it echoes
// the subcommand as given.
func errUnblockArgs(sub []byte) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + clip(sub) + "'. Try CLIENT HELP."
}

var nullArrayReply = []byte("*-1\r\n")

func errorReply(msg string) []byte {
	var r reply
	r.err(msg)
	return r.b
}

// parseTimeout reads a blocking command's timeout in seconds, as Redis 7.0 does: a long
// double (fractions, exponents, hex), made milliseconds and rounded up; a value whose
// milliseconds do not fit a long long (inf, 1e30) is negative there, as Redis's cast
// makes it. It returns the milliseconds, 0 for forever.
func parseTimeout(b []byte) (int64, string) {
	s := string(b)
	if s == "" || len(s) >= 5*1024 || strings.ContainsAny(s[:1], " \t\n\v\f\r") {
		return 0, errTimeoutNotFloat
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")) && !strings.ContainsAny(s, "pP") {
		f, err = strconv.ParseFloat(s+"p0", 64) // strtold's hex needs no exponent; Go's does
	}
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		err = nil // ±Inf or 0, as strtold's long double would nearly always be
	}
	if err != nil || math.IsNaN(f) {
		return 0, errTimeoutNotFloat
	}
	ms := math.Ceil(f * 1000)
	if !(ms >= 0 && ms < math.MaxInt64) {
		return 0, errTimeoutNegative
	}
	return int64(ms), ""
}
