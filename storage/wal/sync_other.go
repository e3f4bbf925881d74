//go:build !linux

package wal

import "os"

// fdatasync falls back to f.Sync where the platform has no fdatasync (on darwin, Sync
// issues F_FULLFSYNC, which is what durability needs there).
func fdatasync(f *os.File) error { return f.Sync() }
