package admin

// The rewrite of a key rotation: a background job per database that reseals every record
// under the newest term, a batch at a time (storage.DB.Reseal: one write transaction
// through the log each, so writes go on between batches), walking the database again
// until a walk reseals nothing, then destroys the older terms (rotate_key.go).
//
// Its record, rewrite:<id> in DB 0's sys bucket, holds the term it reseals under and is
// removed with the older terms' destruction (or the database's deletion). A stop leaves
// the record: the next start begins the walk again from the first record, which costs
// a read of what was resealed already and is otherwise harmless (records under the new
// term are left as they are). A deletion of the database stops the job at its next
// batch.

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/seed6aa118f9/herodb/storage"
)

// rewritePrefix names rewrite:<id>, the record of a rewrite not finished.
const rewritePrefix = "rewrite:"

// rewriteBatch bounds the records one write transaction of a rewrite visits: small
// enough that writers queued behind it wait a few milliseconds at most.
var rewriteBatch = 512

var (
	errRewriteGone    = errors.New("the database was deleted")
	errRewriteStopped = errors.New("the server is stopping")
)

func rewriteName(id uint64) string { return rewritePrefix + strconv.FormatUint(id, 10) }

// rewrites are the jobs of a running admin.
type rewrites struct {
	mu   sync.Mutex
	jobs map[uint64]*rewriteJob // running, and the last one of each database since start
	stop chan struct{}
	wg   sync.WaitGroup
}

type rewriteJob struct {
	id       uint64
	term     uint32
	pass     atomic.Int64
	resealed atomic.Int64
	running  atomic.Bool
	err      atomic.Pointer[string]
}

// rewriting reports whether a rewrite of database id runs.
func (a *Admin) rewriting(id uint64) bool {
	a.rw.mu.Lock()
	defer a.rw.mu.Unlock()
	j := a.rw.jobs[id]
	return j != nil && j.running.Load()
}

func (a *Admin) rewriteProgress(id uint64) *RewriteProgress {
	a.rw.mu.Lock()
	j := a.rw.jobs[id]
	a.rw.mu.Unlock()
	if j == nil {
		return nil
	}
	p := &RewriteProgress{Running: j.running.Load(), Term: j.term, Pass: j.pass.Load(), Resealed: j.resealed.Load()}
	if e := j.err.Load(); e != nil {
		p.Error = *e
	}
	return p
}

// startRewrite starts the job that reseals database id under term. RotateDatabaseKey
// calls it with a.termsMu held, so no two start for one database.
func (a *Admin) startRewrite(id uint64, term uint32) {
	j := &rewriteJob{id: id, term: term}
	j.running.Store(true)
	a.rw.mu.Lock()
	defer a.rw.mu.Unlock()
	select {
	case <-a.rw.stop:
		return // closing: the record stays, the next start resumes it
	default:
	}
	a.rw.jobs[id] = j
	a.rw.wg.Add(1)
	go a.runRewrite(j)
}

// resumeRewrites starts the rewrites a stop interrupted, once the log is replayed, and
// drops the records of databases deleted since.
func (a *Admin) resumeRewrites() error {
	a.rw.jobs, a.rw.stop = map[uint64]*rewriteJob{}, make(chan struct{})
	type todo struct {
		id   uint64
		term uint32
	}
	var jobs []todo
	if err := a.db0.View(func(tx *storage.Tx) error {
		for _, kv := range tx.SysPrefix(rewritePrefix) {
			id, err1 := strconv.ParseUint(string(kv[0][len(rewritePrefix):]), 10, 64)
			term, err2 := strconv.ParseUint(string(kv[1]), 10, 32)
			if err1 == nil && err2 == nil {
				jobs = append(jobs, todo{id, uint32(term)})
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for _, j := range jobs {
		if d := a.reg(j.id); d == nil || d.Deleted() {
			if err := a.db0.Update(func(tx *storage.Tx) error { return tx.SysDelete(rewriteName(j.id)) }); err != nil {
				return err
			}
			continue
		}
		a.guard.log.Info("resuming the rewrite of a database under its newest key term", "db", j.id, "term", j.term)
		a.startRewrite(j.id, j.term)
	}
	return nil
}

// stopRewrites stops every job at its next batch and waits for them; their records stay.
func (a *Admin) stopRewrites() {
	if a.rw.stop == nil {
		return
	}
	a.rw.mu.Lock()
	close(a.rw.stop)
	a.rw.mu.Unlock()
	a.rw.wg.Wait()
}

func (a *Admin) runRewrite(j *rewriteJob) {
	defer a.rw.wg.Done()
	err := a.rewrite(j)
	j.running.Store(false)
	switch {
	case err == nil:
		a.guard.log.Info("database rewritten under its newest key term; older terms destroyed", "db", j.id, "term", j.term, "resealed", j.resealed.Load())
	case errors.Is(err, errRewriteGone):
		msg := "stopped: " + errRewriteGone.Error()
		j.err.Store(&msg)
		a.guard.log.Info("rewrite stopped: the database was deleted", "db", j.id)
	case errors.Is(err, errRewriteStopped), errors.Is(err, errCut):
		msg := "stopped: " + err.Error() + "; resumed at the next start"
		j.err.Store(&msg)
	default:
		msg := ErrorMessage(err)
		j.err.Store(&msg)
		a.guard.log.Error("rewrite of a database under its newest key term failed; its older terms are kept", "db", j.id, "err", err)
	}
}

// rewrite walks database id until a walk reseals nothing, then destroys the older terms.
func (a *Admin) rewrite(j *rewriteJob) error {
	for {
		j.pass.Add(1)
		n, err := a.rewritePass(j)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	if err := a.dropTerms(j.id, j.term); err != nil {
		return err
	}
	return a.applyKeys(j.id)
}

// rewritePass is one walk of the database, batch after batch; it returns the records
// it resealed.
func (a *Admin) rewritePass(j *rewriteJob) (int64, error) {
	var c storage.ResealCursor
	var total int64
	for {
		select {
		case <-a.rw.stop:
			return 0, errRewriteStopped
		default:
		}
		n, done, next, err := a.rewriteBatch(j, c)
		if err != nil {
			if d := a.reg(j.id); d == nil || d.Deleted() {
				return 0, errRewriteGone
			}
			return 0, err
		}
		total += int64(n)
		j.resealed.Add(int64(n))
		if done {
			return total, nil
		}
		c = next
	}
}

func (a *Admin) rewriteBatch(j *rewriteJob, c storage.ResealCursor) (int, bool, storage.ResealCursor, error) {
	if d := a.reg(j.id); d == nil || d.Deleted() {
		return 0, false, c, errRewriteGone
	}
	db, release, err := a.acquireFile(j.id)
	if err != nil {
		return 0, false, c, err
	}
	defer func() { release() }()
	if cur, _, err := db.KeyTerms(); err == nil && cur < j.term {
		release() // an instance opened before the rotation: give it the new term
		if err := a.applyKeys(j.id); err != nil {
			return 0, false, c, err
		}
		if db, release, err = a.acquireFile(j.id); err != nil {
			return 0, false, c, err
		}
	}
	next, n, done, err := db.Reseal(c, rewriteBatch)
	return n, done, next, err
}
