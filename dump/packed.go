package dump

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
)

// The packed encodings Redis keeps small collections in: listpacks (Redis 7), ziplists
// (before 7) and intsets. Each is read entry by entry with every length checked against
// the blob, and the blob must end exactly where its header and terminator say.

// entry is one entry of a packed encoding as it is read, before anything is allocated:
// a string (aliasing the blob) or an integer.
type entry struct {
	s     []byte
	n     int64
	isInt bool
}

// walker is listpack, ziplist or intset bound to its blob.
type walker func(fn func(entry) error) (int, error)

// fill appends the entries of a blob to out: walk runs twice, first to check the whole
// blob and count its entries (nothing allocated), then to append them to an out grown
// once to its final size.
func (r *reader) fill(out *[][]byte, walk walker) error {
	n, err := walk(nil)
	if err != nil {
		return err
	}
	if err := r.charge(uint64(n) * ElemOverhead); err != nil {
		return err
	}
	*out = slices.Grow(*out, n)
	return r.appendEntries(out, walk)
}

// appendEntries is fill's second walk, when out already has room: strings alias the
// blob; integers become decimal text.
func (r *reader) appendEntries(out *[][]byte, walk walker) error {
	_, err := walk(func(e entry) error {
		if !e.isInt {
			*out = append(*out, e.s)
			return r.charge(uint64(len(e.s)))
		}
		d, err := r.digits(e.n)
		*out = append(*out, d)
		return err
	})
	return err
}

// listpack walks the entries of listpack lp, calling fn (if not nil) for each, and
// returns how many there are.
//
// Layout: total bytes (uint32 LE), entry count (uint16 LE, 65535: not kept), entries,
// 0xFF. An entry is its encoding and data, then its own length again ("backlen") so the
// list can be walked backwards.
func listpack(lp []byte, fn func(entry) error) (int, error) {
	if len(lp) < 7 || uint64(len(lp)) > math.MaxUint32 || binary.LittleEndian.Uint32(lp) != uint32(len(lp)) {
		return 0, formatErr("listpack header")
	}
	declared := int(binary.LittleEndian.Uint16(lp[4:]))
	p, n := lp[6:], 0
	for {
		if len(p) == 0 {
			return 0, formatErr("listpack without terminator")
		}
		if p[0] == 0xff {
			if len(p) != 1 {
				return 0, formatErr("bytes after the listpack terminator")
			}
			break
		}
		e, size, err := lpEntry(p)
		if err != nil {
			return 0, err
		}
		var back [5]byte
		bl := backlen(back[:], size)
		if len(p) < size+bl || !bytes.Equal(p[size:size+bl], back[:bl]) {
			return 0, formatErr("listpack entry back-length")
		}
		p = p[size+bl:]
		if fn != nil {
			if err := fn(e); err != nil {
				return 0, err
			}
		}
		n++
	}
	if declared != 0xffff && declared != n {
		return 0, formatErr("listpack declares %d entries and holds %d", declared, n)
	}
	return n, nil
}

// lpEntry decodes the listpack entry at the start of p, and the size of its encoding
// and data.
func lpEntry(p []byte) (entry, int, error) {
	b := p[0]
	var hdr, strLen int
	switch {
	case b&0x80 == 0: // 0xxxxxxx: 7-bit unsigned integer
		return entry{n: int64(b), isInt: true}, 1, nil
	case b&0xc0 == 0x80: // 10xxxxxx: string of up to 63 bytes
		hdr, strLen = 1, int(b&0x3f)
	case b&0xe0 == 0xc0: // 110xxxxx xxxxxxxx: 13-bit signed integer
		if len(p) < 2 {
			return entry{}, 0, formatErr("truncated listpack entry")
		}
		v := int64(b&0x1f)<<8 | int64(p[1])
		return entry{n: signExtend(v, 13), isInt: true}, 2, nil
	case b&0xf0 == 0xe0: // 1110xxxx xxxxxxxx: string of up to 4095 bytes
		if len(p) < 2 {
			return entry{}, 0, formatErr("truncated listpack entry")
		}
		hdr, strLen = 2, int(b&0x0f)<<8|int(p[1])
	case b == 0xf0: // then a uint32 LE length
		if len(p) < 5 {
			return entry{}, 0, formatErr("truncated listpack entry")
		}
		l := binary.LittleEndian.Uint32(p[1:])
		if uint64(l) > uint64(len(p)) {
			return entry{}, 0, formatErr("listpack string past its end")
		}
		hdr, strLen = 5, int(l)
	case b >= 0xf1 && b <= 0xf4: // 16, 24, 32 and 64-bit signed integers, LE
		w := [...]int{2, 3, 4, 8}[b-0xf1]
		if len(p) < 1+w {
			return entry{}, 0, formatErr("truncated listpack entry")
		}
		return entry{n: leInt(p[1 : 1+w]), isInt: true}, 1 + w, nil
	default:
		return entry{}, 0, formatErr("listpack encoding 0x%02x", b)
	}
	if hdr+strLen > len(p) {
		return entry{}, 0, formatErr("listpack string past its end")
	}
	return entry{s: p[hdr : hdr+strLen]}, hdr + strLen, nil
}

// backlen writes into buf the back-length of an entry of size l, as Redis writes it:
// 7 bits a byte, most significant first, every byte but the first with its top bit set.
// It returns how many bytes it used.
func backlen(buf []byte, l int) int {
	var n int
	switch {
	case l <= 127:
		n = 1
	case l < 16383:
		n = 2
	case l < 2097151:
		n = 3
	case l < 268435455:
		n = 4
	default:
		n = 5
	}
	for i := n - 1; i >= 0; i-- {
		buf[i] = byte(l & 127)
		if i != 0 {
			buf[i] |= 128
		}
		l >>= 7
	}
	return n
}

// signExtend reads the low bits bits of v as a two's complement number.
func signExtend(v int64, bits uint) int64 {
	shift := 64 - bits
	return v << shift >> shift
}

// leInt reads a little-endian two's complement integer of len(b) bytes (1 to 8).
func leInt(b []byte) int64 {
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	return signExtend(int64(u), uint(8*len(b)))
}

// ziplist walks the entries of ziplist zl as listpack walks a listpack.
//
// Layout: total bytes (uint32 LE), offset of the last entry (uint32 LE), entry count
// (uint16 LE, 65535: not kept), entries, 0xFF. An entry is the previous entry's length
// (1 byte, or 0xFE and 4 bytes LE), its encoding, and its data.
func ziplist(zl []byte, fn func(entry) error) (int, error) {
	const header = 10
	if len(zl) < header+1 || uint64(len(zl)) > math.MaxUint32 || binary.LittleEndian.Uint32(zl) != uint32(len(zl)) {
		return 0, formatErr("ziplist header")
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	declared := int(binary.LittleEndian.Uint16(zl[8:]))
	off, prev, last, n := header, 0, header, 0
	for {
		p := zl[off:]
		if p[0] == 0xff {
			if len(p) != 1 {
				return 0, formatErr("bytes after the ziplist terminator")
			}
			break
		}
		// The previous entry's length.
		pl, plSize := int(p[0]), 1
		if p[0] == 0xfe {
			if len(p) < 5 {
				return 0, formatErr("truncated ziplist entry")
			}
			pl, plSize = int(binary.LittleEndian.Uint32(p[1:])), 5
		}
		if pl != prev {
			return 0, formatErr("ziplist entry's previous length")
		}
		e, size, err := zlEntry(p[plSize:])
		if err != nil {
			return 0, err
		}
		// The terminator must still follow.
		if plSize+size >= len(p) {
			return 0, formatErr("ziplist entry past its end")
		}
		if fn != nil {
			if err := fn(e); err != nil {
				return 0, err
			}
		}
		last, prev = off, plSize+size
		off += prev
		n++
	}
	if tail != last {
		return 0, formatErr("ziplist tail offset")
	}
	if declared != 0xffff && declared != n {
		return 0, formatErr("ziplist declares %d entries and holds %d", declared, n)
	}
	return n, nil
}

// zlEntry decodes a ziplist entry's encoding and data at the start of p.
func zlEntry(p []byte) (entry, int, error) {
	if len(p) == 0 {
		return entry{}, 0, formatErr("truncated ziplist entry")
	}
	b := p[0]
	var hdr, strLen int
	switch {
	case b>>6 == 0: // 00xxxxxx: string of up to 63 bytes
		hdr, strLen = 1, int(b&0x3f)
	case b>>6 == 1: // 01xxxxxx xxxxxxxx: up to 16383 bytes, big endian
		if len(p) < 2 {
			return entry{}, 0, formatErr("truncated ziplist entry")
		}
		hdr, strLen = 2, int(b&0x3f)<<8|int(p[1])
	case b>>6 == 2: // 10______ then a uint32 big-endian length
		if len(p) < 5 {
			return entry{}, 0, formatErr("truncated ziplist entry")
		}
		l := binary.BigEndian.Uint32(p[1:])
		if uint64(l) > uint64(len(p)) {
			return entry{}, 0, formatErr("ziplist string past its end")
		}
		hdr, strLen = 5, int(l)
	case b >= 0xf1 && b <= 0xfd: // 1111xxxx: the integer xxxx-1, 0 to 12
		return entry{n: int64(b&0x0f) - 1, isInt: true}, 1, nil
	default:
		var w int
		switch b {
		case 0xfe:
			w = 1
		case 0xc0:
			w = 2
		case 0xf0:
			w = 3
		case 0xd0:
			w = 4
		case 0xe0:
			w = 8
		default:
			return entry{}, 0, formatErr("ziplist encoding 0x%02x", b)
		}
		if len(p) < 1+w {
			return entry{}, 0, formatErr("truncated ziplist entry")
		}
		return entry{n: leInt(p[1 : 1+w]), isInt: true}, 1 + w, nil
	}
	if hdr+strLen > len(p) {
		return entry{}, 0, formatErr("ziplist string past its end")
	}
	return entry{s: p[hdr : hdr+strLen]}, hdr + strLen, nil
}

// intset walks the members of intset is, as listpack walks a listpack.
//
// Layout: width (uint32 LE: 2, 4 or 8), count (uint32 LE), the members as
// little-endian integers of that width in strictly ascending order.
func intset(is []byte, fn func(entry) error) (int, error) {
	if len(is) < 8 {
		return 0, formatErr("intset header")
	}
	w := uint64(binary.LittleEndian.Uint32(is))
	n := uint64(binary.LittleEndian.Uint32(is[4:]))
	if w != 2 && w != 4 && w != 8 {
		return 0, formatErr("intset width %d", w)
	}
	if n*w != uint64(len(is)-8) {
		return 0, formatErr("intset of %d members in %d bytes", n, len(is))
	}
	var prev int64
	for i := range n {
		v := leInt(is[8+i*w : 8+(i+1)*w])
		if i > 0 && v <= prev {
			return 0, formatErr("intset members out of order")
		}
		prev = v
		if fn != nil {
			if err := fn(entry{n: v, isInt: true}); err != nil {
				return 0, err
			}
		}
	}
	return int(n), nil
}
