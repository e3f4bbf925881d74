package storage

import (
	"bytes"
	"encoding/binary"
)

// A list's element i is one record in slot 'l' | big-endian (meta.head + i); the sealed
// plaintext is the element. meta.count is the length. Pushing and popping at either end
// moves head or count only, so both are O(1). A moved element is sealed again: its slot
// is part of its associated data. The key is deleted when its last element goes.

const listSlotTag = 'l'

func listSlot(pos uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{listSlotTag}, pos)
}

// elemSlot is the slot of element i (0-based from the head).
func elemSlot(m *meta, i int64) []byte { return listSlot(m.head + uint64(i)) }

func (tx *Tx) getElem(m *meta, i int64) ([]byte, error) {
	v, err := tx.getData(m, elemSlot(m, i))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, tx.missingElem(m, i)
	}
	return v, nil
}

func (tx *Tx) missingElem(m *meta, i int64) error {
	return tx.corrupt(m, "list element %d of %d is missing", i, m.count)
}

// readElems returns elements [from, to] of m, reading them with one cursor. Reading the
// whole list also checks that no element record lies outside it (one put back after it
// was popped): the records are exactly what the key record counts.
func (tx *Tx) readElems(m *meta, from, to int64) ([][]byte, error) {
	if from > to {
		return nil, nil
	}
	out := make([][]byte, 0, to-from+1)
	c := tx.dataB.Cursor()
	i := from
	k, v := c.Seek(dataKey(m.id, elemSlot(m, from)))
	for ; i <= to; k, v = c.Next() {
		slot := elemSlot(m, i)
		if k == nil || !bytes.Equal(k, dataKey(m.id, slot)) {
			return nil, tx.missingElem(m, i)
		}
		pt, err := tx.keys.Open(tx.dataAAD(m.id, m.typ, slot), v)
		if err != nil {
			return nil, tx.corrupt(m, "list element %d of %d fails to open", i, m.count)
		}
		out = append(out, pt)
		i++
	}
	if from == 0 && to == m.count-1 {
		prefix := dataKey(m.id, []byte{listSlotTag})
		if k != nil && bytes.HasPrefix(k, prefix) {
			return nil, tx.corrupt(m, "list has an element record after its last element")
		}
		if k, _ := c.Seek(prefix); k != nil && !bytes.Equal(k, dataKey(m.id, elemSlot(m, 0))) {
			return nil, tx.corrupt(m, "list has an element record before its first element")
		}
	}
	return out, nil
}

// pushElem adds value at the head (left) or the tail of m; the caller stores m.
func (tx *Tx) pushElem(m *meta, left bool, value []byte) error {
	if left {
		m.head--
		if err := tx.putData(m, elemSlot(m, 0), value); err != nil {
			m.head++
			return err
		}
	} else if err := tx.putData(m, elemSlot(m, m.count), value); err != nil {
		return err
	}
	m.count++
	return nil
}

// popElem removes and returns the element at the head (left) or the tail of a non-empty
// m; the caller stores m (or deletes it when empty).
func (tx *Tx) popElem(m *meta, left bool) ([]byte, error) {
	i := m.count - 1
	if left {
		i = 0
	}
	v, err := tx.getElem(m, i)
	if err != nil {
		return nil, err
	}
	if err := tx.deleteSlot(m, elemSlot(m, i)); err != nil {
		return nil, err
	}
	if left {
		m.head++
	}
	m.count--
	return v, nil
}

func (tx *Tx) push(name []byte, values [][]byte, onlyIfExists, left bool) (int64, error) {
	m, err := tx.lookupType(name, TypeList)
	if err != nil {
		return 0, err
	}
	if m == nil {
		if onlyIfExists || len(values) == 0 {
			return 0, nil
		}
		if m, err = tx.newMeta(name, TypeList); err != nil {
			return 0, err
		}
	}
	if len(values) == 0 {
		return m.count, nil
	}
	for _, v := range values {
		if err := tx.pushElem(m, left, v); err != nil {
			return 0, err
		}
	}
	return m.count, tx.putMeta(m)
}

// LPush prepends values one by one (so the last ends up first) and returns the new
// length. With onlyIfExists (LPUSHX) an absent key stays absent and 0 is returned.
func (tx *Tx) LPush(name []byte, values [][]byte, onlyIfExists bool) (int64, error) {
	return tx.push(name, values, onlyIfExists, true)
}

// RPush appends values and returns the new length; onlyIfExists is RPUSHX.
func (tx *Tx) RPush(name []byte, values [][]byte, onlyIfExists bool) (int64, error) {
	return tx.push(name, values, onlyIfExists, false)
}

func (tx *Tx) pop(name []byte, count int, left bool) ([][]byte, error) {
	m, err := tx.lookupType(name, TypeList)
	if err != nil || m == nil {
		return nil, err
	}
	n := int64(count)
	if n < 0 {
		n = 0
	}
	if n > m.count {
		n = m.count
	}
	out := make([][]byte, 0, n)
	if n == 0 {
		return out, nil
	}
	for range n {
		v, err := tx.popElem(m, left)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, tx.storeCount(m)
}

// LPop removes and returns up to count elements from the head. nil when the key is
// absent; an empty, non-nil slice when count is 0 (Redis's empty array).
func (tx *Tx) LPop(name []byte, count int) ([][]byte, error) { return tx.pop(name, count, true) }

// RPop removes and returns up to count elements from the tail, last first.
func (tx *Tx) RPop(name []byte, count int) ([][]byte, error) { return tx.pop(name, count, false) }

// LLen returns the length of the list at name (0 when absent).
func (tx *Tx) LLen(name []byte) (int64, error) {
	m, err := tx.lookupType(name, TypeList)
	if err != nil || m == nil {
		return 0, err
	}
	return m.count, nil
}

// normIndex turns a Redis index (negative: from the tail) into a 0-based one; ok is
// false when it is out of range.
func normIndex(index, n int64) (int64, bool) {
	if index < 0 {
		index += n
	}
	return index, index >= 0 && index < n
}

// LIndex returns the element at index (negative: from the tail); ok is false when the
// key is absent or the index out of range.
func (tx *Tx) LIndex(name []byte, index int64) ([]byte, bool, error) {
	m, err := tx.lookupType(name, TypeList)
	if err != nil || m == nil {
		return nil, false, err
	}
	i, ok := normIndex(index, m.count)
	if !ok {
		return nil, false, nil
	}
	v, err := tx.getElem(m, i)
	return v, err == nil, err
}

// clampRange applies Redis's LRANGE/LTRIM rules; ok is false for an empty range.
func clampRange(start, stop, n int64) (int64, int64, bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, true
}

// LRange returns elements start..stop inclusive, with Redis's clamping rules.
func (tx *Tx) LRange(name []byte, start, stop int64) ([][]byte, error) {
	m, err := tx.lookupType(name, TypeList)
	if err != nil || m == nil {
		return nil, err
	}
	s, e, ok := clampRange(start, stop, m.count)
	if !ok {
		return [][]byte{}, nil
	}
	return tx.readElems(m, s, e)
}

// LSet replaces the element at index. ErrNoSuchKey when the key is absent,
// ErrOutOfRange when the index is.
func (tx *Tx) LSet(name []byte, index int64, value []byte) error {
	m, err := tx.lookupType(name, TypeList)
	if err != nil {
		return err
	}
	if m == nil {
		return ErrNoSuchKey
	}
	i, ok := normIndex(index, m.count)
	if !ok {
		return ErrOutOfRange
	}
	return tx.putData(m, elemSlot(m, i), value)
}

// compact rewrites m, whose elements are elems, keeping those with keep[i]. It moves
// whichever side needs fewer records re-sealed, deletes the freed slots and stores (or
// deletes) the key.
func (tx *Tx) compact(m *meta, elems [][]byte, keep []bool) error {
	n := int64(len(elems))
	var k int64
	for _, ok := range keep {
		if ok {
			k++
		}
	}
	if k == n {
		return nil
	}
	if k == 0 {
		return tx.deleteKey(m)
	}
	// Toward the head: kept j-th goes to position j. Toward the tail: to (n-k)+j.
	var costHead, costTail, j int64
	for i, ok := range keep {
		if ok {
			if int64(i) != j {
				costHead++
			}
			if int64(i) != n-k+j {
				costTail++
			}
			j++
		}
	}
	shift := int64(0) // new position of kept j-th element is shift+j
	if costTail < costHead {
		shift = n - k
	}
	j = 0
	for i, ok := range keep {
		if !ok {
			continue
		}
		if int64(i) != shift+j {
			if err := tx.putData(m, elemSlot(m, shift+j), elems[i]); err != nil {
				return err
			}
		}
		j++
	}
	// Free the slots no longer used: [k, n) toward the head, [0, n-k) toward the tail.
	lo, hi := k, n
	if shift != 0 {
		lo, hi = 0, shift
	}
	for i := lo; i < hi; i++ {
		if err := tx.deleteSlot(m, elemSlot(m, i)); err != nil {
			return err
		}
	}
	m.head += uint64(shift)
	m.count = k
	return tx.putMeta(m)
}

// LRem removes elements equal to value: the first count from the head when count > 0,
// the last -count from the tail when count < 0, all when count is 0. It returns how many
// went.
func (tx *Tx) LRem(name []byte, count int64, value []byte) (int64, error) {
	m, err := tx.lookupType(name, TypeList)
	if err != nil || m == nil {
		return 0, err
	}
	elems, err := tx.readElems(m, 0, m.count-1)
	if err != nil {
		return 0, err
	}
	keep := make([]bool, len(elems))
	for i := range keep {
		keep[i] = true
	}
	var removed int64
	if count >= 0 {
		for i := range elems {
			if count != 0 && removed == count {
				break
			}
			if bytes.Equal(elems[i], value) {
				keep[i] = false
				removed++
			}
		}
	} else {
		limit := -(count + 1) // |count|-1, without overflowing on MinInt64
		for i := len(elems) - 1; i >= 0; i-- {
			if removed > limit {
				break
			}
			if bytes.Equal(elems[i], value) {
				keep[i] = false
				removed++
			}
		}
	}
	if removed == 0 {
		return 0, nil
	}
	return removed, tx.compact(m, elems, keep)
}

// LTrim keeps only elements start..stop (Redis's rules); an empty range deletes the key.
// An absent key is not an error.
func (tx *Tx) LTrim(name []byte, start, stop int64) error {
	m, err := tx.lookupType(name, TypeList)
	if err != nil || m == nil {
		return err
	}
	s, e, ok := clampRange(start, stop, m.count)
	if !ok {
		return tx.deleteKey(m)
	}
	if s == 0 && e == m.count-1 {
		return nil
	}
	for i := int64(0); i < s; i++ {
		if err := tx.deleteSlot(m, elemSlot(m, i)); err != nil {
			return err
		}
	}
	for i := e + 1; i < m.count; i++ {
		if err := tx.deleteSlot(m, elemSlot(m, i)); err != nil {
			return err
		}
	}
	m.head += uint64(s)
	m.count = e - s + 1
	return tx.putMeta(m)
}

// LInsert puts value before or after the first element equal to pivot and returns the
// new length: -1 when pivot is not found, 0 when the key is absent. It shifts the
// shorter side of the list.
func (tx *Tx) LInsert(name []byte, before bool, pivot, value []byte) (int64, error) {
	m, err := tx.lookupType(name, TypeList)
	if err != nil {
		return 0, err
	}
	if m == nil {
		return 0, nil
	}
	// Find the pivot from the head, keeping what was read for a left shift.
	var read [][]byte
	p := int64(-1)
	c := tx.dataB.Cursor()
	i := int64(0)
	for k, v := c.Seek(dataKey(m.id, elemSlot(m, 0))); i < m.count; k, v = c.Next() {
		slot := elemSlot(m, i)
		if k == nil || !bytes.Equal(k, dataKey(m.id, slot)) {
			return 0, tx.missingElem(m, i)
		}
		pt, err := tx.keys.Open(tx.dataAAD(m.id, m.typ, slot), v)
		if err != nil {
			return 0, tx.corrupt(m, "list element %d of %d fails to open", i, m.count)
		}
		read = append(read, pt)
		if bytes.Equal(pt, pivot) {
			p = i
			break
		}
		i++
	}
	if p < 0 {
		return -1, nil
	}
	q := p // the new element's position
	if !before {
		q = p + 1
	}
	if q <= m.count-q {
		// Move elements [0, q) one slot toward the head.
		m.head--
		for j := int64(0); j < q; j++ {
			if err := tx.putData(m, elemSlot(m, j), read[j]); err != nil {
				return 0, err
			}
		}
	} else {
		// Move elements [q, count) one slot toward the tail, last first.
		for j := m.count - 1; j >= q; j-- {
			v, err := tx.getElem(m, j)
			if err != nil {
				return 0, err
			}
			if err := tx.putData(m, elemSlot(m, j+1), v); err != nil {
				return 0, err
			}
		}
	}
	if err := tx.putData(m, elemSlot(m, q), value); err != nil {
		return 0, err
	}
	m.count++
	return m.count, tx.putMeta(m)
}

// LPos returns the indexes of elements equal to value, as Redis's LPOS: rank > 0 skips
// the first rank-1 matches from the head, rank < 0 searches from the tail and skips the
// first -rank-1 matches from there; count 0 returns all matches; maxlen 0 compares every
// element. The caller rejects rank 0. nil when the key is absent.
func (tx *Tx) LPos(name, value []byte, rank, count, maxlen int64) ([]int64, error) {
	m, err := tx.lookupType(name, TypeList)
	if err != nil || m == nil {
		return nil, err
	}
	skip := rank - 1
	step, i := int64(1), int64(0)
	if rank < 0 {
		skip = -(rank + 1) // -rank-1 without overflowing on MinInt64
		step, i = -1, m.count-1
	}
	out := []int64{}
	for compared := int64(0); i >= 0 && i < m.count; i += step {
		if maxlen != 0 && compared >= maxlen {
			break
		}
		compared++
		v, err := tx.getElem(m, i)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(v, value) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, i)
		if count != 0 && int64(len(out)) >= count {
			break
		}
	}
	return out, nil
}

// LMove pops from one end of src and pushes onto one end of dst, atomically; ok is false
// when src is absent. src == dst rotates. ErrWrongType when either key holds another
// type, checked before anything moves.
func (tx *Tx) LMove(src, dst []byte, fromLeft, toLeft bool) ([]byte, bool, error) {
	sm, err := tx.lookupType(src, TypeList)
	if err != nil || sm == nil {
		return nil, false, err
	}
	if bytes.Equal(src, dst) {
		v, err := tx.popElem(sm, fromLeft)
		if err != nil {
			return nil, false, err
		}
		if err := tx.pushElem(sm, toLeft, v); err != nil {
			return nil, false, err
		}
		return v, true, tx.putMeta(sm)
	}
	dm, err := tx.lookupType(dst, TypeList)
	if err != nil {
		return nil, false, err
	}
	v, err := tx.popElem(sm, fromLeft)
	if err != nil {
		return nil, false, err
	}
	if err := tx.storeCount(sm); err != nil {
		return nil, false, err
	}
	if dm == nil {
		if dm, err = tx.newMeta(dst, TypeList); err != nil {
			return nil, false, err
		}
	}
	if err := tx.pushElem(dm, toLeft, v); err != nil {
		return nil, false, err
	}
	return v, true, tx.putMeta(dm)
}
