package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// latencies is one measurement: every op pair's duration, and its errors by message.
type latencies struct {
	name string
	d    []time.Duration
	errs map[string]int
	mu   sync.Mutex
}

func newLatencies(name string) *latencies {
	return &latencies{name: name, errs: map[string]int{}}
}

func (l *latencies) add(d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errs[errorKind(err)]++
		return
	}
	l.d = append(l.d, d)
}

// quantile is the nearest-rank quantile q of the successful ops (0 with none).
func (l *latencies) quantile(q float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	i := int(q*float64(len(l.d))+0.999999) - 1
	return l.d[min(max(i, 0), len(l.d)-1)]
}

func (l *latencies) nerrs() int {
	n := 0
	for _, c := range l.errs {
		n += c
	}
	return n
}

// sample is min(m, len(ids)) distinct ids in random order (a partial Fisher-Yates
// shuffle of a copy), so a pass meets each database at most once.
func sample(ids []uint64, m int) []uint64 {
	c := append([]uint64(nil), ids...)
	m = min(m, len(c))
	for i := range m {
		j := i + rand.IntN(len(c)-i)
		c[i], c[j] = c[j], c[i]
	}
	return c[:m]
}

// cold is SELECT + first write on a new connection per database, as a tenant's request
// lands on a node: dial and AUTH are done first and not timed; SELECT id and SET k v
// are. It returns the ids written, in the order their SETs were answered (the last ones
// are the most recently opened files).
func (s *server) cold(ids []uint64, conc int) (*latencies, []uint64) {
	l := newLatencies("cold: new connection, SELECT + SET (first write)")
	var mu sync.Mutex
	var written []uint64
	work := make(chan uint64)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				d, err := s.coldOne(id)
				l.add(d, err)
				if err == nil {
					mu.Lock()
					written = append(written, id)
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	return l, written
}

// coldOne dials, authenticates with PING (not timed), then times SELECT + SET.
func (s *server) coldOne(id uint64) (time.Duration, error) {
	ctx := context.Background()
	c := s.adminClient(1)
	defer c.Close()
	conn := c.Conn()
	defer conn.Close()
	if err := conn.Ping(ctx).Err(); err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	t0 := time.Now()
	if err := conn.Select(ctx, int(id)).Err(); err != nil {
		return 0, fmt.Errorf("SELECT: %w", err)
	}
	if err := conn.Set(ctx, "k", "v", 0).Err(); err != nil {
		return 0, fmt.Errorf("SET: %w", err)
	}
	return time.Since(t0), nil
}

// warm is SELECT + GET k over nconns connections opened (and authenticated) beforehand,
// m ops over random databases of ids, each connection's next pair sent as soon as the
// last is answered (a closed loop: on this machine's 2 cores, shared with the load, the
// latency is mostly the wait for a CPU); want is the value GET must answer ("" : nil, a
// database never written).
func (s *server) warm(name string, ids []uint64, m, nconns int, want string) *latencies {
	return s.warmAt(name, ids, m, nconns, 0, want)
}

// warmAt is warm with the pairs sent at rate a second over all the connections (0: as
// fast as answered). Each connection keeps its own schedule, so a slow answer delays the
// pairs after it and their latency counts from when they were due, not from when they
// went (no coordinated omission); a pair sent on time counts from when it went, so the
// load generator's timer, late by up to a millisecond here, is not charged to the
// server.
func (s *server) warmAt(name string, ids []uint64, m, nconns, rate int, want string) *latencies {
	l := newLatencies(name)
	if len(ids) == 0 {
		return l
	}
	ctx := context.Background()
	c := s.adminClient(nconns)
	defer c.Close()
	conns := make([]*redis.Conn, 0, nconns)
	for range nconns {
		conn := c.Conn()
		if err := conn.Ping(ctx).Err(); err != nil {
			l.add(0, fmt.Errorf("connect: %w", err))
			conn.Close()
			continue
		}
		conns = append(conns, conn)
	}
	var every time.Duration // between one connection's pairs
	if rate > 0 {
		every = time.Duration(float64(time.Second) * float64(len(conns)) / float64(rate))
	}
	var wg sync.WaitGroup
	for i, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			var start time.Time
			if every > 0 {
				start = time.Now().Add(time.Duration(rand.Int64N(int64(every)))) // spread over the interval
			}
			for j := range m/len(conns) + boolInt(i < m%len(conns)) {
				var due time.Time
				if every > 0 {
					due = start.Add(time.Duration(j) * every)
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
						due = time.Time{} // on time: counted from now
					}
				}
				d, err := warmOne(ctx, conn, ids[rand.IntN(len(ids))], want)
				if !due.IsZero() && err == nil {
					d = time.Since(due) // behind its schedule: the wait counts
				}
				l.add(d, err)
			}
		}()
	}
	wg.Wait()
	return l
}

// warmOne times SELECT id + GET k on an open connection and checks the value.
func warmOne(ctx context.Context, conn *redis.Conn, id uint64, want string) (time.Duration, error) {
	t0 := time.Now()
	if err := conn.Select(ctx, int(id)).Err(); err != nil {
		return 0, fmt.Errorf("SELECT: %w", err)
	}
	v, err := conn.Get(ctx, "k").Result()
	d := time.Since(t0)
	switch {
	case errors.Is(err, redis.Nil) && want == "":
		return d, nil
	case err != nil:
		return 0, fmt.Errorf("GET: %w", err)
	case v != want:
		return 0, fmt.Errorf("GET k: %q, want %q", v, want)
	}
	return d, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// openEach does SELECT + GET k (which must answer "v") of every database in ids, in turn
// on one open connection: each is opened once.
func (s *server) openEach(ids []uint64) error {
	ctx := context.Background()
	c := s.adminClient(1)
	defer c.Close()
	conn := c.Conn()
	defer conn.Close()
	for _, id := range ids {
		if _, err := warmOne(ctx, conn, id, "v"); err != nil {
			return fmt.Errorf("database %d: %w", id, err)
		}
	}
	return nil
}
