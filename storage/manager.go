package storage

// Lock order — the one rule for all of herodb (other files point here):
//
//	No lock is held across a call into another component.
//
// A component is anything with locks of its own that we call: the file cache
// (storage.Manager), the admin registry (admin.Admin), the UnlockFunc a Manager is given
// (it is admin's), the callbacks of Manager.Each, a server's sessions, the RPC. Each
// mutex guards its own in-memory state only: take it, read or change that state, let it
// go, and only then call out. So locks never nest across components, and no cycle (A
// holds a and waits for b while B holds b and waits for a) can form. Concretely:
//   - Manager.mu is never held while opening or closing a file or calling UnlockFunc:
//     an open in progress is an entry with a ready channel (one open per database,
//     Acquires of other databases go on meanwhile).
//   - admin's mu is never held across a call into the file cache (Acquire, release,
//     Remove, Close), which may call back into admin's UnlockFunc and take admin's mu.
//   - A storage.DB is a leaf: it takes only its own locks and calls nothing of ours
//     back, so admin may keep its mu across a transaction of DB 0, the file it owns
//     (that is how a registry change and its durable record stay one step). The
//     functions given to Update/View must then not take that mu themselves.
// Issue 11, finding 3 was this rule broken: Manager.Acquire held Manager.mu while
// calling admin's UnlockFunc (which takes admin's mu), and CreateDatabase called
// release (which takes Manager.mu) while holding admin's mu.

import (
	"container/list"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/internal/procs"
)

// UnlockFunc returns what opening database id needs; the manager calls it when it opens
// the file, with no lock of its own held. It knows nothing of where keys come from.
type UnlockFunc func(id uint64) (Unlocked, error)

// Unlocked is what an UnlockFunc knows of one database.
type Unlocked struct {
	Keys    *crypto.Keyring
	MaxSize int64 // bytes on disk; 0: no cap
	// FileMade says the database's file was made (at creation before files were made
	// lazily, or by a flush since): a missing file is then an error, never an empty
	// database. When false, a missing file is a database never written to: it opens
	// with no file, and its first flush makes one.
	FileMade bool
	// Made records that the file now exists, so FileMade is true from then on. Called
	// once, by the flush that makes the file (or an open that finds one FileMade does
	// not know of), with no lock held. nil: nothing to record.
	Made func() error
	// Applied is the least log sequence number the file must hold: what DB 0 recorded
	// at the file's last flush or close (0: nothing recorded). A file holding less is an
	// older copy put back, and is refused (rollback.go).
	Applied uint64
	// Flushed is told each log sequence number a flush brought the file to, durably,
	// so it can be recorded as the next Applied. Called with no lock held; it must not
	// block or call into the manager. nil: nothing to record.
	Flushed func(applied uint64)
}

// Manager is the cache of open database files under one directory: opened on first use,
// closed after sitting idle, swept for expired keys while open.
type Manager struct {
	dir     string
	opts    Options
	unlock  UnlockFunc
	idle    time.Duration
	maxOpen int

	mu   sync.Mutex
	open map[uint64]*entry // opening or open
	// closing holds, per id, the last entry taken out of open whose file may not be
	// closed yet: a new open of that id waits for it, as bbolt's file lock would.
	closing map[uint64]*entry
	pending map[*entry]struct{} // every entry taken out and not yet finished
	// lruBlank and lruFiles hold the open entries, least recently used first: those of
	// databases never written (no file, nothing to flush), and the others. Eviction
	// walks them from the front instead of scanning every open file: the scan, with a
	// lock taken per file, was a fifth of the CPU of opening databases never written
	// with 1,000 open.
	lruBlank, lruFiles list.List
	closers            chan struct{} // evictions closing in the background (evict)
	// fileless holds a slot for each evicted database waiting, in the background, for
	// its first file to be made (Options.makers): it holds no file meanwhile, so these
	// are bounded by memory (maxOpen of them), not by MaxClosing.
	fileless chan struct{}
	// pins holds, per database, the first log frame the log must keep although the
	// database is not open: its flush failed at close, or recovery could not apply it.
	pins map[uint64]uint64
	// recovered is set once Recover has replayed the log: until then the log holds
	// frames no open database accounts for, and must not be truncated.
	recovered atomic.Bool
	opens     atomic.Uint64 // opens started (Opens)
	// sweepHook is asked by the sweeper who wants expired names (OnSweep, keyhook.go).
	sweepHook atomic.Pointer[SweepHook]
	closed    bool
	stop      chan struct{}
	done      chan struct{}
}

// entry is one database file in the cache, from the start of its open to its close.
// db and err are written once, before ready is closed; refs, lastUsed, opened, taken
// and closeAtZero are guarded by Manager.mu.
//
// An entry leaves Manager.open once (taken: by Remove, the idle sweep, Close, or its
// own failed open) and its file is closed once (finish), after its open is done and,
// except at Close, once no caller holds it: a command never has its file closed under
// it. An Acquire whose entry was taken before it got the file answers ErrClosed, never
// a closed file.
type entry struct {
	id    uint64
	ready chan struct{}
	db    *DB
	err   error
	gone  chan struct{} // closed once db is closed (or there was none)
	once  sync.Once

	opened      bool // ready, with no error, and still in Manager.open
	taken       bool // out of Manager.open
	closeAtZero bool // taken by Remove while in use: the last release closes it
	refs        int
	lastUsed    time.Time
	lru         *list.Element // in Manager.lruBlank or lruFiles while opened
	lruList     *list.List
}

// CacheOptions bound the file cache.
type CacheOptions struct {
	// Idle is how long an unused file stays open (0: 5 min).
	Idle time.Duration
	// MaxOpen is how many files may be open at once (0: 1000); past it, the least
	// recently used file not in use is flushed and closed.
	MaxOpen int
}

// NewManager starts a manager of the files under dir.
func NewManager(dir string, opts Options, cache CacheOptions, unlock UnlockFunc) *Manager {
	if cache.Idle == 0 {
		cache.Idle = 5 * time.Minute
	}
	if cache.MaxOpen <= 0 {
		cache.MaxOpen = 1000
	}
	m := &Manager{dir: dir, opts: opts.withDefaults(), unlock: unlock, idle: cache.Idle, maxOpen: cache.MaxOpen,
		open: map[uint64]*entry{}, closing: map[uint64]*entry{}, pending: map[*entry]struct{}{},
		pins: map[uint64]uint64{}, stop: make(chan struct{}), done: make(chan struct{}),
		closers: make(chan struct{}, MaxClosing), fileless: make(chan struct{}, cache.MaxOpen)}
	m.opts.makers = make(chan struct{}, FileMakers())
	go m.loop()
	return m
}

// Buffered is the bytes of changes held in memory, not yet flushed into files.
func (m *Manager) Buffered() int64 {
	if m.opts.Buffer == nil {
		return 0
	}
	return m.opts.Buffer.Used()
}

// Path is where database id's file lives (FilePath).
func (m *Manager) Path(id uint64) string { return FilePath(m.dir, id) }

// FilePath is where database id's file lives under the data directory dir:
// <dir>/db/<id mod 1000>/<id>.db, so that no directory holds more than a thousandth of a
// node's databases (a million of them in one directory makes every lookup and listing
// of it slow). DB 0 is <dir>/0.db.
func FilePath(dir string, id uint64) string {
	return filepath.Join(dir, "db", strconv.FormatUint(id%1000, 10), strconv.FormatUint(id, 10)+".db")
}

// LegacyPath is where database id's file lived before the db/ layout, <dir>/<id>.db; a
// file found there is moved to FilePath when it is next opened.
func LegacyPath(dir string, id uint64) string {
	return filepath.Join(dir, strconv.FormatUint(id, 10)+".db")
}

// adoptLegacy moves database id's file from its legacy place into the db/ layout, if it
// is there, durably (both directories fsynced).
func (m *Manager) adoptLegacy(id uint64) error {
	old, path := LegacyPath(m.dir, id), m.Path(id)
	if _, err := os.Stat(old); err != nil {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("storage: database %d has two files, %s and %s; move one away: %w", id, old, path, ErrFormat)
	}
	if err := makeDir(filepath.Dir(path)); err != nil {
		return err
	}
	if err := os.Rename(old, path); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	if err := syncDir(m.dir); err != nil {
		return err
	}
	logOut().Info("storage: moved a database file into the db/ layout", "db", id, "from", old, "to", path)
	return nil
}

// makeDir makes dir and its parents if they are missing, each new entry fsynced in its
// parent, so a file made in it after a crash is still found.
func makeDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := makeDir(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// Acquire returns database id, opening it if needed; release must be called when the
// caller is done, so no close (idle, or Remove) pulls a file from under a command.
// Concurrent Acquires of one closed database share one open (and its error, which is
// not kept: the next Acquire tries again); Acquires of other databases are not held up
// by it.
func (m *Manager) Acquire(id uint64) (*DB, func(), error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil, ErrClosed
	}
	e := m.open[id]
	opener := e == nil
	if opener {
		e = &entry{id: id, ready: make(chan struct{}), gone: make(chan struct{})}
		m.open[id] = e
	}
	e.refs++ // a waiter holds its ref too, so nothing closes what it is about to get
	prev := m.closing[id]
	m.mu.Unlock()

	if opener {
		m.openEntry(e, prev)
		m.evict()
	}
	<-e.ready
	m.mu.Lock()
	if !e.opened {
		m.mu.Unlock()
		m.unref(e, false) // a failed open was no use
		if e.err != nil {
			return nil, nil, e.err
		}
		return nil, nil, ErrClosed // removed or closed while opening
	}
	e.lastUsed = m.opts.Clock.Now()
	if e.lru == nil {
		m.touchLocked(e) // just opened; a file in use moves at its release
	}
	m.mu.Unlock()
	var once sync.Once
	return e.db, func() { once.Do(func() { m.unref(e, true) }) }, nil
}

// unref drops one hold on e; the last one closes it if Remove asked for that. used says
// whether the hold was a use (a command), which moves the file's last use: the sweep and
// listings hold files without using them, so idle files still close.
func (m *Manager) unref(e *entry, used bool) {
	m.mu.Lock()
	e.refs--
	if used {
		e.lastUsed = m.opts.Clock.Now()
		m.touchLocked(e)
	}
	last := e.closeAtZero && e.refs == 0
	m.mu.Unlock()
	if last {
		m.finish(e)
	}
}

// openEntry opens e's file with no lock held, after the previous file of the same id
// (prev, if any) is closed, and publishes the outcome.
func (m *Manager) openEntry(e *entry, prev *entry) {
	m.opens.Add(1)
	db, err := m.openFile(e.id, prev)
	m.mu.Lock()
	failed := false
	if err != nil {
		e.err = err
		if !e.taken {
			// Not kept: the next Acquire tries again.
			delete(m.open, e.id)
			e.taken, failed = true, true
		}
	} else {
		e.db = db
		e.opened = !e.taken
	}
	close(e.ready)
	m.mu.Unlock()
	if failed {
		m.finish(e) // nothing to close; only gone to signal
	}
}

func (m *Manager) openFile(id uint64, prev *entry) (*DB, error) {
	procs.Kick()           // its pages may have to come from disk: GOMAXPROCS is raised if they do
	u, err := m.unlock(id) // first: a deleted database fails here, at once
	if err != nil {
		return nil, err
	}

	if prev != nil {
		<-prev.ready
		if prev.db != nil {
			prev.db.hurry() // its close may be waiting to make its file: this open waits for it
		}
		<-prev.gone
	}
	opts := m.opts
	opts.MaxSize, opts.made, opts.flushed = u.MaxSize, u.Made, u.Flushed
	path := m.Path(id)
	if err := m.adoptLegacy(id); err != nil {
		return nil, err
	}
	_, serr := os.Stat(path)
	missing := errors.Is(serr, os.ErrNotExist)
	if missing && u.FileMade {
		return nil, fmt.Errorf("storage: database %d: its file %s is missing (it was written to, so it is not an empty database; restore it from a backup, or delete the database): %w",
			id, path, ErrMissingFile)
	}
	var db *DB
	if missing {
		db = openAbsent(path, id, opts) // never written to: its first flush makes the file
	} else if db, err = Open(path, id, opts); err != nil {
		return nil, err
	}
	if err := db.Unlock(u.Keys); err != nil {
		db.Close() // refused (another database's file, or tampered): never cached, never written
		return nil, err
	}
	if err := db.checkNotRolledBack(u.Applied); err != nil {
		db.Close()
		return nil, err
	}
	if !missing && !u.FileMade && u.Made != nil {
		// A file its registration does not know of: its first flush made it and the
		// record was cut off (a crash, a full DB 0). Recorded now.
		if err := u.Made(); err != nil {
			logOut().Warn("storage: recording that a database's file exists failed; retried at its next open", "db", id, "err", err)
		}
	}
	m.mu.Lock()
	_, pinned := m.pins[id]
	m.mu.Unlock()
	if pinned && m.recovered.Load() {
		// Its file was closed with changes it could not take; only a replay of the log
		// at startup brings them back. Opening it now would serve without them.
		db.discard()
		db.Close()
		logOut().Error("storage: a database with changes only the log holds was not reopened; restart to replay them", "db", id)
		return nil, fmt.Errorf("storage: database %d: %w", id, ErrUnflushed)
	}
	return db, nil
}

// takeLocked moves e out of the cache; whoever takes it sees to its finish.
// m.mu must be held.
func (m *Manager) takeLocked(e *entry) {
	if e.lru != nil {
		e.lruList.Remove(e.lru)
		e.lru, e.lruList = nil, nil
	}
	delete(m.open, e.id)
	m.closing[e.id] = e
	m.pending[e] = struct{}{}
	e.taken, e.opened = true, false
}

// finish closes e's file (if its open made one) exactly once, after its open is done,
// with no lock held: closing flushes and waits for readers.
func (m *Manager) finish(e *entry) {
	<-e.ready
	e.once.Do(func() {
		var err error
		if e.db != nil {
			err = e.db.Close()
		}
		m.mu.Lock()
		if err != nil {
			if first := e.db.Unflushed(); first != 0 {
				m.pinLocked(e.id, first) // the log keeps what the file could not take
			}
			logOut().Error("storage: closing a database file failed", "db", e.id, "err", err)
		}
		if m.closing[e.id] == e {
			delete(m.closing, e.id)
		}
		delete(m.pending, e)
		m.mu.Unlock()
		close(e.gone)
	})
}

// Remove takes database id out of the cache and deletes its file. An open in progress
// is waited for; a file in use is closed by its last release (commands running now
// finish on it; the next Acquire is answered ErrClosed or, with the key destroyed, by
// the UnlockFunc's error). Callers destroy its key first, so what is left on disk can
// never be read again and no later open can succeed.
func (m *Manager) Remove(id uint64) error {
	m.mu.Lock()
	older := m.closing[id] // an earlier entry still closing, maybe waiting to make its file
	e := m.open[id]
	if e != nil {
		m.takeLocked(e)
	}
	prev := m.closing[id] // ours, or an earlier file still closing
	m.mu.Unlock()
	if older != nil && older != prev {
		<-older.ready
		if older.db != nil {
			older.db.discard() // nothing may make its file now
			older.db.hurry()
		}
	}
	if e != nil {
		<-e.ready // its open would create the file again after the unlink
		if e.db != nil {
			e.db.discard() // its changes go with it: nothing to flush, nothing to keep
			e.db.hurry()
		}
		m.mu.Lock()
		now := e.refs == 0
		e.closeAtZero = !now
		m.mu.Unlock()
		if now {
			m.finish(e)
		}
	} else if prev != nil {
		<-prev.ready
		if prev.db != nil {
			prev.db.discard() // closing, maybe still to make its file: nothing may make it now
			prev.db.hurry()
		}
	}
	os.Remove(LegacyPath(m.dir, id)) // a file never opened since the db/ layout
	err := os.Remove(m.Path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Each calls fn for every open database, in id order, with no lock held; each file
// stays open until fn returns. Files still opening are skipped.
func (m *Manager) Each(fn func(id uint64, db *DB)) {
	m.mu.Lock()
	es := make([]*entry, 0, len(m.open))
	for _, e := range m.open {
		if e.opened {
			e.refs++
			es = append(es, e)
		}
	}
	m.mu.Unlock()
	sort.Slice(es, func(i, j int) bool { return es[i].id < es[j].id })
	for _, e := range es {
		fn(e.id, e.db)
	}
	// Released together, under one lock rather than one each: the sweep walks every
	// open database ten times a second, and each command's Acquire takes this lock too.
	// Not a use: idle files must still close.
	var last []*entry
	m.mu.Lock()
	for _, e := range es {
		e.refs--
		if e.closeAtZero && e.refs == 0 {
			last = append(last, e)
		}
	}
	m.mu.Unlock()
	for _, e := range last {
		m.finish(e)
	}
}

func (m *Manager) loop() {
	defer close(m.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep()
		}
	}
}

// sweep expires due keys in open databases (a bounded amount each tick, like Redis's
// active expiry) and closes files idle for too long.
func (m *Manager) sweep() {
	now := m.opts.Clock.Now()
	var idle []*entry
	m.mu.Lock()
	for _, e := range m.open {
		if e.opened && e.refs == 0 && now.Sub(e.lastUsed) > m.idle && !e.db.Failed() {
			m.takeLocked(e)
			idle = append(idle, e)
		}
	}
	m.mu.Unlock()
	for _, e := range idle {
		e.db.hurry() // closed here, by the sweep: it must not wait its turn for a maker
		m.finish(e)
	}
	m.evict()
	m.Each(func(_ uint64, db *DB) {
		m.sweepDB(db)
		db.retryFlush()
		db.maybeFlush()
	})
	m.truncateLog()
}

// touchLocked moves e to the back of its LRU list; m.mu is held. A new entry goes into
// the blank list when its database was never written, else with the files; a blank one
// written since moves to the files when eviction reaches it. So a command's release costs
// a list move and nothing of its database's (whose view lock the cache's lock must never
// wait for: a long read with a write queued behind it would hold every Acquire).
func (m *Manager) touchLocked(e *entry) {
	if !e.opened {
		return
	}
	if e.lru != nil {
		e.lruList.MoveToBack(e.lru)
		return
	}
	l := &m.lruFiles
	if blank, ok := e.db.blankNow(); ok && blank {
		l = &m.lruBlank
	}
	e.lru, e.lruList = l.PushBack(e), l
}

// evict closes the least recently used files not in use while more than maxOpen are
// open; each is flushed as it closes. Databases never written go first: they hold no
// file and nothing to flush, so reading many of them (a tenant probing ids) does not push
// out the files in use. Files in use are passed over, as is a file whose flush failed:
// it holds changes only memory and the log have, which a reopen would not see.
func (m *Manager) evict() {
	m.mu.Lock()
	var out []*entry
	over := len(m.open) - m.maxOpen
	for _, l := range []*list.List{&m.lruBlank, &m.lruFiles} {
		for el := l.Front(); el != nil && len(out) < over; {
			e := el.Value.(*entry)
			el = el.Next() // takeLocked unlinks e
			if e.refs != 0 {
				continue
			}
			if l == &m.lruBlank {
				if blank, ok := e.db.blankNow(); !ok || !blank {
					// Written since it was opened: it goes with the files, as just used.
					l.Remove(e.lru)
					e.lru, e.lruList = m.lruFiles.PushBack(e), &m.lruFiles
					continue
				}
			}
			if !e.db.Failed() {
				m.takeLocked(e)
				out = append(out, e)
			}
		}
	}
	m.mu.Unlock()
	for _, e := range out {
		// Closing flushes, and a first flush makes the file (several fsyncs): done by the
		// opener, it was the cold first write's p99 (a SET of a database just opened
		// waited for another database's file). Up to MaxClosing close in the
		// background; past that the opener closes, so open files stay within
		// --max-open-dbs plus that many. A database with no file yet waits for a file
		// maker without holding one, so up to maxOpen of those go in the background
		// besides; past that, first files are made as they come, in parallel.
		if e.db.fileless() {
			select {
			case m.fileless <- struct{}{}:
				go func() {
					defer func() { <-m.fileless }()
					m.finish(e)
				}()
				continue
			default:
				// More wait than the makers keep up with: this one is made at once,
				// as every first file was before there were makers.
				e.db.hurry()
			}
		}
		select {
		case m.closers <- struct{}{}:
			go func() {
				defer func() { <-m.closers }()
				m.finish(e)
			}()
		default:
			m.finish(e)
		}
	}
}

// MaxClosing is how many evicted files may be closing in the background at once: open
// files stay within the cache's bound plus this many.
const MaxClosing = 16

// FileMakers is how many database files are made at once across a Manager's databases
// (DB.makeFile): one per four CPUs, at least one.
func FileMakers() int { return max(1, runtime.NumCPU()/4) }

// pinLocked keeps the log from first on for database id; m.mu is held.
func (m *Manager) pinLocked(id, first uint64) {
	if p, ok := m.pins[id]; !ok || first < p {
		m.pins[id] = first
	}
}

// truncateLog lets the log drop every frame that every database holds in its file:
// those before the first one any open (or closing) database holds only in memory, and
// before any pin. The next sequence number is read first: a frame appended after it is
// kept whatever the databases say.
func (m *Manager) truncateLog() {
	log := m.opts.Log
	if log == nil || !m.recovered.Load() {
		return
	}
	before := log.NextSeq()
	m.mu.Lock()
	dbs := make([]*DB, 0, len(m.open)+len(m.pending))
	for _, e := range m.open {
		if e.opened {
			dbs = append(dbs, e.db)
		}
	}
	for e := range m.pending {
		select {
		case <-e.ready: // e.db is written once, before ready closes
			if e.db != nil {
				dbs = append(dbs, e.db)
			}
		default:
		}
	}
	for _, p := range m.pins {
		before = min(before, p)
	}
	m.mu.Unlock()
	for _, db := range dbs {
		if u := db.Unflushed(); u != 0 {
			before = min(before, u)
		}
	}
	if err := log.Truncate(before); err != nil {
		logOut().Error("storage: truncating the log failed", "err", err)
	}
}

// Close stops the sweeper and closes every file, finishing queued writes: opens in
// progress are waited for (their Acquires answer ErrClosed), files still held after a
// Remove are closed now. Callers stop their users first.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	for _, e := range m.open {
		m.takeLocked(e)
	}
	var es []*entry
	for e := range m.pending {
		es = append(es, e)
	}
	m.mu.Unlock()
	// A stop makes every file still to make without waiting for the makers, at most
	// MaxClosing at once beside the files already open: the sweep may be closing one
	// now, so they are let go before the loop is waited for.
	making := make(chan struct{}, MaxClosing)
	var wg sync.WaitGroup
	for _, e := range es {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-e.ready
			if e.db != nil && e.db.fileless() {
				making <- struct{}{}
				defer func() { <-making }()
				e.db.hurry()
			}
			m.finish(e) // each on its own: a reopen waits for the close of the file before it
		}()
	}
	close(m.stop)
	<-m.done
	wg.Wait()
	// Every file is flushed and closed (a failed close pinned its frames): the log may
	// drop what they hold, and empties itself at its Close after a clean stop.
	m.truncateLog()
}
