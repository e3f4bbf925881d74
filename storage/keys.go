package storage

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// Del removes name with everything it holds; false if it did not exist.
func (tx *Tx) Del(name []byte) (bool, error) {
	m, err := tx.lookup(name)
	if err != nil || m == nil {
		return false, err
	}
	return true, tx.deleteKey(m)
}

// Exists reports whether name holds a live key.
func (tx *Tx) Exists(name []byte) (bool, error) {
	m, err := tx.lookup(name)
	return m != nil, err
}

// TypeOf returns the type of name, TypeNone when absent.
func (tx *Tx) TypeOf(name []byte) (Type, error) {
	m, err := tx.lookup(name)
	if err != nil || m == nil {
		return TypeNone, err
	}
	return m.typ, nil
}

// forEachKey calls fn for every live key in index order until fn returns false. Names
// are sealed, so this decrypts every key record: KEYS and SCAN MATCH cost O(keys).
func (tx *Tx) forEachKey(from []byte, fn func(idx []byte, m *meta) (bool, error)) error {
	c := tx.keyB.Cursor()
	var k, v []byte
	if from == nil {
		k, v = c.First()
	} else {
		k, v = c.Seek(from)
	}
	var expired []*meta
	for ; k != nil; k, v = c.Next() {
		idx := append([]byte(nil), k...)
		m, err := tx.openMeta(idx, v)
		if err != nil {
			return err
		}
		if m.expireAt != 0 && m.expireAt <= tx.now {
			expired = append(expired, m)
			continue
		}
		more, err := fn(idx, m)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	if tx.writable {
		for _, m := range expired {
			if err := tx.deleteKey(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// Keys returns every live key name matching the glob pattern.
func (tx *Tx) Keys(pattern []byte) ([][]byte, error) {
	var out [][]byte
	all := string(pattern) == "*"
	err := tx.forEachKey(nil, func(_ []byte, m *meta) (bool, error) {
		if all || Match(pattern, m.name) {
			out = append(out, m.name)
		}
		return true, nil
	})
	return out, err
}

// Scan walks the keyspace in the order of the name index. The cursor is the first 8
// bytes of the next index entry, so it stays valid across writes: every key present for
// the whole iteration is returned, as Redis promises. count is a hint of entries read;
// match and typ (TypeNone: any) filter what was read.
func (tx *Tx) Scan(cursor uint64, match []byte, count int, typ Type) (uint64, [][]byte, error) {
	if count < 1 {
		count = 10
	}
	var out [][]byte
	var next uint64
	seen := 0
	from := binary.BigEndian.AppendUint64(nil, cursor)
	err := tx.forEachKey(from, func(idx []byte, m *meta) (bool, error) {
		if seen >= count {
			next = binary.BigEndian.Uint64(idx)
			if next == 0 {
				next = 1 // 0 means "done"; index prefix 0 is 2^-64 rare, revisit it
			}
			return false, nil
		}
		seen++
		if (typ == TypeNone || m.typ == typ) && (match == nil || Match(match, m.name)) {
			out = append(out, m.name)
		}
		return true, nil
	})
	return next, out, err
}

// Rename moves src to dst, replacing dst unless nx. Values stay where they are: they
// are bound to the key's identity, not its name. Returns ErrNoSuchKey when src is
// absent, and false when nx and dst exists.
func (tx *Tx) Rename(src, dst []byte, nx bool) (bool, error) {
	m, err := tx.lookup(src)
	if err != nil {
		return false, err
	}
	if m == nil {
		return false, ErrNoSuchKey
	}
	if string(src) == string(dst) {
		return !nx, nil
	}
	d, err := tx.lookup(dst)
	if err != nil {
		return false, err
	}
	if d != nil {
		if nx {
			return false, nil
		}
		if err := tx.deleteKey(d); err != nil {
			return false, err
		}
	}
	at := m.expireAt
	if err := tx.setExpiryEntry(m, 0); err != nil {
		return false, err
	}
	if err := tx.keyB.Delete(tx.nameIndex(m.name)); err != nil {
		return false, err
	}
	m.name = append([]byte(nil), dst...)
	if err := tx.setExpiryEntry(m, at); err != nil {
		return false, err
	}
	return true, tx.putMeta(m)
}

// ExpireCond is the NX/XX/GT/LT option of EXPIRE.
type ExpireCond int

const (
	ExpireAlways ExpireCond = iota
	ExpireNX                // only when the key has no expiry
	ExpireXX                // only when it has one
	ExpireGT                // only when the new time is later (no expiry counts as infinite)
	ExpireLT                // only when the new time is earlier
)

// ExpireAt sets name to expire at unix ms at. A time not in the future deletes the key
// at once, as Redis does. False when the key is absent or cond is not met.
func (tx *Tx) ExpireAt(name []byte, at int64, cond ExpireCond) (bool, error) {
	m, err := tx.lookup(name)
	if err != nil || m == nil {
		return false, err
	}
	cur := m.expireAt
	switch cond {
	case ExpireNX:
		if cur != 0 {
			return false, nil
		}
	case ExpireXX:
		if cur == 0 {
			return false, nil
		}
	case ExpireGT:
		if cur == 0 || at <= cur {
			return false, nil
		}
	case ExpireLT:
		if cur != 0 && at >= cur {
			return false, nil
		}
	}
	if at <= tx.now {
		return true, tx.deleteKey(m)
	}
	if err := tx.setExpiryEntry(m, at); err != nil {
		return false, err
	}
	return true, tx.putMeta(m)
}

// ExpireTime returns name's expiry in unix ms: -2 when absent, -1 when it has none.
func (tx *Tx) ExpireTime(name []byte) (int64, error) {
	m, err := tx.lookup(name)
	if err != nil {
		return 0, err
	}
	switch {
	case m == nil:
		return -2, nil
	case m.expireAt == 0:
		return -1, nil
	}
	return m.expireAt, nil
}

// Persist removes name's expiry; false when absent or without one.
func (tx *Tx) Persist(name []byte) (bool, error) {
	m, err := tx.lookup(name)
	if err != nil || m == nil || m.expireAt == 0 {
		return false, err
	}
	if err := tx.setExpiryEntry(m, 0); err != nil {
		return false, err
	}
	return true, tx.putMeta(m)
}

// RandomKey returns a random live key name, nil when there is none.
func (tx *Tx) RandomKey() ([]byte, error) {
	var name []byte
	found := false
	first := func(_ []byte, m *meta) (bool, error) {
		name, found = m.name, true
		return false, nil
	}
	// The first key at or after a random digest, wrapping round to the first of all.
	if err := tx.forEachKey(binary.BigEndian.AppendUint64(nil, rand.Uint64()), first); err != nil {
		return nil, err
	}
	if !found {
		if err := tx.forEachKey(nil, first); err != nil || !found {
			return nil, err
		}
	}
	return name, nil
}

// DBSize counts the keys stored, including expired ones not yet swept (as Redis does).
// It walks the name index (no decryption), so it sees this transaction's own writes.
func (tx *Tx) DBSize() int64 { return tx.keyCount() }

// ExpiresCount counts the keys that have an expiry (INFO's "expires").
func (tx *Tx) ExpiresCount() int64 { return countEntries(tx.expB) }

func countEntries(b bkt) int64 {
	n := int64(0)
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// Flush removes every key of the database. Key identities keep counting up.
func (tx *Tx) Flush() error {
	if !tx.writable {
		return ErrReadOnlyTx
	}
	tx.mutations++
	for _, b := range []bkt{tx.keyB, tx.dataB, tx.expB} {
		if err := b.DeletePrefix(nil); err != nil {
			return err
		}
	}
	return tx.sysB.Put([]byte(sysKeyCount), binary.BigEndian.AppendUint64(nil, 0))
}

// SweepExpired deletes up to limit keys whose time has come, in expiry order, and says
// how many it deleted. It reads the expiry index only, not the keyspace.
func (tx *Tx) SweepExpired(limit int) (int, error) {
	if !tx.writable {
		return 0, ErrReadOnlyTx
	}
	type entry struct{ k, idx []byte }
	var due []entry
	c := tx.expB.Cursor()
	for k, v := c.First(); k != nil && len(due) < limit; k, v = c.Next() {
		if int64(binary.BigEndian.Uint64(k)) > tx.now {
			break
		}
		due = append(due, entry{append([]byte(nil), k...), append([]byte(nil), v...)})
	}
	for _, e := range due {
		if _, err := tx.lookupIdx(e.idx); err != nil { // deletes it: expired and writable
			return 0, err
		}
		if err := tx.expB.Delete(e.k); err != nil { // in case the key record was gone
			return 0, err
		}
	}
	return len(due), nil
}

// HasExpired reports whether any key is due for the sweeper, without a write.
func (tx *Tx) HasExpired() bool {
	due, _ := tx.nextExpiry()
	return due
}

// nextExpiry reports whether a key is due and the earliest expiry in the index
// (math.MaxInt64: none).
func (tx *Tx) nextExpiry() (due bool, first int64) {
	k, _ := tx.expB.Cursor().First()
	if k == nil {
		return false, math.MaxInt64
	}
	first = int64(binary.BigEndian.Uint64(k))
	return first <= tx.now, first
}
