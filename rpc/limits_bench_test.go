package rpc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
)

// BenchmarkDiscover is one rpc.discover as a transport serves it: the call, then the
// result marshalled into the reply's bytes.
func BenchmarkDiscover(b *testing.B) {
	srv := herodbtest.Start(b, herodbtest.Options{})
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info})
	caller := &rpc.Caller{Grant: &admin.Grant{Admin: true}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := svc.Call(ctx, caller, "rpc.discover", nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(res); err != nil {
			b.Fatal(err)
		}
	}
}

// discoverBatch is the finding's attack body: as many rpc.discover calls as fit in
// 1 MiB (about 20,000), or n of them when n > 0.
func discoverBatch(n int) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := 0; n <= 0 || i < n; i++ {
		one := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"rpc.discover"}`, i)
		if n <= 0 && sb.Len()+len(one)+2 > rpc.MaxBody {
			break
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(one)
	}
	sb.WriteByte(']')
	return sb.String()
}

// BenchmarkDiscoverBatchHTTP posts the attack body (1 MiB of rpc.discover calls) with a
// tenant's read access key over real HTTP, and reports the reply's size and the peak
// heap in use while it is served (sampled).
func BenchmarkDiscoverBatchHTTP(b *testing.B) {
	srv := herodbtest.Start(b, herodbtest.Options{})
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info})
	hs := httptest.NewServer(svc.HTTPHandler())
	b.Cleanup(hs.Close)
	id := srv.CreateDatabase(b, "tenant", false)
	key := "tenant-read-key-0123456789abcdef"
	if err := srv.Admin().AddAccessKey(id, key, admin.AccessRead); err != nil {
		b.Fatal(err)
	}
	body := discoverBatch(0)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	var replyBytes int64
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, hs.URL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := hs.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		replyBytes = n
	}
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(replyBytes), "reply-bytes")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
