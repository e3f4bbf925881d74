package server_test

// Small helpers for the end-to-end tests: a raw RESP client that reads one reply as raw
// bytes (it reads replies; it is not a server-side parser), go-redis clients, a fake
// clock, and a few polling helpers. Every name starts with t to stay clear of helpers in
// other test files of this package.

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/seed6aa118f9/herodb/admin"

	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/storage"
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

// doWithin is do with a reply deadline of d instead of 10 s, for a command meant to
// run long (a hostile script under -race on a loaded machine).
func (c *tConn) doWithin(d time.Duration, args ...string) string {
	c.t.Helper()
	c.send(args...)
	c.conn.SetReadDeadline(time.Now().Add(d))
	rep, err := tReadReply(c.r)
	if err != nil {
		c.t.Errorf("read reply: %v", err)
		return err.Error()
	}
	return string(rep.raw)
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

// tNewClock is a manual clock for TTL, token and JWT tests; it only moves when told.
func tNewClock() *storage.ManualClock { return storage.NewManualClock(time.Unix(1_700_000_000, 0)) }

// tEventually polls cond every 20 ms for up to 10 s (a loaded machine is slow; a
// condition that holds ends it at once).
func tEventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within 10 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const hlWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

// hlErr is an expected error reply, compared with the error's text.
type hlErr string

// hlNil is an expected null (bulk or array: go-redis reports both as redis.Nil).
var hlNil = struct{ null bool }{true}

type hlClient struct {
	t   *testing.T
	rdb *redis.Client
	srv *herodbtest.Server
	db  uint64
}

func hlNewClient(t *testing.T) *hlClient {
	t.Helper()
	srv := herodbtest.Start(t, herodbtest.Options{})
	id := srv.CreateDatabase(t, "t", true)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(id), Protocol: 2})
	t.Cleanup(func() { rdb.Close() })
	return &hlClient{t: t, rdb: rdb, srv: srv, db: id}
}

func (h *hlClient) do(args ...any) (any, error) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return h.rdb.Do(ctx, args...).Result()
}

// is runs args and checks the reply: want is an int64 (or int), a string, a []any of
// those, a []int or []string, hlNil, or an hlErr.
func (h *hlClient) is(want any, args ...any) {
	h.t.Helper()
	got, err := h.do(args...)
	switch w := want.(type) {
	case hlErr:
		if err == nil || err.Error() != string(w) {
			h.t.Errorf("%v: got (%#v, %v), want error %q", args, got, err, w)
		}
		return
	case struct{ null bool }:
		if !errors.Is(err, redis.Nil) {
			h.t.Errorf("%v: got (%#v, %v), want nil", args, got, err)
		}
		return
	}
	if err != nil {
		h.t.Errorf("%v: error %v, want %#v", args, err, want)
		return
	}
	if !reflect.DeepEqual(got, hlNorm(want)) {
		h.t.Errorf("%v: got %#v, want %#v", args, got, hlNorm(want))
	}
}

// hlNorm turns ints into int64 as go-redis decodes them, recursively.
func hlNorm(v any) any {
	switch w := v.(type) {
	case int:
		return int64(w)
	case []any:
		out := make([]any, len(w))
		for i, e := range w {
			out[i] = hlNorm(e)
		}
		return out
	case []int:
		out := make([]any, len(w))
		for i, e := range w {
			out[i] = int64(e)
		}
		return out
	case []string:
		out := make([]any, len(w))
		for i, e := range w {
			out[i] = e
		}
		return out
	}
	return v
}

// strs runs args and returns an array reply of bulk strings.
func (h *hlClient) strs(args ...any) []string {
	h.t.Helper()
	got, err := h.do(args...)
	if err != nil {
		h.t.Fatalf("%v: %v", args, err)
	}
	arr, ok := got.([]any)
	if !ok {
		h.t.Fatalf("%v: got %#v, want an array", args, got)
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			h.t.Fatalf("%v: element %d is %#v, want a string", args, i, e)
		}
		out[i] = s
	}
	return out
}

// raw sends one command on a fresh plain connection and returns the reply's bytes, for
// what go-redis cannot tell apart (a null array from a null bulk).
func (h *hlClient) raw(args ...string) string {
	h.t.Helper()
	conn, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	enc := func(args ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		return b.String()
	}
	if _, err := io.WriteString(conn, enc("SELECT", fmt.Sprint(h.db))+enc(args...)); err != nil {
		h.t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || line != "+OK\r\n" {
		h.t.Fatalf("SELECT: %q %v", line, err)
	}
	line, err = br.ReadString('\n')
	if err != nil {
		h.t.Fatal(err)
	}
	return line
}

func hlSorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// tLog is a server log (a slog destination) the test can read while the server writes.
type tLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *tLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *tLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tDo sends args on c and checks that the raw reply starts with want; a failure shows
// long arguments (keys, tokens) cut short.
func tDo(t testing.TB, c *tConn, want string, args ...string) string {
	t.Helper()
	got := c.do(args...)
	if !strings.HasPrefix(got, want) {
		short := make([]string, len(args))
		for i, a := range args {
			if len(a) > 40 {
				a = a[:20] + "…"
			}
			short[i] = a
		}
		t.Errorf("%s: got %q, want prefix %q", strings.Join(short, " "), got, want)
	}
	return got
}

// tRevocations takes a database's access away from a connection in each way a tenant can
// lose it (its access key deleted, the database deleted, the database made private):
// each case selects a new database on a new connection, runs wait (the connection starts
// waiting: blocked, subscribed), revokes, and runs released with the error prefix the
// connection must get first.
func tRevocations(t *testing.T, srv *herodbtest.Server, wait func(c *tConn), released func(c *tConn, want string)) {
	a := srv.Admin()
	for _, tc := range []struct {
		name   string
		revoke func(id uint64, key string) error
		want   string
	}{
		{"access key deleted", func(id uint64, key string) error {
			sum := sha256.Sum256([]byte(key))
			return a.DeleteAccessKey(id, hex.EncodeToString(sum[:]))
		}, "-WRONGPASS"},
		{"database deleted", func(id uint64, _ string) error { return a.DeleteDatabase(id) }, "-ERR the selected database was deleted"},
		{"made private", func(id uint64, _ string) error { return a.SetPublic(id, admin.AccessNone) }, "-NOAUTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			public := tc.name == "made private"
			id := srv.CreateDatabase(t, "rev"+strconv.Itoa(len(tc.name)), public)
			key := "a-long-enough-access-key-for-" + strconv.FormatUint(id, 10)
			tNoErr(t, "add key", a.AddAccessKey(id, key, admin.AccessReadWrite))
			c := tDial(t, srv.Addr())
			sel := []string{"SELECT", strconv.FormatUint(id, 10)}
			if !public {
				sel = append(sel, "KEY", key)
			}
			tDo(t, c, tOK, sel...)
			wait(c)
			tNoErr(t, "revoke", tc.revoke(id, key))
			released(c, tc.want)
		})
	}
}
