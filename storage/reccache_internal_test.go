package storage

// The record cache (reccache.go) against the real engine: a database behind the node's
// log, flushed for real, read while it is written. What must hold is that a read never
// sees a value older than one acknowledged before it began, whatever the cache held.

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
)

func recNode(t *testing.T, limit int64) (*engNode, *DB) {
	t.Helper()
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32), recs: NewRecordCache(limit),
		keys: map[uint64][]byte{1: crypto.Random(crypto.KeySize)}}
	n.start()
	t.Cleanup(n.stop)
	db, release, err := n.m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return n, db
}

func recSet(t *testing.T, db *DB, name, value string) {
	t.Helper()
	if err := db.Update(func(tx *Tx) error {
		_, err := tx.Set([]byte(name), []byte(value), SetOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func recGet(t *testing.T, db *DB, name string) (string, bool) {
	t.Helper()
	var v []byte
	var ok bool
	if err := db.View(func(tx *Tx) error {
		var err error
		v, ok, err = tx.Get([]byte(name))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return string(v), ok
}

func recFlush(t *testing.T, db *DB) {
	t.Helper()
	if err := db.flushNow(); err != nil {
		t.Fatal(err)
	}
}

// TestRecordCacheFollowsTheFile: reads of flushed keys are served from the cache, and a
// write flushed since (an overwrite, a delete, a key that was absent) is what the next
// read sees.
func TestRecordCacheFollowsTheFile(t *testing.T) {
	n, db := recNode(t, 8<<20)
	rc := n.recs
	recSet(t, db, "k", "v1")
	recFlush(t, db)
	for i := 0; i < 3; i++ {
		if v, ok := recGet(t, db, "k"); !ok || v != "v1" {
			t.Fatalf("read %d: %q %v; want v1", i, v, ok)
		}
		if _, ok := recGet(t, db, "absent"); ok {
			t.Fatal("absent key found")
		}
	}
	st := rc.Stats()
	if st.Misses != 2 || st.Hits != 4 || st.Used == 0 {
		t.Fatalf("after 3 reads of 2 keys: %+v; want 2 misses, 4 hits, bytes held", st)
	}

	recSet(t, db, "k", "v2")
	recSet(t, db, "absent", "here")
	if v, _ := recGet(t, db, "k"); v != "v2" {
		t.Fatalf("before the flush: %q; want v2 (from memory)", v)
	}
	recFlush(t, db)
	if v, _ := recGet(t, db, "k"); v != "v2" {
		t.Fatalf("after the flush: %q; want v2", v)
	}
	if v, ok := recGet(t, db, "absent"); !ok || v != "here" {
		t.Fatalf("a key cached as absent, then written and flushed: %q %v", v, ok)
	}
	if err := db.Update(func(tx *Tx) error { _, err := tx.Del([]byte("k")); return err }); err != nil {
		t.Fatal(err)
	}
	recFlush(t, db)
	if _, ok := recGet(t, db, "k"); ok {
		t.Fatal("a deleted key, flushed, still read")
	}
}

// TestRecordCacheCarriesOverFlush: a flush keeps the entries of keys it did not write,
// so a database written now and then still serves its other keys from memory; the keys
// it wrote (overwritten, deleted, created where the cache knew them absent) are read
// afresh, and a range delete (FLUSHDB) carries nothing.
func TestRecordCacheCarriesOverFlush(t *testing.T) {
	n, db := recNode(t, 8<<20)
	rc := n.recs
	const keys = 100
	for i := 0; i < keys; i++ {
		recSet(t, db, "k"+strconv.Itoa(i), "v1")
	}
	recFlush(t, db)
	readAll := func(what string, want func(i int) (string, bool)) {
		t.Helper()
		for i := 0; i < keys+3; i++ {
			v, ok := recGet(t, db, "k"+strconv.Itoa(i))
			if wv, wok := want(i); v != wv || ok != wok {
				t.Fatalf("%s: k%d = %q %v; want %q %v", what, i, v, ok, wv, wok)
			}
		}
	}
	readAll("first read", func(i int) (string, bool) { return map[bool]string{true: "v1"}[i < keys], i < keys })
	before := rc.Stats()
	if before.Misses != keys+3 {
		t.Fatalf("first read: %+v; want %d misses", before, keys+3)
	}
	// Overwrite 0-9, delete 10-14, create 100 (read as absent above).
	for i := 0; i < 10; i++ {
		recSet(t, db, "k"+strconv.Itoa(i), "v2")
	}
	if err := db.Update(func(tx *Tx) error {
		for i := 10; i < 15; i++ {
			if _, err := tx.Del([]byte("k" + strconv.Itoa(i))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	recSet(t, db, "k100", "new")
	recFlush(t, db)
	after := func(i int) (string, bool) {
		switch {
		case i < 10:
			return "v2", true
		case i < 15:
			return "", false
		case i < keys, i == 100:
			return map[bool]string{true: "v1", false: "new"}[i < keys], true
		}
		return "", false
	}
	readAll("after the flush", after)
	st := rc.Stats()
	// 16 keys were written (0-14 and 100): those miss; the other 87 are still held.
	if hits, misses := st.Hits-before.Hits, st.Misses-before.Misses; misses != 16 || hits != keys+3-16 {
		t.Fatalf("after the flush: %d hits, %d misses; want %d and 16", hits, misses, keys+3-16)
	}
	readAll("again", after)
	if st2 := rc.Stats(); st2.Misses != st.Misses {
		t.Fatalf("a third read missed %d times", st2.Misses-st.Misses)
	}

	if err := db.Update(func(tx *Tx) error { return tx.Flush() }); err != nil {
		t.Fatal(err)
	}
	recFlush(t, db)
	st = rc.Stats()
	readAll("after FLUSHDB", func(int) (string, bool) { return "", false })
	if misses := rc.Stats().Misses - st.Misses; misses != keys+3 {
		t.Fatalf("after FLUSHDB: %d misses; want %d (nothing carried over a range delete)", misses, keys+3)
	}
}

// TestRecordCacheFollowsAShift: a full cache whose readers move to keys it does not hold
// starts over and serves the new ones; a cache whose keys are read at random from many
// more than it holds keeps its entries (its rate never falls from a better one).
func TestRecordCacheFollowsAShift(t *testing.T) {
	n, db := recNode(t, 1<<20)
	const keys = 10000 // about 3 MiB of entries, three times the bound
	name := func(i int) string { return "key" + strconv.Itoa(i) }
	if err := db.Update(func(tx *Tx) error {
		for i := 0; i < keys; i++ {
			if _, err := tx.Set([]byte(name(i)), []byte(fmt.Sprintf("value-%0150d", i)), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	recFlush(t, db)
	read := func(from, to, passes int) (hits uint64) {
		t.Helper()
		before := n.recs.Stats().Hits
		for p := 0; p < passes; p++ {
			for i := from; i < to; i++ {
				if _, ok := recGet(t, db, name(i)); !ok {
					t.Fatalf("%s missing", name(i))
				}
			}
		}
		return n.recs.Stats().Hits - before
	}
	// Fill the cache: the first 1,000 keys (the working set), then others until full.
	read(0, 1000, 1)
	read(1000, keys, 1)
	if !db.recs.Load().full.Load() {
		t.Fatal("the cache did not fill")
	}
	held := db.recs.Load()
	if h := read(0, 1000, 20); h != 20*1000 {
		t.Fatalf("the working set: %d hits of 20,000", h)
	}
	if db.recs.Load() != held {
		t.Fatal("a cache serving every read started over")
	}
	// The readers move to keys the full cache does not hold.
	read(9000, 10000, 20)
	if db.recs.Load() == held {
		t.Fatal("after 20,000 reads of keys it does not hold, the cache did not start over")
	}
	if h := read(9000, 10000, 5); h != 5*1000 {
		t.Fatalf("the new working set: %d hits of 5,000", h)
	}

	// Keys read at random from three times what the cache holds: the rate stays where it
	// was, and the cache keeps its entries.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3*recWindow; i++ {
		recGet(t, db, name(r.IntN(keys)))
	}
	settled := db.recs.Load()
	for i := 0; i < 8*recWindow; i++ {
		recGet(t, db, name(r.IntN(keys)))
	}
	if db.recs.Load() != settled {
		t.Fatal("reads at random made the cache start over")
	}
	n.stop()
	if st := n.recs.Stats(); st.Used != 0 || n.recs.active.Load() != 0 {
		t.Fatalf("after close: %+v, %d caches active; want nothing held", st, n.recs.active.Load())
	}
}

// TestRecordCacheRestartRacesReaders (-race): readers whose keys move on make a full
// cache start over again and again while others still read and fill the one it
// replaced; every read is right, and closing gives every byte back.
func TestRecordCacheRestartRacesReaders(t *testing.T) {
	n, db := recNode(t, 1<<20)
	const keys, region = 12000, 4000 // each region more than the cache holds
	name := func(i int) string { return "key" + strconv.Itoa(i) }
	value := func(i int) string { return fmt.Sprintf("value-%0150d", i) }
	if err := db.Update(func(tx *Tx) error {
		for i := 0; i < keys; i++ {
			if _, err := tx.Set([]byte(name(i)), []byte(value(i)), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	recFlush(t, db)
	for i := 0; i < region; i++ { // fill the cache from the first region
		recGet(t, db, name(i))
	}
	if !db.recs.Load().full.Load() {
		t.Fatal("the cache did not fill")
	}
	// Four readers read at random from one region: first the one the cache filled from,
	// then, each time it has started over (and filled again), the next.
	var at atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(r), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := int(at.Load())*region + rnd.IntN(region)
				if v, ok := recGet(t, db, name(i)); !ok || v != value(i) {
					t.Errorf("%s: %q %v", name(i), v, ok)
					return
				}
			}
		}(r)
	}
	// settle waits until c is full and has counted a few windows: its best to fall from.
	deadline := time.Now().Add(20 * time.Second)
	settle := func(c *recCache) {
		for time.Now().Before(deadline) && (!c.full.Load() || c.best.Load() == 0) {
			time.Sleep(10 * time.Millisecond)
		}
		for from := n.recs.Stats().Hits + n.recs.Stats().Misses; time.Now().Before(deadline) &&
			n.recs.Stats().Hits+n.recs.Stats().Misses < from+2*recWindow; {
			time.Sleep(10 * time.Millisecond)
		}
	}
	restarts, cur := 0, db.recs.Load()
	settle(cur)
	at.Store(1)
	for restarts < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if c := db.recs.Load(); c != cur {
			restarts, cur = restarts+1, c
			settle(c)                     // the new cache fills from this region
			at.Store((at.Load() + 1) % 3) // then the readers move on
		}
	}
	close(stop)
	wg.Wait()
	if restarts < 3 {
		t.Fatalf("the cache started over %d times in 20 s; want 3", restarts)
	}
	t.Logf("%d restarts, %+v", restarts, n.recs.Stats())
	n.stop()
	if st := n.recs.Stats(); st.Used != 0 || n.recs.active.Load() != 0 {
		t.Fatalf("after close: %+v, %d caches active; want nothing held", st, n.recs.active.Load())
	}
}

// TestRecordCacheBound: the node's bound holds however many keys are read, a full cache
// serves what it holds, and closing gives it all back.
func TestRecordCacheBound(t *testing.T) {
	const limit = 1 << 20
	n, db := recNode(t, limit)
	const keys = 8000 // about 2 MiB of entries: more than the bound
	if err := db.Update(func(tx *Tx) error {
		for i := 0; i < keys; i++ {
			if _, err := tx.Set([]byte("key"+strconv.Itoa(i)), []byte(fmt.Sprintf("value-%0150d", i)), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	recFlush(t, db)
	for round := 0; round < 2; round++ {
		for i := 0; i < keys; i++ {
			for twice := 0; twice < 2; twice++ { // the second read of a key is a hit
				v, ok := recGet(t, db, "key"+strconv.Itoa(i))
				if want := fmt.Sprintf("value-%0150d", i); !ok || v != want {
					t.Fatalf("round %d key %d: %q %v", round, i, v, ok)
				}
				if used := n.recs.Stats().Used; used > limit {
					t.Fatalf("round %d key %d: %d bytes held; bound %d", round, i, used, limit)
				}
			}
		}
	}
	st := n.recs.Stats()
	if st.Used < limit/2 {
		t.Fatalf("%+v: the cache never filled", st)
	}
	// Each key admitted before the cache filled is a hit three times of its four reads (a
	// full cache serves what it holds; when the second round reaches keys it does not
	// hold it may start over and serve their second reads too), and a key's entry takes
	// well under 1 KiB.
	if st.Hits < 3*limit/1024 {
		t.Fatalf("%+v: want three hits per key admitted, at least %d", st, 3*limit/1024)
	}
	n.stop()
	if st := n.recs.Stats(); st.Used != 0 || n.recs.active.Load() != 0 {
		t.Fatalf("after close: %+v, %d caches active; want nothing held", st, n.recs.active.Load())
	}
}

// TestRecordCacheNeverStale: readers race a writer that overwrites keys with rising
// counters and flushes often. Every read must see at least the value acknowledged before
// it began: a cache entry kept past the flush that replaced it would show an older one.
func TestRecordCacheNeverStale(t *testing.T) {
	_, db := recNode(t, 8<<20)
	const keys = 8
	var acked [keys]atomic.Int64
	for k := 0; k < keys; k++ {
		recSet(t, db, "c"+strconv.Itoa(k), "0")
	}
	recFlush(t, db)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := i % keys
				floor := acked[k].Load()
				var got int64
				err := db.View(func(tx *Tx) error {
					v, ok, err := tx.Get([]byte("c" + strconv.Itoa(k)))
					if err != nil || !ok {
						return fmt.Errorf("key %d: found %v, %v", k, ok, err)
					}
					got, err = strconv.ParseInt(string(v), 10, 64)
					return err
				})
				if err == nil && got < floor {
					err = fmt.Errorf("key %d read %d after %d was acknowledged", k, got, floor)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Second)
	for v := int64(1); time.Now().Before(deadline); v++ {
		for k := 0; k < keys; k++ {
			recSet(t, db, "c"+strconv.Itoa(k), strconv.FormatInt(v, 10))
			acked[k].Store(v)
		}
		if v%3 == 0 {
			recFlush(t, db)
		}
		if len(errs) > 0 {
			break
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// TestRecordCacheManySmall: many databases each read a key or two hold a few KiB each,
// not a full piece per shard (a thousand open databases must not take a GiB).
func TestRecordCacheManySmall(t *testing.T) {
	const dbs = 64
	keys := map[uint64][]byte{}
	for id := uint64(1); id <= dbs; id++ {
		keys[id] = crypto.Random(crypto.KeySize)
	}
	n := &engNode{t: t, dir: t.TempDir(), walKey: crypto.Random(32), recs: NewRecordCache(64 << 20), keys: keys}
	n.start()
	t.Cleanup(n.stop)
	for id := uint64(1); id <= dbs; id++ {
		db, release, err := n.m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		recSet(t, db, "a", "1")
		recSet(t, db, "b", "2")
		recFlush(t, db)
		for i := 0; i < 2; i++ {
			if v, _ := recGet(t, db, "a"); v != "1" {
				t.Fatalf("db %d: a = %q", id, v)
			}
			if v, _ := recGet(t, db, "b"); v != "2" {
				t.Fatalf("db %d: b = %q", id, v)
			}
		}
		release()
	}
	st := n.recs.Stats()
	if st.Hits != 2*dbs || st.Misses != 2*dbs {
		t.Fatalf("%+v: want %d hits and misses", st, 2*dbs)
	}
	// Two entries each, in at most two pieces of the smallest size.
	if most := int64(dbs * 2 * (recOverhead + recPiece0)); st.Used > most {
		t.Fatalf("%d databases of two keys hold %d bytes; want at most %d", dbs, st.Used, most)
	}
}

// TestRecordCacheCloseRacesReaders: a database closed while readers fill its cache and
// a writer moves its file to new states (each starting a new cache) gives every byte
// back: no cache made or filled after Close is left counted.
func TestRecordCacheCloseRacesReaders(t *testing.T) {
	for round := 0; round < 20; round++ {
		rc := NewRecordCache(8 << 20)
		kr, err := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
		if err != nil {
			t.Fatal(err)
		}
		db, err := Open(filepath.Join(t.TempDir(), "1.db"), 1, Options{Records: rc}) // no log: every write is a commit
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Unlock(kr); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			recSet(t, db, "k"+strconv.Itoa(i), "v")
		}
		var wg sync.WaitGroup
		for r := 0; r < 4; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					if db.View(func(tx *Tx) error { _, _, err := tx.Get([]byte("k" + strconv.Itoa(i%60))); return err }) != nil {
						return // closed
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if db.Update(func(tx *Tx) error {
					_, err := tx.Set([]byte("k"+strconv.Itoa(i%50)), []byte("w"), SetOptions{})
					return err
				}) != nil {
					return
				}
			}
		}()
		time.Sleep(time.Duration(5+round) * time.Millisecond)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if st := rc.Stats(); st.Used != 0 || rc.active.Load() != 0 || st.Hits+st.Misses == 0 {
			t.Fatalf("round %d, after Close: %+v, %d caches active; want nothing held, and lookups made", round, st, rc.active.Load())
		}
	}
}

// BenchmarkRecordCacheCarry: what a flush's carry costs when the cache holds the
// entries of 200,000 keys (the copy of its maps; the flush writes one key). The carry is
// timed alone, with no commit before it, so the caches it makes name a state the file
// never reaches; the database is closed after.
func BenchmarkRecordCacheCarry(b *testing.B) {
	n := &engNode{t: b, dir: b.TempDir(), walKey: crypto.Random(32), recs: NewRecordCache(256 << 20),
		keys: map[uint64][]byte{1: crypto.Random(crypto.KeySize)}}
	n.start()
	defer n.stop()
	db, release, err := n.m.Acquire(1)
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	const keys = 200_000
	if err := db.Update(func(tx *Tx) error {
		for i := 0; i < keys; i++ {
			if _, err := tx.Set([]byte("key"+strconv.Itoa(i)), []byte("value-of-some-100-bytes-"+strconv.Itoa(i)), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if err := db.flushNow(); err != nil {
		b.Fatal(err)
	}
	read := func() {
		if err := db.View(func(tx *Tx) error {
			for i := 0; i < keys; i++ {
				if _, _, err := tx.Get([]byte("key" + strconv.Itoa(i))); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	read()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := db.Update(func(tx *Tx) error {
			_, err := tx.Set([]byte("key0"), []byte("v"+strconv.Itoa(i)), SetOptions{})
			return err
		}); err != nil {
			b.Fatal(err)
		}
		db.viewMu.Lock()
		f := db.cur
		db.viewMu.Unlock()
		prev := db.recs.Load()
		b.StartTimer()
		db.carryRecords(prev, prev.epoch+1, f)
		b.StopTimer()
		if c := db.recs.Load(); c == prev || c == nil {
			b.Fatal("nothing carried")
		}
		b.StartTimer()
	}
}
