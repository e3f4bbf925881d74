package server

// Transactions: https://redis.io/docs/latest/develop/interactions/transactions/
//
// MULTI queues commands (checking each as it is queued); EXEC runs them all in one
// storage transaction, so they are atomic and durable together. A command error inside
// is that command's reply, as in Redis. WATCH is optimistic locking: a write by another
// connection to a watched key makes EXEC answer a null array.

import (
	"errors"
	"fmt"
	"strings"

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
	c.sess.multi, c.sess.dirty, c.sess.queue = true, false, nil
	c.r.ok()
	return nil
}

// queue checks a command inside MULTI and queues it, or marks the transaction dirty.
func (s *Server) queue(sess *session, args [][]byte, r *reply) {
	row, msg := s.precheck(sess, args)
	if msg == "" && row.is(flagNoMulti) {
		msg = errNotInMulti
	}
	if msg != "" {
		sess.dirty = true
		r.err(msg)
		return
	}
	if len(sess.queue) >= maxQueued {
		sess.dirty = true
		r.err(fmt.Sprintf("ERR too many commands in this transaction (at most %d)", maxQueued))
		return
	}
	sess.queue = append(sess.queue, args)
	r.simple("QUEUED")
}

// DISCARD
func discardCmd(c *call) error {
	if !c.sess.multi {
		c.r.err(errDiscardNoMult)
		return nil
	}
	c.sess.multi, c.sess.dirty, c.sess.queue = false, false, nil
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
	queue, dirty := sess.queue, sess.dirty
	sess.multi, sess.dirty, sess.queue = false, false, nil
	defer s.unwatchAll(sess)
	if dirty {
		c.r.err(errExecAbort)
		return nil
	}
	// Re-check each command: access may have been revoked since it was queued.
	type item struct {
		args [][]byte
		row  *command
		pre  string
	}
	items := make([]item, len(queue))
	data, write := false, false
	for i, args := range queue {
		items[i].args = args
		items[i].row, items[i].pre = s.precheck(sess, args)
		if items[i].row != nil {
			data = data || items[i].row.data()
			write = write || items[i].row.is(flagWrite)
		}
	}
	dbID := sess.db
	var body reply
	aborted, checked := false, false
	var touched []touchedKeys
	fn := func(tx *storage.Tx) error {
		body.reset()
		touched = touched[:0]
		if !checked {
			aborted, checked = sess.casDirty.Load(), true
			for _, at := range sess.watchExp {
				if tx != nil && at <= tx.Now() {
					aborted = true // a watched key expired since WATCH
				}
			}
		}
		if aborted {
			return nil
		}
		body.array(len(items))
		for _, it := range items {
			if it.pre != "" {
				body.err(it.pre)
				continue
			}
			ic := &call{s: s, sess: sess, args: it.args, row: it.row, tx: tx, r: &body}
			if it.row.data() && tx == nil {
				body.err(errNoAuth)
				continue
			}
			before := 0
			if tx != nil {
				before = tx.Mutations()
			}
			if err := s.guard(ic); err != nil {
				return err
			}
			if len(body.b) > s.cfg.MaxOutput {
				return errOutputLimit // nothing is applied: the client could not read the outcome
			}
			if tx != nil && tx.Mutations() != before {
				touched = append(touched, touchedKeys{it.row.keys(it.args), it.row.name})
			}
		}
		return nil
	}
	var err error
	if data && sess.selected {
		db, release, aerr := s.admin.Acquire(dbID)
		if aerr != nil {
			err = aerr
		} else {
			defer release()
			if write {
				err = db.UpdateThen(fn, func() { s.touchAll(dbID, touched) })
			} else {
				err = db.View(fn)
			}
		}
	} else {
		err = fn(nil)
	}
	if errors.Is(err, errOutputLimit) {
		s.log.Warn("closing connection: EXEC's replies pass the client output limit; not applied", "client", sess.addr, "id", sess.id)
		c.r.err("ERR EXEC's replies exceed the client output limit; the transaction was not applied")
		sess.quit = true
		return nil
	}
	if err != nil {
		s.log.Error("EXEC failed", "db", dbID, "client", sess.addr, "err", err)
		c.r.err(failureReply(err))
		return nil
	}
	if aborted {
		c.r.nullArray()
		return nil
	}
	c.r.b = append(c.r.b, body.b...)
	return nil
}

// errOutputLimit stops an EXEC whose replies pass the client output limit.
var errOutputLimit = errors.New("client output limit")

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
	db, release, err := c.s.admin.Acquire(c.sess.db)
	if err != nil {
		return err
	}
	err = db.View(func(tx *storage.Tx) error {
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
	})
	release()
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
	s.watchMu.Unlock()
	sess.watched, sess.watchExp = nil, nil
	sess.casDirty.Store(false)
}

// touchedKeys are the keys one command changed, for WATCH.
type touchedKeys struct {
	keys [][]byte
	name string
}

// touchAll marks the watchers of every changed key; it runs after the commit.
func (s *Server) touchAll(db uint64, touched []touchedKeys) {
	for _, t := range touched {
		s.touch(db, t.keys, t.name)
	}
}

// touch marks every session watching one of keys of db as dirty. Whole-database writes
// (FLUSHDB) touch every watched key of db.
func (s *Server) touch(db uint64, keys [][]byte, name string) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if len(s.watches) == 0 {
		return
	}
	if strings.HasPrefix(name, "flush") {
		for wk, set := range s.watches {
			if wk.db == db || name == "flushall" {
				for sess := range set {
					sess.casDirty.Store(true)
				}
			}
		}
		return
	}
	for _, k := range keys {
		for sess := range s.watches[watchKey{db: db, key: string(k)}] {
			sess.casDirty.Store(true)
		}
	}
}
