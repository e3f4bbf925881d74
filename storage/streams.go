package storage

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
)

// A stream keeps these records, all sealed, all bound by dataAAD to the database, the
// key's identity, the type and their slot:
//
//	state      'a'                          → last id | max deleted id | entries added
//	entry      'x' | ms | seq               → field/value pairs
//	group      'g' | G                      → name | last delivered id | entries read
//	consumer   'c' | G | C                  → name | seen time
//	pending    'p' | G | ms | seq           → consumer name | delivery time | deliveries
//	consumer's 'q' | G | C | ms | seq       → (nothing: the key is the index)
//
// The entry ids (ms and seq, big-endian) are the order of the entry records, so a range
// by id is one seek and a walk of what it returns, forward or (rcursor) backward:
// O(log n + m). G is the keyed digest of (key id, group name), C of (key id, group
// name, consumer name): a group or consumer is found with one lookup and no name is
// stored in clear. The pending entries list of a group is ordered by id the same way
// ('p'), and each consumer's own list ('q') too, so XPENDING, XCLAIM and a consumer's
// history read seek rather than scan. A group's or consumer's pending count is a walk
// of its index keys, none opened: O(pending).
//
// What leaks: the ids are in clear, so the file shows every entry's id (often the time
// it was added, to the millisecond), how many entries there are and, for each group
// (by digest), which ids are pending and for which consumer digest; never the fields,
// the values or any name. See docs/storage.md.
//
// meta.count is the number of entries: XLEN reads it. A stream may be empty and still
// exist (XDEL of its last entry, XGROUP CREATE … MKSTREAM), as in Redis; it goes with
// DEL, FLUSHDB or expiry, whose range delete of the key's records takes every record
// above.

const (
	xStateTag    = 'a'
	xEntryTag    = 'x'
	xGroupTag    = 'g'
	xConsumerTag = 'c'
	xPendingTag  = 'p'
	xOwnTag      = 'q'
)

// Index domains of group and consumer names, apart from keys, fields and members.
const (
	domainGroup    = 'G'
	domainConsumer = 'C'
)

// StreamID is an entry id, ms-seq.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the greatest id ("+").
var MaxStreamID = StreamID{^uint64(0), ^uint64(0)}

func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms != b.Ms:
		if a.Ms < b.Ms {
			return -1
		}
		return 1
	case a.Seq != b.Seq:
		if a.Seq < b.Seq {
			return -1
		}
		return 1
	}
	return 0
}

func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

func (a StreamID) String() string {
	return strconv.FormatUint(a.Ms, 10) + "-" + strconv.FormatUint(a.Seq, 10)
}

// Next is the id after a; false when a is the greatest.
func (a StreamID) Next() (StreamID, bool) {
	switch {
	case a.Seq != ^uint64(0):
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms != ^uint64(0):
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{}, false
}

// Prev is the id before a; false when a is 0-0.
func (a StreamID) Prev() (StreamID, bool) {
	switch {
	case a.Seq != 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms != 0:
		return StreamID{a.Ms - 1, ^uint64(0)}, true
	}
	return StreamID{}, false
}

func (a StreamID) bytes() []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, 16), a.Ms), a.Seq)
}

func readID(b []byte) StreamID {
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

// StreamEntry is one entry: its id and its field/value pairs, flat.
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// Stream is a stream opened by a transaction. Its state changes in memory; Save stores
// it (and the key record) once the command is done.
type Stream struct {
	tx           *Tx
	m            *meta
	LastID       StreamID
	MaxDeleted   StreamID
	EntriesAdded int64
}

// OpenStream opens the stream at name: nil when absent, ErrWrongType for another type.
func (tx *Tx) OpenStream(name []byte) (*Stream, error) {
	m, err := tx.lookupType(name, TypeStream)
	if err != nil || m == nil {
		return nil, err
	}
	s := &Stream{tx: tx, m: m}
	pt, err := tx.getData(m, []byte{xStateTag})
	if err != nil {
		return nil, err
	}
	if len(pt) != 40 {
		return nil, tx.corrupt(m, "stream state record is malformed")
	}
	s.LastID, s.MaxDeleted = readID(pt), readID(pt[16:])
	s.EntriesAdded = int64(binary.BigEndian.Uint64(pt[32:]))
	return s, nil
}

// CreateStream makes an empty stream at name, which must be absent; Save stores it.
func (tx *Tx) CreateStream(name []byte) (*Stream, error) {
	m, err := tx.newMeta(name, TypeStream)
	if err != nil {
		return nil, err
	}
	return &Stream{tx: tx, m: m}, nil
}

// Save stores the stream's state and key record.
func (s *Stream) Save() error {
	if err := s.tx.putData(s.m, []byte{xStateTag}, s.state()); err != nil {
		return err
	}
	return s.tx.putMeta(s.m)
}

// state is the state record's plaintext.
func (s *Stream) state() []byte {
	b := append(s.LastID.bytes(), s.MaxDeleted.bytes()...)
	return binary.BigEndian.AppendUint64(b, uint64(s.EntriesAdded))
}

// Len is the number of entries.
func (s *Stream) Len() int64 { return s.m.count }

func entrySlot(id StreamID) []byte { return append([]byte{xEntryTag}, id.bytes()...) }

func encodeFields(fields [][]byte) []byte {
	n := binary.MaxVarintLen64
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	b := binary.AppendUvarint(make([]byte, 0, n), uint64(len(fields)))
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func decodeFields(b []byte) ([][]byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, false
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, false
		}
		out = append(out, append([]byte{}, b[k:k+int(l)]...))
		b = b[k+int(l):]
	}
	return out, len(b) == 0
}

// Append adds an entry at id, which the caller has checked is above LastID.
func (s *Stream) Append(id StreamID, fields [][]byte) error {
	if err := s.tx.putData(s.m, entrySlot(id), encodeFields(fields)); err != nil {
		return err
	}
	s.m.count++
	s.EntriesAdded++
	s.LastID = id
	return nil
}

func (s *Stream) openEntry(k, v []byte) (StreamEntry, error) {
	slot := k[8:]
	if len(slot) != 17 {
		return StreamEntry{}, s.tx.corrupt(s.m, "stream entry key is malformed")
	}
	pt, err := s.tx.keys.Open(s.tx.dataAAD(s.m.id, TypeStream, slot), v)
	if err != nil {
		return StreamEntry{}, s.tx.corrupt(s.m, "stream entry record fails to open")
	}
	f, ok := decodeFields(pt)
	if !ok {
		return StreamEntry{}, s.tx.corrupt(s.m, "stream entry record is malformed")
	}
	return StreamEntry{ID: readID(slot[1:]), Fields: f}, nil
}

// Range calls fn for the entries with ids in [from, to], ascending (descending when
// rev), until fn returns false: one seek, then the entries it returns.
func (s *Stream) Range(from, to StreamID, rev bool, fn func(StreamEntry) bool) error {
	if from.Cmp(to) > 0 {
		return nil
	}
	prefix := dataKey(s.m.id, []byte{xEntryTag})
	lo, hi := dataKey(s.m.id, entrySlot(from)), dataKey(s.m.id, entrySlot(to))
	if rev {
		c := s.tx.dataB.RCursor()
		for k, v := c.SeekLE(hi); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, lo) >= 0; k, v = c.Prev() {
			e, err := s.openEntry(k, v)
			if err != nil {
				return err
			}
			if !fn(e) {
				return nil
			}
		}
		return nil
	}
	c := s.tx.dataB.Cursor()
	for k, v := c.Seek(lo); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, hi) <= 0; k, v = c.Next() {
		e, err := s.openEntry(k, v)
		if err != nil {
			return err
		}
		if !fn(e) {
			return nil
		}
	}
	return nil
}

// Edge is the first entry (or the last, when last), if any.
func (s *Stream) Edge(last bool) (StreamEntry, bool, error) {
	var out StreamEntry
	found := false
	err := s.Range(StreamID{}, MaxStreamID, last, func(e StreamEntry) bool { out, found = e, true; return false })
	return out, found, err
}

// Get returns the entry at id.
func (s *Stream) Get(id StreamID) (StreamEntry, bool, error) {
	k := dataKey(s.m.id, entrySlot(id))
	v := s.tx.dataB.Get(k)
	if v == nil {
		return StreamEntry{}, false, nil
	}
	e, err := s.openEntry(k, v)
	return e, err == nil, err
}

// Has reports whether an entry is at id, opening nothing.
func (s *Stream) Has(id StreamID) bool {
	return s.tx.dataB.Get(dataKey(s.m.id, entrySlot(id))) != nil
}

// Delete removes the entry at id (XDEL), raising MaxDeleted past it.
func (s *Stream) Delete(id StreamID) (bool, error) {
	if !s.Has(id) {
		return false, nil
	}
	if err := s.tx.deleteSlot(s.m, entrySlot(id)); err != nil {
		return false, err
	}
	s.m.count--
	if id.Cmp(s.MaxDeleted) > 0 {
		s.MaxDeleted = id
	}
	return true, nil
}

// Trim removes entries from the start while the stream is longer than maxLen (when
// maxLen >= 0) or their ids are below minID (when maxLen < 0), at most limit of them
// (0: no limit). It returns how many went.
func (s *Stream) Trim(maxLen int64, minID StreamID, limit int64) (int64, error) {
	var ids []StreamID
	err := s.Range(StreamID{}, MaxStreamID, false, func(e StreamEntry) bool {
		if maxLen >= 0 && s.m.count-int64(len(ids)) <= maxLen || maxLen < 0 && e.ID.Cmp(minID) >= 0 {
			return false
		}
		if limit > 0 && int64(len(ids)) >= limit {
			return false
		}
		ids = append(ids, e.ID)
		return true
	})
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.tx.deleteSlot(s.m, entrySlot(id)); err != nil {
			return 0, err
		}
	}
	s.m.count -= int64(len(ids))
	return int64(len(ids)), nil
}

// FirstID is the first entry's id, 0-0 when empty (Redis's recorded first id).
func (s *Stream) FirstID() (StreamID, error) {
	e, ok, err := s.Edge(false)
	if !ok {
		return StreamID{}, err
	}
	return e.ID, nil
}

// hasTombstones says whether an entry was deleted (XDEL) at or after from, among the
// entries the stream still spans: Redis's test for whether a group's read counter can
// be trusted.
func (s *Stream) hasTombstones(from StreamID) (bool, error) {
	if s.m.count == 0 || s.MaxDeleted.IsZero() {
		return false, nil
	}
	first, err := s.FirstID()
	if err != nil || first.Cmp(s.MaxDeleted) > 0 {
		return false, err
	}
	return from.Cmp(s.MaxDeleted) <= 0, nil
}

// EntriesBefore is the number of entries ever added up to id (its logical read
// counter), or -1 when it cannot be known (entries were deleted in between): Redis
// 7.0's estimate, so groups' entries-read and lag answer as there.
func (s *Stream) EntriesBefore(id StreamID) (int64, error) {
	if s.EntriesAdded == 0 {
		return 0, nil
	}
	if s.m.count == 0 && id.Cmp(s.LastID) <= 0 {
		return s.EntriesAdded, nil
	}
	switch id.Cmp(s.LastID) {
	case 0:
		return s.EntriesAdded, nil
	case 1:
		return -1, nil
	}
	first, err := s.FirstID()
	if err != nil {
		return 0, err
	}
	if s.MaxDeleted.IsZero() || s.MaxDeleted.Cmp(first) < 0 {
		switch id.Cmp(first) {
		case -1:
			return s.EntriesAdded - s.m.count, nil
		case 0:
			return s.EntriesAdded - s.m.count + 1, nil
		}
	}
	return -1, nil
}

// Lag is how many entries the group has yet to read; ok is false when that cannot be
// known. (A group whose counter was set past the stream's answers a negative lag, as
// in Redis.)
func (s *Stream) Lag(g *StreamGroup) (lag int64, ok bool, err error) {
	if s.EntriesAdded == 0 {
		return 0, true, nil
	}
	if g.EntriesRead >= 0 {
		t, err := s.hasTombstones(g.LastID)
		if err != nil {
			return 0, false, err
		}
		if !t {
			return s.EntriesAdded - g.EntriesRead, true, nil
		}
	}
	n, err := s.EntriesBefore(g.LastID)
	if err != nil || n < 0 {
		return 0, false, err
	}
	return s.EntriesAdded - n, true, nil
}

// Deliver moves group g's last delivered id to id (an entry being delivered past it)
// and its read counter with it, as Redis does.
func (s *Stream) Deliver(g *StreamGroup, id StreamID) error {
	if id.Cmp(g.LastID) <= 0 {
		return nil
	}
	t, err := s.hasTombstones(id)
	if err != nil {
		return err
	}
	if g.EntriesRead >= 0 && !t {
		g.EntriesRead++
	} else if s.EntriesAdded != 0 {
		if g.EntriesRead, err = s.EntriesBefore(id); err != nil {
			return err
		}
	}
	g.LastID = id
	return nil
}

// StreamGroup is a consumer group. EntriesRead is -1 when unknown.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64
	d           []byte
}

// StreamConsumer is a consumer of a group; SeenTime is unix ms.
type StreamConsumer struct {
	Name     []byte
	SeenTime int64
	d        []byte
}

// StreamPending is an entry delivered to a consumer of a group and not yet acknowledged.
type StreamPending struct {
	ID       StreamID
	Consumer []byte
	Time     int64 // unix ms of the last delivery
	Count    int64 // deliveries
}

func (s *Stream) groupDigest(name []byte) []byte {
	return s.tx.keys.Index(domainGroup, binary.BigEndian.AppendUint64(nil, s.m.id), name)
}

func (s *Stream) consumerDigest(g *StreamGroup, name []byte) []byte {
	return s.tx.keys.Index(domainConsumer, binary.BigEndian.AppendUint64(nil, s.m.id), g.Name, name)
}

func tagged(tag byte, parts ...[]byte) []byte { return append([]byte{tag}, slices.Concat(parts...)...) }

func appendName(b, name []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(name))), name...)
}

func readName(b []byte) (name, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return append([]byte{}, b[k:k+int(n)]...), b[k+int(n):], true
}

func (s *Stream) openSlot(slot, v []byte, what string) ([]byte, error) {
	pt, err := s.tx.keys.Open(s.tx.dataAAD(s.m.id, TypeStream, slot), v)
	if err != nil {
		return nil, s.tx.corrupt(s.m, "stream %s record fails to open", what)
	}
	return pt, nil
}

func (s *Stream) decodeGroup(d, pt []byte) (*StreamGroup, error) {
	name, rest, ok := readName(pt)
	if !ok || len(rest) != 24 {
		return nil, s.tx.corrupt(s.m, "stream group record is malformed")
	}
	return &StreamGroup{Name: name, LastID: readID(rest), EntriesRead: int64(binary.BigEndian.Uint64(rest[16:])), d: d}, nil
}

// Group returns the group called name, nil when there is none.
func (s *Stream) Group(name []byte) (*StreamGroup, error) {
	d := s.groupDigest(name)
	pt, err := s.tx.getData(s.m, tagged(xGroupTag, d))
	if err != nil || pt == nil {
		return nil, err
	}
	g, err := s.decodeGroup(d, pt)
	if err == nil && !bytes.Equal(g.Name, name) {
		return nil, s.tx.corrupt(s.m, "stream group record holds another group")
	}
	return g, err
}

// NewGroup makes a group (PutGroup stores it).
func (s *Stream) NewGroup(name []byte, last StreamID, entriesRead int64) *StreamGroup {
	return &StreamGroup{Name: slices.Clone(name), LastID: last, EntriesRead: entriesRead, d: s.groupDigest(name)}
}

// PutGroup stores g.
func (s *Stream) PutGroup(g *StreamGroup) error {
	b := appendName(nil, g.Name)
	b = append(b, g.LastID.bytes()...)
	b = binary.BigEndian.AppendUint64(b, uint64(g.EntriesRead))
	return s.tx.putData(s.m, tagged(xGroupTag, g.d), b)
}

// walkSlots calls fn for each record of the key whose slot starts with prefix, in
// order, from the slot from on (nil: the first), until fn returns false.
func (s *Stream) walkSlots(prefix, from []byte, fn func(slot, v []byte) (bool, error)) error {
	p := dataKey(s.m.id, prefix)
	start := p
	if from != nil {
		start = dataKey(s.m.id, from)
	}
	c := s.tx.dataB.Cursor()
	for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		more, err := fn(k[8:], v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Groups returns every group, by name.
func (s *Stream) Groups() ([]*StreamGroup, error) {
	var out []*StreamGroup
	err := s.walkSlots([]byte{xGroupTag}, nil, func(slot, v []byte) (bool, error) {
		pt, err := s.openSlot(slot, v, "group")
		if err != nil {
			return false, err
		}
		g, err := s.decodeGroup(slot[1:], pt)
		out = append(out, g)
		return err == nil, err
	})
	slices.SortFunc(out, func(a, b *StreamGroup) int { return bytes.Compare(a.Name, b.Name) })
	return out, err
}

// DeleteGroup removes g with its consumers and pending entries.
func (s *Stream) DeleteGroup(g *StreamGroup) error {
	for _, tag := range []byte{xGroupTag, xConsumerTag, xPendingTag, xOwnTag} {
		if err := s.tx.dataB.DeletePrefix(dataKey(s.m.id, tagged(tag, g.d))); err != nil {
			return err
		}
	}
	s.tx.mutations++
	return nil
}

func (s *Stream) decodeConsumer(d, pt []byte) (*StreamConsumer, error) {
	name, rest, ok := readName(pt)
	if !ok || len(rest) != 8 {
		return nil, s.tx.corrupt(s.m, "stream consumer record is malformed")
	}
	return &StreamConsumer{Name: name, SeenTime: int64(binary.BigEndian.Uint64(rest)), d: d}, nil
}

// Consumer returns g's consumer called name, nil when there is none.
func (s *Stream) Consumer(g *StreamGroup, name []byte) (*StreamConsumer, error) {
	d := s.consumerDigest(g, name)
	pt, err := s.tx.getData(s.m, tagged(xConsumerTag, g.d, d))
	if err != nil || pt == nil {
		return nil, err
	}
	c, err := s.decodeConsumer(d, pt)
	if err == nil && !bytes.Equal(c.Name, name) {
		return nil, s.tx.corrupt(s.m, "stream consumer record holds another consumer")
	}
	return c, err
}

// NewConsumer makes a consumer of g seen now (PutConsumer stores it).
func (s *Stream) NewConsumer(g *StreamGroup, name []byte) *StreamConsumer {
	return &StreamConsumer{Name: slices.Clone(name), SeenTime: s.tx.now, d: s.consumerDigest(g, name)}
}

// PutConsumer stores c.
func (s *Stream) PutConsumer(g *StreamGroup, c *StreamConsumer) error {
	b := binary.BigEndian.AppendUint64(appendName(nil, c.Name), uint64(c.SeenTime))
	return s.tx.putData(s.m, tagged(xConsumerTag, g.d, c.d), b)
}

// Consumers returns g's consumers, by name.
func (s *Stream) Consumers(g *StreamGroup) ([]*StreamConsumer, error) {
	var out []*StreamConsumer
	err := s.walkSlots(tagged(xConsumerTag, g.d), nil, func(slot, v []byte) (bool, error) {
		pt, err := s.openSlot(slot, v, "consumer")
		if err != nil {
			return false, err
		}
		c, err := s.decodeConsumer(slot[1+len(g.d):], pt)
		out = append(out, c)
		return err == nil, err
	})
	slices.SortFunc(out, func(a, b *StreamConsumer) int { return bytes.Compare(a.Name, b.Name) })
	return out, err
}

// DeleteConsumer removes c of g and its pending entries, and returns how many it had.
func (s *Stream) DeleteConsumer(g *StreamGroup, c *StreamConsumer) (int64, error) {
	var ids []StreamID
	if err := s.OwnPending(g, c, StreamID{}, MaxStreamID, func(id StreamID) bool { ids = append(ids, id); return true }); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.tx.deleteSlot(s.m, tagged(xPendingTag, g.d, id.bytes())); err != nil {
			return 0, err
		}
	}
	if err := s.tx.dataB.DeletePrefix(dataKey(s.m.id, tagged(xOwnTag, g.d, c.d))); err != nil {
		return 0, err
	}
	return int64(len(ids)), s.tx.deleteSlot(s.m, tagged(xConsumerTag, g.d, c.d))
}

func (s *Stream) decodePending(slot, pt []byte) (*StreamPending, error) {
	name, rest, ok := readName(pt)
	if !ok || len(rest) != 16 || len(slot) < 16 {
		return nil, s.tx.corrupt(s.m, "stream pending record is malformed")
	}
	return &StreamPending{ID: readID(slot[len(slot)-16:]), Consumer: name,
		Time: int64(binary.BigEndian.Uint64(rest)), Count: int64(binary.BigEndian.Uint64(rest[8:]))}, nil
}

// Pending returns g's pending entry at id, nil when there is none.
func (s *Stream) Pending(g *StreamGroup, id StreamID) (*StreamPending, error) {
	slot := tagged(xPendingTag, g.d, id.bytes())
	pt, err := s.tx.getData(s.m, slot)
	if err != nil || pt == nil {
		return nil, err
	}
	return s.decodePending(slot, pt)
}

// PutPending stores p in g's list and its consumer's; owner is the consumer that held
// it before (nil: none), whose list it leaves.
func (s *Stream) PutPending(g *StreamGroup, p *StreamPending, owner []byte) error {
	if owner != nil && !bytes.Equal(owner, p.Consumer) {
		if err := s.tx.deleteSlot(s.m, tagged(xOwnTag, g.d, s.consumerDigest(g, owner), p.ID.bytes())); err != nil {
			return err
		}
	}
	b := appendName(nil, p.Consumer)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Time))
	b = binary.BigEndian.AppendUint64(b, uint64(p.Count))
	if err := s.tx.putData(s.m, tagged(xPendingTag, g.d, p.ID.bytes()), b); err != nil {
		return err
	}
	if owner == nil || !bytes.Equal(owner, p.Consumer) {
		return s.tx.putData(s.m, tagged(xOwnTag, g.d, s.consumerDigest(g, p.Consumer), p.ID.bytes()), nil)
	}
	return nil
}

// DeletePending removes p from g's list and its consumer's (XACK).
func (s *Stream) DeletePending(g *StreamGroup, p *StreamPending) error {
	if err := s.tx.deleteSlot(s.m, tagged(xPendingTag, g.d, p.ID.bytes())); err != nil {
		return err
	}
	return s.tx.deleteSlot(s.m, tagged(xOwnTag, g.d, s.consumerDigest(g, p.Consumer), p.ID.bytes()))
}

// PendingRange calls fn for g's pending entries with ids in [from, to], ascending,
// until fn returns false.
func (s *Stream) PendingRange(g *StreamGroup, from, to StreamID, fn func(*StreamPending) bool) error {
	if from.Cmp(to) > 0 {
		return nil
	}
	return s.walkSlots(tagged(xPendingTag, g.d), tagged(xPendingTag, g.d, from.bytes()), func(slot, v []byte) (bool, error) {
		if len(slot) != 1+len(g.d)+16 {
			return false, s.tx.corrupt(s.m, "stream pending key is malformed")
		}
		if readID(slot[1+len(g.d):]).Cmp(to) > 0 {
			return false, nil
		}
		pt, err := s.openSlot(slot, v, "pending")
		if err != nil {
			return false, err
		}
		p, err := s.decodePending(slot, pt)
		if err != nil {
			return false, err
		}
		return fn(p), nil
	})
}

// OwnPending calls fn for the ids pending for consumer c of g in [from, to], ascending,
// until fn returns false; it opens nothing.
func (s *Stream) OwnPending(g *StreamGroup, c *StreamConsumer, from, to StreamID, fn func(StreamID) bool) error {
	if from.Cmp(to) > 0 {
		return nil
	}
	prefix := tagged(xOwnTag, g.d, c.d)
	return s.walkSlots(prefix, append(slices.Clone(prefix), from.bytes()...), func(slot, _ []byte) (bool, error) {
		if len(slot) != len(prefix)+16 {
			return false, s.tx.corrupt(s.m, "stream pending key is malformed")
		}
		id := readID(slot[len(prefix):])
		if id.Cmp(to) > 0 {
			return false, nil
		}
		return fn(id), nil
	})
}

// PendingCount is the number of g's pending entries (c's alone, when c is not nil),
// counted on their keys.
func (s *Stream) PendingCount(g *StreamGroup, c *StreamConsumer) (int64, error) {
	var n int64
	prefix := tagged(xPendingTag, g.d)
	if c != nil {
		prefix = tagged(xOwnTag, g.d, c.d)
	}
	err := s.walkSlots(prefix, nil, func(_, _ []byte) (bool, error) { n++; return true, nil })
	return n, err
}

// PendingLast is the greatest id pending in g.
func (s *Stream) PendingLast(g *StreamGroup) (StreamID, bool) {
	prefix := dataKey(s.m.id, tagged(xPendingTag, g.d))
	hi := append(slices.Clone(prefix), MaxStreamID.bytes()...)
	k, _ := s.tx.dataB.RCursor().SeekLE(hi)
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+16 {
		return StreamID{}, false
	}
	return readID(k[len(prefix):]), true
}

// copyStream copies stream m of src into n of dst, resealing every record for n's
// identity under dst's keys (CopyKey): entries a chunk at a time, then the groups with
// their consumers and pending entries.
func copyStream(src, dst *Tx, m, n *meta) error {
	s := &Stream{tx: src, m: m}
	ss, err := src.OpenStream(m.name)
	if err != nil {
		return err
	}
	if ss == nil {
		return src.corrupt(m, "stream without its state record")
	}
	d := &Stream{tx: dst, m: n, LastID: ss.LastID, MaxDeleted: ss.MaxDeleted, EntriesAdded: ss.EntriesAdded}
	from := StreamID{}
	for {
		var chunk []StreamEntry
		if err := s.Range(from, MaxStreamID, false, func(e StreamEntry) bool {
			chunk = append(chunk, e)
			return len(chunk) < copyChunk
		}); err != nil {
			return err
		}
		for _, e := range chunk {
			if err := dst.putData(n, entrySlot(e.ID), encodeFields(e.Fields)); err != nil {
				return err
			}
			n.count++
		}
		if len(chunk) < copyChunk {
			break
		}
		next, ok := chunk[len(chunk)-1].ID.Next()
		if !ok {
			break
		}
		from = next
	}
	groups, err := s.Groups()
	if err != nil {
		return err
	}
	for _, g := range groups {
		ng := d.NewGroup(g.Name, g.LastID, g.EntriesRead)
		if err := d.PutGroup(ng); err != nil {
			return err
		}
		cs, err := s.Consumers(g)
		if err != nil {
			return err
		}
		for _, c := range cs {
			nc := d.NewConsumer(ng, c.Name)
			nc.SeenTime = c.SeenTime
			if err := d.PutConsumer(ng, nc); err != nil {
				return err
			}
		}
		var pel []*StreamPending
		if err := s.PendingRange(g, StreamID{}, MaxStreamID, func(p *StreamPending) bool { pel = append(pel, p); return true }); err != nil {
			return err
		}
		for _, p := range pel {
			if err := d.PutPending(ng, p, nil); err != nil {
				return err
			}
		}
	}
	return dst.putData(n, []byte{xStateTag}, d.state())
}
