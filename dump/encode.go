package dump

import (
	"encoding/binary"
	"math"
)

// Encode writes v as a DUMP payload of RDB version Version in the plain encodings
// (a string; a list, set or hash as a count and strings; a sorted set with binary
// scores), which every Redis since 5.0 RESTOREs. Strings are written as they are,
// never compressed. v must hold at least one element: Decode, like RESTORE, refuses an
// empty collection.
func Encode(v Value) []byte {
	var b []byte
	switch v.Type {
	case String:
		b = append(b, rdbString)
		b = appendString(b, v.Str)
	case List, Set, Hash:
		b = append(b, map[Type]byte{List: rdbList, Set: rdbSet, Hash: rdbHash}[v.Type])
		b = appendLength(b, uint64(v.Len()))
		for _, e := range v.Elems {
			b = appendString(b, e)
		}
	case ZSet:
		b = append(b, rdbZSet2)
		b = appendLength(b, uint64(len(v.Elems)))
		for i, e := range v.Elems {
			b = appendString(b, e)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Scores[i]))
		}
	}
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, Checksum(b))
}

func appendString(b, s []byte) []byte { return append(appendLength(b, uint64(len(s))), s...) }

// appendLength writes an RDB length in the shortest form.
func appendLength(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|len14<<6, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, len32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, len64), n)
}
