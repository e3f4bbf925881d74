package admin

// Database key rotation. RotateDatabaseKey adds a key term: a new random data key,
// wrapped with the others under the database's slot (key_terms.go); the open file's
// keyring is replaced, so new writes seal under it while old records still open under
// the term they name. With rewrite, a background job (rewrite.go) reseals every record
// under the new term through the normal write path, then destroys the older terms.
//
// Destroying a term. Deleting its wrap from DB 0 is not enough: bbolt keeps the deleted
// bytes in a free page, and the server still holds everything that opened them (DB 0's
// key and the slot secret). So the kept keys are wrapped under a new slot secret and the
// slot is overwritten in place, as a deletion shreds (shred.go):
//
//  1. one DB 0 transaction puts reslot:<id>, the kept set under the new secret;
//  2. the slot is overwritten with the new secret and fsynced;
//  3. one DB 0 transaction makes reslot:<id> the key records and removes dek:<id>.
//
// From step 2 on, every wrap made under the old secret (the old term's, in free pages
// of 0.db or in a copy of 0.db alone) opens under no key the server holds. A stop
// between the steps leaves one set that opens under the slot as it is (keysIn reads
// either), and the job, resumed at the next start, does it again. The name index and
// the file binding keep their keys (crypto.NamingKeys), so nothing is reindexed.

import (
	"errors"
	"strconv"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// KeyStatus is a database's key terms, as getDatabaseInfo shows them: never a key.
type KeyStatus struct {
	Term    uint32           `json:"term"`  // the term new records are sealed under
	Terms   []uint32         `json:"terms"` // the terms whose keys exist
	Rewrite *RewriteProgress `json:"rewrite,omitempty"`
}

// RewriteProgress is the state of a database's last rewrite since the server started.
type RewriteProgress struct {
	Running  bool   `json:"running"`
	Term     uint32 `json:"term"`     // the term every record is resealed under
	Pass     int64  `json:"pass"`     // walks of the database so far (one more follows any that resealed)
	Resealed int64  `json:"resealed"` // records resealed so far
	Error    string `json:"error,omitempty"`
}

// cutReslot, set by tests only, stops a destruction of old terms after step 1 or 2
// when it returns true, as a crash there would.
var cutReslot func(step int) bool

var errCut = errors.New("cut by a test")

// RotateDatabaseKey adds a key term to database id and makes it seal new records; with
// rewrite, every record is resealed under it in the background and the older terms are
// then destroyed. Errors: ENOTFOUND; ECONFLICT while a rewrite of the database runs.
func (a *Admin) RotateDatabaseKey(id uint64, rewrite bool) (*KeyStatus, error) {
	d := a.reg(id)
	if d == nil || d.Deleted() || id == 0 {
		return nil, Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	if err := d.Unusable(); err != nil {
		return nil, err
	}
	a.termsMu.Lock()
	if a.rewriting(id) {
		a.termsMu.Unlock()
		return nil, Errorf(ECONFLICT, "database %d is being rewritten under its newest key term; rotate again when getDatabaseInfo shows the rewrite done", id)
	}
	term, err := a.addTerm(id, rewrite)
	if err == nil && rewrite {
		a.startRewrite(id, term) // its batches wait for the lock, and give the file the term
	}
	a.termsMu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := a.applyKeys(id); err != nil {
		return nil, err
	}
	a.guard.log.Info("database key rotated", "db", id, "term", term, "rewrite", rewrite)
	return a.KeyStatus(id)
}

// addTerm stores a new random key as database id's next term, and with rewrite the
// job's record, in one DB 0 transaction. a.termsMu is held.
func (a *Admin) addTerm(id uint64, rewrite bool) (uint32, error) {
	secret, err := a.shred.slot(id)
	if err != nil {
		return 0, err
	}
	if secret == nil {
		return 0, Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	var term uint32
	err = a.db0.Update(func(tx *storage.Tx) error {
		if err := a.settleReslot(tx, id, secret); err != nil {
			return err
		}
		keys, err := a.keysIn(tx, id)
		if err != nil {
			return err
		}
		term = 0
		for t := range keys {
			term = max(term, t)
		}
		term++
		keys[term] = crypto.Random(crypto.KeySize)
		if err := a.putTerms(tx, id, secret, keys); err != nil {
			return err
		}
		if rewrite {
			return tx.SysPut(rewriteName(id), []byte(strconv.FormatUint(uint64(term), 10)))
		}
		return nil
	})
	return term, err
}

// settleReslot finishes what a stop left of an earlier destruction, in tx: reslot:<id>
// becomes the key records if the slot already holds its secret (step 2 was done), and
// is removed either way.
func (a *Admin) settleReslot(tx *storage.Tx, id uint64, secret []byte) error {
	w := tx.SysGet(reslotName(id))
	if w == nil {
		return nil
	}
	if keys, err := a.unwrapTerms(id, secret, w); err == nil {
		if err := a.putTerms(tx, id, secret, keys); err != nil {
			return err
		}
	}
	return tx.SysDelete(reslotName(id))
}

// applyKeys replaces the keyring of database id's file with the one DB 0 holds now,
// opening the file if needed, so an instance opened before a change of terms uses them.
func (a *Admin) applyKeys(id uint64) error {
	keys, err := a.databaseKeys(id)
	if err != nil {
		return err
	}
	kr, err := crypto.NewKeyring(keys)
	if err != nil {
		return err
	}
	db, release, err := a.acquireFile(id)
	if err != nil {
		return err
	}
	defer release()
	return db.Unlock(kr)
}

// dropTerms destroys every term of database id below keep (steps 1 to 3 above), and
// removes the rewrite's record. It holds a.mu throughout, so a deletion cannot commit
// between a check that the database lives and the slot's overwrite (which would give a
// shredded slot a secret again).
func (a *Admin) dropTerms(id uint64, keep uint32) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d := a.regLocked(id); d == nil || d.Deleted() {
		return errRewriteGone
	}
	a.termsMu.Lock()
	defer a.termsMu.Unlock()
	secret, err := a.shred.slot(id)
	if err != nil || secret == nil {
		return errors.Join(errRewriteGone, err)
	}
	fresh := crypto.Random(SlotSize)
	var kept map[uint32][]byte
	drop := false
	err = a.db0.Update(func(tx *storage.Tx) error {
		if err := a.settleReslot(tx, id, secret); err != nil {
			return err
		}
		keys, err := a.keysIn(tx, id)
		if err != nil {
			return err
		}
		kept, drop = map[uint32][]byte{0: keys[0]}, false
		if kept[0] == nil {
			kept[0] = crypto.NamingKeys(keys[1])
		}
		for t, k := range keys {
			switch {
			case t >= keep:
				kept[t] = k
			case t != 0:
				drop = true
			}
		}
		if !drop {
			return tx.SysDelete(rewriteName(id))
		}
		w, err := a.wrapTerms(id, fresh, kept)
		if err != nil {
			return err
		}
		return tx.SysPut(reslotName(id), w)
	})
	if err != nil || !drop {
		return err
	}
	if cutReslot != nil && cutReslot(1) {
		return errCut
	}
	if err := a.shred.put(id, [][]byte{fresh}); err != nil {
		return err
	}
	if cutReslot != nil && cutReslot(2) {
		return errCut
	}
	return a.db0.Update(func(tx *storage.Tx) error {
		if err := a.putTerms(tx, id, fresh, kept); err != nil {
			return err
		}
		if err := tx.SysDelete(reslotName(id)); err != nil {
			return err
		}
		return tx.SysDelete(rewriteName(id))
	})
}

// KeyStatus describes database id's key terms (its file is opened to read its keyring)
// and its last rewrite. Errors: ENOTFOUND.
func (a *Admin) KeyStatus(id uint64) (*KeyStatus, error) {
	d := a.reg(id)
	if d == nil || d.Deleted() || id == 0 {
		return nil, Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	db, release, err := a.acquireFile(id)
	if err != nil {
		return nil, err
	}
	defer release()
	return a.keyStatus(id, db)
}

func (a *Admin) keyStatus(id uint64, db *storage.DB) (*KeyStatus, error) {
	cur, terms, err := db.KeyTerms()
	if err != nil {
		return nil, err
	}
	return &KeyStatus{Term: cur, Terms: terms, Rewrite: a.rewriteProgress(id)}, nil
}
