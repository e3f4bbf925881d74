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
		l.put(bKeys, idx, kr.Seal(tx.metaAAD(idx), m.encode()), false)
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
	st, err := m.Recover()
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
