package server

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
	lua "github.com/yuin/gopher-lua"
)

// cmsgpack for scripts, as Redis's Lua has it (lua-cmsgpack 0.4): pack, unpack,
// unpack_one and unpack_limit. The bytes are written and read by the msgpack library;
// what is ours is the choice Redis makes for each Lua value, so that a script's
// output is byte for byte what Redis's would be:
//
//   - a number that is an integer (in int64's range) packs as the smallest integer
//     format (positive ones unsigned); any other as a float32 when that loses
//     nothing, else a float64;
//   - a table whose keys are exactly 1..n packs as an array, any other as a map; a
//     table nested 16 deep packs as nil (so a table holding itself ends);
//   - strings pack as str (never bin); nil, functions and userdata as nil.
//
// Unpacking accepts what pack writes (no bin or ext formats: "Bad data format"). A map's
// keys are packed in the interpreter's order, which is not Redis's: both are valid
// MessagePack, but a map of more than one key may differ from Redis's bytes.

// Bounds, Redis's: pack's nesting, and for unpack the stack of Redis's interpreter
// (Lua 5.1 lets a C function hold 8000 values), counted as Redis's decoder fills it:
// the input, each value decoded so far, and two slots for each table being filled (the
// table and the index or key), so the same input fails at the same depth or count,
// with the same words.
const (
	msgpackMaxNesting = 16
	luaMaxCStack      = 8000
)

// msgpackStackError is the decoder running out of stack, as luaL_checkstack says it.
type msgpackStackError string

func (e msgpackStackError) Error() string { return "stack overflow (" + string(e) + ")" }

const (
	msgpackStackValues = msgpackStackError("too many return values at once; use unpack_one or unpack_limit instead.")
	msgpackStackArray  = msgpackStackError("in function mp_decode_to_lua_array")
	msgpackStackFull   = msgpackStackError("in function mp_unpack_full")
)

func openCmsgpack(L *lua.LState, rc *scriptRun) {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(rc.msgpackPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return msgpackUnpack(L, "unpack", 0, 0) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		return msgpackUnpack(L, "unpack_one", 1, luaOptInteger(L, 2, "unpack_one", 0))
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		limit := luaCheckInteger(L, 2, "unpack_limit")
		return msgpackUnpack(L, "unpack_limit", limit, luaOptInteger(L, 3, "unpack_limit", 0))
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	L.SetGlobal("cmsgpack", t)
}

// cmsgpack.pack(v, ...): the values packed one after another.
func (rc *scriptRun) msgpackPack(L *lua.LState) int {
	if L.GetTop() == 0 {
		luaArgError(L, 0, "pack", "MessagePack pack needs input.")
	}
	var b bytes.Buffer
	e := msgpack.NewEncoder(&b)
	for i := 1; i <= L.GetTop(); i++ {
		msgpackEncode(e, &b, L.Get(i), 0)
		if b.Len() > scriptMaxString {
			luaRaise(L, errScriptStringTooLong)
		}
	}
	if msg := rc.build(int64(b.Len())); msg != "" {
		luaRaise(L, msg)
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// msgpackEncode appends v; errors are the buffer's, which has none.
func msgpackEncode(e *msgpack.Encoder, b *bytes.Buffer, v lua.LValue, level int) {
	if b.Len() > scriptMaxString {
		return // pack refuses the result; stop growing it
	}
	switch v := v.(type) {
	case lua.LString:
		_ = e.EncodeString(string(v))
	case lua.LBool:
		_ = e.EncodeBool(bool(v))
	case lua.LNumber:
		f := float64(v)
		switch {
		case f >= -(1<<63) && f < 1<<63 && f == math.Trunc(f):
			_ = e.EncodeInt(int64(f))
		case float64(float32(f)) == f:
			_ = e.EncodeFloat32(float32(f))
		default:
			_ = e.EncodeFloat64(f)
		}
	case *lua.LTable:
		if level == msgpackMaxNesting {
			_ = e.EncodeNil()
			return
		}
		if n, ok := msgpackArrayLen(v); ok {
			_ = e.EncodeArrayLen(n)
			for i := 1; i <= n; i++ {
				msgpackEncode(e, b, v.RawGetInt(i), level+1)
			}
			return
		}
		n := 0
		v.ForEach(func(lua.LValue, lua.LValue) { n++ })
		_ = e.EncodeMapLen(n)
		v.ForEach(func(k, val lua.LValue) {
			msgpackEncode(e, b, k, level+1)
			msgpackEncode(e, b, val, level+1)
		})
	default:
		_ = e.EncodeNil()
	}
}

// msgpackArrayLen is Redis's table-is-an-array rule: every key a positive number that
// is a C int, and the largest equal to the count (so the keys are 1..n, no holes).
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	count, max, ok := 0, 0, true
	t.ForEach(func(k, _ lua.LValue) {
		n, isNum := k.(lua.LNumber)
		f := float64(n)
		if !isNum || f <= 0 || f > math.MaxInt32 || f != math.Trunc(f) {
			ok = false
			return
		}
		count++
		if int(f) > max {
			max = int(f)
		}
	})
	return count, ok && max == count
}

// errMsgpackFormat is a byte no value starts with, as far as Redis's decoder knows.
var errMsgpackFormat = errors.New("bad format")

// msgpackUnpack decodes the string argument from offset: every value when limit and
// offset are both 0 (unpack), else at most limit values after the offset where the
// next would start (-1 at the end of the input), as Redis's mp_unpack_full.
func msgpackUnpack(L *lua.LState, fname string, limit, offset int64) int {
	s := luaCheckString(L, 1, fname)
	all := limit == 0 && offset == 0
	switch {
	case offset < 0 || limit < 0:
		luaRaise(L, fmt.Sprintf("Invalid request to unpack with offset of %d and limit of %d.", int32(offset), int32(len(s))))
	case offset > int64(len(s)):
		luaRaise(L, fmt.Sprintf("Start offset %d greater than input length %d.", int32(offset), int32(len(s))))
	}
	if all {
		limit = math.MaxInt32
	}
	r := bytes.NewReader([]byte(s[offset:]))
	d := msgpack.NewDecoder(r)
	var out []lua.LValue
	var stack msgpackStackError
	for cnt := int64(0); r.Len() > 0 && cnt < limit; cnt++ {
		v, err := msgpackDecode(L, d, r, 1+len(out))
		switch {
		case errors.As(err, &stack):
			luaRaise(L, stack.Error())
		case errors.Is(err, errMsgpackFormat):
			luaRaise(L, "Bad data format in input.")
		case errors.Is(err, errMsgpackNilKey):
			L.Error(lua.LString("table index is nil"), 0)
		case errors.Is(err, errMsgpackNaNKey):
			L.Error(lua.LString("table index is NaN"), 0)
		case err != nil:
			luaRaise(L, "Missing bytes in input.")
		}
		out = append(out, v)
	}
	if !all {
		if 1+len(out)+1 > luaMaxCStack {
			luaRaise(L, msgpackStackFull.Error())
		}
		next := lua.LNumber(-1)
		if r.Len() > 0 {
			next = lua.LNumber(len(s) - r.Len())
		}
		L.Push(next)
	}
	for _, v := range out {
		L.Push(v)
	}
	if all {
		return len(out)
	}
	return len(out) + 1
}

var (
	errMsgpackNilKey = errors.New("nil key")
	errMsgpackNaNKey = errors.New("NaN key")
)

// msgpackDecode reads one value. Integers of every width become numbers (a uint64
// past int64's range wraps negative, as Redis pushes it), float32 and float64 numbers,
// str strings, arrays tables indexed from 1, maps tables. used is how many stack slots
// Redis's decoder would hold before pushing this value.
func msgpackDecode(L *lua.LState, d *msgpack.Decoder, r *bytes.Reader, used int) (lua.LValue, error) {
	if used+1 > luaMaxCStack {
		return nil, msgpackStackValues
	}
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case msgpcode.IsFixedNum(c) || c == msgpcode.Int8 || c == msgpcode.Int16 || c == msgpcode.Int32 || c == msgpcode.Int64:
		n, err := d.DecodeInt64()
		return lua.LNumber(n), err
	case c == msgpcode.Uint8 || c == msgpcode.Uint16 || c == msgpcode.Uint32 || c == msgpcode.Uint64:
		n, err := d.DecodeUint64()
		return lua.LNumber(int64(n)), err
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := d.DecodeFloat64()
		return lua.LNumber(f), err
	case c == msgpcode.Nil:
		return lua.LNil, d.DecodeNil()
	case c == msgpcode.True || c == msgpcode.False:
		b, err := d.DecodeBool()
		return lua.LBool(b), err
	case msgpcode.IsFixedString(c) || c == msgpcode.Str8 || c == msgpcode.Str16 || c == msgpcode.Str32:
		s, err := d.DecodeString()
		return lua.LString(s), err
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := d.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		if used+2 > luaMaxCStack {
			return nil, msgpackStackArray
		}
		t := L.CreateTable(min(n, r.Len()), 0)
		for i := 1; i <= n; i++ {
			v, err := msgpackDecode(L, d, r, used+2)
			if err != nil {
				return nil, err
			}
			if v != lua.LNil { // as Lua's settable: a nil element leaves a hole, so # is Lua's too
				t.RawSetInt(i, v)
			}
		}
		return t, nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := d.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		t := L.CreateTable(0, min(n, r.Len()))
		for i := 0; i < n; i++ {
			k, err := msgpackDecode(L, d, r, used+1)
			if err != nil {
				return nil, err
			}
			v, err := msgpackDecode(L, d, r, used+2)
			if err != nil {
				return nil, err
			}
			if k == lua.LNil {
				return nil, errMsgpackNilKey
			}
			if f, ok := k.(lua.LNumber); ok && math.IsNaN(float64(f)) {
				return nil, errMsgpackNaNKey
			}
			t.RawSet(k, v)
		}
		return t, nil
	}
	return nil, errMsgpackFormat
}
