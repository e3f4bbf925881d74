package server

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// struct for scripts, as Redis's Lua has it (Roberto Ierusalimschy's struct library, on
// a 64-bit little-endian machine: short 2 bytes, int 4, long and size_t 8, alignment up
// to 8). Written here, byte for byte with Redis's, quirks included: a format ends at a
// NUL byte; 'i' and 'I' take a size up to 32; alignment ('!') pads an item to the
// smaller of its size and the bound even when that is not a power of two; a signed
// item wider than 8 bytes is sign-extended as the x86 shift does; struct.size skips
// letters it does not know.
//
// Formats: > < (endianness, native is little), ![n] (alignment), x (a zero byte),
// b B h H l L T i[n] I[n] (integers), f d (float, double), c[n] (n chars; c0: the
// whole string when packing, the previous number's length when unpacking), s (a
// zero-terminated string), and space.

// structMaxIntSize is the widest integer item, and structMaxAlign the default of '!'.
const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

func openStruct(L *lua.LState) {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	L.SetGlobal("struct", t)
}

// structFormat walks a format as the library does: one option at a time, with the
// current endianness and alignment.
type structFormat struct {
	L      *lua.LState
	fname  string
	fmt    string
	i      int
	little bool
	align  int
}

func newStructFormat(L *lua.LState, fname string) *structFormat {
	f := luaCheckString(L, 1, fname)
	if i := strings.IndexByte(f, 0); i >= 0 {
		f = f[:i] // the library reads a C string
	}
	return &structFormat{L: L, fname: fname, fmt: f, little: true, align: 1}
}

func (f *structFormat) more() bool { return f.i < len(f.fmt) }

// next returns the next option and the size of its item (0 for controls and 's').
func (f *structFormat) next() (byte, int) {
	opt := f.fmt[f.i]
	f.i++
	switch opt {
	case 'b', 'B', 'x':
		return opt, 1
	case 'h', 'H':
		return opt, 2
	case 'f':
		return opt, 4
	case 'l', 'L', 'T', 'd':
		return opt, 8
	case 'c':
		return opt, f.number(1)
	case 'i', 'I':
		n := f.number(4)
		if n > structMaxIntSize {
			luaRaise(f.L, fmt.Sprintf("integral size %d is larger than limit of %d", n, structMaxIntSize))
		}
		return opt, n
	}
	return opt, 0
}

// number reads the digits after an option, def when there are none.
func (f *structFormat) number(def int) int {
	if !f.more() || !isDigit(f.fmt[f.i]) {
		return def
	}
	a := 0
	for f.more() && isDigit(f.fmt[f.i]) {
		d := int(f.fmt[f.i] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			luaRaise(f.L, "integral size overflow")
		}
		a = a*10 + d
		f.i++
	}
	return a
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// padding is how many bytes align an item of size at offset pos (a size_t in the
// library: unpack's wraps).
func (f *structFormat) padding(pos uint64, opt byte, size int) uint64 {
	if size == 0 || opt == 'c' {
		return 0
	}
	sz := uint64(min(size, f.align))
	return (sz - (pos & (sz - 1))) & (sz - 1)
}

// control applies an option that is not an item: endianness, alignment, space; any
// other is an error of argument 1.
func (f *structFormat) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		f.little = false
	case '<':
		f.little = true
	case '!':
		a := f.number(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			luaRaise(f.L, fmt.Sprintf("alignment %d is not a power of 2", a))
		}
		f.align = a
	default:
		luaArgError(f.L, 1, f.fname, fmt.Sprintf("invalid format option '%c'", opt))
	}
}

// struct.pack(format, v…)
func structPack(L *lua.LState) int {
	f := newStructFormat(L, "pack")
	L.Push(lua.LNil) // the library's mark after the arguments: a missing one reads as nil
	var b []byte
	arg := 2
	for f.more() {
		opt, size := f.next()
		for n := f.padding(uint64(len(b)), opt, size); n > 0; n-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			b = structPutInt(b, structUint(luaCheckNumber(L, arg, "pack")), size, f.little)
			arg++
		case 'x':
			b = append(b, 0)
		case 'f':
			b = structPutInt(b, uint64(math.Float32bits(float32(luaCheckNumber(L, arg, "pack")))), 4, f.little)
			arg++
		case 'd':
			b = structPutInt(b, math.Float64bits(luaCheckNumber(L, arg, "pack")), 8, f.little)
			arg++
		case 'c', 's':
			s := luaCheckString(L, arg, "pack")
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				luaArgError(L, arg, "pack", "string too short") // the library names the next argument
			}
			b = append(b, s[:size]...)
			if opt == 's' {
				b = append(b, 0)
			}
		default:
			f.control(opt)
		}
		if len(b) > scriptMaxString {
			luaRaise(L, errScriptStringTooLong)
		}
	}
	L.Push(lua.LString(b))
	return 1
}

// structUint is the library's conversion of a number to the bits it packs: negative
// numbers through a signed 64-bit integer, others unsigned, as x86 converts (past
// 2^64: 0).
func structUint(n float64) uint64 {
	switch {
	case n < 0:
		return uint64(luaInteger(n))
	case n < 1<<63:
		return uint64(n)
	case n < 1<<64:
		return uint64(int64(n-(1<<63))) ^ 1<<63
	}
	return 0
}

// structPutInt appends the low size bytes of v (zeros past 8) in the order asked.
func structPutInt(b []byte, v uint64, size int, little bool) []byte {
	start := len(b)
	for i := 0; i < size; i++ {
		b = append(b, byte(v))
		v >>= 8
	}
	if !little {
		item := b[start:]
		for i, j := 0, len(item)-1; i < j; i, j = i+1, j-1 {
			item[i], item[j] = item[j], item[i]
		}
	}
	return b
}

// structGetInt reads size bytes at data as the library does: the low 64 bits, sign
// extended from the item's top bit when signed.
func structGetInt(data string, size int, little, signed bool) float64 {
	var l uint64
	for i := 0; i < size; i++ {
		j := i
		if little {
			j = size - 1 - i
		}
		l = l<<8 | uint64(data[j])
	}
	if !signed {
		return float64(l)
	}
	mask := ^uint64(0) << (uint(size*8-1) & 63) // x86 takes the shift count modulo 64
	if l&mask != 0 {
		l |= mask
	}
	return float64(int64(l))
}

// struct.unpack(format, data [, pos]): the values, then the position after them.
func structUnpack(L *lua.LState) int {
	f := newStructFormat(L, "unpack")
	data := luaCheckString(L, 2, "unpack")
	start := luaOptInteger(L, 3, "unpack", 1)
	if start == 0 {
		luaArgError(L, 3, "unpack", "offset must be 1 or greater")
	}
	base := L.GetTop()
	// pos is a size_t in the library: an offset below 1 wraps past any data.
	pos := uint64(start - 1)
	ld := uint64(len(data))
	var out []lua.LValue
	for f.more() {
		opt, isize := f.next()
		size := uint64(isize)
		pos += f.padding(pos, opt, isize)
		if !(size <= ld && pos <= ld-size) {
			luaArgError(L, 2, "unpack", "data string too short")
		}
		if base+len(out)+2 > luaMaxCStack {
			luaRaise(L, "stack overflow (too many results)")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt >= 'a'
			out = append(out, lua.LNumber(structGetInt(data[pos:], isize, f.little, signed)))
		case 'x':
		case 'f':
			bits := binary.LittleEndian.Uint32([]byte(data[pos : pos+4]))
			if !f.little {
				bits = binary.BigEndian.Uint32([]byte(data[pos : pos+4]))
			}
			out = append(out, lua.LNumber(math.Float32frombits(bits)))
		case 'd':
			bits := binary.LittleEndian.Uint64([]byte(data[pos : pos+8]))
			if !f.little {
				bits = binary.BigEndian.Uint64([]byte(data[pos : pos+8]))
			}
			out = append(out, lua.LNumber(math.Float64frombits(bits)))
		case 'c':
			if size == 0 {
				var n float64
				ok := len(out) > 0
				if ok {
					n, ok = luaToNumber(out[len(out)-1])
				}
				if !ok {
					luaRaise(L, "format 'c0' needs a previous size")
				}
				out = out[:len(out)-1]
				size = structSize64(n)
				if !(size <= ld && pos <= ld-size) {
					luaArgError(L, 2, "unpack", "data string too short")
				}
			}
			out = append(out, lua.LString(data[pos:pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				luaRaise(L, "unfinished string in data")
			}
			size = uint64(e) + 1
			out = append(out, lua.LString(data[pos:pos+uint64(e)]))
		default:
			f.control(opt)
		}
		pos += size
	}
	for _, v := range out {
		L.Push(v)
	}
	L.Push(lua.LNumber(float64(int64(pos + 1))))
	return len(out) + 1
}

// structSize64 is C's conversion of a number to size_t on x86 (negative numbers wrap).
func structSize64(n float64) uint64 {
	if n < 0 {
		return uint64(luaInteger(n))
	}
	return structUint(n)
}

// struct.size(format): the bytes pack would write for it.
func structSize(L *lua.LState) int {
	f := newStructFormat(L, "size")
	pos := uint64(0)
	for f.more() {
		opt, size := f.next()
		pos += f.padding(pos, opt, size)
		switch {
		case opt == 's':
			luaArgError(L, 1, "size", "option 's' has no fixed size")
		case opt == 'c' && size == 0:
			luaArgError(L, 1, "size", "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.control(opt)
		}
		pos += uint64(size)
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
