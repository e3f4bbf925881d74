package storage_test

// Consistency inside a database file, against real bbolt files edited behind herodb's
// back (issue 11, finding 8): a file is bound to its database, records that disagree
// with each other are an error naming the database and the key's identity (never its
// name), and the limit — an old record put back consistently is served — is asserted
// as documented in docs/storage.md ("What a file-level attacker can do").

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// Names that must never show in an error: key names are tenant data.
const (
	fcHash   = "HashNameZulu4821"
	fcList   = "ListNameYankee7730"
	fcString = "StringNameXray1193"
	fcOther  = "OtherNameWhiskey5502"
)

// fcOpen opens path as database id and unlocks it with kr, as the file manager does.
func fcOpen(t *testing.T, path string, id uint64, kr *crypto.Keyring) (*storage.DB, error) {
	t.Helper()
	db, err := storage.Open(path, id, storage.Options{})
	if err != nil {
		return nil, err
	}
	if err := db.Unlock(kr); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func fcKeyring(t *testing.T) *crypto.Keyring {
	t.Helper()
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// fcCorrupt asserts err is a *CorruptError of database db, naming no tenant name, and
// returns it.
func fcCorrupt(t *testing.T, what string, err error, db uint64) *storage.CorruptError {
	t.Helper()
	var ce *storage.CorruptError
	if !errors.As(err, &ce) || !storage.IsCorrupt(err) {
		t.Fatalf("%s: %v; want a *storage.CorruptError", what, err)
	}
	if ce.DB != db {
		t.Fatalf("%s: error names database %d, want %d: %v", what, ce.DB, db, err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("database %d", db)) || !strings.HasPrefix(ce.Key, "id ") && !strings.HasPrefix(ce.Key, "index ") {
		t.Fatalf("%s: error does not name the database and the key's identity: %v", what, err)
	}
	for _, name := range []string{fcHash, fcList, fcString, fcOther, "Qfield", "Qelem", "Qvalue"} {
		if strings.Contains(err.Error(), name) {
			t.Fatalf("%s: error shows tenant data %q: %v", what, name, err)
		}
	}
	return ce
}

// fcRecords returns the data-bucket keys of value records with the given slot tag ('h',
// 'l'; 0: string values, whose key is the 8-byte identity alone).
func fcRecords(tx *bolt.Tx, tag byte) [][]byte {
	var out [][]byte
	for _, k := range dataKeysOf(tx) {
		if (tag == 0 && len(k) == 8) || (tag != 0 && len(k) > 8 && k[8] == tag) {
			out = append(out, k)
		}
	}
	return out
}

// Values longer than a key record holds inline, so each has a value record of its own
// for these tests to delete or edit.
var (
	fcOtherValue  = "still here " + strings.Repeat(".", 600)
	fcStringValue = "a value " + strings.Repeat(".", 600)
)

func fcWantOther(t *testing.T, e *env) {
	t.Helper()
	wantGet(t, e, fcOther, fcOtherValue)
}

// A hash field's record deleted from the file: HGETALL and a whole HSCAN used to answer
// the fields left (none at all for a one-field hash) while HLEN said 1. Now they fail.
func TestFileCheckHashFieldRecordDeleted(t *testing.T) {
	for _, fields := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d fields", fields), func(t *testing.T) {
			e := newEnv(t)
			var pairs []string
			for i := range fields {
				pairs = append(pairs, fmt.Sprintf("QfieldTango%d", i), fmt.Sprintf("QvalueSierra%d", i))
			}
			run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte(fcHash), bs(pairs...)) })
			set(t, e, fcOther, fcOtherValue)
			e.close()
			rawBolt(t, e.path, func(tx *bolt.Tx) error {
				recs := fcRecords(tx, 'h')
				if len(recs) != fields {
					return fmt.Errorf("found %d field records, want %d", len(recs), fields)
				}
				return tx.Bucket([]byte("data")).Delete(recs[0])
			})
			e.open()
			err := e.db.View(func(tx *storage.Tx) error { _, err := tx.HGetAll([]byte(fcHash)); return err })
			ce := fcCorrupt(t, "HGETALL", err, 1)
			if !strings.Contains(ce.What, fmt.Sprintf("%d field records; its key record counts %d", fields-1, fields)) {
				t.Fatalf("HGETALL: %v; want the count mismatch", err)
			}
			err = e.db.View(func(tx *storage.Tx) error { _, _, err := tx.HScan([]byte(fcHash), 0, nil, 100); return err })
			fcCorrupt(t, "HSCAN 0 COUNT 100", err, 1)
			// Documented: HLEN reads the key record only (O(1)); it still says fields.
			if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.HLen([]byte(fcHash)) }); n != int64(fields) {
				t.Fatalf("HLEN = %d", n)
			}
			fcWantOther(t, e)
		})
	}
}

// A field record put back after HDEL (the count no longer matches): an error, not a
// resurrected field in HGETALL.
func TestFileCheckHashFieldRecordResurrected(t *testing.T) {
	e := newEnv(t)
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.HSet([]byte(fcHash), bs("QfieldTango1", "v1", "QfieldTango2", "v2"))
	})
	e.close()
	saved := map[string][]byte{}
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		d := tx.Bucket([]byte("data"))
		for _, k := range fcRecords(tx, 'h') {
			saved[string(k)] = slices.Clone(d.Get(k))
		}
		return nil
	})
	e.open()
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HDel([]byte(fcHash), bs("QfieldTango1")) })
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		for k, v := range saved {
			if err := tx.Bucket([]byte("data")).Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	e.open()
	err := e.db.View(func(tx *storage.Tx) error { _, err := tx.HGetAll([]byte(fcHash)); return err })
	fcCorrupt(t, "HGETALL with a field record put back", err, 1)
}

func TestFileCheckListElementRecordDeleted(t *testing.T) {
	e := newEnv(t)
	rpush(t, e, fcList, "QelemRomeo0", "QelemRomeo1", "QelemRomeo2")
	set(t, e, fcOther, fcOtherValue)
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		recs := fcRecords(tx, 'l')
		if len(recs) != 3 {
			return fmt.Errorf("found %d element records", len(recs))
		}
		return tx.Bucket([]byte("data")).Delete(recs[1])
	})
	e.open()
	for name, f := range map[string]func(tx *storage.Tx) error{
		"LRANGE 0 -1": func(tx *storage.Tx) error { _, err := tx.LRange([]byte(fcList), 0, -1); return err },
		"LINDEX 1":    func(tx *storage.Tx) error { _, _, err := tx.LIndex([]byte(fcList), 1); return err },
		"LPOS": func(tx *storage.Tx) error {
			_, err := tx.LPos([]byte(fcList), []byte("QelemRomeo2"), 1, 0, 0)
			return err
		},
	} {
		ce := fcCorrupt(t, name, e.db.View(f), 1)
		if !strings.Contains(ce.What, "list element 1 of 3 is missing") {
			t.Fatalf("%s: %v", name, ce)
		}
	}
	err := e.db.Update(func(tx *storage.Tx) error { _, err := tx.RPop([]byte(fcList), 3); return err })
	fcCorrupt(t, "RPOP 3", err, 1)
	// The RPOP failed as a whole: nothing of it was stored.
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.LLen([]byte(fcList)) }); n != 3 {
		t.Fatalf("LLEN = %d", n)
	}
	fcWantOther(t, e)
}

// An element record put back after it was popped lies outside the list: a whole-list
// read says so.
func TestFileCheckListElementRecordResurrected(t *testing.T) {
	for _, left := range []bool{false, true} {
		t.Run(fmt.Sprintf("left=%v", left), func(t *testing.T) {
			e := newEnv(t)
			rpush(t, e, fcList, "QelemRomeo0", "QelemRomeo1", "QelemRomeo2")
			e.close()
			saved := map[string][]byte{}
			rawBolt(t, e.path, func(tx *bolt.Tx) error {
				for _, k := range fcRecords(tx, 'l') {
					saved[string(k)] = slices.Clone(tx.Bucket([]byte("data")).Get(k))
				}
				return nil
			})
			e.open()
			run(t, e, func(tx *storage.Tx) ([][]byte, error) {
				if left {
					return tx.LPop([]byte(fcList), 1)
				}
				return tx.RPop([]byte(fcList), 1)
			})
			e.close()
			rawBolt(t, e.path, func(tx *bolt.Tx) error {
				for k, v := range saved {
					if err := tx.Bucket([]byte("data")).Put([]byte(k), v); err != nil {
						return err
					}
				}
				return nil
			})
			e.open()
			err := e.db.View(func(tx *storage.Tx) error { _, err := tx.LRange([]byte(fcList), 0, -1); return err })
			fcCorrupt(t, "LRANGE 0 -1 with a popped element put back", err, 1)
		})
	}
}

// A string's value record deleted: GET used to answer "" for it.
func TestFileCheckStringValueRecordDeleted(t *testing.T) {
	e := newEnv(t)
	set(t, e, fcString, fcStringValue)
	set(t, e, fcOther, fcOtherValue)
	e.close()
	var victim []byte
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		recs := fcRecords(tx, 0)
		if len(recs) != 2 {
			return fmt.Errorf("found %d string records", len(recs))
		}
		victim = recs[0] // identities in creation order: fcString first
		return tx.Bucket([]byte("data")).Delete(victim)
	})
	e.open()
	err := e.db.View(func(tx *storage.Tx) error { _, _, err := tx.Get([]byte(fcString)); return err })
	ce := fcCorrupt(t, "GET", err, 1)
	if ce.Key != "id "+fmt.Sprint(int(victim[7])) || !strings.Contains(ce.What, "missing") {
		t.Fatalf("GET: %v", err)
	}
	for name, f := range map[string]func(tx *storage.Tx) error{
		"SET GET": func(tx *storage.Tx) error {
			_, err := tx.Set([]byte(fcString), []byte("x"), storage.SetOptions{Get: true})
			return err
		},
		"APPEND": func(tx *storage.Tx) error { _, err := tx.Append([]byte(fcString), []byte("x")); return err },
		"INCR":   func(tx *storage.Tx) error { _, err := tx.IncrBy([]byte(fcString), 1); return err },
	} {
		fcCorrupt(t, name, e.db.Update(f), 1)
	}
	fcWantOther(t, e)
}

// A value record's or key record's ciphertext edited: the AEAD refuses it, and the error
// names the database and the key (by identity, or by index digest for a key record).
func TestFileCheckRecordCiphertextCorrupted(t *testing.T) {
	e := newEnv(t)
	set(t, e, fcString, fcStringValue)
	set(t, e, fcOther, fcOtherValue)
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte(fcHash), bs("QfieldTango1", "v1")) })
	e.close()
	flip := func(b *bolt.Bucket, k []byte) error {
		v := slices.Clone(b.Get(k))
		v[len(v)-1] ^= 1
		return b.Put(k, v)
	}
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		if err := flip(tx.Bucket([]byte("data")), fcRecords(tx, 0)[0]); err != nil {
			return err
		}
		return flip(tx.Bucket([]byte("data")), fcRecords(tx, 'h')[0])
	})
	e.open()
	err := e.db.View(func(tx *storage.Tx) error { _, _, err := tx.Get([]byte(fcString)); return err })
	if ce := fcCorrupt(t, "GET", err, 1); ce.What != "string value record fails to open" {
		t.Fatalf("GET: %v", err)
	}
	err = e.db.View(func(tx *storage.Tx) error { _, _, err := tx.HGet([]byte(fcHash), []byte("QfieldTango1")); return err })
	fcCorrupt(t, "HGET", err, 1)
	err = e.db.View(func(tx *storage.Tx) error { _, err := tx.HGetAll([]byte(fcHash)); return err })
	fcCorrupt(t, "HGETALL", err, 1)
	fcWantOther(t, e)

	// A key record: named by its index digest, as its identity is inside it.
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		k, _ := tx.Bucket([]byte("keys")).Cursor().First()
		return flip(tx.Bucket([]byte("keys")), slices.Clone(k))
	})
	e.open()
	err = e.db.View(func(tx *storage.Tx) error { _, err := tx.Keys([]byte("*")); return err })
	if ce := fcCorrupt(t, "KEYS *", err, 1); !strings.HasPrefix(ce.Key, "index ") {
		t.Fatalf("KEYS: %v", err)
	}
}

// fcTwoDatabases writes databases 1 and 2, each under its own key, in one directory.
func fcTwoDatabases(t *testing.T) (dir string, kr1, kr2 *crypto.Keyring) {
	t.Helper()
	dir = t.TempDir()
	kr1, kr2 = fcKeyring(t), fcKeyring(t)
	for id, kr := range map[uint64]*crypto.Keyring{1: kr1, 2: kr2} {
		db, err := fcOpen(t, filepath.Join(dir, fmt.Sprintf("%d.db", id)), id, kr)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(tx *storage.Tx) error {
			_, err := tx.Set([]byte(fcString), fmt.Appendf(nil, "value of %d", id), storage.SetOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	return dir, kr1, kr2
}

func fcSwap(t *testing.T, a, b string) {
	t.Helper()
	tmp := a + ".swap"
	for _, mv := range [][2]string{{a, tmp}, {b, a}, {tmp, b}} {
		if err := os.Rename(mv[0], mv[1]); err != nil {
			t.Fatal(err)
		}
	}
}

func fcSum(t *testing.T, path string) [32]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(raw)
}

// fcEditFormat rewrites the format record of the (closed) file at path.
func fcEditFormat(t *testing.T, path string, edit func(f map[string]any)) {
	t.Helper()
	rawBolt(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("herodb.format"))
		var f map[string]any
		if err := json.Unmarshal(b.Get([]byte("format")), &f); err != nil {
			return err
		}
		edit(f)
		raw, _ := json.Marshal(f)
		return b.Put([]byte("format"), raw)
	})
}

func fcWantWrongFile(t *testing.T, what string, err error, path string) {
	t.Helper()
	var wf *storage.WrongFileError
	if !errors.As(err, &wf) || !errors.Is(err, storage.ErrWrongFile) || !storage.IsCorrupt(err) {
		t.Fatalf("%s: %v; want a *storage.WrongFileError", what, err)
	}
	if !strings.Contains(err.Error(), "storage: "+path+" belongs to another database or was tampered with") {
		t.Fatalf("%s: the error does not name the file: %v", what, err)
	}
}

// 1.db and 2.db swapped: GET used to answer nil and SET to write into the other
// database's file. Now the file is refused, by name, before anything reads or writes it.
func TestFileCheckSwappedFiles(t *testing.T) {
	dir, kr1, kr2 := fcTwoDatabases(t)
	p1, p2 := filepath.Join(dir, "1.db"), filepath.Join(dir, "2.db")
	fcSwap(t, p1, p2)
	sum1, sum2 := fcSum(t, p1), fcSum(t, p2)
	_, err := fcOpen(t, p1, 1, kr1)
	fcWantWrongFile(t, "open 1.db holding database 2", err, p1)
	if !strings.Contains(err.Error(), "names database 2; this is database 1") {
		t.Fatalf("the error does not say whose file it is: %v", err)
	}
	_, err = fcOpen(t, p2, 2, kr2)
	fcWantWrongFile(t, "open 2.db holding database 1", err, p2)
	if fcSum(t, p1) != sum1 || fcSum(t, p2) != sum2 {
		t.Fatal("a refused file was written")
	}
	// Put back, both open and read as before.
	fcSwap(t, p1, p2)
	for id, kr := range map[uint64]*crypto.Keyring{1: kr1, 2: kr2} {
		db, err := fcOpen(t, filepath.Join(dir, fmt.Sprintf("%d.db", id)), id, kr)
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(func(tx *storage.Tx) error {
			v, ok, err := tx.Get([]byte(fcString))
			if err == nil && (!ok || string(v) != fmt.Sprintf("value of %d", id)) {
				err = fmt.Errorf("database %d: GET = %q %v", id, v, ok)
			}
			return err
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The database id in clear edited — to another id, or to match the place a swapped
// file was put in: the first is refused at Open, the second by the MAC at Unlock, and
// nothing is read from or written to the file either way.
func TestFileCheckPlaintextIDEdited(t *testing.T) {
	t.Run("in place", func(t *testing.T) {
		e := newEnv(t)
		set(t, e, fcString, "v")
		e.close()
		fcEditFormat(t, e.path, func(f map[string]any) { f["db"] = 7 })
		_, err := storage.Open(e.path, 1, e.opts)
		fcWantWrongFile(t, "Open", err, e.path)
		if !strings.Contains(err.Error(), "names database 7") {
			t.Fatalf("Open: %v", err)
		}
	})
	t.Run("swapped and edited to match", func(t *testing.T) {
		dir, kr1, _ := fcTwoDatabases(t)
		p1, p2 := filepath.Join(dir, "1.db"), filepath.Join(dir, "2.db")
		fcSwap(t, p1, p2)
		fcEditFormat(t, p1, func(f map[string]any) { f["db"] = 1 })
		sum := fcSum(t, p1)
		db, err := storage.Open(p1, 1, storage.Options{})
		if err != nil {
			t.Fatalf("Open (the id in clear matches): %v", err)
		}
		fcWantWrongFile(t, "Unlock", db.Unlock(kr1), p1)
		if !strings.Contains(db.Unlock(kr1).Error(), "binding does not check") {
			t.Fatal("Unlock does not say which check failed")
		}
		for name, err := range map[string]error{
			"View": db.View(func(tx *storage.Tx) error { _, _, err := tx.Get([]byte(fcString)); return err }),
			"Update": db.Update(func(tx *storage.Tx) error {
				_, err := tx.Set([]byte(fcString), []byte("into the wrong file"), storage.SetOptions{})
				return err
			}),
			"SysPut": db.SysPut("x", []byte("y")),
		} {
			fcWantWrongFile(t, name+" after a refused Unlock", err, p1)
		}
		if _, err := db.SysGet("kdf"); !errors.Is(err, storage.ErrWrongFile) {
			t.Fatalf("SysGet after a refused Unlock: %v", err)
		}
		db.Close()
		if fcSum(t, p1) != sum {
			t.Fatal("a refused file was written")
		}
	})
	t.Run("file identity edited", func(t *testing.T) {
		e := newEnv(t)
		set(t, e, fcString, "v")
		e.close()
		fcEditFormat(t, e.path, func(f map[string]any) { f["file"] = strings.Repeat("ab", 16) })
		_, err := fcOpen(t, e.path, 1, e.kr)
		fcWantWrongFile(t, "open", err, e.path)
	})
	t.Run("binding removed from another database's file", func(t *testing.T) {
		dir, kr1, _ := fcTwoDatabases(t)
		p1, p2 := filepath.Join(dir, "1.db"), filepath.Join(dir, "2.db")
		fcSwap(t, p1, p2)
		fcEditFormat(t, p1, func(f map[string]any) { f["db"] = 1; delete(f, "mac"); delete(f, "file") })
		_, err := fcOpen(t, p1, 1, kr1)
		fcWantWrongFile(t, "open", err, p1)
	})
}

// Records carry their database id in their associated data too: records copied into a
// file of another database (here under the same data key, which no real deployment
// shares, so that the index finds them) still fail to open.
func TestFileCheckRecordsFromAnotherDatabase(t *testing.T) {
	e := newEnv(t)
	set(t, e, fcString, "v")
	e.close()
	copied := map[string]map[string][]byte{}
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		for _, name := range []string{"keys", "data"} {
			copied[name] = map[string][]byte{}
			tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error {
				copied[name][string(k)] = slices.Clone(v)
				return nil
			})
		}
		return nil
	})
	other := filepath.Join(t.TempDir(), "2.db")
	db, err := fcOpen(t, other, 2, e.kr)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rawBolt(t, other, func(tx *bolt.Tx) error {
		for name, recs := range copied {
			for k, v := range recs {
				if err := tx.Bucket([]byte(name)).Put([]byte(k), v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	db, err = fcOpen(t, other, 2, e.kr)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *storage.Tx) error { _, _, err := tx.Get([]byte(fcString)); return err })
	fcCorrupt(t, "GET of a record of database 1 in database 2", err, 2)
}

// v1Format is the format record of version 1, byte for byte as version 1 wrote it.
const v1Format = `{"magic":"herodb","version":1,"cipher":"xchacha20poly1305","index":"hmac-sha256","kdf":"hkdf-sha256"}`

func fcMakeV1(t *testing.T, path string) {
	t.Helper()
	rawBolt(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("herodb.format")).Put([]byte("format"), []byte(v1Format))
	})
}

func fcReadFormat(t *testing.T, path string) map[string]any {
	t.Helper()
	var f map[string]any
	rawBolt(t, path, func(tx *bolt.Tx) error {
		return json.Unmarshal(tx.Bucket([]byte("herodb.format")).Get([]byte("format")), &f)
	})
	return f
}

// syncBuffer is a log sink for the tests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func fcCaptureLog(t *testing.T) *syncBuffer {
	buf := &syncBuffer{}
	storage.SetLogger(slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() { storage.SetLogger(nil) })
	return buf
}

// A version-1 file (same records, no binding) is upgraded once, at its first Unlock:
// bound, logged, and read as before.
func TestFileCheckUpgradeVersion1(t *testing.T) {
	log := fcCaptureLog(t)
	e := newEnv(t)
	set(t, e, fcString, "a value")
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte(fcHash), bs("QfieldTango1", "v1")) })
	rpush(t, e, fcList, "QelemRomeo0", "QelemRomeo1")
	run(t, e, func(tx *storage.Tx) (bool, error) {
		return tx.PutNamedKey(storage.NamedKey{Name: []byte("nk"), Kind: 'e', Public: "p", Secret: "s"}, false)
	})
	e.close()
	fcMakeV1(t, e.path)
	e.open() // Open, then Unlock: the upgrade
	if !strings.Contains(log.String(), "database file upgraded") || !strings.Contains(log.String(), "from_version=1") {
		t.Fatalf("no log line of the upgrade: %q", log.String())
	}
	wantGet(t, e, fcString, "a value")
	if v := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.HGetAll([]byte(fcHash)) }); len(v) != 2 {
		t.Fatalf("HGETALL = %q", v)
	}
	if v := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.LRange([]byte(fcList), 0, -1) }); len(v) != 2 {
		t.Fatalf("LRANGE = %q", v)
	}
	e.close()
	f := fcReadFormat(t, e.path)
	if f["version"] != float64(storage.FormatVersion) || f["db"] != float64(1) {
		t.Fatalf("format record after the upgrade: %v", f)
	}
	if mac, _ := hex.DecodeString(fmt.Sprint(f["mac"])); len(mac) != 32 {
		t.Fatalf("no MAC after the upgrade: %v", f)
	}
	// Once: the next open checks the binding and writes nothing.
	sum := fcSum(t, e.path)
	e.open()
	wantGet(t, e, fcString, "a value")
	e.close()
	if fcSum(t, e.path) != sum {
		t.Fatal("a bound file was written by a read-only open")
	}
	if n := strings.Count(log.String(), "database file upgraded"); n != 1 {
		t.Fatalf("%d upgrades logged, want 1", n)
	}
}

// Another database's file made to look like version 1 (no binding to check) is not
// bound to the database it was put in: its records do not open there.
func TestFileCheckUpgradeRefusesAnotherDatabasesFile(t *testing.T) {
	dir, kr1, _ := fcTwoDatabases(t)
	p1, p2 := filepath.Join(dir, "1.db"), filepath.Join(dir, "2.db")
	fcSwap(t, p1, p2)
	fcMakeV1(t, p1)
	sum := fcSum(t, p1)
	_, err := fcOpen(t, p1, 1, kr1)
	fcWantWrongFile(t, "upgrade of database 2's file as database 1", err, p1)
	if fcSum(t, p1) != sum {
		t.Fatal("a refused file was written")
	}
	if f := fcReadFormat(t, p1); f["version"] != float64(1) {
		t.Fatalf("the refused file was upgraded: %v", f)
	}
}

// A file of a version this build does not know is refused, naming the version; so is
// a version-2 or current record without its database id.
func TestFileCheckUnknownVersionRefused(t *testing.T) {
	e := newEnv(t)
	e.close()
	next := storage.FormatVersion + 1
	fcEditFormat(t, e.path, func(f map[string]any) { f["version"] = next })
	_, err := storage.Open(e.path, 1, e.opts)
	if !errors.Is(err, storage.ErrFormat) || !strings.Contains(err.Error(), fmt.Sprintf("format version %d", next)) || !strings.Contains(err.Error(), e.path) {
		t.Fatalf("Open of a version-%d file: %v", next, err)
	}
	for _, v := range []int{2, storage.FormatVersion} {
		fcEditFormat(t, e.path, func(f map[string]any) { f["version"] = v; delete(f, "db") })
		_, err = storage.Open(e.path, 1, e.opts)
		fcWantWrongFile(t, fmt.Sprintf("Open of a version-%d record without its id", v), err, e.path)
	}
}

// Before Unlock, the sys bucket is written only on a new file (DB 0's bootstrap): a
// file that was bound is written once its key has checked it.
func TestFileCheckSysPutBeforeUnlock(t *testing.T) {
	e := newEnv(t)
	e.close()
	db, err := storage.Open(e.path, 1, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SysPut("x", []byte("y")); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("SysPut before Unlock on a bound file: %v", err)
	}
	if err := db.Unlock(e.kr); err != nil {
		t.Fatal(err)
	}
	if err := db.SysPut("x", []byte("y")); err != nil {
		t.Fatalf("SysPut after Unlock: %v", err)
	}
	db.Close()

	fresh := filepath.Join(t.TempDir(), "0.db")
	db, err = storage.Open(fresh, 0, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SysPut("kdf", []byte("bootstrap")); err != nil {
		t.Fatalf("SysPut before Unlock on a new file: %v", err)
	}
	if err := db.Unlock(e.kr); err != nil {
		t.Fatalf("first Unlock of a new file: %v", err)
	}
}

// The documented limit: an old record of a key put back in place of the current one is
// served, since every record is one that herodb wrote at that place. Detecting it needs
// a file-wide authenticated root (a MAC over the whole keyspace, advanced by every
// commit); rolling back a whole file is the lifecycle issue's. See docs/storage.md.
func TestFileCheckOldRecordPutBackIsServed(t *testing.T) {
	e := newEnv(t)
	set(t, e, fcString, "old value")
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.HSet([]byte(fcHash), bs("QfieldTango1", "old field value"))
	})
	e.close()
	saved := map[string][]byte{}
	savedKeys := map[string][]byte{} // a small string's value is in its key record
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		d := tx.Bucket([]byte("data"))
		for _, k := range append(fcRecords(tx, 0), fcRecords(tx, 'h')...) {
			saved[string(k)] = slices.Clone(d.Get(k))
		}
		return tx.Bucket([]byte("keys")).ForEach(func(k, v []byte) error {
			savedKeys[string(k)] = slices.Clone(v)
			return nil
		})
	})
	e.open()
	set(t, e, fcString, "new value")
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.HSet([]byte(fcHash), bs("QfieldTango1", "new field value"))
	})
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		for k, v := range saved {
			if err := tx.Bucket([]byte("data")).Put([]byte(k), v); err != nil {
				return err
			}
		}
		for k, v := range savedKeys {
			if err := tx.Bucket([]byte("keys")).Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	e.open()
	wantGet(t, e, fcString, "old value") // served: outside the guarantee, as documented
	got := view(t, e, func(tx *storage.Tx) ([]byte, error) {
		v, _, err := tx.HGet([]byte(fcHash), []byte("QfieldTango1"))
		return v, err
	})
	if string(got) != "old field value" {
		t.Fatalf("HGET = %q; the documented limit says the old value is served", got)
	}
}
