package admin

import (
	"sort"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// MinAccessKeyLen is the shortest access key accepted: anything shorter is guessable.
const MinAccessKeyLen = 16

// AccessKey is what DB 0 keeps of an access key: its SHA-256, never the key.
type AccessKey struct {
	Hash        string `json:"hash"`
	Permissions string `json:"permissions"` // "read" or "readwrite"
	CreatedAt   int64  `json:"created_at"`  // unix seconds
}

// ValidateAccessKey refuses keys that are too short or have the shape of another kind
// of credential (verifier.go: such a key would never be checked as a key). The error
// never holds the key.
func ValidateAccessKey(key string) error {
	switch {
	case len(key) < MinAccessKeyLen:
		return Errorf(EINVALID, "access key too short: at least %d bytes (e.g. 'openssl rand -hex 24')", MinAccessKeyLen)
	case strings.TrimSpace(key) != key || strings.ContainsAny(key, "\r\n\x00"):
		return Errorf(EINVALID, "access key must not start or end with spaces or hold control characters")
	}
	for _, k := range credentialKinds {
		if k.what != "" && k.looks([]byte(key)) {
			return Errorf(EINVALID, "access key looks like %s: choose another key", k.what)
		}
	}
	return nil
}

func keysKey(id uint64) []byte { return []byte("meta:db:" + strconv.FormatUint(id, 10) + ":keys") }

// AddAccessKey lets key open database id with perm. Adding a key again changes its
// permission. Errors: ENOTFOUND, EINVALID.
func (a *Admin) AddAccessKey(id uint64, key string, perm Access) error {
	if err := ValidateAccessKey(key); err != nil {
		return err
	}
	if perm != AccessRead && perm != AccessReadWrite {
		return Errorf(EINVALID, "permissions must be \"read\" or \"readwrite\"")
	}
	hash := crypto.SHA256Hex([]byte(key))
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.regLocked(id)
	if d == nil || d.Deleted() {
		return Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	val := keyValue(perm, a.clock.Now().Unix())
	err := a.db0.Update(func(tx *storage.Tx) error {
		if _, err := tx.HSet(keysKey(id), [][]byte{[]byte(hash), []byte(val)}); err != nil {
			return err
		}
		return tx.SysPut(akeyIndex(hash, id), nil) // AUTH's index (registry_cache.go)
	})
	if err != nil {
		return err
	}
	a.changeDatabase(id, nil) // open connections re-derive their access: less, or more
	a.changeCredentials()
	return nil
}

// ListAccessKeys lists database id's keys: hashes, permissions, creation times.
func (a *Admin) ListAccessKeys(id uint64) ([]AccessKey, error) {
	if d, ok := a.DatabaseByID(id); !ok || d.Deleted() {
		return nil, Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	out := []AccessKey{}
	err := a.db0.View(func(tx *storage.Tx) error {
		pairs, err := tx.HGetAll(keysKey(id))
		for i := 0; i+1 < len(pairs); i += 2 {
			p, ts := parseKeyValue(string(pairs[i+1]))
			out = append(out, AccessKey{Hash: string(pairs[i]), Permissions: p.String(), CreatedAt: ts})
		}
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Hash < out[j].Hash })
	return out, err
}

// DeleteAccessKey removes a key by its hash; connections using it lose access at their
// next command. Errors: ENOTFOUND.
func (a *Admin) DeleteAccessKey(id uint64, hash string) error {
	hash = strings.ToLower(hash)
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.regLocked(id)
	if d == nil || d.Deleted() {
		return Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	err := a.db0.Update(func(tx *storage.Tx) error {
		n, err := tx.HDel(keysKey(id), [][]byte{[]byte(hash)})
		if err != nil {
			return err
		}
		if n == 0 {
			return Errorf(ENOTFOUND, "database %d has no access key with hash %q", id, hash)
		}
		return tx.SysDelete(akeyIndex(hash, id))
	})
	if err != nil {
		return err
	}
	a.changeDatabase(id, nil)
	a.changeCredentials()
	return nil
}
