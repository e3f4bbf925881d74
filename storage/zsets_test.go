package storage_test

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/storage"
)

func zadd(t testing.TB, e *env, name string, pairs ...any) int64 {
	t.Helper()
	var ms []storage.ZMember
	for i := 0; i < len(pairs); i += 2 {
		ms = append(ms, storage.ZMember{Member: []byte(pairs[i+1].(string)), Score: pairs[i].(float64)})
	}
	return run(t, e, func(tx *storage.Tx) (int64, error) {
		n, _, _, err := tx.ZAdd([]byte(name), storage.ZAddFlags{}, ms)
		return n, err
	})
}

func zall(t testing.TB, e *env, name string, rev bool) []storage.ZMember {
	t.Helper()
	return view(t, e, func(tx *storage.Tx) ([]storage.ZMember, error) {
		return tx.ZRange([]byte(name), storage.ZRangeSpec{By: storage.ZByRank, Start: 0, Stop: -1, Rev: rev})
	})
}

// zRecords are the bbolt keys of a sorted set's records of one kind ('z' member, 'Z'
// score index, 'Y' reverse index) in the file.
func zRecords(tx *bolt.Tx, tag byte) [][]byte {
	var out [][]byte
	for _, k := range dataKeysOf(tx) {
		if len(k) > 9 && k[8] == tag {
			out = append(out, k)
		}
	}
	return out
}

// Scores order as numbers, negatives, zeros and infinities included, ties by member,
// in both directions, and the order survives a flush and reopen.
func TestZSetOrdering(t *testing.T) {
	e := newEnv(t)
	inf := math.Inf(1)
	zadd(t, e, "z", 1.0, "one", -1.0, "minus", 0.0, "zero", math.Copysign(0, -1), "negzero", -inf, "ninf", inf, "pinf",
		-1e300, "big-", 1e300, "big+", 0.5, "half", -0.5, "mhalf", 1.0, "another", 1.0, "a", math.SmallestNonzeroFloat64, "tiny")
	want := []string{"ninf", "big-", "minus", "mhalf", "negzero", "zero", "tiny", "half", "a", "another", "one", "big+", "pinf"}
	for _, reopen := range []bool{false, true} {
		if reopen {
			e.reopen()
		}
		var got []string
		for _, m := range zall(t, e, "z", false) {
			got = append(got, string(m.Member))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("ZRANGE = %q\nwant    %q", got, want)
		}
		got = got[:0]
		for _, m := range zall(t, e, "z", true) {
			got = append(got, string(m.Member))
		}
		rev := slices.Clone(want)
		slices.Reverse(rev)
		if !slices.Equal(got, rev) {
			t.Fatalf("ZREVRANGE = %q", got)
		}
	}
	r := view(t, e, func(tx *storage.Tx) ([]storage.ZMember, error) {
		return tx.ZRange([]byte("z"), storage.ZRangeSpec{By: storage.ZByScore, Min: storage.ScoreBound{V: 0, Excl: true}, Max: storage.ScoreBound{V: 1}, Count: -1})
	})
	if len(r) != 5 || string(r[0].Member) != "tiny" || string(r[4].Member) != "one" {
		t.Fatalf("ZRANGEBYSCORE (0 1 = %v", r)
	}
}

// A member or index record moved to another place (another member's slot, another
// sorted set) fails to open, and the error names no member.
func TestZSetRecordMovedFailsToOpen(t *testing.T) {
	for _, tag := range []byte{'z', 'Z', 'Y'} {
		for _, where := range []string{"slot", "zset"} {
			t.Run(fmt.Sprintf("%c-%s", tag, where), func(t *testing.T) {
				e := newEnv(t)
				zadd(t, e, "A", 1.0, "member-a1", 2.0, "member-a2")
				zadd(t, e, "B", 3.0, "member-b1")
				e.close()
				rawBolt(t, e.path, func(tx *bolt.Tx) error {
					recs := zRecords(tx, tag)
					if len(recs) != 3 {
						return fmt.Errorf("found %d records", len(recs))
					}
					d := tx.Bucket([]byte("data"))
					from, to := recs[0], recs[1]
					if where == "zset" {
						to = recs[2]
					}
					return d.Put(to, slices.Clone(d.Get(from)))
				})
				e.open()
				name := "A"
				if where == "zset" {
					name = "B"
				}
				err := e.db.View(func(tx *storage.Tx) error {
					if _, err := tx.ZRange([]byte(name), storage.ZRangeSpec{Stop: -1}); err != nil {
						return err
					}
					if _, err := tx.ZRange([]byte(name), storage.ZRangeSpec{Stop: -1, Rev: true}); err != nil {
						return err
					}
					_, _, err := tx.ZScan([]byte(name), 0, nil, 100)
					return err
				})
				if !storage.IsCorrupt(err) {
					t.Fatalf("reads of %s with a moved record: %v; want corrupt", name, err)
				}
				if bytes.Contains([]byte(err.Error()), []byte("member-")) {
					t.Fatalf("error names a member: %v", err)
				}
			})
		}
	}
}

// An index record deleted behind herodb's back makes whole walks fail rather than
// answer short; ZCARD still reads the sealed count.
func TestZSetIndexDeletedIsCorrupt(t *testing.T) {
	e := newEnv(t)
	zadd(t, e, "S", 1.0, "a", 2.0, "b", 3.0, "c")
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error { return tx.Bucket([]byte("data")).Delete(zRecords(tx, 'Z')[1]) })
	e.open()
	if err := e.db.View(func(tx *storage.Tx) error {
		_, err := tx.ZRange([]byte("S"), storage.ZRangeSpec{Stop: -1, By: storage.ZByScore, Min: storage.ScoreBound{V: math.Inf(-1)}, Max: storage.ScoreBound{V: math.Inf(1)}, Count: -1})
		return err
	}); !storage.IsCorrupt(err) {
		t.Fatalf("whole ZRANGEBYSCORE: %v; want corrupt", err)
	}
	if err := e.db.View(func(tx *storage.Tx) error { _, _, err := tx.ZRank([]byte("S"), []byte("b"), false); return err }); !storage.IsCorrupt(err) {
		t.Fatalf("ZRANK of the member without index record: %v; want corrupt", err)
	}
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.ZCard([]byte("S")) }); n != 3 {
		t.Fatalf("ZCARD = %d", n)
	}
}

func TestZSetNoMemberInFile(t *testing.T) {
	e := newEnv(t)
	secrets := []string{"ZKeyAlpha7431", "ZMemberBravo9902", "ZMemberCharlie2231", "ZStoreDelta5511"}
	zadd(t, e, secrets[0], 1.5, secrets[1], 1700000000000.0, secrets[2])
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.ZCombineStore(storage.SetUnion, []byte(secrets[3]), bs(secrets[0]), nil, storage.AggSum)
	})
	e.close()
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(raw, []byte(s)) || bytes.Contains(raw, utf16(s)) {
			t.Errorf("%q appears in the database file", s)
		}
	}
}

// zModel is the simplest sorted set: a map, sorted on demand.
type zModel map[string]float64

func (z zModel) sorted(rev bool) []storage.ZMember {
	var out []storage.ZMember
	for m, s := range z {
		out = append(out, storage.ZMember{Member: []byte(m), Score: s})
	}
	slices.SortFunc(out, func(a, b storage.ZMember) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.Member, b.Member)
	})
	if rev {
		slices.Reverse(out)
	}
	return out
}

func zEq(a, b []storage.ZMember) bool {
	return slices.EqualFunc(a, b, func(x, y storage.ZMember) bool { return bytes.Equal(x.Member, y.Member) && x.Score == y.Score })
}

// Random ZADD/ZINCRBY/ZREM/ZPOP/ZREMRANGEBYSCORE/BYRANK against the model, checking
// ranges by rank, score and lex, ranks and counts after each step, over flushes.
func TestZSetModel(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(1, 2))
	model := zModel{}
	scores := []float64{-2, -1, -0.5, 0, 0, 0.5, 1, 1, 2, 3, math.Inf(1), math.Inf(-1)}
	member := func() string { return fmt.Sprintf("m%02d", rng.IntN(40)) }
	key := []byte("z")
	for step := range 600 {
		switch op := rng.IntN(10); {
		case op < 4:
			m, s := member(), scores[rng.IntN(len(scores))]
			zadd(t, e, "z", s, m)
			model[m] = s
		case op == 4:
			m, d := member(), float64(rng.IntN(5)-2)
			_, err := runE(e, func(tx *storage.Tx) (float64, error) {
				_, s, _, err := tx.ZAdd(key, storage.ZAddFlags{Incr: true}, []storage.ZMember{{Member: []byte(m), Score: d}})
				return s, err
			})
			if s := model[m] + d; math.IsNaN(s) {
				if err == nil {
					t.Fatalf("step %d: NaN increment accepted", step)
				}
			} else {
				model[m] = s
			}
		case op == 5:
			m := member()
			run(t, e, func(tx *storage.Tx) (int64, error) { return tx.ZRem(key, bs(m)) })
			delete(model, m)
		case op == 6:
			max := rng.IntN(2) == 0
			n := int64(rng.IntN(3))
			got := run(t, e, func(tx *storage.Tx) ([]storage.ZMember, error) { return tx.ZPop(key, max, n) })
			want := model.sorted(max)[:min(int(n), len(model))]
			if !zEq(got, want) {
				t.Fatalf("step %d: ZPOP = %v, want %v", step, got, want)
			}
			for _, m := range want {
				delete(model, string(m.Member))
			}
		case op == 7:
			lo, hi := scores[rng.IntN(len(scores))], scores[rng.IntN(len(scores))]
			run(t, e, func(tx *storage.Tx) (int64, error) {
				return tx.ZRemRange(key, storage.ZRangeSpec{By: storage.ZByScore, Min: storage.ScoreBound{V: lo}, Max: storage.ScoreBound{V: hi, Excl: true}})
			})
			for m, s := range model {
				if s >= lo && s < hi {
					delete(model, m)
				}
			}
		case op == 8:
			start, stop := int64(rng.IntN(6)), int64(rng.IntN(6))
			run(t, e, func(tx *storage.Tx) (int64, error) {
				return tx.ZRemRange(key, storage.ZRangeSpec{By: storage.ZByRank, Start: start, Stop: stop})
			})
			all := model.sorted(false)
			for i := start; i <= stop && i < int64(len(all)); i++ {
				delete(model, string(all[i].Member))
			}
		default:
			if rng.IntN(3) == 0 {
				e.reopen()
			}
		}
		// Check everything against the model.
		for _, rev := range []bool{false, true} {
			if got, want := zall(t, e, "z", rev), model.sorted(rev); !zEq(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("step %d rev %v: ZRANGE = %v\nwant %v", step, rev, got, want)
			}
		}
		if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.ZCard(key) }); n != int64(len(model)) {
			t.Fatalf("step %d: ZCARD = %d, want %d", step, n, len(model))
		}
		all := model.sorted(false)
		for i, m := range all {
			r, ok := viewRank(t, e, key, m.Member, false)
			if !ok || r != int64(i) {
				t.Fatalf("step %d: ZRANK %s = %d %v, want %d", step, m.Member, r, ok, i)
			}
			r, _ = viewRank(t, e, key, m.Member, true)
			if r != int64(len(all)-1-i) {
				t.Fatalf("step %d: ZREVRANK %s = %d", step, m.Member, r)
			}
		}
		lo, hi := scores[rng.IntN(len(scores))], scores[rng.IntN(len(scores))]
		var want []storage.ZMember
		for _, m := range all {
			if m.Score > lo && m.Score <= hi {
				want = append(want, m)
			}
		}
		spec := storage.ZRangeSpec{By: storage.ZByScore, Min: storage.ScoreBound{V: lo, Excl: true}, Max: storage.ScoreBound{V: hi}, Count: -1}
		if got := view(t, e, func(tx *storage.Tx) ([]storage.ZMember, error) { return tx.ZRange(key, spec) }); !zEq(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("step %d: ZRANGEBYSCORE (%v %v = %v, want %v", step, lo, hi, got, want)
		}
		if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.ZCount(key, spec.Min, spec.Max) }); n != int64(len(want)) {
			t.Fatalf("step %d: ZCOUNT = %d, want %d", step, n, len(want))
		}
		spec.Rev, spec.Offset, spec.Count = true, 1, 2
		slices.Reverse(want)
		if len(want) > 0 {
			want = want[1:min(3, len(want))]
		}
		if got := view(t, e, func(tx *storage.Tx) ([]storage.ZMember, error) { return tx.ZRange(key, spec) }); !zEq(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("step %d: ZREVRANGEBYSCORE LIMIT 1 2 = %v, want %v", step, got, want)
		}
	}
}

func viewRank(t *testing.T, e *env, key, member []byte, rev bool) (int64, bool) {
	t.Helper()
	var r int64
	var ok bool
	if err := e.db.View(func(tx *storage.Tx) (err error) { r, ok, err = tx.ZRank(key, member, rev); return err }); err != nil {
		t.Fatal(err)
	}
	return r, ok
}

func runE[T any](e *env, f func(*storage.Tx) (T, error)) (T, error) {
	var out T
	err := e.db.Update(func(tx *storage.Tx) (err error) { out, err = f(tx); return err })
	return out, err
}
