package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// A hash's fields are one value record each. The slot is 'h' then the keyed digest of
// (key id, field name), so a field name is never stored in clear and the same field in
// two hashes lands in unrelated slots. The sealed plaintext is
//
//	field length (4, big endian) | field | value
//
// meta.count is the number of fields; the key is deleted when its last field goes.

const hashSlotTag = 'h'

func (tx *Tx) fieldSlot(m *meta, field []byte) []byte {
	return append([]byte{hashSlotTag}, tx.keys.Index(domainField, binary.BigEndian.AppendUint64(nil, m.id), field)...)
}

func encodeField(field, value []byte) []byte {
	b := make([]byte, 4, 4+len(field)+len(value))
	binary.BigEndian.PutUint32(b, uint32(len(field)))
	b = append(b, field...)
	return append(b, value...)
}

func decodeField(pt []byte) (field, value []byte, err error) {
	if len(pt) < 4 {
		return nil, nil, ErrCorrupt
	}
	n := binary.BigEndian.Uint32(pt)
	if uint64(n) > uint64(len(pt)-4) {
		return nil, nil, ErrCorrupt
	}
	return pt[4 : 4+n : 4+n], pt[4+n:], nil // capped: appending to field never overwrites value
}

// hashPrefix is the bbolt key prefix of every field record of m.
func hashPrefix(m *meta) []byte { return dataKey(m.id, []byte{hashSlotTag}) }

func (tx *Tx) fieldExists(m *meta, slot []byte) bool {
	return tx.dataB.Get(dataKey(m.id, slot)) != nil
}

// getField returns the value of field in m; ok is false when it is absent.
func (tx *Tx) getField(m *meta, field []byte) ([]byte, bool, error) {
	pt, err := tx.getData(m, tx.fieldSlot(m, field))
	if err != nil || pt == nil {
		return nil, false, err
	}
	f, v, err := decodeField(pt)
	if err != nil {
		return nil, false, tx.corrupt(m, "hash field record is malformed")
	}
	if !bytes.Equal(f, field) {
		return nil, false, tx.corrupt(m, "hash field record holds another field")
	}
	return v, true, nil
}

func (tx *Tx) putField(m *meta, field, value []byte) error {
	return tx.putData(m, tx.fieldSlot(m, field), encodeField(field, value))
}

// hashForWrite returns the live hash at name, or a new one (not yet stored) when absent.
func (tx *Tx) hashForWrite(name []byte) (*meta, error) {
	m, err := tx.lookupType(name, TypeHash)
	if err != nil || m != nil {
		return m, err
	}
	return tx.newMeta(name, TypeHash)
}

// storeCount stores m, or deletes the key when it has no element left.
func (tx *Tx) storeCount(m *meta) error {
	if m.count <= 0 {
		return tx.deleteKey(m)
	}
	return tx.putMeta(m)
}

// HSet sets field/value pairs (f1, v1, f2, v2, ...) and returns how many fields were new.
func (tx *Tx) HSet(name []byte, pairs [][]byte) (int64, error) {
	if len(pairs)%2 != 0 {
		return 0, errors.New("hset: odd number of arguments")
	}
	m, err := tx.lookupType(name, TypeHash)
	if err != nil {
		return 0, err
	}
	if len(pairs) == 0 {
		return 0, nil
	}
	if m == nil {
		if m, err = tx.newMeta(name, TypeHash); err != nil {
			return 0, err
		}
	}
	var added int64
	for i := 0; i < len(pairs); i += 2 {
		slot := tx.fieldSlot(m, pairs[i])
		if !tx.fieldExists(m, slot) {
			added++
			m.count++
		}
		if err := tx.putData(m, slot, encodeField(pairs[i], pairs[i+1])); err != nil {
			return 0, err
		}
	}
	if added == 0 {
		return 0, nil // fields overwritten only: the key record is unchanged
	}
	return added, tx.putMeta(m)
}

// HSetNX sets field only when it is absent; false when it was already there.
func (tx *Tx) HSetNX(name, field, value []byte) (bool, error) {
	m, err := tx.hashForWrite(name)
	if err != nil {
		return false, err
	}
	slot := tx.fieldSlot(m, field)
	if tx.fieldExists(m, slot) {
		return false, nil
	}
	if err := tx.putData(m, slot, encodeField(field, value)); err != nil {
		return false, err
	}
	m.count++
	return true, tx.putMeta(m)
}

// HGet returns the value of field; ok is false when the key or the field is absent.
func (tx *Tx) HGet(name, field []byte) ([]byte, bool, error) {
	m, err := tx.lookupType(name, TypeHash)
	if err != nil || m == nil {
		return nil, false, err
	}
	return tx.getField(m, field)
}

// forEachField calls fn for every field of m in slot order, starting at the slot whose
// digest begins at or after from (nil: the first), until fn returns false. It says
// whether it reached the end, having read n records; a walk from the first slot to the
// end checks n against the key record's count, so a field record deleted or put back
// behind herodb's back is an error, not a short or a long answer.
func (tx *Tx) forEachField(m *meta, from []byte, fn func(k, field, value []byte) bool) error {
	prefix := hashPrefix(m)
	c := tx.dataB.Cursor()
	var n int64
	k, v := c.Seek(append(append([]byte(nil), prefix...), from...))
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		slot := k[8:]
		pt, err := tx.keys.Open(tx.dataAAD(m.id, m.typ, slot), v)
		if err != nil {
			return tx.corrupt(m, "hash field record fails to open")
		}
		f, val, err := decodeField(pt)
		if err != nil {
			return tx.corrupt(m, "hash field record is malformed")
		}
		n++
		if !fn(k, f, val) {
			return nil
		}
	}
	if isZero(from) && n != m.count {
		return tx.corrupt(m, "hash has %d field records; its key record counts %d", n, m.count)
	}
	return nil
}

// isZero reports whether a seek position is the very first one.
func isZero(from []byte) bool {
	for _, b := range from {
		if b != 0 {
			return false
		}
	}
	return true
}

// HGetAll returns every field and value, flat (f1, v1, f2, v2, ...), in slot order.
func (tx *Tx) HGetAll(name []byte) ([][]byte, error) {
	m, err := tx.lookupType(name, TypeHash)
	if err != nil || m == nil {
		return nil, err
	}
	out := make([][]byte, 0, 2*m.count)
	err = tx.forEachField(m, nil, func(_, f, v []byte) bool {
		out = append(out, f, v)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HDel removes fields and returns how many existed. The key goes with its last field.
func (tx *Tx) HDel(name []byte, fields [][]byte) (int64, error) {
	m, err := tx.lookupType(name, TypeHash)
	if err != nil || m == nil {
		return 0, err
	}
	var n int64
	for _, f := range fields {
		slot := tx.fieldSlot(m, f)
		if !tx.fieldExists(m, slot) {
			continue
		}
		if err := tx.deleteSlot(m, slot); err != nil {
			return 0, err
		}
		n++
		if m.count--; m.count < 0 {
			return 0, tx.corrupt(m, "hash has more field records than its key record counts")
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, tx.storeCount(m)
}

// HExists reports whether field is in the hash at name.
func (tx *Tx) HExists(name, field []byte) (bool, error) {
	m, err := tx.lookupType(name, TypeHash)
	if err != nil || m == nil {
		return false, err
	}
	return tx.fieldExists(m, tx.fieldSlot(m, field)), nil
}

// HLen returns the number of fields of the hash at name (0 when absent).
func (tx *Tx) HLen(name []byte) (int64, error) {
	m, err := tx.lookupType(name, TypeHash)
	if err != nil || m == nil {
		return 0, err
	}
	return m.count, nil
}

// HIncrBy adds delta to the integer in field (absent counts as 0). ErrNotInteger when
// the value is not one, ErrOverflow when the sum would not fit in an int64.
func (tx *Tx) HIncrBy(name, field []byte, delta int64) (int64, error) {
	m, err := tx.hashForWrite(name)
	if err != nil {
		return 0, err
	}
	v, ok, err := tx.getField(m, field)
	if err != nil {
		return 0, err
	}
	n, out, err := addInt(v, ok, delta)
	if err != nil {
		return 0, err
	}
	if err := tx.putField(m, field, out); err != nil {
		return 0, err
	}
	if ok {
		return n, nil // the field was there: the key record is unchanged
	}
	m.count++
	return n, tx.putMeta(m)
}

// HIncrByFloat adds delta to the number in field and returns the new value as stored.
// ErrNotFloat when the value is not a number, ErrNaN when the result is NaN or infinite.
func (tx *Tx) HIncrByFloat(name, field []byte, delta float64) ([]byte, error) {
	m, err := tx.hashForWrite(name)
	if err != nil {
		return nil, err
	}
	v, ok, err := tx.getField(m, field)
	if err != nil {
		return nil, err
	}
	out, err := addFloat(v, ok, delta)
	if err != nil {
		return nil, err
	}
	if err := tx.putField(m, field, out); err != nil {
		return nil, err
	}
	if ok {
		return out, nil // the field was there: the key record is unchanged
	}
	m.count++
	return out, tx.putMeta(m)
}

// HScan walks the fields of the hash at name in slot order, as Scan walks keys: the
// cursor is the first 8 bytes of the next slot's digest, so it stays valid across writes
// and every field present for the whole iteration is returned. count is a hint of
// fields read; match filters field names. pairs is flat (f1, v1, ...); next 0 means done.
func (tx *Tx) HScan(name []byte, cursor uint64, match []byte, count int) (uint64, [][]byte, error) {
	m, err := tx.lookupType(name, TypeHash)
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
	err = tx.forEachField(m, from, func(k, f, v []byte) bool {
		if seen >= count {
			next = binary.BigEndian.Uint64(k[9:17])
			if next == 0 {
				next = 1 // 0 means "done"; a digest prefix of 0 is 2^-64 rare, revisit it
			}
			return false
		}
		seen++
		if match == nil || Match(match, f) {
			out = append(out, f, v)
		}
		return true
	})
	if err != nil {
		return 0, nil, err
	}
	return next, out, nil
}
