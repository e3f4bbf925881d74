package storage

import "sync"

// Peek returns database id only if its file is already open and ready in the cache: it
// never opens, creates or waits for a file (a file still opening, closing or not open at
// all answers ok == false). Like Acquire it holds the file until release is called, so
// no close pulls it from under the caller; unlike Acquire, a peek is not a use: it does
// not move the file's last use, so a listing that peeks at every open file keeps none of
// them from closing when idle, or from being the first evicted.
//
// Listings that must not cost an open per database (listDatabases) peek.
func (m *Manager) Peek(id uint64) (db *DB, release func(), ok bool) {
	m.mu.Lock()
	e := m.open[id]
	if m.closed || e == nil || !e.opened {
		m.mu.Unlock()
		return nil, nil, false
	}
	e.refs++
	m.mu.Unlock()
	var once sync.Once
	return e.db, func() { once.Do(func() { m.unref(e, false) }) }, true
}

// Opens is how many times a database was opened (its file, or its blank state) since
// the manager started: concurrent Acquires of one closed database count once.
func (m *Manager) Opens() uint64 { return m.opens.Load() }

// OpenCount is how many database files are open and ready in the cache now (files still
// opening are not counted; nor are files taken out and still closing).
func (m *Manager) OpenCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.open {
		if e.opened {
			n++
		}
	}
	return n
}
