package admin

import (
	"os"
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

// TestOrphanFileRemovedAtStartup: a database file whose deletion a crash cut off (its
// registration and key gone, the file still there) is removed when the directory is
// next opened; the files of live databases stay.
func TestOrphanFileRemovedAtStartup(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte("orphan-test-secret")})
	live, err := a.CreateDatabase(CreateOptions{Name: "live"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := a.CreateDatabase(CreateOptions{Name: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{live.ID, gone.ID} {
		db, release, err := a.Files().Acquire(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set([]byte("k"), []byte("v"), storage.SetOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		release()
	}
	goneFile := a.Files().Path(gone.ID)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// The crash: the registry change was durable, the unlink never happened.
	kept, err := os.ReadFile(goneFile)
	if err != nil {
		t.Fatal(err)
	}
	a = openAdmin(t, Config{Dir: dir, Secret: []byte("orphan-test-secret")})
	if err := a.DeleteDatabase(gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goneFile, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	stray := storage.LegacyPath(dir, 977) // never registered, in the place files had before the db/ layout
	if err := os.WriteFile(stray, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	a = openAdmin(t, Config{Dir: dir, Secret: []byte("orphan-test-secret")})
	defer a.Close()
	<-a.orphansDone // the removal runs in the background once the server serves
	for _, p := range []string{goneFile, stray} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s after restart: %v, want it removed", p, err)
		}
	}
	if _, err := os.Stat(a.Files().Path(live.ID)); err != nil {
		t.Errorf("the live database's file: %v", err)
	}
	db, release, err := a.Files().Acquire(live.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var v []byte
	if err := db.View(func(tx *storage.Tx) error { v, _, err = tx.Get([]byte("k")); return err }); err != nil || string(v) != "v" {
		t.Errorf("live database after restart: %q, %v", v, err)
	}
}
