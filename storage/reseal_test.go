package storage_test

import (
	"path/filepath"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// TestResealWalk: a walk of one record per batch over strings, a hash and a list
// reseals every record under the new term, also those of a key renamed mid-walk (to a
// place before or after the cursor: the walk that follows catches what the first
// missed), and a walk that finds nothing under an old term reseals nothing. The file then holds term 2 alone and reads back under a keyring without
// term 1.
func TestResealWalk(t *testing.T) {
	e := newEnv(t)
	e.close() // a new file, bound under a key this test knows
	k1 := crypto.Random(crypto.KeySize)
	kr1, _ := crypto.NewKeyring(map[uint32][]byte{1: k1})
	e.path, e.kr = filepath.Join(t.TempDir(), "db1.db"), kr1
	e.open()
	for i := range 20 {
		set(t, e, "s"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.HSet([]byte("zz-hash"), bs("a", "1", "b", "2", "c", "3"))
	})
	rpush(t, e, "list", "x", "y", "z")

	k2 := crypto.Random(crypto.KeySize)
	kr12, _ := crypto.NewKeyring(map[uint32][]byte{1: k1, 2: k2})
	if err := e.db.Unlock(kr12); err != nil {
		t.Fatal(err)
	}
	walk := func(rename bool) int {
		var c storage.ResealCursor
		total := 0
		for i := 0; ; i++ {
			next, n, done, err := e.db.Reseal(c, 1)
			if err != nil {
				t.Fatal(err)
			}
			total += n
			if done {
				return total
			}
			c = next
			if rename && i == 2 { // a key moves; its values stay where they are
				run(t, e, func(tx *storage.Tx) (bool, error) {
					return tx.Rename([]byte("zz-hash"), []byte("a-hash"), false)
				})
			}
		}
	}
	first := walk(true)
	second := walk(false)
	if first == 0 || walk(false) != 0 {
		t.Errorf("walks resealed %d, %d, then more", first, second)
	}
	e.close()
	terms := map[uint32]int{}
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		for _, b := range []string{"keys", "data"} {
			tx.Bucket([]byte(b)).ForEach(func(_, v []byte) error {
				term, _ := crypto.RecordTerm(v)
				terms[term]++
				return nil
			})
		}
		return nil
	})
	if terms[1] != 0 || terms[2] == 0 {
		t.Errorf("records by term after the walks: %v", terms)
	}
	kr2, err := crypto.NewKeyring(map[uint32][]byte{0: crypto.NamingKeys(k1), 2: k2})
	if err != nil {
		t.Fatal(err)
	}
	e.kr = kr2
	e.open()
	wantGet(t, e, "s7", "v7")
	if h := hgetall(t, e, "a-hash"); len(h) != 3 || h["b"] != "2" {
		t.Errorf("the renamed hash: %v", h)
	}
	wantList(t, e, "list", "x", "y", "z")
}
