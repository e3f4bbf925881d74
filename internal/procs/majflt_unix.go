//go:build unix

package procs

import "syscall"

// Majflt is the process's major page faults so far (getrusage).
func Majflt() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return int64(ru.Majflt)
}
