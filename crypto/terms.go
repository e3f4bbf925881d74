package crypto

import (
	"encoding/binary"
	"slices"
)

// NamingKeys are the two HMAC keys of a database that must never change while it lives,
// whatever its key terms: the name index's (every key, field and member is looked up
// under it) and the file binding's. Both derive from term 1's data key, as they always
// have; a rotation that destroys term 1 keeps these 64 bytes (index key, then file key)
// instead, passed to NewKeyring as entry 0. They open no record: HKDF's outputs reveal
// nothing of the key they came from, nor of each other.
func NamingKeys(term1 []byte) []byte {
	return append(derive(term1, labelIndex, nil), derive(term1, labelFile, nil)...)
}

// Current is the term that seals new records.
func (kr *Keyring) Current() uint32 { return kr.current }

// Terms lists the keyring's terms in increasing order.
func (kr *Keyring) Terms() []uint32 {
	out := make([]uint32, 0, len(kr.terms))
	for t := range kr.terms {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// RecordTerm reads the key term a sealed record names, without opening it; ok is false
// for bytes too short to be a record.
func RecordTerm(record []byte) (term uint32, ok bool) {
	if len(record) < Overhead || record[0] != RecordVersion {
		return 0, false
	}
	return binary.BigEndian.Uint32(record[1:]), true
}

// Reseal opens record under the term it names and seals it again under the current
// term, bound to the same aad: a key rotation's rewrite.
func (kr *Keyring) Reseal(aad, record []byte) ([]byte, error) {
	pt, err := kr.Open(aad, record)
	if err != nil {
		return nil, err
	}
	return kr.Seal(aad, pt), nil
}
