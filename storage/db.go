package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/seed6aa118f9/herodb/crypto"
)

// FormatVersion is the on-disk format this build reads and writes. A file of any other
// version is refused, never guessed at.
const FormatVersion = 1

// Bucket names. Everything outside bucketFormat and bucketSys is sealed.
var (
	bucketFormat  = []byte("herodb.format")
	bucketSys     = []byte("herodb.sys")
	bucketKeys    = []byte("keys")
	bucketData    = []byte("data")
	bucketExpires = []byte("expires")
)

// format is the record checked at every open.
type format struct {
	Magic   string `json:"magic"`
	Version int    `json:"version"`
	Cipher  string `json:"cipher"`
	Index   string `json:"index"`
	KDF     string `json:"kdf"`
}

var currentFormat = format{
	Magic:   "herodb",
	Version: FormatVersion,
	Cipher:  "xchacha20poly1305",
	Index:   "hmac-sha256",
	KDF:     "hkdf-sha256",
}

// DB is one database file. Writes from every caller go through one committer goroutine
// that runs all queued writers in one bbolt transaction and one fsync (group commit).
type DB struct {
	id   uint64
	path string
	opts Options
	bolt *bolt.DB

	mu   sync.RWMutex
	keys *crypto.Keyring

	reqs    chan *writeReq
	stop    chan struct{}
	done    chan struct{}
	closeMu sync.Mutex
	closed  bool
	commits uint64 // stats, guarded by statsMu
	batched uint64
	statsMu sync.Mutex
}

type writeReq struct {
	fn    func(*Tx) error
	after func() // run once fn's commit succeeded, before the next commit starts
	err   error
	done  chan struct{}
}

// Open opens (creating if absent) the database file at path. id is bound into every
// record's associated data, so a record copied into another database fails to open.
// The DB is locked until Unlock installs its keyring; the sys bucket is usable before.
func Open(path string, id uint64, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	b, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.LockTimeout,
		FreelistType: bolt.FreelistMapType,
		NoSync:       opts.Sync != SyncAlways,
		MaxSize:      int(opts.MaxSize),
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%s: %w", path, ErrDBInUse)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Check in a read transaction: a refused file (a wrong admin secret comes later, but
	// also a wrong version) must not be touched. Only a new file is written here.
	fresh := false
	err = b.View(func(tx *bolt.Tx) error {
		fresh = tx.Bucket(bucketFormat) == nil
		if fresh {
			return nil
		}
		return checkFormat(tx, path)
	})
	if err == nil && fresh {
		err = b.Update(func(tx *bolt.Tx) error { return checkFormat(tx, path) })
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	db := &DB{
		id: id, path: path, opts: opts, bolt: b,
		reqs: make(chan *writeReq, 1024),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go db.commitLoop()
	return db, nil
}

func checkFormat(tx *bolt.Tx, path string) error {
	fb := tx.Bucket(bucketFormat)
	if fb == nil {
		empty := true
		tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return fmt.Errorf("%s is not a herodb database file: %w", path, ErrFormat)
		}
		fb, err := tx.CreateBucket(bucketFormat)
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(currentFormat)
		if err := fb.Put([]byte("format"), raw); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketSys, bucketKeys, bucketData, bucketExpires} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	}
	var f format
	if err := json.Unmarshal(fb.Get([]byte("format")), &f); err != nil || f.Magic != "herodb" {
		return fmt.Errorf("%s has an unreadable format record: %w", path, ErrFormat)
	}
	if f.Version != FormatVersion {
		return fmt.Errorf("%s has format version %d; this herodb reads version %d: %w",
			path, f.Version, FormatVersion, ErrFormat)
	}
	if f != currentFormat {
		return fmt.Errorf("%s uses cipher %q, index %q, kdf %q, which this herodb does not know: %w",
			path, f.Cipher, f.Index, f.KDF, ErrFormat)
	}
	return nil
}

// ID is the database id bound into its records.
func (db *DB) ID() uint64 { return db.id }

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// Unlock installs the keyring that seals and opens this database's records.
func (db *DB) Unlock(kr *crypto.Keyring) {
	db.mu.Lock()
	db.keys = kr
	db.mu.Unlock()
}

func (db *DB) keyring() (*crypto.Keyring, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.keys == nil {
		return nil, ErrLocked
	}
	return db.keys, nil
}

// SysGet reads a raw value of the reserved sys bucket; usable before Unlock.
func (db *DB) SysGet(name string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSys).Get([]byte(name)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SysPut writes a raw value of the reserved sys bucket, durably, outside group commit;
// for bootstrap before Unlock.
func (db *DB) SysPut(name string, value []byte) error {
	return db.mapErr(db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSys).Put([]byte(name), value)
	}))
}

// View runs fn in a read-only transaction. Expired keys are invisible.
func (db *DB) View(fn func(*Tx) error) error {
	kr, err := db.keyring()
	if err != nil {
		return err
	}
	return db.mapErr(db.bolt.View(func(btx *bolt.Tx) error {
		return fn(db.newTx(btx, kr))
	}))
}

// Update runs fn in a write transaction shared with every other writer queued at the
// moment (group commit), and returns once the commit is durable under the sync mode.
//
// fn may run more than once: when any writer in a group fails, the group is rolled back
// and each writer runs again alone. fn must therefore produce its output afresh on each
// run, and have no effect outside the transaction.
func (db *DB) Update(fn func(*Tx) error) error { return db.UpdateThen(fn, nil) }

// UpdateThen is Update, with after run once fn's commit has succeeded and before any
// later commit starts: what after does (such as telling WATCHers that keys changed) is
// ordered between this commit and the next, never before this one.
func (db *DB) UpdateThen(fn func(*Tx) error, after func()) error {
	r := &writeReq{fn: fn, after: after, done: make(chan struct{})}
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return ErrClosed
	}
	db.reqs <- r
	db.closeMu.Unlock()
	<-r.done
	return r.err
}

func (db *DB) commitLoop() {
	defer close(db.done)
	var tick <-chan time.Time
	if db.opts.Sync == SyncEverySec {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case r := <-db.reqs:
			batch := []*writeReq{r}
		drain:
			for len(batch) < db.opts.MaxBatch {
				select {
				case r := <-db.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			db.commit(batch)
		case <-tick:
			db.bolt.Sync()
		case <-db.stop:
			// Finish what was queued before Close, then leave.
			for {
				select {
				case r := <-db.reqs:
					db.commit([]*writeReq{r})
				default:
					if db.opts.Sync != SyncAlways {
						db.bolt.Sync()
					}
					return
				}
			}
		}
	}
}

func (db *DB) commit(batch []*writeReq) {
	kr, err := db.keyring()
	if err != nil {
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
		return
	}
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		tx := db.newTx(btx, kr)
		tx.writable = true
		for _, r := range batch {
			if err := runGuarded(r.fn, tx); err != nil {
				return err
			}
		}
		return nil
	})
	db.statsMu.Lock()
	db.commits++
	db.batched += uint64(len(batch))
	db.statsMu.Unlock()
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.err = db.mapErr(err)
			if err == nil && r.after != nil {
				r.after()
			}
			close(r.done)
		}
		return
	}
	// One writer failed the group: give each its own transaction, so only it fails.
	for _, r := range batch {
		r.err = db.mapErr(db.bolt.Update(func(btx *bolt.Tx) error {
			tx := db.newTx(btx, kr)
			tx.writable = true
			return runGuarded(r.fn, tx)
		}))
		if r.err == nil && r.after != nil {
			r.after()
		}
		close(r.done)
	}
}

// runGuarded turns a panic in fn into an error, so one bad writer cannot take the
// committer (and every other writer) down with it.
func runGuarded(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in transaction: %v", p)
		}
	}()
	return fn(tx)
}

func (db *DB) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrMaxSizeReached):
		return ErrDBFull
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return ErrClosed
	}
	return err
}

// Stats are counters for INFO.
type Stats struct {
	Commits      uint64 // bbolt transactions committed by the group committer
	Writes       uint64 // writers served by them
	SizeOnDisk   int64
	LastSyncMode string
}

// Stats reports commit counters and the file's size.
func (db *DB) Stats() Stats {
	db.statsMu.Lock()
	s := Stats{Commits: db.commits, Writes: db.batched, LastSyncMode: db.opts.Sync.String()}
	db.statsMu.Unlock()
	if fi, err := os.Stat(db.path); err == nil {
		s.SizeOnDisk = fi.Size()
	}
	return s
}

// Close finishes queued writes, flushes and closes the file. bbolt's Close waits for
// open read transactions.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return nil
	}
	db.closed = true
	db.closeMu.Unlock()
	close(db.stop)
	<-db.done
	return db.bolt.Close()
}
