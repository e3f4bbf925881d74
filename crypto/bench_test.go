package crypto

import "testing"

// BenchmarkIndex is the name digest every command computes once.
func BenchmarkIndex(b *testing.B) {
	kr, err := NewKeyring(map[uint32][]byte{1: Random(KeySize)})
	if err != nil {
		b.Fatal(err)
	}
	name := []byte("user:1000:session")
	b.ReportAllocs()
	for b.Loop() {
		kr.Index('k', name)
	}
}

// BenchmarkIndexFresh is the same digest with a new HMAC per call, as before the pool.
func BenchmarkIndexFresh(b *testing.B) {
	key := Random(KeySize)
	name := [][]byte{[]byte("user:1000:session")}
	b.ReportAllocs()
	for b.Loop() {
		keyedDigest(key, 'k', name)
	}
}
