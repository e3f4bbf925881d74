package server

// Bitmap commands: https://redis.io/docs/latest/commands/?group=bitmap. A bitmap is a
// string; bit 0 is the most significant bit of the first byte, as in Redis.

import (
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
		if _, err := c.tx.Del(c.args[2]); err != nil {
			return c.fail(err)
		}
		c.r.int(0)
		return nil
	}
	if _, err := c.tx.Set(c.args[2], out, storage.SetOptions{}); err != nil {
		return c.fail(err)
	}
	c.r.int(int64(longest))
	return nil
}
