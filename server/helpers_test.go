package server_test

// Small helpers for the end-to-end tests: a raw RESP client that reads one reply as raw
// bytes (it reads replies; it is not a server-side parser), go-redis clients, a fake
// clock, and a few polling helpers. Every name starts with t to stay clear of helpers in
// other test files of this package.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

var tCtx = context.Background()

// tConn is a raw RESP connection.
type tConn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// tDial connects to addr; the connection is closed when the test ends.
func tDial(t testing.TB, addr string) *tConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &tConn{t: t, conn: c, r: bufio.NewReader(c)}
}

// tEncode is a RESP array of bulk strings.
func tEncode(args ...[]byte) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n", len(a))
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

func tStrs(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// write sends raw bytes.
func (c *tConn) write(b []byte) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// send writes one command without reading its reply.
func (c *tConn) send(args ...string) { c.t.Helper(); c.write(tEncode(tStrs(args)...)) }

// sendB writes one binary command without reading its reply.
func (c *tConn) sendB(args ...[]byte) { c.t.Helper(); c.write(tEncode(args...)) }

// read reads one reply and returns it raw, e.g. "+OK\r\n".
func (c *tConn) read() string {
	c.t.Helper()
	rep, err := c.readReply()
	if err != nil {
		c.t.Fatalf("read reply: %v", err)
	}
	return string(rep.raw)
}

// do sends one command and returns its raw reply.
func (c *tConn) do(args ...string) string {
	c.t.Helper()
	c.send(args...)
	return c.read()
}

// doB sends one binary command and returns its raw reply.
func (c *tConn) doB(args ...[]byte) string {
	c.t.Helper()
	c.sendB(args...)
	return c.read()
}

// tReply is one reply: its raw bytes and, for an array, its elements.
type tReply struct {
	raw   []byte
	elems []tReply // nil unless an array (non-null)
	array bool
}

func (c *tConn) readReply() (tReply, error) {
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	return tReadReply(c.r)
}

func tReadReply(r *bufio.Reader) (tReply, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return tReply{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return tReply{}, fmt.Errorf("bad reply line %q", line)
	}
	rep := tReply{raw: line}
	switch line[0] {
	case '+', '-', ':':
		return rep, nil
	case '$':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil {
			return rep, fmt.Errorf("bad bulk length %q", line)
		}
		if n < 0 {
			return rep, nil
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(r, body); err != nil {
			return rep, err
		}
		rep.raw = append(rep.raw, body...)
		return rep, nil
	case '*':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil {
			return rep, fmt.Errorf("bad array length %q", line)
		}
		if n < 0 {
			return rep, nil
		}
		rep.array = true
		rep.elems = make([]tReply, 0, n)
		for i := 0; i < n; i++ {
			e, err := tReadReply(r)
			if err != nil {
				return rep, err
			}
			rep.raw = append(rep.raw, e.raw...)
			rep.elems = append(rep.elems, e)
		}
		return rep, nil
	}
	return rep, fmt.Errorf("unknown reply type %q", line)
}

// tSortedArray rewrites an array reply with its elements sorted (for KEYS, HKEYS, …).
func tSortedArray(rep tReply) string {
	if !rep.array {
		return string(rep.raw)
	}
	parts := make([]string, len(rep.elems))
	for i, e := range rep.elems {
		parts[i] = string(e.raw)
	}
	sort.Strings(parts)
	return fmt.Sprintf("*%d\r\n%s", len(parts), strings.Join(parts, ""))
}

// tSortedPairs rewrites a flat field/value array with its pairs sorted (for HGETALL).
func tSortedPairs(rep tReply) string {
	if !rep.array || len(rep.elems)%2 != 0 {
		return string(rep.raw)
	}
	parts := make([]string, 0, len(rep.elems)/2)
	for i := 0; i < len(rep.elems); i += 2 {
		parts = append(parts, string(rep.elems[i].raw)+string(rep.elems[i+1].raw))
	}
	sort.Strings(parts)
	return fmt.Sprintf("*%d\r\n%s", len(rep.elems), strings.Join(parts, ""))
}

// tErr is an error reply's raw form.
func tErr(msg string) string { return "-" + msg + "\r\n" }

// tBulk is a bulk reply's raw form.
func tBulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

// tInt is an integer reply's raw form.
func tInt(n int64) string { return fmt.Sprintf(":%d\r\n", n) }

const (
	tOK   = "+OK\r\n"
	tNil  = "$-1\r\n"
	tNilA = "*-1\r\n"
)

const tNoAuth = "NOAUTH no database selected: SELECT <db> [KEY <key>] or AUTH first"

// tServer starts a test server with one public database "app" and returns its id.
func tServer(t testing.TB, o herodbtest.Options) (*herodbtest.Server, uint64) {
	t.Helper()
	srv := herodbtest.Start(t, o)
	return srv, srv.CreateDatabase(t, "app", true)
}

// tClient is a go-redis client on db speaking RESP2; it is closed when the test ends.
func tClient(t testing.TB, addr string, db uint64) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DB: int(db), Protocol: 2,
		DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// tSelected is a raw connection with db selected.
func tSelected(t testing.TB, addr string, db uint64) *tConn {
	t.Helper()
	c := tDial(t, addr)
	if got := c.do("SELECT", strconv.FormatUint(db, 10)); got != tOK {
		t.Fatalf("SELECT %d: %q", db, got)
	}
	return c
}

// tEq fails the test when got != want, showing both as Go strings.
func tEq(t testing.TB, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: got %q, want %q", what, fmt.Sprint(got), fmt.Sprint(want))
	}
}

// tErrIs fails unless err is a Redis error whose text starts with prefix.
func tErrIs(t testing.TB, what string, err error, prefix string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %q", what, prefix)
		return
	}
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("%s: error %q, want prefix %q", what, err.Error(), prefix)
	}
}

// tNoErr fails the test on err.
func tNoErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// tClock is a fake clock for TTL tests; it only moves when told.
type tClock struct {
	mu  sync.Mutex
	now time.Time
}

func tNewClock() *tClock { return &tClock{now: time.Unix(1_700_000_000, 0)} }

func (c *tClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *tClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// tEventually polls cond every 20 ms for up to 2 s.
func tEventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within 2 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
