package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
)

// Attempt describes where a credential was presented, for the limits and the auth log.
type Attempt struct {
	Addr      string // client address, ip:port
	Transport string // "resp" or "rpc"
	Database  string // the database named, if any
	// Done, when closed, abandons a check still waiting for the throttle (the request's
	// context, the server's shutdown); nil: never.
	Done <-chan struct{}
}

// AuthEvent is one entry of the auth log: never the secret, only a fingerprint that is
// stable within this process (keyed with a random per-process key, so it cannot be used
// to test guesses offline).
type AuthEvent struct {
	ID          int64
	Time        time.Time
	Addr        string
	Transport   string
	Database    string
	Kind        Kind // admin, access-key, jwt, token or unknown
	Fingerprint string
	Success     bool
	Reason      string
	Count       int // repeats of the same failure, folded as Redis's ACL LOG does
}

// AuthLogSize is how many events AUTHLOG keeps.
const AuthLogSize = 128

type authGuard struct {
	log    *slog.Logger
	fpKey  []byte
	mu     sync.Mutex
	events []AuthEvent
	nextID int64
	// failures counts refused credentials by class, for metrics (metrics.go); under mu.
	failures map[AuthFailure]uint64
	// throttle is the failure bucket of each source address (throttle.go).
	throttle *throttle
	// sleep, when set (tests that are not about the throttle), replaces the throttle's
	// waits: it is called with the wait and the check goes ahead.
	sleep func(time.Duration)
}

func newAuthGuard(log *slog.Logger) *authGuard {
	return &authGuard{log: log, fpKey: crypto.Random(32), throttle: newThrottle()}
}

func (g *authGuard) fingerprint(cred []byte) string {
	m := hmac.New(sha256.New, g.fpKey)
	m.Write(cred)
	return hex.EncodeToString(m.Sum(nil)[:6])
}

func (g *authGuard) record(at Attempt, cred []byte, kind Kind, ok bool, reason string, now time.Time) {
	ev := AuthEvent{Time: now, Addr: at.Addr, Transport: at.Transport, Database: at.Database,
		Kind: kind, Fingerprint: g.fingerprint(cred), Success: ok, Reason: reason, Count: 1}
	attrs := []any{"client", at.Addr, "transport", at.Transport, "db", at.Database, "kind", kind,
		"fingerprint", ev.Fingerprint, "reason", reason}
	if ok {
		g.log.Info("authentication succeeded", attrs...)
	} else {
		g.log.Warn("authentication failed", attrs...)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !ok {
		if g.failures == nil {
			g.failures = map[AuthFailure]uint64{}
		}
		g.failures[failureClass(at.Transport, reason)]++
	}
	if n := len(g.events); n > 0 {
		last := &g.events[n-1]
		if last.Addr == ev.Addr && last.Fingerprint == ev.Fingerprint && last.Success == ok && last.Reason == reason && last.Database == ev.Database {
			last.Count++
			last.Time = now
			return
		}
	}
	g.nextID++
	ev.ID = g.nextID
	g.events = append(g.events, ev)
	if len(g.events) > AuthLogSize {
		g.events = g.events[len(g.events)-AuthLogSize:]
	}
}

// AuthLog returns up to n recent events, newest first.
func (a *Admin) AuthLog(n int) []AuthEvent {
	a.guard.mu.Lock()
	defer a.guard.mu.Unlock()
	var out []AuthEvent
	for i := len(a.guard.events) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, a.guard.events[i])
	}
	return out
}

// ResetAuthLog empties the auth log.
func (a *Admin) ResetAuthLog() {
	a.guard.mu.Lock()
	a.guard.events = nil
	a.guard.mu.Unlock()
}
