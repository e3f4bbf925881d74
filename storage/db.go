package storage

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/seed6aa118f9/herodb/crypto"
)

// FormatVersion is the on-disk format this build writes. It reads this version and
// upgrades, when the file is first unlocked, version 1 (the same records, no file
// binding) and version 2 (no small string values inside key records; the upgrade only
// rewrites the format record, as this build reads both kinds of string); a file of any
// other version is refused, never guessed at.
const FormatVersion = 3

// Bucket names. Everything outside bucketFormat and bucketSys is sealed.
var (
	bucketFormat  = []byte("herodb.format")
	bucketSys     = []byte("herodb.sys")
	bucketKeys    = []byte("keys")
	bucketData    = []byte("data")
	bucketExpires = []byte("expires")
)

// format is the record checked at every open. Version 2 adds the file's binding to its
// database: the database id in clear (so a misplaced file is named at once), a random
// identity of the file, and a MAC over all of it under a key only that database's data
// key derives (so the id cannot be edited to match). The MAC is written by the first
// Unlock, the first moment the key is known.
type format struct {
	Magic   string  `json:"magic"`
	Version int     `json:"version"`
	Cipher  string  `json:"cipher"`
	Index   string  `json:"index"`
	KDF     string  `json:"kdf"`
	DB      *uint64 `json:"db,omitempty"`
	File    string  `json:"file,omitempty"` // hex, 16 random bytes
	MAC     string  `json:"mac,omitempty"`  // hex FileMAC of bindingParts
}

var currentFormat = format{
	Magic:   "herodb",
	Version: FormatVersion,
	Cipher:  "xchacha20poly1305",
	Index:   "hmac-sha256",
	KDF:     "hkdf-sha256",
}

const fileIDSize = 16

// bindingParts is what a file's MAC covers: every field of its format record.
func bindingParts(f format, db uint64, file []byte) [][]byte {
	return [][]byte{
		[]byte("herodb/file"), []byte(f.Magic), []byte(strconv.Itoa(f.Version)),
		[]byte(f.Cipher), []byte(f.Index), []byte(f.KDF),
		binary.BigEndian.AppendUint64(nil, db), file,
	}
}

var logger atomic.Pointer[slog.Logger]

// SetLogger sets where storage logs what it does on its own (a file's format upgraded,
// a file refused); nil restores the default, slog.Default().
func SetLogger(l *slog.Logger) { logger.Store(l) }

func logOut() *slog.Logger {
	if l := logger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// DB is one database file. Writes from every caller go through one committer goroutine
// that runs all queued writers in one bbolt transaction and one fsync (group commit).
type DB struct {
	id   uint64
	path string
	opts Options
	// bolt is nil for a database never written to (openAbsent) until its first flush
	// makes the file; it is set under viewMu, and fileMu orders that against discard.
	bolt   *bolt.DB
	fileMu sync.Mutex

	mu      sync.RWMutex
	keys    *crypto.Keyring
	bound   bool  // the format record holds a MAC (checked by Unlock before keys is set)
	refused error // Unlock found the file is not this database's: every use fails with it

	reqs    chan *writeReq
	stop    chan struct{}
	done    chan struct{}
	closeMu sync.Mutex
	closed  bool
	commits atomic.Uint64 // stats
	batched atomic.Uint64

	// The overlay (overlay.go, flush.go). viewMu guards the layer pointers and the
	// current layer's contents: readers hold it shared for a whole transaction, the
	// committer takes it to absorb a batch, a flush to swap layers.
	viewMu    sync.RWMutex
	cur       *layer        // changes since the last swap
	flushing  *layer        // swapped out, being (or failed being) committed to the file
	flushDone chan struct{} // closed when the flush under way ends; nil: none
	failed    error         // the last flush failed: writes are refused
	inUse     atomic.Int64  // bytes of the file in use at the last flush
	discarded atomic.Bool   // the database was deleted: Close flushes nothing
	encBuf    []byte        // the committer's frame encoding buffer
	// hurried is closed when someone waits for this database's close (an open of it, a
	// deletion): its file, if it must be made, is made at once, beside the makers.
	hurried   chan struct{}
	hurryOnce sync.Once
	// nextExpiry is no later than the earliest expiry (unix ms) the database may hold:
	// the expiry sweep skips it until then, instead of a read transaction of every open
	// database every tick. 0: unknown (look); math.MaxInt64: none.
	nextExpiry atomic.Int64
	// recs is the record cache of the file's current state (reccache.go); recsOff is
	// set by Close, after which none is made.
	recs    atomic.Pointer[recCache]
	recsOff atomic.Bool
}

// mayExpireAt lowers nextExpiry to at (0: nothing), once the changes that put an expiry
// at at are visible: a sweep that read the index before they were is then overruled.
func (db *DB) mayExpireAt(at int64) {
	for at != 0 {
		n := db.nextExpiry.Load()
		if n == 0 || n <= at || db.nextExpiry.CompareAndSwap(n, at) {
			return
		}
	}
}

type writeReq struct {
	fn    func(*Tx) error
	after func() // run once fn's commit succeeded, before the next commit starts
	err   error
	wait  func() error // the writer's wait for durability, after done
	done  chan struct{}
	park  *park // not a writer: a writer across databases stops the committer (across.go)
}

// Open opens (creating if absent) the database file at path. id is bound into every
// record's associated data, so a record copied into another database fails to open,
// and into the file's format record, so a whole file put in another database's place
// is refused. Open checks what it can without the key (the format, the id in clear)
// and writes nothing to an existing file. The DB is locked until Unlock has checked the
// file's binding under its key and installed the keyring; the sys bucket is readable
// before.
func Open(path string, id uint64, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	b, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	// Check in a read transaction: a refused file (a wrong version, another database's
	// id) must not be touched. Only a new file is written here.
	var f format
	fresh := false
	err = b.View(func(tx *bolt.Tx) error {
		if fresh = tx.Bucket(bucketFormat) == nil; fresh {
			return nil
		}
		var err error
		f, err = readFormat(tx, path, id)
		return err
	})
	if err == nil && fresh && opts.ReadOnly {
		err = fmt.Errorf("%s is not a herodb database file: %w", path, ErrFormat)
	}
	if err == nil && fresh {
		err = b.Update(func(tx *bolt.Tx) error { return createFile(tx, path, id) })
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	db := newDB(path, id, opts, b)
	db.bound = f.MAC != ""
	db.measure()
	go db.commitLoop()
	return db, nil
}

// openAbsent opens a database that was never written to and has no file: it reads as
// empty, and the first flush of its changes makes the file (makeFile). Creating a
// database thus costs no file, so a node can hold a million that are never used.
func openAbsent(path string, id uint64, opts Options) *DB {
	db := newDB(path, id, opts.withDefaults(), nil)
	db.bound = true // nothing on disk to check: the file is made bound under its key
	go db.commitLoop()
	return db
}

// writeQueue is the room in a database's queue of writers. A batch takes writers
// blocked on a full queue too (a receive refills it from them), so it bounds memory,
// not batches. With 1,024 each open allocated 8 KiB: 128 took the server's CPU for
// SELECT + GET of databases never written from 29–32 to 26–27 ticks per 2,000, and
// SET -P 16 from 50 clients (800 writers at once) went 129.6–130.0k → 130.4–132.2k/s
// (three pairs each).
const writeQueue = 128

func newDB(path string, id uint64, opts Options, b *bolt.DB) *DB {
	return &DB{
		id: id, path: path, opts: opts, bolt: b,
		reqs:    make(chan *writeReq, writeQueue),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		cur:     newLayer(),
		hurried: make(chan struct{}),
	}
}

// hurry lets a file this database waits to make be made now, not in its turn.
func (db *DB) hurry() { db.hurryOnce.Do(func() { close(db.hurried) }) }

// openBolt opens (creating if absent) the bbolt file at path.
func openBolt(path string, opts Options) (*bolt.DB, error) {
	b, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.LockTimeout,
		FreelistType: bolt.FreelistMapType,
		// Behind a log every flush is fsynced, so a file is always a consistent state
		// to replay the log over; without one, the file is the durability.
		NoSync:   opts.Log == nil && opts.Sync != SyncAlways,
		MaxSize:  int(opts.MaxSize),
		ReadOnly: opts.ReadOnly,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%s: %w", path, ErrDBInUse)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return b, nil
}

// errDiscarded is makeFile's answer for a deleted database: its changes are dropped, as
// they are from a file that was removed (its key is destroyed).
var errDiscarded = errors.New("storage: database deleted")

// makeFile makes the file of a database opened with no file: laid out, bound under its
// key and holding f (the first flush's layer; nil: none) in one fsynced transaction, its
// directory entry fsynced; then records that it exists (Unlocked.Made). A deleted
// database (discard) never gets one: discard and makeFile are ordered by fileMu.
//
// Files are made a few at a time across the node (Options.makers): making one costs
// about a millisecond of CPU, mostly the kernel's (a new inode, a map, its syncs), and
// a burst of new databases made in parallel took both cores of a 2-core machine from
// the commands (cold SELECT + first SET p99 17–23 ms, against 4.9–6.2 ms made one at a
// time). The changes wait in memory and the log meanwhile, as any unflushed change does;
// a database someone waits for (hurry) does not wait its turn.
func (db *DB) makeFile(f *layer) error {
	release := func() {}
	if m := db.opts.makers; m != nil {
		// Before fileMu, so a deletion (discard) does not queue behind the makers.
		select {
		case m <- struct{}{}:
			var once sync.Once
			release = func() { once.Do(func() { <-m }) }
			defer release()
		case <-db.hurried: // an open or a deletion of it waits: not in its turn
		}
	}
	return db.makeFileLocked(f, release)
}

// makeFileLocked is makeFile holding a maker's slot; made gives the slot back once the
// file is in place and DB 0 has recorded it, so the files being made, each open, stay
// within the makers however slow DB 0's commits are.
func (db *DB) makeFileLocked(f *layer, made func()) error {
	db.fileMu.Lock()
	defer db.fileMu.Unlock()
	if db.discarded.Load() {
		return errDiscarded
	}
	kr, err := db.keyring()
	if err != nil {
		return err
	}
	if err := makeDir(filepath.Dir(db.path)); err != nil {
		return fmt.Errorf("storage: making the directory of %s: %w", db.path, err)
	}
	opts := db.opts
	opts.MaxSize = 0 // the first flush was admitted by the estimate (checkSize): it is kept whole
	b, err := openBolt(db.path, opts)
	if err != nil {
		return err
	}
	b.MaxSize = int(db.opts.MaxSize)
	err = b.Update(func(btx *bolt.Tx) error {
		if err := createFile(btx, db.path, db.id); err != nil {
			return err
		}
		if err := btx.Bucket(bucketFormat).Put([]byte("format"), bindingRecord(kr, db.id, crypto.Random(fileIDSize))); err != nil {
			return err
		}
		if f == nil {
			return nil
		}
		return db.writeLayer(btx, f)
	})
	if err == nil {
		err = syncDir(filepath.Dir(db.path))
	}
	if err != nil {
		b.Close()
		os.Remove(db.path) // nothing was written to it: the next flush makes it again
		return fmt.Errorf("storage: making %s for database %d: %w", db.path, db.id, db.mapErr(err))
	}
	db.viewMu.Lock()
	db.bolt = b
	db.viewMu.Unlock()
	if db.opts.made != nil {
		if err := db.opts.made(); err != nil {
			// The file is there and holds what it should; its next open records it.
			logOut().Warn("storage: recording that a database's file exists failed; retried at its next open", "db", db.id, "err", err)
		}
	}
	made()
	return nil
}

// syncDir makes a directory's entries (a file made in it) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// createFile lays out a new, empty file: its format record (bound by the first Unlock)
// and its buckets. A bbolt file that already holds buckets is not herodb's.
func createFile(tx *bolt.Tx, path string, id uint64) error {
	empty := true
	tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
	if !empty {
		return fmt.Errorf("%s is not a herodb database file: %w", path, ErrFormat)
	}
	fb, err := tx.CreateBucket(bucketFormat)
	if err != nil {
		return err
	}
	f := currentFormat
	f.DB = &id
	raw, _ := json.Marshal(f)
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

// readFormat reads and checks the format record of an existing file opened as database
// id: everything that needs no key.
func readFormat(tx *bolt.Tx, path string, id uint64) (format, error) {
	var f format
	fb := tx.Bucket(bucketFormat)
	if fb == nil {
		return f, fmt.Errorf("%s is not a herodb database file: %w", path, ErrFormat)
	}
	if err := json.Unmarshal(fb.Get([]byte("format")), &f); err != nil || f.Magic != "herodb" {
		return f, fmt.Errorf("%s has an unreadable format record: %w", path, ErrFormat)
	}
	switch f.Version {
	case 1: // upgraded by Unlock; version 1 has no binding fields
		if f.DB != nil || f.File != "" || f.MAC != "" {
			return f, &WrongFileError{Path: path, Detail: "a version-1 format record with binding fields"}
		}
	case 2, FormatVersion:
		if f.DB == nil {
			return f, &WrongFileError{Path: path, Detail: "its format record names no database"}
		}
		if *f.DB != id {
			return f, &WrongFileError{Path: path,
				Detail: fmt.Sprintf("its format record names database %d; this is database %d", *f.DB, id)}
		}
		if f.MAC != "" {
			if fid, err := hex.DecodeString(f.File); err != nil || len(fid) != fileIDSize {
				return f, &WrongFileError{Path: path, Detail: "its format record has no valid file identity"}
			}
		}
	default:
		return f, fmt.Errorf("%s has format version %d; this herodb reads versions 1 to %d: %w",
			path, f.Version, FormatVersion, ErrFormat)
	}
	if f.Cipher != currentFormat.Cipher || f.Index != currentFormat.Index || f.KDF != currentFormat.KDF {
		return f, fmt.Errorf("%s uses cipher %q, index %q, kdf %q, which this herodb does not know: %w",
			path, f.Cipher, f.Index, f.KDF, ErrFormat)
	}
	return f, nil
}

// ID is the database id bound into its records.
func (db *DB) ID() uint64 { return db.id }

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// Unlock checks that the file is this database's, under its key, and installs the
// keyring that seals and opens its records. Until it has succeeded no command reads or
// writes the file; when it fails, every later use fails with its error (a
// *WrongFileError naming the file) and the file is left as it was.
//
// A file without a binding (version 1, or a new file never unlocked) is bound here,
// once: only when its records open under this keyring and id, so a file of another
// database with its format record rewritten to version 1 is refused too.
func (db *DB) Unlock(kr *crypto.Keyring) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.bind(kr); err != nil {
		db.keys, db.refused = nil, err
		logOut().Error("storage: database file refused", "db", db.id, "path", db.path, "err", err)
		return err
	}
	db.keys, db.refused = kr, nil
	return nil
}

// bind checks the file's binding under kr, or writes it when the file has none. The
// caller holds db.mu.
func (db *DB) bind(kr *crypto.Keyring) error {
	if kr == nil {
		return fmt.Errorf("storage: %s: no keyring: %w", db.path, ErrLocked)
	}
	if db.bolt == nil {
		return nil // no file yet: makeFile binds it under kr
	}
	var f format
	var own error
	err := db.bolt.View(func(btx *bolt.Tx) error {
		var err error
		if f, err = readFormat(btx, db.path, db.id); err != nil {
			return err
		}
		if f.MAC == "" {
			own = db.newTx(&view{btx: btx}, kr).checkOwnRecords()
		}
		return nil
	})
	if err != nil {
		return db.mapErr(err)
	}
	if f.MAC != "" {
		mac, err := hex.DecodeString(f.MAC)
		fid, _ := hex.DecodeString(f.File) // checked by readFormat
		if err != nil || !kr.CheckFileMAC(mac, bindingParts(f, db.id, fid)...) {
			return &WrongFileError{Path: db.path, Detail: "its binding does not check under this database's key"}
		}
		if f.Version == FormatVersion {
			db.bound = true
			return nil
		}
		return db.writeBinding(kr, f.Version, fid) // version 2: the same binding, renewed
	}
	if own != nil {
		return &WrongFileError{Path: db.path, Detail: "its records do not open under this database's key: " + own.Error()}
	}
	return db.writeBinding(kr, f.Version, crypto.Random(fileIDSize))
}

// writeBinding writes the current format record, bound to this database under kr with
// file identity fid, durably; from is the version it replaces.
func (db *DB) writeBinding(kr *crypto.Keyring, from int, fid []byte) error {
	raw := bindingRecord(kr, db.id, fid)
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketFormat).Put([]byte("format"), raw)
	})
	if err == nil && db.opts.Sync != SyncAlways {
		err = db.bolt.Sync()
	}
	if err != nil {
		return fmt.Errorf("storage: %s: writing its binding to database %d: %w", db.path, db.id, db.mapErr(err))
	}
	db.bound = true
	if from != FormatVersion {
		logOut().Info("storage: database file upgraded", "db", db.id, "path", db.path,
			"from_version", from, "to_version", FormatVersion)
	}
	return nil
}

// bindingRecord is the current format record of database id, bound to it under kr with
// file identity fid.
func bindingRecord(kr *crypto.Keyring, id uint64, fid []byte) []byte {
	nf := currentFormat
	nf.DB = &id
	nf.File = hex.EncodeToString(fid)
	nf.MAC = hex.EncodeToString(kr.FileMAC(bindingParts(nf, id, fid)...))
	raw, _ := json.Marshal(nf)
	return raw
}

func (db *DB) keyring() (*crypto.Keyring, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.refused != nil {
		return nil, db.refused
	}
	if db.keys == nil {
		return nil, ErrLocked
	}
	return db.keys, nil
}

// SysGet reads a raw value of the reserved sys bucket; usable before Unlock.
func (db *DB) SysGet(name string) ([]byte, error) {
	db.mu.RLock()
	refused := db.refused
	db.mu.RUnlock()
	if refused != nil {
		return nil, refused
	}
	db.viewMu.RLock()
	defer db.viewMu.RUnlock()
	var out []byte
	err := db.readTx(func(btx *bolt.Tx) error {
		v := &view{btx: btx}
		v.layers = db.layersLocked(v.own[:0])
		if val := v.get(bSys, []byte(name)); val != nil {
			out = append([]byte(nil), val...)
		}
		return nil
	})
	return out, err
}

// readTx runs fn in a bbolt read transaction, or with none (nil) for a database with no
// file yet. db.viewMu is held.
func (db *DB) readTx(fn func(*bolt.Tx) error) error {
	if db.bolt == nil {
		return fn(nil)
	}
	return db.bolt.View(fn)
}

// SysPut writes a raw value of the reserved sys bucket, durably, outside group commit;
// for bootstrap. Before Unlock it writes only a new file (no binding, no keys): any other
// file is written once Unlock has checked it is this database's.
func (db *DB) SysPut(name string, value []byte) error {
	return db.SysPutAll(map[string][]byte{name: value})
}

// SysPutAll is SysPut of several values in one transaction: all or none of them are
// written, with one commit's syncs.
func (db *DB) SysPutAll(records map[string][]byte) error {
	db.mu.RLock()
	refused, locked, bound := db.refused, db.keys == nil, db.bound
	db.mu.RUnlock()
	if refused != nil {
		return refused
	}
	if locked && bound {
		return fmt.Errorf("storage: %s: not written before Unlock has checked it: %w", db.path, ErrLocked)
	}
	if db.bolt == nil {
		return fmt.Errorf("storage: %s: no file to write to: %w", db.path, ErrClosed)
	}
	return db.mapErr(db.bolt.Update(func(tx *bolt.Tx) error {
		if locked && !isEmpty(tx) {
			return fmt.Errorf("storage: %s: not written before Unlock has checked it: %w", db.path, ErrLocked)
		}
		for name, value := range records {
			if err := tx.Bucket(bucketSys).Put([]byte(name), value); err != nil {
				return err
			}
		}
		return nil
	}))
}

// isEmpty reports whether a file holds no key and no named key.
func isEmpty(tx *bolt.Tx) bool {
	if k, _ := tx.Bucket(bucketKeys).Cursor().First(); k != nil {
		return false
	}
	if b := tx.Bucket(bucketNamedKeys); b != nil {
		if k, _ := b.Cursor().First(); k != nil {
			return false
		}
	}
	return true
}

// View runs fn in a read-only transaction: the overlay's layers over a bbolt read
// transaction, taken together so that no change vanishes between a flush's commit and
// its swap. Expired keys are invisible. The view lock is held for fn's duration: the
// committer waits for it before it changes the current layer.
func (db *DB) View(fn func(*Tx) error) error {
	kr, err := db.keyring()
	if err != nil {
		return err
	}
	db.viewMu.RLock()
	defer db.viewMu.RUnlock()
	btx, err := db.beginRead()
	if err != nil {
		return db.mapErr(err)
	}
	defer rollback(btx)
	v := &view{btx: btx, recs: db.records(btx)}
	v.layers = db.layersLocked(v.own[:0])
	return db.mapErr(fn(db.newTx(v, kr)))
}

// beginRead begins a bbolt read transaction, or none (nil) for a database with no file
// yet: its view is its layers alone. db.viewMu is held.
func (db *DB) beginRead() (*bolt.Tx, error) {
	if db.bolt == nil {
		db.closeMu.Lock()
		closed := db.closed
		db.closeMu.Unlock()
		if closed {
			return nil, ErrClosed // as bbolt answers for a closed file
		}
		return nil, nil
	}
	return db.bolt.Begin(false)
}

func rollback(btx *bolt.Tx) {
	if btx != nil {
		btx.Rollback()
	}
}

// layersLocked appends the overlay's layers, newest first; db.viewMu is held.
func (db *DB) layersLocked(to []*layer) []*layer {
	if !db.cur.empty() {
		to = append(to, db.cur)
	}
	if db.flushing != nil {
		to = append(to, db.flushing)
	}
	return to
}

// Update runs fn in a write transaction shared with every other writer queued at the
// moment (group commit), and returns once the commit is durable under the sync mode.
//
// fn may run more than once: when any writer in a group fails, the group is rolled back
// and each writer runs again alone. fn must therefore produce its output afresh on each
// run, and have no effect outside the transaction.
func (db *DB) Update(fn func(*Tx) error) error { return db.UpdateThen(fn, nil) }

// UpdateThen is Update, with after run once fn's changes are applied and before any
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
	if r.err == nil && r.wait != nil {
		r.err = r.wait()
	}
	return r.err
}

func (db *DB) commitLoop() {
	defer close(db.done)
	var tick <-chan time.Time
	if db.opts.Sync == SyncEverySec && db.opts.Log == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case r := <-db.reqs:
			if r.park != nil {
				db.parkFor(r.park)
				continue
			}
			batch := []*writeReq{r}
			var parked *park // a park drained behind the batch waits for it
		drain:
			for len(batch) < db.opts.MaxBatch {
				select {
				case r := <-db.reqs:
					if r.park != nil {
						parked = r.park
						break drain
					}
					batch = append(batch, r)
				default:
					break drain
				}
			}
			db.commit(batch)
			if parked != nil {
				db.parkFor(parked)
			}
		case <-tick:
			db.bolt.Sync() // no log: never a database opened with no file
		case <-db.stop:
			// Finish what was queued before Close, then leave.
			for {
				select {
				case r := <-db.reqs:
					if r.park != nil {
						db.parkFor(r.park)
					} else {
						db.commit([]*writeReq{r})
					}
				default:
					return
				}
			}
		}
	}
}

// commit runs a batch of writers in one pending layer, then logs and applies it. When
// one writer fails, each runs again alone, so only it fails.
func (db *DB) commit(batch []*writeReq) {
	kr, err := db.keyring()
	if err == nil {
		err = db.writable()
	}
	if err != nil {
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
		return
	}
	db.room()
	p, err := db.runBatch(kr, batch)
	if err == nil || len(batch) == 1 {
		db.apply(p, batch, err)
		return
	}
	for _, r := range batch {
		p, err := db.runBatch(kr, []*writeReq{r})
		db.apply(p, []*writeReq{r}, err)
	}
}

// runBatch runs the writers of batch over the overlay and the file, into a new pending
// layer. The committer alone changes the current layer, so it reads it without the view
// lock; a flush that swaps layers meanwhile leaves this batch's layers as they were.
func (db *DB) runBatch(kr *crypto.Keyring, batch []*writeReq) (*layer, error) {
	tx, p, btx, err := db.beginPending(kr)
	if err != nil {
		return nil, err
	}
	defer rollback(btx)
	for _, r := range batch {
		if err := runGuarded(r.fn, tx); err != nil {
			return nil, err
		}
	}
	if err := db.checkSize(p); err != nil {
		return nil, err
	}
	if err := tx.runBeforeCommit(); err != nil {
		return nil, err
	}
	return p, nil
}

// apply makes a batch's layer durable and visible, then answers its writers: with a log,
// the layer goes into one frame and is absorbed into the current layer (writers wait for
// the frame's durability, not the committer); without one, it is flushed into the file
// at once.
func (db *DB) apply(p *layer, batch []*writeReq, err error) {
	var wait func() error
	if err == nil && !p.empty() {
		db.commits.Add(1)
		db.batched.Add(uint64(len(batch)))
		wait, err = db.persist(p)
	}
	for _, r := range batch {
		r.err = db.mapErr(err)
		if err == nil {
			r.wait = wait
			if r.after != nil {
				r.after()
			}
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
	s := Stats{Commits: db.commits.Load(), Writes: db.batched.Load(), LastSyncMode: db.opts.Sync.String()}
	if fi, err := os.Stat(db.path); err == nil {
		s.SizeOnDisk = fi.Size()
	}
	return s
}

// Close finishes queued writes, flushes what is unflushed and closes the file; a flush
// that fails is returned (the log still holds those changes). bbolt's Close waits for
// open read transactions.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return nil
	}
	db.closed = true
	db.closeMu.Unlock()
	db.dropRecords()
	close(db.stop)
	<-db.done
	var ferr error
	if !db.discarded.Load() {
		ferr = db.flushNow()
	} else {
		db.viewMu.RLock()
		done := db.flushDone
		db.viewMu.RUnlock()
		if done != nil {
			<-done // a flush under way releases its own share of the buffer
		}
	}
	db.viewMu.RLock()
	b := db.bolt
	db.viewMu.RUnlock()
	if b == nil {
		db.releaseBuffer()
		return ferr // never written: no file was made
	}
	if ferr == nil && db.opts.Log == nil && db.opts.Sync != SyncAlways {
		ferr = b.Sync()
	}
	db.releaseBuffer()
	if err := b.Close(); ferr == nil {
		ferr = err
	}
	return ferr
}

// releaseBuffer gives back, at Close, the write buffer's bytes this database still holds.
func (db *DB) releaseBuffer() {
	if db.opts.Buffer != nil {
		db.viewMu.RLock()
		left, stuck := db.cur.bytes, int64(0)
		if db.flushing != nil {
			left += db.flushing.bytes
			if db.failed != nil {
				stuck = db.flushing.bytes // counted as stuck by its failed flush
			}
		}
		db.viewMu.RUnlock()
		db.opts.Buffer.release(db, left, true)
		if stuck != 0 {
			db.opts.Buffer.unstick(stuck)
		}
	}
}
