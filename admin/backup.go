package admin

import (
	"path/filepath"

	"github.com/seed6aa118f9/herodb/storage"
)

// DatabaseKeys returns database id's data keys by key term, unwrapped: what a backup
// carries so that it restores without this node's keys. They are the keys unlockDB
// builds the database's keyring from, and must stay so as terms are added (a key
// rotation adds its terms here too). Only a backup asks for them; they never reach a
// reply. Errors: ENOTFOUND (no such live database), EINVALID (its registration failed
// its check: nothing of it is handed out).
func (a *Admin) DatabaseKeys(id uint64) (map[uint32][]byte, error) {
	d := a.reg(id)
	if d == nil || d.Deleted() {
		return nil, Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	if d.unusable != "" {
		return nil, Errorf(EINVALID, "database %d is unusable: %s", id, d.unusable)
	}
	keys, err := a.databaseKeys(id) // every term, and the naming keys once term 1 is gone (key_terms.go)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, err
		}
		return nil, Errorf(EINVALID, "database %d: its wrapped key does not open", id)
	}
	return keys, nil
}

// Clock is the node's clock: what decides that a key has expired.
func (a *Admin) Clock() storage.Clock { return a.clock }

// CheckNameFree answers whether a new database could take name: EINVALID for a bad
// name, ECONFLICT for one taken now or ever (names are never reused). A restore asks
// before it reads a backup; CreateDatabase checks again, under its lock.
func (a *Admin) CheckNameFree(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	a.mu.RLock()
	taken := a.nameTakenLocked(name)
	a.mu.RUnlock()
	if taken {
		return Errorf(ECONFLICT, "database name %q is taken (names are never reused)", name)
	}
	return nil
}

// ForgetRecordedApplied prepares a data directory restored from a node backup (no
// server running on it) for the fresh log it starts with: DB 0's records of how far
// each file had flushed (the rollback counter, applied.go) count frames of the source
// node's log, and are removed, as the restore clears the files' own positions
// (storage.ForgetLogPosition). The restore is the operator's deliberate act; the next
// flushes record the counters again.
func ForgetRecordedApplied(dir string) error {
	return storage.ForgetSysPrefix(filepath.Join(dir, "0.db"), appliedPrefix)
}
