package storage

// Resealing: a database key rotation's rewrite (admin/rotate_key.go). Once a new key term
// seals new records, the records sealed under older terms are opened and sealed again
// under the current one, a bounded batch per write transaction. Each batch goes through
// the normal write path (group commit, the log, the overlay), so the log and the file
// never disagree, a crash loses no acknowledged write, and other writers interleave
// between batches. Sealed records are key records, value records (hash fields, list
// elements, set and sorted set members and their score index, stream records, large
// string values) and named keys; the expiry index and the sys bucket hold nothing sealed.

import (
	"bytes"
	"encoding/binary"

	"github.com/seed6aa118f9/herodb/crypto"
)

// ResealCursor is where a reseal walk stands, between batches: after Key (a key record's
// index digest, or a named key's once Named), and within Key's value records after Slot.
// A nil Slot means Key and all its value records are done; an empty one, only its key
// record. The zero cursor starts a walk.
type ResealCursor struct {
	Named bool
	Key   []byte
	Slot  []byte
}

// Reseal walks on from c, in one write transaction, over at most limit sealed records,
// sealing again under the current term each that names an older one. It returns the
// cursor to go on from, how many records it resealed, and whether the walk reached the
// end. A record that fails to open stops the walk with its error: a term still needed
// by a damaged record is never reported unused.
//
// A key renamed during a walk may move behind the cursor with value records still under
// an old term: a walk that resealed anything is followed by another, until one reseals
// nothing.
func (db *DB) Reseal(c ResealCursor, limit int) (next ResealCursor, resealed int, done bool, err error) {
	err = db.Update(func(tx *Tx) error { // may run again: everything is recomputed
		w := resealWalk{tx: tx, c: c, budget: max(limit, 1)}
		var err error
		done, err = w.run()
		next, resealed = w.c, w.n
		return err
	})
	return next, resealed, done, err
}

// KeyTerms reports the term that seals this database's new records and every term its
// keyring holds.
func (db *DB) KeyTerms() (current uint32, terms []uint32, err error) {
	kr, err := db.keyring()
	if err != nil {
		return 0, nil, err
	}
	return kr.Current(), kr.Terms(), nil
}

type resealWalk struct {
	tx     *Tx
	c      ResealCursor
	budget int // records still to visit in this batch
	n      int // records resealed
}

func (w *resealWalk) run() (bool, error) {
	if !w.c.Named {
		if more, err := w.keys(); more || err != nil {
			return false, err
		}
		w.c = ResealCursor{Named: true}
	}
	more, err := w.named()
	return !more && err == nil, err
}

// visit reseals one record under the current term if it names another: false once the
// batch's budget is spent (the record is then left for the next batch).
func (w *resealWalk) visit(b bkt, k, v, aad []byte) (bool, error) {
	if w.budget == 0 {
		return false, nil
	}
	w.budget--
	if t, ok := crypto.RecordTerm(v); ok && t == w.tx.keys.Current() {
		return true, nil
	}
	sealed, err := w.tx.keys.Reseal(aad, v)
	if err != nil {
		return false, err
	}
	w.n++
	return true, b.Put(append([]byte(nil), k...), sealed)
}

// keys walks the key records and each key's value records; true: the budget ran out.
func (w *resealWalk) keys() (bool, error) {
	tx := w.tx
	cur := tx.keyB.Cursor()
	k, v := cur.First()
	if w.c.Key != nil {
		k, v = cur.Seek(w.c.Key)
		if k != nil && bytes.Equal(k, w.c.Key) && w.c.Slot == nil {
			k, v = cur.Next()
		}
	}
	for ; k != nil; k, v = cur.Next() {
		m, err := tx.openMeta(k, v)
		if err != nil {
			return false, err
		}
		resume := w.c.Slot != nil && bytes.Equal(k, w.c.Key)
		if !resume {
			ok, err := w.visit(tx.keyB, k, v, tx.metaAAD(k))
			if err != nil || !ok {
				return true, err
			}
			w.c = ResealCursor{Key: append([]byte(nil), k...), Slot: []byte{}}
		}
		if more, err := w.values(m); more || err != nil {
			return true, err
		}
		w.c.Slot = nil
	}
	return false, nil
}

// values walks key m's value records after w.c.Slot; true: the budget ran out.
func (w *resealWalk) values(m *meta) (bool, error) {
	tx := w.tx
	prefix := binary.BigEndian.AppendUint64(nil, m.id)
	start := append(append([]byte(nil), prefix...), w.c.Slot...)
	cur := tx.dataB.Cursor()
	k, v := cur.Seek(start)
	if k != nil && len(w.c.Slot) > 0 && bytes.Equal(k, start) {
		k, v = cur.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		slot := k[len(prefix):]
		ok, err := w.visit(tx.dataB, k, v, tx.dataAAD(m.id, m.typ, slot))
		if err != nil {
			return false, tx.corrupt(m, "%s record fails to open", recordKind(m.typ))
		}
		if !ok {
			return true, nil
		}
		w.c.Slot = append([]byte(nil), slot...)
	}
	return false, nil
}

// named walks the named keys (AGE's keys by name); true: the budget ran out.
func (w *resealWalk) named() (bool, error) {
	tx := w.tx
	cur := tx.namedB.Cursor()
	k, v := cur.First()
	if w.c.Key != nil {
		if k, v = cur.Seek(w.c.Key); k != nil && bytes.Equal(k, w.c.Key) {
			k, v = cur.Next()
		}
	}
	for ; k != nil; k, v = cur.Next() {
		ok, err := w.visit(tx.namedB, k, v, tx.namedAAD(k))
		if err != nil {
			return false, tx.corruptIdx(k, "named key fails to open")
		}
		if !ok {
			return true, nil
		}
		w.c.Key = append([]byte(nil), k...)
	}
	return false, nil
}
