package wal

import "time"

// SyncObserver is told of every fdatasync of frame data: how long it took and how many
// frames it made durable (the group commit's batch). It runs on the writer goroutine,
// between the sync and the wake-up of the frames' waiters, so it must be quick (an atomic
// add, a histogram's observation).
type SyncObserver func(took time.Duration, frames uint64)

// ObserveSyncs sets the observer of the log's fsyncs (nil: none). Metrics are the
// reason: the log knows nothing of them, it only tells.
func (l *Log) ObserveSyncs(fn SyncObserver) {
	if fn == nil {
		l.onSync.Store(nil)
		return
	}
	l.onSync.Store(&fn)
}

func (l *Log) observeSync(took time.Duration, frames uint64) {
	if fn := l.onSync.Load(); fn != nil {
		(*fn)(took, frames)
	}
}
