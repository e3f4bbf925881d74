package server_test

// Review: hostile scripts that must cost their tenant a bounded time and answer a
// script error, never a server panic.

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// Pushing many values at once (unpack, string.byte) grows the Lua stack: it must grow
// in big steps (gopher-lua's default of 32 slots copies the whole stack every 32
// values: 100 Ki values took seconds of one core, a full stack half a minute, and no
// SCRIPT KILL reaches a Go function), and a full stack is the script's error even
// when an error handler (the server's, or xpcall's) has no room left to run.
func TestReviewScriptStackGrowth(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	for _, tc := range []struct{ script, want string }{
		{"return select('#', unpack({}, 1, 200000))", ":200000\r\n"},
		{"return select('#', string.byte(string.rep('a', 200000), 1, -1))", ":200000\r\n"},
		{"return #unpack({}, 1, 1e7)", "-ERR user_script:1: registry overflow script: "},
		{"return xpcall(function() return unpack({}, 1, 1e7) end, function(e) return e end)", "-ERR user_script:1: registry overflow script: "},
	} {
		start := time.Now()
		got := c.do("EVAL", tc.script, "0")
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %.200q, want prefix %q", tc.script, got, tc.want)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Logf("%s took %v", tc.script, took) // not a speed assertion: the machine is shared; a run without the bound takes minutes and fails by the timeout
		}
	}
	tEq(t, "alive", c.do("PING"), "+PONG\r\n")
}

// string.gsub and string.gmatch over a big string take time and memory linear in it,
// one match at a time: gopher-lua's gsub copied the whole string once per match (a
// quarter of a MiB took minutes of a core, out of SCRIPT KILL's reach), and its gmatch
// held every match of the string at once (some 80 bytes each: a 1 MiB string of
// empty matches took some 85 MiB in one Go call, past the memory bound before the
// watchdog could see it). table.concat pushed every element on the Lua stack and
// built any length in one call.
func TestReviewScriptPatternCost(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.ScriptMemory = 32 << 20 }})
	c := tSelected(t, srv.Addr(), db)
	for _, tc := range []struct{ script, want string }{
		{"local s, n = string.gsub(string.rep('a', 2^17), 'a', 'b') return {#s, n, s:sub(1, 3)}", "*3\r\n:131072\r\n:131072\r\n$3\r\nbbb\r\n"},
		{"local n = 0 for p in string.gmatch(string.rep('a', 2^20), '()') do n = p end return n", ":1048577\r\n"},
		// table.concat builds in one buffer, bounded before it builds.
		{"local t = {} for i = 1, 200000 do t[i] = 'x' end return #table.concat(t, ',')", ":399999\r\n"},
		{"local s, t = string.rep('x', 2^20), {} for i = 1, 100 do t[i] = s end return #table.concat(t)", "-ERR user_script:1: string longer than 64 MiB"},
		// 128 MiB: past the longest string, or first past the memory bound.
		{"return #string.gsub(string.rep('a', 2^16), 'a', string.rep('b', 2^11))", "-ERR user_script:1: string longer than 64 MiB"},
	} {
		start := time.Now()
		got := c.do("EVAL", tc.script, "0")
		if !strings.HasPrefix(got, tc.want) && !(tc.want[0] == '-' && strings.HasPrefix(got, "-ERR script stopped: the server's memory grew past")) {
			t.Errorf("%s: %.200q, want prefix %q", tc.script, got, tc.want)
		}
		if took := time.Since(start); took > 8*time.Second {
			t.Logf("%s took %v", tc.script, took) // not a speed assertion: the machine is shared; a run without the bound takes minutes and fails by the timeout
		}
	}
}

// Read-only runs share the database and the compiled script: many at once, each in a
// state of its own, with closures, string patterns, metatables and the globals they
// change, answer each its own result (run with -race: the shared prototype is only
// read).
func TestReviewScriptParallelReadOnly(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	setup := tSelected(t, srv.Addr(), db)
	tEq(t, "SET", setup.do("SET", "k", "v"), tOK)
	const body = `
local n = tonumber(ARGV[1])
local function counter() local i = 0 return function() i = i + 1 return i end end
local c = counter()
for _ = 1, n do c() end
getmetatable('').__index.mine = function() return ARGV[1] end
rawset(_G, 'seen', (rawget(_G, 'seen') or 0) + 1)
local words = {}
for w in string.gmatch('a b c ' .. ARGV[1], '%S+') do words[#words + 1] = w end
return {c(), ('x'):mine(), seen, table.concat(words, ','), redis.call('get', 'k')}`
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := tSelected(t, srv.Addr(), db)
			for j := range 20 {
				n := strconv.Itoa(i*100 + j)
				want := fmt.Sprintf("*5\r\n:%d\r\n%s:1\r\n%s%s", i*100+j+1, tBulk(n), tBulk("a,b,c,"+n), tBulk("v"))
				if got := c.do("EVAL_RO", body, "0", n); got != want {
					t.Errorf("run %s: %q, want %q", n, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Compiling is bounded too: it runs in the EVAL or SCRIPT LOAD call itself, where no
// SCRIPT KILL reaches. gopher-lua's compiler is quadratic in the nesting of the syntax
// tree, so a script nesting deeper than Lua 5.1's parser allows is refused as Lua 5.1
// refuses it; and a body over the 256 KiB a script may have is refused before
// it is parsed (parsing up to the 512 MiB an argument may have takes minutes and
// gigabytes).
func TestReviewScriptCompileBounds(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	const levels = "-ERR Error compiling script (new function): user_script: chunk has too many syntax levels"
	for _, tc := range []struct{ what, script, want string }{
		{"nested functions", strings.Repeat("function f() ", 15000) + strings.Repeat(" end", 15000), levels},
		{"a chain of ..", "return 'a'" + strings.Repeat("..'a'", 20000), levels},
		{"nested tables", "return " + strings.Repeat("{", 30000) + strings.Repeat("}", 30000), levels},
		{"nested ifs", strings.Repeat("if ARGV then ", 10000) + strings.Repeat(" end", 10000), levels},
		{"over 256 KiB", "return 1 --" + strings.Repeat("x", 256<<10), "-ERR Error compiling script (new function): user_script: script of 262155 bytes, over the 262144 a script may have"},
		{"100 nested tables", "return " + strings.Repeat("{", 100) + strings.Repeat("}", 100), strings.Repeat("*1\r\n", 99) + "*0\r\n"},
		{"50 nested functions", "local n = 0 " + strings.Repeat("local function f() n = n + 1 ", 50) + strings.Repeat(" end f()", 50) + " return n", ":50\r\n"},
		{"a chain of 150 ..", "return 'a'" + strings.Repeat("..'a'", 149), tBulk(strings.Repeat("a", 150))},
	} {
		start := time.Now()
		got := c.do("EVAL", tc.script, "0")
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %.200q, want prefix %.200q", tc.what, got, tc.want)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Logf("%s took %v", tc.what, took) // not a speed assertion: the machine is shared
		}
	}
	tEq(t, "SCRIPT LOAD too deep", c.do("SCRIPT", "LOAD", "return "+strings.Repeat("{", 1000)+strings.Repeat("}", 1000)), tErr(levels[1:]))
}

// TestReviewScriptManyNames: a script of tens of thousands of distinct constants (each
// looked up in a list by gopher-lua's compiler: quadratic) is refused before it is
// compiled, quickly, and the server keeps serving; a script of a few hundred compiles.
func TestReviewScriptManyNames(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	var b strings.Builder
	b.WriteString("local t = {")
	for i := 0; i < 20000; i++ { // 40,000 names in 200 KB, under the body's bound
		fmt.Fprintf(&b, "k%d=%d,", i, i)
	}
	b.WriteString("} return 1")
	start := time.Now()
	got := c.do("EVAL", b.String(), "0")
	if want := "-ERR Error compiling script (new function): user_script: 4097 constants and names, over the 4096 a script may hold"; !strings.HasPrefix(got, want) {
		t.Errorf("EVAL of 40,000 constants: %q, want prefix %q", got, want)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Logf("the refusal took %v", took) // not a speed assertion: the machine is shared
	}
	tDo(t, c, tOK, "SET", "still", "serving")
	var small strings.Builder
	small.WriteString("local t = {")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&small, "k%d=%d,", i, i)
	}
	small.WriteString("} return t.k299")
	tDo(t, c, tInt(299), "EVAL", small.String(), "0")
}

// Pattern matching is bounded: gopher-lua's matcher backtracked without bound in one Go
// call (string.find(string.rep('a', 400), '.-.-.-b') held a core some 37 s, out of
// SCRIPT KILL's reach); herodb's stops a match at 10 million steps with a script
// error, and the server goes on serving.
func TestReviewScriptPatternBudget(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	const want = "-ERR user_script:1: pattern too complex"
	for _, script := range []string{
		"return string.find(string.rep('a', 400), '.-.-.-b')",
		"return string.match(string.rep('a', 400), '.-.-.-b')",
		"for x in string.gmatch(string.rep('a', 400), '.-.-.-b') do end",
		"return string.gsub(string.rep('a', 400), '.-.-.-b', '')",
	} {
		start := time.Now()
		if got := c.do("EVAL", script, "0"); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %.200q, want prefix %q", script, got, want)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Logf("%s took %v", script, took) // not a speed assertion: the machine is shared; a run without the budget takes minutes and fails by the timeout
		}
	}
	tEq(t, "alive", c.do("EVAL", "return {string.find('hello world', '(o)%s(w)')}", "0"), "*4\r\n:5\r\n:7\r\n$1\r\no\r\n$1\r\nw\r\n")
	tEq(t, "PING", c.do("PING"), "+PONG\r\n")
}

// TestReviewScriptErrorOfUserdata: a script raising an error whose value is a userdata
// (cjson.null) or a function answers by its type, never an address of the server's heap.
func TestReviewScriptErrorOfUserdata(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	for _, script := range []string{"error(cjson.null)", "error(print)", "error(coroutine.create(print))"} {
		got := c.do("EVAL", script, "0")
		if !strings.HasPrefix(got, "-ERR ") || strings.Contains(got, "0x") {
			t.Errorf("EVAL %s: %q, want an error without an address", script, got)
		}
	}
	tDo(t, c, tOK, "SET", "still", "serving")
}
