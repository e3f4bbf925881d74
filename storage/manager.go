package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
)

// UnlockFunc returns the keyring and size cap of database id; the manager calls it when
// it opens the file. It knows nothing of where keys come from.
type UnlockFunc func(id uint64) (kr *crypto.Keyring, maxSize int64, err error)

// Manager is the cache of open database files under one directory: opened on first use,
// closed after sitting idle, swept for expired keys while open.
type Manager struct {
	dir    string
	opts   Options
	unlock UnlockFunc
	idle   time.Duration

	mu     sync.Mutex
	open   map[uint64]*entry
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

type entry struct {
	db       *DB
	refs     int
	lastUsed time.Time
}

// NewManager starts a manager; idle is how long an unused file stays open (0: 5 min).
func NewManager(dir string, opts Options, idle time.Duration, unlock UnlockFunc) *Manager {
	if idle == 0 {
		idle = 5 * time.Minute
	}
	m := &Manager{dir: dir, opts: opts.withDefaults(), unlock: unlock, idle: idle,
		open: map[uint64]*entry{}, stop: make(chan struct{}), done: make(chan struct{})}
	go m.loop()
	return m
}

// Path is where database id lives.
func (m *Manager) Path(id uint64) string {
	return filepath.Join(m.dir, fmt.Sprintf("%d.db", id))
}

// Acquire returns database id, opening it if needed; release must be called when the
// caller is done, so an idle close never pulls a file from under a command.
func (m *Manager) Acquire(id uint64) (*DB, func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, nil, ErrClosed
	}
	e := m.open[id]
	if e == nil {
		kr, maxSize, err := m.unlock(id)
		if err != nil {
			return nil, nil, err
		}
		opts := m.opts
		opts.MaxSize = maxSize
		db, err := Open(m.Path(id), id, opts)
		if err != nil {
			return nil, nil, err
		}
		db.Unlock(kr)
		e = &entry{db: db}
		m.open[id] = e
	}
	e.refs++
	e.lastUsed = m.opts.Clock.Now()
	var once sync.Once
	return e.db, func() {
		once.Do(func() {
			m.mu.Lock()
			e.refs--
			m.mu.Unlock()
		})
	}, nil
}

// Remove closes database id (if open) and deletes its file. Callers destroy its key
// first, so what is left on disk can never be read again.
func (m *Manager) Remove(id uint64) error {
	m.mu.Lock()
	e := m.open[id]
	delete(m.open, id)
	m.mu.Unlock()
	if e != nil {
		e.db.Close()
	}
	err := os.Remove(m.Path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Each calls fn for every open database, in id order.
func (m *Manager) Each(fn func(id uint64, db *DB)) {
	m.mu.Lock()
	ids := make([]uint64, 0, len(m.open))
	for id := range m.open {
		ids = append(ids, id)
	}
	dbs := make([]*DB, 0, len(ids))
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		dbs = append(dbs, m.open[id].db)
	}
	m.mu.Unlock()
	for i, id := range ids {
		fn(id, dbs[i])
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
	var idle []*DB
	m.mu.Lock()
	for id, e := range m.open {
		if e.refs == 0 && now.Sub(e.lastUsed) > m.idle {
			idle = append(idle, e.db)
			delete(m.open, id)
		}
	}
	m.mu.Unlock()
	for _, db := range idle {
		db.Close()
	}
	m.Each(func(_ uint64, db *DB) { SweepDB(db) })
}

// SweepDB deletes a bounded batch of expired keys of db, if any are due.
func SweepDB(db *DB) {
	due := false
	db.View(func(tx *Tx) error { due = tx.HasExpired(); return nil })
	if due {
		db.Update(func(tx *Tx) error { _, err := tx.SweepExpired(200); return err })
	}
}

// Close stops the sweeper and closes every open file, finishing queued writes.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	open := m.open
	m.open = map[uint64]*entry{}
	m.mu.Unlock()
	close(m.stop)
	<-m.done
	for _, e := range open {
		e.db.Close()
	}
}
