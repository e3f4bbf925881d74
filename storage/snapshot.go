package storage

import (
	"bytes"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Snapshot writes a consistent copy of the database's file to w, for a hot backup:
// every write acknowledged before the call is in it, and writes go on meanwhile.
//
// It flushes what the overlay holds at the call into the file, then copies the file
// through one bbolt read transaction, which sees one committed state whatever the
// flusher commits meanwhile (bbolt's copy-on-write pages). The view lock is held only to
// begin that transaction, never for the copy, so the committer is never held up; a
// flush that must grow the file's memory map waits for the copy to end (bbolt's remap
// waits for readers), and writes meanwhile wait only if the write buffer fills. Copy to
// something fast (a local file), not to a slow network peer.
//
// The copy is the file's bytes: records stay sealed under the database's keys and bound
// to its id. False, with nothing written, for a database that has no file (never written
// to, or everything was flushed into none yet): it holds nothing.
func (db *DB) Snapshot(w io.Writer) (bool, error) {
	if err := db.flushAcked(); err != nil {
		return false, err
	}
	db.viewMu.RLock()
	b := db.bolt
	var btx *bolt.Tx
	var err error
	if b != nil {
		btx, err = b.Begin(false)
	}
	db.viewMu.RUnlock()
	if err != nil {
		return false, db.mapErr(err)
	}
	if btx == nil {
		return false, nil
	}
	defer btx.Rollback()
	if _, err := btx.WriteTo(w); err != nil {
		return false, fmt.Errorf("storage: copying %s: %w", db.path, err)
	}
	return true, nil
}

// flushAcked flushes into the file every change the overlay held when it was called,
// and waits. Unlike flushNow it ends under a steady write load: it waits for the flush
// under way, then for one flush that started after it (which swapped out everything the
// call found in memory), never for the changes that keep arriving.
func (db *DB) flushAcked() error {
	db.waitFlush()
	db.viewMu.RLock()
	failed := db.failed
	db.viewMu.RUnlock()
	if failed != nil {
		db.retryFlush()
	}
	db.startFlush() // false: nothing to flush, a failed layer, or one that started since
	db.waitFlush()
	db.viewMu.RLock()
	defer db.viewMu.RUnlock()
	return db.failed
}

// waitFlush waits for the flush under way, if any.
func (db *DB) waitFlush() {
	db.viewMu.RLock()
	done := db.flushDone
	db.viewMu.RUnlock()
	if done != nil {
		<-done
	}
}

// ForgetLogPosition clears the log sequence number recorded in the database file at
// path, which must not be open: for a file restored into a new data directory, whose
// log starts afresh, so that no frame of the new log is taken for one the file holds.
func ForgetLogPosition(path string) error {
	return ForgetSysPrefix(path, sysApplied)
}

// ForgetSysPrefix deletes every entry of the reserved sys bucket whose name starts with
// prefix, in the file at path, which must not be open; durably. For a restore that
// starts a node's log afresh (DB 0's per-file records of it, too, count the old log).
func ForgetSysPrefix(path, prefix string) error {
	b, err := openBolt(path, Options{Sync: SyncAlways}.withDefaults()) // fsynced: the restore is durable
	if err != nil {
		return err
	}
	err = b.Update(func(tx *bolt.Tx) error {
		sys := tx.Bucket(bucketSys)
		if sys == nil {
			return fmt.Errorf("%s is not a herodb database file: %w", path, ErrFormat)
		}
		var names [][]byte
		c := sys.Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
			names = append(names, bytes.Clone(k))
		}
		for _, k := range names {
			if err := sys.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	return err
}

// SysNames lists the names in the reserved sys bucket of the file at path that start
// with prefix, reading nothing else; the file must not be open. It needs no key: for a
// node restore, which reads DB 0's copy without the admin secret.
func SysNames(path, prefix string) ([]string, error) {
	b, err := openBolt(path, Options{ReadOnly: true}.withDefaults())
	if err != nil {
		return nil, err
	}
	defer b.Close()
	var names []string
	err = b.View(func(tx *bolt.Tx) error {
		sys := tx.Bucket(bucketSys)
		if sys == nil {
			return fmt.Errorf("%s is not a herodb database file: %w", path, ErrFormat)
		}
		c := sys.Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
			names = append(names, string(k))
		}
		return nil
	})
	return names, err
}

// PutSys puts each name with value into the reserved sys bucket of the file at path,
// which must not be open; durably, in one transaction.
func PutSys(path string, names []string, value []byte) error {
	b, err := openBolt(path, Options{Sync: SyncAlways}.withDefaults())
	if err != nil {
		return err
	}
	err = b.Update(func(tx *bolt.Tx) error {
		sys := tx.Bucket(bucketSys)
		if sys == nil {
			return fmt.Errorf("%s is not a herodb database file: %w", path, ErrFormat)
		}
		for _, n := range names {
			if err := sys.Put([]byte(n), value); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	return err
}
