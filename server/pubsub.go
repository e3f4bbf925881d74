package server

// Pub/Sub scoped to the database (cmd_pubsub.go): the registry of subscriptions and the
// per-subscriber writer.
//
// Scope. A subscription is keyed by (database id, channel) or (database id, pattern): a
// PUBLISH in database d reaches only subscribers of d, whatever the names, and a pattern
// (storage.Match, Redis's glob) is matched only against channels published in its own
// database. PUBLISH answers the receivers in its database; PUBSUB answers for the
// selected database. A connection subscribes in its selected database; while subscribed
// (RESP2 subscriber mode) it cannot SELECT or AUTH, so all its subscriptions are in one.
//
// Writing. The first SUBSCRIBE or PSUBSCRIBE of a connection gives it a subscriber: from
// then on every byte for that connection (its replies too, through Server.send) goes
// through the subscriber's queue and is written by one writer goroutine, so messages
// and replies keep their order and a publisher never waits on a slow reader. A
// (P)SUBSCRIBE holds the messages published after its registration until its reply is
// queued (hold/held), so the confirmation always comes first, as in Redis. Queued bytes
// not yet written are bounded by pubsubQueueLimit (32 MiB, Redis's default
// client-output-buffer-limit pubsub hard limit is 32mb): a subscriber that passes it is
// disconnected, as Redis does.
//
// Revocation. One goroutine per server, running only while someone is subscribed,
// compares every blockRecheck (100 ms, as for blocked clients) each subscriber's
// database generation, the credential generation and its credentials' expiry with what
// it was admitted under; when one moved it runs the permission check on the
// subscriber's behalf (under the session's cmdMu, taken only when the connection runs
// no command: TryLock), and when it fails drops every subscription of the connection
// and queues the error its next command would get. Nothing is polled otherwise.
//
// Leaving. UNSUBSCRIBE/PUNSUBSCRIBE/RESET drop subscriptions; a closed connection drops
// them all (onClosed); Server.Close (stopping) makes each writer queue
// errShuttingDown, write what it can within pubsubCloseWrite, and close its connection.

import (
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// pubsubQueueLimit is how many bytes may wait for a subscriber that does not read before
// it is disconnected (Redis: client-output-buffer-limit pubsub 32mb hard).
var pubsubQueueLimit = 32 << 20

// pubsubCloseWrite bounds the last write to a subscriber at shutdown.
const pubsubCloseWrite = 100 * time.Millisecond

// subscriber is one connection's Pub/Sub state. channels and patterns are guarded by the
// registry lock; the queue by qmu.
type subscriber struct {
	sess     *session
	nc       net.Conn
	db       uint64
	channels map[string]struct{}
	patterns map[string]struct{}
	n        atomic.Int32 // len(channels)+len(patterns): subscribed mode when > 0

	acc waiter // only its admitted generations (blocking.go), for the recheck

	qmu     sync.Mutex
	queue   [][]byte
	pending int // bytes queued or being written
	hold    bool
	held    [][]byte
	closing bool // write what is queued, then close (QUIT)
	dead    bool // disconnected: drop everything

	drained sync.Cond // on qmu: pending fell to 0, or dead

	bell chan struct{}
	done chan struct{} // closed when the connection is gone
	once sync.Once
}

type pubsubRegistry struct {
	mu       sync.Mutex
	channels map[uint64]map[string]map[*subscriber]struct{}
	patterns map[uint64]map[string]map[*subscriber]struct{}
	active   map[*subscriber]struct{} // subscribers with n > 0
	ticking  bool
}

// subscribed reports whether the connection is in subscriber mode.
func (s *session) subscribed() bool {
	sub := s.sub.Load()
	return sub != nil && sub.n.Load() > 0
}

// subscriberOf returns the session's subscriber, creating it (and its writer) if needed.
func (s *Server) subscriberOf(sess *session) *subscriber {
	if sub := sess.sub.Load(); sub != nil {
		return sub
	}
	nc := sess.conn.NetConn()
	sub := &subscriber{sess: sess, nc: nc, channels: map[string]struct{}{}, patterns: map[string]struct{}{},
		bell: make(chan struct{}, 1), done: make(chan struct{})}
	sub.drained.L = &sub.qmu
	sess.sub.Store(sub)
	go s.writeSubscriber(sub)
	return sub
}

// enqueue queues b (copied) for the writer; past the limit it disconnects.
func (sub *subscriber) enqueue(b []byte, message bool) bool {
	sub.qmu.Lock()
	defer sub.qmu.Unlock()
	if sub.dead {
		return false
	}
	if message && sub.pending+len(b) > pubsubQueueLimit { // replies wait their turn instead
		sub.dead = true
		sub.queue, sub.held = nil, nil
		sub.drained.Broadcast()
		sub.nc.Close() // redcon's read fails: onClosed drops the subscriptions
		return false
	}
	sub.pending += len(b)
	b = slices.Clone(b)
	if message && sub.hold {
		sub.held = append(sub.held, b)
	} else {
		sub.queue = append(sub.queue, b)
		if !message && sub.hold { // the reply the held messages waited for
			sub.queue = append(sub.queue, sub.held...)
			sub.hold, sub.held = false, nil
		}
	}
	select {
	case sub.bell <- struct{}{}:
	default:
	}
	return true
}

// writeSubscriber is the subscriber's writer goroutine.
func (s *Server) writeSubscriber(sub *subscriber) {
	for {
		select {
		case <-sub.bell:
		case <-sub.done:
			return
		case <-s.stopping:
			sub.qmu.Lock()
			q := append(sub.queue, errorReply(errShuttingDown))
			sub.queue, sub.dead = nil, true
			sub.drained.Broadcast()
			sub.qmu.Unlock()
			sub.nc.SetWriteDeadline(time.Now().Add(pubsubCloseWrite))
			for _, b := range q {
				if _, err := sub.nc.Write(b); err != nil {
					break
				}
			}
			sub.nc.Close()
			return
		}
		for {
			sub.qmu.Lock()
			q, closing := sub.queue, sub.closing
			sub.queue = nil
			if len(q) == 0 {
				sub.qmu.Unlock()
				if closing {
					sub.nc.Close()
					return
				}
				break
			}
			sub.qmu.Unlock()
			n := 0
			var buf []byte
			for _, b := range q {
				buf = append(buf, b...)
			}
			n = len(buf)
			if _, err := sub.nc.Write(buf); err != nil {
				sub.qmu.Lock()
				sub.dead, sub.queue, sub.held = true, nil, nil
				sub.drained.Broadcast()
				sub.qmu.Unlock()
				sub.nc.Close()
				return
			}
			sub.qmu.Lock()
			sub.pending -= n
			sub.drained.Broadcast()
			sub.qmu.Unlock()
		}
	}
}

// subscriberSend is Server.send for a connection with a subscriber: its bytes join the
// queue, behind the messages already there.
func (s *Server) subscriberSend(sess *session, out []byte) bool {
	sub := sess.sub.Load()
	if !sub.enqueue(out, false) {
		return false
	}
	if !sess.subscribed() {
		// Out of subscriber mode the replies keep their backpressure: wait for the writer.
		sub.qmu.Lock()
		for sub.pending > 0 && !sub.dead {
			sub.drained.Wait()
		}
		sub.qmu.Unlock()
	}
	return true
}

// subscriberQuit closes a subscriber's connection once its queue is written (QUIT).
func (s *Server) subscriberQuit(sess *session) {
	sub := sess.sub.Load()
	sub.qmu.Lock()
	sub.closing = true
	sub.qmu.Unlock()
	select {
	case sub.bell <- struct{}{}:
	default:
	}
}

// subscriberGone drops every subscription of a closed connection and ends its writer.
func (s *Server) subscriberGone(sess *session) {
	sub := sess.sub.Load()
	if sub == nil {
		return
	}
	s.unsubscribeAll(sub, false)
	s.unsubscribeAll(sub, true)
	sub.once.Do(func() { close(sub.done) })
	sub.qmu.Lock()
	sub.dead = true
	sub.drained.Broadcast()
	sub.qmu.Unlock()
}

func (r *pubsubRegistry) table(pattern bool) map[uint64]map[string]map[*subscriber]struct{} {
	if pattern {
		return r.patterns
	}
	return r.channels
}

// subscribe adds the subscriptions and queues their replies; the messages published
// after the first registration are held until the handler's reply is queued.
func (s *Server) subscribe(sub *subscriber, db uint64, names [][]byte, pattern bool, reply func(name []byte, n int)) {
	r := &s.pubsub
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.channels == nil {
		r.channels, r.patterns, r.active = map[uint64]map[string]map[*subscriber]struct{}{},
			map[uint64]map[string]map[*subscriber]struct{}{}, map[*subscriber]struct{}{}
	}
	sub.qmu.Lock()
	sub.hold = true
	sub.qmu.Unlock()
	sub.db = db
	mine := sub.channels
	if pattern {
		mine = sub.patterns
	}
	t := r.table(pattern)
	for _, nb := range names {
		name := string(nb)
		if _, ok := mine[name]; !ok {
			mine[name] = struct{}{}
			if t[db] == nil {
				t[db] = map[string]map[*subscriber]struct{}{}
			}
			if t[db][name] == nil {
				t[db][name] = map[*subscriber]struct{}{}
			}
			t[db][name][sub] = struct{}{}
		}
		reply(nb, len(sub.channels)+len(sub.patterns))
	}
	sub.n.Store(int32(len(sub.channels) + len(sub.patterns)))
	if sub.n.Load() > 0 {
		r.active[sub] = struct{}{}
		if !r.ticking {
			r.ticking = true
			go s.recheckSubscribers()
		}
	}
}

// unsubscribe drops the named subscriptions (all when names is empty), calling reply for
// each with the count left; with nothing to drop and no names it replies once with nil.
func (s *Server) unsubscribe(sub *subscriber, names [][]byte, pattern bool, reply func(name []byte, n int)) {
	r := &s.pubsub
	r.mu.Lock()
	defer r.mu.Unlock()
	if sub == nil {
		for _, nb := range names {
			reply(nb, 0)
		}
		if len(names) == 0 {
			reply(nil, 0)
		}
		return
	}
	mine := sub.channels
	if pattern {
		mine = sub.patterns
	}
	if len(names) == 0 {
		for name := range mine {
			names = append(names, []byte(name))
		}
		slices.SortFunc(names, func(a, b []byte) int { return compareBytes(a, b) })
		if len(names) == 0 {
			reply(nil, len(sub.channels)+len(sub.patterns))
			return
		}
	}
	t := r.table(pattern)
	for _, nb := range names {
		name := string(nb)
		if _, ok := mine[name]; ok {
			delete(mine, name)
			if m := t[sub.db][name]; m != nil {
				delete(m, sub)
				if len(m) == 0 {
					delete(t[sub.db], name)
					if len(t[sub.db]) == 0 {
						delete(t, sub.db)
					}
				}
			}
		}
		if reply != nil {
			reply(nb, len(sub.channels)+len(sub.patterns))
		}
	}
	sub.n.Store(int32(len(sub.channels) + len(sub.patterns)))
	if sub.n.Load() == 0 {
		delete(r.active, sub)
	}
}

func compareBytes(a, b []byte) int { return strings.Compare(string(a), string(b)) }

// unsubscribeAll drops every channel (or pattern) subscription of sub, without replies.
func (s *Server) unsubscribeAll(sub *subscriber, pattern bool) {
	if sub == nil {
		return
	}
	s.pubsub.mu.Lock()
	var names [][]byte
	mine := sub.channels
	if pattern {
		mine = sub.patterns
	}
	for name := range mine {
		names = append(names, []byte(name))
	}
	s.pubsub.mu.Unlock()
	if len(names) > 0 {
		s.unsubscribe(sub, names, pattern, nil)
	}
}

// publish queues message to every subscriber of channel in database db, and to every
// pattern of db that matches it; it returns how many received it.
func (s *Server) publish(db uint64, channel, message []byte) int {
	r := &s.pubsub
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	if subs := r.channels[db][string(channel)]; len(subs) > 0 {
		var rp reply
		rp.array(3)
		rp.bulk([]byte("message"))
		rp.bulk(channel)
		rp.bulk(message)
		for sub := range subs {
			if sub.enqueue(rp.b, true) {
				n++
			}
		}
	}
	for pat, subs := range r.patterns[db] {
		if !storage.Match([]byte(pat), channel) {
			continue
		}
		var rp reply
		rp.array(4)
		rp.bulk([]byte("pmessage"))
		rp.bulk([]byte(pat))
		rp.bulk(channel)
		rp.bulk(message)
		for sub := range subs {
			if sub.enqueue(rp.b, true) {
				n++
			}
		}
	}
	return n
}

// channelsOf returns the active channels of db matching pattern (all when nil), sorted.
func (s *Server) channelsOf(db uint64, pattern []byte) [][]byte {
	r := &s.pubsub
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	for name := range r.channels[db] {
		if pattern == nil || storage.Match(pattern, []byte(name)) {
			out = append(out, []byte(name))
		}
	}
	slices.SortFunc(out, compareBytes)
	return out
}

// numSub is the number of subscribers of channel in db.
func (s *Server) numSub(db uint64, channel []byte) int {
	r := &s.pubsub
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.channels[db][string(channel)])
}

// numPat is the number of distinct patterns subscribed in db (Redis 7.0 counts patterns).
func (s *Server) numPat(db uint64) int {
	r := &s.pubsub
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.patterns[db])
}

// Subscribers is how many connections are in subscriber mode.
func (s *Server) Subscribers() int {
	r := &s.pubsub
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.active)
}

// recheckSubscribers runs while anyone is subscribed: see the top of this file.
func (s *Server) recheckSubscribers() {
	t := time.NewTicker(blockRecheck)
	defer t.Stop()
	type entry struct {
		sub *subscriber
		db  uint64
	}
	var subs []entry
	for {
		select {
		case <-t.C:
		case <-s.stopping:
			return
		}
		r := &s.pubsub
		r.mu.Lock()
		if len(r.active) == 0 {
			r.ticking = false
			r.mu.Unlock()
			return
		}
		subs = subs[:0]
		for sub := range r.active {
			subs = append(subs, entry{sub, sub.db})
		}
		r.mu.Unlock()
		cg := s.admin.CredentialGeneration()
		now := s.cfg.Clock.Now().UnixNano()
		for _, e := range subs {
			sub := e.sub
			gen := ^uint64(1)
			if d, found := s.admin.DatabaseByID(e.db); found && !d.Deleted() {
				gen = d.Generation()
			}
			exp := sub.acc.expires.Load()
			if gen == sub.acc.gen.Load() && cg == sub.acc.credGen.Load() && (exp == 0 || now < exp) {
				continue
			}
			s.recheckSubscriber(sub)
		}
		clear(subs)
	}
}

// recheckSubscriber runs the permission check a SUBSCRIBE would get now, on behalf of an
// idle subscribed connection; when it fails the connection loses every subscription and
// is sent the error. A connection running a command is rechecked at the next tick.
func (s *Server) recheckSubscriber(sub *subscriber) {
	sess := sub.sess
	if !sess.cmdMu.TryLock() {
		return
	}
	defer sess.cmdMu.Unlock()
	if !sess.subscribed() {
		return
	}
	st := newStep([][]byte{[]byte("subscribe"), []byte("x")})
	if msg := s.check(sess, &st); msg != "" {
		s.unsubscribeAll(sub, false)
		s.unsubscribeAll(sub, true)
		sub.enqueue(errorReply(msg), false)
		return
	}
	sub.acc.admitted(sess)
}
