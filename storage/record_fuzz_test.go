package storage

import (
	"bytes"
	"testing"
)

// FuzzRecordDecode: the plaintext decoders of key records, hash fields and named keys,
// fed anything a damaged or forged file could hold, never panic; what decodes
// re-encodes to the same bytes, so no two inputs mean the same record.
func FuzzRecordDecode(f *testing.F) {
	f.Add((&meta{id: 7, typ: TypeHash, count: 2, name: []byte("k")}).appendEncoded(nil))
	f.Add((&meta{id: 1, typ: TypeString}).appendEncoded(nil))
	f.Add(encodeField([]byte("field"), []byte("value")))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := decodeMeta(b); err == nil {
			if !bytes.Equal(m.appendEncoded(nil), b) {
				t.Fatalf("key record %x re-encodes to %x", b, m.appendEncoded(nil))
			}
			if m.count < 0 {
				t.Fatalf("negative count from %x", b)
			}
		}
		if field, value, err := decodeField(b); err == nil {
			if got := encodeField(field, value); !bytes.Equal(got, b) {
				t.Fatalf("field record %x re-encodes to %x", b, got)
			}
		}
		decodeNamedKey(b)
	})
}
