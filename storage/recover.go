package storage

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/seed6aa118f9/herodb/storage/wal"
)

// RecoverStats is what Recover did.
type RecoverStats struct {
	Frames    int           // frames in the retained log
	Databases int           // databases whose frames were replayed
	Replayed  int           // frame parts applied (those the files did not hold yet)
	Skipped   int           // frame parts of deleted databases
	Held      int           // databases not opened: HeldFunc said their files hold every frame
	Pinned    []error       // databases whose frames could not be applied: kept in the log
	Took      time.Duration // the whole replay, flushes included
}

// HeldFunc says the least log sequence number database id's file is known to hold
// without opening it (DB 0's rollback counter: it never leads the file); 0 or an error:
// not known.
type HeldFunc func(id uint64) (uint64, error)

// Recover replays the log into the database files, before anything is served: each
// database gets the frames after the last one its file holds, is flushed and closed,
// in groups of at most the cache's open-file bound. A database whose last frame held
// (nil: none) says its file has is not opened at all: after a kill, most databases with
// frames in the log flushed them long before, and opening each to read its file's
// sequence number cost a registration read and a file open (2,000 databases: 0.5-0.9 s).
// Frames of a deleted database are skipped; a database whose frames cannot be applied
// (its registration or file cannot be read) keeps them in the log, and the error is
// reported, not taken for a deletion. Then the log drops what every file now holds.
func (m *Manager) Recover(held HeldFunc) (RecoverStats, error) {
	var st RecoverStats
	log := m.opts.Log
	if log == nil {
		m.recovered.Store(true)
		return st, nil
	}
	start := time.Now()
	first, last := map[uint64]uint64{}, map[uint64]uint64{}
	err := log.Replay(func(seq uint64, parts []wal.Part) error {
		st.Frames++
		for _, p := range parts {
			if _, ok := first[p.DB]; !ok {
				first[p.DB] = seq
			}
			last[p.DB] = seq
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	ids := make([]uint64, 0, len(first))
	for id := range first {
		if held != nil {
			if h, err := held(id); err == nil && h >= last[id] {
				st.Held++
				continue
			}
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	pin := func(id uint64, err error) {
		m.mu.Lock()
		m.pinLocked(id, first[id])
		m.mu.Unlock()
		st.Pinned = append(st.Pinned, fmt.Errorf("database %d: its log frames are kept: %w", id, err))
		logOut().Error("storage: recovery could not apply a database's log frames; they are kept",
			"db", id, "err", err)
	}
	for len(ids) > 0 {
		group := ids[:min(len(ids), m.maxOpen)]
		ids = ids[len(group):]
		dbs := map[uint64]*DB{}
		applied := map[uint64]uint64{}
		gone := map[uint64]bool{}
		for _, id := range group {
			db, err := m.openFile(id, nil)
			switch {
			case errors.Is(err, ErrGone):
				gone[id] = true
				continue
			case err != nil:
				pin(id, err)
				continue
			}
			dbs[id], applied[id] = db, db.Applied()
		}
		failed := map[uint64]error{}
		err := log.Replay(func(seq uint64, parts []wal.Part) error {
			for _, p := range parts {
				db := dbs[p.DB]
				if db == nil {
					if gone[p.DB] {
						st.Skipped++
					}
					continue
				}
				if seq <= applied[p.DB] || failed[p.DB] != nil {
					continue
				}
				if err := db.Replay(seq, p.Data); err != nil {
					failed[p.DB] = err
					continue
				}
				st.Replayed++
			}
			return nil
		})
		for id, db := range dbs {
			cerr := error(nil)
			if failed[id] != nil {
				db.discard() // a frame it cannot read: apply none of it, keep them all
				cerr = failed[id]
			}
			if err := db.Close(); err != nil && cerr == nil {
				cerr = err
			}
			if cerr != nil {
				pin(id, cerr)
				continue
			}
			st.Databases++
		}
		if err != nil {
			return st, err
		}
	}
	before := log.NextSeq()
	m.mu.Lock()
	for _, p := range m.pins {
		before = min(before, p)
	}
	m.mu.Unlock()
	if err := log.Truncate(before); err != nil {
		return st, err
	}
	m.recovered.Store(true)
	st.Took = time.Since(start)
	return st, nil
}
