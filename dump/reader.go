package dump

import (
	"encoding/binary"
	"math"
	"strconv"
)

// reader walks an object's bytes. Every read checks its length against what remains
// before it slices or allocates; budget is what the decoded value may still take.
type reader struct {
	b      []byte
	budget int
	arena  []byte // where integers are written as text (digits)
}

// take returns the next n bytes (aliasing the payload).
func (r *reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)) {
		return nil, formatErr("a length of %d with %d bytes left", n, len(r.b))
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s, nil
}

// charge takes n bytes from the budget, before they are allocated.
func (r *reader) charge(n uint64) error {
	if n > uint64(r.budget) {
		return ErrTooLarge
	}
	r.budget -= int(n)
	return nil
}

// RDB length encodings: the top two bits of the first byte.
const (
	len6     = 0    // 00xxxxxx
	len14    = 1    // 01xxxxxx xxxxxxxx
	len32    = 0x80 // 10000000, then 4 bytes big endian
	len64    = 0x81 // 10000001, then 8 bytes big endian
	lenEnc   = 3    // 11xxxxxx: a string in a special encoding, below
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// lengthOrEnc reads an RDB length, or reports the special string encoding it names.
func (r *reader) lengthOrEnc() (n uint64, encoded bool, err error) {
	b, err := r.take(1)
	if err != nil {
		return 0, false, err
	}
	switch b[0] >> 6 {
	case len6:
		return uint64(b[0] & 0x3f), false, nil
	case len14:
		c, err := r.take(1)
		if err != nil {
			return 0, false, err
		}
		return uint64(b[0]&0x3f)<<8 | uint64(c[0]), false, nil
	case lenEnc:
		return uint64(b[0] & 0x3f), true, nil
	}
	switch b[0] {
	case len32:
		c, err := r.take(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(c)), false, nil
	case len64:
		c, err := r.take(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(c), false, nil
	}
	return 0, false, formatErr("length encoding 0x%02x", b[0])
}

// length reads a plain RDB length.
func (r *reader) length() (uint64, error) {
	n, enc, err := r.lengthOrEnc()
	if err == nil && enc {
		err = formatErr("an encoded string where a length belongs")
	}
	return n, err
}

// count reads an element count, each of per strings: every string takes at least one
// byte, so a count past the bytes left is refused before anything is sized by it.
func (r *reader) count(per int) (int, error) {
	n, err := r.length()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.b))/uint64(per) {
		return 0, formatErr("a count of %d with %d bytes left", n, len(r.b))
	}
	return int(n), nil
}

// str reads an RDB string: raw, an integer, or LZF-compressed.
func (r *reader) str() ([]byte, error) {
	n, enc, err := r.lengthOrEnc()
	if err != nil {
		return nil, err
	}
	if !enc {
		return r.take(n)
	}
	switch n {
	case encInt8:
		b, err := r.take(1)
		if err != nil {
			return nil, err
		}
		return r.digits(int64(int8(b[0])))
	case encInt16:
		b, err := r.take(2)
		if err != nil {
			return nil, err
		}
		return r.digits(int64(int16(binary.LittleEndian.Uint16(b))))
	case encInt32:
		b, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return r.digits(int64(int32(binary.LittleEndian.Uint32(b))))
	case encLZF:
		return r.lzf()
	}
	return nil, formatErr("string encoding %d", n)
}

// elem reads a string that is an element of the value, and charges its bytes.
func (r *reader) elem() ([]byte, error) {
	s, err := r.str()
	if err != nil {
		return nil, err
	}
	return s, r.charge(uint64(len(s)))
}

// lzf reads a compressed length, an uncompressed length and the compressed bytes, and
// decompresses them to exactly that length.
func (r *reader) lzf() ([]byte, error) {
	clen, err := r.length()
	if err != nil {
		return nil, err
	}
	ulen, err := r.length()
	if err != nil {
		return nil, err
	}
	in, err := r.take(clen)
	if err != nil {
		return nil, err
	}
	if ulen == 0 || ulen > lzfMaxOut(len(in)) {
		return nil, formatErr("LZF length %d from %d bytes", ulen, len(in))
	}
	if err := r.charge(ulen); err != nil {
		return nil, err
	}
	out, err := lzfDecompress(in, int(ulen))
	if err != nil {
		return nil, formatErr("%v", err)
	}
	return out, nil
}

// digits is an integer as Redis shows it, decimal, written into the reader's arena
// (one allocation for many small integers) and charged to the budget.
func (r *reader) digits(v int64) ([]byte, error) {
	const most = 20 // len("-9223372036854775808")
	if err := r.charge(most); err != nil {
		return nil, err
	}
	if cap(r.arena)-len(r.arena) < most {
		r.arena = make([]byte, 0, arenaSize)
	}
	start := len(r.arena)
	r.arena = strconv.AppendInt(r.arena, v, 10)
	return r.arena[start:len(r.arena):len(r.arena)], nil
}

const arenaSize = 4096

// textScore reads a score of the old sorted-set encoding: a length byte (253 NaN, 254
// +inf, 255 -inf), then the number as text.
func (r *reader) textScore() (float64, error) {
	b, err := r.take(1)
	if err != nil {
		return 0, err
	}
	switch b[0] {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	s, err := r.take(uint64(b[0]))
	if err != nil {
		return 0, err
	}
	return parseScore(s)
}

// parseScore reads a score written as text (listpack and ziplist sorted sets, the old
// encoding); anything that is not a number is refused.
func parseScore(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, formatErr("score %q", b)
	}
	return f, nil
}
