package storage

// The check of one database file: one walk, in one bbolt read transaction, that opens
// every sealed record the file holds and checks that the records agree with each other.
// `herodb check` runs it on a stopped directory (CheckFile, the file opened read-only)
// and the checkDatabase RPC on a running server's open file (DB.Check); both see the
// same walk and report alike.
//
// What it covers: bbolt's own consistency check (every page in use reachable once,
// nothing freed still referenced, keys in order); the format record and its binding
// under the database's key; every key record, value record and named key opened and
// authenticated, each value record belonging to a key of a type that has such records;
// every count in a key record matched against its records; the expiry index against
// the keys; the key count. What it cannot cover is said in docs/security.md: free
// pages (bbolt keeps no checksums, and a free page holds nothing live), and the sys
// values it cannot authenticate (they are compared with what they must agree with).

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/seed6aa118f9/herodb/crypto"
)

// CheckReport is what a check found in one database file. Problems name what is wrong
// by the key's identity or its index digest, never by its name.
type CheckReport struct {
	Path     string   `json:"path"`
	DB       uint64   `json:"db"`
	Applied  uint64   `json:"applied"`  // the last log sequence number the file holds
	Keys     int64    `json:"keys"`     // key records
	Records  int64    `json:"records"`  // sealed records opened and authenticated
	NoFile   bool     `json:"no_file"`  // never written to: no file to check
	Problems []string `json:"problems"` // empty: the file checks clean
}

// OK reports whether the check found nothing wrong.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

// maxProblems bounds what one report lists: a file damaged everywhere is named as such
// without a report as large as the file.
const maxProblems = 100

func (r *CheckReport) problem(format string, args ...any) {
	switch {
	case len(r.Problems) < maxProblems:
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	case len(r.Problems) == maxProblems:
		r.Problems = append(r.Problems, "more problems not listed")
	}
}

// CheckFile checks the file of database id at path, opened read-only (nothing is
// written, not even a lock that excludes readers), with its keyring kr. A file that
// another process holds (a running server) answers ErrDBInUse, not a report; a file
// bbolt cannot open at all is a report with that problem.
func CheckFile(path string, id uint64, kr *crypto.Keyring, lockTimeout time.Duration) (*CheckReport, error) {
	b, err := openReadOnly(path, lockTimeout)
	if errors.Is(err, ErrDBInUse) {
		return nil, err
	}
	r := &CheckReport{Path: path, DB: id}
	if err != nil {
		r.problem("bbolt cannot open it: %v", err)
		return r, nil
	}
	defer b.Close()
	db := &DB{id: id, path: path, opts: Options{}.withDefaults()}
	err = b.View(func(btx *bolt.Tx) error {
		db.checkTx(btx, kr, r)
		return nil
	})
	if err != nil {
		r.problem("reading it: %v", err)
	}
	return r, nil
}

// openReadOnly opens a bbolt file for reading only: a shared lock, so a running server's
// exclusive one makes it ErrDBInUse after lockTimeout.
func openReadOnly(path string, lockTimeout time.Duration) (*bolt.DB, error) {
	if lockTimeout <= 0 {
		lockTimeout = time.Second
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%s: %w", path, ErrDBInUse)
		}
		return nil, err
	}
	return b, nil
}

// Check runs the check on the open database's file, in one read transaction (its
// unflushed changes are in the log, whose frames carry their own MACs). A database with
// no file reports NoFile.
func (db *DB) Check() (*CheckReport, error) {
	kr, err := db.keyring()
	if err != nil {
		return nil, err
	}
	r := &CheckReport{Path: db.path, DB: db.id}
	db.viewMu.RLock()
	b := db.bolt
	db.viewMu.RUnlock()
	if b == nil {
		r.NoFile = true
		return r, nil
	}
	err = b.View(func(btx *bolt.Tx) error {
		db.checkTx(btx, kr, r)
		return nil
	})
	return r, db.mapErr(err)
}

// checkedKey is what the walk keeps of one key record, to match its records against.
type checkedKey struct {
	idx      []byte
	typ      Type
	inline   bool
	count    int64
	head     uint64
	expireAt int64
	tags     map[byte]int64 // value records seen, by slot tag
}

// slotTags are the value records each type has, by the first byte of their slot; a
// record of any other tag is one this build does not know, and is reported.
var slotTags = map[Type]string{
	TypeHash:   string([]byte{hashSlotTag}),
	TypeSet:    string([]byte{setSlotTag}),
	TypeList:   string([]byte{listSlotTag}),
	TypeZSet:   string([]byte{zMemberTag, zFwdTag, zRevTag}),
	TypeStream: string([]byte{xStateTag, xEntryTag, xGroupTag, xConsumerTag, xPendingTag, xOwnTag}),
}

// countedTags are the records each type has exactly one of per counted element.
var countedTags = map[Type]string{
	TypeHash:   string([]byte{hashSlotTag}),
	TypeSet:    string([]byte{setSlotTag}),
	TypeList:   string([]byte{listSlotTag}),
	TypeZSet:   string([]byte{zMemberTag, zFwdTag, zRevTag}),
	TypeStream: string([]byte{xEntryTag}),
}

// checkTx is the walk. A panic in bbolt (it trusts its pages, and a damaged one can
// make it index out of range) is a problem of the file, reported as one.
func (db *DB) checkTx(btx *bolt.Tx, kr *crypto.Keyring, r *CheckReport) {
	defer func() {
		if p := recover(); p != nil {
			r.problem("bbolt failed reading a damaged page: %v", p)
		}
	}()
	for err := range btx.Check() {
		r.problem("bbolt: %v", err)
	}
	if len(r.Problems) > 0 {
		return // its pages do not hold together: walking them could read anywhere
	}
	db.checkFormat(btx, kr, r)
	known := map[string]bool{}
	for _, n := range [][]byte{bucketFormat, bucketSys, bucketKeys, bucketData, bucketExpires, bucketNamedKeys} {
		known[string(n)] = true
	}
	btx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] {
			r.problem("a bucket this herodb does not know: %q", name)
		}
		return nil
	})
	for _, n := range [][]byte{bucketSys, bucketKeys, bucketData, bucketExpires} {
		if btx.Bucket(n) == nil {
			r.problem("its %s bucket is missing", n)
			return
		}
	}
	tx := db.newTx(&view{btx: btx}, kr)
	keys := db.checkKeys(btx, tx, r)
	db.checkData(btx, tx, keys, r)
	db.checkExpires(btx, keys, r)
	db.checkNamed(btx, tx, r)
	db.checkSys(btx, r)
}

// checkFormat checks the format record and the file's binding to this database.
func (db *DB) checkFormat(btx *bolt.Tx, kr *crypto.Keyring, r *CheckReport) {
	f, err := readFormat(btx, db.path, db.id)
	if err != nil {
		r.problem("%v", err)
		return
	}
	if f.MAC == "" {
		r.problem("its format record (version %d) is not bound to its database yet: the server binds it at its next open", f.Version)
		return
	}
	mac, err := hex.DecodeString(f.MAC)
	fid, _ := hex.DecodeString(f.File)
	if err != nil || !kr.CheckFileMAC(mac, bindingParts(f, db.id, fid)...) {
		r.problem("its binding does not check under database %d's key (another database's file, or its format record changed)", db.id)
	}
}

// checkKeys opens every key record and returns them by key identity.
func (db *DB) checkKeys(btx *bolt.Tx, tx *Tx, r *CheckReport) map[uint64]*checkedKey {
	keys := map[uint64]*checkedKey{}
	var top uint64
	c := btx.Bucket(bucketKeys).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		r.Keys++
		m, err := tx.openMeta(k, v)
		if err != nil {
			r.problem("%v", err)
			continue
		}
		r.Records++
		if !bytes.Equal(k, tx.nameIndex(m.name)) {
			r.problem("key %s: its record is stored under another name's index", keyName(m.id))
		}
		if keys[m.id] != nil {
			r.problem("key %s: two key records have this identity", keyName(m.id))
			continue
		}
		keys[m.id] = &checkedKey{idx: append([]byte(nil), k...), typ: m.typ, inline: m.inline,
			count: m.count, head: m.head, expireAt: m.expireAt, tags: map[byte]int64{}}
		top = max(top, m.id)
	}
	if seq := btx.Bucket(bucketData).Sequence(); seq < top {
		r.problem("the key identity sequence (%d) is below a key's identity (%d): new keys would reuse one", seq, top)
	}
	return keys
}

func keyName(id uint64) string { return fmt.Sprintf("id %d", id) }

// checkData opens every value record under its key's identity, type and slot, then
// matches each key's records against its record.
func (db *DB) checkData(btx *bolt.Tx, tx *Tx, keys map[uint64]*checkedKey, r *CheckReport) {
	c := btx.Bucket(bucketData).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) < 8 {
			r.problem("a value record with a short key (%d bytes)", len(k))
			continue
		}
		id, slot := binary.BigEndian.Uint64(k), k[8:]
		m := keys[id]
		if m == nil {
			r.problem("a value record of no key (identity %d)", id)
			continue
		}
		tag := byte(0)
		if len(slot) > 0 {
			tag = slot[0]
		}
		switch {
		case m.typ == TypeString && (m.inline || len(slot) != 0):
			r.problem("key %s: a string with a value record it should not have", keyName(id))
			continue
		case m.typ != TypeString && strings.IndexByte(slotTags[m.typ], tag) < 0:
			r.problem("key %s: a %s record of a kind this herodb does not know (slot tag %q)", keyName(id), m.typ, tag)
			continue
		}
		m.tags[tag]++ // there, whether or not it opens: a damaged record is named once
		if _, err := tx.keys.Open(tx.dataAAD(id, m.typ, slot), v); err != nil {
			r.problem("key %s: a %s record fails to open", keyName(id), recordKind(m.typ))
			continue
		}
		r.Records++
		if m.typ == TypeList && (len(slot) != 9 || binary.BigEndian.Uint64(slot[1:])-m.head >= uint64(m.count)) {
			r.problem("key %s: a list element outside the list", keyName(id))
		}
	}
	for id, m := range keys {
		if m.typ == TypeString {
			if !m.inline && m.tags[0] != 1 {
				r.problem("key %s: a string whose value record is missing", keyName(id))
			}
			continue
		}
		for _, tag := range []byte(countedTags[m.typ]) {
			if m.tags[tag] != m.count {
				r.problem("key %s: a %s whose record counts %d but %d %q records are there", keyName(id), m.typ, m.count, m.tags[tag], tag)
			}
		}
		if m.typ == TypeStream && m.tags[xStateTag] != 1 {
			r.problem("key %s: a stream without its state record", keyName(id))
		}
	}
}

// checkExpires matches the expiry index against the keys' expiry times, one to one.
func (db *DB) checkExpires(btx *bolt.Tx, keys map[uint64]*checkedKey, r *CheckReport) {
	var entries, expiring int64
	c := btx.Bucket(bucketExpires).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		entries++
		if len(k) != 16 {
			r.problem("an expiry entry with a malformed key (%d bytes)", len(k))
			continue
		}
		at, id := int64(binary.BigEndian.Uint64(k)), binary.BigEndian.Uint64(k[8:])
		m := keys[id]
		switch {
		case m == nil:
			r.problem("an expiry entry of no key (identity %d)", id)
		case m.expireAt != at || !bytes.Equal(m.idx, v):
			r.problem("key %s: its expiry entry does not match its record", keyName(id))
		}
	}
	for _, m := range keys {
		if m.expireAt != 0 {
			expiring++
		}
	}
	if entries != expiring {
		r.problem("the expiry index holds %d entries for %d keys with an expiry", entries, expiring)
	}
}

// checkNamed opens every named key (AGE's keys by name).
func (db *DB) checkNamed(btx *bolt.Tx, tx *Tx, r *CheckReport) {
	b := btx.Bucket(bucketNamedKeys)
	if b == nil {
		return
	}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		nk, err := tx.openNamedKey(k, v)
		if err != nil {
			r.problem("%v", err)
			continue
		}
		r.Records++
		if !bytes.Equal(k, tx.keys.Index(domainNamedKey, nk.Name)) {
			r.problem("named key index %s: stored under another name's index", digestPrefix(k))
		}
	}
}

// checkSys checks the sys values the walk can check: they are not sealed, so each is
// compared with what it must agree with.
func (db *DB) checkSys(btx *bolt.Tx, r *CheckReport) {
	sys := btx.Bucket(bucketSys)
	if v := sys.Get([]byte(sysKeyCount)); v != nil {
		if len(v) != 8 {
			r.problem("its key count record is malformed")
		} else if n := int64(binary.BigEndian.Uint64(v)); n != r.Keys {
			r.problem("its key count says %d keys; %d key records are there", n, r.Keys)
		}
	}
	if v := sys.Get([]byte(sysApplied)); v != nil {
		if len(v) != 8 {
			r.problem("its applied log sequence record is malformed")
		} else {
			r.Applied = binary.BigEndian.Uint64(v)
		}
	}
}
