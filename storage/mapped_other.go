//go:build !linux

package storage

// DropMapped does nothing here: it relies on Linux's MADV_DONTNEED for shared file maps.
func (db *DB) DropMapped() error { return nil }
