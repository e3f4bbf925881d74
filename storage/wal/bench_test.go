package wal

import (
	"testing"
)

// BenchmarkAppend measures Append+wait from parallel appenders (GOMAXPROCS×8 goroutines),
// each frame one 128-byte part. frames/fsync shows how much group commit gathers.
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []struct {
		name string
		sync SyncMode
	}{{"SyncNone", SyncNone}, {"SyncAlways", SyncAlways}} {
		b.Run(mode.name, func(b *testing.B) {
			opts := testOptions(b.TempDir())
			opts.Sync = mode.sync
			l := mustOpen(b, opts)
			parts := []Part{{DB: 42, Data: make([]byte, 128)}}
			b.SetBytes(int64(frameOverhead + 128 + 4))
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, wait := l.Append(parts)
					if err := wait(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			st := l.Stats()
			if mode.sync == SyncAlways && st.Fsyncs > 0 {
				b.ReportMetric(float64(st.Appended)/float64(st.Fsyncs), "frames/fsync")
			}
			mustClose(b, l)
		})
	}
}
