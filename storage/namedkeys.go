package storage

import (
	"encoding/binary"
	"sort"
)

// Named keys are the keys the AGE commands keep by name. They live in their own bucket,
// outside the keyspace: GET, SCAN, KEYS and FLUSHDB never see them, and they go when the
// database file and its key are destroyed. They are sealed like everything else, bound
// to their name's digest and the database.

var bucketNamedKeys = []byte("namedkeys")

const domainNamedKey = 'n'

// NamedKey is one named key pair.
type NamedKey struct {
	Name   []byte
	Kind   byte   // 'e': age X25519 (encryption), 's': Ed25519 (signing)
	Public string // recipient, or base64 verify key
	Secret string // identity, or base64 signing seed
}

func (k *NamedKey) encode() []byte {
	b := []byte{k.Kind}
	for _, part := range [][]byte{k.Name, []byte(k.Public), []byte(k.Secret)} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		b = append(b, part...)
	}
	return b
}

func decodeNamedKey(b []byte) (*NamedKey, error) {
	if len(b) < 1 {
		return nil, ErrCorrupt
	}
	k := &NamedKey{Kind: b[0]}
	b = b[1:]
	var parts [3][]byte
	for i := range parts {
		if len(b) < 4 || uint32(len(b)-4) < binary.BigEndian.Uint32(b) {
			return nil, ErrCorrupt
		}
		n := binary.BigEndian.Uint32(b)
		parts[i] = append([]byte(nil), b[4:4+n]...)
		b = b[4+n:]
	}
	k.Name, k.Public, k.Secret = parts[0], string(parts[1]), string(parts[2])
	return k, nil
}

func (tx *Tx) namedAAD(idx []byte) []byte {
	return binary.BigEndian.AppendUint64(append([]byte("named\x00"), idx...), tx.db.id)
}

// PutNamedKey stores k; when a key of that name exists it is replaced only if replace,
// and false is returned otherwise.
func (tx *Tx) PutNamedKey(k NamedKey, replace bool) (bool, error) {
	if !tx.writable {
		return false, ErrReadOnlyTx
	}
	b := tx.namedB
	idx := tx.keys.Index(domainNamedKey, k.Name)
	if b.Get(idx) != nil && !replace {
		return false, nil
	}
	tx.mutations++
	return true, b.Put(idx, tx.keys.Seal(tx.namedAAD(idx), k.encode()))
}

// GetNamedKey returns the key called name, or nil.
func (tx *Tx) GetNamedKey(name []byte) (*NamedKey, error) {
	b := tx.namedB
	idx := tx.keys.Index(domainNamedKey, name)
	raw := b.Get(idx)
	if raw == nil {
		return nil, nil
	}
	return tx.openNamedKey(idx, raw)
}

// openNamedKey opens and decodes the named key record stored at idx.
func (tx *Tx) openNamedKey(idx, raw []byte) (*NamedKey, error) {
	pt, err := tx.keys.Open(tx.namedAAD(idx), raw)
	if err != nil {
		return nil, tx.corruptNamed(idx, "named key record fails to open")
	}
	k, err := decodeNamedKey(pt)
	if err != nil {
		return nil, tx.corruptNamed(idx, "named key record is malformed")
	}
	return k, nil
}

func (tx *Tx) corruptNamed(idx []byte, what string) error {
	return &CorruptError{DB: tx.db.id, Path: tx.db.path, Key: "named key index " + digestPrefix(idx), What: what}
}

// DeleteNamedKey removes the key called name; false if there was none.
func (tx *Tx) DeleteNamedKey(name []byte) (bool, error) {
	b := tx.namedB
	idx := tx.keys.Index(domainNamedKey, name)
	if b.Get(idx) == nil {
		return false, nil
	}
	if !tx.writable {
		return false, ErrReadOnlyTx
	}
	tx.mutations++
	return true, b.Delete(idx)
}

// ListNamedKeys returns every named key, by name.
func (tx *Tx) ListNamedKeys() ([]*NamedKey, error) {
	var out []*NamedKey
	c := tx.namedB.Cursor()
	for idx, raw := c.First(); idx != nil; idx, raw = c.Next() {
		k, err := tx.openNamedKey(idx, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i].Name) < string(out[j].Name) })
	return out, nil
}
