package admin

import (
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestFileMadeHoldsNoLockAcrossDB0: recording that a database's file exists is a DB 0
// transaction, and while it waits for DB 0 (a slow fsync, other writes ahead of it)
// lookups of other databases go on. It held the registry's lock across the transaction,
// so a burst of first flushes stalled every command on the node for seconds.
func TestFileMadeHoldsNoLockAcrossDB0(t *testing.T) {
	a := openAdmin(t, Config{Dir: t.TempDir(), Secret: []byte("file-made-secret")})
	defer a.Close()
	d1, err := a.CreateDatabase(CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := a.CreateDatabase(CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := a.DatabaseByID(d1.ID); !d.filePending {
		t.Fatal("a new database should have no file yet")
	}
	// DB 0's committer is held, as by a slow commit.
	gate, held := make(chan struct{}), make(chan struct{})
	go a.db0.Update(func(tx *storage.Tx) error {
		return tx.BeforeCommit("hold", func() error { close(held); <-gate; return nil })
	})
	<-held
	made := make(chan error, 1)
	go func() { made <- a.fileMade(d1.ID) }()
	time.Sleep(50 * time.Millisecond) // fileMade waits for DB 0
	looked := make(chan struct{})
	go func() {
		a.DatabaseByID(d2.ID)
		close(looked)
	}()
	select {
	case <-looked:
	case <-time.After(2 * time.Second):
		close(gate)
		t.Fatal("a lookup of another database waited 2 s for fileMade's DB 0 transaction")
	}
	close(gate)
	if err := <-made; err != nil {
		t.Fatal(err)
	}
	if d, _ := a.DatabaseByID(d1.ID); d.filePending {
		t.Error("the cache still says the file is pending")
	}
	a.mu.Lock()
	delete(a.dbs, d1.ID)
	a.mu.Unlock()
	if d := a.readRegistration(d1.ID); d == nil || d.filePending || d.unusable != "" {
		t.Errorf("DB 0's registration after fileMade: %+v", d)
	}
}
