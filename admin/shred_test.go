package admin

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

const shredSecret = "shred-test-secret"

// writeAndFlush stores a key in database id and closes the admin, so its file, the log
// and 0.db all hold what a server leaves on disk.
func writeKey(t *testing.T, a *Admin, id uint64, key, val string) {
	t.Helper()
	db, release, err := a.Files().Acquire(id)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := db.Update(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte(key), []byte(val), storage.SetOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func readKey(t *testing.T, a *Admin, id uint64, key string) string {
	t.Helper()
	db, release, err := a.Files().Acquire(id)
	if err != nil {
		t.Fatalf("open database %d: %v", id, err)
	}
	defer release()
	var v []byte
	if err := db.View(func(tx *storage.Tx) error { v, _, err = tx.Get([]byte(key)); return err }); err != nil {
		t.Fatalf("read database %d: %v", id, err)
	}
	return string(v)
}

// keyMaterial is what a deleted database's key could be recovered from: its wrap as DB 0
// held it, the raw data key, and its slot secret.
type keyMaterial struct {
	wrapped, dek, slot []byte
}

func material(t *testing.T, a *Admin, id uint64) keyMaterial {
	t.Helper()
	var m keyMaterial
	if err := a.db0.View(func(tx *storage.Tx) error {
		m.wrapped = tx.SysGet("dek:" + strconv.FormatUint(id, 10))
		return nil
	}); err != nil || m.wrapped == nil {
		t.Fatalf("wrapped key of %d: %v", id, err)
	}
	var err error
	if m.slot, err = a.shred.slot(id); err != nil || m.slot == nil {
		t.Fatalf("slot of %d: %v", id, err)
	}
	if m.dek, err = a.unwrapDEK(id, m.wrapped); err != nil {
		t.Fatalf("unwrap %d: %v", id, err)
	}
	return m
}

// findAll returns the files under dir (every one: 0.db, the slot file, log segments,
// database files) holding needle, with how often.
func findAll(t *testing.T, dir string, needle []byte) map[string]int {
	t.Helper()
	found := map[string]int{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if n := bytes.Count(b, needle); n > 0 {
			found[strings.TrimPrefix(p, dir+"/")] = n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// assertShredded checks what the brief of crypto-shredding promises for database id
// after its deletion, on the closed directory: its raw key and slot secret are in no
// file; its wrap may be in 0.db's free pages, but opens under none of the keys the server
// holds (DB 0's key, with the slot as it is now, zeros, or in the old form).
func assertShredded(t *testing.T, dir string, dek0 []byte, id uint64, m keyMaterial) {
	t.Helper()
	if f := findAll(t, dir, m.dek); len(f) > 0 {
		t.Errorf("database %d's raw data key is on disk: %v", id, f)
	}
	if f := findAll(t, dir, m.slot); len(f) > 0 {
		t.Errorf("database %d's slot secret is on disk: %v", id, f)
	}
	sf, err := openShredFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.close()
	if s, err := sf.slot(id); err != nil || s != nil {
		t.Errorf("slot %d after the deletion: %x, %v; want zeros", id, s, err)
	}
	found := findAll(t, dir, m.wrapped)
	t.Logf("database %d's wrapped key bytes after the deletion: found in %v", id, found)
	for _, k := range [][]byte{
		crypto.SlotWrapKey(dek0, make([]byte, SlotSize), id),
		dek0,
	} {
		for _, aad := range [][]byte{slotAAD(id), dbAAD(id)} {
			if _, err := crypto.Unwrap(k, aad, m.wrapped); err == nil {
				t.Errorf("database %d's wrapped key still opens with a key the server holds", id)
			}
		}
	}
}

// TestShredLeavesNothingUsable: after deleteDatabase, no file in the directory holds the
// deleted database's data key or its slot secret, its wrap (read before the deletion)
// opens under no key the server holds, and its old file put back is refused; the other
// database is untouched.
func TestShredLeavesNothingUsable(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	victim, err := a.CreateDatabase(CreateOptions{Name: "victim"})
	if err != nil {
		t.Fatal(err)
	}
	keeper, err := a.CreateDatabase(CreateOptions{Name: "keeper"})
	if err != nil {
		t.Fatal(err)
	}
	writeKey(t, a, victim.ID, "secret-key", "secret-value")
	writeKey(t, a, keeper.ID, "k", "v")
	if err := a.Close(); err != nil { // the file made and flushed
		t.Fatal(err)
	}
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	writeKey(t, a, victim.ID, "in-the-log", "only") // and frames in the log
	m := material(t, a, victim.ID)
	dek0 := append([]byte(nil), a.dek0...)
	victimFile := a.Files().Path(victim.ID)
	oldFile, err := os.ReadFile(victimFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteDatabase(victim.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	assertShredded(t, dir, dek0, victim.ID, m)

	if err := os.WriteFile(victimFile, oldFile, 0o600); err != nil {
		t.Fatal(err)
	}
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	defer a.Close()
	if _, _, err := a.Files().Acquire(victim.ID); err == nil {
		t.Fatal("the deleted database's old file, put back, was opened")
	}
	if _, err := a.unwrapDEK(victim.ID, m.wrapped); err == nil {
		t.Fatal("the server unwrapped the deleted database's key")
	}
	if got := readKey(t, a, keeper.ID, "k"); got != "v" {
		t.Errorf("the other database after the deletion: %q", got)
	}
}

// TestShredCutAfterCommit: a stop between the deletion's DB 0 transaction and the
// overwrite of its slot (a cut point: the process stops there as kill -9 would, nothing
// after it runs) leaves a deleted database whose slot the next start zeroes before
// serving; a stop before that transaction leaves a working database.
func TestShredCutAfterCommit(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	d, err := a.CreateDatabase(CreateOptions{Name: "cut"})
	if err != nil {
		t.Fatal(err)
	}
	writeKey(t, a, d.ID, "k", "v")
	m := material(t, a, d.ID)
	dek0 := append([]byte(nil), a.dek0...)
	cutBeforeShred = func(uint64) bool { return true }
	err = a.DeleteDatabase(d.ID)
	cutBeforeShred = nil
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := a.shred.slot(d.ID); s == nil {
		t.Fatal("the cut point ran the slot overwrite")
	}
	a.Close()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	if _, ok := a.Database("cut"); ok {
		t.Error("the database is live after a deletion that committed")
	}
	var marks int
	a.db0.View(func(tx *storage.Tx) error { marks = len(tx.SysPrefix(shredPending)); return nil })
	if marks != 0 {
		t.Errorf("%d pending shred marks after the start finished them", marks)
	}
	a.Close()
	assertShredded(t, dir, dek0, d.ID, m)
}

// TestShredCreateSlotsBeforeCommit: a slot written for a create whose DB 0 transaction
// did not commit is given to the next create, which works.
func TestShredCreateSlotsBeforeCommit(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	defer a.Close()
	if err := a.shred.put(1, newSlotSecrets(1)); err != nil { // as a create cut before its commit
		t.Fatal(err)
	}
	d, err := a.CreateDatabase(CreateOptions{})
	if err != nil || d.ID != 1 {
		t.Fatalf("create: %v, %v", d, err)
	}
	writeKey(t, a, d.ID, "k", "v")
	if got := readKey(t, a, d.ID, "k"); got != "v" {
		t.Errorf("read %q", got)
	}
}
