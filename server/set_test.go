package server_test

// End-to-end tests of the set commands: a real server (herodbtest), a real client
// (go-redis, RESP2), and the replies and error strings exactly as a user sees them.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// sorted runs args and returns its array of bulk strings sorted (SMEMBERS, SINTER…).
func (h *hlClient) sorted(args ...any) []string { return hlSorted(h.strs(args...)) }

func TestSetCommands(t *testing.T) {
	h := hlNewClient(t)

	h.is(3, "SADD", "s", "a", "b", "c")
	h.is(1, "SADD", "s", "a", "d", "d") // a repeated member counts once
	h.is(0, "SADD", "s", "a", "b")
	h.is(4, "SCARD", "s")
	h.is(0, "SCARD", "nokey")
	h.is("set", "TYPE", "s")
	tEq(t, "SMEMBERS", h.sorted("SMEMBERS", "s"), []string{"a", "b", "c", "d"})
	h.is([]any{}, "SMEMBERS", "nokey")
	h.is(1, "SISMEMBER", "s", "a")
	h.is(0, "SISMEMBER", "s", "z")
	h.is(0, "SISMEMBER", "nokey", "a")
	h.is([]int{1, 0, 1, 1}, "SMISMEMBER", "s", "a", "z", "d", "a")
	h.is([]int{0, 0}, "SMISMEMBER", "nokey", "a", "b")

	h.is(2, "SREM", "s", "a", "z", "b", "a")
	h.is(0, "SREM", "s", "a")
	h.is(0, "SREM", "nokey", "a")
	h.is(2, "SCARD", "s")
	h.is(2, "SREM", "s", "c", "d")
	h.is(0, "EXISTS", "s") // the key goes with its last member
	h.is("none", "TYPE", "s")

	// The empty member and binary members are members like any other.
	h.is(3, "SADD", "b", "", "a\x00b", "\xff")
	h.is(1, "SISMEMBER", "b", "")
	tEq(t, "binary SMEMBERS", h.sorted("SMEMBERS", "b"), []string{"", "a\x00b", "\xff"})
	h.is(1, "SREM", "b", "")
	h.is(2, "SCARD", "b")

	// Through go-redis's typed API too.
	ctx := context.Background()
	tEq(t, "SAdd", h.rdb.SAdd(ctx, "g", "x", "y", 3).Val(), int64(3))
	tEq(t, "SIsMember", h.rdb.SIsMember(ctx, "g", "3").Val(), true)
	tEq(t, "SMIsMember", h.rdb.SMIsMember(ctx, "g", "x", "q").Val(), []bool{true, false})
	tEq(t, "SCard", h.rdb.SCard(ctx, "g").Val(), int64(3))
	tEq(t, "SMembersMap", len(h.rdb.SMembersMap(ctx, "g").Val()), 3)
	tEq(t, "SRem", h.rdb.SRem(ctx, "g", "x").Val(), int64(1))

	// A set survives RENAME (its members are bound to its identity, not its name) and
	// counts in DBSIZE once.
	h.is("OK", "FLUSHDB")
	h.is(2, "SADD", "r", "m1", "m2")
	h.is("OK", "RENAME", "r", "r2")
	h.is(0, "EXISTS", "r")
	tEq(t, "after RENAME", h.sorted("SMEMBERS", "r2"), []string{"m1", "m2"})
	h.is(1, "SISMEMBER", "r2", "m1")
	h.is(1, "DBSIZE")
	h.is(1, "DEL", "r2")
	h.is(0, "DBSIZE")
	h.is(0, "SCARD", "r2")
}

func TestSetPopRandMember(t *testing.T) {
	h := hlNewClient(t)
	all := []string{"a", "b", "c", "d", "e"}
	h.is(5, "SADD", "s", "a", "b", "c", "d", "e")

	check := func(what string, got []string, n int, distinct bool, universe []string) {
		t.Helper()
		if len(got) != n {
			t.Fatalf("%s: %d members %q, want %d", what, len(got), got, n)
		}
		seen := map[string]bool{}
		for _, m := range got {
			if !slices.Contains(universe, m) || (distinct && seen[m]) {
				t.Fatalf("%s: %q unknown or repeated in %q", what, m, got)
			}
			seen[m] = true
		}
	}
	for range 20 {
		got, err := h.do("SRANDMEMBER", "s")
		if err != nil || !slices.Contains(all, got.(string)) {
			t.Fatalf("SRANDMEMBER: %v %v", got, err)
		}
		check("SRANDMEMBER 3", h.strs("SRANDMEMBER", "s", "3"), 3, true, all)
	}
	check("SRANDMEMBER 5", h.strs("SRANDMEMBER", "s", "5"), 5, true, all)
	check("SRANDMEMBER 100", h.strs("SRANDMEMBER", "s", "100"), 5, true, all) // capped at the size
	neg := h.strs("SRANDMEMBER", "s", "-50")
	check("SRANDMEMBER -50", neg, 50, false, all)
	if len(slices.Compact(hlSorted(neg))) < 2 { // 50 draws of 5 all alike: (1/5)^49
		t.Errorf("SRANDMEMBER -50 drew %q", neg)
	}
	h.is([]any{}, "SRANDMEMBER", "s", "0")
	h.is(hlNil, "SRANDMEMBER", "nokey")
	h.is([]any{}, "SRANDMEMBER", "nokey", "3")
	h.is([]any{}, "SRANDMEMBER", "nokey", "-3")
	h.is(5, "SCARD", "s") // nothing was removed
	h.is(hlErr("ERR value is not an integer or out of range"), "SRANDMEMBER", "s", "x")
	h.is(hlErr("ERR syntax error"), "SRANDMEMBER", "s", "1", "2")
	h.is(hlErr("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
		"SRANDMEMBER", "s", "-9223372036854775808")
	// herodb builds replies in memory: a repeat count that could never be sent is refused.
	h.is(hlErr("ERR SRANDMEMBER count is too large: the reply would exceed the output limit"),
		"SRANDMEMBER", "s", "-9223372036854775807")
	check("SRANDMEMBER max", h.strs("SRANDMEMBER", "s", "9223372036854775807"), 5, true, all)

	// SPOP removes what it answers.
	popped := map[string]bool{}
	got, err := h.do("SPOP", "s")
	if err != nil || !slices.Contains(all, got.(string)) {
		t.Fatalf("SPOP: %v %v", got, err)
	}
	popped[got.(string)] = true
	two := h.strs("SPOP", "s", "2")
	check("SPOP 2", two, 2, true, all)
	for _, m := range two {
		if popped[m] {
			t.Fatalf("SPOP answered %q twice", m)
		}
		popped[m] = true
	}
	h.is(2, "SCARD", "s")
	for m := range popped {
		h.is(0, "SISMEMBER", "s", m)
	}
	h.is([]any{}, "SPOP", "s", "0")
	rest := h.strs("SPOP", "s", "10")
	check("SPOP rest", rest, 2, true, all)
	h.is(0, "EXISTS", "s") // the key goes with its last member
	h.is(hlNil, "SPOP", "s")
	h.is(hlNil, "SPOP", "nokey")
	h.is([]any{}, "SPOP", "nokey", "3")
	h.is(hlErr("ERR value is out of range, must be positive"), "SPOP", "s", "-1")
	h.is(hlErr("ERR value is out of range, must be positive"), "SPOP", "s", "x")
	h.is(hlErr("ERR syntax error"), "SPOP", "s", "1", "2")
	h.is(1, "SADD", "one", "x")
	h.is("x", "SPOP", "one")
	h.is(0, "EXISTS", "one")
}

// TestSetRandomBig draws from a set above the size that is read whole: each draw is a
// seek to a random digest.
func TestSetRandomBig(t *testing.T) {
	h := hlNewClient(t)
	const n = 600
	args := []any{"SADD", "big"}
	var all []string
	for i := range n {
		all = append(all, fmt.Sprintf("m%03d", i))
		args = append(args, all[i])
	}
	h.is(n, args...)
	distinct := func(what string, got []string, want int) {
		t.Helper()
		if len(got) != want || len(slices.Compact(hlSorted(got))) != want {
			t.Fatalf("%s: %d members, %d distinct, want %d", what, len(got), len(slices.Compact(hlSorted(got))), want)
		}
		for _, m := range got {
			if !slices.Contains(all, m) {
				t.Fatalf("%s: unknown %q", what, m)
			}
		}
	}
	distinct("SRANDMEMBER 50", h.strs("SRANDMEMBER", "big", "50"), 50)
	distinct("SRANDMEMBER 400", h.strs("SRANDMEMBER", "big", "400"), 400) // over a quarter: read whole
	neg := h.strs("SRANDMEMBER", "big", "-2000")
	if len(neg) != 2000 {
		t.Fatalf("SRANDMEMBER -2000: %d", len(neg))
	}
	if d := len(slices.Compact(hlSorted(neg))); d < n/2 {
		t.Errorf("SRANDMEMBER -2000 over %d members drew only %d distinct", n, d)
	}
	popped := h.strs("SPOP", "big", "100")
	distinct("SPOP 100", popped, 100)
	h.is(n-100, "SCARD", "big")
	for _, m := range popped[:10] {
		h.is(0, "SISMEMBER", "big", m)
	}
	left := h.strs("SMEMBERS", "big")
	distinct("SMEMBERS after SPOP", append(left, popped...), n)
	for range 20 {
		h.do("SPOP", "big")
	}
	h.is(n-120, "SCARD", "big")
	distinct("SPOP the rest", h.strs("SPOP", "big", "1000"), n-120)
	h.is(0, "EXISTS", "big")
}

func TestSetMoveAndCombine(t *testing.T) {
	h := hlNewClient(t)
	ctx := context.Background()
	h.is(3, "SADD", "a", "1", "2", "3")
	h.is(2, "SADD", "b", "3", "4")

	h.is(1, "SMOVE", "a", "b", "1")
	tEq(t, "a", h.sorted("SMEMBERS", "a"), []string{"2", "3"})
	tEq(t, "b", h.sorted("SMEMBERS", "b"), []string{"1", "3", "4"})
	h.is(1, "SMOVE", "a", "b", "3") // already in b: only leaves a
	h.is(1, "SCARD", "a")
	h.is(3, "SCARD", "b")
	h.is(0, "SMOVE", "a", "b", "nope")
	h.is(1, "SMOVE", "a", "a", "2")
	h.is(0, "SMOVE", "a", "a", "nope")
	h.is(0, "SMOVE", "nokey", "b", "1")
	tEq(t, "SMove typed", h.rdb.SMove(ctx, "a", "fresh", "2").Val(), true)
	h.is(0, "EXISTS", "a") // the source goes with its last member
	h.is([]string{"2"}, "SMEMBERS", "fresh")

	h.is("OK", "FLUSHDB")
	h.is(4, "SADD", "a", "1", "2", "3", "4")
	h.is(3, "SADD", "b", "3", "4", "5")
	h.is(3, "SADD", "c", "4", "5", "6")
	tEq(t, "SINTER", h.sorted("SINTER", "a", "b"), []string{"3", "4"})
	tEq(t, "SINTER 3", h.sorted("SINTER", "a", "b", "c"), []string{"4"})
	tEq(t, "SINTER one", h.sorted("SINTER", "a"), []string{"1", "2", "3", "4"})
	tEq(t, "SINTER self", h.sorted("SINTER", "a", "a"), []string{"1", "2", "3", "4"})
	h.is([]any{}, "SINTER", "a", "nokey")
	tEq(t, "SUNION", hlSorted(h.rdb.SUnion(ctx, "a", "b", "nokey").Val()), []string{"1", "2", "3", "4", "5"})
	h.is([]any{}, "SUNION", "nokey")
	tEq(t, "SDIFF", h.sorted("SDIFF", "a", "b"), []string{"1", "2"})
	tEq(t, "SDIFF 3", h.sorted("SDIFF", "a", "b", "c"), []string{"1", "2"})
	tEq(t, "SDIFF nokey", h.sorted("SDIFF", "a", "nokey"), []string{"1", "2", "3", "4"})
	h.is([]any{}, "SDIFF", "nokey", "a")
	h.is([]any{}, "SDIFF", "a", "a")

	h.is(2, "SINTERCARD", "2", "a", "b")
	h.is(1, "SINTERCARD", "3", "a", "b", "c")
	h.is(0, "SINTERCARD", "2", "a", "nokey")
	h.is(2, "SINTERCARD", "1", "a", "LIMIT", "2")
	h.is(4, "SINTERCARD", "1", "a", "limit", "0")
	h.is(4, "SINTERCARD", "1", "a", "LIMIT", "100")
	tEq(t, "SInterCard typed", h.rdb.SInterCard(ctx, 0, "a", "b").Val(), int64(2))
	tEq(t, "SInterCard typed LIMIT", h.rdb.SInterCard(ctx, 1, "a", "b").Val(), int64(1))
	h.is(hlErr("ERR numkeys should be greater than 0"), "SINTERCARD", "0", "a")
	h.is(hlErr("ERR numkeys should be greater than 0"), "SINTERCARD", "-1", "a")
	h.is(hlErr("ERR numkeys should be greater than 0"), "SINTERCARD", "x", "a")
	h.is(hlErr("ERR Number of keys can't be greater than number of args"), "SINTERCARD", "3", "a", "b")
	h.is(hlErr("ERR syntax error"), "SINTERCARD", "1", "a", "LIMIT")
	h.is(hlErr("ERR syntax error"), "SINTERCARD", "1", "a", "FOO", "1")
	h.is(hlErr("ERR LIMIT can't be negative"), "SINTERCARD", "1", "a", "LIMIT", "-1")
	h.is(hlErr("ERR LIMIT can't be negative"), "SINTERCARD", "1", "a", "LIMIT", "x")

	// STORE: the result replaces the destination, whatever it held; an empty one deletes it.
	h.is(2, "SINTERSTORE", "d", "a", "b")
	tEq(t, "SINTERSTORE", h.sorted("SMEMBERS", "d"), []string{"3", "4"})
	h.is(5, "SUNIONSTORE", "d", "a", "b")
	h.is(5, "SCARD", "d")
	h.is(2, "SDIFFSTORE", "d", "a", "b")
	tEq(t, "SDIFFSTORE", h.sorted("SMEMBERS", "d"), []string{"1", "2"})
	h.is(0, "SINTERSTORE", "d", "a", "nokey")
	h.is(0, "EXISTS", "d")
	h.is("OK", "SET", "str", "v")
	h.is(2, "SINTERSTORE", "str", "a", "b")
	h.is("set", "TYPE", "str")
	h.is("OK", "SET", "str", "v")
	h.is(0, "SUNIONSTORE", "str", "nokey")
	h.is(0, "EXISTS", "str")
	h.is(1, "SADD", "t", "x")
	h.is(1, "EXPIRE", "t", "100")
	h.is(4, "SUNIONSTORE", "t", "a")
	h.is(-1, "TTL", "t") // a new key: the old one's expiry went with it
	// The destination among the sources: the result is computed first.
	h.is(5, "SUNIONSTORE", "a", "a", "b")
	tEq(t, "SUNIONSTORE onto a source", h.sorted("SMEMBERS", "a"), []string{"1", "2", "3", "4", "5"})
	h.is(2, "SDIFFSTORE", "a", "a", "b")
	tEq(t, "SDIFFSTORE onto a source", h.sorted("SMEMBERS", "a"), []string{"1", "2"})
	tEq(t, "SInterStore typed", h.rdb.SInterStore(ctx, "a", "b", "a").Val(), int64(0))
	h.is(0, "EXISTS", "a")
}

func TestSetWrongTypeAndArity(t *testing.T) {
	h := hlNewClient(t)
	h.is("OK", "SET", "str", "v")
	h.is(1, "HSET", "h", "f", "v")
	h.is(1, "RPUSH", "l", "x")
	h.is(1, "SADD", "s", "m")
	for _, k := range []string{"str", "h", "l"} {
		for _, args := range [][]any{
			{"SADD", k, "a"}, {"SREM", k, "a"}, {"SMEMBERS", k}, {"SISMEMBER", k, "a"},
			{"SMISMEMBER", k, "a"}, {"SCARD", k}, {"SPOP", k}, {"SPOP", k, "0"}, {"SPOP", k, "2"},
			{"SRANDMEMBER", k}, {"SRANDMEMBER", k, "0"}, {"SRANDMEMBER", k, "-2"},
			{"SMOVE", k, "s", "a"}, {"SMOVE", "s", k, "m"}, {"SMOVE", k, k, "a"},
			{"SINTER", "s", k}, {"SINTER", "nokey", k}, {"SUNION", k, "s"}, {"SDIFF", "s", k},
			{"SDIFF", "nokey", k}, {"SINTERSTORE", "d", "s", k}, {"SUNIONSTORE", "d", k},
			{"SDIFFSTORE", "d", "nokey", k}, {"SINTERCARD", "2", "nokey", k}, {"SSCAN", k, "0"},
		} {
			h.is(hlErr(hlWrongType), args...)
		}
	}
	// Nothing moved, nothing stored.
	h.is("v", "GET", "str")
	h.is([]string{"m"}, "SMEMBERS", "s")
	h.is(0, "EXISTS", "d")
	h.is(0, "SMOVE", "nokey", "str", "a") // an absent source answers 0 before any type check

	// The other types' commands refuse the set.
	for _, args := range [][]any{
		{"GET", "s"}, {"INCR", "s"}, {"APPEND", "s", "x"}, {"STRLEN", "s"}, {"GETRANGE", "s", "0", "1"},
		{"SET", "s", "v", "GET"}, {"GETDEL", "s"}, {"HSET", "s", "f", "v"}, {"HGET", "s", "f"},
		{"HGETALL", "s"}, {"HLEN", "s"}, {"HDEL", "s", "f"}, {"LPUSH", "s", "x"}, {"RPUSH", "s", "x"},
		{"LRANGE", "s", "0", "-1"}, {"LLEN", "s"}, {"LPOP", "s"}, {"LMOVE", "l", "s", "LEFT", "LEFT"},
		{"LMOVE", "s", "l", "LEFT", "LEFT"},
	} {
		h.is(hlErr(hlWrongType), args...)
	}
	h.is([]string{"m"}, "SMEMBERS", "s")
	h.is([]string{"x"}, "LRANGE", "l", "0", "-1")
	// SET replaces a set, as any value.
	h.is("OK", "SET", "s", "now-a-string")
	h.is("string", "TYPE", "s")

	for _, args := range [][]any{
		{"SADD", "s"}, {"SREM", "s"}, {"SMEMBERS"}, {"SMEMBERS", "a", "b"}, {"SISMEMBER", "s"},
		{"SISMEMBER", "s", "a", "b"}, {"SMISMEMBER", "s"}, {"SCARD"}, {"SCARD", "a", "b"}, {"SPOP"},
		{"SRANDMEMBER"}, {"SMOVE", "a", "b"}, {"SMOVE", "a", "b", "c", "d"}, {"SINTER"}, {"SUNION"},
		{"SDIFF"}, {"SINTERSTORE", "d"}, {"SUNIONSTORE", "d"}, {"SDIFFSTORE", "d"}, {"SINTERCARD", "1"},
		{"SSCAN", "s"},
	} {
		name := strings.ToLower(args[0].(string))
		h.is(hlErr(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)), args...)
	}
}

func TestSetScan(t *testing.T) {
	h := hlNewClient(t)
	const n = 100
	args := []any{"SADD", "s"}
	want := map[string]bool{}
	for i := range n {
		m := fmt.Sprintf("member:%d", i)
		args = append(args, m)
		want[m] = true
	}
	h.is(n, args...)

	scanAll := func(opts ...any) ([]string, int) {
		t.Helper()
		var out []string
		cursor, calls := "0", 0
		for {
			got, err := h.do(append([]any{"SSCAN", "s", cursor}, opts...)...)
			if err != nil {
				t.Fatalf("SSCAN %v: %v", opts, err)
			}
			arr := got.([]any)
			for _, e := range arr[1].([]any) {
				out = append(out, e.(string))
			}
			calls++
			if cursor = arr[0].(string); cursor == "0" {
				return out, calls
			}
			if calls > 10*n {
				t.Fatal("SSCAN does not end")
			}
		}
	}
	got, calls := scanAll("COUNT", "7")
	if calls < n/7 {
		t.Errorf("SSCAN COUNT 7 took %d calls for %d members", calls, n)
	}
	seen := map[string]bool{}
	for _, m := range got {
		if seen[m] || !want[m] {
			t.Errorf("SSCAN returned %q twice or unknown", m)
		}
		seen[m] = true
	}
	if len(seen) != n {
		t.Fatalf("SSCAN saw %d members, want %d", len(seen), n)
	}
	if got, _ := scanAll(); len(got) != n {
		t.Errorf("SSCAN default count: %d members", len(got))
	}
	matched, _ := scanAll("MATCH", "member:1*", "COUNT", "13")
	if len(matched) != 11 {
		t.Errorf("SSCAN MATCH member:1*: %q", matched)
	}
	for _, m := range matched {
		if !strings.HasPrefix(m, "member:1") {
			t.Errorf("SSCAN MATCH returned %q", m)
		}
	}
	// go-redis's iterator walks it too.
	var it []string
	iter := h.rdb.SScan(context.Background(), "s", 0, "member:4*", 5).Iterator()
	for iter.Next(context.Background()) {
		it = append(it, iter.Val())
	}
	tNoErr(t, "SScan iterator", iter.Err())
	tEq(t, "SScan iterator", len(it), 11)

	// Members added while a scan runs do not hide those present throughout.
	first, err := h.do("SSCAN", "s", "0", "COUNT", "20")
	tNoErr(t, "SSCAN", err)
	h.is(1, "SADD", "s", "late")
	var rest []string
	for page := first.([]any); ; {
		for _, e := range page[1].([]any) {
			rest = append(rest, e.(string))
		}
		if page[0] == "0" {
			break
		}
		next, err := h.do("SSCAN", "s", page[0], "COUNT", "20")
		tNoErr(t, "SSCAN", err)
		page = next.([]any)
	}
	for m := range want {
		if !slices.Contains(rest, m) {
			t.Fatalf("SSCAN across a write lost %q", m)
		}
	}

	h.is([]any{"0", []any{}}, "SSCAN", "nokey", "0")
	h.is([]any{"0", []any{}}, "SSCAN", "nokey", "0", "FOO")
	h.is(hlErr("ERR invalid cursor"), "SSCAN", "s", "abc")
	h.is(hlErr("ERR syntax error"), "SSCAN", "s", "0", "COUNT", "0")
	h.is(hlErr("ERR value is not an integer or out of range"), "SSCAN", "s", "0", "COUNT", "x")
	h.is(hlErr("ERR syntax error"), "SSCAN", "s", "0", "MATCH")
	h.is(hlErr("ERR syntax error"), "SSCAN", "s", "0", "TYPE", "set")
	h.is(hlErr("ERR syntax error"), "SSCAN", "s", "0", "NOVALUES")

	// SCAN TYPE set finds sets and nothing else.
	h.is("OK", "SET", "str", "v")
	h.is(1, "HSET", "h", "f", "v")
	h.is(1, "RPUSH", "l", "x")
	h.is(1, "SADD", "s2", "x")
	keys, _, err := h.rdb.ScanType(context.Background(), 0, "*", 1000, "set").Result()
	tNoErr(t, "SCAN TYPE set", err)
	tEq(t, "SCAN TYPE set", hlSorted(keys), []string{"s", "s2"})
	keys, _, _ = h.rdb.ScanType(context.Background(), 0, "*", 1000, "SET").Result()
	tEq(t, "SCAN TYPE SET", hlSorted(keys), []string{"s", "s2"})
	keys, _, _ = h.rdb.ScanType(context.Background(), 0, "*", 1000, "list").Result()
	tEq(t, "SCAN TYPE list", keys, []string{"l"})
}

func TestSetExpiry(t *testing.T) {
	clk := tNewClock()
	srv, db := tServer(t, herodbtest.Options{Clock: clk})
	rdb := tClient(t, srv.Addr(), db)
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "SADD", rdb.SAdd(tCtx, "s", "a", "b").Val(), int64(2))
	tEq(t, "TTL none", c.do("TTL", "s"), tInt(-1))
	tEq(t, "EXPIRE", rdb.Expire(tCtx, "s", 10*time.Second).Val(), true)
	tEq(t, "TTL", c.do("TTL", "s"), tInt(10))
	tEq(t, "SADD keeps the TTL", rdb.SAdd(tCtx, "s", "c").Val(), int64(1))
	tEq(t, "SREM keeps the TTL", rdb.SRem(tCtx, "s", "c").Val(), int64(1))
	tEq(t, "TTL after writes", c.do("TTL", "s"), tInt(10))
	tEq(t, "SMOVE into it keeps its TTL", c.do("SADD", "src", "z"), tInt(1))
	tEq(t, "SMOVE", rdb.SMove(tCtx, "src", "s", "z").Val(), true)
	tEq(t, "TTL after SMOVE", c.do("TTL", "s"), tInt(10))
	tEq(t, "PERSIST", rdb.Persist(tCtx, "s").Val(), true)
	tEq(t, "TTL after PERSIST", c.do("TTL", "s"), tInt(-1))
	tEq(t, "PEXPIRE", rdb.PExpire(tCtx, "s", 1500*time.Millisecond).Val(), true)

	clk.Add(1499 * time.Millisecond)
	tEq(t, "not yet", rdb.SCard(tCtx, "s").Val(), int64(3))
	clk.Add(time.Millisecond)
	tEq(t, "SCARD expired", rdb.SCard(tCtx, "s").Val(), int64(0))
	tEq(t, "SISMEMBER expired", rdb.SIsMember(tCtx, "s", "a").Val(), false)
	tEq(t, "SMEMBERS expired", c.do("SMEMBERS", "s"), "*0\r\n")
	tEq(t, "TYPE expired", c.do("TYPE", "s"), "+none\r\n")
	hidden, _ := rdb.ScanType(tCtx, 0, "*", 100, "set").Val()
	tEq(t, "SCAN TYPE set hides it", len(hidden), 0) // src went with its one member
	// A new set under the name starts empty: none of the old members come back.
	tEq(t, "SADD after expiry", rdb.SAdd(tCtx, "s", "n").Val(), int64(1))
	tEq(t, "fresh set", rdb.SMembers(tCtx, "s").Val(), []string{"n"})
	tEq(t, "fresh TTL", c.do("TTL", "s"), tInt(-1))

	// The sweeper removes an expired set without anyone reading it.
	tEq(t, "SADD big", c.do("SADD", "gone", "1", "2", "3"), tInt(3))
	tEq(t, "EXPIRE big", c.do("EXPIRE", "gone", "5"), tInt(1))
	n := rdb.DBSize(tCtx).Val()
	clk.Add(time.Minute)
	tEventually(t, "sweeper removes the expired set", func() bool { return rdb.DBSize(tCtx).Val() == n-1 })
}

func TestSetMulti(t *testing.T) {
	h := hlNewClient(t)
	ctx := context.Background()
	h.is("OK", "SET", "str", "v")
	cmds, err := h.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, "m", "a", "b", "c")
		p.SRem(ctx, "m", "a")
		p.SAdd(ctx, "str", "x") // WRONGTYPE inside EXEC is that command's reply only
		p.SInterStore(ctx, "d", "m")
		p.SMove(ctx, "m", "e", "b")
		p.SCard(ctx, "m")
		p.SMembers(ctx, "e")
		return nil
	})
	if err == nil || err.Error() != hlWrongType {
		t.Fatalf("EXEC: %v, want the WRONGTYPE of the one failing command", err)
	}
	tEq(t, "SADD in EXEC", cmds[0].(*redis.IntCmd).Val(), int64(3))
	tEq(t, "SREM in EXEC", cmds[1].(*redis.IntCmd).Val(), int64(1))
	tErrIs(t, "SADD str in EXEC", cmds[2].Err(), "WRONGTYPE")
	tEq(t, "SINTERSTORE in EXEC", cmds[3].(*redis.IntCmd).Val(), int64(2))
	tEq(t, "SMOVE in EXEC", cmds[4].(*redis.BoolCmd).Val(), true)
	tEq(t, "SCARD in EXEC", cmds[5].(*redis.IntCmd).Val(), int64(1))
	tEq(t, "SMEMBERS in EXEC", cmds[6].(*redis.StringSliceCmd).Val(), []string{"b"})
	tEq(t, "after EXEC", hlSorted(h.rdb.SMembers(ctx, "d").Val()), []string{"b", "c"})

	// A queued command with the wrong arity discards the whole transaction.
	_, err = h.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, "m2", "x")
		p.Do(ctx, "SADD", "m2")
		return nil
	})
	tErrIs(t, "EXECABORT", err, "EXECABORT")
	h.is(0, "EXISTS", "m2")

	// WATCH sees set writes to every key a command names: SMOVE's destination and a
	// STORE's destination too.
	other := redis.NewClient(&redis.Options{Addr: h.srv.Addr(), DB: int(h.db), Protocol: 2})
	defer other.Close()
	for _, write := range []func() error{
		func() error { return other.SAdd(ctx, "w", "x").Err() },
		func() error { return other.SMove(ctx, "d", "w", "c").Err() },
		func() error { return other.SUnionStore(ctx, "w", "d").Err() },
		func() error { return other.SPop(ctx, "w").Err() },
	} {
		err := h.rdb.Watch(ctx, func(tx *redis.Tx) error {
			if err := write(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.SAdd(ctx, "w", "mine")
				return nil
			})
			return err
		}, "w")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after a watched set changed: %v, want a failed transaction", err)
		}
	}
	h.is(0, "SISMEMBER", "w", "mine")
	// A read of the watched key does not.
	err = h.rdb.Watch(ctx, func(tx *redis.Tx) error {
		other.SMembers(ctx, "w")
		other.SInterCard(ctx, 1, "w")
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.SAdd(ctx, "w", "mine")
			return nil
		})
		return err
	}, "w")
	tNoErr(t, "EXEC after reads only", err)
	h.is(1, "SISMEMBER", "w", "mine")
}

// TestSetNoPlaintextOnDisk writes known key names and members through every writing set
// command, then reads every file of the data directory (tenant files, DB 0, the log)
// and looks for each of them, before and after a restart's replay and flush.
func TestSetNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	srv, db := tServer(t, herodbtest.Options{Dir: dir})
	rdb := tClient(t, srv.Addr(), db)
	secrets := []string{
		"setkey-zebra-7731", "member-platypus-9920", "member-quokka-4410", "member-wombat-5521",
		"setkey-narwhal-6632", "member-axolotl-8843", "setkey-pangolin-1177", "member-okapi-2288",
		"setkey-capybara-3399",
	}
	tNoErr(t, "SADD", rdb.SAdd(tCtx, secrets[0], secrets[1], secrets[2], secrets[3]).Err())
	tNoErr(t, "SADD", rdb.SAdd(tCtx, secrets[4], secrets[5], secrets[7]).Err())
	tNoErr(t, "SMOVE", rdb.SMove(tCtx, secrets[0], secrets[4], secrets[1]).Err())
	tNoErr(t, "SUNIONSTORE", rdb.SUnionStore(tCtx, secrets[6], secrets[0], secrets[4]).Err())
	tNoErr(t, "RENAME", rdb.Rename(tCtx, secrets[6], secrets[8]).Err())
	tNoErr(t, "SPOP", rdb.SPop(tCtx, secrets[0]).Err())
	tNoErr(t, "SREM", rdb.SRem(tCtx, secrets[4], secrets[7]).Err())
	want := hlSorted(rdb.SMembers(tCtx, secrets[8]).Val())
	check := func() {
		t.Helper()
		n := 0
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n++
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s holds %q in the clear", path, s)
				}
			}
			return nil
		})
		tNoErr(t, "walk", err)
		if n < 2 {
			t.Errorf("only %d files in %s", n, dir)
		}
	}
	check() // the log, before any flush
	tNoErr(t, "Close", srv.Close())
	check() // the files, flushed

	srv2 := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	rdb2 := tClient(t, srv2.Addr(), db)
	tEq(t, "after restart", hlSorted(rdb2.SMembers(tCtx, secrets[8]).Val()), want)
	tEq(t, "SISMEMBER after restart", rdb2.SIsMember(tCtx, secrets[4], secrets[1]).Val(), true)
	tNoErr(t, "Close", srv2.Close())
	check()
}

// TestSetCommandTable checks the set rows through COMMAND INFO: arity, flags and key
// positions (SMOVE names two keys, the STORE forms and SINTER all of theirs, SINTERCARD
// none at fixed places, as Redis).
func TestSetCommandTable(t *testing.T) {
	h := hlNewClient(t)
	rows := map[string][]any{
		"sadd":        {"sadd", -3, []any{"write", "fast"}, 1, 1, 1},
		"srem":        {"srem", -3, []any{"write", "fast"}, 1, 1, 1},
		"smembers":    {"smembers", 2, []any{"readonly"}, 1, 1, 1},
		"sismember":   {"sismember", 3, []any{"readonly", "fast"}, 1, 1, 1},
		"smismember":  {"smismember", -3, []any{"readonly", "fast"}, 1, 1, 1},
		"scard":       {"scard", 2, []any{"readonly", "fast"}, 1, 1, 1},
		"spop":        {"spop", -2, []any{"write", "fast"}, 1, 1, 1},
		"srandmember": {"srandmember", -2, []any{"readonly"}, 1, 1, 1},
		"smove":       {"smove", 4, []any{"write", "fast"}, 1, 2, 1},
		"sinter":      {"sinter", -2, []any{"readonly"}, 1, -1, 1},
		"sunion":      {"sunion", -2, []any{"readonly"}, 1, -1, 1},
		"sdiff":       {"sdiff", -2, []any{"readonly"}, 1, -1, 1},
		"sinterstore": {"sinterstore", -3, []any{"write"}, 1, -1, 1},
		"sunionstore": {"sunionstore", -3, []any{"write"}, 1, -1, 1},
		"sdiffstore":  {"sdiffstore", -3, []any{"write"}, 1, -1, 1},
		"sintercard":  {"sintercard", -3, []any{"readonly", "movablekeys"}, 0, 0, 0},
		"sscan":       {"sscan", -3, []any{"readonly"}, 1, 1, 1},
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
