//go:build !unix

package procs

// Majflt is 0 where there is no getrusage: the watcher then never raises GOMAXPROCS.
func Majflt() int64 { return 0 }
