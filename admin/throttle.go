package admin

// The credential throttle (shared/DESIGN.md section 3): a token bucket of failures per
// source address (IPv4 /32, IPv6 /64), shared by every connection and the RPC. A refused
// credential spends a token; while the bucket holds none, every credential check from that
// address waits until one is due, so however many connections an address opens, its
// checks that fail are answered at most burst + rate × elapsed times. A correct credential
// is delayed like any other check, never refused, and spends nothing.
//
// The bound is exact, not approximate: a check that starts holds one of the bucket's tokens
// (held) until its answer is known, and gives it back when the credential was right. So N
// checks in flight at once can never spend more tokens than the bucket has.

import (
	"container/list"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults: a burst of 20 failures, refilled at 20 a minute; at most 65,536 addresses
// remembered.
const (
	throttleBurst    = 20
	throttleEvery    = time.Minute / throttleBurst
	throttleTableMax = 1 << 16
	// throttleSweep is how many least recently used entries each new address looks at,
	// dropping those that hold nothing (a full bucket, no check running or waiting).
	throttleSweep = 2
)

// throttleClock is the throttle's time: the wall clock, or a fake one in tests.
type throttleClock interface {
	Now() time.Time
	// Timer fires once after d; stop releases it.
	Timer(d time.Duration) (c <-chan time.Time, stop func())
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
func (wallClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// errCheckAbandoned answers a check whose connection or server closed while it waited.
var errCheckAbandoned = Errorf(EUNAUTHORIZED, "credential check abandoned: the connection or the server closed while it waited for the throttle")

type throttle struct {
	clock throttleClock

	mu    sync.Mutex
	every time.Duration // one token per every
	burst int
	max   int                      // entries kept, as long as they are not in use
	table map[string]*list.Element // address key → element of lru holding *bucket
	lru   *list.List               // front: most recently used
}

// bucket is one address's failures.
type bucket struct {
	key     string
	lim     *rate.Limiter
	held    int           // checks running, each holding one token until its answer
	waiting int           // checks waiting for a token
	wake    chan struct{} // closed (and replaced) when a held token is given back
}

func newThrottle() *throttle {
	return &throttle{clock: wallClock{}, every: throttleEvery, burst: throttleBurst, max: throttleTableMax,
		table: map[string]*list.Element{}, lru: list.New()}
}

// SetCredentialThrottle sets the failure bucket of every source address: one token per
// every, burst at most (the defaults: 3 s and 20, i.e. 20 a minute). Addresses start
// again with a full bucket. For tests and embedding; every and burst must be positive.
func (a *Admin) SetCredentialThrottle(every time.Duration, burst int) {
	if every <= 0 || burst <= 0 {
		panic("admin: SetCredentialThrottle needs a positive rate and burst")
	}
	t := a.guard.throttle
	t.mu.Lock()
	t.every, t.burst = every, burst
	t.table, t.lru = map[string]*list.Element{}, list.New()
	t.mu.Unlock()
}

// addrKey is the throttle's key for a client address (ip:port, or a bare ip): the IPv4
// address, or the IPv6 /64 (one customer's allocation, as a /32 is in IPv4). An
// IPv4-mapped IPv6 address counts as IPv4. Anything else (a unix socket's address) is one
// key of its own, bounded in length.
func addrKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, perr := netip.ParseAddrPort(addr)
		if perr != nil {
			if len(addr) > 64 {
				addr = addr[:64]
			}
			return "other:" + addr
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// lookup returns key's bucket, making it (and making room for it) when new; t.mu held.
func (t *throttle) lookup(key string, now time.Time) *bucket {
	if el, ok := t.table[key]; ok {
		t.lru.MoveToFront(el)
		return el.Value.(*bucket)
	}
	// Drop a few idle entries from the back: they hold nothing a new bucket would not.
	for i, el := 0, t.lru.Back(); i < throttleSweep && el != nil; i++ {
		prev := el.Prev()
		if b := el.Value.(*bucket); b.idle() && b.lim.TokensAt(now) >= float64(b.lim.Burst()) {
			t.remove(el)
		}
		el = prev
	}
	// At the cap, the least recently used entry not in use goes, full or not. Entries in
	// use are bounded by the goroutines using them, so the table can pass the cap by
	// those alone.
	for el := t.lru.Back(); len(t.table) >= t.max && el != nil; {
		prev := el.Prev()
		if el.Value.(*bucket).idle() {
			t.remove(el)
		}
		el = prev
	}
	b := &bucket{key: key, lim: rate.NewLimiter(rate.Every(t.every), t.burst), wake: make(chan struct{})}
	t.table[key] = t.lru.PushFront(b)
	return b
}

func (t *throttle) remove(el *list.Element) {
	delete(t.table, el.Value.(*bucket).key)
	t.lru.Remove(el)
}

func (b *bucket) idle() bool { return b.held == 0 && b.waiting == 0 }

// acquire waits until the bucket of addr has a token that no running check holds, and
// holds it for one check; release gives the answer. done (nil: never) abandons the wait.
// sleep, when set (tests that are not about the throttle), is called with the wait
// instead, and the check goes ahead.
func (t *throttle) acquire(done <-chan struct{}, addr string, sleep func(time.Duration)) (*bucket, error) {
	key := addrKey(addr)
	t.mu.Lock()
	b := t.lookup(key, t.clock.Now())
	for {
		avail := b.lim.TokensAt(t.clock.Now()) - float64(b.held)
		if avail >= 1 {
			b.held++
			t.mu.Unlock()
			return b, nil
		}
		// The next token is due in (1-avail)/rate, or sooner if a held one comes back.
		wait := time.Duration((1 - avail) / float64(b.lim.Limit()) * float64(time.Second))
		if sleep != nil {
			b.held++
			t.mu.Unlock()
			sleep(wait)
			return b, nil
		}
		wake := b.wake
		b.waiting++
		t.mu.Unlock()
		timer, stop := t.clock.Timer(wait)
		var abandoned bool
		select {
		case <-wake:
		case <-timer:
		case <-done:
			abandoned = true
		}
		stop()
		t.mu.Lock()
		b.waiting--
		if abandoned {
			t.mu.Unlock()
			return nil, errCheckAbandoned
		}
	}
}

// release ends a check acquire let through: a refused credential spends the token it
// held; a correct one gives it back to the next waiting check.
func (t *throttle) release(b *bucket, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b.held--
	if failed {
		// At least held+1 tokens were there when this check began, and only the checks
		// holding one spend: so this never goes below zero (outside sleep's test mode).
		b.lim.ReserveN(t.clock.Now(), 1)
		return
	}
	if b.waiting > 0 {
		close(b.wake)
		b.wake = make(chan struct{})
	}
}

// size is how many addresses the throttle remembers.
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.table)
}
