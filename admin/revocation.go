package admin

// Revocation is immediate (shared/DESIGN.md section 3) without a read of DB 0 per
// command: open connections keep what they were granted and compare two counters at each
// command (server/access.go, refresh and recheck), re-deriving their access when either
// moved. So every mutation of access must move its counter, and does so through one of
// the two functions below, never by hand:
//
//   - changeDatabase, for a change to one database's registration that may change who
//     may open it (public flag, its JWT key, deletion) or what its access keys allow:
//     the connections that have it selected re-derive their access.
//   - changeCredentials, for a change that may alter what a presented credential grants
//     anywhere (a key added or deleted, a token revoked or rotated, JWT keys reloaded, a
//     jti revoked, a newcomer a credential names by name or id): every connection
//     derives its grants again from its credentials (Recheck), and cached JWT
//     verifications lapse. (A wildcard grant is a rule applied to the database's
//     current snapshot, credentials.go: it covers a newcomer without a recheck.)
//
// A snapshot read again from DB 0 (registry_cache.go) takes a fresh generation too, so
// a dropped and reloaded snapshot looks changed: a recheck, never a stale grant.

// changeDatabase replaces database id's snapshot with a copy that edit changes (nil: no
// field changes) and whose generation moved. Snapshots are never changed in place, so a
// snapshot's generation always matches its own fields. a.mu must be held for writing.
func (a *Admin) changeDatabase(id uint64, edit func(*Database)) {
	d := a.regLocked(id)
	if d == nil {
		return
	}
	nd := *d
	if edit != nil {
		edit(&nd)
	}
	nd.gen = a.genSeq.Add(1)
	a.changedLocked(&nd)
}

// changeCredentials moves the server-wide credential generation. It needs no lock.
func (a *Admin) changeCredentials() { a.credGen.Add(1) }

// CredentialGeneration changes whenever a credential may have been revoked server-wide
// (changeCredentials); sessions re-check their credentials when it moves.
func (a *Admin) CredentialGeneration() uint64 { return a.credGen.Load() }
