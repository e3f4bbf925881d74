package admin

// A database's key terms in DB 0. Term 1, the key made at creation, is wrapped alone in
// dek:<id> (as before rotation existed). Every other term, and once term 1 is destroyed
// the naming keys (crypto.NamingKeys: the name index's and the file binding's, which
// never change), live in one record, terms:<id>: the set wrapped under the same slot
// wrapping key as dek:<id>, bound to its own associated data. The keyring is the union
// of both.
//
// Destroying old terms (rotate_key.go) rewraps what is kept under a new slot secret in
// three steps, a record reslot:<id> standing for the new set until the slot holds the
// new secret: readers take whichever set opens under the slot as it is, so a stop
// between any two steps leaves one set that opens, never none.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

const (
	// termsPrefix names terms:<id>, the terms beyond dek:<id>, wrapped as a set.
	termsPrefix = "terms:"
	// reslotPrefix names reslot:<id>, the set a destruction of old terms keeps, wrapped
	// under the slot secret it is about to write.
	reslotPrefix = "reslot:"
)

func termsName(id uint64) string  { return termsPrefix + strconv.FormatUint(id, 10) }
func reslotName(id uint64) string { return reslotPrefix + strconv.FormatUint(id, 10) }
func dekName(id uint64) string    { return "dek:" + strconv.FormatUint(id, 10) }

// termsAAD binds a wrapped set to its database, apart from dek:<id>'s slotAAD.
func termsAAD(id uint64) []byte { return append(slotAAD(id), "/terms"...) }

// encodeTerms lays a set out as term (4 bytes), length (1), key, for each entry.
func encodeTerms(keys map[uint32][]byte) []byte {
	var b []byte
	for t, k := range keys {
		b = binary.BigEndian.AppendUint32(b, t)
		b = append(append(b, byte(len(k))), k...)
	}
	return b
}

func decodeTerms(b []byte) (map[uint32][]byte, error) {
	keys := map[uint32][]byte{}
	for len(b) > 0 {
		if len(b) < 5 || len(b) < 5+int(b[4]) {
			return nil, errors.New("a malformed key set")
		}
		n := int(b[4])
		keys[binary.BigEndian.Uint32(b)] = append([]byte(nil), b[5:5+n]...)
		b = b[5+n:]
	}
	return keys, nil
}

// wrapTerms wraps a set under database id's slot secret.
func (a *Admin) wrapTerms(id uint64, secret []byte, keys map[uint32][]byte) ([]byte, error) {
	return crypto.Wrap(crypto.SlotWrapKey(a.dek0, secret, id), termsAAD(id), encodeTerms(keys))
}

func (a *Admin) unwrapTerms(id uint64, secret, wrapped []byte) (map[uint32][]byte, error) {
	pt, err := crypto.Unwrap(crypto.SlotWrapKey(a.dek0, secret, id), termsAAD(id), wrapped)
	if err != nil {
		return nil, err
	}
	return decodeTerms(pt)
}

// keysIn returns database id's data keys by term as tx holds them (entry 0: the naming
// keys, once term 1 is gone), unwrapped with its slot: what its keyring is built from.
// Writers of the key records hold a.termsMu; so do readers at runtime, so none sees the
// slot and the records of two different steps.
func (a *Admin) keysIn(tx *storage.Tx, id uint64) (map[uint32][]byte, error) {
	if a.shred == nil {
		return nil, fmt.Errorf("the slot file %s is not open", ShredFileName)
	}
	secret, err := a.shred.slot(id)
	if err != nil {
		return nil, err
	}
	if secret == nil {
		return nil, errShredded
	}
	if w := tx.SysGet(reslotName(id)); w != nil {
		if keys, err := a.unwrapTerms(id, secret, w); err == nil {
			return keys, nil // the slot holds the new secret: a stop cut step 3 off
		}
	}
	keys := map[uint32][]byte{}
	if w := tx.SysGet(dekName(id)); w != nil {
		dek, err := a.unwrapDEK(id, w)
		if err != nil {
			return nil, err
		}
		keys[1] = dek
	}
	if w := tx.SysGet(termsName(id)); w != nil {
		more, err := a.unwrapTerms(id, secret, w)
		if err != nil {
			return nil, fmt.Errorf("its key terms do not unwrap: %w", err)
		}
		for t, k := range more {
			keys[t] = k
		}
	}
	if len(keys) == 0 {
		return nil, Errorf(ENOTFOUND, "database %d has no key", id)
	}
	return keys, nil
}

// databaseKeys is keysIn in a read transaction of its own, under a.termsMu.
func (a *Admin) databaseKeys(id uint64) (map[uint32][]byte, error) {
	a.termsMu.RLock()
	defer a.termsMu.RUnlock()
	var keys map[uint32][]byte
	err := a.db0.View(func(tx *storage.Tx) error {
		var err error
		keys, err = a.keysIn(tx, id)
		return err
	})
	return keys, err
}

// putTerms stores keys as database id's key records in tx: term 1 stays in dek:<id>
// while it lives, the rest goes to terms:<id>.
func (a *Admin) putTerms(tx *storage.Tx, id uint64, secret []byte, keys map[uint32][]byte) error {
	rest := map[uint32][]byte{}
	for t, k := range keys {
		if t != 1 || tx.SysGet(dekName(id)) == nil {
			rest[t] = k
		}
	}
	if keys[1] == nil {
		if err := tx.SysDelete(dekName(id)); err != nil {
			return err
		}
	}
	w, err := a.wrapTerms(id, secret, rest)
	if err != nil {
		return err
	}
	return tx.SysPut(termsName(id), w)
}

// dropTermRecords removes database id's key records beyond dek:<id>, in its deletion's
// transaction (its slot, zeroed next, makes them useless in any case).
func dropTermRecords(tx *storage.Tx, id uint64) error {
	for _, n := range []string{termsName(id), reslotName(id), rewriteName(id)} {
		if err := tx.SysDelete(n); err != nil {
			return err
		}
	}
	return nil
}
