package server_test

// Issue 11, finding 10, end to end: the AUTH failure throttle used to delay each attempt
// by 1 s without capping the rate per address, so 100 parallel connections made 400
// attempts in 4 s. Now one token bucket per source address is shared by every connection:
// the failures answered are at most burst + rate × elapsed, however many connections.
// The rate is shortened for the test (one token per 20 ms), and the test asserts counts.

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

func TestThrottleCapsParallelConnections(t *testing.T) {
	const (
		conns  = 100
		burst  = 20
		every  = 20 * time.Millisecond
		window = time.Second
	)
	srv := herodbtest.Start(t, herodbtest.Options{})
	srv.Admin().SetCredentialThrottle(every, burst)
	wrong := string(tEncode(tStrs([]string{"AUTH", "not-the-secret-but-long-enough"})...))

	var answered atomic.Int64
	start := time.Now()
	stop := start.Add(window)
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				c, err := net.Dial("tcp", srv.Addr())
				if err != nil {
					return
				}
				c.SetDeadline(stop)
				r := bufio.NewReader(c)
				for { // 5 refusals close the connection: then dial again
					if _, err := c.Write([]byte(wrong)); err != nil {
						break
					}
					line, err := r.ReadString('\n')
					if err != nil {
						break
					}
					if strings.HasPrefix(line, "-WRONGPASS") || strings.HasPrefix(line, "-ERR too many failed attempts") {
						answered.Add(1)
					}
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	got := answered.Load()
	limit := int64(burst) + int64(elapsed/every) + 1 // +1: the refill's float rounding
	t.Logf("%d connections answered %d wrong AUTHs in %v (cap %d)", conns, got, elapsed.Round(time.Millisecond), limit)
	if got > limit {
		t.Fatalf("answered %d refused checks in %v, over burst + rate × elapsed = %d", got, elapsed, limit)
	}
	if got < burst {
		t.Fatalf("only %d checks answered: the burst of %d should go through at once", got, burst)
	}

	// The right credential from the same address, past the burst and behind the checks
	// still queued from the closed connections: delayed, then accepted.
	c := tDial(t, srv.Addr())
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	t0 := time.Now()
	if rep := c.do("AUTH", herodbtest.AdminSecret); rep != tOK {
		t.Fatalf("correct AUTH after the burst: %q", rep)
	}
	t.Logf("correct AUTH answered after %v", time.Since(t0).Round(time.Millisecond))
}

// A server closing while checks wait for the throttle does not wait for them.
func TestThrottleCloseWhileWaiting(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{})
	srv.Admin().SetCredentialThrottle(time.Hour, 1)
	if rep := tDial(t, srv.Addr()).do("AUTH", "not-the-secret-but-long-enough"); !strings.HasPrefix(rep, "-WRONGPASS") {
		t.Fatalf("first wrong AUTH: %q", rep)
	}
	for i := 0; i < 10; i++ {
		tDial(t, srv.Addr()).send("AUTH", herodbtest.AdminSecret) // each waits an hour for its token
	}
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for the checks held by the throttle")
	}
}
