package admin

// The rollback counter's record in DB 0 (storage/rollback.go says why): per database,
// the last log sequence number a flush of its file reached, written in batches, never
// per command. Flushes report here (storage.Unlocked.Flushed) into a map; a loop writes
// what changed into DB 0 every appliedInterval in one transaction, and Close writes the
// rest after every file is flushed and closed. A record lags its file by at most one
// interval, and never leads it (a flush reports once it is durable), so a crash never
// makes a good file look old; a copy taken within the last interval goes unnoticed.
//
//	applied:<id>   8-byte sequence || HMAC-SHA256(K, label || id || sequence)
//
// K is derived from DB 0's key, so nobody without it can lower a record to make an old
// copy pass; a record that fails its MAC refuses its database (fail closed).

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"sync"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

const (
	appliedPrefix   = "applied:"
	labelAppliedKey = "herodb/v1/file-applied-mac-key"
	labelAppliedMAC = "herodb/v1/file-applied"
	appliedInterval = 5 * time.Second
)

// applied is the batch of counters not yet written to DB 0.
type applied struct {
	once    sync.Once
	key     []byte
	mu      sync.Mutex
	pending map[uint64]uint64
	stop    chan struct{}
	done    chan struct{}
}

func (a *Admin) appliedKey() []byte {
	a.appl.once.Do(func() { a.appl.key = crypto.SubKey(a.dek0, labelAppliedKey) })
	return a.appl.key
}

func appliedMAC(key []byte, id, seq uint64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(labelAppliedMAC))
	m.Write(binary.BigEndian.AppendUint64(nil, id))
	m.Write(binary.BigEndian.AppendUint64(nil, seq))
	return m.Sum(nil)
}

// flushedFunc is database id's storage.Unlocked.Flushed: it only notes the number.
func (a *Admin) flushedFunc(id uint64) func(uint64) {
	return func(seq uint64) {
		a.appl.mu.Lock()
		if seq > a.appl.pending[id] {
			a.appl.pending[id] = seq
		}
		a.appl.mu.Unlock()
	}
}

// recordedApplied is the least sequence number database id's file must hold: DB 0's
// record, or a newer one not written yet. A record that fails its check is an error.
func (a *Admin) recordedApplied(tx *storage.Tx, id uint64) (uint64, error) {
	a.appl.mu.Lock()
	seq := a.appl.pending[id]
	a.appl.mu.Unlock()
	raw := tx.SysGet(appliedPrefix + strconv.FormatUint(id, 10))
	if raw == nil {
		return seq, nil
	}
	if len(raw) != 8+sha256.Size || !hmac.Equal(raw[8:], appliedMAC(a.appliedKey(), id, binary.BigEndian.Uint64(raw))) {
		return 0, Errorf(EINVALID, "database %d is unusable: its file's rollback counter in DB 0 (%s%d) fails its check", id, appliedPrefix, id)
	}
	return max(seq, binary.BigEndian.Uint64(raw)), nil
}

// heldApplied is recordedApplied in a read of its own: the least sequence number
// database id's file must hold, for its open (unlockDB) and as recovery's
// storage.HeldFunc (one lookup in DB 0; the file is not opened). A record that fails its
// check is an error: recovery then opens the file, and its open refuses it.
func (a *Admin) heldApplied(id uint64) (uint64, error) {
	var seq uint64
	err := a.db0.View(func(tx *storage.Tx) error {
		var err error
		seq, err = a.recordedApplied(tx, id)
		return err
	})
	return seq, err
}

// putApplied writes database id's record in tx.
func (a *Admin) putApplied(tx *storage.Tx, id, seq uint64) error {
	return tx.SysPut(appliedPrefix+strconv.FormatUint(id, 10),
		append(binary.BigEndian.AppendUint64(nil, seq), appliedMAC(a.appliedKey(), id, seq)...))
}

// startApplied starts the loop that writes the batch.
func (a *Admin) startApplied() {
	a.appl.pending = map[uint64]uint64{}
	a.appl.stop, a.appl.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(a.appl.done)
		t := time.NewTicker(appliedInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				a.writeApplied()
			case <-a.appl.stop:
				return
			}
		}
	}()
}

// closeApplied stops the loop and writes what is left; the files are closed already.
func (a *Admin) closeApplied() {
	if a.appl.stop == nil {
		return
	}
	close(a.appl.stop)
	<-a.appl.done
	a.writeApplied()
}

// writeApplied writes the batch in one DB 0 transaction; on failure it is kept for the
// next try (a record that lags is safe).
func (a *Admin) writeApplied() {
	a.appl.mu.Lock()
	batch := a.appl.pending
	a.appl.pending = map[uint64]uint64{}
	a.appl.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	err := a.db0.Update(func(tx *storage.Tx) error {
		for id, seq := range batch {
			if err := a.putApplied(tx, id, seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		a.appl.mu.Lock()
		for id, seq := range batch {
			if seq > a.appl.pending[id] {
				a.appl.pending[id] = seq
			}
		}
		a.appl.mu.Unlock()
		a.guard.log.Error("recording the database files' rollback counters in DB 0 failed; retried", "err", err)
	}
}

// AcceptFile makes database id's file, as it is, the one herodb trusts: an older copy
// the operator restored on purpose, refused at open until now. Changes made since the
// copy was taken are lost. Errors: ENOTFOUND.
func (a *Admin) AcceptFile(id uint64) error {
	if d, ok := a.DatabaseByID(id); !ok || d.Deleted() || id == 0 {
		return Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	seq, err := a.files.AcceptFile(id)
	if err != nil {
		return err
	}
	a.appl.mu.Lock()
	delete(a.appl.pending, id) // older than what is accepted
	a.appl.mu.Unlock()
	return a.db0.Update(func(tx *storage.Tx) error { return a.putApplied(tx, id, seq) })
}
