package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/storage"
)

// RestoreNode restores a node backup, read from r (its plaintext), into dir, which must
// not exist or be empty, with no server running: DB 0 and every database file as the
// backup holds them, so databases, access keys, tokens and JWT keys come back as they
// were, under the same admin secret. The log starts empty: each file's recorded log
// position is cleared (storage.ForgetLogPosition), and so are DB 0's records of them
// (admin.ForgetRecordedApplied), as each file holds everything the log had given it.
//
// Each database of a node backup is its own cut, taken after DB 0's, so the restore
// makes them agree with DB 0's copy: a database DB 0 registers that the backup does not
// hold (deleted while the backup ran) is marked, and deleted at the node's next start
// as a deletion does, its key shredded (admin.MarkDeletedByRestore); a file of a
// database DB 0 does not register (created while the backup ran) is not placed.
//
// Everything is written into a staging directory beside dir, fsynced, and renamed onto
// dir last: a backup cut short or damaged leaves dir as it was.
func RestoreNode(r io.Reader, dir string) (*NodeRestored, error) {
	dir = filepath.Clean(dir)
	if err := emptyOrAbsent(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".restoring-")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(stage)
		}
	}()
	tmp := filepath.Join(stage, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, err
	}
	c, err := read(r, tmp, func(h header) (func(uint64) bool, error) {
		if h.Kind != KindNode {
			return nil, errors.New("a database backup holds no DB 0: restore it online into a running node (herodb restore without --dir)")
		}
		return func(uint64) bool { return true }, nil
	})
	if err != nil {
		return nil, err
	}
	place := func(from, to string) error {
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return err
		}
		if err := os.Rename(from, to); err != nil {
			return err
		}
		return syncPath(to)
	}
	path0 := filepath.Join(stage, "0.db")
	if err := place(c.db0.path, path0); err != nil {
		return nil, err
	}
	res, err := reconcile(c, path0)
	if err != nil {
		return nil, fmt.Errorf("DB 0: %w", err)
	}
	if err := place(c.slots, filepath.Join(stage, admin.ShredFileName)); err != nil {
		return nil, err
	}
	if err := admin.ForgetRecordedApplied(stage); err != nil {
		return nil, fmt.Errorf("DB 0: %w", err)
	}
	for _, s := range c.dbs {
		if s.path == "" {
			continue
		}
		if !res.registered[s.entry.ID] {
			os.Remove(s.path)
			continue
		}
		to := storage.FilePath(stage, s.entry.ID)
		if err := place(s.path, to); err != nil {
			return nil, err
		}
		if err := storage.ForgetLogPosition(to); err != nil {
			return nil, fmt.Errorf("database %d: %w", s.entry.ID, err)
		}
		if err := syncPath(filepath.Dir(to)); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(tmp); err != nil {
		return nil, err
	}
	if err := syncDirs(stage); err != nil {
		return nil, err
	}
	// rename(2) replaces an empty directory, so an empty dir made for the restore is
	// taken as it is.
	if err := os.Rename(stage, dir); err != nil {
		return nil, err
	}
	done = true
	return res, syncPath(filepath.Dir(dir))
}

// NodeRestored is what a node restore placed.
type NodeRestored struct {
	Databases int      // databases restored
	Deleted   []uint64 // registered in DB 0's copy, not in the backup: deleted at the next start
	Dropped   []uint64 // in the backup, not registered in DB 0's copy: left out

	registered map[uint64]bool
}

// reconcile compares the databases DB 0's copy at path0 registers with those the backup
// holds, and marks those it does not hold for deletion.
func reconcile(c *contents, path0 string) (*NodeRestored, error) {
	keyed, err := admin.KeyedDatabases(path0)
	if err != nil {
		return nil, err
	}
	res := &NodeRestored{registered: keyed}
	held := map[uint64]bool{}
	for _, s := range c.dbs {
		held[s.entry.ID] = true
		if keyed[s.entry.ID] {
			res.Databases++
		} else {
			res.Dropped = append(res.Dropped, s.entry.ID)
		}
	}
	for id := range keyed {
		if !held[id] {
			res.Deleted = append(res.Deleted, id)
		}
	}
	slices.Sort(res.Deleted)
	return res, admin.MarkDeletedByRestore(path0, res.Deleted)
}

// emptyOrAbsent refuses a dir that holds anything: a node restore never mixes with a
// directory's own files.
func emptyOrAbsent(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s is not empty: a node is restored into an empty or new directory", dir)
	}
	return nil
}

// syncDirs fsyncs every directory under root, root included.
func syncDirs(root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncPath(p)
	})
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
