package storage_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/storage"
)

func sadd(t testing.TB, e *env, name string, members ...string) int64 {
	t.Helper()
	return run(t, e, func(tx *storage.Tx) (int64, error) { return tx.SAdd([]byte(name), bs(members...)) })
}

func smembers(t testing.TB, e *env, name string) []string {
	t.Helper()
	return sorted(strs(view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.SMembers([]byte(name)) })))
}

// setRecords are the bbolt keys of every set member record in the file.
func setRecords(tx *bolt.Tx) [][]byte {
	var out [][]byte
	for _, k := range dataKeysOf(tx) {
		if len(k) > 9 && k[8] == 's' {
			out = append(out, k)
		}
	}
	return out
}

func TestSetBasics(t *testing.T) {
	e := newEnv(t)
	if n := sadd(t, e, "s", "a", "b", "c", "a"); n != 3 {
		t.Fatalf("SADD = %d", n)
	}
	if n := sadd(t, e, "s", "c", "d"); n != 1 {
		t.Fatalf("SADD again = %d", n)
	}
	e.reopen()
	if got := smembers(t, e, "s"); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("SMEMBERS after reopen = %q", got)
	}
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.SCard([]byte("s")) }); n != 4 {
		t.Fatalf("SCARD = %d", n)
	}
	if typ := view(t, e, func(tx *storage.Tx) (storage.Type, error) { return tx.TypeOf([]byte("s")) }); typ != storage.TypeSet || typ.String() != "set" {
		t.Fatalf("TYPE = %v", typ)
	}
	oks := view(t, e, func(tx *storage.Tx) ([]bool, error) { return tx.SMIsMember([]byte("s"), bs("a", "z", "d")) })
	if !slices.Equal(oks, []bool{true, false, true}) {
		t.Fatalf("SMISMEMBER = %v", oks)
	}
	if n := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.SRem([]byte("s"), bs("a", "z", "b", "c", "d")) }); n != 4 {
		t.Fatalf("SREM = %d", n)
	}
	if dbsize(t, e) != 0 {
		t.Fatal("an emptied set is still counted")
	}
	// Deleting a set removes every member record in one range delete.
	sadd(t, e, "big", "1", "2", "3")
	if !run(t, e, func(tx *storage.Tx) (bool, error) { return tx.Del([]byte("big")) }) {
		t.Fatal("DEL big = false")
	}
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		if n := len(setRecords(tx)); n != 0 {
			return fmt.Errorf("%d member records left after DEL", n)
		}
		return nil
	})
	e.open()
}

func TestSetCombineStore(t *testing.T) {
	e := newEnv(t)
	sadd(t, e, "a", "1", "2", "3")
	sadd(t, e, "b", "2", "3", "4")
	set(t, e, "str", "v")
	for _, c := range []struct {
		op   storage.SetOp
		want []string
	}{
		{storage.SetInter, []string{"2", "3"}},
		{storage.SetUnion, []string{"1", "2", "3", "4"}},
		{storage.SetDiff, []string{"1"}},
	} {
		got := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.SCombine(c.op, bs("a", "b", "nokey")) })
		want := c.want
		if c.op == storage.SetInter {
			want = nil // an absent key is an empty set
		}
		if !slices.Equal(sorted(strs(got)), want) {
			t.Errorf("op %d with an absent key = %q, want %q", c.op, strs(got), want)
		}
		n := run(t, e, func(tx *storage.Tx) (int64, error) { return tx.SCombineStore(c.op, []byte("str"), bs("a", "b")) })
		if n != int64(len(c.want)) || !slices.Equal(smembers(t, e, "str"), c.want) {
			t.Errorf("op %d STORE = %d %q, want %q", c.op, n, smembers(t, e, "str"), c.want)
		}
	}
	if err := e.db.View(func(tx *storage.Tx) error {
		_, err := tx.SCombine(storage.SetUnion, bs("nokey", "str", "x"))
		return err
	}); err != nil {
		t.Fatalf("str is a set now: %v", err)
	}
	set(t, e, "str", "v")
	if err := e.db.View(func(tx *storage.Tx) error { _, err := tx.SCombine(storage.SetInter, bs("nokey", "str")); return err }); err != storage.ErrWrongType {
		t.Fatalf("SINTER with a string = %v", err)
	}
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.SInterCard(bs("a", "b"), 1) }); n != 1 {
		t.Fatalf("SINTERCARD LIMIT 1 = %d", n)
	}
}

// A member record copied over another member's slot, or into another set, fails to
// open: each is sealed to its key identity and slot.
func TestSetMemberMovedFailsToOpen(t *testing.T) {
	for _, where := range []string{"slot", "set"} {
		t.Run(where, func(t *testing.T) {
			e := newEnv(t)
			sadd(t, e, "A", "member-a1", "member-a2")
			sadd(t, e, "B", "member-b1")
			e.close()
			rawBolt(t, e.path, func(tx *bolt.Tx) error {
				recs := setRecords(tx)
				if len(recs) != 3 {
					return fmt.Errorf("found %d member records", len(recs))
				}
				// Records sort by key identity: A's two, then B's.
				d := tx.Bucket([]byte("data"))
				from, to := recs[0], recs[1]
				if where == "set" {
					to = recs[2]
				}
				return d.Put(to, slices.Clone(d.Get(from)))
			})
			e.open()
			name := "A"
			if where == "set" {
				name = "B"
			}
			err := e.db.View(func(tx *storage.Tx) error { _, err := tx.SMembers([]byte(name)); return err })
			if !storage.IsCorrupt(err) {
				t.Fatalf("SMEMBERS %s with a moved member: %v; want corrupt", name, err)
			}
			if bytes.Contains([]byte(err.Error()), []byte("member-")) {
				t.Fatalf("error names a member: %v", err)
			}
		})
	}
}

// A member record deleted behind herodb's back makes whole-set reads fail (the records
// no longer match the key record's count) instead of answering short.
func TestSetMemberDeletedIsCorrupt(t *testing.T) {
	e := newEnv(t)
	sadd(t, e, "S", "a", "b", "c")
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("data")).Delete(setRecords(tx)[1])
	})
	e.open()
	for name, f := range map[string]func(tx *storage.Tx) error{
		"SMEMBERS": func(tx *storage.Tx) error { _, err := tx.SMembers([]byte("S")); return err },
		"SUNION":   func(tx *storage.Tx) error { _, err := tx.SCombine(storage.SetUnion, bs("S")); return err },
		"SSCAN":    func(tx *storage.Tx) error { _, _, err := tx.SScan([]byte("S"), 0, nil, 100); return err },
	} {
		if err := e.db.View(f); !storage.IsCorrupt(err) {
			t.Errorf("%s with a deleted member record: %v; want corrupt", name, err)
		}
	}
	// SCARD reads the sealed count, as HLEN does.
	if n := view(t, e, func(tx *storage.Tx) (int64, error) { return tx.SCard([]byte("S")) }); n != 3 {
		t.Fatalf("SCARD = %d", n)
	}
}

// A big set whose member records were deleted behind herodb's back cannot make a
// seek-drawn SRANDMEMBER or SPOP look forever for members that are not there.
func TestSetRandomDrawOverMissingRecords(t *testing.T) {
	e := newEnv(t)
	var members []string
	for i := range 600 {
		members = append(members, fmt.Sprintf("m%d", i))
	}
	sadd(t, e, "S", members...)
	e.close()
	rawBolt(t, e.path, func(tx *bolt.Tx) error {
		d := tx.Bucket([]byte("data"))
		for _, k := range setRecords(tx)[10:] { // 10 records left of 600
			if err := d.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	e.open()
	if err := e.db.View(func(tx *storage.Tx) error { _, err := tx.SRandMember([]byte("S"), 100, true); return err }); !storage.IsCorrupt(err) {
		t.Fatalf("SRANDMEMBER 100 over 10 records: %v; want corrupt", err)
	}
	if err := e.db.Update(func(tx *storage.Tx) error { _, err := tx.SPop([]byte("S"), 100); return err }); !storage.IsCorrupt(err) {
		t.Fatalf("SPOP 100 over 10 records: %v; want corrupt", err)
	}
	// A draw with repeats never misses: it answers from the records there are.
	got := view(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.SRandMember([]byte("S"), 50, false) })
	if len(got) != 50 {
		t.Fatalf("SRANDMEMBER -50 = %d members", len(got))
	}
}

func TestSetNoPlaintextInFile(t *testing.T) {
	e := newEnv(t)
	secrets := []string{"SetKeyAlpha7431", "SetMemberBravo9902", "SetMemberCharlie2231", "SetKeyDelta5511", "SetStoreEcho8817"}
	sadd(t, e, secrets[0], secrets[1], secrets[2])
	run(t, e, func(tx *storage.Tx) (bool, error) {
		return tx.SMove([]byte(secrets[0]), []byte(secrets[3]), []byte(secrets[1]))
	})
	run(t, e, func(tx *storage.Tx) (int64, error) {
		return tx.SCombineStore(storage.SetUnion, []byte(secrets[4]), bs(secrets[0], secrets[3]))
	})
	e.close()
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(raw, []byte(s)) || bytes.Contains(raw, utf16(s)) {
			t.Errorf("%q appears in the database file", s)
		}
	}
	e.open()
	if got := smembers(t, e, secrets[4]); !slices.Equal(got, []string{secrets[1], secrets[2]}) {
		t.Fatalf("SMEMBERS = %q", got)
	}
}
