package server_test

// End-to-end tests of the hash commands: a real server (herodbtest), a real client
// (go-redis, RESP2), and the replies and error strings exactly as a user sees them.

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

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
