package admin

import (
	"crypto/ed25519"
	"fmt"
	"regexp"
	"sort"
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

// load reads the registry of databases from DB 0 into memory, checking each
// registration's MAC (registry.go): one that fails loads as an unusable database, logged.
func (a *Admin) load() error {
	if err := a.prepareRegistry(); err != nil {
		return err
	}
	key := a.regKey()
	return a.db0.View(func(tx *storage.Tx) error {
		next, err := nextID(tx)
		if err != nil {
			return err
		}
		for id := uint64(1); id < next; id++ {
			pairs, rerr := tx.HGetAll(metaKey(id))
			reason := checkRegistration(tx, key, id, pairs, rerr)
			if reason == "" && len(pairs) == 0 {
				continue // sealed empty at migration: never registered
			}
			d := decodeRegistration(id, pairs)
			if rerr != nil {
				d.Name = loadedName(tx, id)
			}
			if reason != "" {
				a.guard.log.Error("database registration failed its integrity check: the database is unusable",
					"db", id, "reason", reason)
				// Nothing in it is trusted: never public, listed (not deleted) so that
				// the operator sees it and can delete it.
				d.unusable, d.Public, d.DeletedAt = reason, AccessNone, 0
			}
			a.dbs[id] = d
			if _, taken := a.names[d.Name]; d.Name != "" && (reason == "" || !taken) {
				a.names[d.Name] = id
			}
			if !d.Deleted() {
				if err := a.loadKeys(tx, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
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
// key, and creates its file. Errors: EINVALID (bad name), ECONFLICT (name taken, now or
// ever).
func (a *Admin) CreateDatabase(o CreateOptions) (*Database, error) {
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
	// Lock order (storage/manager.go): a.mu covers the registry and its DB 0 record, and
	// is let go before the file cache is called, which calls back into unlockDB.
	a.mu.Lock()
	if _, taken := a.names[o.Name]; o.Name != "" && taken {
		a.mu.Unlock()
		return nil, Errorf(ECONFLICT, "database name %q is taken (names are never reused)", o.Name)
	}
	dek := crypto.DeriveDataKey(crypto.Random(crypto.KeySize), o.EncryptionKey)
	now := a.clock.Now().Unix()
	var d *Database
	err := a.db0.Update(func(tx *storage.Tx) error {
		id, err := tx.IncrBy([]byte("admin:next_id"), 1)
		if err != nil {
			return err
		}
		d = &Database{ID: uint64(id - 1), Name: o.Name, Public: o.Public, Backend: o.Backend,
			CreatedAt: now, MaxSize: o.MaxSize, lastAccess: new(atomic.Int64)}
		wrapped, err := crypto.Wrap(a.dek0, dbAAD(d.ID), dek)
		if err != nil {
			return err
		}
		if err := tx.SysPut("dek:"+strconv.FormatUint(d.ID, 10), wrapped); err != nil {
			return err
		}
		if _, err := tx.HSet([]byte("admin:dbs"), [][]byte{[]byte(strconv.FormatUint(d.ID, 10)), []byte("1")}); err != nil {
			return err
		}
		if _, err := tx.HSet(metaKey(d.ID), metaPairs(d)); err != nil {
			return err
		}
		return a.sealRegistration(tx, d.ID)
	})
	if err != nil {
		a.mu.Unlock()
		return nil, err
	}
	a.dbs[d.ID] = d
	if d.Name != "" {
		a.names[d.Name] = d.ID
	}
	a.changeCredentials() // a wildcard JWT or token grant covers the newcomer from now on
	a.mu.Unlock()
	// Create the file now, so a full disk or a bad directory shows here, not later. No
	// lock is held from here on: Acquire calls unlockDB, release takes the cache's lock.
	_, release, err := a.files.Acquire(d.ID)
	if err != nil {
		// Leave nothing half-made behind: the registration goes (its id and name stay
		// burned, as for any deleted database).
		if derr := a.DeleteDatabase(d.ID); derr != nil {
			err = fmt.Errorf("%w (and removing the registration failed: %v)", err, derr)
		}
		return nil, err
	}
	release()
	return d, nil
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
	return p
}

// Database finds a live database by id or name ("7" or "app").
func (a *Admin) Database(idOrName string) (*Database, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	d := a.lookupLocked(idOrName)
	return d, d != nil
}

// lookupLocked is Database for callers that hold a.mu.
func (a *Admin) lookupLocked(ref string) *Database {
	var d *Database
	if id, err := strconv.ParseUint(ref, 10, 64); err == nil {
		d = a.dbs[id]
	} else if id, ok := a.names[ref]; ok {
		d = a.dbs[id]
	}
	if d == nil || d.Deleted() {
		return nil
	}
	return d
}

// DatabaseByID returns the current snapshot of database id, live or deleted.
func (a *Admin) DatabaseByID(id uint64) (*Database, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	d, ok := a.dbs[id]
	return d, ok
}

// Databases lists the live databases in id order.
func (a *Admin) Databases() []*Database {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]*Database, 0, len(a.dbs))
	for _, d := range a.dbs {
		if !d.Deleted() {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SetPublic changes who may open database id without a credential. Making it less open
// takes effect on open connections at their next command.
func (a *Admin) SetPublic(id uint64, p Access) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.dbs[id]
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

// DeleteDatabase destroys database id's wrapped key first (crypto-shred), then its file.
// The id and name are never reused. Open connections fail at their next command.
func (a *Admin) DeleteDatabase(id uint64) error {
	a.mu.Lock()
	d := a.dbs[id]
	if d == nil || d.Deleted() || id == 0 {
		a.mu.Unlock()
		return Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	now := a.clock.Now().Unix()
	err := a.db0.Update(func(tx *storage.Tx) error {
		if err := tx.SysDelete("dek:" + strconv.FormatUint(id, 10)); err != nil {
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
	a.changeCredentials()
	// Lock order (storage/manager.go): Remove waits for an open of this file in progress,
	// whose unlockDB takes a.mu; so a.mu goes first. The open then finds the database
	// deleted, or is closed by Remove.
	a.mu.Unlock()
	return a.files.Remove(id)
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
	return info, err
}
