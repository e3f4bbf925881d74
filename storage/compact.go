package storage

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Compact rewrites the closed bbolt file at path into a new file that holds only its
// live data, puts the new file in path's place, and then overwrites every byte of the
// old file with zeros in place before letting it go.
//
// bbolt is copy-on-write: a value deleted or replaced stays in a free page of the file
// until bbolt happens to reuse that page. Compacting is the one way to leave none of
// those behind (admin uses it once, when a directory's wrapped keys move to their
// shreddable form). The new file is complete and fsynced before the rename, so a crash
// leaves the old file or the new one in place, never neither; a leftover temporary file
// is removed by the next Compact. The zeroing relies on the file system writing in
// place, as ext4 and xfs do on a plain disk (not a copy-on-write file system, a
// snapshot, or an SSD's remapped blocks: docs/storage.md says so).
func Compact(path string, opts Options) error {
	opts = opts.withDefaults()
	tmp := path + ".compact"
	if err := os.Remove(tmp); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	srcOpen := true
	defer func() {
		if srcOpen {
			src.Close()
		}
	}()
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := bolt.Compact(dst, src, 16<<20); err != nil { // each commit is fsynced
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact %s: %w", path, err)
	}
	old, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	defer old.Close()
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	srcOpen = false
	src.Close() // its lock and map go; old still names the replaced file
	return zeroFile(old)
}

// zeroFile overwrites f's bytes with zeros, in place, and fsyncs them.
func zeroFile(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	zeros := make([]byte, 1<<20)
	for off := int64(0); off < st.Size(); off += int64(len(zeros)) {
		n := min(int64(len(zeros)), st.Size()-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("overwrite the replaced %s: %w", f.Name(), err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("overwrite the replaced %s: %w", f.Name(), err)
	}
	return nil
}
