package storage

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// TestLogNotTruncatedBeforeRecovery: until Recover has replayed the log, no database is
// open to say which frames it holds only in the log, so the file cache's truncation
// (its sweep runs every 100 ms, recovery can take longer) must leave the log alone. It
// did not: a sweep during a long recovery dropped a whole segment of acknowledged
// writes between the replay's two passes (found by make crash).
func TestLogNotTruncatedBeforeRecovery(t *testing.T) {
	dir := t.TempDir()
	key := crypto.Random(32)
	openLog := func() *wal.Log {
		l, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal"), Key: key, Sync: wal.SyncNone, SegmentSize: 4 << 10})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	kr, _ := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	unlock := func(uint64) (Unlocked, error) { return Unlocked{Keys: kr}, nil }
	// Frames of database 1 that its file does not hold: written as the committer writes
	// them, then the process "dies" (the log closed, the database never flushed).
	log := openLog()
	for i := 0; i < 200; i++ {
		l := newLayer()
		m := &meta{id: uint64(i + 1), typ: TypeString, name: []byte(fmt.Sprintf("k%d", i)), inline: true, value: []byte("v")}
		tx := &Tx{db: &DB{id: 1}, keys: kr}
		idx := tx.nameIndex(m.name)
		l.put(bKeys, idx, kr.Seal(tx.metaAAD(idx), m.appendEncoded(nil)), false)
		l.seq, l.hasSeq = uint64(i+1), true
		if _, wait := log.Append([]wal.Part{{DB: 1, Data: l.encode(nil)}}); wait() != nil {
			t.Fatal("append")
		}
	}
	if n := log.Stats().Segments; n < 3 {
		t.Fatalf("%d segments; the test needs several", n)
	}
	log.Close()

	log = openLog()
	defer log.Close()
	m := NewManager(dir, Options{Log: log, Buffer: NewWriteBuffer(64 << 20)}, CacheOptions{}, unlock)
	defer m.Close()
	m.truncateLog() // what the sweep does, had it run before recovery
	time.Sleep(150 * time.Millisecond)
	st, err := m.Recover(nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Replayed != 200 {
		t.Fatalf("recovery applied %d frames, want 200 (stats %+v)", st.Replayed, st)
	}
	db, release, err := m.Acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	err = db.View(func(tx *Tx) error {
		for i := 0; i < 200; i++ {
			if v, ok, err := tx.Get([]byte(fmt.Sprintf("k%d", i))); err != nil || !ok || string(v) != "v" {
				return fmt.Errorf("k%d after recovery: %q %v %v", i, v, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecoverSkipsHeldDatabases: after a kill, the log still holds frames its files took
// long ago. A database whose held sequence number (DB 0's counter) reaches its last frame
// is not opened at all; one whose counter lags, or that has none, is opened and gets
// what its file lacks. Every write is there either way.
func TestRecoverSkipsHeldDatabases(t *testing.T) {
	dir := t.TempDir()
	key := crypto.Random(32)
	log, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal"), Key: key, Sync: wal.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	kr, _ := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	var opened []uint64
	flushed := map[uint64]uint64{}
	unlock := func(id uint64) (Unlocked, error) {
		opened = append(opened, id)
		return Unlocked{Keys: kr, Flushed: func(seq uint64) { flushed[id] = max(flushed[id], seq) }}, nil
	}
	for i := 0; i < 30; i++ {
		id := uint64(i%3 + 1)
		l := newLayer()
		m := &meta{id: uint64(i + 1), typ: TypeString, name: []byte(fmt.Sprintf("k%d", i)), inline: true, value: []byte("v")}
		tx := &Tx{db: &DB{id: id}, keys: kr}
		idx := tx.nameIndex(m.name)
		l.put(bKeys, idx, kr.Seal(tx.metaAAD(idx), m.appendEncoded(nil)), false)
		l.seq, l.hasSeq = uint64(i+1), true
		if _, wait := log.Append([]wal.Part{{DB: id, Data: l.encode(nil)}}); wait() != nil {
			t.Fatal("append")
		}
	}
	check := func(m *Manager, id uint64) {
		t.Helper()
		db, release, err := m.Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		if err := db.View(func(tx *Tx) error {
			for i := int(id) - 1; i < 30; i += 3 {
				if v, ok, err := tx.Get([]byte(fmt.Sprintf("k%d", i))); err != nil || !ok || string(v) != "v" {
					return fmt.Errorf("database %d k%d: %q %v %v", id, i, v, ok, err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The first start opens all three and replays their frames into files; closing the
	// manager leaves the frames in the log's one segment (the log is not closed: a kill).
	m := NewManager(dir, Options{Log: log, Buffer: NewWriteBuffer(64 << 20)}, CacheOptions{}, unlock)
	st, err := m.Recover(nil)
	if err != nil || st.Databases != 3 || st.Replayed != 30 {
		t.Fatalf("first recovery: %+v, %v", st, err)
	}
	m.Close()
	if len(flushed) != 3 {
		t.Fatalf("flushes reported for %v, want the three databases", flushed)
	}
	// The second start: database 1's counter reaches its last frame, 2's lags one frame
	// behind, 3 has none recorded.
	held := func(id uint64) (uint64, error) {
		switch id {
		case 1:
			return flushed[1], nil
		case 2:
			return flushed[2] - 1, nil
		}
		return 0, nil
	}
	opened = nil
	m = NewManager(dir, Options{Log: log, Buffer: NewWriteBuffer(64 << 20)}, CacheOptions{}, unlock)
	defer m.Close()
	st, err = m.Recover(held)
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 30 || st.Held != 1 || st.Databases != 2 || st.Replayed != 0 {
		t.Fatalf("second recovery: %+v; want 30 frames, 1 held, 2 opened, none to apply", st)
	}
	if len(opened) != 2 || opened[0] == 1 || opened[1] == 1 {
		t.Fatalf("recovery opened %v; database 1 is held and should not be", opened)
	}
	for id := uint64(1); id <= 3; id++ {
		check(m, id)
	}
}
