package admin

import (
	"crypto/ed25519"
	"regexp"
	"strconv"
	"sync/atomic"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// Database is a snapshot of one database's registration. Snapshots are never changed;
// a change replaces the snapshot.
type Database struct {
	ID        uint64
	Name      string
	Public    Access
	Backend   string
	CreatedAt int64             // unix seconds
	MaxSize   int64             // bytes on disk; 0: no cap
	DeletedAt int64             // unix seconds; 0: live
	JWTKey    ed25519.PublicKey // the database's own JWT key (sqld's per-namespace key); nil: server-wide keys

	// gen counts the changes to this database's access (public flag, keys, its JWT key,
	// deletion), moved only by changeDatabase (revocation.go); sessions compare it at
	// each command instead of reading DB 0.
	gen uint64
	// lastAccess is when the database was last opened for a command (unix seconds).
	lastAccess *atomic.Int64
	// unusable says why the registration failed its integrity check at load ("": it
	// holds); such a database is never public and every SELECT of it is refused.
	unusable string
	// filePending: no file was made for it yet (the registration's "file" field says
	// "pending"); a missing file is then an empty database. Databases registered before
	// files were made lazily have no such field: their file must be there.
	filePending bool
}

// LastAccess is when the database was last used (unix seconds; 0: not since start).
func (d *Database) LastAccess() int64 { return d.lastAccess.Load() }

// Deleted reports whether the database was deleted.
func (d *Database) Deleted() bool { return d.DeletedAt != 0 }

// Generation is the database's revocation counter.
func (d *Database) Generation() uint64 { return d.gen }

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// ValidateName checks a database name: ^[a-z][a-z0-9_-]{0,62}$ and not "default".
func ValidateName(name string) error {
	if !nameRE.MatchString(name) || name == "default" {
		return Errorf(EINVALID, "invalid database name %q: want ^[a-z][a-z0-9_-]{0,62}$, not \"default\"", name)
	}
	return nil
}

func metaKey(id uint64) []byte { return []byte("meta:db:" + strconv.FormatUint(id, 10)) }

// load prepares the registry at startup: a migration of an old directory if it needs
// one, then what openRegistry reads. Registrations themselves are read when needed
// (registry_cache.go), each checked against its MAC then.
func (a *Admin) load() error {
	if err := a.prepareRegistry(); err != nil {
		return err
	}
	return a.openRegistry()
}

// MinMaxSize is the smallest max_size accepted: an empty bbolt file is 32 KiB and a
// cap below twice that leaves no room for writes.
const MinMaxSize = 64 << 10

// CreateOptions describe a new database.
type CreateOptions struct {
	Name          string // optional
	Public        Access
	Backend       string // recorded as given; all are stored in bbolt
	MaxSize       int64
	EncryptionKey []byte // optional; mixed into the database key, kept only wrapped
}

// CreateDatabase registers a new database with its own random key, wrapped under DB 0's
// key: one DB 0 transaction, and no file (its first flush makes one). Errors: EINVALID
// (bad name), ECONFLICT (name taken, now or ever).
func (a *Admin) CreateDatabase(o CreateOptions) (*Database, error) {
	ds, err := a.createDatabases(1, o)
	if err != nil {
		return nil, err
	}
	return ds[0], nil
}

// MaxBulkCreate bounds CreateDatabases: one DB 0 transaction, and one reply, per call.
const MaxBulkCreate = 10000

// CreateDatabases creates n databases with the same options, unnamed, in one DB 0
// transaction (for provisioning): all or none.
func (a *Admin) CreateDatabases(n int, o CreateOptions) ([]*Database, error) {
	if n < 1 || n > MaxBulkCreate {
		return nil, Errorf(EINVALID, "count must be 1 to %d", MaxBulkCreate)
	}
	if o.Name != "" {
		return nil, Errorf(EINVALID, "databases created in bulk have no name: a name is given one database at a time")
	}
	return a.createDatabases(n, o)
}

func (a *Admin) createDatabases(n int, o CreateOptions) ([]*Database, error) {
	if o.Name != "" {
		if err := ValidateName(o.Name); err != nil {
			return nil, err
		}
	}
	if o.MaxSize < 0 || (o.MaxSize > 0 && o.MaxSize < MinMaxSize) {
		return nil, Errorf(EINVALID, "max_size must be 0 (no cap) or at least %d bytes: a database file needs room to grow", MinMaxSize)
	}
	if o.Backend == "" {
		o.Backend = "bbolt"
	}
	// The name is reserved under a.mu (as id 0, which no database has: lookups of it
	// find nothing until the registration is in), and a.mu is let go across DB 0's
	// transaction, so concurrent creates share one group commit of DB 0.
	a.mu.Lock()
	if o.Name != "" && a.nameTakenLocked(o.Name) {
		a.mu.Unlock()
		return nil, Errorf(ECONFLICT, "database name %q is taken (names are never reused)", o.Name)
	}
	if o.Name != "" {
		a.names[o.Name] = 0
	}
	a.mu.Unlock()
	deks := make([][]byte, n)
	for i := range deks {
		deks[i] = crypto.DeriveDataKey(crypto.Random(crypto.KeySize), o.EncryptionKey)
	}
	slots := newSlotSecrets(n)
	now := a.clock.Now().Unix()
	ds := make([]*Database, 0, n)
	err := a.db0.Update(func(tx *storage.Tx) error {
		ds = ds[:0] // a batch that fails runs each writer again alone
		next, err := tx.IncrBy([]byte("admin:next_id"), int64(n))
		if err != nil {
			return err
		}
		if err := a.putSlots(tx, uint64(next)-uint64(n), slots); err != nil {
			return err
		}
		for i, dek := range deks {
			d := &Database{ID: uint64(next) - uint64(n) + uint64(i), Name: o.Name, Public: o.Public, Backend: o.Backend,
				CreatedAt: now, MaxSize: o.MaxSize, filePending: true, lastAccess: new(atomic.Int64)}
			if err := a.register(tx, d, dek, slots[i]); err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return nil
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	if o.Name != "" {
		delete(a.names, o.Name) // from now on DB 0's name index has it
	}
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		d.gen = a.genSeq.Add(1)
		a.changedLocked(d)
		a.live++
		a.next = max(a.next, d.ID+1)
	}
	a.changeCredentials() // a JWT or token naming a newcomer before it existed covers it from now on
	a.touchedDB0(len(ds))
	return ds, nil
}

// register writes database d's registration and its key, wrapped with its slot secret
// (already durable in the slot file), into DB 0.
func (a *Admin) register(tx *storage.Tx, d *Database, dek, slot []byte) error {
	id := strconv.FormatUint(d.ID, 10)
	wrapped, err := a.wrapDEK(d.ID, dek, slot)
	if err != nil {
		return err
	}
	if err := tx.SysPut("dek:"+id, wrapped); err != nil {
		return err
	}
	if _, err := tx.HSet([]byte("admin:dbs"), [][]byte{[]byte(id), []byte("1")}); err != nil {
		return err
	}
	pairs := metaPairs(d)
	if _, err := tx.HSet(metaKey(d.ID), pairs); err != nil {
		return err
	}
	if d.Name != "" {
		if err := indexName(tx, d.Name, d.ID); err != nil {
			return err
		}
	}
	// Sealed from the pairs just written: the hash is new, so they are all of it.
	return tx.SysPut(regName(d.ID), registrationMAC(a.regKey(), d.ID, pairs))
}

// fileMade records that database id's file exists (storage.Unlocked.Made): from now on
// a missing file is an error, never an empty database.
//
// a.mu is not held across DB 0's transaction: every command's registry lookup waits on
// it, and first flushes come in bursts (a tenant's first writes to many databases, a
// cold pass over 2,000 of them), so holding it made each file's record a DB 0 commit of
// its own with the whole node waiting: one SET stalled 3.5-3.9 s. The transaction checks
// the field itself (a deletion or another change may land first), and concurrent ones
// share DB 0's group commit; the cache is then updated from its current snapshot.
func (a *Admin) fileMade(id uint64) error {
	if d := a.reg(id); d == nil || d.Deleted() || !d.filePending || d.unusable != "" {
		return nil
	}
	err := a.db0.Update(func(tx *storage.Tx) error {
		if _, pending, err := tx.HGet(metaKey(id), []byte("file")); err != nil || !pending {
			return err // recorded already, or the registration is gone
		}
		if _, err := tx.HDel(metaKey(id), [][]byte{[]byte("file")}); err != nil {
			return err
		}
		return a.sealRegistration(tx, id)
	})
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if d, ok := a.dbs[id]; ok && d.filePending {
		nd := *d // not an access change: the generation stays (revocation.go)
		nd.filePending = false
		a.changedLocked(&nd)
	} else {
		a.regVer++ // a read of DB 0 that began before the commit is not cached
	}
	return nil
}

// metaPairs is d's registration as the field/value pairs of its record in DB 0.
func metaPairs(d *Database) [][]byte {
	p := [][]byte{
		[]byte("public"), []byte(publicValue(d.Public)),
		[]byte("backend"), []byte(d.Backend),
		[]byte("created_at"), []byte(strconv.FormatInt(d.CreatedAt, 10)),
		[]byte("max_size"), []byte(strconv.FormatInt(d.MaxSize, 10)),
	}
	if d.Name != "" {
		p = append(p, []byte("name"), []byte(d.Name))
	}
	if d.filePending {
		p = append(p, []byte("file"), []byte("pending"))
	}
	return p
}

// Database finds a live database by id or name ("7" or "app").
//
// It caches nothing it reads: a SELECT resolves its database before the credential is
// checked, so a tenant naming database after database it may not open must not push
// the databases in use out of the cache. Using a database caches it (DatabaseByID).
func (a *Admin) Database(idOrName string) (*Database, bool) {
	var d *Database
	if id, err := strconv.ParseUint(idOrName, 10, 64); err == nil {
		d = a.lookupSeen(id)
	} else {
		d = a.byName(idOrName)
	}
	if d == nil || d.Deleted() {
		return nil, false
	}
	return d, true
}

// DatabaseByID returns the current snapshot of database id, live or deleted.
func (a *Admin) DatabaseByID(id uint64) (*Database, bool) {
	d := a.reg(id)
	return d, d != nil
}

// Count is the number of live databases, without a walk of the registry.
func (a *Admin) Count() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.live
}

// Blank reports whether database id was never written to and its file is not open: it
// holds nothing, and has no file to flush or remove.
func (a *Admin) Blank(id uint64) bool {
	d := a.reg(id)
	if d == nil || !d.filePending {
		return false
	}
	if db, release, open := a.files.Peek(id); open {
		defer release()
		return db.Blank()
	}
	return true
}

// Databases lists the live databases in id order: a read of every registration not
// cached (FLUSHALL's walk).
func (a *Admin) Databases() []*Database {
	a.mu.RLock()
	out, next := make([]*Database, 0, a.live), a.next
	a.mu.RUnlock()
	for id := uint64(1); id < next; id++ {
		if d := a.lookup(id); d != nil && !d.Deleted() {
			out = append(out, d)
		}
	}
	return out
}

// SetPublic changes who may open database id without a credential. Making it less open
// takes effect on open connections at their next command.
func (a *Admin) SetPublic(id uint64, p Access) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.regLocked(id)
	if d == nil || d.Deleted() {
		return Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	if err := d.Unusable(); err != nil {
		return err // resealing would trust the registration as it stands
	}
	err := a.db0.Update(func(tx *storage.Tx) error {
		if _, err := tx.HSet(metaKey(id), [][]byte{[]byte("public"), []byte(publicValue(p))}); err != nil {
			return err
		}
		return a.sealRegistration(tx, id)
	})
	if err != nil {
		return err
	}
	a.changeDatabase(id, func(d *Database) { d.Public = p }) // re-derived: less, or more
	return nil
}

// DeleteDatabase destroys database id's key first (crypto-shred: its wrap goes from DB 0
// and its slot is overwritten, shred.go), then its file. The id and name are never
// reused. Open connections fail at their next command.
func (a *Admin) DeleteDatabase(id uint64) error {
	a.mu.Lock()
	d := a.regLocked(id)
	if d == nil || d.Deleted() || id == 0 {
		a.mu.Unlock()
		return Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	now := a.clock.Now().Unix()
	err := a.db0.Update(func(tx *storage.Tx) error {
		if err := tx.SysDelete("dek:" + strconv.FormatUint(id, 10)); err != nil {
			return err
		}
		if err := markShred(tx, id); err != nil {
			return err
		}
		if err := dropTermRecords(tx, id); err != nil { // key_terms.go
			return err
		}
		if _, err := tx.HDel([]byte("admin:dbs"), [][]byte{[]byte(strconv.FormatUint(id, 10))}); err != nil {
			return err
		}
		return a.recordDeletion(tx, d, now)
	})
	if err != nil {
		a.mu.Unlock()
		return err
	}
	a.changeDatabase(id, func(d *Database) { d.DeletedAt = now })
	a.live--
	a.changeCredentials()
	// Lock order (storage/manager.go): Remove waits for an open of this file in progress,
	// whose unlockDB takes a.mu; so a.mu goes first. The open then finds the database
	// deleted, or is closed by Remove.
	a.mu.Unlock()
	serr := a.completeShred(id)
	if err := a.files.Remove(id); err != nil {
		return err
	}
	return serr
}

// Info is a database's description for operators: never a key.
type Info struct {
	ID         uint64  `json:"id"`
	Name       *string `json:"name"` // null when the database has none
	Backend    string  `json:"backend"`
	Encrypted  bool    `json:"encrypted"`
	Public     any     `json:"public"` // true, false or "read"
	SizeOnDisk int64   `json:"size_on_disk"`
	KeyCount   int64   `json:"key_count"`
	CreatedAt  int64   `json:"created_at"`
	LastAccess int64   `json:"last_access"`
	MaxSize    int64   `json:"max_size"`
	// Unusable is set (and nothing else is to be trusted) when the database's
	// registration failed its integrity check at startup: it cannot be selected.
	Unusable string `json:"unusable,omitempty"`
	// Encryption is the database's key terms and its last rewrite (rotate_key.go);
	// getDatabaseInfo alone shows it, as it opens the file.
	Encryption *KeyStatus `json:"encryption,omitempty"`
}

// DatabaseInfo describes database id, opening its file to count keys. Errors: ENOTFOUND.
func (a *Admin) DatabaseInfo(id uint64) (*Info, error) {
	d, ok := a.DatabaseByID(id)
	if !ok || d.Deleted() {
		return nil, Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	var name *string
	if d.Name != "" {
		name = &d.Name
	}
	info := &Info{ID: d.ID, Name: name, Backend: d.Backend, Encrypted: true, Public: PublicJSON(d.Public),
		CreatedAt: d.CreatedAt, LastAccess: d.LastAccess(), MaxSize: d.MaxSize}
	if err := d.Unusable(); err != nil {
		info.Unusable = ErrorMessage(err) // its file is not opened
		return info, nil
	}
	db, release, err := a.acquireFile(id) // not a.Acquire: looking is not using
	if err != nil {
		return nil, err
	}
	defer release()
	err = db.View(func(tx *storage.Tx) error { info.KeyCount = tx.DBSize(); return nil })
	info.SizeOnDisk = db.Stats().SizeOnDisk
	if err == nil {
		info.Encryption, err = a.keyStatus(id, db)
	}
	return info, err
}
