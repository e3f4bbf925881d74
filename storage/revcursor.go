package storage

// A reverse cursor walks a bucket from a key down, merging the layers over the file as
// cursor does upward (view.go): where several sources hold a key the newest wins, a
// newer layer's span hides what lies below it, a tombstone hides the key. It serves the
// ranges that are read from their high end (XREVRANGE, a stream's last entry) with one
// seek and a walk of what they return, without an index kept in reverse order.

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

type rcursor struct {
	v    *view
	b    bucketID
	srcs []source
}

// RCursor walks the bucket in reverse key order.
func (b bkt) RCursor() *rcursor { return &rcursor{v: b.v, b: b.b} }

// SeekLE returns the greatest visible entry whose key is at most k.
func (c *rcursor) SeekLE(k []byte) ([]byte, []byte) {
	c.srcs = c.srcs[:0]
	for i, l := range c.v.layers {
		if l.t.Len() == 0 {
			continue
		}
		t := l.t
		if l == c.v.pend {
			t = t.Copy() // the transaction may write while it walks: walk a snapshot
		}
		it := t.Iter()
		s := source{li: i, it: &it}
		switch {
		case !it.Seek(keyItem(c.b, k)):
			s.ok = it.Last()
		case it.Item().b != c.b || !bytes.Equal(it.Item().c.k, k):
			s.ok = it.Prev()
		default:
			s.ok = true
		}
		s.load(c.b)
		c.srcs = append(c.srcs, s)
	}
	if bb := c.v.bolt(c.b); bb != nil {
		s := source{li: len(c.v.layers), bc: bb.Cursor()}
		s.k, s.v = seekLE(s.bc, k)
		s.ok = s.k != nil
		c.srcs = append(c.srcs, s)
	}
	return c.resolve()
}

func seekLE(bc *bolt.Cursor, k []byte) ([]byte, []byte) {
	fk, fv := bc.Seek(k)
	switch {
	case fk == nil:
		return bc.Last()
	case !bytes.Equal(fk, k):
		return bc.Prev()
	}
	return fk, fv
}

func (c *rcursor) retreat(s *source) {
	if s.bc != nil {
		s.k, s.v = s.bc.Prev()
		s.ok = s.k != nil
		return
	}
	s.ok = s.it.Prev()
	s.load(c.b)
}

// Prev returns the next visible entry downward.
func (c *rcursor) Prev() ([]byte, []byte) { return c.resolve() }

// resolve returns the greatest visible entry and moves every source below it.
func (c *rcursor) resolve() ([]byte, []byte) {
	for {
		var top []byte
		w := -1
		for i := range c.srcs {
			s := &c.srcs[i]
			if s.ok && (w < 0 || bytes.Compare(s.k, top) > 0) {
				top, w = s.k, i
			}
		}
		if w < 0 {
			return nil, nil
		}
		win := c.srcs[w] // sources are in layer order: the first with top is the newest
		hidden := win.del
		for _, l := range c.v.layers[:win.li] {
			if l.masks(c.b, top) {
				hidden = true
				break
			}
		}
		for i := range c.srcs {
			if s := &c.srcs[i]; s.ok && bytes.Equal(s.k, top) {
				c.retreat(s)
			}
		}
		if !hidden {
			return win.k, win.v
		}
	}
}
