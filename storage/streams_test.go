package storage_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/storage"
)

func sid(ms, seq uint64) storage.StreamID { return storage.StreamID{Ms: ms, Seq: seq} }

// xadd appends entries at the given ids (ms-0 each) to stream name, creating it.
func xadd(t testing.TB, e *env, name string, ms ...uint64) {
	t.Helper()
	run(t, e, func(tx *storage.Tx) (int, error) {
		s, err := tx.OpenStream([]byte(name))
		if err == nil && s == nil {
			s, err = tx.CreateStream([]byte(name))
		}
		if err != nil {
			return 0, err
		}
		for _, m := range ms {
			if err := s.Append(sid(m, 0), bs("f", fmt.Sprint(m))); err != nil {
				return 0, err
			}
		}
		return 0, s.Save()
	})
}

// xids reads the ids of stream name in [from, to], forward or reverse, in one
// transaction that first runs pre (nil: none) on the stream.
func xids(t testing.TB, e *env, name string, from, to storage.StreamID, rev bool) []string {
	t.Helper()
	return view(t, e, func(tx *storage.Tx) ([]string, error) {
		s, err := tx.OpenStream([]byte(name))
		if err != nil || s == nil {
			return nil, err
		}
		var out []string
		err = s.Range(from, to, rev, func(en storage.StreamEntry) bool {
			if string(en.Fields[1]) != fmt.Sprint(en.ID.Ms) {
				t.Errorf("entry %s holds %q", en.ID, en.Fields)
			}
			out = append(out, en.ID.String())
			return true
		})
		return out, err
	})
}

func idStrs(ms ...uint64) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d-0", m))
	}
	return out
}

// Entries come back in id order both ways, from a seek, whether they sit in the file,
// in the overlay or in the transaction's own writes, with deletions of each layer
// hiding them; the order survives a reopen.
func TestStreamOrdering(t *testing.T) {
	e := newEnv(t)
	xadd(t, e, "s", 1, 2, 3, 256, 257, 1<<40)
	xadd(t, e, "other", 5, 6) // a neighbour's records never leak into the range
	e.reopen()                // the first entries are in the file now
	xadd(t, e, "s", 1<<41, 1<<42)
	all := idStrs(1, 2, 3, 256, 257, 1<<40, 1<<41, 1<<42)
	tEqS(t, "forward", xids(t, e, "s", sid(0, 0), storage.MaxStreamID, false), all)
	rev := slices.Clone(all)
	slices.Reverse(rev)
	tEqS(t, "reverse", xids(t, e, "s", sid(0, 0), storage.MaxStreamID, true), rev)
	tEqS(t, "bounded", xids(t, e, "s", sid(3, 0), sid(1<<41, 0), true), idStrs(1<<41, 1<<40, 257, 256, 3))
	tEqS(t, "between", xids(t, e, "s", sid(4, 0), sid(255, 9), false), nil)
	run(t, e, func(tx *storage.Tx) (int, error) {
		s, _ := tx.OpenStream([]byte("s"))
		for _, id := range []storage.StreamID{sid(1<<40, 0), sid(1<<42, 0), sid(2, 0)} { // file, overlay, file
			if ok, err := s.Delete(id); !ok || err != nil {
				return 0, fmt.Errorf("delete %s: %v %v", id, ok, err)
			}
		}
		if ok, _ := s.Delete(sid(2, 0)); ok {
			return 0, fmt.Errorf("deleted twice")
		}
		// Inside the transaction that deleted them: gone both ways.
		var got []string
		s.Range(sid(0, 0), storage.MaxStreamID, true, func(en storage.StreamEntry) bool { got = append(got, en.ID.String()); return true })
		tEqS(t, "own writes", got, idStrs(1<<41, 257, 256, 3, 1))
		return 0, s.Save()
	})
	want := idStrs(1, 3, 256, 257, 1<<41)
	for _, reopen := range []bool{false, true} {
		if reopen {
			e.reopen()
		}
		tEqS(t, "after delete", xids(t, e, "s", sid(0, 0), storage.MaxStreamID, false), want)
		back := slices.Clone(want)
		slices.Reverse(back)
		tEqS(t, "after delete, reverse", xids(t, e, "s", sid(0, 0), storage.MaxStreamID, true), back)
		st := view(t, e, func(tx *storage.Tx) (*storage.Stream, error) { return tx.OpenStream([]byte("s")) })
		tEq(t, "len", st.Len(), int64(5))
		tEq(t, "last id", st.LastID, sid(1<<42, 0))
		tEq(t, "max deleted", st.MaxDeleted, sid(1<<42, 0))
		tEq(t, "entries added", st.EntriesAdded, int64(8))
	}
}

func tEqS(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func tEq[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// Trimming by length and by id removes from the start, within its limit.
func TestStreamTrim(t *testing.T) {
	e := newEnv(t)
	xadd(t, e, "s", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	trim := func(maxLen int64, min storage.StreamID, limit int64) int64 {
		return run(t, e, func(tx *storage.Tx) (int64, error) {
			s, _ := tx.OpenStream([]byte("s"))
			n, err := s.Trim(maxLen, min, limit)
			if err == nil {
				err = s.Save()
			}
			return n, err
		})
	}
	tEq(t, "maxlen 8", trim(8, sid(0, 0), 0), int64(2))
	tEq(t, "maxlen 2 limit 3", trim(2, sid(0, 0), 3), int64(3))
	tEq(t, "minid 7", trim(-1, sid(7, 0), 0), int64(1))
	tEq(t, "minid 7 again", trim(-1, sid(7, 0), 0), int64(0))
	tEqS(t, "left", xids(t, e, "s", sid(0, 0), storage.MaxStreamID, false), idStrs(7, 8, 9, 10))
	tEq(t, "maxlen 0", trim(0, sid(0, 0), 0), int64(4))
	// An empty stream stays, with its last id.
	st := view(t, e, func(tx *storage.Tx) (*storage.Stream, error) { return tx.OpenStream([]byte("s")) })
	if st == nil || st.Len() != 0 || st.LastID != sid(10, 0) {
		t.Fatalf("empty stream: %+v", st)
	}
}

// Groups, consumers and the pending entries list: stored sealed, found by name,
// ordered, moved between consumers, counted, and all of it survives a reopen; DEL takes
// every record of the key.
func TestStreamGroupsAndPending(t *testing.T) {
	e := newEnv(t)
	xadd(t, e, "s", 1, 2, 3, 4)
	run(t, e, func(tx *storage.Tx) (int, error) {
		s, _ := tx.OpenStream([]byte("s"))
		for _, name := range []string{"zeta", "alpha"} {
			if err := s.PutGroup(s.NewGroup([]byte(name), sid(0, 0), -1)); err != nil {
				return 0, err
			}
		}
		g, _ := s.Group([]byte("alpha"))
		a, b := s.NewConsumer(g, []byte("a")), s.NewConsumer(g, []byte("b"))
		s.PutConsumer(g, b)
		s.PutConsumer(g, a)
		for i, m := range []uint64{1, 2, 3, 4} {
			owner := a.Name
			if i%2 == 1 {
				owner = b.Name
			}
			if err := s.PutPending(g, &storage.StreamPending{ID: sid(m, 0), Consumer: owner, Time: 5, Count: 1}, nil); err != nil {
				return 0, err
			}
			if err := s.Deliver(g, sid(m, 0)); err != nil {
				return 0, err
			}
		}
		// 3-0 moves from a to b.
		p, _ := s.Pending(g, sid(3, 0))
		p.Consumer = b.Name
		if err := s.PutPending(g, p, a.Name); err != nil {
			return 0, err
		}
		return 0, s.PutGroup(g)
	})
	for _, reopen := range []bool{false, true} {
		if reopen {
			e.reopen()
		}
		view(t, e, func(tx *storage.Tx) (int, error) {
			s, _ := tx.OpenStream([]byte("s"))
			gs, err := s.Groups()
			if err != nil || len(gs) != 2 || string(gs[0].Name) != "alpha" || string(gs[1].Name) != "zeta" {
				t.Fatalf("groups %v %v", gs, err)
			}
			g := gs[0]
			tEq(t, "last delivered", g.LastID, sid(4, 0))
			tEq(t, "entries read", g.EntriesRead, int64(4))
			if lag, ok, _ := s.Lag(g); !ok || lag != 0 {
				t.Errorf("lag %d %v", lag, ok)
			}
			cs, _ := s.Consumers(g)
			if len(cs) != 2 || string(cs[0].Name) != "a" {
				t.Fatalf("consumers %v", cs)
			}
			na, _ := s.PendingCount(g, cs[0])
			nb, _ := s.PendingCount(g, cs[1])
			all, _ := s.PendingCount(g, nil)
			tEq(t, "a's", na, int64(1))
			tEq(t, "b's", nb, int64(3))
			tEq(t, "all", all, int64(4))
			var own []string
			s.OwnPending(g, cs[1], sid(0, 0), storage.MaxStreamID, func(id storage.StreamID) bool { own = append(own, id.String()); return true })
			tEqS(t, "b's ids", own, idStrs(2, 3, 4))
			last, _ := s.PendingLast(g)
			tEq(t, "last pending", last, sid(4, 0))
			if g2, _ := s.Group([]byte("nope")); g2 != nil {
				t.Errorf("a missing group was found")
			}
			return 0, nil
		})
	}
	// Deleting a consumer takes its pending entries; deleting the key takes everything.
	run(t, e, func(tx *storage.Tx) (int, error) {
		s, _ := tx.OpenStream([]byte("s"))
		g, _ := s.Group([]byte("alpha"))
		b, _ := s.Consumer(g, []byte("b"))
		n, err := s.DeleteConsumer(g, b)
		tEq(t, "deleted pending", n, int64(3))
		left, _ := s.PendingCount(g, nil)
		tEq(t, "left pending", left, int64(1))
		return 0, err
	})
	e.close()
	var before int
	rawBolt(t, e.path, func(tx *bolt.Tx) error { before = len(dataKeysOf(tx)); return nil })
	e.open()
	if before == 0 {
		t.Fatal("no records in the file")
	}
	run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Del([]byte("s")) })
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		if ks := dataKeysOf(tx); len(ks) != 0 {
			t.Errorf("DEL left %d records", len(ks))
		}
		return nil
	})
	e.open()
}

// No name, field or value of a stream is in the file in clear; a copy is resealed for
// its new identity and holds the same entries, groups and pending entries.
func TestStreamSealedAndCopied(t *testing.T) {
	e := newEnv(t)
	run(t, e, func(tx *storage.Tx) (int, error) {
		s, _ := tx.CreateStream([]byte("secret-stream"))
		for i := range 3000 { // more than one copy chunk
			if err := s.Append(sid(uint64(i+1), 0), bs("secret-field", "secret-value")); err != nil {
				return 0, err
			}
		}
		g := s.NewGroup([]byte("secret-group"), sid(0, 0), 0)
		s.PutGroup(g)
		c := s.NewConsumer(g, []byte("secret-consumer"))
		s.PutConsumer(g, c)
		s.PutPending(g, &storage.StreamPending{ID: sid(7, 0), Consumer: c.Name, Time: 1, Count: 2}, nil)
		return 0, s.Save()
	})
	run(t, e, func(tx *storage.Tx) (bool, error) {
		return storage.CopyKey(tx, tx, []byte("secret-stream"), []byte("copy"), false)
	})
	e.close()
	raw, err := os.ReadFile(e.path)
	e.open()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"secret-stream", "secret-field", "secret-value", "secret-group", "secret-consumer"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q is in the file in clear", s)
		}
	}
	view(t, e, func(tx *storage.Tx) (int, error) {
		s, err := tx.OpenStream([]byte("copy"))
		if err != nil || s == nil || s.Len() != 3000 || s.LastID != sid(3000, 0) {
			t.Fatalf("copy: %+v %v", s, err)
		}
		g, _ := s.Group([]byte("secret-group"))
		if g == nil {
			t.Fatal("copy has no group")
		}
		p, _ := s.Pending(g, sid(7, 0))
		if p == nil || string(p.Consumer) != "secret-consumer" || p.Count != 2 {
			t.Fatalf("copy's pending entry: %+v", p)
		}
		return 0, nil
	})
}
