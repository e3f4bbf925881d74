package storage

// A view is what one transaction reads: the overlay's layers, newest first, over a
// bbolt read transaction consistent with them (taken together, under the database's
// view lock). A writable transaction's own changes go into its pending layer, the
// newest of all, so it reads its own writes.

import (
	"bytes"

	"github.com/tidwall/btree"
	bolt "go.etcd.io/bbolt"
)

type view struct {
	layers []*layer // newest first; pend, when writable, is layers[0]
	pend   *layer
	btx    *bolt.Tx
	recs   *recCache // read-only views: the record cache of btx's state (nil: none)
	bolts  [5]*bolt.Bucket
	looked [5]bool
	own    [3]*layer // backing for layers: no allocation for them
	// probe is get's scratch for the key it looks for in the layers, so a lookup
	// allocates nothing; a view, as its transaction, is used by one goroutine at a time.
	probe change
}

func bucketSlot(b bucketID) int {
	switch b {
	case bKeys:
		return 0
	case bData:
		return 1
	case bExpires:
		return 2
	case bSys:
		return 3
	}
	return 4
}

// bolt returns bbolt's bucket b, nil if the file has none (the named keys bucket is
// created by the first flush that writes it).
func (v *view) bolt(b bucketID) *bolt.Bucket {
	i := bucketSlot(b)
	if v.btx == nil {
		return nil // a database with no file yet
	}
	if !v.looked[i] {
		v.bolts[i], v.looked[i] = v.btx.Bucket(boltName(b)), true
	}
	return v.bolts[i]
}

func (v *view) get(b bucketID, k []byte) []byte {
	if len(v.layers) > 0 {
		probe := probeItem(b, k, &v.probe)
		for _, l := range v.layers {
			if val, ok := l.find(probe); ok {
				return val
			}
		}
	}
	if bb := v.bolt(b); bb != nil {
		if v.recs != nil && b == bKeys && len(k) == recKeyLen {
			return v.recs.get(bb, k)
		}
		return bb.Get(k)
	}
	return nil
}

// sequence is the data bucket's sequence: key identities.
func (v *view) sequence() uint64 {
	for _, l := range v.layers {
		if l.hasSeq {
			return l.seq
		}
	}
	if bb := v.bolt(bData); bb != nil {
		return bb.Sequence()
	}
	return 0
}

// bkt is one bucket of a view, with the calls of a bbolt bucket that storage uses.
type bkt struct {
	v *view
	b bucketID
}

func (b bkt) Get(k []byte) []byte { return b.v.get(b.b, k) }

func (b bkt) Put(k, val []byte) error {
	if b.v.pend == nil {
		return ErrReadOnlyTx
	}
	b.v.pend.put(b.b, k, val, false)
	return nil
}

func (b bkt) Delete(k []byte) error {
	if b.v.pend == nil {
		return ErrReadOnlyTx
	}
	b.v.pend.put(b.b, k, nil, true)
	return nil
}

// DeletePrefix deletes every key of the bucket that starts with p (all of them for an
// empty p) in one range delete, whatever their number.
func (b bkt) DeletePrefix(p []byte) error {
	if b.v.pend == nil {
		return ErrReadOnlyTx
	}
	b.v.pend.deletePrefix(b.b, p)
	return nil
}

// NextSequence gives the next key identity.
func (b bkt) NextSequence() (uint64, error) {
	if b.v.pend == nil {
		return 0, ErrReadOnlyTx
	}
	s := b.v.sequence() + 1
	b.v.pend.seq, b.v.pend.hasSeq = s, true
	return s, nil
}

// Cursor walks the bucket in key order, merging every layer over the file.
func (b bkt) Cursor() *cursor { return &cursor{v: b.v, b: b.b} }

// cursor merges sources in key order: the layers' items and the bbolt cursor. Where
// several hold a key the newest wins; a span of a newer layer hides older entries; a
// tombstone hides the key. Keys and values it returns stay valid for the transaction.
type cursor struct {
	v    *view
	b    bucketID
	srcs []source
}

// source is one ordered input of a cursor; li is its layer's index (len(layers) for
// the file).
type source struct {
	li   int
	it   *btree.IterG[item]
	bc   *bolt.Cursor
	k, v []byte
	del  bool
	ok   bool
}

func (c *cursor) First() ([]byte, []byte) { return c.Seek(nil) }

func (c *cursor) Seek(k []byte) ([]byte, []byte) {
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
		s.ok = it.Seek(keyItem(c.b, k))
		s.load(c.b)
		c.srcs = append(c.srcs, s)
	}
	if bb := c.v.bolt(c.b); bb != nil {
		s := source{li: len(c.v.layers), bc: bb.Cursor()}
		if k == nil {
			s.k, s.v = s.bc.First()
		} else {
			s.k, s.v = s.bc.Seek(k)
		}
		s.ok = s.k != nil
		c.srcs = append(c.srcs, s)
	}
	return c.resolve()
}

// load reads a layer source's current item, ending the source where bucket b does
// (past its last key going up, before its first going down).
func (s *source) load(b bucketID) {
	if !s.ok {
		return
	}
	it := s.it.Item()
	if it.b != b {
		s.ok = false
		return
	}
	s.k, s.v, s.del = it.c.k, it.c.v, it.c.del
}

func (c *cursor) advance(s *source) {
	if s.bc != nil {
		s.k, s.v = s.bc.Next()
		s.ok = s.k != nil
		return
	}
	s.ok = s.it.Next()
	s.load(c.b)
}

func (c *cursor) Next() ([]byte, []byte) { return c.resolve() }

// resolve returns the next visible entry and moves every source past it.
func (c *cursor) resolve() ([]byte, []byte) {
	for {
		var min []byte
		w := -1
		for i := range c.srcs {
			s := &c.srcs[i]
			if !s.ok {
				continue
			}
			if w < 0 || bytes.Compare(s.k, min) < 0 {
				min, w = s.k, i
			}
		}
		if w < 0 {
			return nil, nil
		}
		win := c.srcs[w] // sources are in layer order: the first with min is the newest
		hidden := win.del
		for _, l := range c.v.layers[:win.li] {
			if l.masks(c.b, min) {
				hidden = true
				break
			}
		}
		for i := range c.srcs {
			if s := &c.srcs[i]; s.ok && bytes.Equal(s.k, min) {
				c.advance(s)
			}
		}
		if !hidden {
			return win.k, win.v
		}
	}
}
