package server_test

// Benchmarks through go-redis against a real herodb on a loopback port. Writes are
// acknowledged after fsync (sync always) unless the name says SyncNone. Run with
// go test -run '^$' -bench . ./server (add -cpu or b.SetParallelism to vary clients).

import (
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/storage"
)

func tBenchClient(b *testing.B, sync storage.SyncMode) *redis.Client {
	b.Helper()
	srv := herodbtest.Start(b, herodbtest.Options{Sync: sync})
	db := srv.CreateDatabase(b, "bench", true)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db), Protocol: 2, PoolSize: 64})
	b.Cleanup(func() { rdb.Close() })
	return rdb
}

func tBenchParallel(b *testing.B, op func(rdb *redis.Client, i int) error, rdb *redis.Client) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := op(rdb, i); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkGET(b *testing.B) {
	rdb := tBenchClient(b, storage.SyncAlways)
	for i := 0; i < 1000; i++ {
		if err := rdb.Set(tCtx, "k:"+strconv.Itoa(i), "value-"+strconv.Itoa(i), 0).Err(); err != nil {
			b.Fatal(err)
		}
	}
	tBenchParallel(b, func(rdb *redis.Client, i int) error {
		return rdb.Get(tCtx, "k:"+strconv.Itoa(i%1000)).Err()
	}, rdb)
}

func benchSET(b *testing.B, sync storage.SyncMode) {
	rdb := tBenchClient(b, sync)
	val := make([]byte, 64)
	tBenchParallel(b, func(rdb *redis.Client, i int) error {
		return rdb.Set(tCtx, "k:"+strconv.Itoa(i%10000), val, 0).Err()
	}, rdb)
}

func BenchmarkSET(b *testing.B)         { benchSET(b, storage.SyncAlways) }
func BenchmarkSETSyncNone(b *testing.B) { benchSET(b, storage.SyncNone) }

func BenchmarkHSET(b *testing.B) {
	rdb := tBenchClient(b, storage.SyncAlways)
	if err := rdb.HSet(tCtx, "probe", "f", "v").Err(); err != nil {
		b.Skipf("HSET: %v", err)
	}
	tBenchParallel(b, func(rdb *redis.Client, i int) error {
		return rdb.HSet(tCtx, "h:"+strconv.Itoa(i%100), "f:"+strconv.Itoa(i%1000), "value").Err()
	}, rdb)
}

func BenchmarkLPUSH(b *testing.B) {
	rdb := tBenchClient(b, storage.SyncAlways)
	if err := rdb.LPush(tCtx, "probe", "v").Err(); err != nil {
		b.Skipf("LPUSH: %v", err)
	}
	tBenchParallel(b, func(rdb *redis.Client, i int) error {
		return rdb.LPush(tCtx, "l:"+strconv.Itoa(i%100), "value").Err()
	}, rdb)
}
