package server

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// The runner is the one path from checked commands to a storage transaction and back.
// A pipelined group of data commands, a lone data command and EXEC all run through
// runSteps; every command that reaches a database file (WATCH, FLUSHALL, INFO too) does
// so through withDB.
//
//	socket → framing guard → redcon → handle (server.go)
//	  → newStep: the row, found once
//	  → check: arity, limits, permission (dispatch.go), once per run
//	  → runSteps: one transaction, the handlers, WATCH bookkeeping
//	  → replies, written with backpressure

// step is one command on its way: its arguments, its row (found once, by newStep), the
// error the checks decided ("" when it may run) and its reply.
type step struct {
	args     [][]byte
	top, row *command // top is nil for an unknown command; row is the subcommand's, if any
	pre      string
	r        reply
	// far is the database a COPY … DB or MOVE names, as the check resolved it (0: none
	// named); runSteps writes it in the same commit when it is not the selected one.
	far uint64
}

func newStep(args [][]byte) step {
	top, row := lookup(args)
	return step{args: args, top: top, row: row}
}

// runOpts say when runSteps stops early.
type runOpts struct {
	flushAt int                       // a group: stop before the next step once replies reach this
	limit   int                       // EXEC: fail with errOutputLimit once replies pass this
	abort   func(tx *storage.Tx) bool // EXEC: WATCH's verdict, taken once before the first step
}

// errWriteDB0 is a write transaction asked of DB 0 over RESP: the permission check
// refuses such commands, and withDB refuses the transaction too, in case a path ever
// reaches it with a stale selection.
var errWriteDB0 = errors.New("write transaction on DB 0 over RESP refused")

// errOutputLimit stops an EXEC whose replies pass the client output limit.
var errOutputLimit = errors.New("client output limit")

// runSteps runs checked steps in one transaction of database dbID (none when useDB is
// false: then data steps answer NOAUTH), each reply into its step. It returns how many
// steps ran, whether abort stopped them all, and the storage error that failed the
// transaction as a whole. WATCHers of the keys it changed learn of it as each command
// runs and again after the commit (stepRun.run says why).
func (s *Server) runSteps(sess *session, dbID uint64, useDB bool, steps []step, o runOpts) (ran int, aborted bool, err error) {
	r := &stepRun{s: s, sess: sess, dbID: dbID, steps: steps, o: o, ran: len(steps)}
	giveReplyRoom(steps)
	write, passed := false, false
	for i := range steps {
		if steps[i].pre == "" {
			passed = true
			write = write || steps[i].row.is(flagWrite) || steps[i].row.is(flagMayWrite) && sess.canWrite()
		}
	}
	// Steps the checks all refused answer their own errors without the database: its
	// file is not opened (a deleted database's open would fail and hide their replies).
	if !passed && o.abort == nil {
		useDB = false
	}
	var far []uint64
	for i := range steps {
		if id := steps[i].far; id != 0 && id != dbID && steps[i].pre == "" && !slices.Contains(far, id) {
			far = append(far, id)
		}
	}
	switch {
	case useDB && far != nil:
		err = s.withDBs(dbID, far, r)
	case useDB:
		err = s.withDB(dbID, write, r.run, r.notify)
	default:
		err = r.run(nil)
	}
	return r.ran, r.aborted, err
}

// stepRun is one runSteps call: what its transaction function needs and what it found.
// (One allocation for all of it: this is every command's path.)
type stepRun struct {
	s       *Server
	sess    *session
	dbID    uint64
	steps   []step
	o       runOpts
	ran     int // len(steps) also when the transaction fails before run
	aborted bool
	checked bool
	touched []touched
	notes   *notes            // keyspace events, published after the commit (notify.go); nil when off
	far     map[uint64]*farDB // the other databases the steps write (across.go); nil: none
	c       call              // the running step's call, one for the run (guard keeps no pointer to it)
}

// replySlot is the room each step's reply starts with, in one buffer for the first
// slabSteps steps of a run: a pipeline of GETs and SETs allocated a reply buffer per
// command, twice for a bulk (its prefix, then the value). A reply that outgrows its
// room moves to a buffer of its own (each slot is capped, so it never writes over the
// next).
const (
	replySlot = 128
	slabSteps = 64
)

// giveReplyRoom gives steps whose replies have no buffer yet their slots of one slab.
func giveReplyRoom(steps []step) {
	n := min(len(steps), slabSteps)
	var slab []byte
	for i := range steps[:n] {
		if steps[i].r.b != nil {
			continue
		}
		if slab == nil {
			slab = make([]byte, n*replySlot)
		}
		steps[i].r.b = slab[i*replySlot : i*replySlot : (i+1)*replySlot]
	}
}

// run is the transaction function; the storage may call it again (a failed group
// commit re-runs each writer alone), so it starts over each time.
func (r *stepRun) run(tx *storage.Tx) error {
	r.touched, r.ran = r.touched[:0], len(r.steps)
	if tx != nil {
		r.notes = r.s.notesFor(r.dbID, r.notes)
		if h := r.notes.hook(); h != nil {
			tx.SetKeyHook(h)
		}
	}
	if r.o.abort != nil {
		if !r.checked {
			r.aborted, r.checked = r.o.abort(tx), true
		}
		if r.aborted {
			return nil
		}
	}
	size := 0
	for i := range r.steps {
		st := &r.steps[i]
		if r.o.flushAt > 0 && size >= r.o.flushAt {
			r.ran = i
			break
		}
		st.r.reset()
		switch {
		case st.pre != "":
			st.r.err(st.pre)
		case st.row.data() && tx == nil:
			st.r.err(errNoAuth)
		default:
			before, noted := 0, 0
			if tx != nil {
				before = tx.Mutations()
			}
			if r.notes != nil {
				noted = r.notes.begin()
			}
			r.c = call{s: r.s, sess: r.sess, args: st.args, row: st.row, tx: tx, r: &st.r, notes: r.notes, touched: &r.touched,
				farID: st.far, far: r.far[st.far]}
			if err := r.s.guard(&r.c); err != nil {
				return err
			}
			if r.notes != nil && (tx == nil || tx.Mutations() == before) {
				r.notes.evs = r.notes.evs[:noted] // a command that changed nothing reports nothing
			}
			if tx != nil && tx.Mutations() != before {
				// WATCHers learn of the change twice: now, inside the transaction, so an
				// EXEC later in the same group commit sees it; and after the commit
				// (notify), so one that WATCHed again in between, and read the value
				// not yet committed, sees it too. A commit that fails costs a needless
				// abort, which WATCH allows; never a lost update.
				r.s.touch(r.dbID, st.row, st.args)
				r.touched = append(r.touched, touched{st.row, st.args})
			}
		}
		size += len(st.r.b)
		if r.o.limit > 0 && size > r.o.limit {
			return errOutputLimit // nothing is applied: the client could not read the outcome
		}
	}
	return nil
}

// notify tells the WATCHers of the changed keys, wakes the clients blocked on them
// (blocking.go) and publishes the keyspace events (notify.go), after the commit.
func (r *stepRun) notify() {
	r.s.touchAll(r.dbID, r.touched)
	r.s.wake(r.dbID, r.touched)
	r.s.publishNotes(r.dbID, r.notes)
	for _, f := range r.far {
		f.notify(r.s)
	}
}

// withDB is the one way a command reaches a database file: the file cache hands it
// over, one storage transaction runs fn (a write transaction when write), and after, if
// given, runs once the write has committed and before the next commit.
func (s *Server) withDB(id uint64, write bool, fn func(tx *storage.Tx) error, after func()) error {
	if write && id == 0 {
		return errWriteDB0 // DB 0 changes only through the RPC: never a RESP write, whatever led here
	}
	db, release, err := s.admin.Acquire(id)
	if err != nil {
		return err
	}
	defer release()
	switch {
	case !write:
		return db.View(fn)
	case after != nil:
		return db.UpdateThen(fn, after)
	}
	return db.Update(fn)
}

// guard runs a command's handler with panic recovery: a bug in one command answers
// "internal error" and is logged, and the server keeps serving.
// It is also where a command's time is taken, for the metrics and the slow log
// (metrics.go, slowlog.go): every handler runs here, alone, grouped, in EXEC or a script.
func (s *Server) guard(c *call) (err error) {
	start, mark := time.Now(), len(c.r.b)
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in command", "cmd", c.row.name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic in %s", c.row.name)
		}
		took := time.Since(start)
		s.metrics.ran(c.row, took, err != nil || failedReply(c.r.b, mark))
		if s.slow.over(took) {
			s.slow.add(c, took, s.cfg.Clock.Now())
		}
	}()
	return c.row.run(c)
}

// account counts steps that ran for INFO and CLIENT LIST.
func (s *Server) account(sess *session, steps []step) {
	now := s.cfg.Clock.Now()
	for i := range steps {
		if steps[i].pre != "" {
			s.countError()
			s.metrics.refused(steps[i].row)
			continue
		}
		s.countCmd(sess, steps[i].row)
		sess.setLast(steps[i].row.name, now)
	}
}
