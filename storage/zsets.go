package storage

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// A sorted set keeps three records per member, all sealed, all bound by dataAAD to the
// database, the key's identity, the type and their slot:
//
//	member record  'z' | D                 → score (8, IEEE bits) | member
//	score index    'Z' | P(score) | D      → score | member
//	reverse index  'Y' | ^P(score) | D     → score | member
//
// D is the keyed digest of (key id, member) in the member domain, as a set member's
// slot: ZSCORE, ZADD and ZREM find a member with one lookup, and no member is ever
// stored in clear. P is an order-preserving encoding of the score (positive floats
// with the sign bit set, negative ones inverted; -0 taken as 0), so the score index
// walks members in score order and a range by score is one seek and a walk of what it
// returns: O(log n + m). bbolt's cursors here only walk forward (the overlay merges
// them), so the reverse index, keyed by ^P, serves ZREVRANGE, ZPOPMAX and the REV
// forms the same way. Members of equal score sit in digest order in both indexes;
// Redis orders them by member, so a walk opens each run of equal scores it reaches
// whole and sorts it: a tie group costs its size in records read and memory.
//
// What leaks: P is in clear, so the file shows every member's score, exactly, and
// their order, but never the members; see docs/storage.md.
//
// meta.count is the number of members: ZCARD reads it, and the key is deleted when its
// last member goes. bbolt has no counted tree, so a rank (ZRANK, ZRANGE by rank) is
// found by walking the index keys from the nearer end, counting without opening
// anything: O(min(rank, n-rank)) key reads. A LIMIT offset is walked from the range's
// start: O(offset).

const (
	zMemberTag = 'z'
	zFwdTag    = 'Z'
	zRevTag    = 'Y'
)

// ErrZNaN is ZADD INCR's and ZINCRBY's error when the new score would be NaN.
var ErrZNaN = errors.New("resulting score is not a number (NaN)")

// ZMember is one member of a sorted set with its score.
type ZMember struct {
	Member []byte
	Score  float64
}

// ZAddFlags are ZADD's options.
type ZAddFlags struct{ NX, XX, GT, LT, CH, Incr bool }

// ScoreBound is one end of a score range; Excl makes it exclusive ("(1.5").
type ScoreBound struct {
	V    float64
	Excl bool
}

// LexBound is one end of a lexicographic range: Inf -1 is "-", +1 is "+"; otherwise V,
// exclusive when Excl ("(a") and inclusive otherwise ("[a").
type LexBound struct {
	V    []byte
	Excl bool
	Inf  int
}

// ZBy is what a range counts in.
type ZBy int

const (
	ZByRank ZBy = iota
	ZByScore
	ZByLex
)

// ZRangeSpec is a range of ZRANGE and its relatives. Rev walks from the high end:
// Start and Stop count from it, and a score or lex range still has Min below Max.
// Offset and Count are LIMIT's (Count < 0: no limit); they apply to score and lex ranges.
type ZRangeSpec struct {
	By          ZBy
	Rev         bool
	Start, Stop int64
	Min, Max    ScoreBound
	LexMin      LexBound
	LexMax      LexBound
	Offset      int64
	Count       int64
}

// scorePos is the order-preserving encoding of a score in the score index.
func scorePos(f float64) uint64 {
	if f == 0 {
		f = 0 // -0 and 0 are one score: one tie group
	}
	b := math.Float64bits(f)
	if b>>63 == 0 {
		return b | 1<<63
	}
	return ^b
}

// zEnd is past every position: no score encodes to it.
const zEnd = math.MaxUint64

func (tx *Tx) zDigest(m *meta, member []byte) []byte {
	return tx.keys.Index(domainMember, binary.BigEndian.AppendUint64(nil, m.id), member)
}

func zMemberSlot(d []byte) []byte { return append([]byte{zMemberTag}, d...) }

func zIndexSlot(rev bool, pos uint64, d []byte) []byte {
	tag := byte(zFwdTag)
	if rev {
		tag, pos = zRevTag, ^pos
	}
	return append(binary.BigEndian.AppendUint64([]byte{tag}, pos), d...)
}

func encodeZ(score float64, member []byte) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(member)), math.Float64bits(score)), member...)
}

// openZ opens a member or index record stored under bbolt key k.
func (tx *Tx) openZ(m *meta, k, v []byte) (ZMember, error) {
	pt, err := tx.keys.Open(tx.dataAAD(m.id, m.typ, k[8:]), v)
	if err != nil {
		return ZMember{}, tx.corrupt(m, "sorted set record fails to open")
	}
	if len(pt) < 8 {
		return ZMember{}, tx.corrupt(m, "sorted set record is malformed")
	}
	s := math.Float64frombits(binary.BigEndian.Uint64(pt))
	if math.IsNaN(s) {
		return ZMember{}, tx.corrupt(m, "sorted set record holds NaN")
	}
	return ZMember{Member: append([]byte{}, pt[8:]...), Score: s}, nil
}

// zGet returns member's score in m.
func (tx *Tx) zGet(m *meta, member []byte) (float64, bool, error) {
	slot := zMemberSlot(tx.zDigest(m, member))
	k := dataKey(m.id, slot)
	v := tx.dataB.Get(k)
	if v == nil {
		return 0, false, nil
	}
	e, err := tx.openZ(m, k, v)
	if err != nil {
		return 0, false, err
	}
	if !bytes.Equal(e.Member, member) {
		return 0, false, tx.corrupt(m, "sorted set member record holds another member")
	}
	return e.Score, true, nil
}

// zPut stores member at score in m's three records; old is its score before, if any.
// The caller counts and stores m.
func (tx *Tx) zPut(m *meta, member []byte, old *float64, score float64) error {
	d := tx.zDigest(m, member)
	if old != nil {
		if err := tx.zDelIndex(m, scorePos(*old), d); err != nil {
			return err
		}
	}
	pt := encodeZ(score, member)
	for _, slot := range [][]byte{zMemberSlot(d), zIndexSlot(false, scorePos(score), d), zIndexSlot(true, scorePos(score), d)} {
		if err := tx.putData(m, slot, pt); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) zDelIndex(m *meta, pos uint64, d []byte) error {
	if err := tx.deleteSlot(m, zIndexSlot(false, pos, d)); err != nil {
		return err
	}
	return tx.deleteSlot(m, zIndexSlot(true, pos, d))
}

// zDelKey removes the member whose score-index bbolt key (either index) is k.
func (tx *Tx) zDelKey(m *meta, k []byte) error {
	pos := binary.BigEndian.Uint64(k[9:17])
	if k[8] == zRevTag {
		pos = ^pos
	}
	d := k[17:]
	if err := tx.deleteSlot(m, zMemberSlot(d)); err != nil {
		return err
	}
	if err := tx.zDelIndex(m, pos, d); err != nil {
		return err
	}
	if m.count--; m.count < 0 {
		return tx.corrupt(m, "sorted set has more records than its key record counts")
	}
	return nil
}

func zPrefix(m *meta, tag byte) []byte { return dataKey(m.id, []byte{tag}) }

// zEntry is a member met on a walk of a score index, with its index key.
type zEntry struct {
	ZMember
	k []byte
}

// zWalk walks m's score index (the reverse one when rev) in Redis's order, score then
// member (both descending when rev), over positions [from, to) of that index, skipping
// the first skip entries, and calls fn for each until it returns false. Skipped runs of
// equal scores are counted, not opened; a run that is reached is opened whole and
// sorted. A walk of the whole index checks its records against the key record's count.
func (tx *Tx) zWalk(m *meta, rev bool, from, to uint64, skip int64, fn func(e zEntry) bool) error {
	if from >= to {
		return nil
	}
	tag := byte(zFwdTag)
	if rev {
		tag = zRevTag
	}
	prefix := zPrefix(m, tag)
	c := tx.dataB.Cursor()
	var group [][2][]byte
	var gpos uint64
	var n int64
	stopped := false
	flush := func() error {
		defer func() { group = group[:0] }()
		if int64(len(group)) <= skip {
			skip -= int64(len(group))
			return nil
		}
		es := make([]zEntry, len(group))
		for i, kv := range group {
			e, err := tx.openZ(m, kv[0], kv[1])
			if err != nil {
				return err
			}
			want := scorePos(e.Score)
			if rev {
				want = ^want
			}
			if want != gpos {
				return tx.corrupt(m, "sorted set index record is not at its score")
			}
			es[i] = zEntry{e, kv[0]}
		}
		slices.SortFunc(es, func(a, b zEntry) int {
			if rev {
				return bytes.Compare(b.Member, a.Member)
			}
			return bytes.Compare(a.Member, b.Member)
		})
		for _, e := range es[skip:] {
			if !fn(e) {
				stopped = true
				return nil
			}
		}
		skip = 0
		return nil
	}
	for k, v := c.Seek(binary.BigEndian.AppendUint64(slices.Clone(prefix), from)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) < len(prefix)+9 {
			return tx.corrupt(m, "sorted set index key is malformed")
		}
		pos := binary.BigEndian.Uint64(k[len(prefix):])
		if pos >= to {
			break
		}
		if len(group) > 0 && pos != gpos {
			if err := flush(); err != nil || stopped {
				return err
			}
		}
		gpos = pos
		group = append(group, [2][]byte{k, v})
		n++
	}
	if err := flush(); err != nil || stopped {
		return err
	}
	first, last := scorePos(math.Inf(-1)), scorePos(math.Inf(1)) // the same in both indexes
	if from <= first && to > last && n != m.count {
		return tx.corrupt(m, "sorted set has %d index records; its key record counts %d", n, m.count)
	}
	return nil
}

// zCountKeys counts the index keys at positions [from, to) without opening any.
func (tx *Tx) zCountKeys(m *meta, rev bool, from, to uint64) int64 {
	if from >= to {
		return 0
	}
	tag := byte(zFwdTag)
	if rev {
		tag = zRevTag
	}
	prefix := zPrefix(m, tag)
	c := tx.dataB.Cursor()
	var n int64
	for k, _ := c.Seek(binary.BigEndian.AppendUint64(slices.Clone(prefix), from)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) < len(prefix)+8 || binary.BigEndian.Uint64(k[len(prefix):]) >= to {
			break
		}
		n++
	}
	return n
}

// zCountBelow counts the members whose position in the walked index (the reverse one
// when rev) is below pos: the members before pos's tie group. It walks both indexes'
// keys in step and stops when either reaches the group, so it costs O(min(rank, n-rank))
// key reads, none opened.
func (tx *Tx) zCountBelow(m *meta, rev bool, pos uint64) int64 {
	type side struct {
		c      *cursor
		prefix []byte
		limit  uint64
		n      int64
		k      []byte
	}
	mk := func(r bool, limit uint64) *side {
		tag := byte(zFwdTag)
		if r {
			tag = zRevTag
		}
		s := &side{c: tx.dataB.Cursor(), prefix: zPrefix(m, tag), limit: limit}
		s.k, _ = s.c.Seek(s.prefix)
		return s
	}
	near, far := mk(rev, pos), mk(!rev, ^pos) // far counts the members past the group
	done := func(s *side) bool {
		return s.k == nil || !bytes.HasPrefix(s.k, s.prefix) || len(s.k) < len(s.prefix)+8 ||
			binary.BigEndian.Uint64(s.k[len(s.prefix):]) >= s.limit
	}
	for {
		if done(near) {
			return near.n
		}
		if done(far) {
			return m.count - far.n - tx.zCountKeys(m, rev, pos, pos+1)
		}
		near.n++
		far.n++
		near.k, _ = near.c.Next()
		far.k, _ = far.c.Next()
	}
}

// scoreSpan turns a score range into positions of the forward or reverse index.
func scoreSpan(lo, hi ScoreBound, rev bool) (from, to uint64) {
	pl, ph := scorePos(lo.V), scorePos(hi.V)
	if !rev {
		from, to = pl, ph+1
		if lo.Excl {
			from++
		}
		if hi.Excl {
			to--
		}
		return from, to
	}
	from, to = ^ph, ^pl+1
	if hi.Excl {
		from++
	}
	if lo.Excl {
		to--
	}
	return from, to
}

func lexAboveMin(b LexBound, member []byte) bool {
	switch b.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	c := bytes.Compare(member, b.V)
	return c > 0 || (c == 0 && !b.Excl)
}

func lexBelowMax(b LexBound, member []byte) bool {
	switch b.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(member, b.V)
	return c < 0 || (c == 0 && !b.Excl)
}

// zLexWalk calls fn for the members in the lex range, in walk order, as Redis walks it:
// from the first member at or past the range's near end to the first one past its far
// end. It assumes, as Redis does, that every member has the same score; it reads the
// index from an end up to the range's far end, opening every tie group on the way.
func (tx *Tx) zLexWalk(m *meta, r ZRangeSpec, fn func(e zEntry) bool) error {
	if r.LexMin.Inf == 1 || r.LexMax.Inf == -1 {
		return nil
	}
	if r.LexMin.Inf == 0 && r.LexMax.Inf == 0 {
		c := bytes.Compare(r.LexMin.V, r.LexMax.V)
		if c > 0 || (c == 0 && (r.LexMin.Excl || r.LexMax.Excl)) {
			return nil
		}
	}
	in := false
	return tx.zWalk(m, r.Rev, 0, zEnd, 0, func(e zEntry) bool {
		near, far := lexAboveMin(r.LexMin, e.Member), lexBelowMax(r.LexMax, e.Member)
		if r.Rev {
			near, far = far, near
		}
		if !in {
			if !near {
				return true
			}
			in = true
		}
		if !far {
			return false
		}
		return fn(e)
	})
}

// zRangeEntries walks the range r of m and calls fn for each entry in it.
func (tx *Tx) zRangeEntries(m *meta, r ZRangeSpec, fn func(e zEntry) bool) error {
	switch r.By {
	case ZByRank:
		start, stop, ok := rankSpan(r.Start, r.Stop, m.count)
		if !ok {
			return nil
		}
		n := stop - start + 1
		if start <= m.count-1-stop {
			return tx.zWalk(m, r.Rev, 0, zEnd, start, func(e zEntry) bool {
				n--
				return fn(e) && n > 0
			})
		}
		// Nearer the other end: walk from there (O(n - stop)) and turn the run round.
		es := make([]zEntry, 0, n)
		err := tx.zWalk(m, !r.Rev, 0, zEnd, m.count-1-stop, func(e zEntry) bool {
			es = append(es, e)
			return int64(len(es)) < n
		})
		if err != nil {
			return err
		}
		for i := len(es) - 1; i >= 0; i-- {
			if !fn(es[i]) {
				return nil
			}
		}
		return nil
	case ZByScore:
		if r.Offset < 0 || (r.Offset > 0 && r.Offset >= m.count) || r.Count == 0 {
			return nil
		}
		from, to := scoreSpan(r.Min, r.Max, r.Rev)
		n := r.Count
		return tx.zWalk(m, r.Rev, from, to, r.Offset, func(e zEntry) bool {
			n--
			return fn(e) && n != 0
		})
	}
	if r.Offset < 0 || (r.Offset > 0 && r.Offset >= m.count) || r.Count == 0 {
		return nil
	}
	skip, n := r.Offset, r.Count
	return tx.zLexWalk(m, r, func(e zEntry) bool {
		if skip > 0 {
			skip--
			return true
		}
		n--
		return fn(e) && n != 0
	})
}

// rankSpan normalizes a rank range as Redis does; ok is false when it is empty.
func rankSpan(start, stop, n int64) (int64, int64, bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if start > stop || start >= n {
		return 0, 0, false
	}
	return start, min(stop, n-1), true
}

func (tx *Tx) zsetForWrite(name []byte) (*meta, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m != nil {
		return m, err
	}
	return tx.newMeta(name, TypeZSet)
}

// ZAdd adds or updates members as ZADD does with flags f. It returns the number added
// (added or changed with CH); with Incr, the member's new score instead, and ok false
// when nothing was done (ZADD answers nil then).
func (tx *Tx) ZAdd(name []byte, f ZAddFlags, elems []ZMember) (n int64, score float64, ok bool, err error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil {
		return 0, 0, false, err
	}
	if m == nil {
		if f.XX {
			return 0, 0, false, nil
		}
		if m, err = tx.newMeta(name, TypeZSet); err != nil {
			return 0, 0, false, err
		}
	}
	var added, updated, processed int64
	for _, e := range elems {
		cur, exists, err := tx.zGet(m, e.Member)
		if err != nil {
			return 0, 0, false, err
		}
		s := e.Score
		if exists {
			if f.NX {
				continue
			}
			if f.Incr {
				if s += cur; math.IsNaN(s) {
					return 0, 0, false, ErrZNaN
				}
			}
			if (f.LT && s >= cur) || (f.GT && s <= cur) {
				continue
			}
			processed++
			score = s
			if s != cur {
				if err := tx.zPut(m, e.Member, &cur, s); err != nil {
					return 0, 0, false, err
				}
				updated++
			}
			continue
		}
		if f.XX {
			continue
		}
		if err := tx.zPut(m, e.Member, nil, s); err != nil {
			return 0, 0, false, err
		}
		m.count++
		added++
		processed++
		score = s
	}
	if added > 0 {
		if err := tx.putMeta(m); err != nil {
			return 0, 0, false, err
		}
	}
	if f.Incr {
		return 0, score, processed > 0, nil
	}
	if f.CH {
		return added + updated, 0, true, nil
	}
	return added, 0, true, nil
}

// ZRem removes members and returns how many were there; the key goes with its last.
func (tx *Tx) ZRem(name []byte, members [][]byte) (int64, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	var n int64
	for _, member := range members {
		s, ok, err := tx.zGet(m, member)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if err := tx.zDelKey(m, dataKey(m.id, zIndexSlot(false, scorePos(s), tx.zDigest(m, member)))); err != nil {
			return 0, err
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, tx.storeCount(m)
}

// ZScore returns member's score; ok is false when the key or the member is absent.
func (tx *Tx) ZScore(name, member []byte) (float64, bool, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return 0, false, err
	}
	return tx.zGet(m, member)
}

// ZMScore returns each member's score, and whether it is there.
func (tx *Tx) ZMScore(name []byte, members [][]byte) ([]float64, []bool, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil {
		return nil, nil, err
	}
	scores, oks := make([]float64, len(members)), make([]bool, len(members))
	if m == nil {
		return scores, oks, nil
	}
	for i, member := range members {
		if scores[i], oks[i], err = tx.zGet(m, member); err != nil {
			return nil, nil, err
		}
	}
	return scores, oks, nil
}

// ZCard returns the number of members (0 when absent), from the key record.
func (tx *Tx) ZCard(name []byte) (int64, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	return m.count, nil
}

// ZRank returns member's rank from the low end (the high end when rev): the index keys
// before its score are counted, not opened (O(rank)), then its tie group is opened.
func (tx *Tx) ZRank(name, member []byte, rev bool) (int64, bool, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return 0, false, err
	}
	s, ok, err := tx.zGet(m, member)
	if err != nil || !ok {
		return 0, false, err
	}
	pos := scorePos(s)
	if rev {
		pos = ^pos
	}
	rank := tx.zCountBelow(m, rev, pos)
	found := false
	err = tx.zWalk(m, rev, pos, pos+1, 0, func(e zEntry) bool {
		if bytes.Equal(e.Member, member) {
			found = true
			return false
		}
		rank++
		return true
	})
	if err != nil {
		return 0, false, err
	}
	if !found {
		return 0, false, tx.corrupt(m, "sorted set member has no index record")
	}
	return rank, true, nil
}

// ZRange returns the members of the range r, in its order.
func (tx *Tx) ZRange(name []byte, r ZRangeSpec) ([]ZMember, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return nil, err
	}
	var out []ZMember
	err = tx.zRangeEntries(m, r, func(e zEntry) bool {
		out = append(out, e.ZMember)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// zStore replaces whatever dst holds (its type and expiry too) with a sorted set of
// ms, and returns its size; an empty ms deletes dst.
func (tx *Tx) zStore(dst []byte, ms []ZMember) (int64, error) {
	if _, err := tx.Del(dst); err != nil {
		return 0, err
	}
	if len(ms) == 0 {
		return 0, nil
	}
	m, err := tx.newMeta(dst, TypeZSet)
	if err != nil {
		return 0, err
	}
	for _, e := range ms {
		if err := tx.zPut(m, e.Member, nil, e.Score); err != nil {
			return 0, err
		}
		m.count++
	}
	return m.count, tx.putMeta(m)
}

// ZRangeStore stores the range r of src at dst (ZRANGESTORE) and returns its size.
func (tx *Tx) ZRangeStore(dst, src []byte, r ZRangeSpec) (int64, error) {
	out, err := tx.ZRange(src, r)
	if err != nil {
		return 0, err
	}
	return tx.zStore(dst, out)
}

// ZCount counts the members with scores in [min, max]: the index keys between, read
// but not opened.
func (tx *Tx) ZCount(name []byte, lo, hi ScoreBound) (int64, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	from, to := scoreSpan(lo, hi, false)
	return tx.zCountKeys(m, false, from, to), nil
}

// ZLexCount counts the members in a lex range.
func (tx *Tx) ZLexCount(name []byte, lo, hi LexBound) (int64, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	var n int64
	err = tx.zLexWalk(m, ZRangeSpec{By: ZByLex, LexMin: lo, LexMax: hi}, func(zEntry) bool { n++; return true })
	return n, err
}

// ZRemRange removes the members of the range r (by rank, score or lex; no LIMIT) and
// returns how many went; the key goes with its last member.
func (tx *Tx) ZRemRange(name []byte, r ZRangeSpec) (int64, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	r.Offset, r.Count = 0, -1
	var keys [][]byte
	if r.By == ZByScore { // the keys alone say which members go: nothing is opened
		from, to := scoreSpan(r.Min, r.Max, false)
		prefix := zPrefix(m, zFwdTag)
		c := tx.dataB.Cursor()
		for k, _ := c.Seek(binary.BigEndian.AppendUint64(slices.Clone(prefix), from)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(k) < len(prefix)+9 || binary.BigEndian.Uint64(k[len(prefix):]) >= to {
				break
			}
			keys = append(keys, k)
		}
	} else {
		err = tx.zRangeEntries(m, r, func(e zEntry) bool { keys = append(keys, e.k); return true })
		if err != nil {
			return 0, err
		}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	for _, k := range keys {
		if err := tx.zDelKey(m, k); err != nil {
			return 0, err
		}
	}
	return int64(len(keys)), tx.storeCount(m)
}

// ZPop removes and returns up to count members from the low end (the high end when
// max), in that order.
func (tx *Tx) ZPop(name []byte, max bool, count int64) ([]ZMember, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil || count <= 0 {
		return nil, err
	}
	return tx.zPop(m, max, count)
}

func (tx *Tx) zPop(m *meta, max bool, count int64) ([]ZMember, error) {
	var es []zEntry
	err := tx.zWalk(m, max, 0, zEnd, 0, func(e zEntry) bool {
		es = append(es, e)
		return int64(len(es)) < count
	})
	if err != nil {
		return nil, err
	}
	out := make([]ZMember, len(es))
	for i, e := range es {
		if err := tx.zDelKey(m, e.k); err != nil {
			return nil, err
		}
		out[i] = e.ZMember
	}
	return out, tx.storeCount(m)
}

// ZMPop pops from the first non-empty sorted set of names (ZMPOP): its name and the
// members popped; none when every key is absent. A key of another type before it is
// an error; keys after it are not looked at, as in Redis.
func (tx *Tx) ZMPop(names [][]byte, max bool, count int64) ([]byte, []ZMember, error) {
	for _, name := range names {
		m, err := tx.lookupType(name, TypeZSet)
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			continue
		}
		out, err := tx.zPop(m, max, count)
		return name, out, err
	}
	return nil, nil, nil
}

// Aggregate is how ZUNION and ZINTER combine a member's scores.
type Aggregate int

const (
	AggSum Aggregate = iota
	AggMin
	AggMax
)

func aggregate(a Aggregate, x, y float64) float64 {
	switch a {
	case AggMin:
		return min(x, y)
	case AggMax:
		return max(x, y)
	}
	if s := x + y; !math.IsNaN(s) {
		return s
	}
	return 0 // inf + -inf, as Redis
}

// zSource is one input of ZUNION, ZINTER or ZDIFF: a sorted set, a set (every score
// 1), or nil for an absent key.
type zSource struct {
	m      *meta
	weight float64
}

func (tx *Tx) zSources(names [][]byte, weights []float64) ([]zSource, error) {
	out := make([]zSource, len(names))
	for i, name := range names {
		m, err := tx.lookup(name)
		if err != nil {
			return nil, err
		}
		if m != nil && m.typ != TypeZSet && m.typ != TypeSet {
			return nil, ErrWrongType
		}
		out[i] = zSource{m: m, weight: 1}
		if weights != nil {
			out[i].weight = weights[i]
		}
	}
	return out, nil
}

// each calls fn for every member of s with its unweighted score.
func (tx *Tx) zEach(m *meta, fn func(member []byte, score float64) bool) error {
	if m == nil {
		return nil
	}
	if m.typ == TypeSet {
		return tx.forEachMember(m, nil, func(_, member []byte) bool { return fn(member, 1) })
	}
	return tx.forEachZMember(m, nil, func(_ []byte, e ZMember) bool { return fn(e.Member, e.Score) })
}

// zLookup returns member's unweighted score in s.
func (tx *Tx) zLookup(m *meta, member []byte) (float64, bool, error) {
	if m == nil {
		return 0, false, nil
	}
	if m.typ == TypeSet {
		return 1, tx.memberExists(m, member), nil
	}
	return tx.zGet(m, member)
}

func weighted(score, w float64) float64 {
	if s := score * w; !math.IsNaN(s) {
		return s
	}
	return 0 // inf × 0, as Redis
}

// zInter calls fn for each member of every source with its aggregated score, walking
// the smallest and looking the member up in the others, until fn returns false.
func (tx *Tx) zInter(srcs []zSource, agg Aggregate, fn func(member []byte, score float64) bool) error {
	for _, s := range srcs {
		if s.m == nil {
			return nil
		}
	}
	srcs = slices.Clone(srcs)
	slices.SortStableFunc(srcs, func(a, b zSource) int { return cmp.Compare(a.m.count, b.m.count) })
	var lerr error
	err := tx.zEach(srcs[0].m, func(member []byte, score float64) bool {
		total := weighted(score, srcs[0].weight)
		for _, o := range srcs[1:] {
			s, ok, err := tx.zLookup(o.m, member)
			if err != nil {
				lerr = err
				return false
			}
			if !ok {
				return true
			}
			total = aggregate(agg, total, weighted(s, o.weight))
		}
		return fn(member, total)
	})
	if err != nil {
		return err
	}
	return lerr
}

// ZCombine returns op over the sorted sets (or sets) at names, weighted, aggregated by
// agg, in score order then member, as ZUNION, ZINTER and ZDIFF answer.
func (tx *Tx) ZCombine(op SetOp, names [][]byte, weights []float64, agg Aggregate) ([]ZMember, error) {
	srcs, err := tx.zSources(names, weights)
	if err != nil {
		return nil, err
	}
	var out []ZMember
	switch op {
	case SetInter:
		err = tx.zInter(srcs, agg, func(member []byte, score float64) bool {
			out = append(out, ZMember{member, score})
			return true
		})
	case SetUnion:
		idx := map[string]int{}
		for _, s := range srcs {
			err = tx.zEach(s.m, func(member []byte, score float64) bool {
				w := weighted(score, s.weight)
				if i, ok := idx[string(member)]; ok {
					out[i].Score = aggregate(agg, out[i].Score, w)
				} else {
					idx[string(member)] = len(out)
					out = append(out, ZMember{member, w})
				}
				return true
			})
			if err != nil {
				return nil, err
			}
		}
	case SetDiff:
		var lerr error
		err = tx.zEach(srcs[0].m, func(member []byte, score float64) bool {
			for _, o := range srcs[1:] {
				if o.m == nil {
					continue
				}
				if o.m.id == srcs[0].m.id {
					return true
				}
				_, ok, err := tx.zLookup(o.m, member)
				if err != nil {
					lerr = err
					return false
				}
				if ok {
					return true
				}
			}
			out = append(out, ZMember{member, score})
			return true
		})
		if err == nil {
			err = lerr
		}
	}
	if err != nil {
		return nil, err
	}
	sortZ(out)
	return out, nil
}

func sortZ(ms []ZMember) {
	slices.SortFunc(ms, func(a, b ZMember) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.Member, b.Member)
	})
}

// ZCombineStore stores ZCombine's result at dst, replacing what it held, and returns
// its size; an empty result deletes dst. dst may be one of names.
func (tx *Tx) ZCombineStore(op SetOp, dst []byte, names [][]byte, weights []float64, agg Aggregate) (int64, error) {
	out, err := tx.ZCombine(op, names, weights, agg)
	if err != nil {
		return 0, err
	}
	return tx.zStore(dst, out)
}

// ZInterCard counts the members of the intersection, stopping at limit (0: none).
func (tx *Tx) ZInterCard(names [][]byte, limit int64) (int64, error) {
	srcs, err := tx.zSources(names, nil)
	if err != nil {
		return 0, err
	}
	var n int64
	err = tx.zInter(srcs, AggSum, func([]byte, float64) bool {
		n++
		return limit == 0 || n < limit
	})
	return n, err
}

// forEachZMember walks m's member records in digest order from the digest at or after
// from (nil: the first); a walk of them all checks them against the key record's count.
func (tx *Tx) forEachZMember(m *meta, from []byte, fn func(k []byte, e ZMember) bool) error {
	prefix := zPrefix(m, zMemberTag)
	c := tx.dataB.Cursor()
	var n int64
	for k, v := c.Seek(append(slices.Clone(prefix), from...)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		e, err := tx.openZ(m, k, v)
		if err != nil {
			return err
		}
		n++
		if !fn(k, e) {
			return nil
		}
	}
	if isZero(from) && n != m.count {
		return tx.corrupt(m, "sorted set has %d member records; its key record counts %d", n, m.count)
	}
	return nil
}

// ZScan walks the members in digest order, as SScan: the cursor is the first 8 bytes
// of the next member's digest, stable across writes. next 0 means done.
func (tx *Tx) ZScan(name []byte, cursor uint64, match []byte, count int) (uint64, []ZMember, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil {
		return 0, nil, err
	}
	if count < 1 {
		count = 10
	}
	var out []ZMember
	var next uint64
	seen := 0
	err = tx.forEachZMember(m, binary.BigEndian.AppendUint64(nil, cursor), func(k []byte, e ZMember) bool {
		if seen >= count {
			if next = binary.BigEndian.Uint64(k[9:17]); next == 0 {
				next = 1 // 0 means "done"; a digest prefix of 0 is 2^-64 rare, revisit it
			}
			return false
		}
		seen++
		if match == nil || Match(match, e.Member) {
			out = append(out, e)
		}
		return true
	})
	if err != nil {
		return 0, nil, err
	}
	return next, out, nil
}

// ZRandMember draws n members without removing them, as SRandMember draws: distinct
// ones (at most the set's size), or when !distinct exactly n that may repeat. A sorted
// set over smallSet members draws each by seeking to a random digest.
func (tx *Tx) ZRandMember(name []byte, n int64, distinct bool) ([]ZMember, error) {
	m, err := tx.lookupType(name, TypeZSet)
	if err != nil || m == nil || n <= 0 || m.count == 0 {
		return nil, err
	}
	all := func() ([]ZMember, error) {
		out := make([]ZMember, 0, min(m.count, 1<<16))
		err := tx.forEachZMember(m, nil, func(_ []byte, e ZMember) bool { out = append(out, e); return true })
		return out, err
	}
	if distinct && n >= m.count {
		return all()
	}
	if m.count <= smallSet || (distinct && n > m.count/4) {
		ms, err := all()
		if err != nil {
			return nil, err
		}
		out := make([]ZMember, n)
		for i := range out {
			if distinct {
				j := i + rand.IntN(len(ms)-i)
				ms[i], ms[j] = ms[j], ms[i]
				out[i] = ms[i]
			} else {
				out[i] = ms[rand.IntN(len(ms))]
			}
		}
		return out, nil
	}
	out := make([]ZMember, 0, n)
	seen := map[string]bool{}
	prefix := zPrefix(m, zMemberTag)
	for tries := int64(0); int64(len(out)) < n; tries++ {
		if tries > 4*n+64 {
			return nil, tx.corrupt(m, "sorted set's member records do not match its count")
		}
		c := tx.dataB.Cursor()
		k, v := c.Seek(binary.BigEndian.AppendUint64(slices.Clone(prefix), rand.Uint64()))
		if k == nil || !bytes.HasPrefix(k, prefix) {
			k, v = c.Seek(prefix)
		}
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return nil, tx.corrupt(m, "sorted set has no member records; its key record counts %d", m.count)
		}
		if distinct {
			if seen[string(k)] {
				continue
			}
			seen[string(k)] = true
		}
		e, err := tx.openZ(m, k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
