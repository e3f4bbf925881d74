package storage

// The flush: a database's current layer, swapped out whole, committed into its bbolt file
// in one transaction with an fsync (so the file on disk is always a consistent bbolt
// state), together with the log sequence number it brings the file up to. Only then may
// the log drop the frames it held. The write buffer bounds the memory of every layer
// not yet flushed.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/seed6aa118f9/herodb/storage/wal"
)

// sysApplied is the sys entry holding the last log sequence number a file holds.
const sysApplied = "wal.applied"

// WriteBuffer bounds the memory of every database's unflushed layers together. A
// database flushes when its current layer reaches its fair share: half the buffer over
// the databases holding unflushed changes (a layer being flushed and the one filling
// behind it fit together). When the whole buffer is full, writers wait for flushes
// rather than grow it. A single batch larger than the buffer still goes through, alone.
//
// Larger, rarer flushes coalesce more overwrites and amortize the file's page rewrites:
// measured on 2 cores (redis-benchmark SET -P 16 -r 100000), flushing at 8 MiB gave
// 119k writes/s, at 16 MiB 125k, at 32 MiB 156k.
type WriteBuffer struct {
	limit int64

	mu    sync.Mutex
	cond  *sync.Cond
	used  int64
	stuck int64            // bytes of layers whose flush failed: not counted against writers
	dbs   map[*DB]struct{} // databases holding unflushed layers
}

// NewWriteBuffer makes a buffer of limit bytes.
func NewWriteBuffer(limit int64) *WriteBuffer {
	b := &WriteBuffer{limit: limit, dbs: map[*DB]struct{}{}}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// share is what one database's current layer may hold before it flushes: half the
// buffer over the databases holding unflushed changes, at least 1 MiB.
func (b *WriteBuffer) share() int64 {
	b.mu.Lock()
	n := int64(max(len(b.dbs), 1))
	b.mu.Unlock()
	return max(b.limit/(2*n), 1<<20)
}

// Used is the bytes held by unflushed layers.
func (b *WriteBuffer) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

func (b *WriteBuffer) add(db *DB, n int64) {
	b.mu.Lock()
	b.used += n
	if n > 0 {
		b.dbs[db] = struct{}{}
	}
	b.mu.Unlock()
}

func (b *WriteBuffer) release(db *DB, n int64, clean bool) {
	b.mu.Lock()
	b.used -= n
	if clean {
		delete(b.dbs, db)
	}
	b.cond.Broadcast()
	b.mu.Unlock()
}

// stick and unstick count a layer whose flush failed, and is held until one succeeds: a
// database whose file cannot take its changes stops its own writes, not every other
// database's (its writes are refused, so what it holds no longer grows).
func (b *WriteBuffer) stick(n int64) {
	b.mu.Lock()
	b.stuck += n
	b.cond.Broadcast()
	b.mu.Unlock()
}

func (b *WriteBuffer) unstick(n int64) {
	b.mu.Lock()
	b.stuck -= n
	b.mu.Unlock()
}

// wait blocks while the buffer is full, starting the flushes that will empty it.
func (b *WriteBuffer) wait() {
	b.mu.Lock()
	for b.used-b.stuck > b.limit {
		dbs := make([]*DB, 0, len(b.dbs))
		for db := range b.dbs {
			dbs = append(dbs, db)
		}
		b.mu.Unlock()
		for _, db := range dbs {
			db.startFlush()
		}
		b.mu.Lock()
		if b.used-b.stuck > b.limit {
			b.cond.Wait()
		}
	}
	b.mu.Unlock()
}

// room holds the committer back while its database holds its share of the buffer with
// a flush under way, or the whole buffer is full.
func (db *DB) room() {
	buf := db.opts.Buffer
	if buf == nil {
		return
	}
	for {
		db.viewMu.RLock()
		over := db.cur.bytes >= buf.share()
		done := db.flushDone
		db.viewMu.RUnlock()
		if !over || done == nil {
			break
		}
		<-done
	}
	buf.wait()
}

// persist makes p durable and visible. With a log: one frame, then p is absorbed into
// the current layer, and the returned wait is the frame's. Without: p is flushed into
// the file now.
func (db *DB) persist(p *layer) (func() error, error) {
	p.born = db.opts.Clock.Now()
	var wait func() error
	var data []byte
	if db.opts.Log != nil {
		// The log copies the frame as it appends it: one buffer serves every batch.
		db.encBuf = p.encode(db.encBuf[:0])
		data = db.encBuf
	}
	// The frame is appended and absorbed under the view lock, so whoever reads this
	// database's first unflushed sequence number (Unflushed) sees both or neither: the
	// log is never truncated past a frame only memory holds.
	db.viewMu.Lock()
	if db.opts.Log != nil {
		seq, w := db.opts.Log.Append([]wal.Part{{DB: db.id, Data: data}})
		p.first, p.last, wait = seq, seq, w
	}
	before := db.cur.bytes
	db.cur.absorb(p)
	grew := db.cur.bytes - before
	db.viewMu.Unlock()
	db.mayExpireAt(p.expiry)
	if cap(db.encBuf) > 4<<20 {
		db.encBuf = nil // a huge batch's buffer is not kept
	}
	if db.opts.Log == nil {
		return nil, db.flushNow()
	}
	if db.opts.Buffer != nil {
		db.opts.Buffer.add(db, grew)
	}
	db.maybeFlush()
	return wait, nil
}

// maybeFlush starts a flush when the current layer reached its share of the buffer or
// has waited its time.
func (db *DB) maybeFlush() {
	db.viewMu.RLock()
	size, born := db.cur.bytes, db.cur.born
	empty := db.cur.empty()
	db.viewMu.RUnlock()
	if empty {
		return
	}
	share := int64(8 << 20)
	if db.opts.Buffer != nil {
		share = db.opts.Buffer.share()
	}
	if size >= share || db.opts.Clock.Now().Sub(born) >= db.opts.FlushInterval {
		db.startFlush()
	}
}

// startFlush swaps the current layer out and flushes it in the background; false if a
// flush is under way or there is nothing to flush.
func (db *DB) startFlush() bool {
	db.viewMu.Lock()
	if db.flushDone != nil || db.flushing != nil || db.cur.empty() {
		db.viewMu.Unlock()
		return false
	}
	f := db.cur
	db.flushing, db.cur, db.flushDone = f, newLayer(), make(chan struct{})
	db.viewMu.Unlock()
	go db.runFlush(f)
	return true
}

// runFlush commits f into the file. A failure stops writes to this database (the log
// keeps the frames, readers keep seeing f) until a later flush succeeds.
func (db *DB) runFlush(f *layer) {
	err := db.commitLayer(f)
	db.viewMu.Lock()
	done := db.flushDone
	wasFailed := db.failed != nil
	if err == nil {
		db.flushing, db.flushDone, db.failed = nil, nil, nil
	} else {
		db.failed = fmt.Errorf("storage: database %d: flushing its changes into %s failed: %w", db.id, db.path, err)
		db.flushDone = nil // a retry swaps nothing: it flushes f again
	}
	clean := db.cur.empty() && db.flushing == nil
	db.viewMu.Unlock()
	if err == nil && f.last != 0 && db.opts.flushed != nil {
		db.opts.flushed(f.last) // durable in the file: DB 0 may record it (rollback.go)
	}
	switch {
	case err != nil && !wasFailed:
		logOut().Error("storage: flush failed; writes to this database stop until a flush succeeds",
			"db", db.id, "path", db.path, "err", err)
	case err != nil:
		logOut().Debug("storage: flush retried and failed again", "db", db.id, "err", err)
	case wasFailed:
		logOut().Info("storage: flush succeeded; writes to this database resume", "db", db.id)
	}
	if buf := db.opts.Buffer; buf != nil {
		switch {
		case err == nil:
			buf.release(db, f.bytes, clean)
			if wasFailed {
				buf.unstick(f.bytes)
			}
		case !wasFailed:
			buf.stick(f.bytes) // held until it flushes: it must not hold other databases back
		}
	}
	close(done)
}

// Blank reports whether the database has no file and no change: it holds nothing,
// closing it costs nothing, and reopening it costs no file.
func (db *DB) Blank() bool {
	db.viewMu.RLock()
	defer db.viewMu.RUnlock()
	return db.blankLocked()
}

// blankLocked is Blank's test; db.viewMu is held.
func (db *DB) blankLocked() bool { return db.bolt == nil && db.cur.empty() && db.flushing == nil }

// fileless reports whether the database has changes and no file yet (its first flush
// not done): closing it holds no file open until a file maker makes one. A database
// never written is not: its close makes nothing.
func (db *DB) fileless() bool {
	db.viewMu.RLock()
	defer db.viewMu.RUnlock()
	return db.bolt == nil && !db.blankLocked()
}

// blankNow is Blank for the file cache, which asks with its own lock held: it never
// waits for the view lock. ok is false when a writer holds it or waits for it (a long
// read of this database ahead of a queued write would otherwise hold every other
// database's Acquire up behind the cache's lock).
func (db *DB) blankNow() (blank, ok bool) {
	if !db.viewMu.TryRLock() {
		return false, false
	}
	defer db.viewMu.RUnlock()
	return db.blankLocked(), true
}

// Failed reports whether the last flush failed: the database holds changes only the log
// and memory have, so its file must not be closed (a reopen would not see them).
func (db *DB) Failed() bool {
	db.viewMu.RLock()
	defer db.viewMu.RUnlock()
	return db.failed != nil
}

// retryFlush flushes again a layer whose flush failed.
func (db *DB) retryFlush() {
	db.viewMu.RLock() // the sweep asks every open database: most have nothing to retry
	idle := db.flushing == nil || db.flushDone != nil
	db.viewMu.RUnlock()
	if idle {
		return
	}
	db.viewMu.Lock()
	f := db.flushing
	if f == nil || db.flushDone != nil {
		db.viewMu.Unlock()
		return
	}
	db.flushDone = make(chan struct{})
	db.viewMu.Unlock()
	db.hurry() // the sweep retries: a first file it makes must not wait its turn
	db.runFlush(f)
}

// flushNow flushes everything unflushed and waits: at Close, before a file leaves the
// cache, and after every batch of a database with no log.
func (db *DB) flushNow() error {
	for {
		db.viewMu.RLock()
		done, failed := db.flushDone, db.failed
		db.viewMu.RUnlock()
		if done != nil {
			<-done
			continue
		}
		if failed != nil {
			db.retryFlush()
			db.viewMu.RLock()
			failed = db.failed
			db.viewMu.RUnlock()
			if failed != nil {
				return failed
			}
		}
		if !db.startFlush() {
			db.viewMu.RLock()
			failed = db.failed
			db.viewMu.RUnlock()
			return failed
		}
	}
}

// writable is nil unless a failed flush stopped writes.
func (db *DB) writable() error {
	db.viewMu.RLock()
	defer db.viewMu.RUnlock()
	return db.failed
}

// commitLayer writes f into the file in one bbolt transaction, with the log sequence
// number it reaches, after making sure the log holds f durably: no file may be ahead of
// the durable log, or a log that lost its tail could give new frames numbers the file
// already counts as applied.
func (db *DB) commitLayer(f *layer) error {
	if db.opts.Log != nil && f.last != 0 {
		if err := db.opts.Log.WaitDurable(f.last); err != nil {
			return err
		}
	}
	if db.bolt == nil {
		// The first flush makes the file with f in it: one transaction, one fsync.
		err := db.makeFile(f)
		if errors.Is(err, errDiscarded) {
			return nil // deleted before its first flush: nothing to keep, no file made
		}
		if err != nil {
			return err
		}
		db.measure()
		return nil
	}
	prev := db.recs.Load() // the record cache of the state this commit follows
	var txid uint64
	write := func(btx *bolt.Tx) error {
		txid = uint64(btx.ID())
		return db.writeLayer(btx, f)
	}
	err := db.bolt.Update(write)
	if errors.Is(err, berrors.ErrMaxSizeReached) {
		// The admission estimate let through more than the cap allows. Nothing may be
		// lost: write it past the cap, and refuse further growth by the estimate.
		logOut().Warn("storage: database grew past its max_size", "db", db.id, "max_size", db.opts.MaxSize)
		db.bolt.MaxSize = 0
		err = db.bolt.Update(write)
		db.bolt.MaxSize = int(db.opts.MaxSize)
	}
	if err != nil {
		return db.mapErr(err)
	}
	db.carryRecords(prev, txid, f)
	db.measure()
	return nil
}

// writeLayer applies f inside btx: spans first, then items, then the sequence.
func (db *DB) writeLayer(btx *bolt.Tx, f *layer) error {
	bucket := func(b bucketID) (*bolt.Bucket, error) {
		return btx.CreateBucketIfNotExists(boltName(b))
	}
	var err error
	f.spans.Scan(func(s span) bool {
		var bb *bolt.Bucket
		if bb, err = bucket(s.b); err != nil {
			return false
		}
		if len(s.p) == 0 {
			seq := bb.Sequence()
			if err = btx.DeleteBucket(boltName(s.b)); err != nil {
				return false
			}
			if bb, err = btx.CreateBucket(boltName(s.b)); err != nil {
				return false
			}
			err = bb.SetSequence(seq)
			return err == nil
		}
		c := bb.Cursor()
		for k, _ := c.Seek(s.p); k != nil && bytes.HasPrefix(k, s.p); k, _ = c.Seek(s.p) {
			if err = c.Delete(); err != nil {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	var last *bolt.Bucket
	lastID := bucketID(0)
	f.t.Scan(func(it item) bool {
		if it.b != lastID {
			if last, err = bucket(it.b); err != nil {
				return false
			}
			lastID = it.b
		}
		if it.c.del {
			err = last.Delete(it.c.k)
		} else {
			err = last.Put(it.c.k, it.c.v)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if f.hasSeq {
		if err := btx.Bucket(bucketData).SetSequence(f.seq); err != nil {
			return err
		}
	}
	if f.last != 0 {
		return btx.Bucket(bucketSys).Put([]byte(sysApplied), binary.BigEndian.AppendUint64(nil, f.last))
	}
	return nil
}

// discard marks a deleted database: its unflushed changes are dropped at Close (its key
// is destroyed: the log's frames of it can never be read again) and never pin the log.
// Once it returns no flush makes a file for it (makeFile checks under fileMu).
func (db *DB) discard() {
	db.fileMu.Lock()
	db.discarded.Store(true)
	db.fileMu.Unlock()
}

// Applied is the last log sequence number the file holds.
func (db *DB) Applied() uint64 {
	raw, _ := db.SysGet(sysApplied)
	if len(raw) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(raw)
}

// Replay applies the changes of one log frame (seq, data) that the file does not hold
// yet; frames the file holds already are skipped. For recovery, before the database
// serves.
func (db *DB) Replay(seq uint64, data []byte) error {
	l, err := decodeLayer(data)
	if err != nil {
		return fmt.Errorf("database %d, frame %d: %w", db.id, seq, err)
	}
	l.first, l.last, l.born = seq, seq, db.opts.Clock.Now()
	db.viewMu.Lock()
	before := db.cur.bytes
	db.cur.absorb(l)
	grew := db.cur.bytes - before
	db.viewMu.Unlock()
	db.nextExpiry.Store(0) // a replayed frame may hold expiries: the sweep looks again
	if db.opts.Buffer != nil {
		db.opts.Buffer.add(db, grew)
	}
	return nil
}

// Unflushed is the first log sequence number this database holds only in memory (0:
// none): the log must keep every frame from it on.
func (db *DB) Unflushed() uint64 {
	if db.discarded.Load() {
		return 0
	}
	db.viewMu.RLock()
	defer db.viewMu.RUnlock()
	first := uint64(0)
	for _, l := range []*layer{db.flushing, db.cur} {
		if l != nil && l.first != 0 && (first == 0 || l.first < first) {
			first = l.first
		}
	}
	return first
}

// measure records how much of the file is in use, for the max_size estimate.
func (db *DB) measure() {
	if db.bolt == nil {
		return // no file: nothing in use
	}
	st := db.bolt.Stats()
	var size int64
	db.bolt.View(func(btx *bolt.Tx) error { size = btx.Size(); return nil })
	used := size - int64(st.FreePageN)*int64(db.bolt.Info().PageSize)
	db.inUse.Store(used)
}

// checkSize refuses a batch that adds data to a database at its max_size, from the file
// in use and the unflushed layers; a batch that only deletes always passes.
func (db *DB) checkSize(p *layer) error {
	if db.opts.MaxSize <= 0 || p.putBytes == 0 {
		return nil
	}
	db.viewMu.RLock()
	pending := db.cur.putBytes
	if db.flushing != nil {
		pending += db.flushing.putBytes
	}
	db.viewMu.RUnlock()
	// A flush also rewrites the pages it touches (copy-on-write): a few pages more.
	const flushPages = 2 * 4096
	if db.inUse.Load()+pending+p.putBytes+flushPages > db.opts.MaxSize {
		return ErrDBFull
	}
	return nil
}

// diskCost estimates what a put costs in the file: bbolt stores a value over about a
// quarter page in overflow pages of its own, and pages are rarely full.
func diskCost(k, v []byte) int64 {
	n := int64(len(k) + len(v) + 16)
	if n > 1000 {
		return (n + 4095) / 4096 * 4096
	}
	return 2 * n
}
