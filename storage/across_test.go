package storage_test

// Writes across databases (UpdateAcross) and key copies (CopyKey), with real parts: two
// databases behind one real log, restarted and replayed.

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

func acquire(t *testing.T, m *storage.Manager, id uint64) *storage.DB {
	t.Helper()
	db, release, err := m.Acquire(id)
	if err != nil {
		t.Fatalf("acquire %d: %v", id, err)
	}
	t.Cleanup(release)
	return db
}

// fillTypes writes one key of each type, n elements each, into tx.
func fillTypes(tx *storage.Tx, n int) error {
	if _, err := tx.Set([]byte("str"), []byte("a string value"), storage.SetOptions{}); err != nil {
		return err
	}
	big := make([]byte, 4000) // a value record of its own, not inline
	for i := range big {
		big[i] = byte(i)
	}
	if _, err := tx.Set([]byte("bigstr"), big, storage.SetOptions{}); err != nil {
		return err
	}
	var pairs, members, elems [][]byte
	var zs []storage.ZMember
	for i := 0; i < n; i++ {
		f := []byte(fmt.Sprintf("f%05d", i))
		pairs = append(pairs, f, []byte(fmt.Sprintf("v%d", i)))
		members = append(members, f)
		elems = append(elems, []byte(fmt.Sprintf("e%d", i)))
		zs = append(zs, storage.ZMember{Member: f, Score: float64(n - i)})
	}
	if _, err := tx.HSet([]byte("hash"), pairs); err != nil {
		return err
	}
	if _, err := tx.SAdd([]byte("set"), members); err != nil {
		return err
	}
	if _, err := tx.RPush([]byte("list"), elems, false); err != nil {
		return err
	}
	if _, _, _, err := tx.ZAdd([]byte("zset"), storage.ZAddFlags{}, zs); err != nil {
		return err
	}
	_, err := tx.ExpireAt([]byte("hash"), tx.Now()+3_600_000, storage.ExpireAlways)
	return err
}

// dumpKey reads a key whole, as text that two equal values share.
func dumpKey(tx *storage.Tx, name string) (string, error) {
	k := []byte(name)
	typ, err := tx.TypeOf(k)
	if err != nil || typ == storage.TypeNone {
		return "none", err
	}
	at, err := tx.ExpireTime(k)
	if err != nil {
		return "", err
	}
	var body any
	switch typ {
	case storage.TypeString:
		v, _, err := tx.Get(k)
		if err != nil {
			return "", err
		}
		body = string(v)
	case storage.TypeHash:
		fv, err := tx.HGetAll(k)
		if err != nil {
			return "", err
		}
		var s []string
		for i := 0; i < len(fv); i += 2 {
			s = append(s, string(fv[i])+"="+string(fv[i+1]))
		}
		slices.Sort(s)
		body = s
	case storage.TypeSet:
		ms, err := tx.SMembers(k)
		if err != nil {
			return "", err
		}
		s := strs(ms)
		slices.Sort(s)
		body = s
	case storage.TypeList:
		es, err := tx.LRange(k, 0, -1)
		if err != nil {
			return "", err
		}
		body = strs(es)
	case storage.TypeZSet:
		zs, err := tx.ZRange(k, storage.ZRangeSpec{Start: 0, Stop: -1})
		if err != nil {
			return "", err
		}
		body = zs
	}
	return fmt.Sprintf("%s ttl=%v %v", typ, at > 0, body), nil
}

// TestCopyKeyEveryType: every type copies within one database and into another, whole
// (more elements than one copy chunk), with its TTL, and the source stays as it was;
// an existing destination is kept without replace and replaced with it.
func TestCopyKeyEveryType(t *testing.T) {
	e := newEngine(t, wal.Options{Sync: wal.SyncAlways}, 0, storage.Options{}, storage.CacheOptions{MaxOpen: 8})
	a, b := acquire(t, e.mgr, 1), acquire(t, e.mgr, 2)
	if err := a.Update(func(tx *storage.Tx) error { return fillTypes(tx, 2500) }); err != nil {
		t.Fatal(err)
	}
	names := []string{"str", "bigstr", "hash", "set", "list", "zset"}
	want := map[string]string{}
	a.View(func(tx *storage.Tx) error {
		for _, n := range names {
			want[n], _ = dumpKey(tx, n)
		}
		return nil
	})
	// Within database 1, onto new names.
	err := a.Update(func(tx *storage.Tx) error {
		for _, n := range names {
			if ok, err := storage.CopyKey(tx, tx, []byte(n), []byte(n+".copy"), false); err != nil || !ok {
				return fmt.Errorf("copy %s: %v %v", n, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Into database 2, in one write across both.
	err = storage.UpdateAcross([]*storage.DB{a, b}, func(txs []*storage.Tx) error {
		for _, n := range names {
			if ok, err := storage.CopyKey(txs[0], txs[1], []byte(n), []byte(n), false); err != nil || !ok {
				return fmt.Errorf("copy %s across: %v %v", n, ok, err)
			}
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		a, b := acquire(t, e.mgr, 1), acquire(t, e.mgr, 2)
		for _, n := range names {
			for _, c := range []struct {
				db   *storage.DB
				name string
			}{{a, n}, {a, n + ".copy"}, {b, n}} {
				var got string
				if err := c.db.View(func(tx *storage.Tx) (err error) { got, err = dumpKey(tx, c.name); return }); err != nil {
					t.Fatalf("%s: db %d %s: %v", when, c.db.ID(), c.name, err)
				}
				if got != want[n] {
					t.Fatalf("%s: db %d %s = %.200s; want %.200s", when, c.db.ID(), c.name, got, want[n])
				}
			}
		}
	}
	check("before restart")
	e.restart()
	check("after restart")

	a, b = acquire(t, e.mgr, 1), acquire(t, e.mgr, 2)
	err = storage.UpdateAcross([]*storage.DB{b, a}, func(txs []*storage.Tx) error {
		if ok, err := storage.CopyKey(txs[1], txs[0], []byte("str"), []byte("list"), false); err != nil || ok {
			return fmt.Errorf("copy onto an existing key without replace: %v %v", ok, err)
		}
		if ok, err := storage.CopyKey(txs[1], txs[0], []byte("absent"), []byte("x"), true); err != nil || ok {
			return fmt.Errorf("copy of an absent key: %v %v", ok, err)
		}
		if ok, err := storage.CopyKey(txs[1], txs[0], []byte("str"), []byte("list"), true); err != nil || !ok {
			return fmt.Errorf("copy with replace: %v %v", ok, err)
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.View(func(tx *storage.Tx) error {
		if got, _ := dumpKey(tx, "list"); got != want["str"] {
			t.Errorf("replaced list = %s; want %s", got, want["str"])
		}
		if n := tx.DBSize(); n != int64(len(names)) {
			t.Errorf("database 2 holds %d keys; want %d", n, len(names))
		}
		return nil
	})
	err = a.Update(func(tx *storage.Tx) error {
		_, err := storage.CopyKey(tx, tx, []byte("str"), []byte("str"), true)
		return err
	})
	if err == nil {
		t.Error("a key copied onto itself was not refused")
	}
}

// TestUpdateAcrossAllOrNothing: a failing function changes neither database; a kill
// between the two parts cannot happen (one frame), which the restart after a torn-free
// commit shows: both parts are replayed.
func TestUpdateAcrossAllOrNothing(t *testing.T) {
	e := newEngine(t, wal.Options{Sync: wal.SyncAlways}, 0, storage.Options{}, storage.CacheOptions{MaxOpen: 8})
	a, b := acquire(t, e.mgr, 1), acquire(t, e.mgr, 2)
	boom := errors.New("boom")
	err := storage.UpdateAcross([]*storage.DB{a, b}, func(txs []*storage.Tx) error {
		txs[0].Set([]byte("k"), []byte("a"), storage.SetOptions{})
		txs[1].Set([]byte("k"), []byte("b"), storage.SetOptions{})
		return boom
	}, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v; want boom", err)
	}
	for _, db := range []*storage.DB{a, b} {
		db.View(func(tx *storage.Tx) error {
			if n := tx.DBSize(); n != 0 {
				t.Errorf("database %d holds %d keys after a failed write", db.ID(), n)
			}
			return nil
		})
	}
	after := 0
	err = storage.UpdateAcross([]*storage.DB{a, b}, func(txs []*storage.Tx) error {
		if _, err := txs[0].Set([]byte("k"), []byte("a"), storage.SetOptions{}); err != nil {
			return err
		}
		_, err := txs[1].Set([]byte("k"), []byte("b"), storage.SetOptions{})
		return err
	}, func() { after++ })
	if err != nil || after != 1 {
		t.Fatalf("err %v, after ran %d times", err, after)
	}
	frames := e.log.Stats().Appended
	e.restart()
	a, b = acquire(t, e.mgr, 1), acquire(t, e.mgr, 2)
	for db, want := range map[*storage.DB]string{a: "a", b: "b"} {
		db.View(func(tx *storage.Tx) error {
			if v, _, _ := tx.Get([]byte("k")); string(v) != want {
				t.Errorf("database %d: k = %q after restart; want %q", db.ID(), v, want)
			}
			return nil
		})
	}
	if frames != 1 {
		t.Errorf("the write across two databases took %d log frames; want 1", frames)
	}
	if err := storage.UpdateAcross([]*storage.DB{a, a}, func([]*storage.Tx) error { return nil }, nil); err == nil {
		t.Error("a database given twice was not refused")
	}
}

// TestUpdateAcrossRaces: writes across two databases in both orders, racing plain
// writers of each, neither deadlock nor lose a count: every increment lands once.
func TestUpdateAcrossRaces(t *testing.T) {
	e := newEngine(t, wal.Options{Sync: wal.SyncAlways}, 1<<20, storage.Options{}, storage.CacheOptions{MaxOpen: 8})
	dbs := []*storage.DB{acquire(t, e.mgr, 1), acquire(t, e.mgr, 2), acquire(t, e.mgr, 3)}
	const rounds = 60
	engWatchdog(t, 60*time.Second, func() {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := 0; w < 3; w++ {
			wg.Add(2)
			go func() { // across: w and w+1 in turn, given in either order
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					x, y := dbs[(w+i)%3], dbs[(w+i+1)%3]
					if i%2 == 1 {
						x, y = y, x
					}
					err := storage.UpdateAcross([]*storage.DB{x, y}, func(txs []*storage.Tx) error {
						for _, tx := range txs {
							if _, err := tx.IncrBy([]byte("across"), 1); err != nil {
								return err
							}
						}
						return nil
					}, nil)
					if err != nil {
						errs <- err
						return
					}
				}
			}()
			go func() { // a plain writer of database w
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					if err := dbs[w].Update(func(tx *storage.Tx) error {
						_, err := tx.IncrBy([]byte("plain"), 1)
						return err
					}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	total := int64(0)
	for _, db := range dbs {
		db.View(func(tx *storage.Tx) error {
			a, _, _ := tx.Get([]byte("across"))
			p, _, _ := tx.Get([]byte("plain"))
			var n, m int64
			fmt.Sscan(string(a), &n)
			fmt.Sscan(string(p), &m)
			total += n
			if m != rounds {
				t.Errorf("database %d: plain = %d; want %d", db.ID(), m, rounds)
			}
			return nil
		})
	}
	if total != 3*rounds*2 {
		t.Errorf("increments across databases: %d; want %d", total, 3*rounds*2)
	}
}
