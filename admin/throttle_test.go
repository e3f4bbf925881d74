package admin

// The credential throttle on a fake clock: exact counts, no wall-time waits. The
// end-to-end test (100 connections through a real server) is server/throttle_test.go.

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// thClock is a fake throttle clock: the manual clock with timers on top. Time moves and
// timers fire only in Advance, together under mu.
type thClock struct {
	mu     sync.Mutex
	clock  *storage.ManualClock
	timers map[*thTimer]struct{}
}

type thTimer struct {
	at time.Time
	c  chan time.Time
}

func newThClock() *thClock {
	return &thClock{clock: newClock(), timers: map[*thTimer]struct{}{}}
}

func (c *thClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.clock.Now() }

func (c *thClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &thTimer{at: c.clock.Now().Add(d), c: make(chan time.Time, 1)}
	c.timers[t] = struct{}{}
	return t.c, func() { c.mu.Lock(); delete(c.timers, t); c.mu.Unlock() }
}

func (c *thClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock.Add(d)
	now := c.clock.Now()
	for t := range c.timers {
		if !t.at.After(now) {
			t.c <- now
			delete(c.timers, t)
		}
	}
}

// pending is how many timers are armed: one per check waiting for a token.
func (c *thClock) pending() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.timers) }

func newTestThrottle(every time.Duration, burst int) (*throttle, *thClock) {
	clk := newThClock()
	t := newThrottle()
	t.clock, t.every, t.burst = clk, every, burst
	return t, clk
}

// waitFor polls cond (goroutines settling), failing after a generous limit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// 100 callers from one address, each on its own port (its own connection), fail as fast as
// they can: exactly burst checks are answered at once, then one per token, however many
// callers there are.
func TestThrottleCapsFailuresPerAddress(t *testing.T) {
	const callers, burst = 100, 20
	th, clk := newTestThrottle(time.Second, burst)
	var answered atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(port int) {
			defer wg.Done()
			for {
				b, err := th.acquire(stop, fmt.Sprintf("127.0.0.1:%d", 40000+port), nil)
				if err != nil {
					return
				}
				answered.Add(1)
				th.release(b, true)
			}
		}(i)
	}
	settle := func() { waitFor(t, "every caller to wait", func() bool { return clk.pending() == callers }) }
	settle()
	if got := answered.Load(); got != burst {
		t.Fatalf("answered %d checks before any time passed, want the burst %d", got, burst)
	}
	for step := 1; step <= 30; step++ {
		clk.Advance(time.Second)
		settle()
		if got, want := answered.Load(), int64(burst+step); got != want {
			t.Fatalf("after %d s: answered %d, want burst + rate × elapsed = %d", step, got, want)
		}
	}
	// A larger step refills by as many tokens, never more than the burst.
	clk.Advance(5 * time.Second)
	settle()
	if got, want := answered.Load(), int64(burst+30+5); got != want {
		t.Fatalf("after 35 s: answered %d, want %d", got, want)
	}
	close(stop)
	wg.Wait()
	if b := th.table["127.0.0.1"].Value.(*bucket); b.held != 0 || b.waiting != 0 {
		t.Fatalf("bucket after the callers left: held %d waiting %d", b.held, b.waiting)
	}
}

// A correct credential from an address past its burst waits for a token, then succeeds;
// it spends nothing, so the next check does not wait for it.
func TestThrottleCorrectCredentialDelayedNotRefused(t *testing.T) {
	th, clk := newTestThrottle(3*time.Second, 20)
	const addr = "192.0.2.7:5000"
	for i := 0; i < 20; i++ {
		b, err := th.acquire(nil, addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		th.release(b, true)
	}
	got := make(chan error, 1)
	go func() {
		b, err := th.acquire(nil, addr, nil)
		if err == nil {
			th.release(b, false) // the credential was right
		}
		got <- err
	}()
	waitFor(t, "the check to wait", func() bool { return clk.pending() == 1 })
	clk.Advance(2 * time.Second)
	select {
	case <-got:
		t.Fatal("let through before a token was due")
	case <-time.After(20 * time.Millisecond):
	}
	waitFor(t, "the check to wait again", func() bool { return clk.pending() == 1 })
	clk.Advance(time.Second)
	if err := <-got; err != nil {
		t.Fatalf("correct credential after the burst: %v", err)
	}
	// The token it waited for is still there: one more check goes at once.
	b, err := th.acquire(nil, addr, nil)
	if err != nil || clk.pending() != 0 {
		t.Fatalf("next check: %v, %d waiting", err, clk.pending())
	}
	th.release(b, false)
}

// Successful checks, one after another or many at once, never wait and spend nothing.
func TestThrottleSuccessesDoNotWait(t *testing.T) {
	th, clk := newTestThrottle(3*time.Second, 20)
	for i := 0; i < 1000; i++ {
		b, err := th.acquire(nil, "198.51.100.1:1", nil)
		if err != nil {
			t.Fatal(err)
		}
		th.release(b, false)
	}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := th.acquire(nil, "198.51.100.1:2", nil)
			th.release(b, false)
		}()
	}
	wg.Wait() // 200 at once: those beyond 20 in flight wait for a held token, not the clock
	if b := th.table["198.51.100.1"].Value.(*bucket); b.lim.TokensAt(clk.Now()) != 20 {
		t.Fatalf("tokens after successes: %v", b.lim.TokensAt(clk.Now()))
	}
}

// A check waiting for a token is abandoned when its connection or the server closes.
func TestThrottleWaitAbandoned(t *testing.T) {
	th, clk := newTestThrottle(time.Minute, 1)
	b, _ := th.acquire(nil, "203.0.113.9:1", nil)
	th.release(b, true)
	done := make(chan struct{})
	got := make(chan error, 1)
	go func() { _, err := th.acquire(done, "203.0.113.9:2", nil); got <- err }()
	waitFor(t, "the check to wait", func() bool { return clk.pending() == 1 })
	close(done)
	if err := <-got; err != errCheckAbandoned {
		t.Fatalf("abandoned wait: %v", err)
	}
	if b := th.table["203.0.113.9"].Value.(*bucket); b.held != 0 || b.waiting != 0 {
		t.Fatalf("held %d waiting %d", b.held, b.waiting)
	}
}

func TestThrottleAddrKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"127.0.0.1:1", "127.0.0.1:65535"},
		{"[2001:db8:1:2::1]:6379", "[2001:db8:1:2:ffff:ffff:ffff:ffff]:1"},
		{"[2001:db8:1:2::1]:6379", "2001:db8:1:2:abcd::"},
		{"[::ffff:192.0.2.1]:1", "192.0.2.1:2"},
		{"[fe80::1%eth0]:1", "[fe80::2%eth1]:2"},
	} {
		if addrKey(tc.a) != addrKey(tc.b) {
			t.Errorf("%s and %s in different buckets (%s, %s)", tc.a, tc.b, addrKey(tc.a), addrKey(tc.b))
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"127.0.0.1:1", "127.0.0.2:1"},
		{"[2001:db8:1:2::1]:1", "[2001:db8:1:3::1]:1"},
		{"[2001:db8::1]:1", "[2001:db9::1]:1"},
		{"10.0.0.1:1", "@"},
	} {
		if addrKey(tc.a) == addrKey(tc.b) {
			t.Errorf("%s and %s share a bucket (%s)", tc.a, tc.b, addrKey(tc.a))
		}
	}
	if k := addrKey("[2001:db8:1:2:3:4:5:6]:9"); k != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %q, want the /64", k)
	}
	if k := addrKey(string(make([]byte, 10000))); len(k) > 80 {
		t.Errorf("key of an odd address is %d bytes", len(k))
	}
}

// The table of addresses stays bounded: at the cap the least recently used entry not in
// use goes, and idle entries with a full bucket are swept as new addresses come.
func TestThrottleTableBounded(t *testing.T) {
	th, clk := newTestThrottle(time.Second, 2)
	th.max = 1000
	fail := func(addr string) {
		b, err := th.acquire(nil, addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		th.release(b, true)
	}
	for i := 0; i < 5000; i++ {
		fail(fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255))
		if n := th.size(); n > th.max {
			t.Fatalf("table holds %d addresses, cap %d", n, th.max)
		}
	}
	for i := 0; i < 5000; i++ { // IPv6: one bucket per /64
		fail(fmt.Sprintf("[2001:db8:%x:%x::1]:1", i>>8, i&255))
	}
	if n := th.size(); n > th.max {
		t.Fatalf("table holds %d addresses, cap %d", n, th.max)
	}
	// Once their buckets are full again the old entries hold nothing: new addresses sweep
	// them, so the table shrinks back with use.
	clk.Advance(time.Minute)
	for i := 0; i < 400; i++ {
		b, _ := th.acquire(nil, fmt.Sprintf("172.16.%d.%d:1", i>>8, i&255), nil)
		th.release(b, false)
	}
	if n := th.size(); n > th.max-400 {
		t.Fatalf("idle entries not swept: %d", n)
	}
	// The most recently used address keeps its state across the churn.
	th.max = 100
	for i := 0; i < 2; i++ {
		fail("192.0.2.200:1")
	}
	for i := 0; i < 50; i++ {
		fail(fmt.Sprintf("198.18.0.%d:1", i))
	}
	if b := th.table["192.0.2.200"]; b == nil || b.Value.(*bucket).lim.TokensAt(clk.Now()) >= 1 {
		t.Fatal("a recently used address lost its bucket")
	}
}

// Authenticate goes through the throttle: wrong credentials spend, from RESP and the RPC
// alike (one bucket per address whatever the transport), and the right one gets through.
func TestAuthenticateThrottled(t *testing.T) {
	f := newRegFixture(t)
	clk := newThClock()
	f.a.guard.throttle.clock = clk
	f.a.SetCredentialThrottle(time.Second, 3)
	for i, tr := range []string{"resp", "rpc", "resp"} {
		if _, err := f.a.Authenticate(Attempt{Addr: fmt.Sprintf("127.0.0.1:%d", 100+i), Transport: tr}, []byte("wrong-credential-xx")); err == nil {
			t.Fatal("wrong credential accepted")
		}
	}
	got := make(chan error, 1)
	go func() {
		_, err := f.a.Authenticate(Attempt{Addr: "127.0.0.1:200", Transport: "rpc"}, []byte("registry-test-secret"))
		got <- err
	}()
	waitFor(t, "the check to wait", func() bool { return clk.pending() == 1 })
	clk.Advance(time.Second)
	if err := <-got; err != nil {
		t.Fatalf("admin secret after the burst: %v", err)
	}
	// Another address is not affected.
	if _, err := f.a.Authenticate(Attempt{Addr: "127.0.0.2:1", Transport: "resp"}, []byte("registry-test-secret")); err != nil || clk.pending() != 0 {
		t.Fatalf("other address: %v", err)
	}
}
