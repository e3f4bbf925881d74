package server

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// herodb's own Lua 5.1 pattern matcher (the reference manual's §5.4.1), for
// string.find, string.match, string.gmatch and string.gsub. gopher-lua's (pm)
// backtracks without bound in one Go call, out of reach of SCRIPT KILL:
// string.find(string.rep('a', 400), '.-.-.-b') held a core for some 37 s. This one
// counts its steps: one search (a find or match call, one gmatch step, one match of
// gsub) stops at patternMaxSteps with errScriptPatternTooComplex, its recursion at
// patternMaxDepth (Lua 5.2's bound), and every 64 Ki steps it looks whether the run was
// killed, so SCRIPT KILL reaches a long gsub of many cheap matches too.

const (
	patternMaxSteps    = 10_000_000
	patternMaxDepth    = 200
	patternMaxCaptures = 32 // Lua 5.1's LUA_MAXCAPTURES
	patternSpecials    = "^$*+?.([%-"

	capUnfinished = -1
	capPosition   = -2
)

// patError is a pattern's error, raised as a panic inside the matcher and answered by
// its entry points as an error.
type patError string

// patMatch is one match: the whole of it, src[start:end], and its captures. Its
// accessors index as gopher-lua's MatchData does (2i and 2i+1 are capture i's bounds,
// capture 0 the whole match; a position capture's bound is its 1-based position).
type patMatch struct {
	start, end int
	caps       [][2]int // start and length (capPosition: a position capture)
}

func (m *patMatch) CaptureLength() int { return 2 + 2*len(m.caps) }

func (m *patMatch) IsPosCapture(idx int) bool {
	return idx >= 2 && m.caps[idx/2-1][1] == capPosition
}

func (m *patMatch) Capture(idx int) int {
	if idx < 2 {
		if idx == 0 {
			return m.start
		}
		return m.end
	}
	c := m.caps[idx/2-1]
	if c[1] == capPosition {
		return c[0] + 1
	}
	if idx%2 == 0 {
		return c[0]
	}
	return c[0] + c[1]
}

// matcher matches one pattern against one subject, one search at a time.
type matcher struct {
	L     *lua.LState // nil: no run to look at (tests)
	src   string
	pat   string
	level int
	caps  [patternMaxCaptures][2]int
	steps int  // left in this search
	total uint // steps of every search, for looking at the run every 64 Ki
	depth int
}

func newMatcher(L *lua.LState, src, pat string) *matcher {
	return &matcher{L: L, src: src, pat: pat}
}

// find is the first match at or after off (nil: none). An anchored pattern ("^...")
// matches at off only.
func (ms *matcher) find(off int) (m *patMatch, err error) {
	defer func() {
		if v := recover(); v != nil {
			e, ok := v.(patError)
			if !ok {
				panic(v)
			}
			m, err = nil, patErr(string(e))
		}
	}()
	ms.steps = patternMaxSteps
	p, anchor := 0, false
	if len(ms.pat) > 0 && ms.pat[0] == '^' {
		p, anchor = 1, true
	}
	for s := off; s <= len(ms.src); s++ {
		ms.level, ms.depth = 0, 0
		if e := ms.match(s, p); e >= 0 {
			m := &patMatch{start: s, end: e, caps: make([][2]int, ms.level)}
			for i := range ms.level {
				if ms.caps[i][1] == capUnfinished {
					ms.fail("unfinished capture")
				}
				m.caps[i] = ms.caps[i]
			}
			return m, nil
		}
		if anchor {
			break
		}
	}
	return nil, nil
}

type patErr string

func (e patErr) Error() string { return string(e) }

func (ms *matcher) fail(msg string) { panic(patError(msg)) }

// step counts one step of the search.
func (ms *matcher) step() {
	if ms.steps--; ms.steps < 0 {
		ms.fail(errScriptPatternTooComplex)
	}
	if ms.total++; ms.total&0xffff == 0 && ms.L != nil {
		if ctx := ms.L.Context(); ctx != nil && ctx.Err() != nil {
			ms.fail(ctx.Err().Error())
		}
	}
}

// match is where a match of pat[p:] at src[s:] ends, -1 when there is none.
func (ms *matcher) match(s, p int) int {
	if ms.depth++; ms.depth > patternMaxDepth {
		ms.fail(errScriptPatternTooComplex)
	}
	defer func() { ms.depth-- }()
	pat, src := ms.pat, ms.src
	for {
		ms.step()
		if p == len(pat) {
			return s
		}
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return ms.capture(s, p+2, capPosition)
			}
			return ms.capture(s, p+1, capUnfinished)
		case ')':
			return ms.closeCapture(s, p+1)
		case '$':
			if p+1 == len(pat) {
				if s == len(src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 < len(pat) {
				switch c := pat[p+1]; {
				case c == 'b':
					if s = ms.balance(s, p+2); s < 0 {
						return -1
					}
					p += 4
					continue
				case c == 'f':
					p += 2
					if p >= len(pat) || pat[p] != '[' {
						ms.fail("missing '[' after '%f' in pattern")
					}
					ep := ms.classEnd(p)
					var prev, cur byte
					if s > 0 {
						prev = src[s-1]
					}
					if s < len(src) {
						cur = src[s]
					}
					if ms.inSet(prev, p, ep-1) || !ms.inSet(cur, p, ep-1) {
						return -1
					}
					p = ep
					continue
				case c >= '0' && c <= '9':
					if s = ms.backref(s, c); s < 0 {
						return -1
					}
					p += 2
					continue
				}
			}
		}
		ep := ms.classEnd(p)
		ok := s < len(src) && ms.single(src[s], p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if ok {
					if e := ms.match(s+1, ep+1); e >= 0 {
						return e
					}
				}
				p = ep + 1
				continue
			case '*':
				return ms.greedy(s, p, ep)
			case '+':
				if !ok {
					return -1
				}
				return ms.greedy(s+1, p, ep)
			case '-':
				return ms.lazy(s, p, ep)
			}
		}
		if !ok {
			return -1
		}
		s, p = s+1, ep
	}
}

// greedy matches the class pat[p:ep] as often as it can from s, then gives back one at
// a time until the rest of the pattern matches.
func (ms *matcher) greedy(s, p, ep int) int {
	n := 0
	for s+n < len(ms.src) && ms.single(ms.src[s+n], p, ep) {
		n++
	}
	for ; n >= 0; n-- {
		if e := ms.match(s+n, ep+1); e >= 0 {
			return e
		}
	}
	return -1
}

// lazy matches the class pat[p:ep] as seldom as the rest of the pattern allows.
func (ms *matcher) lazy(s, p, ep int) int {
	for {
		if e := ms.match(s, ep+1); e >= 0 {
			return e
		}
		if s >= len(ms.src) || !ms.single(ms.src[s], p, ep) {
			return -1
		}
		s++
	}
}

func (ms *matcher) capture(s, p, what int) int {
	if ms.level >= patternMaxCaptures {
		ms.fail("too many captures")
	}
	ms.caps[ms.level] = [2]int{s, what}
	ms.level++
	e := ms.match(s, p)
	if e < 0 {
		ms.level--
	}
	return e
}

func (ms *matcher) closeCapture(s, p int) int {
	l := ms.level - 1
	for l >= 0 && ms.caps[l][1] != capUnfinished {
		l--
	}
	if l < 0 {
		ms.fail("invalid pattern capture")
	}
	ms.caps[l][1] = s - ms.caps[l][0]
	e := ms.match(s, p)
	if e < 0 {
		ms.caps[l][1] = capUnfinished
	}
	return e
}

// backref matches capture d ('1'-'9') again at s.
func (ms *matcher) backref(s int, d byte) int {
	l := int(d) - '1'
	if l < 0 || l >= ms.level || ms.caps[l][1] == capUnfinished {
		ms.fail("invalid capture index")
	}
	c := ms.caps[l]
	if c[1] == capPosition || len(ms.src)-s < c[1] {
		return -1
	}
	for i := 0; i < c[1]; i++ {
		ms.step()
		if ms.src[c[0]+i] != ms.src[s+i] {
			return -1
		}
	}
	return s + c[1]
}

// balance matches %bxy (x and y at pat[p], pat[p+1]) at s.
func (ms *matcher) balance(s, p int) int {
	if p+1 >= len(ms.pat) {
		ms.fail("unbalanced pattern")
	}
	if s >= len(ms.src) || ms.src[s] != ms.pat[p] {
		return -1
	}
	open, shut, depth := ms.pat[p], ms.pat[p+1], 1
	for i := s + 1; i < len(ms.src); i++ {
		ms.step()
		switch ms.src[i] {
		case shut:
			if depth--; depth == 0 {
				return i + 1
			}
		case open:
			depth++
		}
	}
	return -1
}

// classEnd is where the single-character class at pat[p] ends.
func (ms *matcher) classEnd(p int) int {
	pat := ms.pat
	switch pat[p] {
	case '%':
		if p+1 >= len(pat) {
			ms.fail("malformed pattern (ends with '%')")
		}
		return p + 2
	case '[':
		p++
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // the first member may be ']'
			if p >= len(pat) {
				ms.fail("malformed pattern (missing ']')")
			}
			c := pat[p]
			if p++; c == '%' {
				p++
			}
			if p >= len(pat) {
				ms.fail("malformed pattern (missing ']')")
			}
			if pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p + 1
}

// single is whether c is in the class pat[p:ep].
func (ms *matcher) single(c byte, p, ep int) bool {
	ms.step()
	switch ms.pat[p] {
	case '.':
		return true
	case '%':
		return classMatches(c, ms.pat[p+1])
	case '[':
		return ms.inSet(c, p, ep-1)
	}
	return ms.pat[p] == c
}

// inSet is whether c is in the set pat[p:ec+1] ('[' at p, ']' at ec).
func (ms *matcher) inSet(c byte, p, ec int) bool {
	pat := ms.pat
	in := true
	p++
	if pat[p] == '^' {
		in = false
		p++
	}
	for ; p < ec; p++ {
		switch {
		case pat[p] == '%' && p+1 < ec:
			p++
			if classMatches(c, pat[p]) {
				return in
			}
		case p+2 < ec && pat[p+1] == '-':
			if pat[p] <= c && c <= pat[p+2] {
				return in
			}
			p += 2
		case pat[p] == c:
			return in
		}
	}
	return !in
}

// classMatches is whether c is in the class %cl (C's ctype in the C locale); a %
// before any other character is that character.
func classMatches(c, cl byte) bool {
	var in bool
	switch cl | 0x20 {
	case 'a':
		in = isAlpha(c)
	case 'c':
		in = c < 32 || c == 127
	case 'd':
		in = '0' <= c && c <= '9'
	case 'l':
		in = 'a' <= c && c <= 'z'
	case 'p':
		in = c > 32 && c < 127 && !isAlpha(c) && !('0' <= c && c <= '9')
	case 's':
		in = c == ' ' || '\t' <= c && c <= '\r'
	case 'u':
		in = 'A' <= c && c <= 'Z'
	case 'w':
		in = isAlpha(c) || '0' <= c && c <= '9'
	case 'x':
		in = '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
	case 'z':
		in = c == 0
	default:
		return cl == c
	}
	if 'A' <= cl && cl <= 'Z' {
		return !in
	}
	return in
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// strStart is Lua 5.1's start of a search: init (1-based, negative from the end)
// as an offset in 0..len(s).
func strStart(L *lua.LState, s string, idx int) int {
	init := L.OptInt(idx, 1)
	if init < 0 {
		init += len(s) + 1
	}
	return min(max(init-1, 0), len(s))
}

// pushCaptures pushes the captures of m (with none, the whole match when whole); the
// number pushed.
func pushCaptures(L *lua.LState, s string, m *patMatch, whole bool) int {
	if len(m.caps) == 0 {
		if whole {
			L.Push(lua.LString(s[m.start:m.end]))
			return 1
		}
		return 0
	}
	for i := 2; i < m.CaptureLength(); i += 2 {
		if m.IsPosCapture(i) {
			L.Push(lua.LNumber(m.Capture(i)))
		} else {
			L.Push(lua.LString(s[m.Capture(i):m.Capture(i+1)]))
		}
	}
	return len(m.caps)
}

// string.find(s, pattern [, init [, plain]])
func strFind(L *lua.LState) int {
	s := L.CheckString(1)
	pat := L.CheckString(2)
	init := strStart(L, s, 3)
	if lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(pat, patternSpecials) {
		i := strings.Index(s[init:], pat)
		if i < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(init + i + 1))
		L.Push(lua.LNumber(init + i + len(pat)))
		return 2
	}
	m, err := newMatcher(L, s, pat).find(init)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if m == nil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LNumber(m.start + 1))
	L.Push(lua.LNumber(m.end))
	return 2 + pushCaptures(L, s, m, false)
}

// string.match(s, pattern [, init])
func strMatch(L *lua.LState) int {
	s := L.CheckString(1)
	pat := L.CheckString(2)
	init := strStart(L, s, 3)
	m, err := newMatcher(L, s, pat).find(init)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if m == nil {
		L.Push(lua.LNil)
		return 1
	}
	return pushCaptures(L, s, m, true)
}
