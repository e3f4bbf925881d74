package storage_test

import (
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// BenchmarkFirstFlush: a database never written gets one SET and is evicted, so its
// first flush makes its file (bench-scale's cold pass, without the network). It reports
// the process's CPU per database, user and system, from getrusage around the loop and
// the manager's close (which waits for every flush): on a machine whose cores the load
// shares, CPU is what a first flush takes from everyone else.
func BenchmarkFirstFlush(b *testing.B) {
	dir := b.TempDir()
	log, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal"), Key: crypto.Random(32), Sync: wal.SyncAlways,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	u := newMgrUnlock()
	m := storage.NewManager(dir, storage.Options{Log: log, Buffer: storage.NewWriteBuffer(64 << 20), FlushInterval: time.Hour},
		storage.CacheOptions{Idle: time.Hour, MaxOpen: 1}, u.unlock)
	if _, err := m.Recover(nil); err != nil {
		b.Fatal(err)
	}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	n := 0
	for b.Loop() {
		n++
		db, release, err := m.Acquire(uint64(n))
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
			return err
		}); err != nil {
			b.Fatal(err)
		}
		release()
	}
	m.Close()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	us := func(t syscall.Timeval) float64 { return float64(t.Sec)*1e6 + float64(t.Usec) }
	b.ReportMetric((us(after.Utime)-us(before.Utime))/float64(n), "user-µs/op")
	b.ReportMetric((us(after.Stime)-us(before.Stime))/float64(n), "sys-µs/op")
}
