//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package wal

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on the log directory itself (no extra file in it) and
// returns the open directory that holds it. Two writers on one log would interleave
// frames and each believe its own sequence; this makes the second Open fail instead, in
// another process or in this one (flock locks are per open file, not per process).
func lockDir(dir string) (*os.File, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		d.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("wal: %s is in use by another open log", dir)
		}
		return nil, fmt.Errorf("wal: lock %s: %w", dir, err)
	}
	return d, nil
}
