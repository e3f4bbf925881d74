package storage_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

func TestSetGet(t *testing.T) {
	e := newEnv(t)
	if _, ok := get(t, e, "k"); ok {
		t.Fatal("absent key found")
	}
	set(t, e, "k", "v")
	wantGet(t, e, "k", "v")
	set(t, e, "empty", "")
	wantGet(t, e, "empty", "")
	set(t, e, "k", "v2")
	wantGet(t, e, "k", "v2")
	e.reopen()
	wantGet(t, e, "k", "v2")
	wantGet(t, e, "empty", "")
	// Binary-safe names and values.
	bin := string([]byte{0, 1, 2, 255, '\n'})
	set(t, e, bin, bin)
	wantGet(t, e, bin, bin)
}

func TestSetOptions(t *testing.T) {
	e := newEnv(t)
	setOpt := func(name, value string, opt storage.SetOptions) storage.SetResult {
		t.Helper()
		return run(t, e, func(tx *storage.Tx) (storage.SetResult, error) {
			return tx.Set([]byte(name), []byte(value), opt)
		})
	}
	// NX
	if r := setOpt("k", "1", storage.SetOptions{NX: true}); !r.Done {
		t.Fatal("SET NX on absent key not done")
	}
	if r := setOpt("k", "2", storage.SetOptions{NX: true}); r.Done {
		t.Fatal("SET NX on existing key done")
	}
	wantGet(t, e, "k", "1")
	// XX
	if r := setOpt("absent", "1", storage.SetOptions{XX: true}); r.Done {
		t.Fatal("SET XX on absent key done")
	}
	wantAbsent(t, e, "absent")
	if r := setOpt("k", "3", storage.SetOptions{XX: true}); !r.Done {
		t.Fatal("SET XX on existing key not done")
	}
	wantGet(t, e, "k", "3")
	// GET
	r := setOpt("k", "4", storage.SetOptions{Get: true})
	if !r.Done || !r.OldExists || string(r.Old) != "3" {
		t.Fatalf("SET GET = %+v", r)
	}
	r = setOpt("new", "x", storage.SetOptions{Get: true})
	if !r.Done || r.OldExists || r.Old != nil {
		t.Fatalf("SET GET on absent = %+v", r)
	}
	// NX GET on existing: not done, old value returned (Redis 7).
	r = setOpt("k", "5", storage.SetOptions{NX: true, Get: true})
	if r.Done || string(r.Old) != "4" {
		t.Fatalf("SET NX GET = %+v", r)
	}
	wantGet(t, e, "k", "4")
	// GET on a non-string is WRONGTYPE and changes nothing.
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("list"), bs("a"), false) })
	err := runErr(e, func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("list"), []byte("x"), storage.SetOptions{Get: true})
		return err
	})
	if !errors.Is(err, storage.ErrWrongType) {
		t.Fatalf("SET GET on list: %v", err)
	}
	if n := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LLen([]byte("list")) }); n != 1 {
		t.Fatalf("list changed: len %d", n)
	}
	// Plain SET replaces any type.
	setOpt("list", "now a string", storage.SetOptions{})
	wantGet(t, e, "list", "now a string")

	// Expiry, KEEPTTL, and SET clearing a TTL.
	at := e.now() + 10_000
	setOpt("t", "v", storage.SetOptions{ExpireAt: at})
	if got := ttl(t, e, "t"); got != at {
		t.Fatalf("expire time %d; want %d", got, at)
	}
	setOpt("t", "v2", storage.SetOptions{KeepTTL: true})
	if got := ttl(t, e, "t"); got != at {
		t.Fatalf("KEEPTTL: expire time %d; want %d", got, at)
	}
	wantGet(t, e, "t", "v2")
	setOpt("t", "v3", storage.SetOptions{})
	if got := ttl(t, e, "t"); got != -1 {
		t.Fatalf("SET without KEEPTTL kept expiry %d", got)
	}
	setOpt("t", "v4", storage.SetOptions{ExpireAt: at})
	e.clock.Add(10 * time.Second)
	wantAbsent(t, e, "t")
	if got := ttl(t, e, "t"); got != -2 {
		t.Fatalf("expired key TTL %d; want -2", got)
	}
	// An expiry already past: the key does not survive.
	set(t, e, "past", "v")
	setOpt("past", "v", storage.SetOptions{ExpireAt: e.now() - 1})
	wantAbsent(t, e, "past")
}

func TestIncr(t *testing.T) {
	e := newEnv(t)
	incr := func(name string, d int64) (int64, error) {
		var n int64
		err := runErr(e, func(tx *storage.Tx) error {
			var err error
			n, err = tx.IncrBy([]byte(name), d)
			return err
		})
		return n, err
	}
	if n, err := incr("n", 5); err != nil || n != 5 {
		t.Fatalf("INCRBY absent = %d, %v", n, err)
	}
	if n, err := incr("n", -7); err != nil || n != -2 {
		t.Fatalf("DECRBY = %d, %v", n, err)
	}
	wantGet(t, e, "n", "-2")
	set(t, e, "max", "9223372036854775807")
	if _, err := incr("max", 1); !errors.Is(err, storage.ErrOverflow) {
		t.Fatalf("INCR max: %v", err)
	}
	wantGet(t, e, "max", "9223372036854775807")
	set(t, e, "min", "-9223372036854775808")
	if _, err := incr("min", -1); !errors.Is(err, storage.ErrOverflow) {
		t.Fatalf("DECR min: %v", err)
	}
	if n, err := incr("min", math.MaxInt64); err != nil || n != -1 {
		t.Fatalf("INCRBY min max = %d, %v", n, err)
	}
	for _, bad := range []string{"abc", "", " 1", "1 ", "01", "+1", "1.5", "-0", "99999999999999999999"} {
		set(t, e, "bad", bad)
		if _, err := incr("bad", 1); !errors.Is(err, storage.ErrNotInteger) {
			t.Fatalf("INCR %q: %v", bad, err)
		}
	}
	// INCR keeps the TTL.
	at := e.now() + 5000
	run(t, e, func(tx *storage.Tx) (storage.SetResult, error) {
		return tx.Set([]byte("c"), []byte("1"), storage.SetOptions{ExpireAt: at})
	})
	incr("c", 1)
	if got := ttl(t, e, "c"); got != at {
		t.Fatalf("INCR lost TTL: %d", got)
	}
	// INCRBYFLOAT, the Redis docs' examples.
	incrf := func(name string, d float64) (string, error) {
		var out []byte
		err := runErr(e, func(tx *storage.Tx) error {
			var err error
			out, err = tx.IncrByFloat([]byte(name), d)
			return err
		})
		return string(out), err
	}
	set(t, e, "f", "10.50")
	if v, err := incrf("f", 0.1); err != nil || v != "10.6" {
		t.Fatalf("INCRBYFLOAT = %q, %v", v, err)
	}
	if v, err := incrf("f", -5); err != nil || v != "5.6" {
		t.Fatalf("INCRBYFLOAT -5 = %q, %v", v, err)
	}
	set(t, e, "f", "5.0e3")
	if v, err := incrf("f", 2.0e2); err != nil || v != "5200" {
		t.Fatalf("INCRBYFLOAT 5.0e3 = %q, %v", v, err)
	}
	set(t, e, "f", "abc")
	if _, err := incrf("f", 1); !errors.Is(err, storage.ErrNotFloat) {
		t.Fatalf("INCRBYFLOAT abc: %v", err)
	}
	set(t, e, "f", "1e308")
	if _, err := incrf("f", 1e308); !errors.Is(err, storage.ErrNaN) {
		t.Fatalf("INCRBYFLOAT to inf: %v", err)
	}
	wantGet(t, e, "f", "1e308")
}

func TestAppendSetRange(t *testing.T) {
	e := newEnv(t)
	app := func(name, s string) int64 {
		return run(t, e, func(tx *storage.Tx) (int64, error) { return tx.Append([]byte(name), []byte(s)) })
	}
	if n := app("a", "Hello"); n != 5 {
		t.Fatalf("APPEND absent = %d", n)
	}
	if n := app("a", " World"); n != 11 {
		t.Fatalf("APPEND = %d", n)
	}
	wantGet(t, e, "a", "Hello World")
	sr := func(name string, off int64, s string) int64 {
		return run(t, e, func(tx *storage.Tx) (int64, error) { return tx.SetRange([]byte(name), off, []byte(s)) })
	}
	if n := sr("a", 6, "Redis"); n != 11 {
		t.Fatalf("SETRANGE = %d", n)
	}
	wantGet(t, e, "a", "Hello Redis")
	if n := sr("z", 6, "Redis"); n != 11 {
		t.Fatalf("SETRANGE absent = %d", n)
	}
	wantGet(t, e, "z", "\x00\x00\x00\x00\x00\x00Redis")
	if n := sr("empty", 10, ""); n != 0 {
		t.Fatalf("SETRANGE empty value on absent = %d", n)
	}
	wantAbsent(t, e, "empty")
	if n := sr("a", 100, ""); n != 11 {
		t.Fatalf("SETRANGE empty value = %d", n)
	}
	if err := runErr(e, func(tx *storage.Tx) error {
		_, err := tx.SetRange([]byte("a"), storage.MaxStringSize, []byte("x"))
		return err
	}); !errors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("SETRANGE past max: %v", err)
	}
}
