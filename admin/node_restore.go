package admin

// A node restore (package backup) places DB 0 as the backup copied it, and each database
// file the backup holds. Each database of a node backup is its own cut, taken after DB
// 0's: a database deleted while the backup ran is left out of it, yet DB 0's copy still
// registers it, and its file is missing. The restore runs without the admin secret, so
// it cannot change a registration (they are sealed under DB 0's key): it marks each such
// database, restore-delete:<id> in DB 0's sys bucket, and the node's next start deletes
// them as DeleteDatabase does (the deletion recorded, the key shredded) before it
// serves, then clears the marks. A start cut off in between deletes what is left: a
// database already deleted only has its mark cleared.

import (
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// restoreDeletePrefix marks a database a node restore found registered in DB 0 and
// absent from the backup.
const restoreDeletePrefix = "restore-delete:"

// KeyedDatabases lists the databases DB 0's file at path0 holds a wrapped key for: the
// live ones, as a deletion removes every wrapped key of its database in its transaction.
// It reads DB 0's reserved bucket only, needs no secret, and the file must not be open.
func KeyedDatabases(path0 string) (map[uint64]bool, error) {
	ids := map[uint64]bool{}
	for _, prefix := range []string{"dek:", termsPrefix, reslotPrefix} {
		names, err := storage.SysNames(path0, prefix)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if id, err := strconv.ParseUint(strings.TrimPrefix(n, prefix), 10, 64); err == nil && id != 0 {
				ids[id] = true
			}
		}
	}
	return ids, nil
}

// MarkDeletedByRestore marks databases ids of DB 0's file at path0 (not open) to be
// deleted at the node's next start.
func MarkDeletedByRestore(path0 string, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = restoreDeletePrefix + strconv.FormatUint(id, 10)
	}
	return storage.PutSys(path0, names, []byte("1"))
}

// restoreDeletes lists the databases a node restore marked for deletion.
func restoreDeletes(tx *storage.Tx) []uint64 {
	var ids []uint64
	for _, kv := range tx.SysPrefix(restoreDeletePrefix) {
		if id, err := strconv.ParseUint(strings.TrimPrefix(string(kv[0]), restoreDeletePrefix), 10, 64); err == nil && id != 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// finishRestoreDeletes deletes the databases a node restore marked, at start.
func (a *Admin) finishRestoreDeletes() error {
	var ids []uint64
	if err := a.db0.View(func(tx *storage.Tx) error { ids = restoreDeletes(tx); return nil }); err != nil || len(ids) == 0 {
		return err
	}
	for _, id := range ids {
		if err := a.DeleteDatabase(id); err != nil && ErrorCode(err) != ENOTFOUND {
			return err
		}
		mark := restoreDeletePrefix + strconv.FormatUint(id, 10)
		if err := a.db0.Update(func(tx *storage.Tx) error { return tx.SysDelete(mark) }); err != nil {
			return err
		}
		a.guard.log.Warn("deleted a database the restored backup does not hold (it was deleted while the backup was taken)", "db", id)
	}
	return nil
}

// markedNote is the check's note for a database a node restore marked.
const markedNote = "deleted at the next start: the restored backup does not hold it (it was deleted while the backup was taken)"
