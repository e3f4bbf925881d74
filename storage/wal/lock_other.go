//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package wal

import (
	"fmt"
	"os"
)

// lockDir only opens the directory where flock is not available: the caller (one server
// per data directory, which bbolt's own file locks already enforce) must not open a log
// twice.
func lockDir(dir string) (*os.File, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	return d, nil
}
