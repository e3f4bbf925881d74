package server

// Access: who may select which database, and what each connection may do there. The
// credential itself is always checked by admin.Authenticate (the one credential check);
// this file keeps what a connection was granted and notices revocation.

import (
	"github.com/seed6aa118f9/herodb/admin"
)

// maxFailures refused credentials close a connection.
const maxFailures = 5

// present checks a credential presented on sess. A refusal counts toward the
// connection's limit; at the limit the connection is closed after the reply.
func (s *Server) present(sess *session, cred []byte, db string) (*admin.Grant, string) {
	// Bring what the connection already holds up to date first: a revocation that
	// lands during this check moves the generation again and is seen next command.
	s.recheck(sess)
	g, err := s.admin.Authenticate(admin.Attempt{Addr: sess.addr, Transport: "resp", Database: db, Done: s.stopping}, cred)
	if err != nil {
		return nil, s.refuse(sess, wrongPass(err))
	}
	return g, ""
}

// refuse counts a refused credential and returns the reply to send.
func (s *Server) refuse(sess *session, msg string) string {
	sess.failures++
	if sess.failures >= maxFailures {
		sess.quit = true
		return errTooMany
	}
	return msg
}

// denied is the reply for a valid credential that does not cover database ref: a JWT or
// token says NOPERM; an access key of another database must look like a wrong key.
func (s *Server) denied(sess *session, g *admin.Grant) string {
	if g.Names() {
		return errNotNamed
	}
	return s.refuse(sess, errWrongPass)
}

// access is the highest grant a session has on d: public flag, AUTH credential, KEY.
func (s *Server) access(sess *session, d *admin.Database) admin.Access {
	return max(s.public(sess, d), sess.authGrant.Access(d), sess.selGrant.Access(d))
}

// selectDB changes the selection, or leaves the connection as it was and returns the
// error reply. key, when given, applies to this selection only.
func (s *Server) selectDB(sess *session, ref string, key []byte) string {
	expired, _ := s.recheck(sess) // the AUTH credential as it stands now
	var kg *admin.Grant
	if key != nil {
		var msg string
		if kg, msg = s.present(sess, key, ref); msg != "" {
			return msg
		}
	}
	if ref == "0" {
		if !adminGrant(kg) && !adminGrant(sess.authGrant) {
			if kg != nil {
				return s.denied(sess, kg)
			}
			return errNeedAdminDB0
		}
		sess.choose(0, admin.AccessRead, 0, key, kg)
		return ""
	}
	d, ok := s.admin.Database(ref)
	if !ok {
		if kg != nil {
			return s.denied(sess, kg) // the same text as a wrong key: existence does not leak
		}
		return errDBRange
	}
	if kg != nil && kg.Access(d) == admin.AccessNone {
		return s.denied(sess, kg) // first: a key of another database learns nothing more
	}
	if err := d.Unusable(); err != nil { // its registration failed its check: fail closed
		return errAdmin(err)
	}
	acc := max(s.public(sess, d), sess.authGrant.Access(d), kg.Access(d)) // s.access, with kg as the KEY
	if acc == admin.AccessNone {
		switch {
		case d.Public != admin.AccessNone && kg == nil:
			return errDenied // public, but not to this client (protected.go)
		case expired != "" && kg == nil:
			return expired // the AUTH token no longer holds: say why
		case kg == nil && sess.authErr != nil && jwtRefusal(sess.authErr):
			return wrongPass(sess.authErr) // revoked, keys rotated: say why
		case kg == nil && sess.authGrant.Names():
			return errNotNamed
		}
		return errNeedKey
	}
	sess.choose(d.ID, acc, d.Generation(), key, kg)
	return ""
}

// auth accepts a credential for the connection (AUTH and HELLO … AUTH). user "default"
// (or none) names no database; any other user names the database to select. A
// credential that grants exactly one database selects it.
func (s *Server) auth(sess *session, user, cred []byte) string {
	ref := ""
	if user != nil && string(user) != "default" {
		ref = string(user)
	}
	g, msg := s.present(sess, cred, ref)
	if msg != "" {
		return msg
	}
	if ref != "" {
		if ref == "0" && adminGrant(g) {
			sess.setAuth(cred, g)
			sess.choose(0, admin.AccessRead, 0, nil, nil)
			return ""
		}
		d, ok := s.admin.Database(ref)
		if !ok || g.Access(d) == admin.AccessNone {
			return s.denied(sess, g)
		}
		if err := d.Unusable(); err != nil {
			return errAdmin(err)
		}
		sess.setAuth(cred, g)
		sess.choose(d.ID, s.access(sess, d), d.Generation(), nil, nil)
		return ""
	}
	sess.setAuth(cred, g) // lifts the pre-auth limits even when nothing gets selected
	if id, ok := g.Only(); ok {
		if d, ok := s.admin.DatabaseByID(id); ok && !d.Deleted() && d.Unusable() == nil {
			sess.choose(d.ID, s.access(sess, d), d.Generation(), nil, nil)
		}
	} else if sess.selected && sess.db != 0 {
		sess.gen = ^uint64(0) // re-derive the current selection's access at the next command
	}
	return ""
}

// refresh notices, at each command, a change that may revoke the session's access to its
// database: deleted, made private, a key deleted (a generation counter per database, so
// this costs a map read per command, not a read of DB 0).
func (s *Server) refresh(sess *session) string {
	expired, changed := s.recheck(sess)
	if sess.db == 0 {
		if sess.isAdmin() {
			return ""
		}
		sess.deselect()
		if expired != "" {
			return expired
		}
		return errWrongPass
	}
	d, ok := s.admin.DatabaseByID(sess.db)
	if !ok || d.Deleted() {
		sess.deselect()
		return errDBDeleted
	}
	if d.Generation() == sess.gen && !changed {
		return ""
	}
	sess.gen = d.Generation()
	sess.access = s.access(sess, d)
	if expired == "" {
		expired = sess.expiredMsg
	}
	sess.expiredMsg = ""
	if sess.access == admin.AccessNone {
		hadCred := sess.selKey != nil || sess.authCred != nil
		sess.deselect()
		switch {
		case expired != "":
			return expired
		case hadCred:
			return errWrongPass
		}
		return errNeedKey
	}
	return ""
}

// recheck keeps the connection's grants current: it drops expired ones and, when a
// credential may have been revoked anywhere (admin's credential generation moved),
// derives them again. It returns the reply for an expiry ("" when none) and whether the
// grants may have changed. A few memory reads when nothing happened.
func (s *Server) recheck(sess *session) (string, bool) {
	expired := s.dropExpired(sess)
	changed := expired != ""
	if cg := s.admin.CredentialGeneration(); cg != sess.credGen {
		sess.credGen, changed = cg, true
		if sess.authCred != nil {
			sess.authGrant, sess.authErr = s.admin.Recheck(sess.authCred)
		}
		if sess.selKey != nil {
			sess.selGrant, _ = s.admin.Recheck(sess.selKey)
		}
	}
	if changed {
		// The selection's access is derived again at its next use, and an expiry noticed
		// here (say, by a SELECT) is still reported there.
		sess.gen = ^uint64(0)
		if expired != "" {
			sess.expiredMsg = expired
		}
	}
	return expired, changed
}

// dropExpired forgets credentials whose time is up (JWTs, tokens) and returns the reply
// for it ("" when none expired). It runs at every command, so expiry takes effect
// mid-session.
func (s *Server) dropExpired(sess *session) string {
	now := s.cfg.Clock.Now()
	msg := ""
	expired := func(g *admin.Grant) bool {
		if g == nil || g.Expires.IsZero() || now.Before(g.Expires) {
			return false
		}
		if g.Kind == admin.KindJWT {
			msg = wrongPass(admin.JWTExpiredError())
		} else {
			msg = errTokenExpired
		}
		return true
	}
	if expired(sess.authGrant) {
		sess.authCred, sess.authGrant = nil, nil
	}
	if expired(sess.selGrant) {
		sess.selKey, sess.selGrant = nil, nil
	}
	return msg
}

func adminGrant(g *admin.Grant) bool { return g != nil && g.Admin }
