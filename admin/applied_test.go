package admin

import (
	"strconv"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestAppliedCostsNoDB0WritePerCommand measures what the rollback counter costs: writes
// and flushes of a database commit nothing to DB 0 until the batch is written (every
// appliedInterval, or at Close), which then records the file's last flush.
func TestAppliedCostsNoDB0WritePerCommand(t *testing.T) {
	a := openAdmin(t, Config{Secret: []byte("a-test-admin-secret"), FlushInterval: 10 * time.Millisecond})
	d, err := a.CreateDatabase(CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, release, err := a.Acquire(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The first flush makes the file, which DB 0 records once (fileMade): not counted.
	db.Update(func(tx *storage.Tx) error { _, err := tx.Set([]byte("first"), nil, storage.SetOptions{}); return err })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if d, _ := a.DatabaseByID(d.ID); !d.filePending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first flush made no file")
		}
	}
	before, start := a.DB0().Stats().Commits, time.Now()
	for i := range 2000 {
		err := db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set([]byte("k"+strconv.Itoa(i%50)), []byte("v"), storage.SetOptions{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if i%500 == 0 {
			time.Sleep(30 * time.Millisecond) // flushes happen meanwhile
		}
	}
	release()
	// At most one batch per interval passed (a slow run may see one), never one per command.
	if got, batches := a.DB0().Stats().Commits-before, uint64(time.Since(start)/appliedInterval); got > batches {
		t.Fatalf("2000 commands and their flushes made %d DB 0 commits; want at most %d (one per %v)", got, batches, appliedInterval)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openAdmin(t, Config{Dir: a.Dir(), Secret: []byte("a-test-admin-secret")})
	defer b.Close()
	var rec uint64
	b.DB0().View(func(tx *storage.Tx) error { rec, err = b.recordedApplied(tx, d.ID); return err })
	db, release, err = b.Acquire(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if rec == 0 || rec != db.Applied() {
		t.Fatalf("DB 0 recorded %d at close; the file holds %d", rec, db.Applied())
	}
}
