package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Argument checks for the libraries written here (cmsgpack, struct), in Lua 5.1's
// auxiliary-library words, which Redis's scripts see: "bad argument #2 to 'unpack'
// (number expected, got string)". gopher-lua's own checks word them otherwise (no
// quotes around the name, "nil" for a missing argument).

// luaArgError raises Lua's argument error for argument n of function fname ('?' when
// a Go function such as pcall called it: Lua then knows no name).
func luaArgError(L *lua.LState, n int, fname, msg string) {
	if calledFromGo(L) {
		fname = "?"
	}
	luaRaise(L, fmt.Sprintf("bad argument #%d to '%s' (%s)", n, fname, msg))
}

// calledFromGo reports whether the running library function's caller is a Go function.
func calledFromGo(L *lua.LState) bool {
	dbg, ok := L.GetStack(1)
	if !ok {
		return false
	}
	_, err := L.GetInfo("S", dbg, nil)
	return err == nil && dbg.What == "G"
}

// luaRaise is luaL_error from a library function: the message, after the place of the
// Lua code that called the function ("user_script:1: "), or alone when a Go function
// called it (pcall(cmsgpack.unpack, s)). gopher-lua's RaiseError looks past Go frames
// for a place, which Lua does not.
func luaRaise(L *lua.LState, msg string) {
	if calledFromGo(L) {
		L.Error(lua.LString(msg), 0)
	}
	L.RaiseError("%s", msg)
}

// luaTypeError raises the error for argument n not being of type want.
func luaTypeError(L *lua.LState, n int, fname, want string) {
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	luaArgError(L, n, fname, want+" expected, got "+got)
}

// luaCheckString is luaL_checklstring: a string, or a number as Lua formats it.
func luaCheckString(L *lua.LState, n int, fname string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return luaNumberString(float64(v))
	}
	luaTypeError(L, n, fname, "string")
	return ""
}

// luaNumberString is Lua 5.1's "%.14g" of a number.
func luaNumberString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// luaToNumber is lua_tonumber's conversion: a number, or a string holding one.
func luaToNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		s := strings.TrimSpace(string(v))
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXnN") {
			return f, true
		}
		if i, err := strconv.ParseInt(s, 0, 64); err == nil && strings.ContainsAny(s, "xX") {
			return float64(i), true
		}
	}
	return 0, false
}

// luaCheckNumber is luaL_checknumber.
func luaCheckNumber(L *lua.LState, n int, fname string) float64 {
	f, ok := luaToNumber(L.Get(n))
	if !ok {
		luaTypeError(L, n, fname, "number")
	}
	return f
}

// luaCheckInteger is luaL_checkinteger: the number truncated toward zero.
func luaCheckInteger(L *lua.LState, n int, fname string) int64 {
	return luaInteger(luaCheckNumber(L, n, fname)) // truncated toward zero, as C's cast
}

// luaOptInteger is luaL_optinteger: def when the argument is absent or nil.
func luaOptInteger(L *lua.LState, n int, fname string, def int64) int64 {
	if L.Get(n) == lua.LNil {
		return def
	}
	return luaCheckInteger(L, n, fname)
}
