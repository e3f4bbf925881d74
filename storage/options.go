package storage

import (
	"fmt"
	"time"

	"github.com/seed6aa118f9/herodb/storage/wal"
)

// SyncMode says when a commit reaches the disk, as Redis's appendfsync.
type SyncMode int

const (
	// SyncAlways fsyncs every commit before its writers are answered (the default).
	SyncAlways SyncMode = iota
	// SyncEverySec fsyncs once a second: a crash may lose up to a second of writes.
	SyncEverySec
	// SyncNone leaves flushing to the OS. UNSAFE: a crash may lose any recent write.
	SyncNone
)

// ParseSyncMode reads "always", "everysec" or "none".
func ParseSyncMode(s string) (SyncMode, error) {
	switch s {
	case "always":
		return SyncAlways, nil
	case "everysec":
		return SyncEverySec, nil
	case "none":
		return SyncNone, nil
	}
	return 0, fmt.Errorf("invalid sync mode %q: want always, everysec or none", s)
}

func (m SyncMode) String() string {
	return [...]string{"always", "everysec", "none"}[m]
}

// Clock is where storage reads the time, so tests can move it.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// SystemClock is the wall clock.
var SystemClock Clock = systemClock{}

// DefaultFlushInterval is the longest a change waits in memory, durable in the log,
// before its file is written. Each flush rewrites every bbolt page its changes touch, so
// a database written at random pays for its pages once per flush, however few changes
// each page got; rarer flushes coalesce more. Measured against 1 s (docs/performance.md,
// "How often a database flushes"): SET -P 16 into a database of 1,000,000 keys used
// about 20% less CPU per write, and 16 databases written at once 3-19% less. Most busy
// databases flush on size before it (their share of the write buffer), so a crash
// replays about as much as before.
const DefaultFlushInterval = 5 * time.Second

// Options for one database file; all in one place.
type Options struct {
	Sync SyncMode
	// MaxSize caps the file's size in bytes (0: no cap). Writes that would grow the file
	// past it fail with ErrDBFull.
	MaxSize int64
	Clock   Clock
	// LockTimeout bounds the wait for the file lock; another process holding it gives
	// ErrDBInUse instead of a hang.
	LockTimeout time.Duration
	// MaxBatch bounds how many queued writers share one commit.
	MaxBatch int
	// Log, when set, makes each write batch durable as one frame of the node's log, and
	// the file is written in flushes behind it. Without one (DB 0, whose keys the log's
	// MAC key comes from) every batch is flushed into the file at once.
	Log *wal.Log
	// Buffer bounds the memory of unflushed changes across databases (nil: unbounded).
	Buffer *WriteBuffer
	// FlushInterval is the longest changes wait in memory before a flush (0:
	// DefaultFlushInterval).
	FlushInterval time.Duration
	// Records bounds the record caches of every database together (nil: none;
	// reccache.go).
	Records *RecordCache

	// ReadOnly opens an existing file for reading only, under a shared lock (a check of
	// a stopped directory): writes fail, and a missing or blank file is an error.
	ReadOnly bool

	made    func() error // Unlocked.Made, for a database opened with no file
	flushed func(uint64) // Unlocked.Flushed
	// makers holds a slot for each file being made (makeFile); its capacity is how many
	// are made at once across the Manager's databases. nil: no bound (DB 0, tests).
	makers chan struct{}
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = time.Second
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 1000
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	return o
}
