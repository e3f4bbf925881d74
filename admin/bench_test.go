package admin

import (
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

// BenchmarkCreateDatabase: creates from 8 goroutines at once, as bench-scale's workers
// do over the RPC; they share DB 0's group commit.
func BenchmarkCreateDatabase(b *testing.B) {
	a := openAdmin(b, Config{Secret: []byte("bench-admin-secret"), Sync: storage.SyncAlways})
	defer a.Close()
	b.SetParallelism(4) // x GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.CreateDatabase(CreateOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreateDatabases100: bulk creation, 100 in one DB 0 transaction; ns/op is
// per database.
func BenchmarkCreateDatabases100(b *testing.B) {
	a := openAdmin(b, Config{Secret: []byte("bench-admin-secret"), Sync: storage.SyncAlways})
	defer a.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i += 100 {
		if _, err := a.CreateDatabases(100, CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
