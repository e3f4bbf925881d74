package storage

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math/rand/v2"
	"slices"
)

// A set's members are one value record each, as a hash's fields without values. The slot
// is 's' then the keyed digest of (key id, member) in the member domain, so a member is
// never stored in clear and the same member in two sets lands in unrelated slots. The
// sealed plaintext is the member itself; the associated data binds it to the database,
// the key's identity, the type and the slot (dataAAD), so a member record moved to
// another slot, set or database fails to open.
//
// meta.count is the number of members: SCARD reads it, SISMEMBER looks up one slot, and
// the key is deleted when its last member goes.

const setSlotTag = 's'

func (tx *Tx) memberSlot(m *meta, member []byte) []byte {
	return append([]byte{setSlotTag}, tx.keys.Index(domainMember, binary.BigEndian.AppendUint64(nil, m.id), member)...)
}

// setPrefix is the bbolt key prefix of every member record of m.
func setPrefix(m *meta) []byte { return dataKey(m.id, []byte{setSlotTag}) }

// openMember opens the member record v stored under bbolt key k.
func (tx *Tx) openMember(m *meta, k, v []byte) ([]byte, error) {
	pt, err := tx.keys.Open(tx.dataAAD(m.id, m.typ, k[8:]), v)
	if err != nil {
		return nil, tx.corrupt(m, "set member record fails to open")
	}
	if pt == nil {
		pt = []byte{} // "" is a member
	}
	return pt, nil
}

// forEachMember calls fn for every member of m in slot order, from the slot whose digest
// begins at or after from (nil: the first), until fn returns false. A walk from the
// first slot to the end checks the records read against the key record's count, as
// forEachField does, so a member record deleted or put back behind herodb's back is an
// error, not a short or a long answer.
func (tx *Tx) forEachMember(m *meta, from []byte, fn func(k, member []byte) bool) error {
	prefix := setPrefix(m)
	c := tx.dataB.Cursor()
	var n int64
	k, v := c.Seek(append(slices.Clone(prefix), from...))
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		member, err := tx.openMember(m, k, v)
		if err != nil {
			return err
		}
		n++
		if !fn(k, member) {
			return nil
		}
	}
	if isZero(from) && n != m.count {
		return tx.corrupt(m, "set has %d member records; its key record counts %d", n, m.count)
	}
	return nil
}

// allMembers returns every member of m, in slot order.
func (tx *Tx) allMembers(m *meta) ([][]byte, error) {
	out := make([][]byte, 0, min(m.count, 1<<16))
	err := tx.forEachMember(m, nil, func(_, member []byte) bool {
		out = append(out, member)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (tx *Tx) memberExists(m *meta, member []byte) bool {
	return tx.dataB.Get(dataKey(m.id, tx.memberSlot(m, member))) != nil
}

// addMember adds member to m (not yet stored) and says whether it was new.
func (tx *Tx) addMember(m *meta, member []byte) (bool, error) {
	slot := tx.memberSlot(m, member)
	if tx.dataB.Get(dataKey(m.id, slot)) != nil {
		return false, nil
	}
	if err := tx.putData(m, slot, member); err != nil {
		return false, err
	}
	m.count++
	return true, nil
}

// removeMember removes member from m (the caller stores m) and says whether it was there.
func (tx *Tx) removeMember(m *meta, member []byte) (bool, error) {
	slot := tx.memberSlot(m, member)
	if tx.dataB.Get(dataKey(m.id, slot)) == nil {
		return false, nil
	}
	if err := tx.deleteSlot(m, slot); err != nil {
		return false, err
	}
	if m.count--; m.count < 0 {
		return false, tx.corrupt(m, "set has more member records than its key record counts")
	}
	return true, nil
}

// SAdd adds members and returns how many were new.
func (tx *Tx) SAdd(name []byte, members [][]byte) (int64, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil {
		return 0, err
	}
	if len(members) == 0 {
		return 0, nil
	}
	if m == nil {
		if m, err = tx.newMeta(name, TypeSet); err != nil {
			return 0, err
		}
	}
	var added int64
	for _, member := range members {
		ok, err := tx.addMember(m, member)
		if err != nil {
			return 0, err
		}
		if ok {
			added++
		}
	}
	if added == 0 {
		return 0, nil // every member was there: the key record is unchanged
	}
	return added, tx.putMeta(m)
}

// SRem removes members and returns how many were there. The key goes with its last member.
func (tx *Tx) SRem(name []byte, members [][]byte) (int64, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil || m == nil {
		return 0, err
	}
	var n int64
	for _, member := range members {
		ok, err := tx.removeMember(m, member)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, tx.storeCount(m)
}

// SMembers returns every member of the set at name, in slot order (none when absent).
func (tx *Tx) SMembers(name []byte) ([][]byte, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil || m == nil {
		return nil, err
	}
	return tx.allMembers(m)
}

// SIsMember reports whether member is in the set at name: one lookup.
func (tx *Tx) SIsMember(name, member []byte) (bool, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil || m == nil {
		return false, err
	}
	return tx.memberExists(m, member), nil
}

// SMIsMember reports, for each of members, whether it is in the set at name.
func (tx *Tx) SMIsMember(name []byte, members [][]byte) ([]bool, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(members))
	if m == nil {
		return out, nil
	}
	for i, member := range members {
		out[i] = tx.memberExists(m, member)
	}
	return out, nil
}

// SCard returns the number of members of the set at name (0 when absent), from its key
// record.
func (tx *Tx) SCard(name []byte) (int64, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil || m == nil {
		return 0, err
	}
	return m.count, nil
}

// smallSet is the size up to which a random draw reads the whole set: below it every
// member is equally likely; above it a draw is one seek to a random digest.
const smallSet = 128

// randomMembers draws n members of m: distinct ones (all of them when n reaches the
// set's size) or, when !distinct, n draws that may repeat. A small set, or a distinct
// draw of more than a quarter of the set, reads the whole set and draws uniformly. A
// larger set draws each member by seeking to a random digest and taking the member at
// or after it: one O(log n) lookup per member, never the whole set in memory, but a
// member is drawn with the chance of the gap of digests before it, not exactly 1/n
// (Redis's SRANDMEMBER is not exactly uniform either).
func (tx *Tx) randomMembers(m *meta, n int64, distinct bool) ([][]byte, error) {
	if n <= 0 || m.count == 0 {
		return nil, nil
	}
	if distinct && n >= m.count {
		return tx.allMembers(m)
	}
	if m.count <= smallSet || (distinct && n > m.count/4) {
		return tx.drawFromAll(m, n, distinct)
	}
	out := make([][]byte, 0, n)
	var seen map[string]bool
	if distinct {
		seen = make(map[string]bool, n)
	}
	prefix := setPrefix(m)
	for tries := int64(0); int64(len(out)) < n; tries++ {
		if tries > 4*n+64 {
			// Far more repeats than a set of m.count members gives: its records do not
			// match its count. The whole-set read says so, rather than draw forever.
			return tx.drawFromAll(m, n, distinct)
		}
		c := tx.dataB.Cursor()
		k, v := c.Seek(binary.BigEndian.AppendUint64(slices.Clone(prefix), rand.Uint64()))
		if k == nil || !bytes.HasPrefix(k, prefix) {
			k, v = c.Seek(prefix) // past the last digest: wrap round to the first
		}
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return nil, tx.corrupt(m, "set has no member records; its key record counts %d", m.count)
		}
		if distinct {
			if seen[string(k)] {
				continue // n is at most a quarter of the set: few draws are lost
			}
			seen[string(k)] = true
		}
		member, err := tx.openMember(m, k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, member)
	}
	return out, nil
}

// drawFromAll reads the whole set m (checking its records against its count) and draws
// n members uniformly from it, distinct ones (n below the set's size) or with repeats.
func (tx *Tx) drawFromAll(m *meta, n int64, distinct bool) ([][]byte, error) {
	all, err := tx.allMembers(m)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	for i := range out {
		if distinct { // a partial Fisher-Yates shuffle
			j := i + rand.IntN(len(all)-i)
			all[i], all[j] = all[j], all[i]
			out[i] = all[i]
		} else {
			out[i] = all[rand.IntN(len(all))]
		}
	}
	return out, nil
}

// SRandMember draws n members of the set at name without removing them: distinct ones
// (at most the set's size), or when !distinct exactly n that may repeat. None when absent.
func (tx *Tx) SRandMember(name []byte, n int64, distinct bool) ([][]byte, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil || m == nil {
		return nil, err
	}
	return tx.randomMembers(m, n, distinct)
}

// SPop removes and returns up to n random distinct members of the set at name; the key
// goes with its last member. None when absent.
func (tx *Tx) SPop(name []byte, n int64) ([][]byte, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil || m == nil || n <= 0 {
		return nil, err
	}
	if n >= m.count { // the whole set, and the key with it
		out, err := tx.allMembers(m)
		if err != nil {
			return nil, err
		}
		return out, tx.deleteKey(m)
	}
	out, err := tx.randomMembers(m, n, true)
	if err != nil {
		return nil, err
	}
	for _, member := range out {
		if _, err := tx.removeMember(m, member); err != nil {
			return nil, err
		}
	}
	return out, tx.storeCount(m)
}

// SMove moves member from the set at src to the set at dst, atomically; false when src
// is absent or does not hold it. As Redis: an absent src answers false before any type
// check; otherwise both keys must hold sets (or dst be absent), checked before anything
// moves; src == dst only reports membership.
func (tx *Tx) SMove(src, dst, member []byte) (bool, error) {
	sm, err := tx.lookup(src)
	if err != nil || sm == nil {
		return false, err
	}
	if sm.typ != TypeSet {
		return false, ErrWrongType
	}
	if bytes.Equal(src, dst) {
		return tx.memberExists(sm, member), nil
	}
	dm, err := tx.lookupType(dst, TypeSet)
	if err != nil {
		return false, err
	}
	ok, err := tx.removeMember(sm, member)
	if err != nil || !ok {
		return false, err
	}
	if err := tx.storeCount(sm); err != nil {
		return false, err
	}
	if dm == nil {
		if dm, err = tx.newMeta(dst, TypeSet); err != nil {
			return false, err
		}
	}
	added, err := tx.addMember(dm, member)
	if err != nil || !added {
		return true, err
	}
	return true, tx.putMeta(dm)
}

// SetOp is the operation of SINTER, SUNION and SDIFF and their STORE forms.
type SetOp int

const (
	SetInter SetOp = iota // members in every set
	SetUnion              // members in any set
	SetDiff               // members of the first set in none of the others
)

// setsOf looks up every name as a set (nil for an absent one). Every key is type
// checked, absent ones or not, as Redis 7 does: WRONGTYPE wins over an empty answer.
func (tx *Tx) setsOf(names [][]byte) ([]*meta, error) {
	ms := make([]*meta, len(names))
	for i, name := range names {
		m, err := tx.lookupType(name, TypeSet)
		if err != nil {
			return nil, err
		}
		ms[i] = m
	}
	return ms, nil
}

// inter calls fn for each member in every set of ms, until fn returns false. It walks the smallest set and looks each member up in the
// others: O(smallest × sets) lookups, nothing held in memory.
func (tx *Tx) inter(ms []*meta, fn func(member []byte) bool) error {
	if len(ms) == 0 || slices.Contains(ms, nil) {
		return nil
	}
	ms = slices.Clone(ms)
	slices.SortStableFunc(ms, func(a, b *meta) int { return cmp.Compare(a.count, b.count) })
	return tx.forEachMember(ms[0], nil, func(_, member []byte) bool {
		for _, o := range ms[1:] {
			if o.id != ms[0].id && !tx.memberExists(o, member) {
				return true
			}
		}
		return fn(member)
	})
}

// SCombine returns the members of op over the sets at names (absent keys are empty
// sets), in the order of the walk: the first set's slots (SDIFF), the smallest's
// (SINTER), each set's in turn (SUNION, which holds the members seen so far).
func (tx *Tx) SCombine(op SetOp, names [][]byte) ([][]byte, error) {
	ms, err := tx.setsOf(names)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	switch op {
	case SetInter:
		err = tx.inter(ms, func(member []byte) bool { out = append(out, member); return true })
	case SetUnion:
		seen := map[string]bool{}
		for _, m := range ms {
			if m == nil {
				continue
			}
			err = tx.forEachMember(m, nil, func(_, member []byte) bool {
				if !seen[string(member)] {
					seen[string(member)] = true
					out = append(out, member)
				}
				return true
			})
			if err != nil {
				return nil, err
			}
		}
	case SetDiff:
		if ms[0] == nil {
			return nil, nil
		}
		err = tx.forEachMember(ms[0], nil, func(_, member []byte) bool {
			for _, o := range ms[1:] {
				if o != nil && (o.id == ms[0].id || tx.memberExists(o, member)) {
					return true
				}
			}
			out = append(out, member)
			return true
		})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SCombineStore stores op over the sets at names as a new set at dst, replacing whatever
// dst held (its type and expiry too), and returns the new set's size. An empty result
// deletes dst, as Redis does. dst may be one of names: the result is computed first.
func (tx *Tx) SCombineStore(op SetOp, dst []byte, names [][]byte) (int64, error) {
	out, err := tx.SCombine(op, names)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Del(dst); err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, nil
	}
	m, err := tx.newMeta(dst, TypeSet)
	if err != nil {
		return 0, err
	}
	for _, member := range out {
		if _, err := tx.addMember(m, member); err != nil {
			return 0, err
		}
	}
	return m.count, tx.putMeta(m)
}

// SInterCard counts the members of the intersection of the sets at names, stopping at
// limit (0: no limit).
func (tx *Tx) SInterCard(names [][]byte, limit int64) (int64, error) {
	ms, err := tx.setsOf(names)
	if err != nil {
		return 0, err
	}
	var n int64
	err = tx.inter(ms, func([]byte) bool {
		n++
		return limit == 0 || n < limit
	})
	return n, err
}

// SScan walks the members of the set at name in slot order, as HScan walks fields: the
// cursor is the first 8 bytes of the next slot's digest, so it stays valid across writes
// and every member present for the whole iteration is returned. count is a hint of
// members read; match filters them. next 0 means done.
func (tx *Tx) SScan(name []byte, cursor uint64, match []byte, count int) (uint64, [][]byte, error) {
	m, err := tx.lookupType(name, TypeSet)
	if err != nil || m == nil {
		return 0, nil, err
	}
	if count < 1 {
		count = 10
	}
	var out [][]byte
	var next uint64
	seen := 0
	from := binary.BigEndian.AppendUint64(nil, cursor)
	err = tx.forEachMember(m, from, func(k, member []byte) bool {
		if seen >= count {
			next = binary.BigEndian.Uint64(k[9:17])
			if next == 0 {
				next = 1 // 0 means "done"; a digest prefix of 0 is 2^-64 rare, revisit it
			}
			return false
		}
		seen++
		if match == nil || Match(match, member) {
			out = append(out, member)
		}
		return true
	})
	if err != nil {
		return 0, nil, err
	}
	return next, out, nil
}
