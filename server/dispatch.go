package server

import (
	"fmt"
	"runtime/debug"
	"strings"

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

// groupable says whether args can join a group commit: a known data command, outside
// MULTI, on a selected database. Anything else runs on its own, in order.
func (s *Server) groupable(sess *session, args [][]byte) bool {
	if sess.multi || !sess.selected {
		return false
	}
	_, row := lookup(args)
	return row != nil && row.data() && !row.is(flagConn)
}

// precheck is everything decided before a command runs: existence, arity, limits and
// permission. It returns the error reply, or "".
func (s *Server) precheck(sess *session, args [][]byte) (*command, string) {
	top, row := lookup(args)
	if top == nil {
		return nil, errUnknown(args)
	}
	if !row.arityOK(len(args)) {
		if row != top {
			return nil, fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(string(args[0]))+"|"+strings.ToLower(string(args[1])))
		}
		return nil, errWrongArgs(string(args[0]))
	}
	if top.subs != nil && row == top && row.run == nil {
		return nil, errUnknownSub(top.name, args[1])
	}
	if len(args) > s.cfg.MaxArgs {
		return nil, fmt.Sprintf("ERR too many arguments: at most %d", s.cfg.MaxArgs)
	}
	for _, a := range args {
		if len(a) > s.cfg.MaxArgSize {
			return nil, errTooLarge
		}
	}
	if msg := s.permit(sess, row); msg != "" {
		return nil, msg
	}
	return row, ""
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
// queueing, and data commands that came alone.
func (s *Server) runOne(sess *session, args [][]byte, out []byte) []byte {
	r := &reply{b: out}
	name := ""
	if top, _ := lookup(args); top != nil {
		name = top.name
	}
	inMulti := sess.multi
	if inMulti && name != "exec" && name != "discard" && name != "multi" && name != "watch" && name != "quit" && name != "reset" {
		s.queue(sess, args, r)
		return r.b
	}
	row, msg := s.precheck(sess, args)
	if msg != "" {
		s.countError()
		switch {
		case name == "exec" && (inMulti || !table["exec"].arityOK(len(args))):
			// As Redis: a malformed EXEC discards the transaction, saying why.
			sess.multi, sess.dirty, sess.queue = false, false, nil
			s.unwatchAll(sess)
			r.err("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
		case inMulti:
			sess.dirty = true
			r.err(msg)
		default:
			r.err(msg)
		}
		return r.b
	}
	s.countCmd(sess, row)
	sess.setLast(row.name, s.cfg.Clock.Now())
	if row.data() {
		out, _ := s.runGroup(sess, [][][]byte{args}, r.b)
		return out
	}
	c := &call{s: s, sess: sess, args: args, row: row, r: r}
	if err := s.guard(c); err != nil {
		s.log.Error("command failed", "cmd", row.name, "client", sess.addr, "err", err)
		r.err(failureReply(err))
	}
	return r.b
}

// runGroup runs consecutive data commands of one connection in one transaction: one
// commit and one fsync for all (and, through storage's committer, for other
// connections' writers too). Replies leave only after the commit. A group stops early
// once its replies reach outputFlush bytes, so they can be sent before the rest runs;
// it returns how many commands it ran, and the caller runs the rest as the next group.
func (s *Server) runGroup(sess *session, cmds [][][]byte, out []byte) ([]byte, int) {
	type item struct {
		args [][]byte
		row  *command
		pre  string
		r    reply
	}
	items := make([]item, len(cmds))
	dbID := sess.db // a revocation noticed mid-group deselects; the group stays on its db
	write := false
	for i, args := range cmds {
		items[i].args = args
		items[i].row, items[i].pre = s.precheck(sess, args)
		if items[i].pre == "" && items[i].row.is(flagWrite) {
			write = true
		}
	}
	ran := len(items)
	db, release, err := s.admin.Acquire(dbID)
	if err == nil {
		defer release()
		var touched []touchedKeys
		fn := func(tx *storage.Tx) error {
			touched = touched[:0]
			ran = len(items)
			size := 0
			for i := range items {
				it := &items[i]
				if size >= outputFlush {
					ran = i
					break
				}
				it.r.reset()
				if it.pre != "" {
					it.r.err(it.pre)
					size += len(it.r.b)
					continue
				}
				c := &call{s: s, sess: sess, args: it.args, row: it.row, tx: tx, r: &it.r}
				before := tx.Mutations()
				if err := s.guard(c); err != nil {
					return err
				}
				size += len(it.r.b)
				if tx.Mutations() != before {
					touched = append(touched, touchedKeys{it.row.keys(it.args), it.row.name})
				}
			}
			return nil
		}
		if write {
			// WATCHers learn of the change after the commit and before the next one.
			err = db.UpdateThen(fn, func() { s.touchAll(dbID, touched) })
		} else {
			err = db.View(fn)
		}
	}
	now := s.cfg.Clock.Now()
	for i := range items[:ran] {
		if items[i].pre != "" {
			s.countError()
			continue
		}
		s.countCmd(sess, items[i].row)
		sess.setLast(items[i].row.name, now)
	}
	if err != nil {
		s.log.Error("transaction failed", "db", dbID, "client", sess.addr, "err", err)
		msg := failureReply(err)
		for range items[:ran] {
			out = append(out, '-')
			out = append(out, msg...)
			out = append(out, '\r', '\n')
		}
		return out, ran
	}
	for i := range items[:ran] {
		out = append(out, items[i].r.b...)
	}
	return out, ran
}

// guard runs a command's handler with panic recovery: a bug in one command answers
// "internal error" and is logged, and the server keeps serving.
func (s *Server) guard(c *call) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in command", "cmd", c.row.name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic in %s", c.row.name)
		}
	}()
	return c.row.run(c)
}

// countError counts an error reply for INFO's total_error_replies.
func (s *Server) countError() { s.stats.errors.Add(1) }
