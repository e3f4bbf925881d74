package admin

// How the admin secret and access keys are checked. Neither has a shape of its own (an
// access key is any string ValidateAccessKey accepts), so this kind is tried last and
// takes whatever the others did not claim. Both are checked through one digest: the
// admin secret is compared digest against digest in constant time, and access keys are
// found in an index keyed by their digest, so no secret is ever compared as such.

import (
	"encoding/hex"

	"github.com/seed6aa118f9/herodb/crypto"
)

// secrets is the kind of the admin secret and of access keys.
type secrets struct{}

func (secrets) looks([]byte) bool { return true }

func (secrets) verify(a *Admin, cred []byte) (*Grant, error) {
	d := crypto.Digest(cred)
	if crypto.Equal(d, *a.secret.Load()) {
		return &Grant{Kind: KindAdmin, Admin: true}, nil
	}
	hash := hex.EncodeToString(d[:])
	// The index is keyed by the digest: the lookup compares digests, never secrets.
	g := &Grant{Kind: KindAccessKey, dbs: map[uint64]Access{}}
	for id, p := range a.keyHolders(hash) {
		if db := a.reg(id); db != nil && !db.Deleted() {
			g.dbs[id] = p
		}
	}
	if len(g.dbs) == 0 {
		return nil, ErrWrongCredential
	}
	return g, nil
}
