package server

// Keyspace notifications, scoped to the database: Redis's notify-keyspace-events, as a
// setting of each database rather than of the node.
//
// Setting. A client with write on its selected database sets CONFIG SET
// notify-keyspace-events for that database; the admin with no database selected (or DB
// 0, which has no data writes over RESP) sets the default for every database that has
// set nothing of its own. A database's own setting wins, "" included (off despite the
// default). Settings live in memory only, as Redis's CONFIG SET without CONFIG REWRITE:
// a restart forgets them. A deleted database's setting is dropped once the server
// notices the deletion (pruneNotify); ids are never reused, so a stale one could never
// apply to another database meanwhile.
//
// Events. A handler records an event with one call, c.notify(class, event, key), after
// the change it reports; the storage reports new keys and keys it expired through the
// transaction's key hook. Events wait on the run (stepRun) and are published after the
// commit, in runner.go's after-commit step as WATCH touches are, so a write that did not
// commit publishes nothing, and a step whose command changed nothing drops its events.
// They go as __keyspace@<id>__:<key> (message: the event) and __keyevent@<id>__:<event>
// (message: the key) into that database's own Pub/Sub channels (pubsub.go), never
// another's. The sweeper's expiries come through storage's sweep hook (sweepNotes).
//
// Cost. With no setting anywhere, a transaction pays one atomic load (notesFor); with
// settings, one sync.Map read per transaction. Nothing else runs for a database whose
// setting is off: c.notify is then a nil check.
//
// Not emitted: keymiss (m, herodb's reads delete nothing and publish nothing), evicted
// (e: herodb never evicts), module events (d: no modules). The letters are accepted and
// answered as Redis does. Streams record Redis 7.0's t events (cmd_stream.go).

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/storage"
)

// notifyParam is the CONFIG parameter.
const notifyParam = "notify-keyspace-events"

// notifyFlags are Redis 7.0's notification classes, with its bit values.
type notifyFlags uint16

const (
	nfKeyspace notifyFlags = 1 << iota // K
	nfKeyevent                         // E
	nfGeneric                          // g: DEL, EXPIRE, RENAME, …
	nfString                           // $
	nfList                             // l
	nfSet                              // s
	nfHash                             // h
	nfZset                             // z
	nfExpired                          // x
	nfEvicted                          // e
	nfStream                           // t
	nfKeyMiss                          // m: not part of A, as in Redis
	nfLoaded                           // (Redis's modules only: no letter)
	nfModule                           // d
	nfNew                              // n: not part of A, as in Redis

	nfAll = nfGeneric | nfString | nfList | nfSet | nfHash | nfZset | nfExpired | nfEvicted | nfStream | nfModule
)

// notifyLetters map each letter to its classes, in the order Redis prints them.
var notifyLetters = []struct {
	c byte
	f notifyFlags
}{
	{'g', nfGeneric}, {'$', nfString}, {'l', nfList}, {'s', nfSet}, {'h', nfHash}, {'z', nfZset},
	{'x', nfExpired}, {'e', nfEvicted}, {'t', nfStream}, {'d', nfModule}, {'n', nfNew},
	{'K', nfKeyspace}, {'E', nfKeyevent}, {'m', nfKeyMiss},
}

// parseNotify reads a notify-keyspace-events value as Redis 7.0 does: any of the
// letters, in any order and number, or A for all the classes A covers; Redis reads the
// value as a C string, so a NUL byte ends it.
func parseNotify(v string) (notifyFlags, bool) {
	var f notifyFlags
next:
	for i := 0; i < len(v) && v[i] != 0; i++ {
		if v[i] == 'A' {
			f |= nfAll
			continue
		}
		for _, l := range notifyLetters {
			if l.c == v[i] {
				f |= l.f
				continue next
			}
		}
		return 0, false
	}
	return f, true
}

// String is the canonical form CONFIG GET answers, as Redis writes it: A when every
// class A covers is on, else their letters and n; then K, E and m.
func (f notifyFlags) String() string {
	var b strings.Builder
	for _, l := range notifyLetters {
		switch {
		case f&l.f == 0:
		case l.f&(nfAll|nfNew) != 0 && f&nfAll == nfAll: // Redis 7.0 leaves n out after A too
			if l.f == nfGeneric {
				b.WriteByte('A')
			}
		default:
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

// active reports whether f can publish anything: a channel kind and a class.
func (f notifyFlags) active() bool {
	return f&(nfKeyspace|nfKeyevent) != 0 && f&^(nfKeyspace|nfKeyevent) != 0
}

// notifySettings are the server's settings: the admin's default and each database's own.
type notifySettings struct {
	on   atomic.Int32 // active settings (the default counts): 0 is the fast path
	mu   sync.Mutex   // orders changes; readers use the atomics and byDB alone
	def  atomic.Uint32
	byDB sync.Map      // database id → notifyFlags, for databases that set their own
	gen  atomic.Uint64 // the credential generation pruneNotify last looked at
}

// notifyOf is the setting in force for db.
func (s *Server) notifyOf(db uint64) notifyFlags {
	n := &s.notify
	if n.on.Load() == 0 {
		return 0
	}
	if v, ok := n.byDB.Load(db); ok {
		return v.(notifyFlags)
	}
	return notifyFlags(n.def.Load())
}

// setNotify stores f as db's setting, or as the default when def.
func (s *Server) setNotify(db uint64, def bool, f notifyFlags) {
	n := &s.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	var old notifyFlags
	if def {
		old = notifyFlags(n.def.Swap(uint32(f)))
	} else {
		prev, had := n.byDB.Swap(db, f)
		if had {
			old = prev.(notifyFlags)
		}
	}
	n.on.Add(b2i(f.active()) - b2i(old.active()))
	s.pruneNotifyLocked()
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// pruneNotify drops the settings of deleted databases. A deletion moves the admin's
// credential generation, so this walks the settings only after one may have happened;
// it runs on CONFIG SET and when a database with events on commits.
func (s *Server) pruneNotify() {
	n := &s.notify
	if s.admin.CredentialGeneration() == n.gen.Load() {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	s.pruneNotifyLocked()
}

func (s *Server) pruneNotifyLocked() {
	n := &s.notify
	gen := s.admin.CredentialGeneration()
	if gen == n.gen.Load() {
		return
	}
	n.byDB.Range(func(k, v any) bool {
		if d, ok := s.admin.DatabaseByID(k.(uint64)); !ok || d.Deleted() {
			n.byDB.Delete(k)
			n.on.Add(-b2i(v.(notifyFlags).active()))
		}
		return true
	})
	n.gen.Store(gen)
}

// notifyScope is the setting a CONFIG SET or GET on this connection reaches: its
// selected database's, or the default (def) for the admin with none or DB 0 selected.
// msg is the refusal when the connection may not set it.
func (c *call) notifyScope() (db uint64, def bool, msg string) {
	sess := c.sess
	switch {
	case sess.selected && sess.db != 0:
		if sess.access < admin.AccessReadWrite {
			return 0, false, errNoPermWrite
		}
		return sess.db, false, ""
	case sess.isAdmin():
		return 0, true, ""
	case !sess.selected:
		return 0, false, errNoAuth
	}
	return 0, false, errNoPermAdmin
}

// notifySetter checks a CONFIG SET notify-keyspace-events on this connection (name as
// given, value v): who may set it, then the value as Redis validates it. It returns what
// sets it, run only once every parameter of the CONFIG SET passed, or the error reply.
func (c *call) notifySetter(name []byte, v string) (func(), string) {
	db, def, msg := c.notifyScope()
	if msg != "" {
		return nil, msg
	}
	f, ok := parseNotify(v)
	if !ok {
		return nil, errConfigFailed(name, errConfigNotify)
	}
	return func() { c.s.setNotify(db, def, f) }, ""
}

// notifyValue is what CONFIG GET answers on this connection: the setting in force for
// its selected database, else the default.
func (c *call) notifyValue() string {
	n := &c.s.notify
	if c.sess.selected && c.sess.db != 0 {
		if v, ok := n.byDB.Load(c.sess.db); ok {
			return v.(notifyFlags).String()
		}
	}
	return notifyFlags(n.def.Load()).String()
}

// notes are one run's keyspace events, waiting for its commit.
type notes struct {
	flags notifyFlags
	evs   []note
	// dropped are the keys the current command deleted: one it then makes again (a
	// STORE over its destination, SET over another type) is overwritten, not new, as
	// Redis sees it.
	dropped map[string]struct{}
}

// begin starts a command's events and returns where they start.
func (n *notes) begin() int {
	clear(n.dropped)
	return len(n.evs)
}

type note struct {
	event string
	key   []byte
}

// notesFor returns the run's collector for db, reset, or nil when db's setting is off.
func (s *Server) notesFor(db uint64, n *notes) *notes {
	f := s.notifyOf(db)
	if !f.active() {
		return nil
	}
	if n == nil {
		n = &notes{}
	}
	n.flags, n.evs = f, n.evs[:0]
	return n
}

// add records an event of class for key (copied: it outlives the command's buffers).
func (n *notes) add(class notifyFlags, event string, key []byte) {
	if n != nil && n.flags&class != 0 {
		n.evs = append(n.evs, note{event, append([]byte(nil), key...)})
	}
}

// hook is the storage key hook of a run whose setting wants new or expired keys.
func (n *notes) hook() storage.KeyHook {
	if n == nil || n.flags&(nfNew|nfExpired) == 0 {
		return nil
	}
	return func(ev storage.KeyEvent, name []byte) {
		switch ev {
		case storage.KeyDeleted:
			if n.flags&nfNew != 0 {
				if n.dropped == nil {
					n.dropped = map[string]struct{}{}
				}
				n.dropped[string(name)] = struct{}{}
			}
		case storage.KeyExpired:
			delete(n.dropped, string(name)) // gone for good: made again, it is new
			n.add(nfExpired, "expired", name)
		case storage.KeyNew:
			if _, ok := n.dropped[string(name)]; ok {
				delete(n.dropped, string(name))
				return
			}
			n.add(nfNew, "new", name)
		}
	}
}

// notify records a keyspace event of class for key, published once the command's
// transaction commits: the one call a handler makes after each change it reports, in
// Redis 7.0's order and with its event names (its notifyKeyspaceEvent calls). It costs
// a nil check when the database's setting is off. Every write command that changes keys
// calls it, including those added later (COPY "copy_to", MOVE "move_from"/"move_to",
// RESTORE "restore"; a script's commands run through the same calls).
func (c *call) notify(class notifyFlags, event string, key []byte) { c.notes.add(class, event, key) }

// notifying reports whether an event of class would be recorded, for a handler that must
// look something up only to decide which event it is.
func (c *call) notifying(class notifyFlags) bool {
	return c.notes != nil && c.notes.flags&class != 0
}

// publishNotes publishes a committed run's events in db's own channels, in order: for
// each, the keyspace channel first and then the keyevent one, as Redis.
func (s *Server) publishNotes(db uint64, n *notes) {
	if n == nil || len(n.evs) == 0 {
		return
	}
	s.pruneNotify()
	if !s.pubsub.any(db) {
		return
	}
	prefix := "@" + strconv.FormatUint(db, 10) + "__:"
	for _, e := range n.evs {
		if n.flags&nfKeyspace != 0 {
			s.publish(db, append([]byte("__keyspace"+prefix), e.key...), []byte(e.event))
		}
		if n.flags&nfKeyevent != 0 {
			s.publish(db, []byte("__keyevent"+prefix+e.event), e.key)
		}
	}
}

// any reports whether db has any subscriber, channel or pattern.
func (r *pubsubRegistry) any(db uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.channels[db]) > 0 || len(r.patterns[db]) > 0
}

// sweepNotes is the storage sweeper's hook (storage.SweepHook): the expired events of
// db's sweep, published after its commit, when db's setting wants them.
func (s *Server) sweepNotes(db uint64) func(names [][]byte) {
	f := s.notifyOf(db)
	if !f.active() || f&nfExpired == 0 {
		return nil
	}
	return func(names [][]byte) {
		n := &notes{flags: f}
		for _, name := range names {
			n.add(nfExpired, "expired", name)
		}
		s.publishNotes(db, n)
	}
}

// notifyIfGone records "del" for key when it no longer exists: Redis deletes a list,
// hash, set or sorted set with its last element, and says so after the command's event.
func (c *call) notifyIfGone(key []byte) {
	if c.gone(key) {
		c.notify(nfGeneric, "del", key)
	}
}

// gone reports whether key no longer exists, asked only when a "del" would be recorded.
func (c *call) gone(key []byte) bool {
	if !c.notifying(nfGeneric) {
		return false
	}
	ok, err := c.tx.Exists(key)
	return err == nil && !ok
}

// noteMark is where the next event goes: for a handler whose storage call reports a new
// key (the hook's "new") before events Redis gives ahead of it (SMOVE's "srem").
func (c *call) noteMark() int {
	if c.notes == nil {
		return 0
	}
	return len(c.notes.evs)
}

// notifyAt records an event at mark, ahead of those recorded since, and returns the mark
// after it.
func (c *call) notifyAt(mark int, class notifyFlags, event string, key []byte) int {
	n := c.notes
	if n == nil || n.flags&class == 0 {
		return mark
	}
	n.evs = slices.Insert(n.evs, mark, note{event, append([]byte(nil), key...)})
	return mark + 1
}

// had reports whether key exists, asked before a STORE only when its event depends on
// it (false when nobody listens): see notifyStore.
func (c *call) had(key []byte) bool {
	if !c.notifying(nfGeneric) {
		return false
	}
	ok, err := c.tx.Exists(key)
	return err == nil && ok
}

// notifyStore records a STORE's event: event when it stored n > 0 elements into dst,
// else "del" when dst existed before (had) and the empty result removed it.
func (c *call) notifyStore(class notifyFlags, event string, dst []byte, n int64, had bool) {
	switch {
	case n > 0:
		c.notify(class, event, dst)
	case had:
		c.notify(nfGeneric, "del", dst)
	}
}

// notifySet records a SET's events: "set", and "expire" when it set an expiry (at).
func (c *call) notifySet(key []byte, at int64) {
	c.notify(nfString, "set", key)
	if at != 0 {
		c.notify(nfGeneric, "expire", key)
	}
}

// notifyExpire records what an expiry change did to key: "persist" for none (at 0),
// "del" for a time already past (the key is gone), else "expire".
func (c *call) notifyExpire(key []byte, at int64) {
	switch {
	case at == 0:
		c.notify(nfGeneric, "persist", key)
	case at <= c.tx.Now():
		c.notify(nfGeneric, "del", key)
	default:
		c.notify(nfGeneric, "expire", key)
	}
}

// byEnd picks a list event by the end it names.
func byEnd(left bool, l, r string) string {
	if left {
		return l
	}
	return r
}

// notifyMove records an LMOVE's events as Redis: the push onto dst, then the pop from
// src, then "del" when src lost its last element.
func (c *call) notifyMove(src, dst []byte, fromLeft, toLeft bool) {
	c.notify(nfList, byEnd(toLeft, "lpush", "rpush"), dst)
	c.notify(nfList, byEnd(fromLeft, "lpop", "rpop"), src)
	c.notifyIfGone(src)
}

// notifySPop records an SPOP's events when it popped members.
func (c *call) notifySPop(popped [][]byte) {
	if len(popped) > 0 {
		c.notify(nfSet, "spop", c.args[1])
		c.notifyIfGone(c.args[1])
	}
}

// byIncr is ZADD's event: "zincr" with INCR, else "zadd".
func byIncr(incr bool) string {
	if incr {
		return "zincr"
	}
	return "zadd"
}

// notifyZPop records a ZPOPMIN/ZPOPMAX (and their blocking and MPOP forms) of n members
// from key.
func (c *call) notifyZPop(key []byte, max bool, n int) {
	if n > 0 {
		c.notify(nfZset, byEnd(max, "zpopmax", "zpopmin"), key)
		c.notifyIfGone(key)
	}
}
