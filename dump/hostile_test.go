package dump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strconv"
	"testing"
)

// Builders of hand-made objects, so each hostile payload says what it breaks.

func rdbStr(s string) []byte { return appendString(nil, []byte(s)) }

func obj(t byte, parts ...[]byte) []byte {
	return append([]byte{t}, bytes.Join(parts, nil)...)
}

func rdbLen(n uint64) []byte { return appendLength(nil, n) }

// lpEntryBytes encodes one listpack entry: a string, or an integer when s is one and
// asInt is set.
func lpEntryBytes(s string, asInt bool) []byte {
	var e []byte
	if v, err := strconv.ParseInt(s, 10, 64); err == nil && asInt {
		switch {
		case v >= 0 && v <= 127:
			e = []byte{byte(v)}
		case v >= -4096 && v <= 4095:
			e = []byte{0xc0 | byte(v>>8)&0x1f, byte(v)}
		case v >= math.MinInt16 && v <= math.MaxInt16:
			e = binary.LittleEndian.AppendUint16([]byte{0xf1}, uint16(v))
		case v >= -1<<23 && v < 1<<23:
			e = []byte{0xf2, byte(v), byte(v >> 8), byte(v >> 16)}
		case v >= math.MinInt32 && v <= math.MaxInt32:
			e = binary.LittleEndian.AppendUint32([]byte{0xf3}, uint32(v))
		default:
			e = binary.LittleEndian.AppendUint64([]byte{0xf4}, uint64(v))
		}
	} else {
		switch n := len(s); {
		case n < 64:
			e = append([]byte{0x80 | byte(n)}, s...)
		case n < 4096:
			e = append([]byte{0xe0 | byte(n>>8), byte(n)}, s...)
		default:
			e = append(binary.LittleEndian.AppendUint32([]byte{0xf0}, uint32(n)), s...)
		}
	}
	var back [5]byte
	return append(e, back[:backlen(back[:], len(e))]...)
}

// listpackOf builds a listpack of entries (integers encoded as integers).
func listpackOf(entries ...string) []byte {
	var body []byte
	for _, s := range entries {
		body = append(body, lpEntryBytes(s, true)...)
	}
	return lpWrap(body, len(entries))
}

func lpWrap(entries []byte, count int) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(6+len(entries)+1))
	b = binary.LittleEndian.AppendUint16(b, uint16(count))
	return append(append(b, entries...), 0xff)
}

// intsetOf builds an intset of width w.
func intsetOf(w int, vs ...int64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(w))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vs)))
	for _, v := range vs {
		for i := range w {
			b = append(b, byte(uint64(v)>>(8*i)))
		}
	}
	return b
}

// zlEntryBytes encodes one ziplist entry after a previous entry of length prev.
func zlEntryBytes(prev int, s string) []byte {
	var e []byte
	if prev < 254 {
		e = []byte{byte(prev)}
	} else {
		e = binary.LittleEndian.AppendUint32([]byte{0xfe}, uint32(prev))
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case v >= 0 && v <= 12:
			return append(e, 0xf1+byte(v))
		case v >= math.MinInt8 && v <= math.MaxInt8:
			return append(e, 0xfe, byte(v))
		case v >= math.MinInt16 && v <= math.MaxInt16:
			return binary.LittleEndian.AppendUint16(append(e, 0xc0), uint16(v))
		case v >= -1<<23 && v < 1<<23:
			return append(e, 0xf0, byte(v), byte(v>>8), byte(v>>16))
		case v >= math.MinInt32 && v <= math.MaxInt32:
			return binary.LittleEndian.AppendUint32(append(e, 0xd0), uint32(v))
		}
		return binary.LittleEndian.AppendUint64(append(e, 0xe0), uint64(v))
	}
	switch n := len(s); {
	case n < 64:
		e = append(e, byte(n))
	case n < 16384:
		e = append(e, 0x40|byte(n>>8), byte(n))
	default:
		e = binary.BigEndian.AppendUint32(append(e, 0x80), uint32(n))
	}
	return append(e, s...)
}

// ziplistOf builds a ziplist, as Redis before 7.0 wrote small lists, hashes and sorted
// sets.
func ziplistOf(entries ...string) []byte {
	var body []byte
	prev, tail := 0, 10
	for _, s := range entries {
		e := zlEntryBytes(prev, s)
		tail = 10 + len(body)
		body = append(body, e...)
		prev = len(e)
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(10+len(body)+1))
	b = binary.LittleEndian.AppendUint32(b, uint32(tail))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
	return append(append(b, body...), 0xff)
}

// lzfLiteral compresses nothing: s as literal runs.
func lzfLiteral(s []byte) []byte {
	var out []byte
	for len(s) > 0 {
		n := min(len(s), 32)
		out = append(append(out, byte(n-1)), s[:n]...)
		s = s[n:]
	}
	return out
}

// lzfRun is a back-reference stream making n copies of byte c: one literal, then
// references of 264 bytes to it.
func lzfRun(c byte, n int) []byte {
	out := []byte{0, c}
	for left := n - 1; left > 0; {
		l := min(left, 264)
		if l < 3 { // shorter than a reference: literals
			out = append(out, lzfLiteral(bytes.Repeat([]byte{c}, l))...)
			break
		}
		if l-2 >= 7 {
			out = append(out, 7<<5, byte(l-2-7), 0)
		} else {
			out = append(out, byte(l-2)<<5, 0)
		}
		left -= l
	}
	return out
}

func lzfString(compressed []byte, ulen uint64) []byte {
	b := []byte{0xc3}
	b = append(b, rdbLen(uint64(len(compressed)))...)
	b = append(b, rdbLen(ulen)...)
	return append(b, compressed...)
}

func TestLZF(t *testing.T) {
	want := bytes.Repeat([]byte("q"), 10000)
	v, err := Decode(sign(obj(rdbString, lzfString(lzfRun('q', 10000), 10000)), 10))
	if err != nil || !bytes.Equal(v.Str, want) {
		t.Fatalf("run of 10000: %v", err)
	}
	lit := []byte("literal bytes of more than thirty-two in length, twice over")
	if v, err := Decode(sign(obj(rdbString, lzfString(lzfLiteral(lit), uint64(len(lit)))), 10)); err != nil || !bytes.Equal(v.Str, lit) {
		t.Fatalf("literals: %v", err)
	}
	for name, s := range map[string][]byte{
		"declared longer":          lzfString(lzfLiteral(lit), uint64(len(lit)+1)),
		"declared shorter":         lzfString(lzfLiteral(lit), uint64(len(lit)-1)),
		"declared zero":            lzfString(lzfLiteral(lit), 0),
		"reference before start":   lzfString([]byte{0, 'a', 1 << 5, 5}, 4),
		"reference with no output": lzfString([]byte{1 << 5, 0}, 3),
		"literal past input":       lzfString([]byte{5, 'a'}, 6),
		"reference past input":     lzfString([]byte{0, 'a', 1 << 5}, 4),
		"long reference past":      lzfString([]byte{0, 'a', 7 << 5, 1}, 11),
		"compressed past payload":  append([]byte{0xc3}, append(rdbLen(1000), rdbLen(10)...)...),
		"bomb: 4 GiB from 9 bytes": lzfString(lzfRun('x', 10), 1<<32),
		"huge declared length":     append([]byte{0xc3, 0x05, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, lzfRun('x', 3)...),
	} {
		if _, err := Decode(sign(obj(rdbString, s), 10)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// An LZF bomb that is valid decodes only within the limit, and is refused before its
// memory is taken.
func TestDecodeLimit(t *testing.T) {
	p := sign(obj(rdbString, lzfString(lzfRun('b', 50<<20), 50<<20)), 10) // 50 MiB from ~600 KiB
	if _, err := DecodeLimit(p, 10<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("50 MiB under a 10 MiB limit: %v", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeLimit(p, 10<<20)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("refusing the bomb allocated %d bytes", grew)
	}
	if err == nil {
		t.Fatal("accepted")
	}
	// Many small LZF-compressed nodes add up against one limit.
	node := lzfString(lzfRun('c', 1<<20), 1<<20) // a 1 MiB plain element
	list := obj(rdbListQuick2, rdbLen(20))
	for range 20 {
		list = append(append(list, rdbLen(quickPlain)...), node...)
	}
	if _, err := DecodeLimit(sign(list, 10), 10<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("20 MiB of nodes under a 10 MiB limit: %v", err)
	}
	if v, err := DecodeLimit(sign(list, 10), 64<<20); err != nil || v.Len() != 20 {
		t.Fatalf("20 MiB of nodes under 64 MiB: %v", err)
	}
}

func TestHostile(t *testing.T) {
	lp := listpackOf("a", "b")
	for name, o := range map[string][]byte{
		"unknown type":             obj(99),
		"stream":                   obj(15, rdbLen(0)),
		"module":                   obj(7, rdbLen(0)),
		"zipmap":                   obj(9, rdbStr("\x02")),
		"listpack set (RDB 11)":    obj(20, rdbStr(string(lp))),
		"no object":                obj(rdbString),
		"bad length prefix":        obj(rdbString, []byte{0x82}),
		"string past end":          obj(rdbString, rdbLen(5), []byte("abc")),
		"32-bit length past end":   obj(rdbString, []byte{0x80, 0xff, 0xff, 0xff, 0xff}, []byte("abc")),
		"64-bit length past end":   obj(rdbString, []byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []byte("abc")),
		"bad string encoding":      obj(rdbString, []byte{0xc4}),
		"int8 truncated":           obj(rdbString, []byte{0xc0}),
		"int32 truncated":          obj(rdbString, []byte{0xc2, 1, 2}),
		"trailing bytes":           obj(rdbString, rdbStr("a"), []byte{0}),
		"list count past end":      obj(rdbList, rdbLen(1<<40), rdbStr("a")),
		"set count 2^64-1":         obj(rdbSet, []byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, rdbStr("a")),
		"count above entries":      obj(rdbSet, rdbLen(3), rdbStr("a"), rdbStr("b")),
		"count below entries":      obj(rdbSet, rdbLen(1), rdbStr("a"), rdbStr("b")),
		"empty list":               obj(rdbList, rdbLen(0)),
		"empty set":                obj(rdbSet, rdbLen(0)),
		"empty hash":               obj(rdbHash, rdbLen(0)),
		"empty zset":               obj(rdbZSet2, rdbLen(0)),
		"duplicate set member":     obj(rdbSet, rdbLen(3), rdbStr("a"), rdbStr("b"), rdbStr("a")),
		"duplicate as int":         obj(rdbSet, rdbLen(2), rdbStr("7"), []byte{0xc0, 7}),
		"duplicate hash field":     obj(rdbHash, rdbLen(2), rdbStr("f"), rdbStr("1"), rdbStr("f"), rdbStr("2")),
		"duplicate zset member":    obj(rdbZSet2, rdbLen(2), rdbStr("m"), make([]byte, 8), rdbStr("m"), make([]byte, 8)),
		"NaN score":                obj(rdbZSet2, rdbLen(1), rdbStr("m"), binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN()))),
		"score truncated":          obj(rdbZSet2, rdbLen(1), rdbStr("m"), make([]byte, 7)),
		"old zset NaN":             obj(rdbZSet, rdbLen(1), rdbStr("m"), []byte{253}),
		"old zset bad score":       obj(rdbZSet, rdbLen(1), rdbStr("m"), []byte{3}, []byte("1x2")),
		"old zset score past end":  obj(rdbZSet, rdbLen(1), rdbStr("m"), []byte{30}, []byte("12")),
		"quicklist no nodes":       obj(rdbListQuick2, rdbLen(0)),
		"quicklist bad container":  obj(rdbListQuick2, rdbLen(1), rdbLen(3), rdbStr(string(lp))),
		"quicklist empty node":     obj(rdbListQuick2, rdbLen(1), rdbLen(quickPlain), rdbStr("")),
		"quicklist only empty lps": obj(rdbListQuick2, rdbLen(2), rdbLen(quickPacked), rdbStr(string(lpWrap(nil, 0))), rdbLen(quickPacked), rdbStr(string(lpWrap(nil, 0)))),
		"quicklist node count":     obj(rdbListQuick2, rdbLen(2), rdbLen(quickPacked), rdbStr(string(lp))),
		"quicklist bad listpack":   obj(rdbListQuick2, rdbLen(1), rdbLen(quickPacked), rdbStr("not a listpack")),
		"listpack wrong total":     obj(rdbHashListpack, rdbStr(string(append(lp[:0:0], append([]byte{byte(len(lp) + 1)}, lp[1:]...)...)))),
		"listpack count mismatch":  obj(rdbHashListpack, rdbStr(string(lpWrap(bytes.Join([][]byte{lpEntryBytes("a", false), lpEntryBytes("b", false)}, nil), 3)))),
		"listpack no terminator":   obj(rdbHashListpack, rdbStr(string(lp[:len(lp)-1]))),
		"listpack odd hash":        obj(rdbHashListpack, rdbStr(string(listpackOf("a", "b", "c")))),
		"listpack dup field":       obj(rdbHashListpack, rdbStr(string(listpackOf("a", "1", "a", "2")))),
		"listpack dup int member":  obj(rdbZSetListpack, rdbStr(string(lpWrap(append(lpEntryBytes("5", true), append(lpEntryBytes("1", true), append(lpEntryBytes("5", false), lpEntryBytes("2", true)...)...)...), 4)))),
		"listpack zset bad score":  obj(rdbZSetListpack, rdbStr(string(listpackOf("m", "abc")))),
		"listpack zset NaN":        obj(rdbZSetListpack, rdbStr(string(listpackOf("m", "nan")))),
		"listpack zset odd":        obj(rdbZSetListpack, rdbStr(string(listpackOf("m", "1", "n")))),
		"listpack empty hash":      obj(rdbHashListpack, rdbStr(string(lpWrap(nil, 0)))),
		"listpack bad encoding":    obj(rdbHashListpack, rdbStr(string(lpWrap([]byte{0xf5, 1}, 1)))),
		"listpack bad backlen":     obj(rdbHashListpack, rdbStr(string(lpWrap(append(lpEntryBytes("ab", false)[:3], 7), 1)))),
		"listpack string past end": obj(rdbHashListpack, rdbStr(string(lpWrap([]byte{0x80 | 40, 'a', 2}, 1)))),
		"listpack 32-bit str huge": obj(rdbHashListpack, rdbStr(string(lpWrap([]byte{0xf0, 0xff, 0xff, 0xff, 0x7f, 'a', 6}, 1)))),
		"listpack int truncated":   obj(rdbHashListpack, rdbStr(string(lpWrap([]byte{0xf4, 1, 2}, 1)))),
		"listpack after end":       obj(rdbHashListpack, rdbStr(string(append(lpWrap(nil, 0)[:6:6], 0xff, 0x00)))),
		"intset empty":             obj(rdbSetIntset, rdbStr(string(intsetOf(2)))),
		"intset unsorted":          obj(rdbSetIntset, rdbStr(string(intsetOf(2, 3, 1)))),
		"intset duplicate":         obj(rdbSetIntset, rdbStr(string(intsetOf(4, 1, 1)))),
		"intset width 3":           obj(rdbSetIntset, rdbStr(string(intsetOf(3, 1, 2)))),
		"intset count past end":    obj(rdbSetIntset, rdbStr(string(intsetOf(8, 1, 2)[:20]))),
		"intset count huge":        obj(rdbSetIntset, rdbStr("\x08\x00\x00\x00\xff\xff\xff\xff")),
		"intset short header":      obj(rdbSetIntset, rdbStr("\x02\x00\x00")),
		"ziplist empty":            obj(rdbListZiplist, rdbStr(string(ziplistOf()))),
		"ziplist bad prevlen":      obj(rdbListZiplist, rdbStr(string(func() []byte { z := ziplistOf("a", "b"); z[13] = 9; return z }()))),
		"ziplist bad tail":         obj(rdbListZiplist, rdbStr(string(func() []byte { z := ziplistOf("a", "b"); z[4] = 10; return z }()))),
		"ziplist count mismatch":   obj(rdbListZiplist, rdbStr(string(func() []byte { z := ziplistOf("a", "b"); z[8] = 3; return z }()))),
		"ziplist bad encoding":     obj(rdbListZiplist, rdbStr(string(func() []byte { z := ziplistOf("a"); z[11] = 0xc1; return z }()))),
		"ziplist no terminator":    obj(rdbListZiplist, rdbStr(string(func() []byte { z := ziplistOf("a"); return z[:len(z)-1] }()))),
		"ziplist hash odd":         obj(rdbHashZiplist, rdbStr(string(ziplistOf("a", "1", "b")))),
		"ziplist hash dup":         obj(rdbHashZiplist, rdbStr(string(ziplistOf("a", "1", "a", "2")))),
		"ziplist zset bad score":   obj(rdbZSetZiplist, rdbStr(string(ziplistOf("a", "x")))),
		"ziplist node in quick v1": obj(rdbListQuicklist, rdbLen(1), rdbStr(string(listpackOf("a")))),
	} {
		if _, err := Decode(sign(o, 10)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", name, err)
		}
	}
}

// What Redis before 7.0 wrote (ziplists, quicklists of ziplists, the plain list and the
// old sorted set) and what it may still send (every listpack integer width).
func TestOlderEncodings(t *testing.T) {
	ints := []string{"0", "12", "13", "-128", "127", "-32768", "32767", "-8388608", "8388607", "-2147483648", "2147483647", "-9223372036854775808", "9223372036854775807"}
	long := string(bytes.Repeat([]byte("L"), 300))
	for name, c := range map[string]struct {
		o    []byte
		want Value
	}{
		"ziplist list": {obj(rdbListZiplist, rdbStr(string(ziplistOf(append([]string{"a", long, "b"}, ints...)...)))),
			Value{Type: List, Elems: strs(append([]string{"a", long, "b"}, ints...)...)}},
		"ziplist hash": {obj(rdbHashZiplist, rdbStr(string(ziplistOf("f", "1", "g", "two")))),
			Value{Type: Hash, Elems: strs("f", "1", "g", "two")}},
		"ziplist zset": {obj(rdbZSetZiplist, rdbStr(string(ziplistOf("a", "1", "b", "2.5", "c", "-inf")))),
			Value{Type: ZSet, Elems: strs("a", "b", "c"), Scores: []float64{1, 2.5, math.Inf(-1)}}},
		"quicklist v1": {obj(rdbListQuicklist, rdbLen(2), rdbStr(string(ziplistOf("a", "1"))), rdbStr(string(ziplistOf("b")))),
			Value{Type: List, Elems: strs("a", "1", "b")}},
		"plain list": {obj(rdbList, rdbLen(2), rdbStr("x"), []byte{0xc1, 0x39, 0x30}),
			Value{Type: List, Elems: strs("x", "12345")}},
		"old zset": {obj(rdbZSet, rdbLen(3), rdbStr("a"), []byte{3}, []byte("1.5"), rdbStr("b"), []byte{254}, rdbStr("c"), []byte{255}),
			Value{Type: ZSet, Elems: strs("a", "b", "c"), Scores: []float64{1.5, math.Inf(1), math.Inf(-1)}}},
		"listpack ints": {obj(rdbListQuick2, rdbLen(1), rdbLen(quickPacked), rdbStr(string(listpackOf(ints...)))),
			Value{Type: List, Elems: strs(ints...)}},
		"listpack long strings": {obj(rdbListQuick2, rdbLen(1), rdbLen(quickPacked), rdbStr(string(listpackOf("s", long, string(bytes.Repeat([]byte("M"), 5000)))))),
			Value{Type: List, Elems: strs("s", long, string(bytes.Repeat([]byte("M"), 5000)))}},
		"listpack count unknown": {obj(rdbHashListpack, rdbStr(string(lpWrap(append(lpEntryBytes("f", false), lpEntryBytes("v", false)...), 0xffff)))),
			Value{Type: Hash, Elems: strs("f", "v")}},
		"empty listpack node skipped": {obj(rdbListQuick2, rdbLen(2), rdbLen(quickPacked), rdbStr(string(lpWrap(nil, 0))), rdbLen(quickPacked), rdbStr(string(lp1))),
			Value{Type: List, Elems: strs("only")}},
		"ziplist big prevlen": {obj(rdbListZiplist, rdbStr(string(ziplistOf(long, "after")))),
			Value{Type: List, Elems: strs(long, "after")}},
	} {
		v, err := Decode(sign(c.o, 10))
		if err != nil || !equal(v, c.want) {
			t.Errorf("%s: %v (%d elements)", name, err, v.Len())
		}
	}
}

var lp1 = listpackOf("only")
