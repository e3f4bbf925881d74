package crypto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"
)

func testRing(t *testing.T) *Keyring {
	t.Helper()
	kr, err := NewKeyring(map[uint32][]byte{1: bytes.Repeat([]byte{7}, KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestKeyring_SealOpen_RoundTrip(t *testing.T) {
	kr := testRing(t)
	rec := kr.Seal([]byte("place"), []byte("secret value"))
	if bytes.Contains(rec, []byte("secret value")) {
		t.Fatal("plaintext visible in record")
	}
	got, err := kr.Open([]byte("place"), rec)
	if err != nil || string(got) != "secret value" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestKeyring_Open_MovedRecordFails(t *testing.T) {
	kr := testRing(t)
	rec := kr.Seal([]byte("key-a"), []byte("v"))
	if _, err := kr.Open([]byte("key-b"), rec); !errors.Is(err, ErrOpen) {
		t.Fatalf("moved record: got %v, want ErrOpen", err)
	}
	rec[len(rec)-1] ^= 1
	if _, err := kr.Open([]byte("key-a"), rec); !errors.Is(err, ErrOpen) {
		t.Fatalf("tampered record: got %v, want ErrOpen", err)
	}
	if _, err := kr.Open([]byte("key-a"), rec[:5]); !errors.Is(err, ErrOpen) {
		t.Fatalf("short record: got %v", err)
	}
}

func TestKeyring_Terms(t *testing.T) {
	old := testRing(t)
	rec := old.Seal(nil, []byte("x"))
	kr, err := NewKeyring(map[uint32][]byte{1: bytes.Repeat([]byte{7}, KeySize), 2: bytes.Repeat([]byte{9}, KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Open(nil, rec); err != nil || string(got) != "x" {
		t.Fatalf("old term: %q %v", got, err)
	}
	rec2 := kr.Seal(nil, []byte("y"))
	if rec2[4] != 2 {
		t.Fatalf("new record term byte = %d, want 2", rec2[4])
	}
	if _, err := old.Open(nil, rec2); !errors.Is(err, ErrUnknownTerm) {
		t.Fatalf("unknown term: %v", err)
	}
}

func TestWrap_ErrorsHoldNoSecret(t *testing.T) {
	kek := bytes.Repeat([]byte{1}, KeySize)
	w, err := Wrap(kek, []byte("db:1"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unwrap(kek, []byte("db:2"), w); err == nil {
		t.Fatal("unwrap with other aad succeeded")
	} else if strings.Contains(err.Error(), "0123456789abcdef") {
		t.Fatal("error holds key material")
	}
	k, err := Unwrap(kek, []byte("db:1"), w)
	if err != nil || string(k) != "0123456789abcdef0123456789abcdef" {
		t.Fatal("unwrap failed")
	}
}

func TestKeyring_Index_Distinct(t *testing.T) {
	kr := testRing(t)
	if bytes.Equal(kr.Index('k', []byte("ab"), []byte("c")), kr.Index('k', []byte("a"), []byte("bc"))) {
		t.Fatal("index parts are ambiguous")
	}
	if bytes.Equal(kr.Index('k', []byte("a")), kr.Index('f', []byte("a"))) {
		t.Fatal("domains collide")
	}
}

// TestDeriveKEKReturnsItsMemory: after a derivation with the default parameters, the
// heap holds no 64 MiB block back from the OS (it did for minutes, showing as the
// server's RSS).
func TestDeriveKEKReturnsItsMemory(t *testing.T) {
	k := DeriveKEK([]byte("secret"), []byte("0123456789abcdef"), DefaultKDF)
	if len(k) != KeySize {
		t.Fatalf("key of %d bytes", len(k))
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if held := ms.HeapSys - ms.HeapReleased; held > 32<<20 {
		t.Fatalf("the heap holds %d MiB from the OS after DeriveKEK (in use %d MiB); want its 64 MiB given back",
			held>>20, ms.HeapInuse>>20)
	}
}

// TestWrapIsAKeyringRecord: Wrap and Unwrap build one term, not a keyring, and their
// records stay what they were (keys wrapped before are on disk): a record of term 1 of
// a keyring whose term derives from the wrapping key, each side opening the other's.
func TestWrapIsAKeyringRecord(t *testing.T) {
	kek := bytes.Repeat([]byte{3}, KeySize)
	key := []byte("0123456789abcdef0123456789abcdef")
	aad := []byte("db:7")
	kr, err := NewKeyring(map[uint32][]byte{1: derive(kek, labelWrap, nil)})
	if err != nil {
		t.Fatal(err)
	}
	w, err := Wrap(kek, aad, key)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Open(aad, w); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("a keyring opens Wrap's record: %q, %v", got, err)
	}
	if got, err := Unwrap(kek, aad, kr.Seal(aad, key)); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Unwrap opens a keyring's record: %q, %v", got, err)
	}
	if _, err := Unwrap(kek, []byte("db:8"), w); !errors.Is(err, ErrOpen) {
		t.Fatalf("another aad: %v, want ErrOpen", err)
	}
	if _, err := Unwrap(kek, aad, w[:Overhead-1]); !errors.Is(err, ErrOpen) {
		t.Fatalf("a cut record: %v, want ErrOpen", err)
	}
	two, err := NewKeyring(map[uint32][]byte{1: bytes.Repeat([]byte{1}, KeySize), 2: derive(kek, labelWrap, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unwrap(kek, aad, two.Seal(aad, key)); !errors.Is(err, ErrUnknownTerm) {
		t.Fatalf("a record of term 2: %v, want ErrUnknownTerm", err)
	}
}

// The name index is HMAC-SHA256 under the keyring's index key of the domain tag, then
// each part's 4-byte big-endian length and bytes: every name on disk is found by it, so
// a change to how it is computed would lose every key of every existing database.
func TestIndexDigestIsStable(t *testing.T) {
	kr := testRing(t)
	parts := [][]byte{[]byte("user:1"), {}, bytes.Repeat([]byte{0xff}, 300)}
	m := hmac.New(sha256.New, kr.index)
	m.Write([]byte{'k'})
	for _, p := range parts {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p))))
		m.Write(p)
	}
	want := m.Sum(nil)
	for i := 0; i < 3; i++ { // the pooled state is reused
		if got := kr.Index('k', parts...); !bytes.Equal(got, want) {
			t.Fatalf("Index = %x, want %x", got, want)
		}
	}
	// A known answer, so a change to the index key's derivation is caught too.
	if got := hex.EncodeToString(kr.Index('k', []byte("name"))); got != indexKnownAnswer {
		t.Fatalf("Index('k', name) under the test key = %s, want %s", got, indexKnownAnswer)
	}
}

// indexKnownAnswer is Index('k', "name") under testRing's key, as the code computed it
// before its pooled state kept the length scratch (checked at 71bb140).
const indexKnownAnswer = "4f2f09e94454c099298ef688f3291ddeb36e32eab7ef85396d5224f26b3da777"
