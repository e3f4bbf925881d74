package admin

// Crypto-shredding. A database's key is wrapped under a key derived from DB 0's key and
// the database's own slot secret (shred_file.go), so its wrap in 0.db opens only while
// the slot holds that secret. Deleting a database:
//
//  1. one DB 0 transaction records the deletion, removes the wrapped key and puts a
//     pending mark, shred:<id>;
//  2. the slot is overwritten with zeros in place and fsynced;
//  3. a second small DB 0 transaction removes the mark.
//
// bbolt keeps the removed wrap in a free page, but without the slot it is random bytes
// to anyone, the server included. A crash after 1 leaves the mark, and the next start
// does 2 and 3 before serving (finishShreds), so a deletion that committed is always
// shredded; a crash before 1 leaves the database as it was. The cost is two small DB 0
// writes and one fsync of a 32-byte overwrite: no other key is touched.
//
// Directories from before slots have wraps under DB 0's key alone. They are moved to the
// slot form once at open (migrateSlots), and 0.db is then compacted into a new file with
// the old file overwritten (storage.Compact), so no free page keeps an old-form wrap.

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

const (
	// shredPending marks a deletion whose slot may not be zeroed yet (step 1 above).
	shredPending = "shred:"
	// slotsMarker says every wrapped key in DB 0 has the slot form, and 0.db was
	// compacted since any had the old one.
	slotsMarker = "slots"
	// migrateChunk bounds the wraps moved in one DB 0 transaction.
	migrateChunk = 1000
)

// errShredded is the unwrap error of a database whose slot is zero: its key is gone.
var errShredded = errors.New("its key slot in " + ShredFileName + " is empty (shredded by a deletion, or zeroed behind herodb's back)")

// slotAAD binds a slot-form wrap to its database, apart from the old form's dbAAD.
func slotAAD(id uint64) []byte { return []byte("herodb/db/" + strconv.FormatUint(id, 10) + "/slot") }

func newSlotSecrets(n int) [][]byte {
	s := make([][]byte, n)
	for i := range s {
		s[i] = crypto.Random(SlotSize)
	}
	return s
}

// wrapDEK wraps database id's data key under DB 0's key and the slot secret.
func (a *Admin) wrapDEK(id uint64, dek, secret []byte) ([]byte, error) {
	return crypto.Wrap(crypto.SlotWrapKey(a.dek0, secret, id), slotAAD(id), dek)
}

// unwrapDEK opens database id's wrapped key with its slot: the one place a database key
// is unwrapped (opening a file, a backup, a check), and the only form accepted once the
// directory is open (migrateSlots ran).
func (a *Admin) unwrapDEK(id uint64, wrapped []byte) ([]byte, error) {
	if a.shred == nil {
		return nil, fmt.Errorf("the slot file %s is not open", ShredFileName)
	}
	secret, err := a.shred.slot(id)
	if err != nil {
		return nil, err
	}
	if secret == nil {
		return nil, errShredded
	}
	return crypto.Unwrap(crypto.SlotWrapKey(a.dek0, secret, id), slotAAD(id), wrapped)
}

// putSlots writes fresh secrets for databases first… in the transaction that registers
// them, before it commits (crash-safe: a slot written for an id whose registration did
// not commit is overwritten by the create that is next given that id).
//
// The fsync that makes them durable runs once for the whole DB 0 batch, before it
// commits (Tx.BeforeCommit), so no registration in DB 0 ever names a key whose slot a
// crash lost, and concurrent creates share it.
func (a *Admin) putSlots(tx *storage.Tx, first uint64, secrets [][]byte) error {
	if err := a.shred.write(first, secrets); err != nil {
		return err
	}
	return tx.BeforeCommit("shred.slots sync", a.shred.sync)
}

func pendingName(id uint64) string { return shredPending + strconv.FormatUint(id, 10) }

// markShred is step 1's mark, inside the deletion's transaction.
func markShred(tx *storage.Tx, id uint64) error { return tx.SysPut(pendingName(id), []byte("1")) }

// cutBeforeShred, set by tests only, stops a deletion after its DB 0 transaction when it
// returns true, as a crash there would: the cut point of TestShredCutAfterCommit.
var cutBeforeShred func(id uint64) bool

// completeShred is steps 2 and 3 of database id's deletion.
func (a *Admin) completeShred(id uint64) error {
	if cutBeforeShred != nil && cutBeforeShred(id) {
		return nil
	}
	if err := a.shred.shred(id); err != nil {
		a.guard.log.Error("a deleted database's key slot could not be overwritten; the next start retries", "db", id, "err", err)
		return err
	}
	return a.db0.Update(func(tx *storage.Tx) error { return tx.SysDelete(pendingName(id)) })
}

// openShred opens the slot file at startup, finishes deletions a crash cut off, and
// moves a directory from before slots to them. opts are DB 0's, to reopen it after a
// compaction.
func (a *Admin) openShred(opts storage.Options) error {
	s, err := openShredFile(a.dir)
	if err != nil {
		return err
	}
	a.shred = s
	if err := a.finishShreds(); err != nil {
		return err
	}
	return a.migrateSlots(opts)
}

// finishShreds zeroes the slot of every deletion left marked (a crash after its DB 0
// transaction) and clears the marks.
func (a *Admin) finishShreds() error {
	var ids []uint64
	if err := a.db0.View(func(tx *storage.Tx) error {
		for _, kv := range tx.SysPrefix(shredPending) {
			if id, err := strconv.ParseUint(strings.TrimPrefix(string(kv[0]), shredPending), 10, 64); err == nil && id != 0 {
				ids = append(ids, id)
			}
		}
		return nil
	}); err != nil || len(ids) == 0 {
		return err
	}
	for _, id := range ids {
		if err := a.completeShred(id); err != nil {
			return err
		}
	}
	a.guard.log.Warn("finished the key shredding of deletions a stop cut off", "databases", len(ids))
	return nil
}

// migrateSlots gives every database whose key has the old wrap (under DB 0's key alone)
// a slot and rewraps its key, in chunks, each chunk's slots fsynced before its
// transaction commits; then compacts 0.db, whose free pages may hold old-form wraps
// (of these keys, and of databases deleted before), and marks the directory done. A
// crash anywhere repeats what is left at the next start: a key already in slot form is
// skipped, the compaction runs again, and the mark is written last.
func (a *Admin) migrateSlots(opts storage.Options) error {
	var done bool
	var next uint64
	var old []uint64
	if err := a.db0.View(func(tx *storage.Tx) error {
		if done = tx.SysGet(slotsMarker) != nil; done {
			return nil
		}
		var err error
		if next, err = nextID(tx); err != nil {
			return err
		}
		for _, kv := range tx.SysPrefix("dek:") {
			id, err := strconv.ParseUint(string(kv[0][len("dek:"):]), 10, 64)
			if err != nil || id == 0 {
				continue
			}
			if _, err := crypto.Unwrap(a.dek0, dbAAD(id), kv[1]); err == nil {
				old = append(old, id)
			}
		}
		return nil
	}); err != nil || done {
		return err
	}
	for len(old) > 0 {
		chunk := old[:min(len(old), migrateChunk)]
		old = old[len(chunk):]
		secrets := newSlotSecrets(len(chunk))
		for i, id := range chunk {
			if err := a.shred.put(id, secrets[i:i+1]); err != nil {
				return err
			}
		}
		if err := a.db0.Update(func(tx *storage.Tx) error {
			for i, id := range chunk {
				name := "dek:" + strconv.FormatUint(id, 10)
				dek, err := crypto.Unwrap(a.dek0, dbAAD(id), tx.SysGet(name))
				if err != nil {
					return fmt.Errorf("database %d key: %w", id, err)
				}
				wrapped, err := a.wrapDEK(id, dek, secrets[i])
				if err != nil {
					return err
				}
				if err := tx.SysPut(name, wrapped); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		a.guard.log.Info("moved database keys to their shreddable slot form", "databases", len(chunk))
	}
	if next > 1 { // a database ever existed: old-form wraps may lie in free pages
		if err := a.compactDB0(opts); err != nil {
			return err
		}
		a.guard.log.Info("compacted DB 0 so no free page keeps a key in the old wrap form")
	}
	return a.db0.Update(func(tx *storage.Tx) error { return tx.SysPut(slotsMarker, []byte("1")) })
}

// compactDB0 closes DB 0, compacts its file (storage.Compact) and opens it again.
func (a *Admin) compactDB0(opts storage.Options) error {
	path := filepath.Join(a.dir, "0.db")
	if err := a.db0.Close(); err != nil {
		return err
	}
	if err := storage.Compact(path, opts); err != nil {
		return err
	}
	db0, err := storage.Open(path, 0, opts)
	if err != nil {
		return err
	}
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: a.dek0})
	if err == nil {
		err = db0.Unlock(kr)
	}
	if err != nil {
		db0.Close()
		return err
	}
	a.db0 = db0
	return nil
}

func (a *Admin) closeShred() {
	if a.shred != nil {
		a.shred.close()
	}
}
