package storage

// Key hooks: how a caller learns, inside a write transaction, of the keys that came into
// being, were deleted, or were deleted because their time had come, which no command
// names. The server turns them into keyspace notifications ("new" and "expired",
// server/notify.go; a key deleted and made again within one command, as a STORE over
// its destination does, is an overwrite there, not a new key); storage keeps nothing of
// them.

import "math"

// KeyEvent is what happened to a key.
type KeyEvent uint8

const (
	KeyNew     KeyEvent = iota + 1 // a key record was stored where none was
	KeyDeleted                     // a key was deleted (then KeyExpired follows if it had expired)
	KeyExpired                     // an expired key was deleted (lazily, or by the sweeper)
)

// KeyHook is told of each KeyEvent as it happens, inside the transaction: the caller
// keeps what it needs (copying name) and acts on it only after the commit, since the
// transaction may fail or run again.
type KeyHook func(ev KeyEvent, name []byte)

// SetKeyHook makes the transaction tell h of new and expired keys (nil: nobody). It
// costs one nil check per key stored or expired when unset.
func (tx *Tx) SetKeyHook(h KeyHook) { tx.hook = h }

// keyEvent tells the hook, if any.
func (tx *Tx) keyEvent(ev KeyEvent, m *meta) {
	if tx.hook != nil {
		tx.hook(ev, m.name)
	}
}

// SweepHook is asked, before the sweeper expires keys of database id, whether anyone
// wants their names: a nil answer costs the sweep nothing more; a function is called
// with the names once the sweep's deletions have committed, before the next commit of
// that database, so what it publishes is ordered with the commands around it.
type SweepHook func(id uint64) func(names [][]byte)

// OnSweep sets the hook the sweeper asks (nil: none).
func (m *Manager) OnSweep(h SweepHook) { m.sweepHook.Store(&h) }

// sweepDB deletes a bounded batch of expired keys of db, if any are due, and tells the
// sweep hook's function of them after the commit.
func (m *Manager) sweepDB(db *DB) {
	n := db.nextExpiry.Load()
	if n != 0 && m.opts.Clock.Now().UnixMilli() < n {
		return // nothing due before n
	}
	due, first := false, int64(math.MaxInt64)
	db.View(func(tx *Tx) error { due, first = tx.nextExpiry(); return nil })
	if !due {
		// Kept only if no change lowered it meanwhile (mayExpireAt).
		db.nextExpiry.CompareAndSwap(n, first)
		return
	}
	var tell func([][]byte)
	if h := m.sweepHook.Load(); h != nil && *h != nil {
		tell = (*h)(db.ID())
	}
	if tell == nil {
		db.Update(func(tx *Tx) error { _, err := tx.SweepExpired(200); return err })
		return
	}
	var names [][]byte
	db.UpdateThen(func(tx *Tx) error {
		names = names[:0] // the committer may run this again
		tx.SetKeyHook(func(ev KeyEvent, name []byte) {
			if ev == KeyExpired {
				names = append(names, append([]byte(nil), name...))
			}
		})
		_, err := tx.SweepExpired(200)
		return err
	}, func() { tell(names) })
}
