package storage_test

// Named keys (the AGE commands' key store): put, get, replace, delete, list; outside the
// keyspace (GET, KEYS, SCAN, DBSIZE, FLUSHDB); sealed on disk and bound to their name
// and database. It uses helpers_test.go's env, run, view and rawBolt.

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// namedEnc and namedSign are fresh named keys of each kind, with real key material.
func namedEnc(name string) storage.NamedKey {
	pub, sec := crypto.GenerateAgeKey()
	return storage.NamedKey{Name: []byte(name), Kind: 'e', Public: pub, Secret: sec}
}

func namedSign(name string) storage.NamedKey {
	pub, sec := crypto.GenerateSignKey()
	return storage.NamedKey{Name: []byte(name), Kind: 's', Public: pub, Secret: sec}
}

func namedPut(t testing.TB, e *env, k storage.NamedKey, replace bool) bool {
	t.Helper()
	return run(t, e, func(tx *storage.Tx) (bool, error) { return tx.PutNamedKey(k, replace) })
}

func namedGet(t testing.TB, e *env, name string) *storage.NamedKey {
	t.Helper()
	return view(t, e, func(tx *storage.Tx) (*storage.NamedKey, error) { return tx.GetNamedKey([]byte(name)) })
}

func namedNames(t testing.TB, e *env) []string {
	t.Helper()
	keys := view(t, e, func(tx *storage.Tx) ([]*storage.NamedKey, error) { return tx.ListNamedKeys() })
	out := []string{}
	for _, k := range keys {
		out = append(out, string(k.Name))
	}
	return out
}

func namedSame(t testing.TB, what string, got *storage.NamedKey, want storage.NamedKey) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no key", what)
	}
	if !bytes.Equal(got.Name, want.Name) || got.Kind != want.Kind || got.Public != want.Public || got.Secret != want.Secret {
		t.Fatalf("%s: got name %q kind %c public %q; want name %q kind %c public %q (secrets equal: %v)",
			what, got.Name, got.Kind, got.Public, want.Name, want.Kind, want.Public, got.Secret == want.Secret)
	}
}

func TestNamedKeysEmptyDatabase(t *testing.T) {
	e := newEnv(t)
	// No bucket yet: reads and deletes answer "none" even in a read transaction.
	err := e.db.View(func(tx *storage.Tx) error {
		if k, err := tx.GetNamedKey([]byte("x")); k != nil || err != nil {
			t.Errorf("GetNamedKey on an empty database: %v, %v", k, err)
		}
		if ks, err := tx.ListNamedKeys(); len(ks) != 0 || err != nil {
			t.Errorf("ListNamedKeys on an empty database: %v, %v", ks, err)
		}
		if ok, err := tx.DeleteNamedKey([]byte("x")); ok || err != nil {
			t.Errorf("DeleteNamedKey on an empty database: %v, %v", ok, err)
		}
		// Creating the bucket needs a write transaction.
		if _, err := tx.PutNamedKey(namedEnc("x"), false); !errors.Is(err, storage.ErrReadOnlyTx) {
			t.Errorf("PutNamedKey in a read transaction: %v, want ErrReadOnlyTx", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNamedKeysPutGetReplaceDelete(t *testing.T) {
	e := newEnv(t)
	enc, sign := namedEnc("alice"), namedSign("bob")
	bin := namedEnc(string([]byte{0, 'n', 0xff, '\n'}))
	for _, k := range []storage.NamedKey{enc, sign, bin} {
		if !namedPut(t, e, k, false) {
			t.Fatalf("put %q: not done", k.Name)
		}
	}
	namedSame(t, "get alice", namedGet(t, e, "alice"), enc)
	namedSame(t, "get bob", namedGet(t, e, "bob"), sign)
	namedSame(t, "get binary", namedGet(t, e, string(bin.Name)), bin)
	if k := namedGet(t, e, "carol"); k != nil {
		t.Fatalf("absent name found: %q", k.Name)
	}
	if k := namedGet(t, e, "Alice"); k != nil {
		t.Fatal("names are case-sensitive: Alice found alice")
	}

	// An existing name is kept unless replace.
	other := namedSign("alice")
	if namedPut(t, e, other, false) {
		t.Fatal("put over an existing name without replace: done")
	}
	namedSame(t, "alice after a refused put", namedGet(t, e, "alice"), enc)
	if !namedPut(t, e, other, true) {
		t.Fatal("put with replace: not done")
	}
	namedSame(t, "alice after replace (of another kind)", namedGet(t, e, "alice"), other)

	// Persistent.
	e.reopen()
	namedSame(t, "alice after reopen", namedGet(t, e, "alice"), other)
	if got := namedNames(t, e); !slices.Equal(got, []string{string(bin.Name), "alice", "bob"}) {
		t.Fatalf("list: %q", got)
	}

	// Delete.
	del := func(name string) bool {
		return run(t, e, func(tx *storage.Tx) (bool, error) { return tx.DeleteNamedKey([]byte(name)) })
	}
	if !del("alice") {
		t.Fatal("delete alice: false")
	}
	if del("alice") {
		t.Fatal("delete alice twice: true")
	}
	if k := namedGet(t, e, "alice"); k != nil {
		t.Fatal("alice still there after delete")
	}
	if got := namedNames(t, e); !slices.Equal(got, []string{string(bin.Name), "bob"}) {
		t.Fatalf("list after delete: %q", got)
	}
	// Deleting in a read transaction is refused once the bucket exists.
	err := e.db.View(func(tx *storage.Tx) error { _, err := tx.DeleteNamedKey([]byte("bob")); return err })
	if !errors.Is(err, storage.ErrReadOnlyTx) {
		t.Fatalf("DeleteNamedKey in a read transaction: %v", err)
	}
	namedSame(t, "bob", namedGet(t, e, "bob"), sign)
}

func TestNamedKeysListSortedAndCopied(t *testing.T) {
	e := newEnv(t)
	names := []string{"zeta", "alpha", "mid", "beta", "Alpha", "a"}
	for i, n := range names {
		k := namedEnc(n)
		if i%2 == 1 {
			k = namedSign(n)
		}
		namedPut(t, e, k, false)
	}
	var keys []*storage.NamedKey
	err := e.db.View(func(tx *storage.Tx) error {
		var err error
		keys, err = tx.ListNamedKeys()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Used after the transaction: the returned names are copies.
	set(t, e, "churn", "x")
	var got []string
	for _, k := range keys {
		got = append(got, string(k.Name))
	}
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("list: %q, want %q", got, want)
	}
	for i, n := range names {
		k := namedGet(t, e, n)
		if wantKind := map[bool]byte{false: 'e', true: 's'}[i%2 == 1]; k.Kind != wantKind {
			t.Errorf("%s: kind %c, want %c", n, k.Kind, wantKind)
		}
	}
}

func TestNamedKeysOutsideKeyspace(t *testing.T) {
	e := newEnv(t)
	set(t, e, "data", "v")
	enc := namedEnc("data") // the same name as a data key: no clash
	namedPut(t, e, enc, false)
	namedPut(t, e, namedSign("signer"), false)
	check := func(when string) {
		t.Helper()
		if n := dbsize(t, e); n != 1 {
			t.Errorf("%s: DBSIZE %d, want 1", when, n)
		}
		keys := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.Keys([]byte("*")) })
		if got := strs(keys); !slices.Equal(got, []string{"data"}) {
			t.Errorf("%s: KEYS * = %q", when, got)
		}
		_, scanned := view2(t, e, func(tx *storage.Tx) (uint64, [][]byte, error) {
			return tx.Scan(0, nil, 1000, storage.TypeNone)
		})
		if got := strs(scanned); !slices.Equal(got, []string{"data"}) {
			t.Errorf("%s: SCAN = %q", when, got)
		}
		if ok := view(t, e, func(tx *storage.Tx) (bool, error) { return tx.Exists([]byte("signer")) }); ok {
			t.Errorf("%s: EXISTS signer", when)
		}
		if _, ok := get(t, e, "signer"); ok {
			t.Errorf("%s: GET signer found a value", when)
		}
	}
	check("before")
	wantGet(t, e, "data", "v")
	// Deleting the data key leaves the named key of the same name.
	run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Del([]byte("data")) })
	namedSame(t, "named data after DEL data", namedGet(t, e, "data"), enc)
	set(t, e, "data", "v")
	// FLUSHDB empties the keyspace, not the named keys.
	run(t, e, func(tx *storage.Tx) (struct{}, error) { return struct{}{}, tx.Flush() })
	if n := dbsize(t, e); n != 0 {
		t.Fatalf("DBSIZE after flush: %d", n)
	}
	if got := namedNames(t, e); !slices.Equal(got, []string{"data", "signer"}) {
		t.Fatalf("named keys after flush: %q", got)
	}
	namedSame(t, "named data after flush", namedGet(t, e, "data"), enc)
	set(t, e, "data", "v")
	check("after flush")
}

// view2 is view for functions of two results.
func view2[A, B any](t testing.TB, e *env, f func(*storage.Tx) (A, B, error)) (A, B) {
	t.Helper()
	var a A
	var b B
	err := e.db.View(func(tx *storage.Tx) error {
		var err error
		a, b, err = f(tx)
		return err
	})
	if err != nil {
		t.Fatalf("view: %v", err)
	}
	return a, b
}

func TestNamedKeysNotInClearOnDisk(t *testing.T) {
	e := newEnv(t)
	enc := namedEnc("NamedKeyKilo4471")
	sign := namedSign("NamedKeyLima8830")
	namedPut(t, e, enc, false)
	namedPut(t, e, sign, false)
	// A replaced and a deleted key leave nothing readable either.
	old := namedEnc("NamedKeyMike2290")
	namedPut(t, e, old, false)
	namedPut(t, e, namedEnc("NamedKeyMike2290"), true)
	gone := namedSign("NamedKeyNovember5512")
	namedPut(t, e, gone, false)
	run(t, e, func(tx *storage.Tx) (bool, error) { return tx.DeleteNamedKey(gone.Name) })
	e.close()
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for _, k := range []storage.NamedKey{enc, sign, old, gone} {
		secrets = append(secrets, k.Name, []byte(k.Secret), []byte(k.Public))
	}
	// The raw seed bytes too, not only their base64.
	for _, k := range []storage.NamedKey{sign, gone} {
		secrets = append(secrets, b64dec(t, k.Secret))
	}
	for _, s := range secrets {
		for _, form := range [][]byte{s, bytes.ToLower(s), utf16(string(s))} {
			if bytes.Contains(raw, form) {
				t.Errorf("%q appears in the database file", form)
			}
		}
	}
	e.open()
	namedSame(t, "enc after reopen", namedGet(t, e, string(enc.Name)), enc)
	namedSame(t, "sign after reopen", namedGet(t, e, string(sign.Name)), sign)
}

func b64dec(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// namedRecords lists the namedkeys bucket's (index, record) pairs.
func namedRecords(tx *bolt.Tx) (idx, rec [][]byte) {
	b := tx.Bucket([]byte("namedkeys"))
	if b == nil {
		return nil, nil
	}
	b.ForEach(func(k, v []byte) error {
		idx = append(idx, slices.Clone(k))
		rec = append(rec, slices.Clone(v))
		return nil
	})
	return idx, rec
}

func TestNamedKeysSealedToNameAndDatabase(t *testing.T) {
	t.Run("moved between names", func(t *testing.T) {
		e := newEnv(t)
		a, b := namedEnc("a"), namedEnc("b")
		namedPut(t, e, a, false)
		namedPut(t, e, b, false)
		e.close()
		rawBolt(t, e.path, func(tx *bolt.Tx) error {
			idx, rec := namedRecords(tx)
			if len(idx) != 2 {
				t.Fatalf("%d named records, want 2", len(idx))
			}
			// Each record under the other's index.
			bk := tx.Bucket([]byte("namedkeys"))
			if err := bk.Put(idx[0], rec[1]); err != nil {
				return err
			}
			return bk.Put(idx[1], rec[0])
		})
		e.open()
		for _, n := range []string{"a", "b"} {
			err := e.db.View(func(tx *storage.Tx) error { _, err := tx.GetNamedKey([]byte(n)); return err })
			if !storage.IsCorrupt(err) {
				t.Errorf("GetNamedKey(%s) after a swap: %v, want corrupt", n, err)
			}
		}
		err := e.db.View(func(tx *storage.Tx) error { _, err := tx.ListNamedKeys(); return err })
		if !storage.IsCorrupt(err) {
			t.Errorf("ListNamedKeys after a swap: %v, want corrupt", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		e := newEnv(t)
		k := namedSign("k")
		namedPut(t, e, k, false)
		e.close()
		rawBolt(t, e.path, func(tx *bolt.Tx) error {
			idx, rec := namedRecords(tx)
			rec[0][len(rec[0])-1] ^= 1
			return tx.Bucket([]byte("namedkeys")).Put(idx[0], rec[0])
		})
		e.open()
		err := e.db.View(func(tx *storage.Tx) error { _, err := tx.GetNamedKey([]byte("k")); return err })
		if !storage.IsCorrupt(err) {
			t.Fatalf("GetNamedKey of a tampered record: %v, want corrupt", err)
		}
		if bytes.Contains([]byte(err.Error()), []byte(k.Secret)) {
			t.Fatal("the error holds the secret")
		}
	})
	t.Run("another database id", func(t *testing.T) {
		e := newEnv(t)
		namedPut(t, e, namedEnc("k"), false)
		e.close()
		// Same file and key, another id: the file's binding refuses it at open (the
		// records' own binding is tested in filecheck_test.go with the binding out of the way).
		db, err := storage.Open(e.path, 2, e.opts)
		if err == nil {
			db.Close()
		}
		if !storage.IsCorrupt(err) {
			t.Fatalf("Open under another database id: %v, want corrupt", err)
		}
	})
	t.Run("another keyring", func(t *testing.T) {
		e := newEnv(t)
		namedPut(t, e, namedEnc("k"), false)
		e.close()
		other, err := crypto.NewKeyring(map[uint32][]byte{1: crypto.Random(crypto.KeySize)})
		if err != nil {
			t.Fatal(err)
		}
		db, err := storage.Open(e.path, 1, e.opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// Another key does not check the file's binding: Unlock refuses it, and so does
		// every use.
		if err := db.Unlock(other); !storage.IsCorrupt(err) {
			t.Fatalf("Unlock with another keyring: %v, want corrupt", err)
		}
		if err := db.View(func(*storage.Tx) error { return nil }); !storage.IsCorrupt(err) {
			t.Fatalf("View after a refused Unlock: %v, want corrupt", err)
		}
	})
}
