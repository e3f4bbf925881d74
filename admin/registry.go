package admin

// Registration integrity (shared/DESIGN.md section 2): each database's registration in
// DB 0, the hash meta:db:<id>, is tamper-evident as a whole. Each of its fields is a
// sealed record that nobody without DB 0's key can forge, but a record can be deleted,
// or an older record of the same field put back; so a MAC over the whole hash, with the
// id, is kept in DB 0's sys bucket (outside the RESP keyspace: meta:db:<id> still reads
// as HeroDB shows it) and checked at load. A registration that fails its check loads as
// an unusable database: every SELECT of it is refused with a clear error, the listings
// show it as unusable, and the error is logged. Nothing about it is ever public.
//
// Every writer of meta:db:<id> calls sealRegistration in the same transaction.
//
// A directory from before this check is migrated once, at startup: every registration is
// sealed as found, which trusts the directory that once, and the marker record is written;
// from then on a registration without a MAC is unusable. Whether a directory was migrated
// is not the marker's to say (a file-level attacker could delete it with the MACs): DB 0's
// key is rewrapped at migration with associated data that says "registrations sealed"
// (db0SealedAAD in admin.go), which nobody without the admin secret can undo. Only a
// directory whose key still has the old wrap is ever migrated.

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"io"
	"sort"
	"strconv"
	"sync/atomic"

	"golang.org/x/crypto/hkdf"

	"github.com/seed6aa118f9/herodb/storage"
)

const (
	// regMACPrefix names the sys records reg:<id>: the MAC of meta:db:<id>.
	regMACPrefix = "reg:"
	// regMarker is the sys record written once every registration carries a MAC.
	regMarker = "registry"

	// Domain-separation labels: the MAC key, a registration's MAC, the marker's MAC.
	labelRegKey    = "herodb/v1/registration-mac-key"
	labelRegMAC    = "herodb/v1/registration"
	labelRegMarker = "herodb/v1/registration-marker"
)

func regName(id uint64) string { return regMACPrefix + strconv.FormatUint(id, 10) }

// regKey is the MAC key of the registrations: HKDF-SHA256 of DB 0's data key, under its
// own label, so it is never the key of anything else.
func (a *Admin) regKey() []byte {
	a.regOnce.Do(func() { // once: every registration read from DB 0 checks its MAC
		a.regMACKey = make([]byte, sha256.Size)
		if _, err := io.ReadFull(hkdf.New(sha256.New, a.dek0, nil, []byte(labelRegKey)), a.regMACKey); err != nil {
			panic("admin: hkdf: " + err.Error())
		}
	})
	return a.regMACKey
}

// registrationMAC is the MAC of database id's registration (field/value pairs in any
// order): HMAC-SHA256 over the label, the id and the covered fields sorted by name, each
// field and value length-prefixed, so no two registrations encode alike.
func registrationMAC(key []byte, id uint64, pairs [][]byte) []byte {
	idx := make([]int, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(x, y int) bool { return string(pairs[idx[x]]) < string(pairs[idx[y]]) })
	m := hmac.New(sha256.New, key)
	m.Write([]byte(labelRegMAC))
	m.Write(binary.BigEndian.AppendUint64(nil, id))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(idx))))
	for _, i := range idx {
		for _, b := range pairs[i : i+2] {
			m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
			m.Write(b)
		}
	}
	return m.Sum(nil)
}

func markerMAC(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(labelRegMarker))
	return m.Sum(nil)
}

// sealRegistration stores the MAC of meta:db:<id> as it stands in tx, after a change.
func (a *Admin) sealRegistration(tx *storage.Tx, id uint64) error {
	pairs, err := tx.HGetAll(metaKey(id))
	if err != nil {
		return err
	}
	return tx.SysPut(regName(id), registrationMAC(a.regKey(), id, pairs))
}

// checkRegistration reports why database id's registration fails its check ("" when it
// holds). A missing registration for an id below admin:next_id fails too (ids are never
// skipped), unless it was sealed empty at migration.
func checkRegistration(tx *storage.Tx, key []byte, id uint64, pairs [][]byte, readErr error) string {
	mac := tx.SysGet(regName(id))
	switch {
	case readErr != nil:
		return "its record in DB 0 cannot be read: " + readErr.Error()
	case mac == nil && len(pairs) == 0:
		return "its registration is missing"
	case mac == nil:
		return "its registration has no integrity check (reg:" + strconv.FormatUint(id, 10) + " is missing)"
	case !hmac.Equal(mac, registrationMAC(key, id, pairs)):
		return "its registration was changed outside herodb (a field removed, added or replaced)"
	}
	return ""
}

// Unusable returns why the database cannot be used (its registration failed its
// integrity check at load), or nil. Every SELECT of it answers this error.
func (d *Database) Unusable() error {
	if d.unusable == "" {
		return nil
	}
	return Errorf(EINVALID, "database %d is unusable: its registration in DB 0 failed its integrity check (see the server log; delete it, or restore DB 0 from a backup)", d.ID)
}

func nextID(tx *storage.Tx) (uint64, error) {
	v, _, err := tx.Get([]byte("admin:next_id"))
	if err != nil {
		return 0, err
	}
	n, _ := strconv.ParseUint(string(v), 10, 64)
	return n, nil
}

// highestID is the largest database id with a MAC or a wrapped key in the sys bucket.
func highestID(tx *storage.Tx) uint64 {
	var top uint64
	for _, prefix := range []string{regMACPrefix, "dek:"} {
		for _, kv := range tx.SysPrefix(prefix) {
			if id, err := strconv.ParseUint(string(kv[0][len(prefix):]), 10, 64); err == nil && id > top {
				top = id
			}
		}
	}
	return top
}

// prepareRegistry runs before load: it migrates a directory from before the registration
// check (once), and puts admin:next_id back above every id in use if it was moved back, so
// no id is ever given twice. Nothing is written when there is nothing to do.
func (a *Admin) prepareRegistry() error {
	key := a.regKey()
	var marker []byte
	var next, top uint64
	err := a.db0.View(func(tx *storage.Tx) error {
		marker = tx.SysGet(regMarker)
		var err error
		if next, err = nextID(tx); err != nil {
			return err
		}
		// Every id ever given keeps its MAC (a deletion reseals it), so next_id moved
		// back shows at its own slot; only then is every id walked (O(1) at startup).
		top = max(next, 1) - 1
		if tx.SysGet(regName(next)) != nil || tx.SysGet("dek:"+strconv.FormatUint(next, 10)) != nil {
			top = highestID(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	markerOK := marker != nil && hmac.Equal(marker, markerMAC(key))
	sealedDir := a.kek0 == nil // DB 0's key carries the sealed wrap: never migrate
	defer func() { a.kek0 = nil }()
	if markerOK && sealedDir && next > top {
		return nil
	}
	log := a.guard.log
	sealed := 0
	err = a.db0.Update(func(tx *storage.Tx) error {
		if next <= top {
			log.Error("registry: admin:next_id was moved back below an id in use; putting it back so no id is given twice",
				"next_id", next, "highest_id", top)
			next = top + 1
			if _, err := tx.Set([]byte("admin:next_id"), []byte(strconv.FormatUint(next, 10)), storage.SetOptions{}); err != nil {
				return err
			}
		}
		if markerOK && sealedDir {
			return nil
		}
		if sealedDir || marker != nil || len(tx.SysPrefix(regMACPrefix)) > 0 {
			// This directory was migrated: the marker was removed or replaced. The
			// registrations are not sealed again (that would trust them); those without a
			// MAC stay unusable.
			log.Error("registry: DB 0 was migrated before (its key wrap, marker or MACs say so) but its marker is missing or wrong; registrations are not re-sealed")
			if err := a.sealDEK0(tx); err != nil {
				return err
			}
			return tx.SysPut(regMarker, markerMAC(key))
		}
		for id := uint64(1); id < next; id++ {
			pairs, err := tx.HGetAll(metaKey(id))
			if err != nil {
				continue // not sealed: load reports it, and the database is unusable
			}
			if err := tx.SysPut(regName(id), registrationMAC(key, id, pairs)); err != nil {
				return err
			}
			if len(pairs) > 0 {
				sealed++
			}
		}
		if err := a.sealDEK0(tx); err != nil {
			return err
		}
		return tx.SysPut(regMarker, markerMAC(key))
	})
	if err == nil && sealed > 0 {
		log.Warn("registry: sealed the registrations of a directory from before the integrity check, trusting them as found (once); from now on a registration that fails its check makes its database unusable",
			"databases", sealed)
	}
	return err
}

// decodeRegistration reads meta:db:<id>'s field/value pairs. An absent optional field
// keeps its zero value; an absent or unknown public value means private, never public.
func decodeRegistration(id uint64, pairs [][]byte) *Database {
	d := &Database{ID: id, Public: AccessNone, lastAccess: new(atomic.Int64)}
	for i := 0; i+1 < len(pairs); i += 2 {
		val := string(pairs[i+1])
		switch string(pairs[i]) {
		case "name":
			d.Name = val
		case "public":
			d.Public = parsePublic(val)
		case "backend":
			d.Backend = val
		case "created_at":
			d.CreatedAt, _ = strconv.ParseInt(val, 10, 64)
		case "max_size":
			d.MaxSize, _ = strconv.ParseInt(val, 10, 64)
		case "file":
			d.filePending = val == "pending"
		case "deleted_at":
			d.DeletedAt, _ = strconv.ParseInt(val, 10, 64)
		case "jwt_key":
			if k, err := base64.RawURLEncoding.DecodeString(val); err == nil && len(k) == ed25519.PublicKeySize {
				d.JWTKey = k
			}
		}
	}
	return d
}

// loadedName is the name of a registration that cannot be read whole (a field record
// removed behind herodb's back makes HGETALL an error): read alone, best effort, so the
// name stays taken and is never given to a newcomer.
func loadedName(tx *storage.Tx, id uint64) string {
	v, _, err := tx.HGet(metaKey(id), []byte("name"))
	if err != nil {
		return ""
	}
	return string(v)
}

// recordDeletion writes deleted_at into database d's registration and seals it again. An
// unusable registration is written anew from its loaded snapshot (never public), since
// its record may not even be readable; deleting is the way out of an unusable database.
func (a *Admin) recordDeletion(tx *storage.Tx, d *Database, now int64) error {
	at := [][]byte{[]byte("deleted_at"), []byte(strconv.FormatInt(now, 10))}
	if d.unusable != "" {
		if _, err := tx.Del(metaKey(d.ID)); err != nil {
			return err
		}
		at = append(metaPairs(d), at...)
	}
	if _, err := tx.HSet(metaKey(d.ID), at); err != nil {
		return err
	}
	return a.sealRegistration(tx, d.ID)
}
