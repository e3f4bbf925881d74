package server_test

// End-to-end tests of the hash and list commands: a real server (herodbtest), a real
// client (go-redis, RESP2), and the replies and error strings exactly as a user sees them.
// Package-level names start with hl to stay clear of other test files of this package.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

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

func TestHashCommands(t *testing.T) {
	h := hlNewClient(t)

	h.is(2, "HSET", "h", "f1", "v1", "f2", "v2")
	h.is(1, "HSET", "h", "f1", "x", "f3", "v3")
	h.is("x", "HGET", "h", "f1")
	h.is(hlNil, "HGET", "h", "nope")
	h.is(hlNil, "HGET", "nokey", "f")
	h.is(hlErr("ERR wrong number of arguments for 'hset' command"), "HSET", "h", "f1")
	h.is(hlErr("ERR wrong number of arguments for 'hset' command"), "HSET", "h", "a", "1", "b")
	h.is(hlErr("ERR wrong number of arguments for 'hmset' command"), "HMSET", "h", "a", "1", "b")

	h.is("OK", "HMSET", "h", "a", "1", "b", "2")
	h.is(5, "HLEN", "h")
	h.is(0, "HSETNX", "h", "f1", "y")
	h.is("x", "HGET", "h", "f1")
	h.is(1, "HSETNX", "h", "n", "y")
	h.is(1, "HSETNX", "fresh", "n", "y")
	h.is("y", "HGET", "fresh", "n")

	h.is([]any{"x", nil, "v2"}, "HMGET", "h", "f1", "nope", "f2")
	h.is([]any{nil, nil}, "HMGET", "nokey", "a", "b")

	want := map[string]string{"f1": "x", "f2": "v2", "f3": "v3", "a": "1", "b": "2", "n": "y"}
	all := h.strs("HGETALL", "h")
	if len(all) != 2*len(want) {
		t.Fatalf("HGETALL: %q", all)
	}
	got := map[string]string{}
	var order, vals []string
	for i := 0; i < len(all); i += 2 {
		got[all[i]] = all[i+1]
		order = append(order, all[i])
		vals = append(vals, all[i+1])
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("HGETALL: %v, want %v", got, want)
	}
	// HKEYS and HVALS come in the same order as HGETALL.
	h.is(order, "HKEYS", "h")
	h.is(vals, "HVALS", "h")
	h.is([]any{}, "HGETALL", "nokey")
	h.is([]any{}, "HKEYS", "nokey")
	h.is([]any{}, "HVALS", "nokey")

	h.is(6, "HLEN", "h")
	h.is(0, "HLEN", "nokey")
	h.is(1, "HEXISTS", "h", "f1")
	h.is(0, "HEXISTS", "h", "nope")
	h.is(0, "HEXISTS", "nokey", "f1")
	h.is(2, "HSTRLEN", "h", "f2")
	h.is(0, "HSTRLEN", "h", "nope")
	h.is(0, "HSTRLEN", "nokey", "f")

	h.is(2, "HDEL", "h", "f1", "nope", "f2")
	h.is(0, "HDEL", "h", "f1")
	h.is(0, "HDEL", "nokey", "f1")
	h.is(4, "HLEN", "h")
	h.is(4, "HDEL", "h", "f3", "a", "b", "n")
	h.is(0, "EXISTS", "h") // the key goes with its last field
	h.is("none", "TYPE", "h")
	h.is(1, "HSET", "h", "f", "v")
	h.is("hash", "TYPE", "h")
}

func TestHashIncr(t *testing.T) {
	h := hlNewClient(t)

	h.is(5, "HINCRBY", "c", "n", "5")
	h.is(3, "HINCRBY", "c", "n", "-2")
	h.is("3", "HGET", "c", "n")
	h.is(1, "HLEN", "c")
	h.is(1, "HSET", "c", "s", "abc")
	h.is(hlErr("ERR hash value is not an integer"), "HINCRBY", "c", "s", "1")
	h.is(hlErr("ERR value is not an integer or out of range"), "HINCRBY", "c", "n", "one")
	h.is(hlErr("ERR value is not an integer or out of range"), "HINCRBY", "c", "n", "1.5")
	h.is(hlErr("ERR value is not an integer or out of range"), "HINCRBY", "c", "n", "99999999999999999999")
	h.is(1, "HSET", "c", "max", "9223372036854775807")
	h.is(hlErr("ERR increment or decrement would overflow"), "HINCRBY", "c", "max", "1")
	h.is(1, "HSET", "c", "min", "-9223372036854775808")
	h.is(hlErr("ERR increment or decrement would overflow"), "HINCRBY", "c", "min", "-1")
	h.is("9223372036854775807", "HGET", "c", "max")
	h.is(1, "HSET", "c", "float", "1.5")
	h.is(hlErr("ERR hash value is not an integer"), "HINCRBY", "c", "float", "1")

	h.is("10.5", "HINCRBYFLOAT", "c", "f", "10.5")
	h.is("10.75", "HINCRBYFLOAT", "c", "f", "0.25")
	h.is("5000", "HINCRBYFLOAT", "c", "g", "5.0e3")
	h.is("4.5", "HINCRBYFLOAT", "c", "n", "1.5") // an integer field is a number too
	h.is("-1", "HINCRBYFLOAT", "c", "n", "-5.5")
	h.is(hlErr("ERR hash value is not a float"), "HINCRBYFLOAT", "c", "s", "1")
	h.is(hlErr("ERR value is not a valid float"), "HINCRBYFLOAT", "c", "f", "abc")
	h.is(hlErr("ERR value is NaN or Infinity"), "HINCRBYFLOAT", "c", "f", "inf")
	h.is("10.75", "HGET", "c", "f")
}

func TestHashWrongTypeAndArity(t *testing.T) {
	h := hlNewClient(t)
	h.is("OK", "SET", "s", "v")
	for _, args := range [][]any{
		{"HSET", "s", "f", "v"}, {"HSETNX", "s", "f", "v"}, {"HMSET", "s", "f", "v"},
		{"HGET", "s", "f"}, {"HMGET", "s", "f", "g"}, {"HGETALL", "s"}, {"HKEYS", "s"},
		{"HVALS", "s"}, {"HDEL", "s", "f"}, {"HEXISTS", "s", "f"}, {"HLEN", "s"},
		{"HSTRLEN", "s", "f"}, {"HINCRBY", "s", "f", "1"}, {"HINCRBYFLOAT", "s", "f", "1"},
		{"HSCAN", "s", "0"}, {"HRANDFIELD", "s"}, {"HRANDFIELD", "s", "2"},
		{"HRANDFIELD", "s", "0"}, {"HRANDFIELD", "s", "-2", "WITHVALUES"},
	} {
		h.is(hlErr(hlWrongType), args...)
	}
	h.is("v", "GET", "s") // untouched

	for _, args := range [][]any{
		{"HSET", "h", "f"}, {"HSETNX", "h", "f"}, {"HMSET", "h"}, {"HGET", "h"},
		{"HMGET", "h"}, {"HGETALL"}, {"HKEYS", "h", "x"}, {"HVALS"}, {"HDEL", "h"},
		{"HEXISTS", "h"}, {"HLEN"}, {"HSTRLEN", "h"}, {"HINCRBY", "h", "f"},
		{"HINCRBYFLOAT", "h", "f", "1", "2"}, {"HSCAN", "h"}, {"HRANDFIELD"},
	} {
		name := strings.ToLower(args[0].(string))
		h.is(hlErr(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)), args...)
	}
}

func TestHashScan(t *testing.T) {
	h := hlNewClient(t)
	const n = 100
	args := []any{"HSET", "h"}
	want := map[string]string{}
	for i := range n {
		f, v := fmt.Sprintf("field:%d", i), fmt.Sprintf("value:%d", i)
		args = append(args, f, v)
		want[f] = v
	}
	h.is(n, args...)

	scanAll := func(opts ...any) ([]string, int) {
		t.Helper()
		var out []string
		cursor, calls := "0", 0
		for {
			got, err := h.do(append([]any{"HSCAN", "h", cursor}, opts...)...)
			if err != nil {
				t.Fatalf("HSCAN %v: %v", opts, err)
			}
			arr := got.([]any)
			if len(arr) != 2 {
				t.Fatalf("HSCAN: %#v", got)
			}
			for _, e := range arr[1].([]any) {
				out = append(out, e.(string))
			}
			calls++
			cursor = arr[0].(string)
			if cursor == "0" {
				return out, calls
			}
			if calls > 10*n {
				t.Fatal("HSCAN does not end")
			}
		}
	}

	pairs, calls := scanAll("COUNT", "7")
	if calls < n/7 {
		t.Errorf("HSCAN COUNT 7 took %d calls for %d fields", calls, n)
	}
	got := map[string]string{}
	for i := 0; i < len(pairs); i += 2 {
		if _, dup := got[pairs[i]]; dup {
			t.Errorf("HSCAN returned %q twice", pairs[i])
		}
		got[pairs[i]] = pairs[i+1]
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("HSCAN saw %d fields, want %d", len(got), len(want))
	}

	pairs, _ = scanAll() // default COUNT
	if len(pairs) != 2*n {
		t.Errorf("HSCAN default count: %d items", len(pairs))
	}

	names, _ := scanAll("MATCH", "field:1*", "COUNT", "13")
	var wantNames []string
	for f := range want {
		if strings.HasPrefix(f, "field:1") {
			wantNames = append(wantNames, f, want[f])
		}
	}
	if len(names) != len(wantNames) {
		t.Errorf("HSCAN MATCH: %q", names)
	}
	for i := 0; i < len(names); i += 2 {
		if !strings.HasPrefix(names[i], "field:1") || names[i+1] != want[names[i]] {
			t.Errorf("HSCAN MATCH: %q=%q", names[i], names[i+1])
		}
	}

	only, _ := scanAll("NOVALUES", "COUNT", "30")
	if len(only) != n {
		t.Fatalf("HSCAN NOVALUES: %d items", len(only))
	}
	for _, f := range only {
		if _, ok := want[f]; !ok {
			t.Errorf("HSCAN NOVALUES returned %q", f)
		}
	}
	only, _ = scanAll("MATCH", "field:42", "NOVALUES")
	if !reflect.DeepEqual(only, []string{"field:42"}) {
		t.Errorf("HSCAN MATCH NOVALUES: %q", only)
	}

	// One call with a large COUNT sees everything and ends.
	got2, err := h.do("HSCAN", "h", "0", "COUNT", "1000")
	if err != nil || got2.([]any)[0] != "0" || len(got2.([]any)[1].([]any)) != 2*n {
		t.Errorf("HSCAN COUNT 1000: %v", err)
	}

	h.is([]any{"0", []any{}}, "HSCAN", "nokey", "0")
	h.is(hlErr("ERR invalid cursor"), "HSCAN", "h", "abc")
	h.is(hlErr("ERR syntax error"), "HSCAN", "h", "0", "COUNT", "0")
	h.is(hlErr("ERR value is not an integer or out of range"), "HSCAN", "h", "0", "COUNT", "x")
	h.is(hlErr("ERR syntax error"), "HSCAN", "h", "0", "MATCH")
	h.is(hlErr("ERR syntax error"), "HSCAN", "h", "0", "TYPE", "hash")
	h.is(hlErr("ERR syntax error"), "HSCAN", "h", "0", "FOO", "bar")
}

func TestHashRandField(t *testing.T) {
	h := hlNewClient(t)
	h.is(5, "HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
	vals := map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}

	for range 20 {
		got, err := h.do("HRANDFIELD", "h")
		if _, ok := vals[fmt.Sprint(got)]; err != nil || !ok {
			t.Fatalf("HRANDFIELD: %v %v", got, err)
		}
	}
	h.is(hlNil, "HRANDFIELD", "nokey")
	h.is([]any{}, "HRANDFIELD", "nokey", "3")
	h.is([]any{}, "HRANDFIELD", "nokey", "-3", "WITHVALUES")
	h.is([]any{}, "HRANDFIELD", "h", "0")
	h.is([]any{}, "HRANDFIELD", "h", "0", "WITHVALUES")

	distinct := func(fields []string, n int) {
		t.Helper()
		if len(fields) != n {
			t.Fatalf("got %d fields %q, want %d", len(fields), fields, n)
		}
		seen := map[string]bool{}
		for _, f := range fields {
			if _, ok := vals[f]; !ok || seen[f] {
				t.Fatalf("fields %q: unknown or repeated %q", fields, f)
			}
			seen[f] = true
		}
	}
	for range 20 {
		distinct(h.strs("HRANDFIELD", "h", "3"), 3)
		distinct(h.strs("HRANDFIELD", "h", "5"), 5)
	}
	distinct(h.strs("HRANDFIELD", "h", "10"), 5) // capped at the hash's size
	if got := h.strs("HRANDFIELD", "h", "5"); !reflect.DeepEqual(hlSorted(got), []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("HRANDFIELD h 5: %q", got)
	}

	// Negative: exactly -count fields, repeats allowed.
	neg := h.strs("HRANDFIELD", "h", "-50")
	if len(neg) != 50 {
		t.Fatalf("HRANDFIELD -50: %d fields", len(neg))
	}
	seen := map[string]bool{}
	for _, f := range neg {
		if _, ok := vals[f]; !ok {
			t.Fatalf("HRANDFIELD -50: unknown %q", f)
		}
		seen[f] = true
	}
	if len(seen) < 2 { // 50 draws from 5 fields all alike: (1/5)^49
		t.Errorf("HRANDFIELD -50 drew only %v", seen)
	}
	if got := h.strs("HRANDFIELD", "h", "-1"); len(got) != 1 {
		t.Errorf("HRANDFIELD -1: %q", got)
	}

	pairsOK := func(pairs []string, n int, unique bool) {
		t.Helper()
		if len(pairs) != 2*n {
			t.Fatalf("WITHVALUES: %d items %q, want %d", len(pairs), pairs, 2*n)
		}
		var fields []string
		for i := 0; i < len(pairs); i += 2 {
			if vals[pairs[i]] != pairs[i+1] {
				t.Fatalf("WITHVALUES: %q=%q", pairs[i], pairs[i+1])
			}
			fields = append(fields, pairs[i])
		}
		if unique {
			distinct(fields, n)
		}
	}
	pairsOK(h.strs("HRANDFIELD", "h", "3", "WITHVALUES"), 3, true)
	pairsOK(h.strs("HRANDFIELD", "h", "3", "withvalues"), 3, true)
	pairsOK(h.strs("HRANDFIELD", "h", "9", "WITHVALUES"), 5, true)
	pairsOK(h.strs("HRANDFIELD", "h", "-7", "WITHVALUES"), 7, false)

	h.is(hlErr("ERR value is not an integer or out of range"), "HRANDFIELD", "h", "x")
	h.is(hlErr("ERR value is not an integer or out of range"), "HRANDFIELD", "h", "1.5")
	h.is(hlErr("ERR syntax error"), "HRANDFIELD", "h", "3", "FOO")
	h.is(hlErr("ERR syntax error"), "HRANDFIELD", "h", "3", "WITHVALUES", "x")
	h.is(hlErr("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
		"HRANDFIELD", "h", "-9223372036854775808")
	h.is(hlErr("ERR value is out of range"), "HRANDFIELD", "h", "9223372036854775807", "WITHVALUES")
	h.is(hlErr("ERR value is out of range"), "HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES")
	// herodb builds replies in memory: a repeat count that could not be sent is refused.
	h.is(hlErr("ERR HRANDFIELD count is too large: the reply would exceed the output limit"),
		"HRANDFIELD", "h", "-9223372036854775807")
	distinct(h.strs("HRANDFIELD", "h", "9223372036854775807"), 5)
}

func TestListPushPop(t *testing.T) {
	h := hlNewClient(t)

	h.is(3, "LPUSH", "l", "a", "b", "c")
	h.is([]string{"c", "b", "a"}, "LRANGE", "l", "0", "-1")
	h.is(5, "RPUSH", "l", "d", "e")
	h.is([]string{"c", "b", "a", "d", "e"}, "LRANGE", "l", "0", "-1")
	h.is(5, "LLEN", "l")
	h.is(0, "LLEN", "nokey")
	h.is("list", "TYPE", "l")

	h.is(0, "LPUSHX", "nokey", "a")
	h.is(0, "RPUSHX", "nokey", "a", "b")
	h.is(0, "EXISTS", "nokey")
	h.is(6, "RPUSHX", "l", "f")
	h.is(8, "LPUSHX", "l", "y", "z")
	h.is([]string{"z", "y", "c", "b", "a", "d", "e", "f"}, "LRANGE", "l", "0", "-1")

	h.is("z", "LPOP", "l")
	h.is("f", "RPOP", "l")
	h.is([]string{"y", "c"}, "LPOP", "l", "2")
	h.is([]string{"e", "d"}, "RPOP", "l", "2") // last first
	h.is([]any{}, "LPOP", "l", "0")
	h.is([]any{}, "RPOP", "l", "0")
	h.is(hlErr("ERR value is out of range, must be positive"), "LPOP", "l", "-1")
	h.is(hlErr("ERR value is out of range, must be positive"), "RPOP", "l", "x")
	h.is(hlErr("ERR wrong number of arguments for 'lpop' command"), "LPOP", "l", "1", "2")
	h.is(hlErr("ERR wrong number of arguments for 'rpop' command"), "RPOP", "l", "1", "2")
	h.is([]string{"b", "a"}, "LRANGE", "l", "0", "-1")
	h.is([]string{"b", "a"}, "LPOP", "l", "10")
	h.is(0, "EXISTS", "l") // popping the last element removes the key

	h.is(hlNil, "LPOP", "nokey")
	h.is(hlNil, "RPOP", "nokey")
	h.is(hlNil, "LPOP", "nokey", "2")
	if got := h.raw("LPOP", "nokey", "2"); got != "*-1\r\n" {
		t.Errorf("LPOP nokey 2: %q, want a null array", got)
	}
	if got := h.raw("RPOP", "nokey", "0"); got != "*-1\r\n" {
		t.Errorf("RPOP nokey 0: %q, want a null array", got)
	}
	if got := h.raw("LPOP", "nokey"); got != "$-1\r\n" {
		t.Errorf("LPOP nokey: %q, want a null bulk", got)
	}

	h.is(1, "RPUSH", "one", "x")
	h.is("x", "RPOP", "one")
	h.is(0, "EXISTS", "one")
	h.is(1, "RPUSH", "one", "x")
	h.is([]string{"x"}, "RPOP", "one", "1")
	h.is(0, "EXISTS", "one")
}

func TestListIndexRange(t *testing.T) {
	h := hlNewClient(t)
	h.is(5, "RPUSH", "l", "a", "b", "c", "d", "e")

	h.is("a", "LINDEX", "l", "0")
	h.is("e", "LINDEX", "l", "-1")
	h.is("d", "LINDEX", "l", "3")
	h.is(hlNil, "LINDEX", "l", "5")
	h.is(hlNil, "LINDEX", "l", "-6")
	h.is(hlNil, "LINDEX", "nokey", "0")
	h.is(hlErr("ERR value is not an integer or out of range"), "LINDEX", "l", "x")

	h.is([]string{"b", "c"}, "LRANGE", "l", "1", "2")
	h.is([]string{"d", "e"}, "LRANGE", "l", "-2", "-1")
	h.is([]string{"a", "b", "c", "d", "e"}, "LRANGE", "l", "-100", "100")
	h.is([]any{}, "LRANGE", "l", "3", "1")
	h.is([]any{}, "LRANGE", "l", "5", "10")
	h.is([]any{}, "LRANGE", "nokey", "0", "-1")
	h.is(hlErr("ERR value is not an integer or out of range"), "LRANGE", "l", "a", "1")
	h.is(hlErr("ERR value is not an integer or out of range"), "LRANGE", "l", "0", "1.5")

	h.is("OK", "LSET", "l", "0", "A")
	h.is("OK", "LSET", "l", "-1", "E")
	h.is([]string{"A", "b", "c", "d", "E"}, "LRANGE", "l", "0", "-1")
	h.is(hlErr("ERR index out of range"), "LSET", "l", "5", "x")
	h.is(hlErr("ERR index out of range"), "LSET", "l", "-6", "x")
	h.is(hlErr("ERR no such key"), "LSET", "nokey", "0", "x")
	h.is(hlErr("ERR value is not an integer or out of range"), "LSET", "l", "x", "y")
	h.is(0, "EXISTS", "nokey")
}

func TestListRemTrimInsert(t *testing.T) {
	h := hlNewClient(t)

	h.is(6, "RPUSH", "r", "a", "b", "a", "c", "a", "b")
	h.is(1, "LREM", "r", "1", "a")
	h.is([]string{"b", "a", "c", "a", "b"}, "LRANGE", "r", "0", "-1")
	h.is(1, "LREM", "r", "-1", "b")
	h.is([]string{"b", "a", "c", "a"}, "LRANGE", "r", "0", "-1")
	h.is(2, "LREM", "r", "0", "a")
	h.is([]string{"b", "c"}, "LRANGE", "r", "0", "-1")
	h.is(0, "LREM", "r", "0", "zz")
	h.is(0, "LREM", "nokey", "0", "a")
	h.is(hlErr("ERR value is not an integer or out of range"), "LREM", "r", "x", "a")
	h.is(1, "LREM", "r", "5", "b")
	h.is(1, "LREM", "r", "-5", "c")
	h.is(0, "EXISTS", "r")

	h.is(5, "RPUSH", "t", "1", "2", "3", "4", "5")
	h.is("OK", "LTRIM", "t", "1", "3")
	h.is([]string{"2", "3", "4"}, "LRANGE", "t", "0", "-1")
	h.is("OK", "LTRIM", "t", "-2", "100")
	h.is([]string{"3", "4"}, "LRANGE", "t", "0", "-1")
	h.is("OK", "LTRIM", "nokey", "0", "1")
	h.is(hlErr("ERR value is not an integer or out of range"), "LTRIM", "t", "0", "x")
	h.is("OK", "LTRIM", "t", "5", "10")
	h.is(0, "EXISTS", "t")

	h.is(2, "RPUSH", "i", "a", "c")
	h.is(3, "LINSERT", "i", "BEFORE", "c", "b")
	h.is(4, "LINSERT", "i", "after", "c", "d")
	h.is(5, "LINSERT", "i", "Before", "a", "_")
	h.is([]string{"_", "a", "b", "c", "d"}, "LRANGE", "i", "0", "-1")
	h.is(-1, "LINSERT", "i", "BEFORE", "zz", "x")
	h.is(0, "LINSERT", "nokey", "BEFORE", "a", "x")
	h.is(0, "EXISTS", "nokey")
	h.is(hlErr("ERR syntax error"), "LINSERT", "i", "MIDDLE", "c", "x")
	h.is(5, "LLEN", "i")
}

func TestListPos(t *testing.T) {
	h := hlNewClient(t)
	h.is(8, "RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")

	h.is(2, "LPOS", "l", "c")
	h.is(6, "LPOS", "l", "c", "RANK", "2")
	h.is(7, "LPOS", "l", "c", "RANK", "3")
	h.is(hlNil, "LPOS", "l", "c", "RANK", "4")
	h.is(7, "LPOS", "l", "c", "RANK", "-1")
	h.is(6, "LPOS", "l", "c", "RANK", "-2")
	h.is([]int{2, 6}, "LPOS", "l", "c", "COUNT", "2")
	h.is([]int{2, 6, 7}, "LPOS", "l", "c", "COUNT", "0")
	h.is([]int{6, 7}, "LPOS", "l", "c", "RANK", "2", "COUNT", "0")
	h.is([]int{7, 6}, "LPOS", "l", "c", "RANK", "-1", "COUNT", "2")
	h.is([]int{2}, "LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3")
	h.is(hlNil, "LPOS", "l", "c", "MAXLEN", "2")
	h.is(hlNil, "LPOS", "l", "c", "RANK", "2", "MAXLEN", "3")
	h.is([]int{7, 6}, "LPOS", "l", "c", "RANK", "-1", "COUNT", "0", "MAXLEN", "2")
	h.is(0, "LPOS", "l", "a", "maxlen", "0")
	h.is(hlNil, "LPOS", "l", "zz")
	h.is([]any{}, "LPOS", "l", "zz", "COUNT", "1")
	h.is(hlNil, "LPOS", "nokey", "a")
	h.is([]any{}, "LPOS", "nokey", "a", "COUNT", "1")

	h.is(hlErr("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"),
		"LPOS", "l", "c", "RANK", "0")
	h.is(hlErr("ERR COUNT can't be negative"), "LPOS", "l", "c", "COUNT", "-1")
	h.is(hlErr("ERR MAXLEN can't be negative"), "LPOS", "l", "c", "MAXLEN", "-1")
	h.is(hlErr("ERR value is not an integer or out of range"), "LPOS", "l", "c", "RANK", "x")
	h.is(hlErr("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
		"LPOS", "l", "c", "RANK", "-9223372036854775808")
	h.is(hlErr("ERR syntax error"), "LPOS", "l", "c", "FOO", "1")
	h.is(hlErr("ERR syntax error"), "LPOS", "l", "c", "RANK")
	h.is(hlErr("ERR syntax error"), "LPOS", "l", "c", "COUNT", "1", "MAXLEN")
	// Options are checked before the key, as Redis does.
	h.is(hlErr("ERR COUNT can't be negative"), "LPOS", "nokey", "c", "COUNT", "-1")
}

func TestListMove(t *testing.T) {
	h := hlNewClient(t)
	h.is(3, "RPUSH", "src", "1", "2", "3")

	h.is("3", "LMOVE", "src", "dst", "RIGHT", "LEFT")
	h.is("1", "LMOVE", "src", "dst", "left", "right")
	h.is([]string{"2"}, "LRANGE", "src", "0", "-1")
	h.is([]string{"3", "1"}, "LRANGE", "dst", "0", "-1")
	h.is("3", "LMOVE", "dst", "dst", "LEFT", "RIGHT") // rotate
	h.is([]string{"1", "3"}, "LRANGE", "dst", "0", "-1")
	h.is("3", "LMOVE", "dst", "dst", "RIGHT", "RIGHT")
	h.is([]string{"1", "3"}, "LRANGE", "dst", "0", "-1")
	h.is(hlNil, "LMOVE", "nokey", "dst", "LEFT", "LEFT")
	h.is(0, "EXISTS", "nokey")
	h.is(hlErr("ERR syntax error"), "LMOVE", "src", "dst", "UP", "LEFT")
	h.is(hlErr("ERR syntax error"), "LMOVE", "src", "dst", "LEFT", "DOWN")

	h.is("2", "RPOPLPUSH", "src", "dst")
	h.is(0, "EXISTS", "src") // the last element moved away
	h.is([]string{"2", "1", "3"}, "LRANGE", "dst", "0", "-1")
	h.is(hlNil, "RPOPLPUSH", "src", "dst")
	h.is("3", "RPOPLPUSH", "dst", "dst")
	h.is([]string{"3", "2", "1"}, "LRANGE", "dst", "0", "-1")

	// A wrong-typed destination moves nothing.
	h.is("OK", "SET", "s", "v")
	h.is(hlErr(hlWrongType), "LMOVE", "dst", "s", "LEFT", "LEFT")
	h.is(hlErr(hlWrongType), "RPOPLPUSH", "dst", "s")
	h.is(hlErr(hlWrongType), "RPOPLPUSH", "s", "dst")
	h.is([]string{"3", "2", "1"}, "LRANGE", "dst", "0", "-1")
	h.is("v", "GET", "s")
	// An absent source answers nil whatever the destination holds, as Redis.
	h.is(hlNil, "RPOPLPUSH", "nokey", "s")
}

func TestListWrongTypeAndArity(t *testing.T) {
	h := hlNewClient(t)
	h.is("OK", "SET", "s", "v")
	for _, args := range [][]any{
		{"LPUSH", "s", "a"}, {"RPUSH", "s", "a"}, {"LPUSHX", "s", "a"}, {"RPUSHX", "s", "a"},
		{"LPOP", "s"}, {"RPOP", "s"}, {"LPOP", "s", "2"}, {"RPOP", "s", "0"}, {"LLEN", "s"},
		{"LRANGE", "s", "0", "-1"}, {"LINDEX", "s", "0"}, {"LSET", "s", "0", "x"},
		{"LREM", "s", "0", "x"}, {"LTRIM", "s", "0", "1"}, {"LINSERT", "s", "BEFORE", "a", "b"},
		{"LPOS", "s", "a"}, {"LPOS", "s", "a", "COUNT", "0"}, {"LMOVE", "s", "d", "LEFT", "LEFT"},
		{"RPOPLPUSH", "s", "d"},
	} {
		h.is(hlErr(hlWrongType), args...)
	}
	h.is("v", "GET", "s")
	h.is(1, "HSET", "h", "f", "v")
	h.is(hlErr(hlWrongType), "LPUSH", "h", "a")
	h.is(1, "RPUSH", "l", "a")
	h.is(hlErr(hlWrongType), "HGET", "l", "f")

	for _, args := range [][]any{
		{"LPUSH", "l"}, {"RPUSH", "l"}, {"LPUSHX", "l"}, {"RPUSHX"}, {"LPOP"}, {"RPOP"},
		{"LLEN"}, {"LRANGE", "l", "0"}, {"LINDEX", "l"}, {"LSET", "l", "0"},
		{"LREM", "l", "0"}, {"LTRIM", "l", "0"}, {"LINSERT", "l", "BEFORE", "a"},
		{"LPOS", "l"}, {"LMOVE", "a", "b", "LEFT"}, {"RPOPLPUSH", "a"}, {"RPOPLPUSH", "a", "b", "c"},
	} {
		name := strings.ToLower(args[0].(string))
		h.is(hlErr(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)), args...)
	}
}

// TestHashListCommandTable checks the table rows through COMMAND INFO: arity, flags and
// key positions (LMOVE and RPOPLPUSH name two keys).
func TestHashListCommandTable(t *testing.T) {
	h := hlNewClient(t)
	rows := map[string][]any{
		"hset":       {"hset", -4, []any{"write", "fast"}, 1, 1, 1},
		"hget":       {"hget", 3, []any{"readonly", "fast"}, 1, 1, 1},
		"hgetall":    {"hgetall", 2, []any{"readonly"}, 1, 1, 1},
		"hscan":      {"hscan", -3, []any{"readonly"}, 1, 1, 1},
		"hrandfield": {"hrandfield", -2, []any{"readonly"}, 1, 1, 1},
		"lpush":      {"lpush", -3, []any{"write", "fast"}, 1, 1, 1},
		"lpop":       {"lpop", -2, []any{"write", "fast"}, 1, 1, 1},
		"lrange":     {"lrange", 4, []any{"readonly"}, 1, 1, 1},
		"lpos":       {"lpos", -3, []any{"readonly"}, 1, 1, 1},
		"lmove":      {"lmove", 5, []any{"write"}, 1, 2, 1},
		"rpoplpush":  {"rpoplpush", 3, []any{"write"}, 1, 2, 1},
	}
	for name, want := range rows {
		got, err := h.do("COMMAND", "INFO", name)
		if err != nil {
			t.Fatalf("COMMAND INFO %s: %v", name, err)
		}
		row := got.([]any)[0].([]any)
		if !reflect.DeepEqual(row[:6], hlNorm(want)) {
			t.Errorf("COMMAND INFO %s: %#v, want %#v", name, row[:6], hlNorm(want))
		}
	}
}

// TestListMoveWatch checks a write to LMOVE's second key reaches WATCH.
func TestListMoveWatch(t *testing.T) {
	h := hlNewClient(t)
	ctx := context.Background()
	h.is(2, "RPUSH", "src", "a", "b")
	other := redis.NewClient(&redis.Options{Addr: h.srv.Addr(), DB: int(h.db), Protocol: 2})
	defer other.Close()
	err := h.rdb.Watch(ctx, func(tx *redis.Tx) error {
		if err := other.LMove(ctx, "src", "dst", "LEFT", "LEFT").Err(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.RPush(ctx, "dst", "x")
			return nil
		})
		return err
	}, "dst")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a watched LMOVE destination changed: %v, want a failed transaction", err)
	}
	h.is([]string{"a"}, "LRANGE", "dst", "0", "-1")
}
