package storage

// The overlay: changes not yet in a database's bbolt file, kept in memory in key order
// so that reads, cursors and SCAN merge them over the file. A write batch builds one
// layer (pending), which the committer logs and then absorbs into the database's current
// layer; a flush swaps the current layer out whole and commits it into the file in one
// bbolt transaction. Overwrites of a key between flushes coalesce into one item.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/tidwall/btree"
)

// bucketID names a bbolt bucket inside the overlay and the log's frames.
type bucketID byte

const (
	bKeys    bucketID = 'k'
	bData    bucketID = 'd'
	bExpires bucketID = 'e'
	bSys     bucketID = 's'
	bNamed   bucketID = 'n'
)

// boltName is the bbolt bucket of b; nil for an unknown id.
func boltName(b bucketID) []byte {
	switch b {
	case bKeys:
		return bucketKeys
	case bData:
		return bucketData
	case bExpires:
		return bucketExpires
	case bSys:
		return bucketSys
	case bNamed:
		return bucketNamedKeys
	}
	return nil
}

// item is one slot of a layer's tree: the bucket, the key's first 16 bytes as two words
// (zero-padded), and the change itself behind a pointer. The tree shifts items within a
// node on every insert (a node holds up to 127), so the slot is kept to 32 bytes: at 64,
// with the key and value slices inline, a put into a layer of 100,000 keys cost 30-45%
// more. The words order the keys as bytes.Compare does, or tie, and only a tie loads the
// key: the keys bucket's keys are random digests, and a data key is its key's 8-byte id
// then a digest, so ties past 16 bytes are rare, and each load is a cache miss (before
// the first word, a lookup in a layer of 100,000 keys cost 2.3 µs).
type item struct {
	b         bucketID
	pfx, pfx2 uint64
	c         *change
}

// change is a key's newest state in a layer: a value, or a tombstone (del). A change is
// never modified once it is in a tree, so a layer absorbed into another shares its changes.
type change struct {
	k, v []byte
	del  bool
}

// keyItem is the item for k of bucket b, as the tree orders and finds it.
func keyItem(b bucketID, k []byte) item { return probeItem(b, k, new(change)) }

// prefix8 is k's first 8 bytes, big-endian, zero-padded: comparing two of them orders
// keys as bytes.Compare does, or ties (then the whole keys decide).
func prefix8(k []byte) uint64 {
	if len(k) >= 8 {
		return binary.BigEndian.Uint64(k)
	}
	var p uint64
	for i, c := range k {
		p |= uint64(c) << (56 - 8*i)
	}
	return p
}

func itemLess(x, y item) bool {
	if x.b != y.b {
		return x.b < y.b
	}
	if x.pfx != y.pfx {
		return x.pfx < y.pfx
	}
	if x.pfx2 != y.pfx2 {
		return x.pfx2 < y.pfx2
	}
	return bytes.Compare(x.c.k, y.c.k) < 0
}

// itemOverhead approximates what an item costs beyond its bytes (the struct, the tree
// slot), so that the write buffer counts many small writes honestly.
const itemOverhead = 64

func (it item) size() int64 { return int64(len(it.c.k) + len(it.c.v) + itemOverhead) }

// span is a range delete: every key of bucket b starting with p (all of b when p is
// empty). It hides what lies below its layer; items of its own layer are newer.
type span struct {
	b bucketID
	p []byte
}

func spanLess(x, y span) bool {
	if x.b != y.b {
		return x.b < y.b
	}
	return bytes.Compare(x.p, y.p) < 0
}

func (s span) covers(b bucketID, k []byte) bool { return s.b == b && bytes.HasPrefix(k, s.p) }

// layer is one set of changes. Its spans never overlap (a span inside another is
// dropped), so at most one span can cover a key: the greatest one not after it.
type layer struct {
	t      *btree.BTreeG[item]
	spans  *btree.BTreeG[span]
	seq    uint64 // the data bucket's sequence (key identities), when hasSeq
	hasSeq bool
	bytes  int64
	// putBytes estimates what the layer's puts add to the file, for max_size.
	putBytes int64
	// first and last are the log sequence numbers of the frames this layer holds (0:
	// none); born is when its first change arrived, for the flush's time trigger.
	first, last uint64
	born        time.Time
	// expiry is the earliest expiry time (unix ms) the layer's changes put into the
	// expiry index (0: none), so the sweep knows a database may hold keys due then.
	expiry int64
}

func newLayer() *layer {
	return &layer{
		t:     btree.NewBTreeGOptions(itemLess, btree.Options{NoLocks: true, Degree: 64}),
		spans: btree.NewBTreeGOptions(spanLess, btree.Options{NoLocks: true}),
	}
}

func (l *layer) empty() bool { return l.t.Len() == 0 && l.spans.Len() == 0 && !l.hasSeq }

// put records k's new value (or, del, its deletion) in bucket b. k and v are kept:
// callers hand over slices they no longer change.
func (l *layer) put(b bucketID, k, v []byte, del bool) {
	it := keyItem(b, k)
	it.c.v, it.c.del = v, del
	l.set(it)
}

// set puts it, a change no one modifies, into the layer.
func (l *layer) set(it item) {
	del, k, v := it.c.del, it.c.k, it.c.v
	if prev, ok := l.t.Set(it); ok {
		l.bytes -= prev.size()
	}
	l.bytes += it.size()
	if !del {
		l.putBytes += diskCost(k, v)
	}
}

// get says what this layer decides about k: found is false when it leaves k to the
// layers below; otherwise v is the value, nil for a deleted key.
func (l *layer) get(b bucketID, k []byte) (v []byte, found bool) {
	var c change
	return l.find(probeItem(b, k, &c))
}

// probeItem is keyItem with its change in c, a scratch the caller owns: a lookup made
// through it allocates nothing (keyItem's change escapes into the tree's calls).
func probeItem(b bucketID, k []byte, c *change) item {
	*c = change{k: k}
	it := item{b: b, pfx: prefix8(k), c: c}
	if len(k) > 8 {
		it.pfx2 = prefix8(k[8:])
	}
	return it
}

// find is get for probe, an item from keyItem or probeItem.
func (l *layer) find(probe item) (v []byte, found bool) {
	b, k := probe.b, probe.c.k
	if l.t.Len() > 0 {
		if it, ok := l.t.Get(probe); ok {
			if it.c.del {
				return nil, true
			}
			return it.c.v, true
		}
	}
	if l.masks(b, k) {
		return nil, true
	}
	return nil, false
}

// masks reports whether a span of this layer hides k of bucket b below it.
func (l *layer) masks(b bucketID, k []byte) bool {
	if l.spans.Len() == 0 {
		return false
	}
	hit := false
	l.spans.Descend(span{b: b, p: k}, func(s span) bool {
		hit = s.covers(b, k)
		return false
	})
	return hit
}

// deletePrefix deletes every key of bucket b that starts with p, in this layer and below.
func (l *layer) deletePrefix(b bucketID, p []byte) {
	l.dropItems(b, p)
	if l.masks(b, p) {
		return // a span of this layer covers p already
	}
	var inner []span
	l.spans.Ascend(span{b: b, p: p}, func(o span) bool {
		if o.b != b || !bytes.HasPrefix(o.p, p) {
			return false
		}
		inner = append(inner, o)
		return true
	})
	for _, o := range inner {
		l.spans.Delete(o)
		l.bytes -= int64(len(o.p) + itemOverhead)
	}
	l.spans.Set(span{b: b, p: p})
	l.bytes += int64(len(p) + itemOverhead)
}

// dropItems removes this layer's items of bucket b under prefix p.
func (l *layer) dropItems(b bucketID, p []byte) {
	var gone []item
	l.t.Ascend(keyItem(b, p), func(it item) bool {
		if it.b != b || !bytes.HasPrefix(it.c.k, p) {
			return false
		}
		gone = append(gone, it)
		return true
	})
	for _, it := range gone {
		l.t.Delete(it)
		l.bytes -= it.size()
	}
}

// absorb applies u, a newer layer, on top of l: u's spans first (they delete what l
// holds under them), then its items, then its sequence.
func (l *layer) absorb(u *layer) {
	u.spans.Scan(func(s span) bool {
		l.deletePrefix(s.b, s.p)
		return true
	})
	u.t.Scan(func(it item) bool {
		l.set(it)
		return true
	})
	if u.hasSeq {
		l.seq, l.hasSeq = u.seq, true
	}
	if l.first == 0 {
		l.first = u.first
	}
	if u.last > l.last {
		l.last = u.last
	}
	if l.born.IsZero() {
		l.born = u.born
	}
}

// The encoding of a layer, as a log frame carries it (one database's part). It holds
// the same bytes that go into bbolt (sealed records, keyed digests) and nothing else:
//
//	version byte 1
//	uvarint count of spans, then each: bucket byte, uvarint length, prefix
//	uvarint count of items, then each: bucket byte, flag byte (0 put, 1 delete),
//	    uvarint key length, key, and for a put uvarint value length, value
//	flag byte: 1 if a sequence follows, then 8 bytes big-endian
const layerVersion = 1

// encode appends the layer's encoding to b.
func (l *layer) encode(b []byte) []byte {
	b = append(b, layerVersion)
	b = binary.AppendUvarint(b, uint64(l.spans.Len()))
	l.spans.Scan(func(s span) bool {
		b = append(b, byte(s.b))
		b = binary.AppendUvarint(b, uint64(len(s.p)))
		b = append(b, s.p...)
		return true
	})
	b = binary.AppendUvarint(b, uint64(l.t.Len()))
	l.t.Scan(func(it item) bool {
		b = append(b, byte(it.b))
		c := it.c
		if c.del {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(len(c.k)))
		b = append(b, c.k...)
		if !c.del {
			b = binary.AppendUvarint(b, uint64(len(c.v)))
			b = append(b, c.v...)
		}
		return true
	})
	if l.hasSeq {
		b = append(b, 1)
		b = binary.BigEndian.AppendUint64(b, l.seq)
	} else {
		b = append(b, 0)
	}
	return b
}

var errLayer = errors.New("log frame part is malformed")

// decodeLayer reads what encode wrote. Its slices alias data.
func decodeLayer(data []byte) (*layer, error) {
	l := newLayer()
	r := data
	byte1 := func() (byte, bool) {
		if len(r) == 0 {
			return 0, false
		}
		c := r[0]
		r = r[1:]
		return c, true
	}
	chunk := func() ([]byte, bool) {
		n, k := binary.Uvarint(r)
		if k <= 0 || n > uint64(len(r)-k) {
			return nil, false
		}
		out := r[k : k+int(n) : k+int(n)]
		r = r[k+int(n):]
		return out, true
	}
	count := func() (uint64, bool) {
		n, k := binary.Uvarint(r)
		if k <= 0 || n > uint64(len(r)) {
			return 0, false
		}
		r = r[k:]
		return n, true
	}
	if v, ok := byte1(); !ok || v != layerVersion {
		return nil, errLayer
	}
	ns, ok := count()
	if !ok {
		return nil, errLayer
	}
	for i := uint64(0); i < ns; i++ {
		b, ok1 := byte1()
		p, ok2 := chunk()
		if !ok1 || !ok2 || boltName(bucketID(b)) == nil {
			return nil, errLayer
		}
		l.deletePrefix(bucketID(b), p)
	}
	ni, ok := count()
	if !ok {
		return nil, errLayer
	}
	for i := uint64(0); i < ni; i++ {
		b, ok1 := byte1()
		f, ok2 := byte1()
		k, ok3 := chunk()
		if !ok1 || !ok2 || !ok3 || boltName(bucketID(b)) == nil || f > 1 {
			return nil, errLayer
		}
		if f == 1 {
			l.put(bucketID(b), k, nil, true)
			continue
		}
		v, ok := chunk()
		if !ok {
			return nil, errLayer
		}
		l.put(bucketID(b), k, v, false)
	}
	f, ok := byte1()
	switch {
	case !ok || f > 1:
		return nil, errLayer
	case f == 1:
		if len(r) < 8 {
			return nil, errLayer
		}
		l.seq, l.hasSeq = binary.BigEndian.Uint64(r), true
		r = r[8:]
	}
	if len(r) != 0 {
		return nil, errLayer
	}
	return l, nil
}
