package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// fakeClock is a storage.Clock the tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one open test database.
type env struct {
	t     testing.TB
	path  string
	clock *fakeClock
	kr    *crypto.Keyring
	opts  storage.Options
	db    *storage.DB
}

func newEnv(t testing.TB) *env {
	return newEnvOpts(t, storage.Options{})
}

func newEnvOpts(t testing.TB, opts storage.Options) *env {
	t.Helper()
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		t:     t,
		path:  filepath.Join(t.TempDir(), "db1.db"),
		clock: &fakeClock{t: time.UnixMilli(1_700_000_000_000)},
		kr:    kr,
	}
	opts.Clock = e.clock
	e.opts = opts
	e.open()
	t.Cleanup(func() { e.db.Close() })
	return e
}

func (e *env) open() {
	e.t.Helper()
	db, err := storage.Open(e.path, 1, e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	db.Unlock(e.kr)
	e.db = db
}

func (e *env) close() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) reopen() {
	e.t.Helper()
	e.close()
	e.open()
}

// now is the fake time in unix ms.
func (e *env) now() int64 { return e.clock.Now().UnixMilli() }

// run runs f in a write transaction and fails the test on an error.
func run[T any](t testing.TB, e *env, f func(*storage.Tx) (T, error)) T {
	t.Helper()
	var out T
	err := e.db.Update(func(tx *storage.Tx) error {
		var err error
		out, err = f(tx)
		return err
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	return out
}

// view runs f in a read transaction and fails the test on an error.
func view[T any](t testing.TB, e *env, f func(*storage.Tx) (T, error)) T {
	t.Helper()
	var out T
	err := e.db.View(func(tx *storage.Tx) error {
		var err error
		out, err = f(tx)
		return err
	})
	if err != nil {
		t.Fatalf("view: %v", err)
	}
	return out
}

// runErr runs f in a write transaction and returns its error.
func runErr(e *env, f func(*storage.Tx) error) error { return e.db.Update(f) }

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func strs(b [][]byte) []string {
	out := make([]string, len(b))
	for i, s := range b {
		out[i] = string(s)
	}
	return out
}

func sorted(ss []string) []string {
	ss = slices.Clone(ss)
	sort.Strings(ss)
	return ss
}

func set(t testing.TB, e *env, name, value string) {
	t.Helper()
	run(t, e, func(tx *storage.Tx) (storage.SetResult, error) {
		return tx.Set([]byte(name), []byte(value), storage.SetOptions{})
	})
}

func get(t testing.TB, e *env, name string) (string, bool) {
	t.Helper()
	type r struct {
		v  []byte
		ok bool
	}
	res := view(t, e, func(tx *storage.Tx) (r, error) {
		v, ok, err := tx.Get([]byte(name))
		return r{v, ok}, err
	})
	return string(res.v), res.ok
}

func wantGet(t testing.TB, e *env, name, want string) {
	t.Helper()
	v, ok := get(t, e, name)
	if !ok || v != want {
		t.Fatalf("GET %s = %q, %v; want %q", name, v, ok, want)
	}
}

func wantAbsent(t testing.TB, e *env, name string) {
	t.Helper()
	ok := view(t, e, func(tx *storage.Tx) (bool, error) { return tx.Exists([]byte(name)) })
	if ok {
		t.Fatalf("%s exists; want absent", name)
	}
}

func ttl(t testing.TB, e *env, name string) int64 {
	t.Helper()
	return view(t, e, func(tx *storage.Tx) (int64, error) { return tx.ExpireTime([]byte(name)) })
}

func dbsize(t testing.TB, e *env) int64 {
	t.Helper()
	return view(t, e, func(tx *storage.Tx) (int64, error) { return tx.DBSize(), nil })
}

// ---- strings ----

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

// ---- keys ----

func TestDelExistsType(t *testing.T) {
	e := newEnv(t)
	set(t, e, "s", "v")
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("f", "v")) })
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("l"), bs("a", "b"), false) })
	for name, want := range map[string]storage.Type{"s": storage.TypeString, "h": storage.TypeHash, "l": storage.TypeList, "x": storage.TypeNone} {
		if got := view(t, e, func(tx *storage.Tx) (storage.Type, error) { return tx.TypeOf([]byte(name)) }); got != want {
			t.Fatalf("TYPE %s = %v; want %v", name, got, want)
		}
	}
	if n := dbsize(t, e); n != 3 {
		t.Fatalf("DBSIZE = %d", n)
	}
	for _, name := range []string{"s", "h", "l"} {
		if !run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Del([]byte(name)) }) {
			t.Fatalf("DEL %s = false", name)
		}
		wantAbsent(t, e, name)
	}
	if run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Del([]byte("s")) }) {
		t.Fatal("DEL of absent key = true")
	}
	if n := dbsize(t, e); n != 0 {
		t.Fatalf("DBSIZE after DEL = %d", n)
	}
	// A key recreated after DEL starts empty: its old values are gone.
	n := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("l"), bs("z"), false) })
	if n != 1 {
		t.Fatalf("RPUSH after DEL = %d", n)
	}
}

func TestRename(t *testing.T) {
	e := newEnv(t)
	at := e.now() + 60_000
	run(t, e, func(tx *storage.Tx) (storage.SetResult, error) {
		return tx.Set([]byte("src"), []byte("value"), storage.SetOptions{ExpireAt: at})
	})
	if !run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Rename([]byte("src"), []byte("dst"), false) }) {
		t.Fatal("RENAME = false")
	}
	wantAbsent(t, e, "src")
	wantGet(t, e, "dst", "value")
	if got := ttl(t, e, "dst"); got != at {
		t.Fatalf("RENAME lost TTL: %d", got)
	}
	// The TTL still works after rename, and the sweeper finds it.
	e.clock.Add(61 * time.Second)
	if n := run(t, e, func(tx *storage.Tx) (int, error) { return tx.SweepExpired(100) }); n != 1 {
		t.Fatalf("sweep after rename = %d", n)
	}
	wantAbsent(t, e, "dst")

	// Over an existing key of another type.
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("list"), bs("a", "b", "c"), false) })
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("hash"), bs("f", "v")) })
	if !run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Rename([]byte("list"), []byte("hash"), false) }) {
		t.Fatal("RENAME over existing = false")
	}
	got := run(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.LRange([]byte("hash"), 0, -1) })
	if !slices.Equal(strs(got), []string{"a", "b", "c"}) {
		t.Fatalf("renamed list = %q", got)
	}
	if n := dbsize(t, e); n != 1 {
		t.Fatalf("DBSIZE = %d", n)
	}
	e.reopen()
	got = view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.LRange([]byte("hash"), 0, -1) })
	if !slices.Equal(strs(got), []string{"a", "b", "c"}) {
		t.Fatalf("renamed list after reopen = %q", got)
	}
	// RENAMENX onto an existing key; absent source; same name.
	set(t, e, "x", "1")
	if run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Rename([]byte("x"), []byte("hash"), true) }) {
		t.Fatal("RENAMENX over existing = true")
	}
	wantGet(t, e, "x", "1")
	if err := runErr(e, func(tx *storage.Tx) error {
		_, err := tx.Rename([]byte("nope"), []byte("y"), false)
		return err
	}); !errors.Is(err, storage.ErrNoSuchKey) {
		t.Fatalf("RENAME absent: %v", err)
	}
	if !run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Rename([]byte("x"), []byte("x"), false) }) {
		t.Fatal("RENAME x x = false")
	}
	wantGet(t, e, "x", "1")
}

func TestExpireConds(t *testing.T) {
	e := newEnv(t)
	exp := func(name string, at int64, c storage.ExpireCond) bool {
		return run(t, e, func(tx *storage.Tx) (bool, error) { return tx.ExpireAt([]byte(name), at, c) })
	}
	now := e.now()
	set(t, e, "k", "v")
	if exp("absent", now+1000, storage.ExpireAlways) {
		t.Fatal("EXPIRE absent = true")
	}
	// No TTL yet: XX and GT fail, NX and LT succeed (no TTL counts as infinite).
	if exp("k", now+1000, storage.ExpireXX) || exp("k", now+1000, storage.ExpireGT) {
		t.Fatal("XX/GT applied to a key without TTL")
	}
	if ttl(t, e, "k") != -1 {
		t.Fatal("TTL set by a refused EXPIRE")
	}
	if !exp("k", now+1000, storage.ExpireLT) {
		t.Fatal("LT refused on a key without TTL")
	}
	if ttl(t, e, "k") != now+1000 {
		t.Fatal("LT did not set TTL")
	}
	run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Persist([]byte("k")) })
	if !exp("k", now+1000, storage.ExpireNX) {
		t.Fatal("NX refused on a key without TTL")
	}
	if exp("k", now+2000, storage.ExpireNX) {
		t.Fatal("NX applied on a key with TTL")
	}
	if !exp("k", now+2000, storage.ExpireXX) || ttl(t, e, "k") != now+2000 {
		t.Fatal("XX refused on a key with TTL")
	}
	if exp("k", now+2000, storage.ExpireGT) || exp("k", now+1500, storage.ExpireGT) {
		t.Fatal("GT applied with a time not later")
	}
	if !exp("k", now+3000, storage.ExpireGT) || ttl(t, e, "k") != now+3000 {
		t.Fatal("GT refused a later time")
	}
	if exp("k", now+3000, storage.ExpireLT) || exp("k", now+4000, storage.ExpireLT) {
		t.Fatal("LT applied with a time not earlier")
	}
	if !exp("k", now+2500, storage.ExpireLT) || ttl(t, e, "k") != now+2500 {
		t.Fatal("LT refused an earlier time")
	}
	// PERSIST
	if !run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Persist([]byte("k")) }) || ttl(t, e, "k") != -1 {
		t.Fatal("PERSIST")
	}
	if run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Persist([]byte("k")) }) {
		t.Fatal("PERSIST without TTL = true")
	}
	// A time in the past deletes the key at once.
	if !exp("k", now-1, storage.ExpireAlways) {
		t.Fatal("EXPIRE in the past = false")
	}
	wantAbsent(t, e, "k")
	if dbsize(t, e) != 0 {
		t.Fatal("key expired in the past still stored")
	}
}

func TestLazyExpiryAndSweep(t *testing.T) {
	e := newEnv(t)
	now := e.now()
	for i := range 10 {
		run(t, e, func(tx *storage.Tx) (storage.SetResult, error) {
			return tx.Set(fmt.Appendf(nil, "k%d", i), []byte("v"), storage.SetOptions{ExpireAt: now + int64(i+1)*1000})
		})
	}
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("f", "v")) })
	run(t, e, func(tx *storage.Tx) (bool, error) { return tx.ExpireAt([]byte("h"), now+1500, storage.ExpireAlways) })
	set(t, e, "forever", "v")
	if view(t, e, func(tx *storage.Tx) (bool, error) { return tx.HasExpired(), nil }) {
		t.Fatal("HasExpired before any time passed")
	}
	e.clock.Add(2 * time.Second) // k0, k1 and h are due
	// Invisible to a reader, still stored.
	wantAbsent(t, e, "k0")
	wantAbsent(t, e, "h")
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.HLen([]byte("h")) }); n != 0 {
		t.Fatalf("HLEN of expired hash = %d", n)
	}
	wantGet(t, e, "k2", "v")
	if n := dbsize(t, e); n != 12 {
		t.Fatalf("DBSIZE = %d; want 12 (expired not yet swept)", n)
	}
	keys := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.Keys([]byte("*")) })
	if len(keys) != 9 {
		t.Fatalf("KEYS * = %q", keys)
	}
	// A writer touching k0 deletes it (lazy expiry).
	if run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Exists([]byte("k0")) }) {
		t.Fatal("expired key exists in a write tx")
	}
	if n := dbsize(t, e); n != 11 {
		t.Fatalf("DBSIZE after lazy delete = %d", n)
	}
	// Writing to an expired key starts a fresh one without TTL.
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("h"), bs("x"), false) })
	if ttl(t, e, "h") != -1 {
		t.Fatal("recreated key kept the old TTL")
	}
	if !view(t, e, func(tx *storage.Tx) (bool, error) { return tx.HasExpired(), nil }) {
		t.Fatal("HasExpired = false with k1 due")
	}
	if n := run(t, e, func(tx *storage.Tx) (int, error) { return tx.SweepExpired(100) }); n != 1 {
		t.Fatalf("sweep = %d; want 1 (k1)", n)
	}
	e.clock.Add(100 * time.Second)
	if n := run(t, e, func(tx *storage.Tx) (int, error) { return tx.SweepExpired(3) }); n != 3 {
		t.Fatalf("limited sweep = %d", n)
	}
	if n := run(t, e, func(tx *storage.Tx) (int, error) { return tx.SweepExpired(100) }); n != 5 {
		t.Fatalf("sweep rest = %d", n)
	}
	if view(t, e, func(tx *storage.Tx) (bool, error) { return tx.HasExpired(), nil }) {
		t.Fatal("HasExpired after full sweep")
	}
	got := sorted(strs(view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.Keys([]byte("*")) })))
	if !slices.Equal(got, []string{"forever", "h"}) {
		t.Fatalf("KEYS after sweep = %q", got)
	}
	if n := dbsize(t, e); n != 2 {
		t.Fatalf("DBSIZE after sweep = %d", n)
	}
}

func TestScanEveryKeyOnce(t *testing.T) {
	e := newEnv(t)
	const n = 200
	for i := range n {
		set(t, e, fmt.Sprintf("orig:%d", i), "v")
	}
	seen := map[string]int{}
	var cursor uint64
	added := 0
	calls := 0
	for {
		type page struct {
			next uint64
			keys [][]byte
		}
		p := view(t, e, func(tx *storage.Tx) (page, error) {
			next, keys, err := tx.Scan(cursor, nil, 7, storage.TypeNone)
			return page{next, keys}, err
		})
		calls++
		for _, k := range p.keys {
			seen[string(k)]++
		}
		// Keys added and removed between calls.
		set(t, e, fmt.Sprintf("new:%d", added), "v")
		added++
		if p.next == 0 {
			break
		}
		cursor = p.next
		if calls > 10*n {
			t.Fatal("SCAN does not end")
		}
	}
	if calls < n/7 {
		t.Fatalf("SCAN took %d calls: COUNT not honoured", calls)
	}
	for i := range n {
		if c := seen[fmt.Sprintf("orig:%d", i)]; c != 1 {
			t.Fatalf("orig:%d seen %d times", i, c)
		}
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("%s seen %d times", k, c)
		}
	}
	// MATCH and TYPE filter what was read.
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("orig:hash"), bs("f", "v")) })
	var hashes, matched []string
	cursor = 0
	for {
		type page struct {
			next    uint64
			h, keys [][]byte
		}
		p := view(t, e, func(tx *storage.Tx) (page, error) {
			next, h, err := tx.Scan(cursor, nil, 50, storage.TypeHash)
			if err != nil {
				return page{}, err
			}
			_, keys, err := tx.Scan(cursor, []byte("orig:1?"), 50, storage.TypeNone)
			return page{next, h, keys}, err
		})
		hashes = append(hashes, strs(p.h)...)
		matched = append(matched, strs(p.keys)...)
		if cursor = p.next; cursor == 0 {
			break
		}
	}
	if !slices.Equal(hashes, []string{"orig:hash"}) {
		t.Fatalf("SCAN TYPE hash = %q", hashes)
	}
	if len(matched) != 10 {
		t.Fatalf("SCAN MATCH orig:1? = %q", matched)
	}
}

func TestKeysGlob(t *testing.T) {
	e := newEnv(t)
	for _, k := range []string{"a1", "b1", "c1", "d1", "hello", "hallo", "hxllo", "h*llo", "heeello", "x[y", `back\slash`} {
		set(t, e, k, "v")
	}
	cases := map[string][]string{
		"*":           {"a1", "b1", "c1", "d1", "hello", "hallo", "hxllo", "h*llo", "heeello", "x[y", `back\slash`},
		"[a-c]1":      {"a1", "b1", "c1"},
		"[c-a]1":      {"a1", "b1", "c1"},
		"[^a-c]1":     {"d1"},
		"h?llo":       {"hello", "hallo", "hxllo", "h*llo"},
		"h*llo":       {"hello", "hallo", "hxllo", "h*llo", "heeello"},
		`h\*llo`:      {"h*llo"},
		"h[ae]llo":    {"hello", "hallo"},
		"h[^e]llo":    {"hallo", "hxllo", "h*llo"},
		`x\[y`:        {"x[y"},
		`back\\slash`: {`back\slash`},
		"?1":          {"a1", "b1", "c1", "d1"},
		"nomatch*":    {},
	}
	for pat, want := range cases {
		got := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.Keys([]byte(pat)) })
		if !slices.Equal(sorted(strs(got)), sorted(want)) {
			t.Errorf("KEYS %q = %q; want %q", pat, sorted(strs(got)), sorted(want))
		}
	}
}

func TestFlush(t *testing.T) {
	e := newEnv(t)
	set(t, e, "s", "v")
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("f", "v")) })
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("l"), bs("a"), false) })
	run(t, e, func(tx *storage.Tx) (bool, error) {
		return tx.ExpireAt([]byte("s"), e.now()+1000, storage.ExpireAlways)
	})
	run(t, e, func(tx *storage.Tx) (struct{}, error) { return struct{}{}, tx.Flush() })
	if n := dbsize(t, e); n != 0 {
		t.Fatalf("DBSIZE after FLUSH = %d", n)
	}
	for _, k := range []string{"s", "h", "l"} {
		wantAbsent(t, e, k)
	}
	e.clock.Add(time.Hour)
	if view(t, e, func(tx *storage.Tx) (bool, error) { return tx.HasExpired(), nil }) {
		t.Fatal("expiry index survived FLUSH")
	}
	// The database works after a flush, and after a reopen.
	set(t, e, "s", "again")
	e.reopen()
	wantGet(t, e, "s", "again")
	if n := dbsize(t, e); n != 1 {
		t.Fatalf("DBSIZE = %d", n)
	}
}

func TestRandomKey(t *testing.T) {
	e := newEnv(t)
	if k := view(t, e, func(tx *storage.Tx) ([]byte, error) { return tx.RandomKey() }); k != nil {
		t.Fatalf("RANDOMKEY on empty db = %q", k)
	}
	set(t, e, "only", "v")
	if k := view(t, e, func(tx *storage.Tx) ([]byte, error) { return tx.RandomKey() }); string(k) != "only" {
		t.Fatalf("RANDOMKEY = %q", k)
	}
}

func TestLockedAndReadOnly(t *testing.T) {
	e := newEnv(t)
	e.close()
	db, err := storage.Open(e.path, 1, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(*storage.Tx) error { return nil }); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("View before Unlock: %v", err)
	}
	if err := db.Update(func(*storage.Tx) error { return nil }); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("Update before Unlock: %v", err)
	}
	db.Unlock(e.kr)
	err = db.View(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
		return err
	})
	if !errors.Is(err, storage.ErrReadOnlyTx) {
		t.Fatalf("Set in View: %v", err)
	}
	e.db = db
	db.Close()
	if err := db.Update(func(*storage.Tx) error { return nil }); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Update after Close: %v", err)
	}
}

// A writer failing in a group does not fail the others, and its writes are undone.
func TestFailingWriterIsolated(t *testing.T) {
	e := newEnv(t)
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("list"), bs("a"), false) })
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.db.Update(func(tx *storage.Tx) error {
				if _, err := tx.Set(fmt.Appendf(nil, "k%d", i), []byte("v"), storage.SetOptions{}); err != nil {
					return err
				}
				if i%4 == 0 {
					_, err := tx.IncrBy([]byte("list"), 1) // WRONGTYPE after a write
					return err
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%4 == 0 {
			if !errors.Is(err, storage.ErrWrongType) {
				t.Fatalf("writer %d: %v", i, err)
			}
			wantAbsent(t, e, fmt.Sprintf("k%d", i))
		} else {
			if err != nil {
				t.Fatalf("writer %d: %v", i, err)
			}
			wantGet(t, e, fmt.Sprintf("k%d", i), "v")
		}
	}
}

// bytesEq reports equality of two flat [][]byte.
func bytesEq(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}
