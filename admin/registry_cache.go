package admin

// The registry is read from DB 0 when it is needed, not loaded at startup (issue 14: a
// million databases must not cost a million reads before the first command, nor a
// snapshot each in memory). DB 0 holds the truth: each database's registration,
// meta:db:<id> with its MAC (registry.go), and two indexes in its sys bucket, outside the
// RESP keyspace:
//
//   - dbname:<name> → id (8 bytes), for lookups by name. Written at creation and never
//     removed, so a name is never given twice. It is only a hint: a lookup by name
//     loads the registration it points to and accepts it only if the registration
//     (whose MAC covers the name) carries that name, so a forged entry finds nothing.
//   - akey:<sha256 hex of an access key>:<id> → "", for AUTH with an access key. Also a
//     hint: the key's record in meta:db:<id>:keys (sealed under DB 0's key) is read and
//     must hold the key; a forged entry grants nothing, a removed one refuses the key.
//
// A directory from before these indexes gets them built once at startup (indexMarker).
//
// In memory, a.dbs caches snapshots of the registrations in use, at most cacheMax of
// them; when it is full, an arbitrary eighth is dropped (a dropped snapshot is read
// again when next needed). A snapshot read from DB 0 takes a fresh generation from
// genSeq, as every change does (revocation.go), so a session that compares generations
// sees any reload as a change and re-derives its access: never a stale grant.

import (
	"encoding/binary"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/seed6aa118f9/herodb/storage"
)

const (
	namePrefix = "dbname:"
	akeyPrefix = "akey:"
	// indexMarker is the sys record saying the name and access-key indexes are built.
	indexMarker = "registry-index"
	// defaultRegistryCache is how many registrations stay cached (a few hundred bytes
	// each).
	defaultRegistryCache = 1 << 16
	// seenMax bounds Admin.seen.
	seenMax = 256
)

// seenReg is a snapshot read by Database and not cached, with the regVer from before
// its read. A SELECT reads its database's registration (Database), checks the
// credential, then uses it (reg, which caches): reg takes the snapshot seen if no
// registry change came since, instead of reading DB 0 a second time (a fifth of the CPU
// of opening a database never written). The snapshots seen are few and kept apart, so
// a tenant naming database after database still pushes nothing out of the cache.
type seenReg struct {
	d   *Database
	ver uint64
}

// lookupSeen is lookup for Database: a snapshot it reads is kept in seen, for the use
// that usually follows.
func (a *Admin) lookupSeen(id uint64) *Database {
	d, done, ver := a.cached(id)
	if done {
		return d
	}
	d = a.readRegistration(id)
	if d == nil {
		return nil
	}
	a.mu.Lock()
	if a.regVer == ver { // nothing changed during the read: as good as reg's
		if len(a.seen) >= seenMax {
			for id := range a.seen { // map order: arbitrary
				delete(a.seen, id)
				break
			}
		}
		a.seen[id] = seenReg{d: d, ver: ver}
	}
	a.mu.Unlock()
	return d
}

func nameIndex(name string) string { return namePrefix + name }

func akeyIndex(hash string, id uint64) string {
	return akeyPrefix + hash + ":" + strconv.FormatUint(id, 10)
}

// regLocked returns database id's snapshot (live, deleted, or unusable), nil when it
// was never registered: from the cache, else read from DB 0. For writers, which hold
// a.mu for writing across their change; the caller caches what it changes.
func (a *Admin) regLocked(id uint64) *Database {
	if d, ok := a.dbs[id]; ok {
		return d
	}
	if id == 0 || id >= a.next {
		return nil
	}
	return a.readRegistration(id)
}

// reg is regLocked for a caller that holds no lock; what it reads is cached. DB 0 is
// read with no lock held, so a tenant selecting database after database (each a miss)
// holds up nobody else's lookups; a registry change meanwhile (regVer moved) makes it
// read again, so a snapshot older than the change is never cached.
func (a *Admin) reg(id uint64) *Database {
	d, done, ver := a.cached(id)
	if done {
		return d
	}
	a.mu.Lock()
	if cur, ok := a.dbs[id]; ok {
		a.mu.Unlock()
		return cur
	}
	if s, ok := a.seen[id]; ok {
		delete(a.seen, id)
		if s.ver == a.regVer { // read with no registry change since: cached as reg would
			a.cacheLocked(s.d)
			a.mu.Unlock()
			return s.d
		}
	}
	a.mu.Unlock()
	for {
		d = a.readRegistration(id)
		a.mu.Lock()
		if cur, ok := a.dbs[id]; ok {
			a.mu.Unlock()
			return cur
		}
		if a.regVer != ver {
			ver = a.regVer
			a.mu.Unlock()
			continue
		}
		if d != nil {
			a.cacheLocked(d)
		}
		a.mu.Unlock()
		return d
	}
}

// lookup is reg without caching, for walks over many databases (listing, FLUSHALL, the
// orphan sweep), which leave the cache to the databases in use. No lock is held while
// DB 0 is read.
func (a *Admin) lookup(id uint64) *Database {
	if d, done, _ := a.cached(id); done {
		return d
	}
	return a.readRegistration(id)
}

// cached is database id's cached snapshot, or nil for an id never given, with done
// set; else (done false) the registry's version to read DB 0 at.
func (a *Admin) cached(id uint64) (d *Database, done bool, ver uint64) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if d, ok := a.dbs[id]; ok {
		return d, true, 0
	}
	if id == 0 || id >= a.next {
		return nil, true, 0
	}
	return nil, false, a.regVer
}

// changedLocked puts a changed snapshot in the cache and moves regVer, so no read of
// DB 0 that began before the change is cached after it. a.mu is held for writing.
func (a *Admin) changedLocked(d *Database) {
	a.regVer++
	a.cacheLocked(d)
}

// cacheLocked puts snapshot d in the cache, making room when it is full. a.mu is held
// for writing.
func (a *Admin) cacheLocked(d *Database) {
	if _, ok := a.dbs[d.ID]; !ok && len(a.dbs) >= a.cacheMax {
		drop := max(a.cacheMax/8, 1)
		for id := range a.dbs { // map order: arbitrary
			delete(a.dbs, id)
			if drop--; drop == 0 {
				break
			}
		}
	}
	a.dbs[d.ID] = d
}

// readRegistration reads and checks database id's registration in DB 0. One that fails
// its check is returned unusable (and logged): never public, listed, deletable.
func (a *Admin) readRegistration(id uint64) *Database {
	var d *Database
	err := a.db0.View(func(tx *storage.Tx) error {
		pairs, rerr := tx.HGetAll(metaKey(id))
		reason := checkRegistration(tx, a.regKey(), id, pairs, rerr)
		if reason == "" && len(pairs) == 0 {
			return nil // sealed empty at migration: never registered
		}
		d = decodeRegistration(id, pairs)
		if rerr != nil {
			d.Name = loadedName(tx, id)
		}
		if reason != "" {
			if _, logged := a.flagged.LoadOrStore(id, true); !logged {
				a.guard.log.Error("database registration failed its integrity check: the database is unusable",
					"db", id, "reason", reason)
			}
			// Nothing in it is trusted: never public, listed (not deleted) so that the
			// operator sees it and can delete it.
			d.unusable, d.Public, d.DeletedAt = reason, AccessNone, 0
		}
		return nil
	})
	if err != nil {
		a.guard.log.Error("reading a database registration from DB 0 failed", "db", id, "err", err)
		d = &Database{ID: id, Public: AccessNone, lastAccess: new(atomic.Int64),
			unusable: "its record in DB 0 cannot be read: " + err.Error()}
	}
	if d != nil {
		d.gen = a.genSeq.Add(1)
	}
	return d
}

// byName finds the live database a name was given to, holding a.mu only to look at the
// names reserved by creates under way: the name index and the registration are read
// with no lock held.
func (a *Admin) byName(name string) *Database {
	a.mu.RLock()
	_, reserved := a.names[name]
	a.mu.RUnlock()
	if reserved {
		return nil // its create is under way: not there yet
	}
	id, ok := a.indexedID(name)
	if !ok {
		return nil
	}
	d := a.lookupSeen(id) // byName serves Database
	if d == nil || d.Name != name {
		return nil // the index is a hint: the registration's MAC covers its name
	}
	return d
}

// indexedID is the id DB 0's name index gives name.
func (a *Admin) indexedID(name string) (uint64, bool) {
	var raw []byte
	a.db0.View(func(tx *storage.Tx) error { raw = tx.SysGet(nameIndex(name)); return nil })
	if len(raw) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(raw), true
}

// nameTakenLocked reports whether name was ever given (names are never reused).
func (a *Admin) nameTakenLocked(name string) bool {
	if _, reserved := a.names[name]; reserved {
		return true
	}
	_, indexed := a.indexedID(name)
	return indexed
}

// indexName records in tx that name is database id's.
func indexName(tx *storage.Tx, name string, id uint64) error {
	return tx.SysPut(nameIndex(name), binary.BigEndian.AppendUint64(nil, id))
}

// keyHolders returns the databases whose access keys include the key with this hash,
// with the permission each gives: candidates from the index, each confirmed by the
// key's sealed record in DB 0.
func (a *Admin) keyHolders(hash string) map[uint64]Access {
	out := map[uint64]Access{}
	a.db0.View(func(tx *storage.Tx) error {
		for _, kv := range tx.SysPrefix(akeyPrefix + hash + ":") {
			id, err := strconv.ParseUint(strings.TrimPrefix(string(kv[0]), akeyPrefix+hash+":"), 10, 64)
			if err != nil {
				continue
			}
			v, ok, err := tx.HGet(keysKey(id), []byte(hash))
			if err != nil || !ok {
				continue
			}
			if p, _ := parseKeyValue(string(v)); p != AccessNone {
				out[id] = p
			}
		}
		return nil
	})
	return out
}

// openRegistry reads what the registry needs at startup, in O(1): the next id and the
// number of live databases. A directory without the indexes gets them built, once.
func (a *Admin) openRegistry() error {
	if a.cacheMax <= 0 {
		a.cacheMax = defaultRegistryCache
	}
	var marked bool
	err := a.db0.View(func(tx *storage.Tx) error {
		next, err := nextID(tx)
		if err != nil {
			return err
		}
		live, err := tx.HLen([]byte("admin:dbs"))
		if err != nil {
			return err
		}
		a.next, a.live = max(next, 1), int(live)
		marked = tx.SysGet(indexMarker) != nil
		return nil
	})
	if err != nil || marked {
		return err
	}
	return a.buildIndexes()
}

// buildIndexes writes the name and access-key indexes of a directory from before them:
// every registration is read once (O(databases), once per directory), logged.
func (a *Admin) buildIndexes() error {
	names, keys := 0, 0
	err := a.db0.Update(func(tx *storage.Tx) error {
		names, keys = 0, 0
		for id := uint64(1); id < a.next; id++ {
			name := loadedName(tx, id)
			if name != "" && tx.SysGet(nameIndex(name)) == nil {
				if err := indexName(tx, name, id); err != nil {
					return err
				}
				names++
			}
			pairs, err := tx.HGetAll(keysKey(id))
			if err != nil {
				continue // unreadable: its keys open nothing, as before
			}
			for i := 0; i+1 < len(pairs); i += 2 {
				if err := tx.SysPut(akeyIndex(string(pairs[i]), id), nil); err != nil {
					return err
				}
				keys++
			}
		}
		return tx.SysPut(indexMarker, []byte("1"))
	})
	if err == nil && a.next > 1 {
		a.guard.log.Info("registry: built the name and access-key indexes of a directory from before them (once)",
			"databases", a.next-1, "names", names, "access_keys", keys)
	}
	return err
}
