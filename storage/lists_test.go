package storage_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

func TestPushPop(t *testing.T) {
	e := newEnv(t)
	if n := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LPush([]byte("l"), bs("a", "b", "c"), false) }); n != 3 {
		t.Fatalf("LPUSH = %d", n)
	}
	wantList(t, e, "l", "c", "b", "a")
	if n := rpush(t, e, "l", "x", "y"); n != 5 {
		t.Fatalf("RPUSH = %d", n)
	}
	wantList(t, e, "l", "c", "b", "a", "x", "y")
	// LPUSHX / RPUSHX
	for _, left := range []bool{true, false} {
		n := run(t, e, func(tx *storage.Tx) (int64, error) {
			if left {
				return tx.LPush([]byte("absent"), bs("v"), true)
			}
			return tx.RPush([]byte("absent"), bs("v"), true)
		})
		if n != 0 {
			t.Fatalf("PUSHX absent = %d", n)
		}
		wantAbsent(t, e, "absent")
	}
	if n := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LPush([]byte("l"), bs("first"), true) }); n != 6 {
		t.Fatalf("LPUSHX = %d", n)
	}
	if n := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("l"), bs("last"), true) }); n != 7 {
		t.Fatalf("RPUSHX = %d", n)
	}
	wantList(t, e, "l", "first", "c", "b", "a", "x", "y", "last")
	e.reopen()
	pop := func(name string, left bool, n int) [][]byte {
		return run(t, e, func(tx *storage.Tx) ([][]byte, error) {
			if left {
				return tx.LPop([]byte(name), n)
			}
			return tx.RPop([]byte(name), n)
		})
	}
	if got := pop("l", true, 1); !slices.Equal(strs(got), []string{"first"}) {
		t.Fatalf("LPOP = %q", got)
	}
	if got := pop("l", false, 2); !slices.Equal(strs(got), []string{"last", "y"}) {
		t.Fatalf("RPOP 2 = %q", got)
	}
	if got := pop("l", true, 0); got == nil || len(got) != 0 {
		t.Fatalf("LPOP 0 = %#v; want empty non-nil", got)
	}
	wantList(t, e, "l", "c", "b", "a", "x")
	if got := pop("absent", true, 1); got != nil {
		t.Fatalf("LPOP absent = %#v", got)
	}
	if got := pop("absent", false, 0); got != nil {
		t.Fatalf("RPOP absent 0 = %#v", got)
	}
	if got := pop("l", true, 100); !slices.Equal(strs(got), []string{"c", "b", "a", "x"}) {
		t.Fatalf("LPOP 100 = %q", got)
	}
	wantList(t, e, "l")
	if n := dbsize(t, e); n != 0 {
		t.Fatalf("DBSIZE after popping all = %d", n)
	}
	// Many pushes on both ends, then popping all from one end.
	for i := range 50 {
		run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LPush([]byte("m"), bs(fmt.Sprint(-i)), false) })
		rpush(t, e, "m", fmt.Sprint(i))
	}
	got := pop("m", false, 1000)
	if len(got) != 100 || string(got[0]) != "49" || string(got[99]) != "-49" {
		t.Fatalf("RPOP all: %d items, %q .. %q", len(got), got[0], got[99])
	}
}

func TestIndexRangeSet(t *testing.T) {
	e := newEnv(t)
	rpush(t, e, "l", "one", "two", "three")
	lindex := func(i int64) (string, bool) {
		type r struct {
			v  []byte
			ok bool
		}
		res := view(t, e, func(tx *storage.Tx) (r, error) {
			v, ok, err := tx.LIndex([]byte("l"), i)
			return r{v, ok}, err
		})
		return string(res.v), res.ok
	}
	for i, want := range map[int64]string{0: "one", 2: "three", -1: "three", -3: "one"} {
		if v, ok := lindex(i); !ok || v != want {
			t.Fatalf("LINDEX %d = %q %v", i, v, ok)
		}
	}
	for _, i := range []int64{3, -4, math.MaxInt64, math.MinInt64} {
		if _, ok := lindex(i); ok {
			t.Fatalf("LINDEX %d found", i)
		}
	}
	// LRANGE examples from the Redis docs, and clamping.
	cases := []struct {
		start, stop int64
		want        []string
	}{
		{0, 0, []string{"one"}},
		{-3, 2, []string{"one", "two", "three"}},
		{-100, 100, []string{"one", "two", "three"}},
		{5, 10, []string{}},
		{1, 0, []string{}},
		{-1, -1, []string{"three"}},
		{-2, -3, []string{}},
		{2, 100, []string{"three"}},
		{math.MinInt64, math.MaxInt64, []string{"one", "two", "three"}},
		{0, -4, []string{}},
	}
	for _, c := range cases {
		if got := lrange(t, e, "l", c.start, c.stop); !slices.Equal(got, c.want) {
			t.Fatalf("LRANGE %d %d = %q; want %q", c.start, c.stop, got, c.want)
		}
	}
	if got := lrange(t, e, "absent", 0, -1); len(got) != 0 {
		t.Fatalf("LRANGE absent = %q", got)
	}
	// LSET, the docs' example.
	lset := func(name string, i int64, v string) error {
		return runErr(e, func(tx *storage.Tx) error { return tx.LSet([]byte(name), i, []byte(v)) })
	}
	if err := lset("l", 0, "four"); err != nil {
		t.Fatal(err)
	}
	if err := lset("l", -2, "five"); err != nil {
		t.Fatal(err)
	}
	wantList(t, e, "l", "four", "five", "three")
	if err := lset("l", 3, "x"); !errors.Is(err, storage.ErrOutOfRange) {
		t.Fatalf("LSET out of range: %v", err)
	}
	if err := lset("l", -4, "x"); !errors.Is(err, storage.ErrOutOfRange) {
		t.Fatalf("LSET out of range: %v", err)
	}
	if err := lset("absent", 0, "x"); !errors.Is(err, storage.ErrNoSuchKey) {
		t.Fatalf("LSET absent: %v", err)
	}
	wantAbsent(t, e, "absent")
}

func TestLRem(t *testing.T) {
	e := newEnv(t)
	lrem := func(name string, count int64, v string) int64 {
		return run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LRem([]byte(name), count, []byte(v)) })
	}
	// The docs' example.
	rpush(t, e, "l", "hello", "hello", "foo", "hello")
	if n := lrem("l", -2, "hello"); n != 2 {
		t.Fatalf("LREM -2 = %d", n)
	}
	wantList(t, e, "l", "hello", "foo")
	run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Del([]byte("l")) })

	rpush(t, e, "l", "a", "x", "b", "x", "c", "x", "d", "x")
	if n := lrem("l", 2, "x"); n != 2 {
		t.Fatalf("LREM 2 = %d", n)
	}
	wantList(t, e, "l", "a", "b", "c", "x", "d", "x")
	if n := lrem("l", 0, "x"); n != 2 {
		t.Fatalf("LREM 0 = %d", n)
	}
	wantList(t, e, "l", "a", "b", "c", "d")
	if n := lrem("l", 0, "nope"); n != 0 {
		t.Fatalf("LREM no match = %d", n)
	}
	if n := lrem("l", 100, "a"); n != 1 {
		t.Fatalf("LREM head = %d", n)
	}
	if n := lrem("l", -100, "d"); n != 1 {
		t.Fatalf("LREM tail = %d", n)
	}
	wantList(t, e, "l", "b", "c")
	// Extreme counts do not overflow.
	rpush(t, e, "l", "b")
	if n := lrem("l", math.MinInt64, "b"); n != 2 {
		t.Fatalf("LREM MinInt64 = %d", n)
	}
	wantList(t, e, "l", "c")
	if n := lrem("absent", 0, "x"); n != 0 {
		t.Fatalf("LREM absent = %d", n)
	}
	// Removing every element deletes the key.
	rpush(t, e, "all", "z", "z", "z")
	if n := lrem("all", 0, "z"); n != 3 {
		t.Fatalf("LREM all = %d", n)
	}
	wantList(t, e, "all")
	// Survives a reopen (moved elements were sealed again for their new slots).
	rpush(t, e, "r", "1", "2", "x", "3", "4", "5", "6", "x", "7")
	lrem("r", 0, "x")
	e.reopen()
	wantList(t, e, "r", "1", "2", "3", "4", "5", "6", "7")
}

func TestLTrim(t *testing.T) {
	e := newEnv(t)
	ltrim := func(name string, s, st int64) {
		run(t, e, func(tx *storage.Tx) (struct{}, error) { return struct{}{}, tx.LTrim([]byte(name), s, st) })
	}
	rpush(t, e, "l", "one", "two", "three")
	ltrim("l", 1, -1) // the docs' example
	wantList(t, e, "l", "two", "three")
	ltrim("l", 0, 100)
	wantList(t, e, "l", "two", "three")
	ltrim("l", -100, 0)
	wantList(t, e, "l", "two")
	rpush(t, e, "l", "a", "b")
	ltrim("l", 5, 10) // start past the end: empty, key deleted
	wantList(t, e, "l")
	rpush(t, e, "l", "a", "b", "c")
	ltrim("l", 2, 1) // start > stop
	wantList(t, e, "l")
	rpush(t, e, "l", "a", "b", "c")
	ltrim("l", -1, -2)
	wantList(t, e, "l")
	ltrim("absent", 0, 1) // not an error
	rpush(t, e, "l", "a", "b", "c", "d", "e")
	ltrim("l", 1, -2)
	wantList(t, e, "l", "b", "c", "d")
	// Pushes at both ends still work after a trim moved the head.
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LPush([]byte("l"), bs("z"), false) })
	rpush(t, e, "l", "y")
	wantList(t, e, "l", "z", "b", "c", "d", "y")
}

func TestLInsert(t *testing.T) {
	e := newEnv(t)
	linsert := func(name string, before bool, pivot, v string) int64 {
		return run(t, e, func(tx *storage.Tx) (int64, error) {
			return tx.LInsert([]byte(name), before, []byte(pivot), []byte(v))
		})
	}
	rpush(t, e, "l", "Hello", "World")
	if n := linsert("l", true, "World", "There"); n != 3 { // the docs' example
		t.Fatalf("LINSERT = %d", n)
	}
	wantList(t, e, "l", "Hello", "There", "World")
	if n := linsert("l", true, "nope", "x"); n != -1 {
		t.Fatalf("LINSERT missing pivot = %d", n)
	}
	if n := linsert("absent", true, "x", "y"); n != 0 {
		t.Fatalf("LINSERT absent key = %d", n)
	}
	wantAbsent(t, e, "absent")
	linsert("l", true, "Hello", "first")
	linsert("l", false, "World", "last")
	linsert("l", false, "Hello", "afterHello")
	wantList(t, e, "l", "first", "Hello", "afterHello", "There", "World", "last")
	// The first matching pivot is used.
	rpush(t, e, "d", "p", "a", "p")
	linsert("d", false, "p", "x")
	wantList(t, e, "d", "p", "x", "a", "p")
	// Both shift directions, checked after a reopen.
	rpush(t, e, "big", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
	linsert("big", true, "1", "L")  // left side shorter
	linsert("big", false, "8", "R") // right side shorter
	e.reopen()
	wantList(t, e, "big", "0", "L", "1", "2", "3", "4", "5", "6", "7", "8", "R", "9")
}

func TestLPos(t *testing.T) {
	e := newEnv(t)
	lpos := func(name, v string, rank, count, maxlen int64) []int64 {
		return view(t, e, func(tx *storage.Tx) ([]int64, error) {
			return tx.LPos([]byte(name), []byte(v), rank, count, maxlen)
		})
	}
	rpush(t, e, "l", "a", "b", "c", "d", "1", "2", "3", "4", "3", "3", "3")
	cases := []struct {
		v                   string
		rank, count, maxlen int64
		want                []int64
	}{
		{"3", 1, 1, 0, []int64{6}},            // LPOS mylist 3
		{"3", 2, 0, 0, []int64{8, 9, 10}},     // LPOS mylist 3 COUNT 0 RANK 2
		{"3", -1, 1, 0, []int64{10}},          // RANK -1
		{"3", -1, 2, 0, []int64{10, 9}},       // RANK -1 COUNT 2
		{"3", -2, 0, 0, []int64{9, 8, 6}},     // RANK -2 COUNT 0
		{"3", 1, 0, 7, []int64{6}},            // MAXLEN 7
		{"3", 1, 0, 6, []int64{}},             // MAXLEN 6
		{"3", -1, 0, 2, []int64{10, 9}},       // from the tail, MAXLEN 2
		{"3", 5, 0, 0, []int64{}},             // rank past the matches
		{"x", 1, 0, 0, []int64{}},             // no match
		{"a", math.MinInt64, 0, 0, []int64{}}, // no overflow
		{"3", 1, 2, 0, []int64{6, 8}},         // COUNT 2
		{"a", 1, 0, 0, []int64{0}},            // head
		{"3", math.MaxInt64, 0, 0, []int64{}}, // huge rank
		{"3", 1, math.MaxInt64, 0, []int64{6, 8, 9, 10}},
	}
	for _, c := range cases {
		if got := lpos("l", c.v, c.rank, c.count, c.maxlen); !slices.Equal(got, c.want) {
			t.Errorf("LPOS %s RANK %d COUNT %d MAXLEN %d = %v; want %v", c.v, c.rank, c.count, c.maxlen, got, c.want)
		}
	}
	if got := lpos("absent", "a", 1, 0, 0); got != nil {
		t.Fatalf("LPOS absent = %v", got)
	}
}

func TestLMove(t *testing.T) {
	e := newEnv(t)
	lmove := func(src, dst string, fromLeft, toLeft bool) (string, bool) {
		type r struct {
			v  []byte
			ok bool
		}
		res := run(t, e, func(tx *storage.Tx) (r, error) {
			v, ok, err := tx.LMove([]byte(src), []byte(dst), fromLeft, toLeft)
			return r{v, ok}, err
		})
		return string(res.v), res.ok
	}
	rpush(t, e, "mylist", "one", "two", "three")
	if v, ok := lmove("mylist", "myotherlist", false, true); !ok || v != "three" {
		t.Fatalf("LMOVE RIGHT LEFT = %q %v", v, ok)
	}
	if v, ok := lmove("mylist", "myotherlist", true, false); !ok || v != "one" {
		t.Fatalf("LMOVE LEFT RIGHT = %q %v", v, ok)
	}
	wantList(t, e, "mylist", "two")
	wantList(t, e, "myotherlist", "three", "one")
	// Moving the last element deletes the source.
	lmove("mylist", "myotherlist", true, true)
	wantList(t, e, "mylist")
	wantList(t, e, "myotherlist", "two", "three", "one")
	if _, ok := lmove("mylist", "myotherlist", true, true); ok {
		t.Fatal("LMOVE from absent = ok")
	}
	// Rotation.
	lmove("myotherlist", "myotherlist", true, false)
	wantList(t, e, "myotherlist", "three", "one", "two")
	lmove("myotherlist", "myotherlist", false, true)
	wantList(t, e, "myotherlist", "two", "three", "one")
	lmove("myotherlist", "myotherlist", true, true)
	wantList(t, e, "myotherlist", "two", "three", "one")
	rpush(t, e, "single", "s")
	lmove("single", "single", true, false)
	wantList(t, e, "single", "s")
	// WRONGTYPE destination: nothing moves.
	set(t, e, "str", "v")
	err := runErr(e, func(tx *storage.Tx) error {
		_, _, err := tx.LMove([]byte("myotherlist"), []byte("str"), true, true)
		return err
	})
	if !errors.Is(err, storage.ErrWrongType) {
		t.Fatalf("LMOVE to string: %v", err)
	}
	wantList(t, e, "myotherlist", "two", "three", "one")
	wantGet(t, e, "str", "v")
	// Absent source with a wrong-type destination: nil, as Redis checks the source first.
	if _, ok := lmove("absent", "str", true, true); ok {
		t.Fatal("LMOVE absent src = ok")
	}
}

// model is a plain slice with Redis's list semantics, written independently of lists.go.
type model []string

func (m model) norm(i int64) int64 {
	if i < 0 {
		return i + int64(len(m))
	}
	return i
}

func (m model) rng(start, stop int64) []string {
	n := int64(len(m))
	start, stop = m.norm(start), m.norm(stop)
	start = max(start, 0)
	stop = min(stop, n-1)
	if start > stop {
		return []string{}
	}
	return slices.Clone(m[start : stop+1])
}

// TestListsAgainstModel runs random operations on a list and on a model and compares
// them after each step, including after reopening the file.
func TestListsAgainstModel(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var m model
	vals := []string{"a", "b", "c", "d", "e"}
	name := []byte("L")
	for step := range 1500 {
		v := vals[rng.IntN(len(vals))]
		n := int64(len(m))
		idx := rng.Int64N(2*n+3) - n - 1
		idx2 := rng.Int64N(2*n+3) - n - 1
		var op string
		switch rng.IntN(10) {
		case 0:
			op = "lpush"
			run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LPush(name, bs(v, v+v), false) })
			m = append(model{v + v, v}, m...)
		case 1:
			op = "rpush"
			rpush(t, e, "L", v)
			m = append(m, v)
		case 2:
			op = "pop"
			c := rng.IntN(3)
			left := rng.IntN(2) == 0
			got := run(t, e, func(tx *storage.Tx) ([][]byte, error) {
				if left {
					return tx.LPop(name, c)
				}
				return tx.RPop(name, c)
			})
			var want []string
			for range min(c, len(m)) {
				if left {
					want, m = append(want, m[0]), m[1:]
				} else {
					want, m = append(want, m[len(m)-1]), m[:len(m)-1]
				}
			}
			if !slices.Equal(strs(got), want) {
				t.Fatalf("step %d pop: %q; want %q", step, got, want)
			}
		case 3:
			op = "lrem"
			c := rng.Int64N(5) - 2
			got := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LRem(name, c, []byte(v)) })
			var want int64
			if c >= 0 {
				var out model
				for _, x := range m {
					if x == v && (c == 0 || want < c) {
						want++
						continue
					}
					out = append(out, x)
				}
				m = out
			} else {
				var out model
				for i := len(m) - 1; i >= 0; i-- {
					if m[i] == v && want < -c {
						want++
						continue
					}
					out = append(model{m[i]}, out...)
				}
				m = out
			}
			if got != want {
				t.Fatalf("step %d lrem %d %s = %d; want %d", step, c, v, got, want)
			}
		case 4:
			op = "ltrim"
			run(t, e, func(tx *storage.Tx) (struct{}, error) { return struct{}{}, tx.LTrim(name, idx, idx2) })
			m = m.rng(idx, idx2)
		case 5:
			op = "linsert"
			before := rng.IntN(2) == 0
			got := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.LInsert(name, before, []byte(v), []byte("new")) })
			want := int64(-1)
			if len(m) == 0 {
				want = 0
			} else if p := slices.Index(m, v); p >= 0 {
				if !before {
					p++
				}
				m = slices.Insert(m, p, "new")
				want = int64(len(m))
			}
			if got != want {
				t.Fatalf("step %d linsert = %d; want %d", step, got, want)
			}
		case 6:
			op = "lset"
			err := runErr(e, func(tx *storage.Tx) error { return tx.LSet(name, idx, []byte(v)) })
			i := m.norm(idx)
			switch {
			case len(m) == 0:
				if !errors.Is(err, storage.ErrNoSuchKey) {
					t.Fatalf("step %d lset absent: %v", step, err)
				}
			case i < 0 || i >= n:
				if !errors.Is(err, storage.ErrOutOfRange) {
					t.Fatalf("step %d lset %d: %v", step, idx, err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				m[i] = v
			}
		case 7:
			op = "lmove"
			fromLeft, toLeft := rng.IntN(2) == 0, rng.IntN(2) == 0
			type r struct {
				v  []byte
				ok bool
			}
			got := run(t, e, func(tx *storage.Tx) (r, error) {
				v, ok, err := tx.LMove(name, name, fromLeft, toLeft)
				return r{v, ok}, err
			})
			if len(m) == 0 {
				if got.ok {
					t.Fatalf("step %d lmove on empty = ok", step)
				}
				break
			}
			var x string
			if fromLeft {
				x, m = m[0], m[1:]
			} else {
				x, m = m[len(m)-1], m[:len(m)-1]
			}
			if toLeft {
				m = append(model{x}, m...)
			} else {
				m = append(m, x)
			}
			if !got.ok || string(got.v) != x {
				t.Fatalf("step %d lmove = %q; want %q", step, got.v, x)
			}
		case 8:
			op = "lrange/lindex/lpos"
			if got, want := lrange(t, e, "L", idx, idx2), m.rng(idx, idx2); !slices.Equal(got, want) {
				t.Fatalf("step %d LRANGE %d %d = %q; want %q", step, idx, idx2, got, want)
			}
			rank := rng.Int64N(5) - 2
			if rank == 0 {
				rank = 1
			}
			got := view(t, e, func(tx *storage.Tx) ([]int64, error) { return tx.LPos(name, []byte(v), rank, 0, 0) })
			var want []int64
			skip := rank - 1
			if rank < 0 {
				skip = -rank - 1
			}
			for k := range m {
				i := k
				if rank < 0 {
					i = len(m) - 1 - k
				}
				if m[i] == v {
					if skip > 0 {
						skip--
						continue
					}
					want = append(want, int64(i))
				}
			}
			if len(m) == 0 {
				want = nil
			} else if want == nil {
				want = []int64{}
			}
			if !slices.Equal(got, want) || (got == nil) != (want == nil) {
				t.Fatalf("step %d LPOS %s RANK %d = %v; want %v", step, v, rank, got, want)
			}
		case 9:
			op = "reopen"
			if step%5 == 0 {
				e.reopen()
			}
		}
		got := lrange(t, e, "L", 0, -1)
		if !slices.Equal(got, []string(m)) && !(len(got) == 0 && len(m) == 0) {
			t.Fatalf("step %d after %s: list %q; model %q", step, op, got, m)
		}
		ln := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.LLen(name) })
		ex := view(t, e, func(tx *storage.Tx) (bool, error) { return tx.Exists(name) })
		if ln != int64(len(m)) || ex != (len(m) > 0) {
			t.Fatalf("step %d after %s: LLEN %d exists %v; model %d", step, op, ln, ex, len(m))
		}
	}
}

// TestWrongType calls every typed operation on a key of each other type.
func TestWrongType(t *testing.T) {
	e := newEnv(t)
	set(t, e, "s", "v")
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("f", "1")) })
	rpush(t, e, "l", "a")
	type op struct {
		name string
		typ  storage.Type // the type the op wants
		fn   func(tx *storage.Tx, k []byte) error
	}
	f, v := []byte("f"), []byte("v")
	ops := []op{
		{"GET", storage.TypeString, func(tx *storage.Tx, k []byte) error { _, _, err := tx.Get(k); return err }},
		{"INCRBY", storage.TypeString, func(tx *storage.Tx, k []byte) error { _, err := tx.IncrBy(k, 1); return err }},
		{"INCRBYFLOAT", storage.TypeString, func(tx *storage.Tx, k []byte) error { _, err := tx.IncrByFloat(k, 1); return err }},
		{"APPEND", storage.TypeString, func(tx *storage.Tx, k []byte) error { _, err := tx.Append(k, v); return err }},
		{"SETRANGE", storage.TypeString, func(tx *storage.Tx, k []byte) error { _, err := tx.SetRange(k, 0, v); return err }},
		{"SET GET", storage.TypeString, func(tx *storage.Tx, k []byte) error {
			_, err := tx.Set(k, v, storage.SetOptions{Get: true})
			return err
		}},
		{"HSET", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, err := tx.HSet(k, [][]byte{f, v}); return err }},
		{"HSETNX", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, err := tx.HSetNX(k, f, v); return err }},
		{"HGET", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, _, err := tx.HGet(k, f); return err }},
		{"HGETALL", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, err := tx.HGetAll(k); return err }},
		{"HDEL", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, err := tx.HDel(k, [][]byte{f}); return err }},
		{"HEXISTS", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, err := tx.HExists(k, f); return err }},
		{"HLEN", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, err := tx.HLen(k); return err }},
		{"HINCRBY", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, err := tx.HIncrBy(k, f, 1); return err }},
		{"HINCRBYFLOAT", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, err := tx.HIncrByFloat(k, f, 1); return err }},
		{"HSCAN", storage.TypeHash, func(tx *storage.Tx, k []byte) error { _, _, err := tx.HScan(k, 0, nil, 10); return err }},
		{"LPUSH", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.LPush(k, [][]byte{v}, false); return err }},
		{"RPUSHX", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.RPush(k, [][]byte{v}, true); return err }},
		{"LPOP", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.LPop(k, 1); return err }},
		{"RPOP", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.RPop(k, 0); return err }},
		{"LLEN", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.LLen(k); return err }},
		{"LINDEX", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, _, err := tx.LIndex(k, 0); return err }},
		{"LRANGE", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.LRange(k, 0, -1); return err }},
		{"LSET", storage.TypeList, func(tx *storage.Tx, k []byte) error { return tx.LSet(k, 0, v) }},
		{"LREM", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.LRem(k, 0, v); return err }},
		{"LTRIM", storage.TypeList, func(tx *storage.Tx, k []byte) error { return tx.LTrim(k, 0, 0) }},
		{"LINSERT", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.LInsert(k, true, v, v); return err }},
		{"LPOS", storage.TypeList, func(tx *storage.Tx, k []byte) error { _, err := tx.LPos(k, v, 1, 0, 0); return err }},
		{"LMOVE src", storage.TypeList, func(tx *storage.Tx, k []byte) error {
			_, _, err := tx.LMove(k, []byte("l"), true, true)
			return err
		}},
		{"LMOVE dst", storage.TypeList, func(tx *storage.Tx, k []byte) error {
			_, _, err := tx.LMove([]byte("l"), k, true, true)
			return err
		}},
	}
	keys := map[storage.Type]string{storage.TypeString: "s", storage.TypeHash: "h", storage.TypeList: "l"}
	for _, o := range ops {
		for typ, k := range keys {
			if typ == o.typ {
				continue
			}
			if err := runErr(e, func(tx *storage.Tx) error { return o.fn(tx, []byte(k)) }); !errors.Is(err, storage.ErrWrongType) {
				t.Errorf("%s on a %v: %v; want ErrWrongType", o.name, typ, err)
			}
		}
	}
	// Nothing changed.
	wantGet(t, e, "s", "v")
	if got := hgetall(t, e, "h"); len(got) != 1 || got["f"] != "1" {
		t.Fatalf("hash changed: %v", got)
	}
	wantList(t, e, "l", "a")
}

// An empty element opens to a nil plaintext, which getElem (lists.go) takes for a missing
// record: LPOP/RPOP/LINDEX/LMOVE/LPOS of an empty element fail with ErrCorrupt.
func TestReviewEmptyListElement(t *testing.T) {
	e := newEnv(t)
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("l"), bs("", "x"), false) })
	v, ok, err := func() ([]byte, bool, error) {
		var v []byte
		var ok bool
		err := e.db.View(func(tx *storage.Tx) error {
			var err error
			v, ok, err = tx.LIndex([]byte("l"), 0)
			return err
		})
		return v, ok, err
	}()
	if err != nil || !ok || len(v) != 0 {
		t.Fatalf("LIndex 0 of [\"\", \"x\"]: %q %v %v", v, ok, err)
	}
	got := run(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.LPop([]byte("l"), 1) })
	if len(got) != 1 || len(got[0]) != 0 {
		t.Fatalf("LPop: %q", got)
	}
}
