package admin

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// toOldFormat turns a closed directory into one written before key slots: every wrapped
// key under DB 0's key alone (the wrap herodb wrote then), no slots marker, no slot file;
// then deletes database gone as herodb did then (its wrap removed by a bbolt delete, so
// the old-form bytes sit in a free page of 0.db). It returns the old-form wraps by id.
func toOldFormat(t *testing.T, dir string, dek0 []byte, gone uint64) map[uint64][]byte {
	t.Helper()
	sf, err := openShredFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	db0, err := storage.Open(filepath.Join(dir, "0.db"), 0, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := crypto.NewKeyring(map[uint32][]byte{1: dek0})
	if err := db0.Unlock(kr); err != nil {
		t.Fatal(err)
	}
	old := map[uint64][]byte{}
	err = db0.Update(func(tx *storage.Tx) error {
		for _, kv := range tx.SysPrefix("dek:") {
			id, _ := strconv.ParseUint(string(kv[0][4:]), 10, 64)
			slot, err := sf.slot(id)
			if err != nil {
				return err
			}
			dek, err := crypto.Unwrap(crypto.SlotWrapKey(dek0, slot, id), slotAAD(id), kv[1])
			if err != nil {
				return err
			}
			if old[id], err = crypto.Wrap(dek0, dbAAD(id), dek); err != nil {
				return err
			}
			if err := tx.SysPut(string(kv[0]), old[id]); err != nil {
				return err
			}
		}
		return tx.SysDelete(slotsMarker)
	})
	if err != nil {
		t.Fatal(err)
	}
	then := &Admin{db0: db0, dek0: dek0}
	err = db0.Update(func(tx *storage.Tx) error {
		if err := tx.SysDelete("dek:" + strconv.FormatUint(gone, 10)); err != nil {
			return err
		}
		if _, err := tx.HDel([]byte("admin:dbs"), [][]byte{[]byte(strconv.FormatUint(gone, 10))}); err != nil {
			return err
		}
		return then.recordDeletion(tx, &Database{ID: gone}, clockStart.Unix())
	})
	if err != nil {
		t.Fatal(err)
	}
	sf.close()
	if err := db0.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, ShredFileName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(storage.FilePath(dir, gone)); err != nil {
		t.Fatal(err)
	}
	return old
}

// TestShredMigratesOldDirectory: a directory from before key slots opens, its databases
// keep their data, and no file is left holding a key in the old wrap form, of a live
// database or of one deleted before the upgrade (0.db is compacted and the old file
// zeroed); a database deleted after the upgrade is shredded as any other.
func TestShredMigratesOldDirectory(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	var ids []uint64
	for _, name := range []string{"kept", "gone-before", "gone-after"} {
		d, err := a.CreateDatabase(CreateOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		writeKey(t, a, d.ID, "k", name)
		ids = append(ids, d.ID)
	}
	kept, goneBefore, goneAfter := ids[0], ids[1], ids[2]
	goneBeforeKey := material(t, a, goneBefore).dek
	dek0 := append([]byte(nil), a.dek0...)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	old := toOldFormat(t, dir, dek0, goneBefore)
	t.Logf("before the upgrade, the deleted database's old-form wrap is in %v", findAll(t, dir, old[goneBefore]))

	a = openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	for _, id := range []uint64{kept, goneAfter} {
		if _, err := a.shred.slot(id); err != nil {
			t.Fatal(err)
		}
		if got := readKey(t, a, id, "k"); got == "" {
			t.Errorf("database %d after the upgrade: its key is gone", id)
		}
	}
	if _, ok := a.Database("gone-before"); ok {
		t.Error("a database deleted before the upgrade is live")
	}
	m := material(t, a, goneAfter)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for id, w := range old {
		if f := findAll(t, dir, w); len(f) > 0 {
			t.Errorf("database %d's old-form wrap is still on disk after the upgrade: %v", id, f)
		}
	}
	if f := findAll(t, dir, goneBeforeKey); len(f) > 0 {
		t.Errorf("the raw key of the database deleted before the upgrade is on disk: %v", f)
	}
	if _, err := os.Stat(filepath.Join(dir, "0.db.compact")); !os.IsNotExist(err) {
		t.Errorf("the compaction's temporary file: %v", err)
	}

	a = openAdmin(t, Config{Dir: dir, Secret: []byte(shredSecret)})
	if err := a.DeleteDatabase(goneAfter); err != nil {
		t.Fatal(err)
	}
	if got := readKey(t, a, kept, "k"); got != "kept" {
		t.Errorf("kept database: %q", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	assertShredded(t, dir, dek0, goneAfter, m)
	if f := findAll(t, dir, old[goneAfter]); len(f) > 0 {
		t.Errorf("the old-form wrap of the database deleted after the upgrade: %v", f)
	}
}
