package server

// Bitmap commands: https://redis.io/docs/latest/commands/?group=bitmap. A bitmap is a
// string; bit 0 is the most significant bit of the first byte, as in Redis.

import (
	"math"
	"math/bits"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// bitmapCommands registers this file's commands (called from stringCommands).
func bitmapCommands() {
	register("bitmap",
		k1(&command{name: "setbit", arity: 4, flags: flagWrite, run: setbitCmd,
			syntax: "SETBIT key offset 0|1", summary: "Sets or clears one bit; answers its previous value."}),
		k1(&command{name: "getbit", arity: 3, flags: flagRead | flagFast, run: getbitCmd,
			syntax: "GETBIT key offset", summary: "The bit at offset (0 past the end)."}),
		k1(&command{name: "bitcount", arity: -2, flags: flagRead, run: bitcountCmd,
			syntax: "BITCOUNT key [start end [BYTE|BIT]]", summary: "How many bits are set, in the whole string or a range."}),
		k1(&command{name: "bitpos", arity: -3, flags: flagRead, run: bitposCmd,
			syntax: "BITPOS key 0|1 [start [end [BYTE|BIT]]]", summary: "The position of the first bit set (or clear)."}),
		&command{name: "bitop", arity: -4, flags: flagWrite, firstKey: 2, lastKey: -1, step: 1, run: bitopCmd,
			syntax: "BITOP AND|OR|XOR|NOT destkey key [key ...]", summary: "Stores the bitwise operation of strings; answers its length."},
	)
	bitfieldCommands()
}

// bitOffset parses a bit offset as SETBIT and GETBIT take it.
func bitOffset(b []byte) (int64, bool) {
	n, err := parseInt(b)
	return n, err == nil && n >= 0 && n <= storage.MaxBitOffset
}

// SETBIT key offset value
func setbitCmd(c *call) error {
	off, ok := bitOffset(c.args[2])
	if !ok {
		c.r.err(errBitOffset)
		return nil
	}
	if v := string(c.args[3]); v != "0" && v != "1" {
		c.r.err(errBitValue)
		return nil
	}
	old, err := c.tx.SetBit(c.args[1], off, c.args[3][0]-'0')
	if err != nil {
		return c.fail(err)
	}
	c.notify(nfString, "setbit", c.args[1]) // dropped by the runner when nothing changed
	c.r.int(int64(old))
	return nil
}

// GETBIT key offset
func getbitCmd(c *call) error {
	off, ok := bitOffset(c.args[2])
	if !ok {
		c.r.err(errBitOffset)
		return nil
	}
	v, _, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.int(int64(bitAt(v, off)))
	return nil
}

func bitAt(v []byte, pos int64) byte {
	if pos/8 >= int64(len(v)) {
		return 0
	}
	return v[pos/8] >> (7 - pos%8) & 1
}

// bitRange turns BITCOUNT's and BITPOS's start and end (bytes, or bits with BIT;
// negative from the end) into an inclusive range of bit positions of v; ok is false for
// an empty range.
func bitRange(v []byte, start, end int64, isBit bool) (from, to int64, ok bool) {
	total := int64(len(v))
	if isBit {
		total *= 8
	}
	if start < 0 {
		start = max(total+start, 0)
	}
	if end < 0 {
		end = max(total+end, 0)
	}
	end = min(end, total-1)
	if start > end {
		return 0, 0, false
	}
	if isBit {
		return start, end, true
	}
	return start * 8, end*8 + 7, true
}

// rangeUnit reads BYTE or BIT.
func rangeUnit(b []byte) (isBit, ok bool) {
	switch strings.ToLower(string(b)) {
	case "bit":
		return true, true
	case "byte":
		return false, true
	}
	return false, false
}

// BITCOUNT key [start end [BYTE|BIT]]
func bitcountCmd(c *call) error {
	v, ok, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if !ok {
		c.r.int(0) // as Redis: a missing key counts 0, whatever follows
		return nil
	}
	from, to := int64(0), int64(len(v))*8-1
	switch n := len(c.args); {
	case n == 4 || n == 5:
		start, err1 := parseInt(c.args[2])
		end, err2 := parseInt(c.args[3])
		if err1 != nil || err2 != nil {
			c.r.err(errNotInteger)
			return nil
		}
		isBit := false
		if n == 5 {
			if isBit, ok = rangeUnit(c.args[4]); !ok {
				c.r.err(errSyntax)
				return nil
			}
		}
		if start < 0 && end < 0 && start > end {
			c.r.int(0)
			return nil
		}
		if from, to, ok = bitRange(v, start, end, isBit); !ok {
			c.r.int(0)
			return nil
		}
	case n != 2:
		c.r.err(errSyntax)
		return nil
	}
	c.r.int(countBits(v, from, to))
	return nil
}

// countBits counts the bits set in positions from..to of v, a byte at a time where it
// can.
func countBits(v []byte, from, to int64) int64 {
	n := int64(0)
	for p := from; p <= to; {
		if p%8 == 0 && p+7 <= to {
			n += int64(bits.OnesCount8(v[p/8]))
			p += 8
			continue
		}
		n += int64(bitAt(v, p))
		p++
	}
	return n
}

// BITPOS key bit [start [end [BYTE|BIT]]]
func bitposCmd(c *call) error {
	want, err := parseInt(c.args[2])
	if err != nil {
		c.r.err(errNotInteger)
		return nil
	}
	if want != 0 && want != 1 {
		c.r.err(errBitArg)
		return nil
	}
	v, ok, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if !ok {
		// A missing key is an endless run of zero bits.
		c.r.int(map[int64]int64{0: 0, 1: -1}[want])
		return nil
	}
	n := len(c.args)
	if n > 6 {
		c.r.err(errSyntax)
		return nil
	}
	isBit, endGiven := false, n >= 5
	start, end := int64(0), int64(-1)
	if n >= 4 {
		if start, err = parseInt(c.args[3]); err != nil {
			c.r.err(errNotInteger)
			return nil
		}
	}
	if n == 6 {
		if isBit, ok = rangeUnit(c.args[5]); !ok {
			c.r.err(errSyntax)
			return nil
		}
	}
	if endGiven {
		if end, err = parseInt(c.args[4]); err != nil {
			c.r.err(errNotInteger)
			return nil
		}
	}
	from, to, ok := bitRange(v, start, end, isBit)
	if !ok {
		c.r.int(-1) // an empty range holds neither a 0 nor a 1
		return nil
	}
	for p := from; p <= to; {
		if p%8 == 0 && p+7 <= to {
			if b := v[p/8]; (want == 1 && b == 0) || (want == 0 && b == 0xff) {
				p += 8
				continue
			}
		}
		if int64(bitAt(v, p)) == want {
			c.r.int(p)
			return nil
		}
		p++
	}
	if want == 0 && !endGiven {
		c.r.int(to + 1) // past the string, the bits are zero
		return nil
	}
	c.r.int(-1)
	return nil
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]
func bitopCmd(c *call) error {
	op := strings.ToLower(string(c.args[1]))
	switch op {
	case "and", "or", "xor":
	case "not":
		if len(c.args) != 4 {
			c.r.err(errBitopNot)
			return nil
		}
	default:
		c.r.err(errSyntax)
		return nil
	}
	srcs := make([][]byte, 0, len(c.args)-3)
	longest := 0
	for _, k := range c.args[3:] {
		v, _, err := c.tx.Get(k)
		if err != nil {
			return c.fail(err)
		}
		srcs = append(srcs, v)
		longest = max(longest, len(v))
	}
	out := make([]byte, longest)
	for i := range out {
		var b byte
		for j, s := range srcs {
			x := byte(0)
			if i < len(s) {
				x = s[i]
			}
			switch {
			case op == "not":
				b = ^x
			case j == 0:
				b = x
			case op == "and":
				b &= x
			case op == "or":
				b |= x
			default:
				b ^= x
			}
		}
		out[i] = b
	}
	if longest == 0 {
		deleted, err := c.tx.Del(c.args[2])
		if err != nil {
			return c.fail(err)
		}
		if deleted {
			c.notify(nfGeneric, "del", c.args[2])
		}
		c.r.int(0)
		return nil
	}
	if _, err := c.tx.Set(c.args[2], out, storage.SetOptions{}); err != nil {
		return c.fail(err)
	}
	c.notify(nfString, "set", c.args[2])
	c.r.int(int64(longest))
	return nil
}

// bitfieldCommands registers BITFIELD and BITFIELD_RO (called from bitmapCommands).
func bitfieldCommands() {
	register("bitmap",
		k1(&command{name: "bitfield", arity: -2, flags: flagWrite, run: bitfieldCmd,
			syntax:  "BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...",
			summary: "Reads and writes integers of 1 to 64 bits at bit offsets of a string."}),
		k1(&command{name: "bitfield_ro", arity: -2, flags: flagRead, run: bitfieldCmd,
			syntax: "BITFIELD_RO key [GET type offset] ...", summary: "BITFIELD's GET alone, for read-only access."}),
	)
}

// bfOp is one operation of a BITFIELD call.
type bfOp struct {
	kind     byte // 'g', 's', 'i'
	signed   bool
	bits     int
	offset   int64
	value    int64
	overflow byte // 'w' wrap, 's' saturate, 'f' fail
}

// parseBitfieldType reads i1..i64 or u1..u63.
func parseBitfieldType(b []byte) (signed bool, bits int, ok bool) {
	if len(b) < 2 || (b[0] != 'i' && b[0] != 'I' && b[0] != 'u' && b[0] != 'U') {
		return false, 0, false
	}
	n, err := parseInt(b[1:])
	signed = b[0] == 'i' || b[0] == 'I'
	if err != nil || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

// parseBitfieldOffset reads an offset in bits, or #n: n fields of this type.
func parseBitfieldOffset(b []byte, bits int) (int64, bool) {
	mul := int64(1)
	if len(b) > 0 && b[0] == '#' {
		b, mul = b[1:], int64(bits)
	}
	n, err := parseInt(b)
	if err != nil {
		return 0, false
	}
	n *= mul
	return n, n >= 0 && n>>3 < storage.MaxStringSize
}

// BITFIELD key ops... and BITFIELD_RO key GET ...
func bitfieldCmd(c *call) error {
	ro := c.row.name == "bitfield_ro"
	var ops []bfOp
	overflow := byte('w')
	writes, highest := false, int64(-1)
	for i := 2; i < len(c.args); {
		sub := strings.ToLower(string(c.args[i]))
		if sub == "overflow" {
			if i+1 >= len(c.args) {
				c.r.err(errSyntax)
				return nil
			}
			switch strings.ToLower(string(c.args[i+1])) {
			case "wrap":
				overflow = 'w'
			case "sat":
				overflow = 's'
			case "fail":
				overflow = 'f'
			default:
				c.r.err(errBitfieldOverflow)
				return nil
			}
			i += 2
			continue
		}
		need := map[string]int{"get": 3, "set": 4, "incrby": 4}[sub]
		if need == 0 || i+need > len(c.args) {
			c.r.err(errSyntax)
			return nil
		}
		if ro && sub != "get" {
			c.r.err(errBitfieldRO)
			return nil
		}
		signed, bits, ok := parseBitfieldType(c.args[i+1])
		if !ok {
			c.r.err(errBitfieldType)
			return nil
		}
		off, ok := parseBitfieldOffset(c.args[i+2], bits)
		if !ok {
			c.r.err(errBitOffset)
			return nil
		}
		op := bfOp{kind: sub[0], signed: signed, bits: bits, offset: off, overflow: overflow}
		if sub != "get" {
			v, err := parseInt(c.args[i+3])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			op.value, writes, highest = v, true, max(highest, off+int64(bits)-1)
		}
		ops = append(ops, op)
		i += need
	}
	v, _, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if writes && int64(len(v))*8 <= highest {
		// As Redis: the string grows to the last bit written, even by an op that fails.
		v = append(v, make([]byte, highest/8+1-int64(len(v)))...)
	}
	c.r.array(len(ops))
	for _, op := range ops {
		old := bfGet(v, op.offset, op.bits)
		switch op.kind {
		case 'g':
			bfReply(c, old, op)
		case 's', 'i':
			val, incr := uint64(op.value), int64(0)
			if op.kind == 'i' {
				val, incr = old, op.value
			}
			res, over := bfOverflow(val, incr, op)
			if over && op.overflow == 'f' {
				c.r.null()
				continue
			}
			bfSet(v, op.offset, op.bits, res)
			if op.kind == 's' {
				bfReply(c, old, op)
			} else {
				bfReply(c, res, op)
			}
		}
	}
	if writes {
		if _, err := c.tx.Set(c.args[1], v, storage.SetOptions{KeepTTL: true}); err != nil {
			return c.fail(err)
		}
		c.notify(nfString, "setbit", c.args[1])
	}
	return nil
}

// bfGet reads bits bits from bit offset off, most significant first; bits past the end
// of v are zero.
func bfGet(v []byte, off int64, bits int) uint64 {
	var x uint64
	for i := int64(0); i < int64(bits); i++ {
		x = x<<1 | uint64(bitAt(v, off+i))
	}
	return x
}

// bfSet writes the low bits bits of x at bit offset off of v (long enough).
func bfSet(v []byte, off int64, bits int, x uint64) {
	for i := int64(0); i < int64(bits); i++ {
		p, bit := off+i, byte(x>>(uint(bits)-1-uint(i))&1)
		if bit != 0 {
			v[p/8] |= 0x80 >> (p % 8)
		} else {
			v[p/8] &^= 0x80 >> (p % 8)
		}
	}
}

// bfReply answers a field's value, sign-extended for a signed type.
func bfReply(c *call, x uint64, op bfOp) {
	if op.signed && op.bits < 64 && x&(1<<(op.bits-1)) != 0 {
		x |= ^uint64(0) << op.bits
	}
	c.r.int(int64(x)) // an unsigned field has at most 63 bits: it fits
}

// bfOverflow adds incr to value (a field's raw bits, or SET's value) as Redis does for
// op's type and overflow policy: the bits to store, and whether it overflowed.
func bfOverflow(value uint64, incr int64, op bfOp) (uint64, bool) {
	bits := uint(op.bits)
	if !op.signed {
		maxv := uint64(1)<<bits - 1
		maxIncr, minIncr := int64(maxv-value), -int64(value)
		switch {
		case value > maxv || (incr > 0 && incr > maxIncr):
			if op.overflow == 's' {
				return maxv, true
			}
			return (value + uint64(incr)) & maxv, true
		case incr < 0 && incr < minIncr:
			if op.overflow == 's' {
				return 0, true
			}
			return (value + uint64(incr)) & maxv, true
		}
		return value + uint64(incr), false
	}
	sv := int64(value)
	if op.kind == 'i' && bits < 64 && value&(1<<(bits-1)) != 0 {
		sv = int64(value | ^uint64(0)<<bits) // the field's bits, sign-extended
	}
	maxv := int64(math.MaxInt64)
	if bits < 64 {
		maxv = int64(1)<<(bits-1) - 1
	}
	minv := -maxv - 1
	maxIncr, minIncr := int64(uint64(maxv)-uint64(sv)), minv-sv
	wrap := func() uint64 {
		r := uint64(sv) + uint64(incr)
		if bits < 64 {
			mask := ^uint64(0) << bits
			if r&(1<<(bits-1)) != 0 {
				r |= mask
			} else {
				r &^= mask
			}
		}
		return r
	}
	switch {
	case sv > maxv || (bits != 64 && incr > maxIncr) || (sv >= 0 && incr > 0 && incr > maxIncr):
		if op.overflow == 's' {
			return uint64(maxv), true
		}
		return wrap(), true
	case sv < minv || (bits != 64 && incr < minIncr) || (sv < 0 && incr < 0 && incr < minIncr):
		if op.overflow == 's' {
			return uint64(minv), true
		}
		return wrap(), true
	}
	return uint64(sv + incr), false
}
