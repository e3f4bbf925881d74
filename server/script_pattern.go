package server

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// string.gsub and string.gmatch, in linear time and memory. gopher-lua's own find
// every match of the whole string first, in one Go call (gmatch of '()' over 4 MiB
// held some 340 MiB at once, over the 64 MiB string.rep allows some 5 GiB), and
// gsub then copies the whole string once per match (a gsub of one character over
// 1 MiB copies a terabyte). A Go call is out of reach of SCRIPT KILL and of the memory
// watchdog (script_memory.go), so these run one match at a time: gmatch finds the
// next match when asked for it, gsub appends as it goes and stops at
// scriptMaxString. Matching is herodb's own, step-bounded (script_match.go); the results
// are gopher-lua's: the same
// matches, the same replacement rules ("%%", "%0"-"%9", any other "%c" kept as it
// is), the same errors; but gsub's n of 0 or less replaces nothing, as in Lua 5.1.

func openPatterns(L *lua.LState, rc *scriptRun, str *lua.LTable) {
	str.RawSetString("gsub", L.NewFunction(rc.strGsub))
	str.RawSetString("gmatch", L.NewFunction(strGmatch))
	str.RawSetString("find", L.NewFunction(strFind))   // script_match.go
	str.RawSetString("match", L.NewFunction(strMatch)) // script_match.go
}

// nextMatch is the first match of pat in src at or after off (nil: none), and where
// the search for the one after it starts: past the match, or one byte on after an
// empty one (as gopher-lua's pm.Find). An anchored pattern matches at the start only.
func nextMatch(L *lua.LState, ms *matcher, off int) (*patMatch, int) {
	if off > len(ms.src) || off > 0 && strings.HasPrefix(ms.pat, "^") {
		return nil, off
	}
	m, err := ms.find(off)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if m == nil {
		return nil, len(ms.src) + 1
	}
	return m, max(m.start+1, m.end)
}

// string.gmatch(s, pattern)
func strGmatch(L *lua.LState) int {
	s := L.CheckString(1)
	pat := L.CheckString(2)
	ms, off := newMatcher(L, s, pat), 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		var m *patMatch
		if m, off = nextMatch(L, ms, off); m == nil {
			return 0
		}
		if m.CaptureLength() == 2 {
			L.Push(lua.LString(s[m.Capture(0):m.Capture(1)]))
			return 1
		}
		for i := 2; i < m.CaptureLength(); i += 2 {
			if m.IsPosCapture(i) {
				L.Push(lua.LNumber(m.Capture(i)))
			} else {
				L.Push(lua.LString(s[m.Capture(i):m.Capture(i+1)]))
			}
		}
		return m.CaptureLength()/2 - 1
	}))
	return 1
}

// string.gsub(s, pattern, repl [, n])
func (rc *scriptRun) strGsub(L *lua.LState) int {
	s := L.CheckString(1)
	pat := L.CheckString(2)
	L.CheckTypes(3, lua.LTString, lua.LTTable, lua.LTFunction)
	repl := L.Get(3)
	limit := -1 // no n: every match; n <= 0: none, as in Lua 5.1 (gopher-lua's replaces every match)
	if L.Get(4) != lua.LNil {
		limit = max(L.CheckInt(4), 0)
	}
	ms := newMatcher(L, s, pat)
	var b strings.Builder
	n, last, off := 0, 0, 0
	for limit < 0 || n < limit {
		var m *patMatch
		if m, off = nextMatch(L, ms, off); m == nil {
			break
		}
		start, end := m.Capture(0), m.Capture(1)
		b.WriteString(s[last:start])
		if !gsubReplace(L, &b, s, m, repl) {
			b.WriteString(s[start:end])
		}
		last = end
		n++
		if b.Len() > scriptMaxString {
			L.RaiseError("%s", errScriptStringTooLong)
		}
	}
	if n == 0 {
		L.SetTop(1)
		L.Push(lua.LNumber(0))
		return 2
	}
	b.WriteString(s[last:])
	if b.Len() > scriptMaxString {
		L.RaiseError("%s", errScriptStringTooLong)
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(n))
	return 2
}

// gsubReplace writes the replacement of match m; false when there is none (the table
// or function gave false or nil), and the match stays as it was.
func gsubReplace(L *lua.LState, b *strings.Builder, s string, m *patMatch, repl lua.LValue) bool {
	switch repl := repl.(type) {
	case lua.LString:
		r := string(repl)
		for i := 0; i < len(r); i++ {
			c := r[i]
			if c != '%' || i == len(r)-1 {
				b.WriteByte(c)
				continue
			}
			i++
			switch d := r[i]; {
			case d == '%':
				b.WriteByte('%')
			case d >= '0' && d <= '9':
				b.WriteString(captured(L, m, s, 2*int(d-'0')))
			default:
				b.WriteByte('%')
				b.WriteByte(d)
			}
		}
		return true
	case *lua.LTable:
		idx := 0
		if m.CaptureLength() > 2 {
			idx = 2
		}
		var v lua.LValue
		if m.IsPosCapture(idx) {
			v = L.GetTable(repl, lua.LNumber(m.Capture(idx)))
		} else {
			v = L.GetField(repl, s[m.Capture(idx):m.Capture(idx+1)])
		}
		if lua.LVIsFalse(v) {
			return false
		}
		b.WriteString(lua.LVAsString(v))
		return true
	case *lua.LFunction:
		L.Push(repl)
		nargs := 0
		if m.CaptureLength() > 2 {
			for i := 2; i < m.CaptureLength(); i += 2 {
				if m.IsPosCapture(i) {
					L.Push(lua.LNumber(m.Capture(i)))
				} else {
					L.Push(lua.LString(captured(L, m, s, i)))
				}
				nargs++
			}
		} else {
			L.Push(lua.LString(captured(L, m, s, 0)))
			nargs++
		}
		L.Call(nargs, 1)
		v := L.Get(-1)
		L.Pop(1)
		if lua.LVIsFalse(v) {
			return false
		}
		b.WriteString(lua.LVAsString(v))
		return true
	}
	return false
}

// captured is capture idx of m ("%1" is idx 2; with no captures, "%1" is the whole
// match), a position capture as its number.
func captured(L *lua.LState, m *patMatch, s string, idx int) string {
	if idx > 2 && idx >= m.CaptureLength() {
		L.RaiseError("invalid capture index")
	}
	if idx >= m.CaptureLength() && idx == 2 {
		idx = 0
	}
	if m.IsPosCapture(idx) {
		return strconv.Itoa(m.Capture(idx))
	}
	return s[m.Capture(idx):m.Capture(idx+1)]
}

// table.concat(t [, sep [, i [, j]]]), as gopher-lua's answers it (its clamping of i
// and j included), built in one buffer and bounded at scriptMaxString before anything
// is built: gopher-lua's pushes every element on the Lua stack (past 128 Ki elements
// a registry overflow) and builds whatever the total, in one Go call (100 elements
// that are one 64 MiB string: 6.4 GiB, past the memory watchdog).
func tableConcat(L *lua.LState) int {
	tbl := L.CheckTable(1)
	sep := L.OptString(2, "")
	n := tbl.Len()
	i := L.OptInt(3, 1)
	j := L.OptInt(4, n)
	if L.GetTop() == 3 && (i > n || i < 1) {
		L.Push(lua.LString(""))
		return 1
	}
	i, j = max(min(i, n), 1), min(j, n)
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	total := int64(len(sep)) * int64(j-i)
	for k := i; k <= j; k++ {
		v := tbl.RawGetInt(k)
		if !lua.LVCanConvToString(v) {
			L.RaiseError("invalid value (%s) at index %d in table for concat", v.Type().String(), k)
		}
		if total += int64(len(lua.LVAsString(v))); total > scriptMaxString {
			L.RaiseError("%s", errScriptStringTooLong)
		}
	}
	var b strings.Builder
	b.Grow(int(total))
	for k := i; k <= j; k++ {
		b.WriteString(lua.LVAsString(tbl.RawGetInt(k)))
		if k != j {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}
