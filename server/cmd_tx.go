package server

// Transactions: https://redis.io/docs/latest/develop/interactions/transactions/
//
// MULTI queues commands (checking each as it is queued); EXEC runs them all in one
// storage transaction, so they are atomic and durable together. A command error inside
// is that command's reply, as in Redis. WATCH is optimistic locking: a write by another
// connection to a watched key makes EXEC answer a null array.

import (
	"errors"

	"github.com/seed6aa118f9/herodb/storage"
)

// txCommands registers this file's commands (called from table.go).
func txCommands() {
	register("transactions",
		&command{name: "multi", arity: 1, flags: flagConn | flagNoMulti | flagFast | flagImmediate, run: multiCmd,
			syntax: "MULTI", summary: "Starts a transaction.",
			differs: "Needs an authenticated connection; a transaction holds at most 100,000 commands."},
		&command{name: "exec", arity: 1, flags: flagConn | flagNoMulti | flagImmediate, run: execCmd,
			syntax: "EXEC", summary: "Runs the queued commands atomically, in one storage transaction."},
		&command{name: "discard", arity: 1, flags: flagConn | flagNoMulti | flagFast | flagImmediate, run: discardCmd,
			syntax: "DISCARD", summary: "Drops the queued commands."},
		&command{name: "watch", arity: -2, flags: flagConn | flagNoMulti | flagFast | flagImmediate, firstKey: 1, lastKey: -1, step: 1, run: watchCmd,
			syntax: "WATCH key [key ...]", summary: "Makes the next EXEC fail if another connection writes one of the keys."},
		&command{name: "unwatch", arity: 1, flags: flagConn | flagFast, run: unwatchCmd,
			syntax: "UNWATCH", summary: "Forgets every watched key."},
	)
}

// maxQueued bounds a transaction, so one connection cannot hold unbounded memory.
const maxQueued = 100000

// MULTI
func multiCmd(c *call) error {
	if c.sess.multi {
		c.r.err(errMultiNested)
		return nil
	}
	c.sess.beginMulti()
	c.r.ok()
	return nil
}

// queue checks a command inside MULTI and queues it, or marks the transaction dirty.
func (s *Server) queue(sess *session, st *step, r *reply) {
	msg := s.check(sess, st)
	if msg == "" && st.row.is(flagNoMulti) {
		msg = errNotInMulti
	}
	if msg == "" && sess.queued() >= maxQueued {
		msg = errTooManyQueued(maxQueued)
	}
	if msg != "" {
		sess.spoilMulti()
		r.err(msg)
		return
	}
	sess.enqueue(*st)
	r.simple("QUEUED")
}

// DISCARD
func discardCmd(c *call) error {
	if !c.sess.multi {
		c.r.err(errDiscardNoMult)
		return nil
	}
	c.sess.endMulti()
	c.s.unwatchAll(c.sess)
	c.r.ok()
	return nil
}

// EXEC
func execCmd(c *call) error {
	s, sess := c.s, c.sess
	if !sess.multi {
		c.r.err(errExecNoMulti)
		return nil
	}
	steps, dirty := sess.endMulti()
	defer s.unwatchAll(sess)
	if dirty {
		c.r.err(errExecAbort)
		return nil
	}
	// Re-check each command: access may have been revoked since it was queued.
	data := false
	for i := range steps {
		if s.check(sess, &steps[i]) == "" && steps[i].row.data() {
			data = true
		}
	}
	dbID := sess.db
	watched := func(tx *storage.Tx) bool {
		if sess.casDirty.Load() {
			return true
		}
		now := s.cfg.Clock.Now().UnixMilli() // an EXEC of no data command has no tx
		if tx != nil {
			now = tx.Now()
		}
		for _, at := range sess.watchExp {
			if at <= now {
				return true // a watched key expired since WATCH
			}
		}
		return false
	}
	_, aborted, err := s.runSteps(sess, dbID, data && sess.selected, steps, runOpts{limit: s.cfg.MaxOutput, abort: watched})
	switch {
	case errors.Is(err, errOutputLimit):
		s.log.Warn("closing connection: EXEC's replies pass the client output limit; not applied", "client", sess.addr, "id", sess.id)
		c.r.err(errExecOutput)
		sess.quit = true
	case err != nil:
		s.log.Error("EXEC failed", "db", dbID, "client", sess.addr, "err", err)
		c.r.err(failureReply(err))
	case aborted:
		c.r.nullArray()
	default:
		c.r.array(len(steps))
		for i := range steps {
			c.r.b = append(c.r.b, steps[i].r.b...)
			steps[i].r.b = nil
		}
	}
	return nil
}

// WATCH key [key ...]
func watchCmd(c *call) error {
	if c.sess.multi {
		c.r.err(errWatchInMulti)
		return nil
	}
	if !c.sess.selected {
		c.r.err(errNoAuth)
		return nil
	}
	// Note when each watched key expires: a key that expires before EXEC counts as
	// changed (Redis 7), though no command touched it.
	if msg := c.s.refresh(c.sess); msg != "" {
		c.r.err(msg)
		return nil
	}
	err := c.s.withDB(c.sess.db, false, func(tx *storage.Tx) error {
		for _, k := range c.args[1:] {
			at, err := tx.ExpireTime(k)
			if err != nil {
				return err
			}
			if at > 0 {
				if c.sess.watchExp == nil {
					c.sess.watchExp = map[watchKey]int64{}
				}
				c.sess.watchExp[watchKey{db: c.sess.db, key: string(k)}] = at
			}
		}
		return nil
	}, nil)
	if err != nil {
		return c.fail(err)
	}
	c.s.watchMu.Lock()
	for _, k := range c.args[1:] {
		wk := watchKey{db: c.sess.db, key: string(k)}
		set := c.s.watches[wk]
		if set == nil {
			set = map[*session]struct{}{}
			c.s.watches[wk] = set
		}
		if _, ok := set[c.sess]; !ok {
			set[c.sess] = struct{}{}
			c.sess.watched = append(c.sess.watched, wk)
		}
	}
	c.s.watchN.Store(int64(len(c.s.watches)))
	c.s.watchMu.Unlock()
	c.r.ok()
	return nil
}

// UNWATCH
func unwatchCmd(c *call) error {
	c.s.unwatchAll(c.sess)
	c.r.ok()
	return nil
}

func (s *Server) unwatchAll(sess *session) {
	s.watchMu.Lock()
	for _, wk := range sess.watched {
		if set := s.watches[wk]; set != nil {
			delete(set, sess)
			if len(set) == 0 {
				delete(s.watches, wk)
			}
		}
	}
	s.watchN.Store(int64(len(s.watches)))
	s.watchMu.Unlock()
	sess.watched, sess.watchExp = nil, nil
	sess.casDirty.Store(false)
}

// touched is one command that changed its keys, for WATCH: its row and arguments, from
// which the keys are read only if someone watches.
type touched struct {
	row  *command
	args [][]byte
}

// touchAll marks the watchers of every changed key; it runs after the commit.
func (s *Server) touchAll(db uint64, ts []touched) {
	for _, t := range ts {
		s.touch(db, t.row, t.args)
	}
}

// touch marks every session watching one of the keys of row and args in db as dirty.
// Whole-database writes (FLUSHDB) touch every watched key of db, and FLUSHALL every
// watched key. With nothing watched anywhere it costs one atomic load.
func (s *Server) touch(db uint64, row *command, args [][]byte) {
	if s.watchN.Load() == 0 {
		return
	}
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if row.is(flagWholeDB | flagAllDBs) {
		for wk, set := range s.watches {
			if wk.db == db || row.is(flagAllDBs) {
				for sess := range set {
					sess.casDirty.Store(true)
				}
			}
		}
		return
	}
	for _, k := range row.keys(args) {
		for sess := range s.watches[watchKey{db: db, key: string(k)}] {
			sess.casDirty.Store(true)
		}
	}
}
