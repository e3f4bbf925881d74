package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The libraries Redis gives scripts beyond Lua's own, written here on the standard
// library: cjson (as lua-cjson 2.1 behaves under Redis) and bit (LuaBitOp); cmsgpack
// (script_cmsgpack.go) and struct (script_struct.go) have files of their own.

// openScriptLibs sets the cjson, bit, cmsgpack and struct globals.
func openScriptLibs(L *lua.LState, rc *scriptRun) {
	openCmsgpack(L, rc)
	openStruct(L)
	cj := L.NewTable()
	cj.RawSetString("encode", L.NewFunction(rc.cjsonEncode))
	cj.RawSetString("decode", L.NewFunction(rc.cjsonDecode))
	cj.RawSetString("null", cjsonNull(L))
	for _, name := range []string{"encode_keep_buffer", "encode_max_depth", "decode_max_depth",
		"encode_number_precision", "encode_invalid_numbers", "decode_invalid_numbers", "encode_sparse_array"} {
		cj.RawSetString(name, L.NewFunction(func(*lua.LState) int { return 0 })) // accepted; the defaults stay
	}
	L.SetGlobal("cjson", cj)

	bit := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"tobit":   bitOp(func(a []int32) int32 { return a[0] }),
		"bnot":    bitOp(func(a []int32) int32 { return ^a[0] }),
		"band":    bitFold(func(x, y int32) int32 { return x & y }),
		"bor":     bitFold(func(x, y int32) int32 { return x | y }),
		"bxor":    bitFold(func(x, y int32) int32 { return x ^ y }),
		"lshift":  bitOp(func(a []int32) int32 { return int32(uint32(a[0]) << (uint32(a[1]) & 31)) }),
		"rshift":  bitOp(func(a []int32) int32 { return int32(uint32(a[0]) >> (uint32(a[1]) & 31)) }),
		"arshift": bitOp(func(a []int32) int32 { return a[0] >> (uint32(a[1]) & 31) }),
		"rol": bitOp(func(a []int32) int32 {
			n := uint32(a[1]) & 31
			return int32(uint32(a[0])<<n | uint32(a[0])>>((32-n)&31))
		}),
		"ror": bitOp(func(a []int32) int32 {
			n := uint32(a[1]) & 31
			return int32(uint32(a[0])>>n | uint32(a[0])<<((32-n)&31))
		}),
		"bswap": bitOp(func(a []int32) int32 {
			u := uint32(a[0])
			return int32(u>>24 | (u>>8)&0xff00 | (u<<8)&0xff0000 | u<<24)
		}),
		"tohex": bitToHex,
	} {
		bit.RawSetString(name, L.NewFunction(fn))
	}
	L.SetGlobal("bit", bit)
}

// cjsonNull is cjson.null: a light userdata in lua-cjson, a userdata here, the same for
// every use in a run.
func cjsonNull(L *lua.LState) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = cjsonNullValue{}
	return ud
}

type cjsonNullValue struct{}

func isCjsonNull(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return false
	}
	_, ok = ud.Value.(cjsonNullValue)
	return ok
}

// cjson's bounds and its sparse-array rule (encode_sparse_array's defaults).
const (
	cjsonMaxDepth    = 1000
	cjsonSparseRatio = 2
	cjsonSparseSafe  = 10
)

// cjson.encode(value)
func (rc *scriptRun) cjsonEncode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.ArgError(1, "expected 1 argument")
	}
	var b bytes.Buffer
	if msg := rc.cjsonAppend(&b, L.Get(1), 1); msg != "" {
		L.RaiseError("%s", msg)
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func (rc *scriptRun) cjsonAppend(b *bytes.Buffer, v lua.LValue, depth int) string {
	if b.Len() > scriptMaxString {
		return errScriptStringTooLong
	}
	switch v := v.(type) {
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LBool:
		b.WriteString(strconv.FormatBool(bool(v)))
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "Cannot serialise number: must not be NaN or Inf"
		}
		b.WriteString(strconv.FormatFloat(f, 'g', 14, 64))
	case lua.LString:
		cjsonString(b, string(v))
	case *lua.LTable:
		if depth > cjsonMaxDepth {
			return fmt.Sprintf("Cannot serialise, excessive nesting (%d)", depth)
		}
		n, isArray, msg := cjsonArrayLen(v)
		if msg != "" {
			return msg
		}
		if isArray {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				if msg := rc.cjsonAppend(b, v.RawGetInt(i), depth+1); msg != "" {
					return msg
				}
			}
			b.WriteByte(']')
			return ""
		}
		b.WriteByte('{')
		first, msg := true, ""
		v.ForEach(func(k, val lua.LValue) {
			if msg != "" {
				return
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				cjsonString(b, string(k))
			case lua.LNumber:
				cjsonString(b, strconv.FormatFloat(float64(k), 'g', 14, 64))
			default:
				msg = "Cannot serialise table: table key must be a number or string"
				return
			}
			b.WriteByte(':')
			msg = rc.cjsonAppend(b, val, depth+1)
		})
		b.WriteByte('}')
		return msg
	default:
		if isCjsonNull(v) {
			b.WriteString("null")
			return ""
		}
		return "Cannot serialise " + v.Type().String() + ": type not supported"
	}
	return ""
}

// cjsonArrayLen is lua-cjson's test: a table whose keys are all positive integers is
// an array of its largest key (holes become null), unless it is too sparse.
func cjsonArrayLen(t *lua.LTable) (n int, isArray bool, msg string) {
	count, isArray := 0, true
	t.ForEach(func(k, _ lua.LValue) {
		f, ok := k.(lua.LNumber)
		if !ok || float64(f) < 1 || float64(f) != math.Floor(float64(f)) {
			isArray = false
			return
		}
		count++
		n = max(n, int(f))
	})
	if !isArray {
		return 0, false, ""
	}
	if n > cjsonSparseSafe && n > count*cjsonSparseRatio {
		return 0, false, "Cannot serialise table: excessively sparse array"
	}
	if n == 0 {
		return 0, false, "" // an empty table is an object, {}
	}
	return n, true, ""
}

// cjsonString writes s as lua-cjson escapes it: quotes, backslash and slash, the
// usual control escapes, \u00XX for the others; other bytes as they are.
func cjsonString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// cjson.decode(string): objects and arrays as tables, null as cjson.null.
func (rc *scriptRun) cjsonDecode(L *lua.LState) int {
	s := L.CheckString(1)
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		L.RaiseError("%s", "Expected value but found invalid token: "+err.Error())
	}
	if d.More() {
		L.RaiseError("Expected the end but found trailing characters")
	}
	null := L.GetGlobal("cjson").(*lua.LTable).RawGetString("null")
	L.Push(jsonToLua(L, v, null))
	return 1
}

func jsonToLua(L *lua.LState, v any, null lua.LValue) lua.LValue {
	switch v := v.(type) {
	case nil:
		return null
	case bool:
		return lua.LBool(v)
	case json.Number:
		f, _ := strconv.ParseFloat(string(v), 64)
		return lua.LNumber(f)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, jsonToLua(L, e, null))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, jsonToLua(L, e, null))
		}
		return t
	}
	return lua.LNil
}

// toBit is LuaBitOp's normalisation of a number to 32 bits: rounded to an integer
// (half to even), taken modulo 2^32.
func toBit(L *lua.LState, i int) int32 {
	f := math.RoundToEven(float64(L.CheckNumber(i)))
	return int32(uint32(int64(math.Mod(f, 1<<32))))
}

func bitOp(op func([]int32) int32) lua.LGFunction {
	return func(L *lua.LState) int {
		args := make([]int32, max(L.GetTop(), 1))
		for i := range args {
			args[i] = toBit(L, i+1)
		}
		if len(args) < 2 {
			args = append(args, 0)
		}
		L.Push(lua.LNumber(op(args)))
		return 1
	}
}

func bitFold(op func(x, y int32) int32) lua.LGFunction {
	return func(L *lua.LState) int {
		acc := toBit(L, 1)
		for i := 2; i <= L.GetTop(); i++ {
			acc = op(acc, toBit(L, i))
		}
		L.Push(lua.LNumber(acc))
		return 1
	}
}

// bit.tohex(x [, n]): n hex digits (default 8), upper case when n is negative.
func bitToHex(L *lua.LState) int {
	x := uint32(toBit(L, 1))
	n := 8
	if L.GetTop() >= 2 {
		n = int(toBit(L, 2))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		digits, n = "0123456789ABCDEF", -n
	}
	n = min(n, 8)
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = digits[x&15]
		x >>= 4
	}
	L.Push(lua.LString(out))
	return 1
}
