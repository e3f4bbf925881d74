package server

// Commands that write a database besides the selected one: COPY … DB and MOVE. The
// check resolves the database the command names and checks the grant on it (permitFar:
// the connection's AUTH credential, or the admin secret, must grant write on both);
// runSteps then runs the steps in one commit across the databases (storage.UpdateAcross:
// one log frame), and after it tells each database's WATCHers, blocked clients and
// keyspace subscribers of what changed there.

import (
	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/storage"
)

// farDB is a database a run writes besides the selected one.
type farDB struct {
	id      uint64
	tx      *storage.Tx
	touched []touched
	notes   *notes
}

// keyRow is the key positions of a touch of one key in a far database: args[1].
var keyRow = &command{name: "", firstKey: 1, lastKey: 1, step: 1}

// changed records that key changed in f: its WATCHers learn of it now (as runSteps
// tells those of the selected database) and again after the commit.
func (f *farDB) changed(s *Server, key []byte) {
	args := [][]byte{nil, key}
	s.touch(f.id, keyRow, args)
	f.touched = append(f.touched, touched{keyRow, args})
}

// notify is stepRun.notify for f, after the commit.
func (f *farDB) notify(s *Server) {
	s.touchAll(f.id, f.touched)
	s.wake(f.id, f.touched)
	s.publishNotes(f.id, f.notes)
}

// permitFar resolves the database st names besides the selected one into st.far, and
// checks the grant on both: the connection's AUTH credential must grant write on each
// (a KEY given to SELECT covers that selection only), or the connection holds the admin
// secret. Naming the selected database is no crossing (COPY then copies within it). A
// database that does not exist answers as one not granted, so its existence does not
// leak; the admin learns it is out of range.
func (s *Server) permitFar(sess *session, st *step) string {
	st.far = 0
	ref := st.row.far(st.args)
	if ref == nil {
		return ""
	}
	if string(ref) == "0" {
		return errReadOnlyDB0
	}
	d, ok := s.admin.Database(string(ref))
	if ok && d.ID == sess.db {
		st.far = d.ID
		return ""
	}
	switch {
	case sess.isAdmin() && !ok:
		return errDBRange
	case !ok || d.Deleted():
		return errNoPermFar
	case sess.isAdmin():
	default:
		src, found := s.admin.DatabaseByID(sess.db)
		if !found || sess.authGrant.Access(src) < admin.AccessReadWrite || sess.authGrant.Access(d) < admin.AccessReadWrite {
			return errNoPermFar
		}
	}
	if err := d.Unusable(); err != nil {
		return errAdmin(err)
	}
	st.far = d.ID
	return ""
}

// withDBs is withDB for a run that writes far databases too: every database is acquired
// and written in one commit across them.
func (s *Server) withDBs(id uint64, far []uint64, r *stepRun) error {
	if id == 0 {
		return errWriteDB0
	}
	ids := append([]uint64{id}, far...)
	dbs := make([]*storage.DB, len(ids))
	for i, id := range ids {
		db, release, err := s.admin.Acquire(id)
		if err != nil {
			return err
		}
		defer release()
		dbs[i] = db
	}
	return storage.UpdateAcross(dbs, func(txs []*storage.Tx) error {
		r.far = make(map[uint64]*farDB, len(far))
		for i, id := range far {
			f := &farDB{id: id, tx: txs[i+1], notes: s.notesFor(id, nil)}
			if h := f.notes.hook(); h != nil {
				f.tx.SetKeyHook(h)
			}
			r.far[id] = f
		}
		return r.run(txs[0])
	}, r.notify)
}
