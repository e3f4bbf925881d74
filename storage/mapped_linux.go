package storage

import (
	"os"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// DropMapped takes the pages of the database's file out of this process's address
// space; the file's pages stay in the page cache and a later read maps them again with
// a minor fault. The map is read-only and bbolt writes with pwrite, so no change is in
// it to lose.
//
// Why: every page a read touches stays mapped (with its neighbours: the kernel's
// fault-around maps up to 16 cached pages per fault) until the file closes. DB 0 is
// open for the life of the server and is read at random places (every database's
// registration and key), so its mapped share of RSS grows to the whole file, 1.8 GiB
// at a million databases, though the server uses a few pages of it at a time. The
// OOM killer scores a process by that RSS, file pages included.
func (db *DB) DropMapped() error {
	db.viewMu.RLock()
	b := db.bolt
	db.viewMu.RUnlock()
	if b == nil {
		return nil
	}
	// A read transaction holds bbolt's map lock: the map cannot move while it is open.
	return b.View(func(tx *bolt.Tx) error {
		fi, err := os.Stat(b.Path())
		if err != nil {
			return err
		}
		// The smaller of the meta page's size and the file's: bbolt maps at least the
		// file, so a damaged meta page cannot send the call past the map.
		start, size := b.Info().Data, uintptr(min(tx.Size(), fi.Size()))
		if start == 0 || size == 0 {
			return nil
		}
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, size, unix.MADV_DONTNEED)
		if errno != 0 {
			return errno
		}
		return nil
	})
}
