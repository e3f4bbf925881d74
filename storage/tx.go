package storage

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/seed6aa118f9/herodb/crypto"
)

// Type is the kind of value a key holds.
type Type byte

const (
	TypeNone   Type = 0
	TypeString Type = 's'
	TypeHash   Type = 'h'
	TypeList   Type = 'l'
	TypeSet    Type = 'S' // 's' is a string's
	TypeZSet   Type = 'z'
	TypeStream Type = 'x'
)

func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeStream:
		return "stream"
	}
	return "none"
}

// Index domains keep digests of key names, hash fields and set members apart.
const (
	domainKey    = 'k'
	domainField  = 'f'
	domainMember = 'm'
)

// Tx is one transaction on one database: the unit every command runs against, whether
// alone, in a group commit or in EXEC. Values it returns are copies, safe after the
// transaction ends.
type Tx struct {
	db        *DB
	v         *view
	keys      *crypto.Keyring
	now       int64 // unix ms, fixed for the transaction
	writable  bool
	mutations int // changes made so far: WATCH signals only commands that changed something
	// lastName and lastIdx are the last name nameIndex digested, and its digest; the
	// name is copied into nameBuf while it fits.
	lastName, lastIdx []byte
	nameBuf           [64]byte
	// aad is metaAAD's and dataAAD's scratch, in aadBuf until a slot outgrows it: the
	// transaction is allocated anyway, so the usual record costs no allocation.
	aad    []byte
	aadBuf [96]byte
	pt     []byte // putMeta's plaintext scratch
	keyB   bkt
	dataB  bkt
	expB   bkt
	sysB   bkt
	namedB bkt
	hook   KeyHook // told of new and expired keys (keyhook.go); nil for most
	// beforeCommit holds BeforeCommit's functions, each name once, in order.
	beforeCommit []namedHook
}

type namedHook struct {
	name string
	fn   func() error
}

func (db *DB) newTx(v *view, kr *crypto.Keyring) *Tx {
	tx := &Tx{
		db: db, v: v, keys: kr, writable: v.pend != nil,
		now:  db.opts.Clock.Now().UnixMilli(),
		keyB: bkt{v, bKeys}, dataB: bkt{v, bData}, expB: bkt{v, bExpires},
		sysB: bkt{v, bSys}, namedB: bkt{v, bNamed},
	}
	tx.aad, tx.lastName = tx.aadBuf[:0], tx.nameBuf[:0]
	return tx
}

// BeforeCommit has fn run once the batch this transaction belongs to has run every
// writer, before any of it is made durable or visible; a function already registered
// under name in this batch is not added again, so many writers of one batch share one
// call. An error fails the batch as a writer's error would (its writers run again one by
// one). DB 0's creates use it to fsync the slot file once per batch instead of once per
// create: those fsyncs ran one after another in the committer, and were most of what a
// create cost. fn must be safe to run again.
func (tx *Tx) BeforeCommit(name string, fn func() error) error {
	if !tx.writable {
		return ErrReadOnlyTx
	}
	for _, h := range tx.beforeCommit {
		if h.name == name {
			return nil
		}
	}
	tx.beforeCommit = append(tx.beforeCommit, namedHook{name, fn})
	return nil
}

// runBeforeCommit runs the BeforeCommit functions, stopping at the first error.
func (tx *Tx) runBeforeCommit() error {
	for _, h := range tx.beforeCommit {
		if err := h.fn(); err != nil {
			return err
		}
	}
	return nil
}

// Now is the transaction's time in unix milliseconds.
func (tx *Tx) Now() int64 { return tx.now }

// Mutations counts the changes made in this transaction so far; a command that leaves
// it unchanged changed nothing (SETNX on an existing key, DEL of an absent one).
func (tx *Tx) Mutations() int { return tx.mutations }

// Writable reports whether the transaction may write.
func (tx *Tx) Writable() bool { return tx.writable }

// SysGet reads a raw value of the reserved sys bucket (never reachable by commands).
func (tx *Tx) SysGet(name string) []byte {
	if v := tx.sysB.Get([]byte(name)); v != nil {
		return append([]byte(nil), v...)
	}
	return nil
}

// SysPut writes a raw value of the reserved sys bucket.
func (tx *Tx) SysPut(name string, value []byte) error {
	if !tx.writable {
		return ErrReadOnlyTx
	}
	return tx.sysB.Put([]byte(name), append([]byte(nil), value...))
}

// SysPrefix returns every raw sys entry whose name starts with prefix, as name/value pairs.
func (tx *Tx) SysPrefix(prefix string) [][2][]byte {
	var out [][2][]byte
	c := tx.sysB.Cursor()
	for k, v := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
		out = append(out, [2][]byte{append([]byte(nil), k...), append([]byte(nil), v...)})
	}
	return out
}

// SysDelete removes a value of the reserved sys bucket.
func (tx *Tx) SysDelete(name string) error {
	if !tx.writable {
		return ErrReadOnlyTx
	}
	return tx.sysB.Delete([]byte(name))
}

// meta is the sealed record of one key. id is the key's stable identity: every value,
// field and element is bound to it, not to the name, so RENAME reseals only this record.
type meta struct {
	id       uint64
	typ      Type
	expireAt int64  // unix ms; 0: no expiry
	count    int64  // hash fields, list elements, set or sorted set members
	head     uint64 // list: slot of the first element
	name     []byte
	// A small string's value lives in its key record (inline): one record to seal, store,
	// flush and open instead of two. Larger values have a value record of their own.
	inline bool
	value  []byte
	fresh  bool // made by newMeta in this transaction: no record of it exists yet
	// counted: a fresh key whose record putMeta stored, counted in the key count.
	counted bool
}

const metaFixed = 1 + 8 + 8 + 8 + 8

// recInline is the type byte of a string key record that holds its value: the fixed
// fields, then the name's length (uvarint), the name and the value.
const recInline = 'i'

// inlineMax is the largest string value kept in its key record: small enough that
// reading a key's type or TTL never opens much, and RENAME reseals little.
const inlineMax = 512

// appendEncoded is the key record's plaintext, encoded into b's room (putMeta's
// scratch: the plaintext is sealed at once, into a record of its own).
func (m *meta) appendEncoded(b []byte) []byte {
	b = append(b[:0], make([]byte, metaFixed)...)
	b[0] = byte(m.typ)
	binary.BigEndian.PutUint64(b[1:], m.id)
	binary.BigEndian.PutUint64(b[9:], uint64(m.expireAt))
	binary.BigEndian.PutUint64(b[17:], uint64(m.count))
	binary.BigEndian.PutUint64(b[25:], m.head)
	if m.inline {
		b[0] = recInline
		b = binary.AppendUvarint(b, uint64(len(m.name)))
		b = append(b, m.name...)
		return append(b, m.value...)
	}
	return append(b, m.name...)
}

// decodeMeta reads a key record's plaintext, which it keeps (the caller hands over a
// buffer of its own); what it returns is a known type with a count that type can have,
// or an error saying what is wrong.
func decodeMeta(b []byte) (*meta, error) {
	if len(b) < metaFixed {
		return nil, errors.New("key record is truncated")
	}
	m := &meta{
		typ:      Type(b[0]),
		id:       binary.BigEndian.Uint64(b[1:]),
		expireAt: int64(binary.BigEndian.Uint64(b[9:])),
		count:    int64(binary.BigEndian.Uint64(b[17:])),
		head:     binary.BigEndian.Uint64(b[25:]),
	}
	rest := b[metaFixed:]
	if m.typ == recInline {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, errors.New("key record has a bad name length")
		}
		m.typ, m.inline = TypeString, true
		m.value = rest[k+int(n):] // never nil: "" is a value
		rest = rest[k : k+int(n) : k+int(n)]
	}
	// b is the plaintext Open just made for this record alone, so name and value keep
	// its bytes rather than copies; the name's capacity ends where it does, so an append
	// to it never writes over the value.
	m.name = rest[:len(rest):len(rest)] // never nil: "" is a valid key name
	switch {
	case m.typ != TypeString && m.typ != TypeHash && m.typ != TypeList && m.typ != TypeSet && m.typ != TypeZSet && m.typ != TypeStream:
		return nil, fmt.Errorf("key record has unknown type %d", m.typ)
	case m.count < 0 || (m.typ == TypeString && m.count != 0):
		return nil, fmt.Errorf("key record of a %s counts %d", m.typ, m.count)
	}
	return m, nil
}

// corrupt is the error for data of key m that is not what herodb wrote. It names the
// database and the key's identity, never its name.
func (tx *Tx) corrupt(m *meta, format string, args ...any) error {
	return &CorruptError{DB: tx.db.id, Path: tx.db.path, Key: fmt.Sprintf("id %d", m.id),
		What: fmt.Sprintf(format, args...)}
}

// corruptIdx is corrupt for a key whose key record itself is bad: it is named by the
// first bytes of its index digest (a keyed digest: it does not reveal the name).
func (tx *Tx) corruptIdx(idx []byte, what string) error {
	return &CorruptError{DB: tx.db.id, Path: tx.db.path, Key: "index " + digestPrefix(idx), What: what}
}

func digestPrefix(idx []byte) string {
	if len(idx) > 8 {
		idx = idx[:8]
	}
	return hex.EncodeToString(idx)
}

// openMeta opens and decodes raw, the key record stored at idx.
func (tx *Tx) openMeta(idx, raw []byte) (*meta, error) {
	pt, err := tx.keys.Open(tx.metaAAD(idx), raw)
	if err != nil {
		return nil, tx.corruptIdx(idx, "key record fails to open")
	}
	m, err := decodeMeta(pt)
	if err != nil {
		return nil, tx.corruptIdx(idx, err.Error())
	}
	return m, nil
}

// checkOwnRecords is the check that binds a file without a binding: its first key
// record and its first named key must open under this keyring and database id. A file
// with neither holds nothing to protect.
func (tx *Tx) checkOwnRecords() error {
	if k, v := tx.keyB.Cursor().First(); k != nil {
		if _, err := tx.openMeta(k, v); err != nil {
			return err
		}
	}
	if k, v := tx.namedB.Cursor().First(); k != nil {
		if _, err := tx.openNamedKey(k, v); err != nil {
			return err
		}
	}
	return nil
}

// Associated data layouts. Each binds a ciphertext to its database and place; a record
// copied anywhere else fails to open.
// metaAAD and dataAAD are built in the transaction's scratch buffer, valid until the
// next call: every caller hands it straight to one Seal, Open or Reseal, which reads it
// and keeps nothing (an allocation per record before, about one per command).
func (tx *Tx) metaAAD(idx []byte) []byte {
	b := append(tx.aad[:0], "key\x00"...)
	tx.aad = binary.BigEndian.AppendUint64(append(b, idx...), tx.db.id)
	return tx.aad
}

func (tx *Tx) dataAAD(id uint64, typ Type, slot []byte) []byte {
	b := append(tx.aad[:0], "val\x00"...)
	b = binary.BigEndian.AppendUint64(b, tx.db.id)
	b = binary.BigEndian.AppendUint64(b, id)
	b = append(b, byte(typ))
	tx.aad = append(b, slot...)
	return tx.aad
}

// nameIndex is name's index digest. A command digests the same name more than once (SET
// looks the key up, then stores its record; an expiry entry names it too), so the last
// digest is kept: one HMAC per name and command instead of two or three. The digest
// returned is never changed afterwards, so callers may keep it.
func (tx *Tx) nameIndex(name []byte) []byte {
	if tx.lastIdx != nil && string(tx.lastName) == string(name) {
		return tx.lastIdx
	}
	idx := tx.keys.Index(domainKey, name)
	tx.lastName, tx.lastIdx = append(tx.lastName[:0], name...), idx
	return idx
}

// lookup returns the live meta of name, or nil. An expired key is deleted when the
// transaction is writable and is invisible either way (lazy expiry).
func (tx *Tx) lookup(name []byte) (*meta, error) {
	idx := tx.nameIndex(name)
	return tx.lookupIdx(idx)
}

func (tx *Tx) lookupIdx(idx []byte) (*meta, error) {
	raw := tx.keyB.Get(idx)
	if raw == nil {
		return nil, nil
	}
	m, err := tx.openMeta(idx, raw)
	if err != nil {
		return nil, err
	}
	if m.expireAt != 0 && m.expireAt <= tx.now {
		if tx.writable {
			if err := tx.deleteKey(m); err != nil {
				return nil, err
			}
			tx.keyEvent(KeyExpired, m)
		}
		return nil, nil
	}
	return m, nil
}

// lookupType is lookup plus the type check every typed command does.
func (tx *Tx) lookupType(name []byte, typ Type) (*meta, error) {
	m, err := tx.lookup(name)
	if err != nil || m == nil {
		return nil, err
	}
	if m.typ != typ {
		return nil, ErrWrongType
	}
	return m, nil
}

// newMeta gives name a fresh identity; it is stored by putMeta.
func (tx *Tx) newMeta(name []byte, typ Type) (*meta, error) {
	if !tx.writable {
		return nil, ErrReadOnlyTx
	}
	id, err := tx.dataB.NextSequence()
	if err != nil {
		return nil, err
	}
	return &meta{id: id, typ: typ, name: append([]byte(nil), name...), head: 1 << 62, fresh: true}, nil
}

func (tx *Tx) putMeta(m *meta) error {
	if !tx.writable {
		return ErrReadOnlyTx
	}
	idx := tx.nameIndex(m.name)
	tx.mutations++
	if m.fresh && !m.counted {
		if err := tx.addKeys(1); err != nil {
			return err
		}
		m.counted = true
		tx.keyEvent(KeyNew, m)
	}
	tx.pt = m.appendEncoded(tx.pt)
	return tx.keyB.Put(idx, tx.keys.Seal(tx.metaAAD(idx), tx.pt))
}

// sysKeyCount names the sys record holding the number of keys, so DBSIZE and INFO read
// it instead of walking the keyspace.
const sysKeyCount = "keycount"

// keyCount is the number of keys: the counter, or for a file from before it a walk of
// the keys bucket.
func (tx *Tx) keyCount() int64 {
	if v := tx.sysB.Get([]byte(sysKeyCount)); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return countEntries(tx.keyB)
}

// addKeys moves the key count by d (its first move in a file from before the counter
// counts the keys once).
func (tx *Tx) addKeys(d int64) error {
	n := max(tx.keyCount()+d, 0)
	return tx.sysB.Put([]byte(sysKeyCount), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// deleteKey removes a key, its values and its expiry entry.
func (tx *Tx) deleteKey(m *meta) error {
	if !tx.writable {
		return ErrReadOnlyTx
	}
	if err := tx.setExpiryEntry(m, 0); err != nil {
		return err
	}
	if err := tx.deleteData(m); err != nil {
		return err
	}
	tx.mutations++
	if !m.fresh || m.counted {
		if err := tx.addKeys(-1); err != nil {
			return err
		}
	}
	tx.keyEvent(KeyDeleted, m)
	return tx.keyB.Delete(tx.nameIndex(m.name))
}

// deleteData removes every value record of m: a string's one record, or a hash's, a
// list's or a set's records in one range delete, whatever their number.
func (tx *Tx) deleteData(m *meta) error {
	if m.typ == TypeString {
		if m.inline {
			return nil
		}
		return tx.dataB.Delete(dataKey(m.id, stringSlot))
	}
	return tx.dataB.DeletePrefix(binary.BigEndian.AppendUint64(nil, m.id))
}

// setExpiryEntry moves m's entry in the expiry index to at (0 removes it) and sets
// m.expireAt; the caller stores m.
func (tx *Tx) setExpiryEntry(m *meta, at int64) error {
	if m.expireAt != 0 {
		if err := tx.expB.Delete(expKey(m.expireAt, m.id)); err != nil {
			return err
		}
	}
	m.expireAt = at
	if at != 0 {
		if p := tx.v.pend; p != nil && (p.expiry == 0 || at < p.expiry) {
			p.expiry = at
		}
		return tx.expB.Put(expKey(at, m.id), tx.nameIndex(m.name))
	}
	return nil
}

// expKey orders the expiry index by time, so the sweeper reads only what is due. It
// leaks when keys expire, not which keys (documented in docs/storage.md).
func expKey(at int64, id uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(at))
	return binary.BigEndian.AppendUint64(b, id)
}

// dataKey is a value record's bbolt key: the key id, then the slot.
func dataKey(id uint64, slot []byte) []byte {
	return append(binary.BigEndian.AppendUint64(nil, id), slot...)
}

func (tx *Tx) getData(m *meta, slot []byte) ([]byte, error) {
	raw := tx.dataB.Get(dataKey(m.id, slot))
	if raw == nil {
		return nil, nil
	}
	pt, err := tx.keys.Open(tx.dataAAD(m.id, m.typ, slot), raw)
	if err != nil {
		return nil, tx.corrupt(m, "%s record fails to open", recordKind(m.typ))
	}
	if pt == nil {
		pt = []byte{} // an empty value is present: nil means "no record"
	}
	return pt, nil
}

func (tx *Tx) putData(m *meta, slot, value []byte) error {
	if !tx.writable {
		return ErrReadOnlyTx
	}
	tx.mutations++
	return tx.dataB.Put(dataKey(m.id, slot), tx.keys.Seal(tx.dataAAD(m.id, m.typ, slot), value))
}

func (tx *Tx) deleteSlot(m *meta, slot []byte) error {
	if !tx.writable {
		return ErrReadOnlyTx
	}
	tx.mutations++
	return tx.dataB.Delete(dataKey(m.id, slot))
}

// recordKind names the value records of a type, for errors.
func recordKind(t Type) string {
	switch t {
	case TypeHash:
		return "hash field"
	case TypeList:
		return "list element"
	case TypeSet:
		return "set member"
	case TypeZSet:
		return "sorted set member"
	case TypeStream:
		return "stream"
	}
	return "string value"
}

// IsCorrupt reports whether err means data that is not what herodb wrote: a record that
// failed authentication, records that disagree, or a file of another database.
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }
