package storage_test

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

func TestHashBasics(t *testing.T) {
	e := newEnv(t)
	hset := func(name string, pairs ...string) int64 {
		return run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte(name), bs(pairs...)) })
	}
	if n := hset("h", "f1", "v1", "f2", "v2"); n != 2 {
		t.Fatalf("HSET = %d", n)
	}
	// An existing field is replaced, not counted; a field repeated in one call counts once.
	if n := hset("h", "f1", "x", "f3", "a", "f3", "b"); n != 1 {
		t.Fatalf("HSET update = %d", n)
	}
	want := map[string]string{"f1": "x", "f2": "v2", "f3": "b"}
	if got := hgetall(t, e, "h"); !maps.Equal(got, want) {
		t.Fatalf("HGETALL = %v", got)
	}
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.HLen([]byte("h")) }); n != 3 {
		t.Fatalf("HLEN = %d", n)
	}
	if v, ok := hget(t, e, "h", "f2"); !ok || v != "v2" {
		t.Fatalf("HGET = %q %v", v, ok)
	}
	if _, ok := hget(t, e, "h", "nope"); ok {
		t.Fatal("HGET absent field found")
	}
	if _, ok := hget(t, e, "nokey", "f"); ok {
		t.Fatal("HGET absent key found")
	}
	hex := func(f string) bool {
		return view(t, e, func(tx *storage.Tx) (bool, error) { return tx.HExists([]byte("h"), []byte(f)) })
	}
	if !hex("f1") || hex("nope") {
		t.Fatal("HEXISTS")
	}
	// HSETNX
	if run(t, e, func(tx *storage.Tx) (bool, error) { return tx.HSetNX([]byte("h"), []byte("f1"), []byte("no")) }) {
		t.Fatal("HSETNX on existing field = true")
	}
	if !run(t, e, func(tx *storage.Tx) (bool, error) { return tx.HSetNX([]byte("h"), []byte("f4"), []byte("yes")) }) {
		t.Fatal("HSETNX on new field = false")
	}
	if !run(t, e, func(tx *storage.Tx) (bool, error) { return tx.HSetNX([]byte("h2"), []byte("f"), []byte("v")) }) {
		t.Fatal("HSETNX on new key = false")
	}
	want["f4"] = "yes"
	e.reopen()
	if got := hgetall(t, e, "h"); !maps.Equal(got, want) {
		t.Fatalf("HGETALL after reopen = %v", got)
	}
	// Empty field names and values are fine; binary too.
	hset("h2", "", "", "\x00\xff", "bin\x00")
	if got := hgetall(t, e, "h2"); !maps.Equal(got, map[string]string{"f": "v", "": "", "\x00\xff": "bin\x00"}) {
		t.Fatalf("HGETALL h2 = %q", got)
	}
	// The same field name in two hashes is two independent fields.
	hset("other", "f1", "other")
	if v, _ := hget(t, e, "h", "f1"); v != "x" {
		t.Fatalf("h.f1 = %q", v)
	}
	// HDEL: counts only existing fields; the key goes with its last field.
	hdel := func(name string, fields ...string) int64 {
		return run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HDel([]byte(name), bs(fields...)) })
	}
	if n := hdel("h", "f1", "nope", "f1"); n != 1 {
		t.Fatalf("HDEL = %d", n)
	}
	if n := hdel("nokey", "f"); n != 0 {
		t.Fatalf("HDEL absent key = %d", n)
	}
	if n := hdel("h", "f2", "f3", "f4"); n != 3 {
		t.Fatalf("HDEL rest = %d", n)
	}
	wantAbsent(t, e, "h")
	if got := hgetall(t, e, "h"); len(got) != 0 {
		t.Fatalf("HGETALL of deleted hash = %v", got)
	}
	// Recreated, it starts empty.
	hset("h", "z", "1")
	if got := hgetall(t, e, "h"); !maps.Equal(got, map[string]string{"z": "1"}) {
		t.Fatalf("recreated hash = %v", got)
	}
}

func TestHashReturnsCopies(t *testing.T) {
	e := newEnv(t)
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("field", "value")) })
	flat := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.HGetAll([]byte("h")) })
	_ = append(flat[0], "XXXXX"...) // must not write into the value
	if string(flat[1]) != "value" {
		t.Fatalf("appending to a field changed its value: %q", flat[1])
	}
}

func TestHashIncr(t *testing.T) {
	e := newEnv(t)
	hincr := func(f string, d int64) (int64, error) {
		var n int64
		err := runErr(e, func(tx *storage.Tx) error {
			var err error
			n, err = tx.HIncrBy([]byte("h"), []byte(f), d)
			return err
		})
		return n, err
	}
	if n, err := hincr("n", 5); err != nil || n != 5 {
		t.Fatalf("HINCRBY new = %d %v", n, err)
	}
	if n, err := hincr("n", -10); err != nil || n != -5 {
		t.Fatalf("HINCRBY = %d %v", n, err)
	}
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.HLen([]byte("h")) }); n != 1 {
		t.Fatalf("HLEN = %d", n)
	}
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.HSet([]byte("h"), bs("max", "9223372036854775807", "s", "abc", "fl", "1.5"))
	})
	if _, err := hincr("max", 1); !errors.Is(err, storage.ErrOverflow) {
		t.Fatalf("HINCRBY overflow: %v", err)
	}
	if n, err := hincr("max", math.MinInt64); err != nil || n != -1 {
		t.Fatalf("HINCRBY max+min = %d %v", n, err)
	}
	for _, f := range []string{"s", "fl"} {
		if _, err := hincr(f, 1); !errors.Is(err, storage.ErrNotInteger) {
			t.Fatalf("HINCRBY %s: %v", f, err)
		}
	}
	hincrf := func(f string, d float64) (string, error) {
		var out []byte
		err := runErr(e, func(tx *storage.Tx) error {
			var err error
			out, err = tx.HIncrByFloat([]byte("h"), []byte(f), d)
			return err
		})
		return string(out), err
	}
	// Redis docs: HSET mykey field 10.50; HINCRBYFLOAT 0.1 -> 10.6; -5 -> 5.6; 5.0e3 + 2.0e2 -> 5200.
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("field", "10.50")) })
	if v, err := hincrf("field", 0.1); err != nil || v != "10.6" {
		t.Fatalf("HINCRBYFLOAT = %q %v", v, err)
	}
	if v, err := hincrf("field", -5); err != nil || v != "5.6" {
		t.Fatalf("HINCRBYFLOAT = %q %v", v, err)
	}
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("field", "5.0e3")) })
	if v, err := hincrf("field", 2.0e2); err != nil || v != "5200" {
		t.Fatalf("HINCRBYFLOAT = %q %v", v, err)
	}
	if v, err := hincrf("newf", 1.5); err != nil || v != "1.5" {
		t.Fatalf("HINCRBYFLOAT new field = %q %v", v, err)
	}
	if _, err := hincrf("s", 1); !errors.Is(err, storage.ErrNotFloat) {
		t.Fatalf("HINCRBYFLOAT abc: %v", err)
	}
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("big", "1e308")) })
	if _, err := hincrf("big", 1e308); !errors.Is(err, storage.ErrNaN) {
		t.Fatalf("HINCRBYFLOAT to inf: %v", err)
	}
	if v, _ := hget(t, e, "h", "big"); v != "1e308" {
		t.Fatalf("failed HINCRBYFLOAT changed the value: %q", v)
	}
	// A failed increment on a new key creates nothing.
	err := runErr(e, func(tx *storage.Tx) error {
		_, err := tx.HIncrByFloat([]byte("newkey"), []byte("f"), math.Inf(1))
		return err
	})
	if !errors.Is(err, storage.ErrNaN) {
		t.Fatalf("HINCRBYFLOAT inf: %v", err)
	}
	wantAbsent(t, e, "newkey")
}

func TestHScan(t *testing.T) {
	e := newEnv(t)
	if next, pairs := hscan(t, e, "absent", 0, nil, 10); next != 0 || len(pairs) != 0 {
		t.Fatalf("HSCAN absent = %d %q", next, pairs)
	}
	const n = 150
	for i := range n {
		run(t, e, func(tx *storage.Tx) (int64, error) {
			return tx.HSet([]byte("h"), bs(fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i)))
		})
	}
	seen := map[string]int{}
	var cursor uint64
	calls := 0
	for {
		next, pairs := hscan(t, e, "h", cursor, nil, 4)
		calls++
		for i := 0; i < len(pairs); i += 2 {
			f, v := string(pairs[i]), string(pairs[i+1])
			if f[0] == 'f' && "v"+f[1:] != v {
				t.Fatalf("HSCAN pair %q=%q", f, v)
			}
			seen[f]++
		}
		// Fields added between calls.
		run(t, e, func(tx *storage.Tx) (int64, error) {
			return tx.HSet([]byte("h"), bs(fmt.Sprintf("g%d", calls), "x"))
		})
		if cursor = next; cursor == 0 {
			break
		}
	}
	if calls < n/4 {
		t.Fatalf("HSCAN took %d calls", calls)
	}
	for i := range n {
		if c := seen[fmt.Sprintf("f%d", i)]; c != 1 {
			t.Fatalf("f%d seen %d times", i, c)
		}
	}
	// MATCH
	var matched []string
	cursor = 0
	for {
		next, pairs := hscan(t, e, "h", cursor, []byte("f1?"), 20)
		for i := 0; i < len(pairs); i += 2 {
			matched = append(matched, string(pairs[i]))
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	if want := []string{"f10", "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19"}; !slices.Equal(sorted(matched), want) {
		t.Fatalf("HSCAN MATCH = %q", matched)
	}
}

func hscan(t testing.TB, e *env, name string, cursor uint64, match []byte, count int) (uint64, [][]byte) {
	t.Helper()
	type page struct {
		next  uint64
		pairs [][]byte
	}
	p := view(t, e, func(tx *storage.Tx) (page, error) {
		next, pairs, err := tx.HScan([]byte(name), cursor, match, count)
		return page{next, pairs}, err
	})
	return p.next, p.pairs
}
