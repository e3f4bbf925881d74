package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// RestoreOptions say how a backup is restored online.
type RestoreOptions struct {
	// Name is the new database's name; "": the name the backup recorded (none if it had
	// none). It must be free: names are never reused.
	Name string
	// DB picks one database of a node backup by its id there; 0: the backup's only one.
	DB uint64
}

// Restored is the database a restore made.
type Restored struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
	Keys int64  `json:"keys"` // keys restored
}

// restoreMu lets one restore stage files at a time, so each may clear what an earlier,
// interrupted one left in the staging directory.
var restoreMu sync.Mutex

// copyBatch is how many keys one write of a restore copies.
const copyBatch = 256

// Restore restores one database from a backup's plaintext, read from r, into a new
// database of this node: a new id and a new key, every record of every type resealed
// under them (the records open under the keys the backup carries), its named keys
// (AGE) too, the name index rebuilt. The new database is private and has no access
// keys: they are added after (one key must not open two databases). Keys whose TTL has
// passed are left out.
//
// Nothing is created before the whole backup was read and checked: a backup cut short,
// damaged, or whose keys do not open its file, leaves no database behind. Should the
// copy itself fail (a disk full, a max_size reached, a record damaged before the backup
// was taken), the new database is deleted again, and its name, as every deleted
// database's, is not given again.
func Restore(a *admin.Admin, r io.Reader, o RestoreOptions) (*Restored, error) {
	if o.Name != "" {
		if err := a.CheckNameFree(o.Name); err != nil {
			return nil, err
		}
	}
	restoreMu.Lock()
	defer restoreMu.Unlock()
	tmp, err := tempDir(a.Dir())
	if err != nil {
		return nil, err
	}
	clearStale(tmp)
	c, err := read(r, tmp, func(h header) (func(uint64) bool, error) {
		if h.Kind == KindNode && o.DB == 0 {
			return nil, admin.Errorf(admin.EINVALID, "a node backup: restore it whole offline (herodb restore --dir), or name one of its databases (--db ID)")
		}
		return func(id uint64) bool { return id != 0 && (o.DB == 0 || id == o.DB) }, nil
	})
	if err != nil {
		return nil, asAdmin(err)
	}
	defer c.remove()
	var s *staged
	for _, d := range c.dbs {
		if o.DB == 0 || d.entry.ID == o.DB {
			s = d
		}
	}
	if s == nil {
		return nil, admin.Errorf(admin.ENOTFOUND, "the backup holds no database %d", o.DB)
	}
	name := o.Name
	if name == "" {
		name = s.entry.Name
	}
	if name != "" {
		if err := a.CheckNameFree(name); err != nil {
			return nil, err
		}
	}
	src, err := openStaged(a, s)
	if err != nil {
		return nil, err
	}
	if src != nil {
		defer src.Close()
	}
	d, err := a.CreateDatabase(admin.CreateOptions{Name: name, Backend: s.entry.Backend, MaxSize: s.entry.MaxSize})
	if err != nil {
		return nil, err
	}
	n, err := copyInto(a, src, d.ID)
	if err != nil {
		if derr := a.DeleteDatabase(d.ID); derr != nil {
			return nil, fmt.Errorf("backup: restoring into database %d failed (%w), and deleting it failed too: %v", d.ID, err, derr)
		}
		return nil, fmt.Errorf("backup: restoring into database %d failed, and it was deleted again: %w", d.ID, err)
	}
	return &Restored{ID: d.ID, Name: d.Name, Keys: n}, nil
}

// asAdmin gives a refused backup admin's EINVALID code, so every transport shows its
// message; other errors pass as they are.
func asAdmin(err error) error {
	if errors.Is(err, ErrInvalid) {
		return admin.Errorf(admin.EINVALID, "%s", err.Error())
	}
	return err
}

// clearStale removes what interrupted restores left in the staging directory (backups
// leave nothing: their files are unlinked at once). restoreMu is held.
func clearStale(tmp string) {
	stale, _ := filepath.Glob(filepath.Join(tmp, "restore-*"))
	for _, p := range stale {
		os.Remove(p)
	}
}

// openStaged opens a staged file as the database it was, under the keys its entry
// carries: Unlock checks the file's binding under them, so keys that are not the file's
// are refused here. nil for a database without a file.
func openStaged(a *admin.Admin, s *staged) (*storage.DB, error) {
	if s.path == "" {
		return nil, nil
	}
	keys, err := decodeKeys(s.entry.Keys)
	if err != nil {
		return nil, admin.Errorf(admin.EINVALID, "%v: %v", ErrInvalid, err)
	}
	kr, err := crypto.NewKeyring(keys)
	if err != nil {
		return nil, admin.Errorf(admin.EINVALID, "%v: database %d's keys: %v", ErrInvalid, s.entry.ID, err)
	}
	db, err := storage.Open(s.path, s.entry.ID, storage.Options{Clock: a.Clock()})
	if err != nil {
		return nil, admin.Errorf(admin.EINVALID, "%v: database %d's file does not open: %s", ErrInvalid, s.entry.ID, clean(err, s.path))
	}
	if err := db.Unlock(kr); err != nil {
		db.Close()
		return nil, admin.Errorf(admin.EINVALID, "%v: database %d's file does not open under the keys it carries: %s", ErrInvalid, s.entry.ID, clean(err, s.path))
	}
	return db, nil
}

// clean drops the staging path from an error: it means nothing to the caller.
func clean(err error, path string) string {
	return strings.ReplaceAll(err.Error(), path, "the backup's file")
}

// copyInto copies every live key and every named key of src into database id, resealed
// under id's keys, copyBatch keys per write; it returns the keys copied.
func copyInto(a *admin.Admin, src *storage.DB, id uint64) (int64, error) {
	if src == nil {
		return 0, nil // nothing was ever written to it
	}
	dst, release, err := a.Acquire(id)
	if err != nil {
		return 0, err
	}
	defer release()
	var copied int64
	err = src.View(func(stx *storage.Tx) error {
		named, err := stx.ListNamedKeys()
		if err != nil {
			return err
		}
		if len(named) > 0 {
			if err := dst.Update(func(dtx *storage.Tx) error {
				for _, k := range named {
					if _, err := dtx.PutNamedKey(*k, true); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		cursor := uint64(0)
		for {
			next, names, err := stx.Scan(cursor, nil, copyBatch, storage.TypeNone)
			if err != nil {
				return err
			}
			var n int64
			if len(names) > 0 {
				err := dst.Update(func(dtx *storage.Tx) error {
					n = 0 // a batch that fails runs again alone
					for _, name := range names {
						ok, err := storage.CopyKey(stx, dtx, name, name, true)
						if err != nil {
							return err
						}
						if ok {
							n++
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			copied += n
			if next == 0 {
				return nil
			}
			cursor = next
		}
	})
	return copied, err
}
