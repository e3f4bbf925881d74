package server_test

import (
	"strconv"
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

// BenchmarkPipelinedGETSET is what the per-command metrics cost shows up in first: a
// pipeline of 50 SETs and 50 GETs per op (one group commit), sync none, so the handlers'
// own time is most of it. Compare with and without the metrics (docs/operations.md).
func BenchmarkPipelinedGETSET(b *testing.B) {
	rdb := tBenchClient(b, storage.SyncNone)
	val := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := rdb.Pipeline()
		for j := range 50 {
			k := "k:" + strconv.Itoa(j)
			p.Set(tCtx, k, val, 0)
			p.Get(tCtx, k)
		}
		if _, err := p.Exec(tCtx); err != nil {
			b.Fatal(err)
		}
	}
}
