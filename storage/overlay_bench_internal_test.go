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
	var scratch change // as a view's lookups do
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(probe, keys[(i*7919)%len(keys)]) // a fresh slice, as a digest computed per command is
		if _, ok := l.find(probeItem(bKeys, probe, &scratch)); !ok {
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

// BenchmarkLayerAbsorb is the committer's step after each logged batch: a pending layer
// of 16 writes (half overwrites, half new keys) absorbed into the current one.
func BenchmarkLayerAbsorb(b *testing.B) {
	l, keys := benchLayer(b)
	fresh := make([][]byte, 8*b.N)
	for i := range fresh {
		fresh[i] = make([]byte, 32)
		rand.Read(fresh[i])
	}
	v := make([]byte, 150)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := newLayer()
		for j := 0; j < 8; j++ {
			p.put(bKeys, keys[(i*8+j)*7919%len(keys)], v, false)
			p.put(bKeys, fresh[i*8+j], v, false)
		}
		l.absorb(p)
	}
}
