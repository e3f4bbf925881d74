package storage

// Rollback detection. A database file put back from an older copy of itself still
// checks under its key and its binding (it is that database's file), so its age is
// what gives it away: every flush records in the file the last log sequence number it
// holds (sysApplied), which only grows, and the owner of the registrations (admin, in
// DB 0) records that number too, after the flush is durable, batched (Unlocked.Flushed
// feeds it; no command writes DB 0 for it). At open, a file holding less than DB 0
// recorded is older than the one herodb last wrote, and is refused. The operator who
// put it back on purpose accepts it (AcceptFile): the file is then the truth, as of
// now. Only a copy taken since the last recording (seconds) goes unnoticed; an old
// copy of 0.db itself cannot be noticed from inside the directory (docs/security.md).

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrRolledBack is a database file older than the one herodb last wrote: an older copy
// put back. Every such error is a *RolledBackError.
var ErrRolledBack = errors.New("database file is an older copy than the one herodb last wrote")

// RolledBackError refuses a file put back from an older copy.
type RolledBackError struct {
	DB       uint64
	Path     string
	Holds    uint64 // the last log sequence number the file holds
	Recorded uint64 // what DB 0 recorded at the file's last flush or close
}

func (e *RolledBackError) Error() string {
	return fmt.Sprintf("storage: database %d: %s is an older copy than the one herodb last wrote "+
		"(it holds the log up to sequence %d; its last flush reached %d): refused. If it was put back on purpose, "+
		"accept it (herodb db accept-file %d; docs/operations.md, \"Checking a data directory\")",
		e.DB, e.Path, e.Holds, e.Recorded, e.DB)
}

func (e *RolledBackError) Unwrap() error { return ErrRolledBack }

// checkNotRolledBack refuses a file that holds less of the log than recorded.
func (db *DB) checkNotRolledBack(recorded uint64) error {
	if recorded == 0 || db.bolt == nil {
		return nil
	}
	if holds := db.Applied(); holds < recorded {
		err := &RolledBackError{DB: db.id, Path: db.path, Holds: holds, Recorded: recorded}
		logOut().Error("storage: database file refused", "db", db.id, "path", db.path, "err", err)
		return err
	}
	return nil
}

// AcceptFile makes database id's file, as it is now, the one herodb trusts: an older
// copy the operator put back on purpose. The file is checked to be this database's
// (its binding, under its key), then marked as holding every log frame there is now, so
// no frame written after the copy was taken is replayed onto it (that would make a state
// that never was); the changes made since the copy are lost, as restoring it means. It
// returns the log sequence number the file now holds, for the caller to record as the
// next Unlocked.Applied. The database must not be open (a refused file never is).
func (m *Manager) AcceptFile(id uint64) (uint64, error) {
	m.mu.Lock()
	e := m.open[id]
	m.mu.Unlock()
	if e != nil {
		return 0, fmt.Errorf("storage: database %d is open: only a refused file is accepted", id)
	}
	u, err := m.unlock(id)
	if err != nil {
		return 0, err
	}
	path := m.Path(id)
	opts := m.opts
	opts.MaxSize = 0
	db, err := Open(path, id, opts)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := db.Unlock(u.Keys); err != nil {
		return 0, err
	}
	at := db.Applied()
	if log := m.opts.Log; log != nil {
		last := log.NextSeq() - 1
		if err := log.WaitDurable(last); err != nil { // never ahead of the durable log
			return 0, err
		}
		at = max(at, last)
	}
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketSys).Put([]byte(sysApplied), binary.BigEndian.AppendUint64(nil, at))
	})
	if err == nil {
		err = db.bolt.Sync()
	}
	if err != nil {
		return 0, fmt.Errorf("storage: accepting %s for database %d: %w", path, id, db.mapErr(err))
	}
	m.mu.Lock()
	delete(m.pins, id) // what the log kept for it is not replayed onto this file
	m.mu.Unlock()
	logOut().Warn("storage: a database file was accepted as it is (an older copy restored on purpose)", "db", id, "path", path, "holds", at)
	return at, nil
}
