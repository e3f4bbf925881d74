// Package admin is DB 0, the control plane: it bootstraps the data directory, derives the
// admin key, keeps every database's key wrapped, and knows which databases exist and who
// may open them. It knows nothing of RESP or HTTP.
//
// # DB 0 layout
//
// The RESP keyspace of DB 0 holds HeroDB's layout, readable with SELECT 0 KEY <secret>:
//
//	admin:next_id          string  next database id (starts at "1", never reused)
//	admin:dbs              hash    <id> -> "1" for every live database
//	meta:db:<id>           hash    name, public (true|false|read), backend, created_at,
//	                               max_size, deleted_at (once deleted)
//	meta:db:<id>:keys      hash    sha256hex(access key) -> Read:<ts> | ReadWrite:<ts>
//
// Key material lives only in DB 0's reserved sys bucket, outside the keyspace:
//
//	kdf        JSON: Argon2id salt and parameters
//	dek0       DB 0's data key, wrapped under the key derived from the admin secret
//	dek:<id>   database <id>'s data key, wrapped under DB 0's key (crypto-shredded on delete)
//	terms:<id> its key terms beyond dek:<id>, wrapped as one set (key_terms.go)
//	reslot:<id>, rewrite:<id>  a destruction of old terms, a key rotation's rewrite, under way
package admin

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// Config is what admin needs to open a data directory.
type Config struct {
	Dir    string
	Secret []byte
	KDF    crypto.KDFParams // used when bootstrapping; an existing directory keeps its own
	Sync   storage.SyncMode
	Clock  storage.Clock
	// IdleClose is how long an unused database file stays open (0: 5 minutes).
	IdleClose time.Duration
	// MaxOpenDBs bounds the database files open at once (0: 1000).
	MaxOpenDBs int
	// RegistryCache bounds the registrations kept in memory (0: 65536); the others are
	// read from DB 0 when needed (registry_cache.go).
	RegistryCache int
	// WriteBuffer bounds the memory of changes not yet flushed into the files, across
	// databases (0: 64 MiB).
	WriteBuffer int64
	// FlushInterval is the longest a change waits in memory before its file is written
	// (0: storage.DefaultFlushInterval); the log holds it durably meanwhile.
	FlushInterval time.Duration
	// RecordCache bounds the memory of key records kept from the files for reads, across
	// databases (0: 64 MiB; negative: none).
	RecordCache int64
	// WALRecover says what startup does with a damaged log frame that durable frames
	// follow: refuse to start (the default), or keep what precedes it.
	WALRecover wal.RecoverMode
	// Logger receives the auth log (never a secret); nil discards.
	Logger *slog.Logger
	// JWT is the policy for Ed25519 JWTs; the zero value accepts none.
	JWT JWTConfig
}

// Admin is the control plane of one data directory.
type Admin struct {
	dir    string
	clock  storage.Clock
	db0    *storage.DB
	dek0   []byte
	kek0   []byte   // only between unlock and prepareRegistry, for a directory to migrate
	secret digest   // of the admin secret, for constant-time comparison; RotateSecret replaces it
	rot    rotation // how RotateSecret runs, one at a time (rekey.go)
	files  *storage.Manager
	log    *wal.Log
	// records is the record cache's bound (nil: none), for INFO.
	records *storage.RecordCache
	shred   *shredFile // the databases' key slots, overwritten at deletion (shred.go)
	// The background removal of files left by interrupted deletions (removeOrphans).
	orphansStop, orphansDone chan struct{}

	// mu guards the registry below; never held across a call into the file cache (the
	// lock-order rule at the top of storage/manager.go).
	mu       sync.RWMutex
	live     int                  // live databases
	next     uint64               // the next id to give
	regVer   uint64               // moved by every registry change (changedLocked)
	dbs      map[uint64]*Database // cached snapshots, live and deleted (registry_cache.go)
	cacheMax int
	seen     map[uint64]seenReg // the last snapshots read by Database, not cached (registry_cache.go)
	names    map[string]uint64  // names reserved by creates under way (as id 0)
	// The registrations' MAC key (registry.go), derived once.
	regOnce   sync.Once
	regMACKey []byte
	// genSeq gives every snapshot, read or changed, a generation no other had.
	genSeq atomic.Uint64
	// flagged holds the ids whose failed registration was logged: once per process.
	flagged sync.Map
	guard   *authGuard
	jwt     *jwtState
	// credGen moves whenever a credential may have been revoked server-wide; only
	// changeCredentials moves it (revocation.go).
	credGen atomic.Uint64

	tokMu    sync.Mutex
	tokens   map[string]*Token
	tokenUse map[string]int64 // id → last use (unix s), batched into DB 0
	tokStop  chan struct{}
	tokDone  chan struct{}
	mapStop  chan struct{} // dropMappedLoop (mapped.go)
	mapDone  chan struct{}
	mapKick  chan struct{} // a drop asked for before the interval (touchedDB0)
	// db0Touches counts databases opened or created since the last drop was asked for.
	db0Touches atomic.Int64

	appl applied // the files' rollback counters, batched into DB 0 (applied.go)

	// termsMu orders the databases' key records (key_terms.go): rotations and the
	// destruction of old terms write them under it, readers read them under it.
	termsMu sync.RWMutex
	rw      rewrites // key rotations' rewrites under way (rewrite.go)
}

type kdfRecord struct {
	Salt   string           `json:"salt"`
	Params crypto.KDFParams `json:"params"`
}

// Open opens the data directory, bootstrapping DB 0 on first start. A wrong secret for
// an existing directory fails with a *Error of code EWRONGSECRET and rewrites nothing.
func Open(cfg Config) (*Admin, error) {
	if len(cfg.Secret) == 0 {
		return nil, Errorf(EINVALID, "no admin secret given")
	}
	if cfg.Clock == nil {
		cfg.Clock = storage.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.KDF.Time == 0 {
		cfg.KDF = crypto.DefaultKDF
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	os.Chmod(cfg.Dir, 0o700)
	opts := storage.Options{Sync: cfg.Sync, Clock: cfg.Clock}
	db0, err := storage.Open(filepath.Join(cfg.Dir, "0.db"), 0, opts)
	if err != nil {
		return nil, err
	}
	a := &Admin{dir: cfg.Dir, clock: cfg.Clock, db0: db0,
		dbs: map[uint64]*Database{}, seen: map[uint64]seenReg{}, names: map[string]uint64{}, cacheMax: cfg.RegistryCache, guard: newAuthGuard(cfg.Logger),
		mapKick: make(chan struct{}, 1)}
	a.setSecret(cfg.Secret)
	if err := a.unlock(cfg); err != nil {
		db0.Close()
		return nil, err
	}
	if err := a.load(); err != nil {
		db0.Close()
		return nil, err
	}
	if err := a.openShred(opts); err != nil {
		a.db0.Close()
		a.closeShred()
		return nil, err
	}
	db0 = a.db0 // a migration to key slots may have compacted and reopened it
	if err := a.initJWT(cfg.JWT); err != nil {
		a.closeShred()
		db0.Close()
		return nil, err
	}
	a.tokens, a.tokenUse = map[string]*Token{}, map[string]int64{}
	if err := a.loadTokens(); err != nil {
		a.closeShred()
		db0.Close()
		return nil, err
	}
	a.tokStop, a.tokDone = make(chan struct{}), make(chan struct{})
	go a.tokenUseLoop(10*time.Second, a.tokStop, a.tokDone)
	a.startApplied()
	if err := a.openFiles(cfg, opts); err != nil {
		a.closeApplied()
		a.tokenClose()
		a.closeShred()
		db0.Close()
		return nil, err
	}
	a.mapStop, a.mapDone = make(chan struct{}), make(chan struct{})
	go a.dropMappedLoop(dropMappedEvery, a.mapStop, a.mapDone)
	if err := a.finishRestoreDeletes(); err != nil { // node_restore.go
		a.Close()
		return nil, err
	}
	if err := a.resumeRewrites(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// openFiles opens the node's write-ahead log, under a MAC key derived from DB 0's key
// (so only the holder of the admin secret can write a frame that checks), replays it
// into the database files, and starts the file cache. DB 0 itself writes its file
// directly: the log's key and the registrations that replay needs live in it.
func (a *Admin) openFiles(cfg Config, opts storage.Options) error {
	mode := map[storage.SyncMode]wal.SyncMode{storage.SyncAlways: wal.SyncAlways,
		storage.SyncEverySec: wal.SyncEverySec, storage.SyncNone: wal.SyncNone}[cfg.Sync]
	log, err := wal.Open(wal.Options{Dir: filepath.Join(cfg.Dir, "wal"), Key: crypto.SubKey(a.dek0, "herodb/v1/wal-mac"),
		Sync: mode, Recover: cfg.WALRecover, Logger: cfg.Logger})
	if err != nil {
		return err
	}
	buf := cfg.WriteBuffer
	if buf <= 0 {
		buf = 64 << 20
	}
	opts.Log, opts.Buffer, opts.FlushInterval = log, storage.NewWriteBuffer(buf), cfg.FlushInterval
	recs := cfg.RecordCache
	if recs == 0 {
		recs = 64 << 20
	}
	opts.Records = storage.NewRecordCache(recs)
	a.records = opts.Records
	a.log = log
	a.files = storage.NewManager(cfg.Dir, opts, storage.CacheOptions{Idle: cfg.IdleClose, MaxOpen: cfg.MaxOpenDBs}, a.unlockDB)
	st, err := a.files.Recover(a.heldApplied)
	if err != nil {
		a.files.Close()
		log.Close()
		return err
	}
	a.orphansStop, a.orphansDone = make(chan struct{}), make(chan struct{})
	go a.removeOrphans(cfg.Logger)
	cfg.Logger.Info("log replayed", "frames", st.Frames, "applied", st.Replayed, "databases", st.Databases,
		"held", st.Held, "skipped_deleted", st.Skipped, "kept", len(st.Pinned), "took", st.Took.Round(time.Millisecond).String())
	return nil
}

// db0AAD is the associated data of DB 0's wrapped key in a directory from before the
// registration check; db0SealedAAD is the one written when the registrations are sealed
// (registry.go). Since only the admin secret can rewrap the key, a directory whose key
// has the sealed wrap can never be made to migrate again by editing its file.
var (
	db0AAD       = []byte("herodb/db/0")
	db0SealedAAD = []byte("herodb/db/0/registrations-sealed")
)

func dbAAD(id uint64) []byte { return []byte("herodb/db/" + strconv.FormatUint(id, 10)) }

// unlock derives KEK0 and unwraps DEK0, or bootstraps both on a fresh directory.
func (a *Admin) unlock(cfg Config) error {
	raw, err := a.db0.SysGet("kdf")
	if err != nil {
		return err
	}
	if raw == nil {
		salt := crypto.Random(16)
		rec, _ := json.Marshal(kdfRecord{Salt: base64.StdEncoding.EncodeToString(salt), Params: cfg.KDF})
		kek := crypto.DeriveKEK(cfg.Secret, salt, cfg.KDF)
		a.dek0 = crypto.Random(crypto.KeySize)
		wrapped, err := crypto.Wrap(kek, db0SealedAAD, a.dek0)
		if err != nil {
			return err
		}
		// One transaction, so one commit's syncs: a crash leaves all of these or none,
		// and a directory without kdf is bootstrapped again from the start. A new
		// directory has nothing to migrate, so the migrations' done marks come with it:
		// its registrations are sealed from the first one (registry.go), its keys are in
		// slot form (migrateSlots) and its token index is complete (loadTokens).
		if err := a.db0.SysPutAll(map[string][]byte{
			"dek0": wrapped, "kdf": rec, regMarker: markerMAC(a.regKey()),
			slotsMarker: []byte("1"), tokenIndexMarker: []byte("1"),
		}); err != nil {
			return err
		}
	} else {
		dek0, kek, aad, err := openDEK0(a.db0, cfg.Secret, a.dir)
		if err != nil {
			return err
		}
		a.dek0 = dek0
		if bytes.Equal(aad, db0AAD) {
			a.kek0 = kek // an old wrap: prepareRegistry migrates, then rewraps with it
		}
	}
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: a.dek0})
	if err != nil {
		return err
	}
	if err := a.db0.Unlock(kr); err != nil {
		return err
	}
	return a.db0.Update(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("admin:next_id"), []byte("1"), storage.SetOptions{NX: true})
		return err
	})
}

// sealDEK0 rewraps DB 0's key with the sealed associated data, inside the migration's
// transaction. It does nothing when the key already has that wrap.
func (a *Admin) sealDEK0(tx *storage.Tx) error {
	if a.kek0 == nil {
		return nil
	}
	wrapped, err := crypto.Wrap(a.kek0, db0SealedAAD, a.dek0)
	if err != nil {
		return err
	}
	return tx.SysPut("dek0", wrapped)
}

// unlockDB unwraps database id's key for the file manager. The manager calls it with no
// lock of its own held, and it takes a.mu only to read the snapshot (the lock-order rule
// in storage/manager.go: nothing of ours is held across the DB 0 read or the unwrap).
func (a *Admin) unlockDB(id uint64) (storage.Unlocked, error) {
	a.touchedDB0(1)
	d := a.reg(id)
	if d == nil || d.Deleted() {
		return storage.Unlocked{}, goneError{e: Errorf(ENOTFOUND, "database %d does not exist", id)}
	}
	applied, err := a.heldApplied(id)
	if err != nil {
		return storage.Unlocked{}, err
	}
	keys, err := a.databaseKeys(id) // every key term (key_terms.go)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return storage.Unlocked{}, err
		}
		return storage.Unlocked{}, fmt.Errorf("database %d key: %w", id, err)
	}
	kr, err := crypto.NewKeyring(keys)
	return storage.Unlocked{Keys: kr, MaxSize: d.MaxSize, FileMade: !d.filePending,
		Made: func() error { return a.fileMade(id) }, Applied: applied, Flushed: a.flushedFunc(id)}, err
}

// removeOrphans deletes database files left by a deletion that a crash cut off: the
// registration says deleted (or there is none) and the key is gone, so nothing in the
// file can be read again, and the file is removed. A database whose registration failed
// its check is listed, not deleted: its file stays.
//
// It walks every file, so it runs in the background once the server serves (Close waits
// for it): files in the db/ layout and in the legacy place, <dir>/<id>.db.
func (a *Admin) removeOrphans(log *slog.Logger) {
	defer close(a.orphansDone)
	legacy, _ := filepath.Glob(filepath.Join(a.dir, "*.db"))
	layout, _ := filepath.Glob(filepath.Join(a.dir, "db", "*", "*.db"))
	for _, path := range append(legacy, layout...) {
		select {
		case <-a.orphansStop:
			return
		default:
		}
		id, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(path), ".db"), 10, 64)
		if err != nil || id == 0 || (path != storage.LegacyPath(a.dir, id) && path != storage.FilePath(a.dir, id)) {
			continue
		}
		if a.slotHeld(id) {
			continue // live: the common case, decided without reading DB 0
		}
		d := a.lookup(id)
		if d != nil && !d.Deleted() {
			continue
		}
		if err := os.Remove(path); err != nil {
			log.Error("a deleted database's file could not be removed", "db", id, "path", path, "err", err)
			continue
		}
		log.Info("removed the file of a deleted database, left by an interrupted deletion", "db", id, "path", path)
	}
}

// slotHeld reports whether database id's slot in shred.slots holds a secret: one pread,
// no page of DB 0. The orphan sweep asks it first for each file, because a registration
// read touches several of DB 0's pages (each fault maps the pages around it too): a sweep
// of 2,000 files mapped 350 MiB of a million databases' DB 0. A held slot only ever keeps
// a file (a deletion zeroes the slot, and openShred finished any that a crash cut off
// before the sweep starts); a file goes only once its registration says the database is
// gone. A slot that cannot be read counts as held.
func (a *Admin) slotHeld(id uint64) bool {
	if a.shred == nil {
		return false
	}
	secret, err := a.shred.slot(id)
	return err != nil || secret != nil
}

// goneError is the unlock error of a database that is not registered or was deleted:
// the file manager skips its log frames at recovery (storage.ErrGone).
type goneError struct{ e *Error }

func (g goneError) Error() string      { return g.e.Message }
func (g goneError) Unwrap() error      { return g.e }
func (goneError) Is(target error) bool { return target == storage.ErrGone }

// CheckAdminSecret compares a presented secret with the admin secret, digest against
// digest in constant time.
func (a *Admin) CheckAdminSecret(presented []byte) bool {
	return crypto.Equal(crypto.Digest(presented), *a.secret.Load())
}

// DB0 is the admin database (read-only over RESP: callers must not write it).
func (a *Admin) DB0() *storage.DB { return a.db0 }

// LogStats describes the node's write-ahead log and the write buffer, for INFO.
func (a *Admin) LogStats() (wal.Stats, int64) { return a.log.Stats(), a.files.Buffered() }

// RecordCacheStats describes the record cache, for INFO.
func (a *Admin) RecordCacheStats() storage.RecordCacheStats { return a.records.Stats() }

// Files is the cache of open tenant database files.
func (a *Admin) Files() *storage.Manager { return a.files }

// Acquire opens database id (0 is DB 0) for one use; release when done. Callers must
// hold no lock of theirs that unlockDB's path could need (storage/manager.go's rule).
func (a *Admin) Acquire(id uint64) (*storage.DB, func(), error) {
	if id == 0 {
		return a.db0, func() {}, nil
	}
	if d, ok := a.DatabaseByID(id); ok {
		d.lastAccess.Store(a.clock.Now().Unix())
	}
	return a.acquireFile(id)
}

// acquireFile is Acquire without counting it as a use (databaseInfo looks, it does not
// use). The one place a deletion racing an open becomes "does not exist".
func (a *Admin) acquireFile(id uint64) (*storage.DB, func(), error) {
	db, release, err := a.files.Acquire(id)
	if errors.Is(err, storage.ErrClosed) {
		// The file was taken out of the cache as this open finished: a deletion raced
		// this use. Say so, as unlockDB does when the deletion came first.
		if d, ok := a.DatabaseByID(id); !ok || d.Deleted() {
			return nil, nil, Errorf(ENOTFOUND, "database %d does not exist", id)
		}
	}
	return db, release, err
}

// Dir is the data directory.
func (a *Admin) Dir() string { return a.dir }

// Close closes every database file and DB 0 last.
func (a *Admin) Close() error {
	close(a.mapStop)
	<-a.mapDone
	close(a.orphansStop)
	<-a.orphansDone
	a.tokenClose()
	a.stopRewrites() // before the files close: a batch holds one
	a.files.Close()
	a.closeApplied() // after every file is flushed and closed
	lerr := a.log.Close()
	a.closeShred()
	if err := a.db0.Close(); err != nil {
		return err
	}
	return lerr
}

func (a *Admin) tokenClose() {
	close(a.tokStop)
	<-a.tokDone
}
