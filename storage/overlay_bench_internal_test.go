package storage

import (
	"crypto/rand"
	"testing"
)

// The overlay's point operations over a current layer of 100,000 keys (32-byte digests,
// as the keys bucket holds), the size a busy database's layer reaches between flushes:
// every SET looks its key up in it and then puts its record.
func benchLayer(b *testing.B) (*layer, [][]byte) {
	l := newLayer()
	keys := make([][]byte, 100_000)
	for i := range keys {
		keys[i] = make([]byte, 32)
		rand.Read(keys[i])
		l.put(bKeys, keys[i], make([]byte, 150), false)
	}
	return l, keys
}

func BenchmarkLayerGet(b *testing.B) {
	l, keys := benchLayer(b)
	probe := make([]byte, 32)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(probe, keys[(i*7919)%len(keys)]) // a fresh slice, as a digest computed per command is
		if _, ok := l.get(bKeys, probe); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkLayerPut(b *testing.B) {
	l, keys := benchLayer(b)
	v := make([]byte, 150)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.put(bKeys, keys[(i*7919)%len(keys)], v, false)
	}
}
