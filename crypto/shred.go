package crypto

import "encoding/binary"

// labelSlotWrap separates the slot wrapping key from every other key derived from DB 0's.
const labelSlotWrap = "herodb/v1/slot-wrap"

// SlotWrapKey derives the key that wraps database id's data key from two secrets: DB 0's
// data key and the database's own random slot secret, kept outside DB 0 in a file that
// is overwritten in place when the database is deleted (admin/shred.go). HKDF over both
// (concatenated as its input key, the id in its info) means that knowing DB 0's key, as
// the server does, opens nothing once the slot is gone: the wrap is then as good as
// random bytes, wherever old copies of it lie.
func SlotWrapKey(dbKey, slot []byte, id uint64) []byte {
	ikm := make([]byte, 0, len(dbKey)+len(slot))
	ikm = append(append(ikm, dbKey...), slot...)
	var ctx [8]byte
	binary.BigEndian.PutUint64(ctx[:], id)
	return derive(ikm, labelSlotWrap, ctx[:])
}
