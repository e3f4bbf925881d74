package storage_test

// Helpers shared by the storage tests: env (one open database on a manual clock), run and
// view (transactions that fail the test on an error), and small readers and asserts.

import (
	"bytes"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// env is one open test database.
type env struct {
	t     testing.TB
	path  string
	clock *storage.ManualClock
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
		clock: storage.NewManualClock(time.UnixMilli(1_700_000_000_000)),
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

// bytesEq reports equality of two flat [][]byte.
func bytesEq(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

func hgetall(t testing.TB, e *env, name string) map[string]string {
	t.Helper()
	flat := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.HGetAll([]byte(name)) })
	if len(flat)%2 != 0 {
		t.Fatalf("HGETALL returned %d items", len(flat))
	}
	out := map[string]string{}
	for i := 0; i < len(flat); i += 2 {
		if _, dup := out[string(flat[i])]; dup {
			t.Fatalf("HGETALL returned field %q twice", flat[i])
		}
		out[string(flat[i])] = string(flat[i+1])
	}
	return out
}

func hget(t testing.TB, e *env, name, field string) (string, bool) {
	t.Helper()
	type r struct {
		v  []byte
		ok bool
	}
	res := view(t, e, func(tx *storage.Tx) (r, error) {
		v, ok, err := tx.HGet([]byte(name), []byte(field))
		return r{v, ok}, err
	})
	return string(res.v), res.ok
}

func lrange(t testing.TB, e *env, name string, start, stop int64) []string {
	t.Helper()
	return strs(view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.LRange([]byte(name), start, stop) }))
}

func rpush(t testing.TB, e *env, name string, vals ...string) int64 {
	t.Helper()
	return run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte(name), bs(vals...), false) })
}

func wantList(t testing.TB, e *env, name string, want ...string) {
	t.Helper()
	if got := lrange(t, e, name, 0, -1); !slices.Equal(got, want) {
		t.Fatalf("LRANGE %s 0 -1 = %q; want %q", name, got, want)
	}
	n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.LLen([]byte(name)) })
	if n != int64(len(want)) {
		t.Fatalf("LLEN %s = %d; want %d", name, n, len(want))
	}
	if len(want) == 0 {
		wantAbsent(t, e, name)
	}
}

// rawBolt opens the (closed) storage file with bbolt directly and runs fn in a write
// transaction.
func rawBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func utf16(s string) []byte {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

// dataKeysOf lists the data bucket's keys, ordered.
func dataKeysOf(tx *bolt.Tx) [][]byte {
	var out [][]byte
	tx.Bucket([]byte("data")).ForEach(func(k, _ []byte) error {
		out = append(out, slices.Clone(k))
		return nil
	})
	return out
}
