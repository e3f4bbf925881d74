package herodbtest

import (
	"sync/atomic"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// clock is the one clock of a test server: its base (the wall clock, or the caller's)
// plus an offset that FastForward and SetTime move. The server reads it for everything
// that decides expiry, so moving it moves all of these together:
//
//   - key TTLs: reads see a key gone at once; the expiry sweep (and its "expired"
//     keyspace events) within its 100 ms tick;
//   - named tokens' and JWTs' expiry, at AUTH and mid-session (the next command fails);
//     JWT nbf and iat;
//   - TIME, access keys' created_at, tokens' timestamps, CLIENT LIST's age;
//   - the storage engine's time-based flush and idle file close.
//
// It does not move what runs on the wall clock: blocking timeouts (BLPOP 1, XREAD BLOCK),
// script time limits, the pre-authentication idle timeout, the failed-credential
// throttle, INFO's uptime, and the intervals of background loops (the sweep tick, token
// last-use writes, the everysec sync).
//
// An offset rather than a frozen time keeps the default behaving as production does
// (time passes by itself); a storage.ManualClock as the base gives miniredis's frozen
// time.
type clock struct {
	base   storage.Clock
	offset atomic.Int64 // nanoseconds
}

func (c *clock) Now() time.Time { return c.base.Now().Add(time.Duration(c.offset.Load())) }

// FastForward moves the server's clock forward by d (backward when d is negative): keys,
// tokens and JWTs whose time is up expire, and TIME jumps.
func (s *Server) FastForward(d time.Duration) { s.clock.offset.Add(int64(d)) }

// SetTime sets the server's clock to t; it runs on from there as its base clock does.
func (s *Server) SetTime(t time.Time) { s.clock.offset.Store(int64(t.Sub(s.clock.base.Now()))) }

// Now is the server's current time, as TIME would answer.
func (s *Server) Now() time.Time { return s.clock.Now() }
