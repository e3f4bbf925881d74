package storage

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
)

// TestFormatV2Upgraded: a version-2 file (bound, string values in records of their own)
// is upgraded at Unlock by rewriting its format record only; its strings read back, and
// strings written afterwards live in their key records.
func TestFormatV2Upgraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Unlock(kr); err != nil {
		t.Fatal(err)
	}
	// A version-2 database: its string value in a value record, as version 2 wrote it.
	err = db.Update(func(tx *Tx) error {
		m, err := tx.newMeta([]byte("old"), TypeString)
		if err != nil {
			return err
		}
		if err := tx.putData(m, stringSlot, []byte("written by version 2")); err != nil {
			return err
		}
		return tx.putMeta(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Its format record as version 2 wrote it: the same fields, version 2, its MAC.
	raw, _ := readRaw(t, path)
	var f format
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	fid, _ := hex.DecodeString(f.File)
	f.Version = 2
	f.MAC = hex.EncodeToString(kr.FileMAC(bindingParts(f, 1, fid)...))
	v2, _ := json.Marshal(f)
	writeRaw(t, path, v2)

	db, err = Open(path, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Unlock(kr); err != nil {
		t.Fatalf("Unlock of a version-2 file: %v", err)
	}
	db.Close()
	raw, _ = readRaw(t, path)
	var up format
	json.Unmarshal(raw, &up)
	if up.Version != FormatVersion || up.File != f.File || up.MAC == f.MAC {
		t.Fatalf("format after upgrade: %+v (was %+v)", up, f)
	}
	if db, err = Open(path, 1, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(kr); err != nil {
		t.Fatalf("Unlock of the upgraded file: %v", err)
	}
	err = db.Update(func(tx *Tx) error {
		v, ok, err := tx.Get([]byte("old"))
		if err != nil || !ok || string(v) != "written by version 2" {
			t.Errorf("GET old after upgrade: %q %v %v", v, ok, err)
		}
		_, err = tx.Set([]byte("old"), []byte("rewritten"), SetOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The rewrite moved the value into the key record and dropped the value record.
	err = db.View(func(tx *Tx) error {
		m, err := tx.lookup([]byte("old"))
		if err != nil || m == nil || !m.inline || string(m.value) != "rewritten" {
			t.Errorf("key record after the rewrite: %+v %v", m, err)
		}
		if k, _ := tx.dataB.Cursor().First(); k != nil {
			t.Errorf("a value record is left: %x", k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readRaw(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out []byte
	err = b.View(func(tx *bolt.Tx) error {
		out = append([]byte(nil), tx.Bucket(bucketFormat).Get([]byte("format"))...)
		return nil
	})
	return out, err
}

func writeRaw(t *testing.T, path string, raw []byte) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketFormat).Put([]byte("format"), raw) }); err != nil {
		t.Fatal(err)
	}
}

// A record's associated data binds it to its database, its key and its place: records
// on disk open only under exactly these bytes, so they are pinned here.
func TestRecordAADIsStable(t *testing.T) {
	tx := &Tx{db: &DB{id: 0x0102030405060708}}
	idx := bytes.Repeat([]byte{0xab}, 32)
	want := append(append([]byte("key\x00"), idx...), 1, 2, 3, 4, 5, 6, 7, 8)
	if got := tx.metaAAD(idx); !bytes.Equal(got, want) {
		t.Fatalf("metaAAD = %x, want %x", got, want)
	}
	want = append([]byte("val\x00"), 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0x30, 0x39, 'h', 'f', 'l', 'd')
	if got := tx.dataAAD(12345, TypeHash, []byte("fld")); !bytes.Equal(got, want) {
		t.Fatalf("dataAAD = %x, want %x", got, want)
	}
}
