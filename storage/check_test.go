package storage_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/storage"
)

// checkFill writes one key of every type (a long string has a value record of its own),
// a key with an expiry and a named key.
func checkFill(t *testing.T, e *env) {
	t.Helper()
	set(t, e, "small", "v")
	set(t, e, "long", strings.Repeat("L", 2000))
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.HSet([]byte("h"), bs("f1", "v1", "f2", "v2")) })
	rpush(t, e, "l", "a", "b", "c")
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.SAdd([]byte("s"), bs("x", "y")) })
	run(t, e, func(tx *storage.Tx) (int64, error) {
		n, _, _, err := tx.ZAdd([]byte("z"), storage.ZAddFlags{}, []storage.ZMember{{Member: []byte("m"), Score: 1.5}})
		return n, err
	})
	xadd(t, e, "x", 1, 2)
	run(t, e, func(tx *storage.Tx) (bool, error) {
		return tx.ExpireAt([]byte("small"), e.now()+60_000, storage.ExpireCond(0))
	})
	run(t, e, func(tx *storage.Tx) (bool, error) {
		return tx.PutNamedKey(storage.NamedKey{Name: []byte("k"), Kind: 'e', Public: "p", Secret: "s"}, false)
	})
}

func checkFile(t *testing.T, e *env) *storage.CheckReport {
	t.Helper()
	r, err := storage.CheckFile(e.path, 1, e.kr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckCleanFile(t *testing.T) {
	e := newEnv(t)
	checkFill(t, e)
	if r, err := e.db.Check(); err != nil || !r.OK() || r.Keys != 7 {
		t.Fatalf("online check: %+v, %v", r, err)
	}
	e.close()
	r := checkFile(t, e)
	// 7 key records, 1 long string value, 2 fields, 3 elements, 2 members, 3 records of
	// one zset member, a stream's state and 2 entries, 1 named key.
	if !r.OK() || r.Keys != 7 || r.Records != 7+1+2+3+2+3+3+1 {
		t.Fatalf("clean file: %+v", r)
	}
}

func TestCheckRunningFileIsInUse(t *testing.T) {
	e := newEnv(t)
	set(t, e, "a", "b")
	if _, err := storage.CheckFile(e.path, 1, e.kr, 100*time.Millisecond); !errors.Is(err, storage.ErrDBInUse) {
		t.Fatalf("a file held open: %v, want ErrDBInUse", err)
	}
}

// TestCheckFlippedCiphertext flips one byte of a sealed value in the file itself: the
// check names the key by its identity, and GET answers an error, never a wrong value.
func TestCheckFlippedCiphertext(t *testing.T) {
	e := newEnv(t)
	checkFill(t, e)
	e.close()
	var ct []byte
	b, err := bolt.Open(e.path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	b.View(func(tx *bolt.Tx) error {
		tx.Bucket([]byte("data")).ForEach(func(k, v []byte) error {
			if len(v) > 2000 {
				ct = slices.Clone(v)
			}
			return nil
		})
		return nil
	})
	b.Close()
	raw, err := os.ReadFile(e.path)
	if err != nil || ct == nil {
		t.Fatal(err, ct == nil)
	}
	at := bytes.Index(raw, ct)
	if at < 0 || bytes.Index(raw[at+1:], ct) >= 0 {
		t.Fatal("the long value's ciphertext is not in the file exactly once")
	}
	raw[at+len(ct)/2] ^= 0x40
	if err := os.WriteFile(e.path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r := checkFile(t, e)
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "string value record fails to open") {
		t.Fatalf("flipped ciphertext: %+v", r)
	}
	e.open()
	err = e.db.View(func(tx *storage.Tx) error { _, _, err := tx.Get([]byte("long")); return err })
	if !storage.IsCorrupt(err) {
		t.Fatalf("GET of the damaged value: %v, want a corruption error", err)
	}
}

// TestCheckDamagedPage makes a page in use an unknown page type: bbolt's own check
// reports it.
func TestCheckDamagedPage(t *testing.T) {
	e := newEnv(t)
	for i := range 40 {
		run(t, e, func(tx *storage.Tx) (int64, error) {
			return tx.HSet([]byte("h"), bs("field"+strings.Repeat("f", i), strings.Repeat("v", 200)))
		})
	}
	e.close()
	b, err := bolt.Open(e.path, 0o600, &bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, size := -1, b.Info().PageSize
	b.Update(func(tx *bolt.Tx) error { // Page is only safe in a writable transaction
		for id := 2; id < int(tx.Size())/size; id++ {
			if p, _ := tx.Page(id); p != nil && p.Type == "leaf" {
				leaf = id
			}
		}
		return nil
	})
	b.Close()
	if leaf < 0 {
		t.Fatal("no leaf page in use")
	}
	f, err := os.OpenFile(e.path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(binary.LittleEndian.AppendUint16(nil, 0x40), int64(leaf*size+8)) // the page's flags
	f.Close()
	r := checkFile(t, e)
	if r.OK() || !strings.HasPrefix(r.Problems[0], "bbolt") {
		t.Fatalf("damaged page: %+v", r)
	}
}

// TestCheckRecordsDisagree removes a hash field's record, adds a bucket and a value
// record of a kind nothing writes: each is reported.
func TestCheckRecordsDisagree(t *testing.T) {
	e := newEnv(t)
	checkFill(t, e)
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		data := tx.Bucket([]byte("data"))
		for _, k := range dataKeysOf(tx) {
			if len(k) > 8 && k[8] == 'h' {
				if err := data.Delete(k); err != nil {
					return err
				}
				if err := data.Put(append(k[:8:8], 'w'), []byte("sealed?")); err != nil {
					return err
				}
				break
			}
		}
		_, err := tx.CreateBucket([]byte("extra"))
		return err
	})
	got := strings.Join(checkFile(t, e).Problems, "\n")
	for _, want := range []string{`a bucket this herodb does not know: "extra"`, "a hash record of a kind this herodb does not know",
		"a hash whose record counts 2 but 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q lack %q", got, want)
		}
	}
}
