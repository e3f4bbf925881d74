package crypto

import (
	"bytes"
	"errors"
	"testing"
)

// TestNamingKeysOutliveTerm1: a keyring without term 1 but with its naming keys
// digests names and binds files exactly as one with term 1, and cannot open term 1's
// records.
func TestNamingKeysOutliveTerm1(t *testing.T) {
	k1, k2 := Random(KeySize), Random(KeySize)
	both, err := NewKeyring(map[uint32][]byte{1: k1, 2: k2})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := NewKeyring(map[uint32][]byte{1: k1})
	rec1 := old.Seal([]byte("aad"), []byte("under term 1"))
	after, err := NewKeyring(map[uint32][]byte{0: NamingKeys(k1), 2: k2})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after.Index('k', []byte("name")), both.Index('k', []byte("name"))) ||
		!bytes.Equal(after.FileMAC([]byte("f")), old.FileMAC([]byte("f"))) {
		t.Error("the naming keys give other digests than term 1 did")
	}
	if _, err := after.Open([]byte("aad"), rec1); !errors.Is(err, ErrUnknownTerm) {
		t.Errorf("a term 1 record opened without term 1: %v", err)
	}
	rec := both.Seal([]byte("aad"), []byte("x"))
	if term, ok := RecordTerm(rec); !ok || term != 2 || after.Current() != 2 {
		t.Errorf("record term %d %v, current %d", term, ok, after.Current())
	}
	resealed, err := both.Reseal([]byte("aad"), rec1)
	if term, _ := RecordTerm(resealed); err != nil || term != 2 {
		t.Fatalf("reseal: term %d, %v", term, err)
	}
	if pt, err := after.Open([]byte("aad"), resealed); err != nil || string(pt) != "under term 1" {
		t.Errorf("the resealed record: %q, %v", pt, err)
	}
	if _, err := NewKeyring(map[uint32][]byte{0: NamingKeys(k1)}); err == nil {
		t.Error("a keyring of naming keys alone, with no term to seal under")
	}
	if _, err := NewKeyring(map[uint32][]byte{2: k2}); err == nil {
		t.Error("a keyring without term 1 or its naming keys")
	}
}
