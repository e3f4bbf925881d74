package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startServe runs herodb serve on a free port over dir and waits for its port.
func startServe(t *testing.T, dir string, log *syncBuffer) (*exec.Cmd, string) {
	t.Helper()
	port := tlsFreePort(t)
	// --dev: a public database "demo" (id 1) to write to.
	cmd := exec.Command(herodbBin, "serve", "--dev", "--dir", dir, "--port", strconv.Itoa(port), "--rpc-port", strconv.Itoa(tlsFreePort(t)))
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitLog(t, log, "herodb listening", 1)
	return cmd, "127.0.0.1:" + strconv.Itoa(port)
}

// TestServeSIGTERMKeepsAcknowledgedWrites: SIGTERM in the middle of traffic stops the
// real binary with exit 0, and after a restart every acknowledged write is there; a
// second SIGTERM while a client holds the stop up exits at once.
func TestServeSIGTERMKeepsAcknowledgedWrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var log syncBuffer
	cmd, addr := startServe(t, dir, &log)
	ctx := context.Background()

	const writers = 4
	acked := make([]int64, writers)
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, DB: 1, MaxRetries: -1, PoolSize: 1})
			defer c.Close()
			for {
				n, err := c.Do(ctx, "INCR", fmt.Sprintf("counter:%d", i)).Int64()
				if err != nil {
					return
				}
				acked[i] = n
			}
		}(i)
	}
	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("herodb after SIGTERM: %v\n%s", err, log.String())
	}
	t.Logf("acknowledged: %v", acked)

	var log2 syncBuffer
	cmd2, addr2 := startServe(t, dir, &log2)
	c := redis.NewClient(&redis.Options{Addr: addr2, DB: 1, MaxRetries: -1})
	defer c.Close()
	for i, want := range acked {
		if want == 0 {
			t.Fatalf("writer %d got nothing acknowledged before SIGTERM", i)
		}
		got, err := c.Get(ctx, fmt.Sprintf("counter:%d", i)).Int64()
		if err != nil || got < want || got > want+1 {
			t.Errorf("counter:%d after restart: %d, %v; want %d acknowledged (or one more, in flight)", i, got, err, want)
		}
	}

	// A client that sends a long pipeline and never reads holds its command up: the
	// first SIGTERM waits for it, the second exits at once.
	hog, err := net.Dial("tcp", addr2)
	if err != nil {
		t.Fatal(err)
	}
	defer hog.Close()
	c.Set(ctx, "big", string(make([]byte, 1<<20)), 0)
	go func() {
		hog.Write([]byte("SELECT 1\r\n"))
		for i := 0; i < 200; i++ {
			if _, err := hog.Write([]byte("GET big\r\n")); err != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	cmd2.Process.Signal(syscall.SIGTERM)
	waitLog(t, &log2, "stopping", 1)
	start := time.Now()
	cmd2.Process.Signal(syscall.SIGTERM)
	err = cmd2.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || time.Since(start) > 3*time.Second {
		t.Errorf("second SIGTERM: %v after %v; want exit 1 at once\n%s", err, time.Since(start), log2.String())
	}
}
