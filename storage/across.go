package storage

// Writes across databases: COPY … DB and MOVE change two databases at once, and must be
// all or nothing. Each database's changes are applied by its own committer, so a writer
// spanning several first parks each of their committers (in the order of their ids, so
// two such writers never wait on each other), then acts as the committer of all of them:
// it runs its function over a pending layer of each, appends one log frame holding
// every database's part (the log's frames may span databases, and recovery applies each
// part to its own file), absorbs each layer under its database's view lock, and lets the
// committers go. A crash leaves the frame whole or absent: never one database changed
// without the other.

import (
	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// ErrNoSharedLog is UpdateAcross for databases that are not behind one log: without it
// no single write can make changes to two files atomic.
var ErrNoSharedLog = errors.New("storage: a write across databases needs them behind one write-ahead log")

// park asks a committer to stop between batches: it closes parked once it has stopped
// and waits for resume to be closed.
type park struct {
	parked chan struct{}
	resume chan struct{}
}

// parkFor stops the committer for a writer across databases until it is done.
func (db *DB) parkFor(p *park) {
	close(p.parked)
	<-p.resume
}

// parkCommitter queues a park behind the writes already queued and waits until the
// committer has stopped; the caller must close the returned resume.
func (db *DB) parkCommitter() (chan struct{}, error) {
	p := &park{parked: make(chan struct{}), resume: make(chan struct{})}
	r := &writeReq{park: p}
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return nil, ErrClosed
	}
	db.reqs <- r
	db.closeMu.Unlock()
	<-p.parked
	return p.resume, nil
}

// UpdateAcross runs fn over one write transaction of each of dbs (txs[i] is dbs[i]'s)
// and commits them as one: one log frame, durable under the sync mode before it
// returns. after, if given, runs once the changes are applied and before any later
// commit of these databases. The databases must be distinct and behind the same log.
// Unlike Update, fn runs exactly once.
func UpdateAcross(dbs []*DB, fn func(txs []*Tx) error, after func()) error {
	if len(dbs) == 0 {
		return nil
	}
	log := dbs[0].opts.Log
	for i, db := range dbs {
		if db.opts.Log == nil || db.opts.Log != log {
			return ErrNoSharedLog
		}
		for _, o := range dbs[:i] {
			if o.id == db.id {
				return fmt.Errorf("storage: database %d given twice to a write across databases", db.id)
			}
		}
	}
	order := make([]int, len(dbs)) // dbs' indexes, by database id: the order of parking and locking
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return dbs[order[a]].id < dbs[order[b]].id })

	var resumes []chan struct{}
	defer func() {
		for _, r := range resumes {
			close(r)
		}
	}()
	for _, i := range order {
		r, err := dbs[i].parkCommitter()
		if err != nil {
			return err
		}
		resumes = append(resumes, r)
	}
	// Every committer is parked: this goroutine is theirs now.
	wait, err := commitAcross(dbs, order, fn)
	if err != nil {
		return err
	}
	if after != nil {
		after()
	}
	for _, r := range resumes {
		close(r)
	}
	resumes = nil
	if wait != nil {
		return wait()
	}
	return nil
}

// commitAcross is the committers' work for UpdateAcross: run fn over a pending layer of
// each database, then log and absorb them together.
func commitAcross(dbs []*DB, order []int, fn func(txs []*Tx) error) (func() error, error) {
	txs := make([]*Tx, len(dbs))
	layers := make([]*layer, len(dbs))
	for _, i := range order {
		db := dbs[i]
		kr, err := db.keyring()
		if err == nil {
			err = db.writable()
		}
		if err != nil {
			return nil, db.mapErr(err)
		}
		db.room()
		tx, p, btx, err := db.beginPending(kr)
		if err != nil {
			return nil, db.mapErr(err)
		}
		defer rollback(btx)
		txs[i], layers[i] = tx, p
	}
	if err := runAcross(fn, txs); err != nil {
		return nil, err
	}
	for _, i := range order {
		if err := dbs[i].checkSize(layers[i]); err != nil {
			return nil, dbs[i].mapErr(err)
		}
	}
	for _, i := range order {
		if err := txs[i].runBeforeCommit(); err != nil {
			return nil, err
		}
	}
	var parts []wal.Part
	for _, i := range order {
		if p := layers[i]; !p.empty() {
			parts = append(parts, wal.Part{DB: dbs[i].id, Data: p.encode(nil)})
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	// Appended and absorbed under every view lock, as persist does for one database, so
	// no database's first unflushed sequence number is read between the two.
	for _, i := range order {
		dbs[i].viewMu.Lock()
	}
	seq, wait := dbs[0].opts.Log.Append(parts)
	grew := make([]int64, len(dbs))
	for _, i := range order {
		db, p := dbs[i], layers[i]
		if p.empty() {
			continue
		}
		p.born, p.first, p.last = db.opts.Clock.Now(), seq, seq
		before := db.cur.bytes
		db.cur.absorb(p)
		grew[i] = db.cur.bytes - before
		db.commits.Add(1)
		db.batched.Add(1)
	}
	for _, i := range order {
		dbs[i].viewMu.Unlock()
	}
	for _, i := range order {
		dbs[i].mayExpireAt(layers[i].expiry)
	}
	for _, i := range order {
		db := dbs[i]
		if db.opts.Buffer != nil && grew[i] != 0 {
			db.opts.Buffer.add(db, grew[i])
		}
		db.maybeFlush()
	}
	return wait, nil
}

// runAcross is runGuarded for a function over several transactions.
func runAcross(fn func(txs []*Tx) error, txs []*Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in transaction: %v", p)
		}
	}()
	return fn(txs)
}

// beginPending opens what a batch runs over: a bbolt read transaction of the file (nil
// before its first flush; the caller rolls it back), the overlay's layers and a new
// pending layer on top. Only the committer (or a writer that parked it) calls it.
func (db *DB) beginPending(kr *crypto.Keyring) (*Tx, *layer, *bolt.Tx, error) {
	db.viewMu.RLock()
	btx, err := db.beginRead()
	p := newLayer()
	v := &view{btx: btx, pend: p}
	v.layers = db.layersLocked(append(v.own[:0], p))
	db.viewMu.RUnlock()
	if err != nil {
		return nil, nil, nil, err
	}
	return db.newTx(v, kr), p, btx, nil
}
