package server

import (
	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/storage"
)

// call is one command being run: its arguments, the transaction (nil for commands that
// touch no database), and where its reply goes.
type call struct {
	s    *Server
	sess *session
	args [][]byte
	row  *command
	tx   *storage.Tx
	r    *reply
	// touched is the step's list of changed keys (runner.go), where a script adds its
	// commands' for WATCH and blocked clients; nil outside runSteps.
	touched *[]touched
	// notes collects the keyspace events of the run (notify.go); nil when its
	// database's setting is off.
	notes *notes
	// farID is the database a COPY … DB or MOVE names (0: none), and far its
	// transaction when that is not the selected database (across.go).
	farID uint64
	far   *farDB
}

// fail writes a command-level error as the reply and returns nil; any other error is a
// failure of the storage, returned so the whole transaction fails.
func (c *call) fail(err error) error {
	if msg, ok := commandError(err); ok {
		c.r.err(msg)
		return nil
	}
	return err
}

// groupable says whether st can join a group commit: a known data command, outside
// MULTI, on a selected database. Anything else runs on its own, in order.
func (s *Server) groupable(sess *session, st *step) bool {
	return !sess.multi && sess.selected && st.row != nil && st.row.data() && !st.row.is(flagConn|flagBlocking)
}

// check is everything decided before a command runs: existence, arity, limits and
// permission, the one check every path calls (a lone command, a group, MULTI's queue and
// EXEC's re-check). It records and returns the error reply, or "".
func (s *Server) check(sess *session, st *step) string {
	st.pre = s.checkArgs(sess, st)
	if st.pre == "" {
		st.pre = s.scriptBusy(sess, st.row) // script.go: after permission, as Redis's BUSY
	}
	return st.pre
}

func (s *Server) checkArgs(sess *session, st *step) string {
	args, top, row := st.args, st.top, st.row
	if top == nil {
		return errUnknown(args)
	}
	if !row.arityOK(len(args)) {
		if row != top {
			return errWrongArgs(string(args[0]) + "|" + string(args[1]))
		}
		return errWrongArgs(string(args[0]))
	}
	if top.subs != nil && row == top && row.run == nil {
		return errUnknownSub(top.name, args[1])
	}
	if len(args) > s.cfg.MaxArgs {
		return errTooManyArgs(s.cfg.MaxArgs)
	}
	for _, a := range args {
		if len(a) > s.cfg.MaxArgSize {
			return errTooLarge
		}
	}
	if msg := s.permit(sess, row); msg != "" {
		return msg
	}
	if row.far != nil {
		if msg := s.permitFar(sess, st); msg != "" {
			return msg
		}
	}
	return subscribedOnly(sess, row) // RESP2 subscriber mode (cmd_pubsub.go), after permission as in Redis
}

// permit is the one permission check: it reads the command's flags and the session's
// grant on its selected database. Revocation is noticed here, at the next command.
func (s *Server) permit(sess *session, row *command) string {
	switch {
	case row.is(flagStateless):
		return ""
	case row.is(flagAdmin):
		s.recheck(sess) // a revoked or expired admin token loses its rights here
		if !sess.isAdmin() {
			if !sess.authed {
				return errNoAuth
			}
			return errNoPermAdmin
		}
		return ""
	case !row.data():
		if !sess.authed {
			return errNoAuth
		}
		if row.is(flagConn) {
			return "" // MULTI, EXEC, WATCH…: EXEC re-checks each queued command itself
		}
		if sess.selected {
			return s.refresh(sess) // INFO and friends must not outlive a revocation either
		}
		expired, _ := s.recheck(sess)
		if sess.authCred != nil && sess.authGrant == nil {
			// The AUTH credential was revoked or expired: say so, as for data commands.
			sess.authCred = nil
			if expired != "" {
				return expired
			}
			return errWrongPass
		}
		return ""
	}
	if !sess.selected {
		return errNoAuth
	}
	if msg := s.refresh(sess); msg != "" {
		return msg
	}
	if row.is(flagWrite) {
		if sess.db == 0 {
			return errReadOnlyDB0
		}
		if sess.access < admin.AccessReadWrite {
			return errNoPermWrite
		}
	}
	return ""
}

// runOne runs a command that is not part of a group: connection commands, MULTI
// queueing, data commands that came alone, and blocking commands (blocking.go).
func (s *Server) runOne(sess *session, st *step, out []byte) []byte {
	r := &reply{b: out}
	inMulti := sess.multi
	if inMulti && (st.top == nil || !st.top.is(flagImmediate)) {
		s.queue(sess, st, r)
		return r.b
	}
	dbID := sess.db // as in runGroup: the database the check is made against
	if msg := s.check(sess, st); msg != "" {
		s.countError()
		s.metrics.refused(st.row)
		switch {
		case st.top != nil && st.top.name == "exec" && (inMulti || !st.top.arityOK(len(st.args))):
			// As Redis: a malformed EXEC discards the transaction, saying why.
			sess.endMulti()
			s.unwatchAll(sess)
			r.err(errExecAbortBecause(msg))
		case inMulti:
			sess.spoilMulti()
			r.err(msg)
		default:
			r.err(msg)
		}
		return r.b
	}
	if st.row.is(flagBlocking) {
		return s.block(sess, st, r.b) // may wait; inside MULTI it was queued above
	}
	if st.row.data() {
		out, _ := s.runChecked(sess, dbID, []step{*st}, r.b)
		return out
	}
	s.account(sess, []step{*st})
	c := &call{s: s, sess: sess, args: st.args, row: st.row, r: r}
	if err := s.guard(c); err != nil {
		s.log.Error("command failed", "cmd", st.row.name, "client", sess.addr, "err", err)
		r.err(failureReply(err))
	}
	return r.b
}

// runGroup runs consecutive data commands of one connection in one transaction: one
// commit and one fsync for all (and, through storage's committer, for other
// connections' writers too). Replies leave only after the commit. A group stops early
// once its replies reach outputFlush bytes, so they can be sent before the rest runs;
// it returns how many commands it ran, and the caller runs the rest as the next group.
func (s *Server) runGroup(sess *session, steps []step, out []byte) ([]byte, int) {
	// Taken before the checks: a revocation noticed by a later step's check deselects
	// (sess.db becomes 0), and the steps checked before it must still run on the
	// database they were checked against, never on DB 0.
	dbID := sess.db
	for i := range steps {
		s.check(sess, &steps[i])
	}
	return s.runChecked(sess, dbID, steps, out)
}

// runChecked is runGroup after the checks, on the database dbID they were made against.
func (s *Server) runChecked(sess *session, dbID uint64, steps []step, out []byte) ([]byte, int) {
	ran, _, err := s.runSteps(sess, dbID, true, steps, runOpts{flushAt: s.flushAt()})
	s.account(sess, steps[:ran])
	if err != nil {
		// A coded error is the client's own (its database was deleted meanwhile): its
		// reply says so, and the server log keeps to the server's faults.
		if admin.ErrorCode(err) == admin.EINTERNAL {
			s.log.Error("transaction failed", "db", dbID, "client", sess.addr, "err", err)
		}
		msg := failureReply(err)
		for range steps[:ran] {
			out = append(out, '-')
			out = append(out, msg...)
			out = append(out, '\r', '\n')
		}
		return out, ran
	}
	for i := range steps[:ran] {
		out = append(out, steps[i].r.b...)
		steps[i].r.b = nil // sent with out: a big reply must not stay behind in its step
	}
	return out, ran
}

// countError counts an error reply for INFO's total_error_replies.
func (s *Server) countError() { s.stats.errors.Add(1) }
