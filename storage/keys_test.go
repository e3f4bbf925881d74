package storage_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

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

// DBSize reads bbolt's bucket stats, which in a write transaction do not include the
// transaction's own uncommitted changes: DBSIZE in MULTI/EXEC or pipelined behind writes
// (one group transaction) answers the count from before.
func TestReviewDBSizeInWriteTx(t *testing.T) {
	e := newEnv(t)
	n := run(t, e, func(tx *storage.Tx) (int64, error) {
		for _, k := range []string{"a", "b", "c"} {
			if _, err := tx.Set([]byte(k), []byte("v"), storage.SetOptions{}); err != nil {
				return 0, err
			}
		}
		return tx.DBSize(), nil
	})
	if n != 3 {
		t.Fatalf("DBSize after 3 SETs in the same transaction: %d, want 3", n)
	}
}
