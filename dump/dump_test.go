package dump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// load returns the payload redis-server DUMPed for case name.
func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".dump"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign makes a payload of an RDB type byte and object: version and checksum appended.
func sign(body []byte, version uint16) []byte {
	p := binary.LittleEndian.AppendUint16(slices.Clone(body), version)
	return binary.LittleEndian.AppendUint64(p, Checksum(p))
}

// body strips a payload's footer.
func body(p []byte) []byte { return p[:len(p)-10] }

// same reports whether two values are equal, in order for lists and as collections
// otherwise (Redis's hash tables come in no particular order).
func same(a, b Value) bool {
	if a.Type != b.Type {
		return false
	}
	if a.Type == String {
		return bytes.Equal(a.Str, b.Str)
	}
	if len(a.Elems) != len(b.Elems) || len(a.Scores) != len(b.Scores) {
		return false
	}
	if a.Type == List {
		return slices.EqualFunc(a.Elems, b.Elems, bytes.Equal)
	}
	return maps(a) == maps(b)
}

// maps renders a set, hash or sorted set in a canonical order.
func maps(v Value) string {
	var items []string
	step := 1
	if v.Type == Hash {
		step = 2
	}
	for i := 0; i < len(v.Elems); i += step {
		s := string(v.Elems[i])
		switch v.Type {
		case Hash:
			s += "\x00" + string(v.Elems[i+1])
		case ZSet:
			s += "\x00" + string(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v.Scores[i])))
		}
		items = append(items, s)
	}
	slices.Sort(items)
	return strings.Join(items, "\x01")
}

func TestChecksumVector(t *testing.T) {
	// Redis's own test vector for its crc64 (src/crc64.c).
	if got := Checksum([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x", got)
	}
}

// Every value redis-server DUMPed decodes to what was written, and encodes back to a
// payload that decodes the same.
func TestDecodeRedisPayloads(t *testing.T) {
	for _, c := range redisCases {
		t.Run(c.name, func(t *testing.T) {
			p := load(t, c.name)
			if v := binary.LittleEndian.Uint16(p[len(p)-10:]); v != 10 {
				t.Fatalf("redis-server 7.0 wrote RDB version %d", v)
			}
			v, err := Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			if !same(v, c.want) {
				t.Fatalf("decoded %s of %d elements, not what was written", v.Type, v.Len())
			}
			again, err := Decode(Encode(v))
			if err != nil || !equal(again, v) {
				t.Fatalf("Decode(Encode(v)) = %v, %v", again.Type, err)
			}
		})
	}
}

// The encodings the payloads were meant to exercise are the ones redis-server used.
func TestRedisPayloadEncodings(t *testing.T) {
	for name, typ := range map[string]byte{
		"string_lzf": rdbString, "list_small": rdbListQuick2, "list_plain": rdbListQuick2,
		"set_intset": rdbSetIntset, "set_strings": rdbSet, "zset_listpack": rdbZSetListpack,
		"zset_skiplist": rdbZSet2, "hash_listpack": rdbHashListpack, "hash_hashtable": rdbHash,
	} {
		if p := load(t, name); p[0] != typ {
			t.Errorf("%s: RDB type %d, want %d", name, p[0], typ)
		}
	}
	if p := load(t, "string_lzf"); p[1] != 0xc3 {
		t.Errorf("string_lzf is not LZF-compressed: %#x", p[1])
	}
}

// equal is exact equality, order included: what a round trip through Encode keeps.
func equal(a, b Value) bool {
	return a.Type == b.Type && bytes.Equal(a.Str, b.Str) &&
		slices.EqualFunc(a.Elems, b.Elems, bytes.Equal) &&
		slices.EqualFunc(a.Scores, b.Scores, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, c := range redisCases {
		got, err := Decode(Encode(c.want))
		if err != nil || !equal(got, c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Length forms: 6, 14, 32 bits.
	for _, n := range []int{0, 63, 64, 16383, 16384, 70000} {
		v := Value{Type: String, Str: bytes.Repeat([]byte("z"), n)}
		if got, err := Decode(Encode(v)); err != nil || !equal(got, v) {
			t.Errorf("string of %d: %v", n, err)
		}
	}
}

func TestFooter(t *testing.T) {
	p := load(t, "string_raw")
	for name, q := range map[string][]byte{
		"short":          p[:9],
		"empty":          nil,
		"version 11":     sign(body(p), 11),
		"version 65535":  sign(body(p), 65535),
		"checksum flip":  append(slices.Clone(p[:len(p)-1]), p[len(p)-1]^1),
		"body flip":      append([]byte{p[0], p[1] ^ 0x20}, p[2:]...),
		"truncated":      p[:len(p)-1],
		"only a footer":  p[len(p)-10:],
		"extra trailing": append(slices.Clone(p), 0),
	} {
		if _, err := Decode(q); !errors.Is(err, ErrChecksum) {
			t.Errorf("%s: %v, want ErrChecksum", name, err)
		}
	}
	// Earlier versions are accepted, as Redis accepts them.
	for _, v := range []uint16{0, 9, 10} {
		if _, err := Decode(sign(body(p), v)); err != nil {
			t.Errorf("version %d: %v", v, err)
		}
	}
	if _, err := Decode(sign(nil, 10)); !errors.Is(err, ErrFormat) {
		t.Errorf("footer alone, signed: %v", err)
	}
}

// Cut at every byte, and signed again so the checksum passes: every prefix of every
// payload redis-server wrote is refused as bad data, without a panic.
func TestTruncatedEverywhere(t *testing.T) {
	for _, c := range redisCases {
		b := body(load(t, c.name))
		step := max(1, len(b)/1500) // the large ones at 1500 places, in less time
		for i := 0; i < len(b); i += step {
			if _, err := Decode(sign(b[:i], 10)); !errors.Is(err, ErrFormat) {
				t.Fatalf("%s cut at %d of %d: %v", c.name, i, len(b), err)
			}
		}
	}
}
