package storage

// A hostile test of the record cache's carry over a flush (carryRecords): readers race a
// writer that overwrites, deletes, creates and FLUSHDBs keys with rising versions and
// flushes all the time. Two things must hold. Inside every read transaction, what the
// cache answers for a key record is byte for byte what bbolt's Get answers in that same
// transaction (a carried entry of a key the flush wrote would differ). And end to end, a
// read never sees a version older than one acknowledged before it began. At the end,
// closing gives every byte of the caches back.

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
)

const carryKeys = 48

func carryName(k int) []byte { return []byte("carry-" + strconv.Itoa(k)) }

// carryValue is key k's value at version v: small ones are kept inside the key record
// (inline), big ones in the data bucket under the key's identity.
func carryValue(k int, v int64, big bool) []byte {
	s := fmt.Sprintf("%d/%d/", k, v)
	if big {
		s += strings.Repeat("x", inlineMax+64)
	}
	return []byte(s)
}

func carryParse(k int, raw []byte) (int64, error) {
	parts := strings.SplitN(string(raw), "/", 3)
	if len(parts) != 3 || parts[0] != strconv.Itoa(k) {
		return 0, fmt.Errorf("key %d holds %.40q: another key's value", k, raw)
	}
	return strconv.ParseInt(parts[1], 10, 64)
}

// carryModel is what the writer has acknowledged: per key, +v for a set at version v,
// -v for a delete (or FLUSHDB) at version v, 0 for nothing yet; and the version of the
// last delete of each key issued (stored before it is sent), which a read that finds
// the key absent must be explained by.
type carryModel struct {
	acked  [carryKeys]atomic.Int64
	issued [carryKeys]atomic.Int64
}

// checkCache compares, inside tx, the record cache's answer for name's key record with
// bbolt's own.
func checkCache(tx *Tx, name []byte) error {
	c := tx.v.recs
	if c == nil {
		return nil
	}
	bb := tx.v.bolt(bKeys)
	if bb == nil {
		return nil
	}
	idx := append([]byte(nil), tx.nameIndex(name)...)
	want := bb.Get(idx)
	got := c.get(bb, idx)
	if !bytes.Equal(want, got) || (want == nil) != (got == nil) {
		return fmt.Errorf("%s at txid %d (cache epoch %d): the cache holds %d bytes (nil %v), the file %d (nil %v): a stale entry",
			name, tx.v.btx.ID(), c.epoch, len(got), got == nil, len(want), want == nil)
	}
	return nil
}

// carryRead reads a few random keys in one read transaction and checks them against
// the file and against what was acknowledged before it began.
func carryRead(db *DB, m *carryModel, rng *rand.Rand) error {
	n := 1 + rng.IntN(4)
	var ks [4]int
	var floors, got [4]int64
	var found [4]bool
	for i := 0; i < n; i++ {
		ks[i] = rng.IntN(carryKeys)
		floors[i] = m.acked[ks[i]].Load()
	}
	err := db.View(func(tx *Tx) error {
		for i := 0; i < n; i++ {
			name := carryName(ks[i])
			v, ok, err := tx.Get(name)
			if err != nil {
				return fmt.Errorf("key %d: %w", ks[i], err)
			}
			if found[i] = ok; ok {
				if got[i], err = carryParse(ks[i], v); err != nil {
					return err
				}
			}
			if err := checkCache(tx, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		k, floor := ks[i], floors[i]
		switch {
		case found[i] && floor > 0 && got[i] < floor:
			return fmt.Errorf("key %d read at version %d after version %d was acknowledged", k, got[i], floor)
		case found[i] && floor < 0 && got[i] < -floor:
			return fmt.Errorf("key %d read at version %d after its delete at %d was acknowledged", k, got[i], -floor)
		case !found[i] && floor > 0 && m.issued[k].Load() < floor:
			return fmt.Errorf("key %d read absent after version %d was acknowledged, and no delete since", k, floor)
		}
	}
	return nil
}

// carryWriter runs one random step of changes against db and updates the model; the
// versions rise from *ver.
func carryWriter(db *DB, m *carryModel, rng *rand.Rand, ver *int64) error {
	*ver++
	v := *ver
	switch r := rng.IntN(100); {
	case r < 55: // set (an overwrite, or a create of a deleted or never-written key)
		k := rng.IntN(carryKeys)
		val := carryValue(k, v, rng.IntN(5) == 0)
		if err := db.Update(func(tx *Tx) error { _, err := tx.Set(carryName(k), val, SetOptions{}); return err }); err != nil {
			return err
		}
		m.acked[k].Store(v)
	case r < 75: // set several keys in one transaction
		ks := []int{rng.IntN(carryKeys), rng.IntN(carryKeys), rng.IntN(carryKeys)}
		if err := db.Update(func(tx *Tx) error {
			for _, k := range ks {
				if _, err := tx.Set(carryName(k), carryValue(k, v, k%4 == 0), SetOptions{}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range ks {
			m.acked[k].Store(v)
		}
	case r < 96: // delete one or two keys
		ks := []int{rng.IntN(carryKeys), rng.IntN(carryKeys)}[:1+rng.IntN(2)]
		for _, k := range ks {
			m.issued[k].Store(v)
		}
		if err := db.Update(func(tx *Tx) error {
			for _, k := range ks {
				if _, err := tx.Del(carryName(k)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range ks {
			m.acked[k].Store(-v)
		}
	default: // FLUSHDB: a range delete over the keys bucket
		for k := range carryKeys {
			m.issued[k].Store(v)
		}
		if err := db.Update(func(tx *Tx) error { return tx.Flush() }); err != nil {
			return err
		}
		for k := range carryKeys {
			m.acked[k].Store(-v)
		}
	}
	return nil
}

// carried reports whether c is a carry of p: a shard's first arena piece is shared.
func carried(p, c *recCache) bool {
	if p == nil || c == nil || p == c {
		return false
	}
	for i := range c.shards {
		ps, cs := &p.shards[i], &c.shards[i]
		ps.mu.RLock()
		cs.mu.RLock()
		shared := len(ps.arena) > 0 && len(cs.arena) > 0 && &ps.arena[0][:1][0] == &cs.arena[0][:1][0]
		cs.mu.RUnlock()
		ps.mu.RUnlock()
		if shared {
			return true
		}
	}
	return false
}

// TestRecordCacheCarryNeverStale: a database behind the log, flushed every few changes
// while four readers read its keys; every read is checked against the file and the
// acknowledged versions, and the flushes must have carried the cache often.
func TestRecordCacheCarryNeverStale(t *testing.T) {
	n, db := recNode(t, 8<<20)
	rc := n.recs
	m := &carryModel{}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	var ver int64
	for k := range carryKeys { // most keys present at the start, some never written yet
		if k%6 == 5 {
			continue
		}
		ver++
		recSet(t, db, string(carryName(k)), string(carryValue(k, ver, k%5 == 0)))
		m.acked[k].Store(ver)
	}
	recFlush(t, db)

	stop := make(chan struct{})
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	var reads atomic.Int64
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := carryRead(db, m, rng); err != nil {
					errs <- err
					return
				}
				reads.Add(1)
			}
		}(uint64(r) + rng.Uint64())
	}

	flushes, carries := 0, 0
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) && len(errs) == 0 {
		if err := carryWriter(db, m, rng, &ver); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(3) == 0 {
			// Let the readers fill the current state's cache a little, then flush.
			for i, r0 := 0, reads.Load(); i < 100 && reads.Load() < r0+8; i++ {
				time.Sleep(50 * time.Microsecond)
			}
			before := db.recs.Load()
			recFlush(t, db)
			flushes++
			if carried(before, db.recs.Load()) {
				carries++
			}
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("after %d flushes (%d seen carried), %d reads: %v", flushes, carries, reads.Load(), err)
	default:
	}
	if carries == 0 || reads.Load() == 0 {
		t.Fatalf("%d flushes, none seen carried (%d reads): the test did not exercise the carry", flushes, reads.Load())
	}
	t.Logf("%d flushes, %d seen carried, %d reads, %+v", flushes, carries, reads.Load(), rc.Stats())

	n.stop()
	if st := rc.Stats(); st.Used != 0 || rc.active.Load() != 0 {
		t.Fatalf("after close: %+v, %d caches active; want nothing held", st, rc.active.Load())
	}
}

// TestRecordCacheCarryCloseRaces: a database with no log, so that every write is a flush
// and every flush carries, closed while readers check every read against the file and
// the writer goes on: nothing stale is read, and no cache carried or made after Close is
// left counted.
func TestRecordCacheCarryCloseRaces(t *testing.T) {
	for round := 0; round < 12; round++ {
		rc := NewRecordCache(8 << 20)
		kr, err := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
		if err != nil {
			t.Fatal(err)
		}
		db, err := Open(filepath.Join(t.TempDir(), "1.db"), 1, Options{Records: rc})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Unlock(kr); err != nil {
			t.Fatal(err)
		}
		m := &carryModel{}
		var ver int64
		for k := range carryKeys {
			ver++
			recSet(t, db, string(carryName(k)), string(carryValue(k, ver, k%7 == 0)))
			m.acked[k].Store(ver)
		}
		errs := make(chan error, 8)
		var wg sync.WaitGroup
		for r := 0; r < 4; r++ {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(round)))
				for {
					if err := carryRead(db, m, rng); err != nil {
						if !errors.Is(err, ErrClosed) {
							errs <- err
						}
						return
					}
				}
			}(uint64(r))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(round), 99))
			v := ver
			for {
				if err := carryWriter(db, m, rng, &v); err != nil {
					if !errors.Is(err, ErrClosed) {
						errs <- err
					}
					return
				}
			}
		}()
		time.Sleep(time.Duration(10+2*round) * time.Millisecond)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		select {
		case err := <-errs:
			t.Fatalf("round %d: %v", round, err)
		default:
		}
		if st := rc.Stats(); st.Used != 0 || rc.active.Load() != 0 || st.Hits == 0 {
			t.Fatalf("round %d, after Close: %+v, %d caches active; want nothing held, and hits", round, st, rc.active.Load())
		}
	}
}
