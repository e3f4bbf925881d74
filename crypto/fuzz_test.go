package crypto

import (
	"bytes"
	"testing"
)

// FuzzOpen: no input opens without being sealed by the key, and none panics.
func FuzzOpen(f *testing.F) {
	kr, _ := NewKeyring(map[uint32][]byte{1: bytes.Repeat([]byte{3}, KeySize)})
	f.Add([]byte("aad"), kr.Seal([]byte("aad"), []byte("value")))
	f.Add([]byte{}, []byte{1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, aad, record []byte) {
		pt, err := kr.Open(aad, record)
		if err == nil {
			// Only a genuine record opens; re-sealing must round-trip.
			if got, err := kr.Open(aad, kr.Seal(aad, pt)); err != nil || !bytes.Equal(got, pt) {
				t.Fatal("round trip failed")
			}
		}
	})
}
