package server

// Review: the scripts' string.gsub, string.gmatch and table.concat (script_pattern.go)
// answer as gopher-lua's own do, match for match.

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

const reviewPatternCases = `
local out = {}
local function add(...)
	for i = 1, select('#', ...) do out[#out + 1] = tostring((select(i, ...))) end
	out[#out + 1] = '|'
end
local function gm(s, p)
	local r = {}
	local ok, err = pcall(function()
		for a, b, c in string.gmatch(s, p) do r[#r + 1] = tostring(a) .. '/' .. tostring(b) .. '/' .. tostring(c) end
	end)
	add(ok, err, table.concat(r, ';'))
end
local subjects = {'', 'a', 'hello world', 'abc', '  x  y  ', 'key=val, k2=v2', '(a(b)c)', 'aaa', 'THE (quick) fox', '%%x', '^abc^'}
local pats = {'', 'o', '%w+', '%w*', '(%w+)=(%w+)', '()', '()a()', '^a', '^', '$', 'a$', '%s*', '%b()', '(a)%1', '[%a]-', '.-',
	'x*', '(h)(e)(l)(l)(o)', '^(%w+)', '%%', '.'}
local repls = {'', '-', '%0', '%1', '%2', '[%1|%0]', '%%', '%x', 'a%', '%9',
	{a = 'A', hello = 1, x = false, ['1'] = 'one', [1] = 'pos1'},
	function(...) return select('#', ...) .. ':' .. table.concat({...}, ',') end,
	function(x) if x == 'a' then return nil end return false end,
	function(x) return {} end}
for _, s in ipairs(subjects) do
	for _, p in ipairs(pats) do
		gm(s, p)
		for _, r in ipairs(repls) do
			add(pcall(string.gsub, s, p, r))
			add(pcall(string.gsub, s, p, r, 1))
		end
	end
end
add(pcall(string.gsub, 'abc', 'b', 1))
add(pcall(string.gsub, 'abc', 'b', 'x', 'y'))
add(pcall(string.gsub, 'abc', 'b'))
add(pcall(string.gmatch, 'abc'))
add(pcall(string.gsub, 'abc', '(b)', '%2'))
add(('x y'):gsub('%w', '<%0>'))
for _, t in ipairs({{}, {'a'}, {'a', 'b', 3, 4.5}, {1, 2, nil, 4}, {'a', {}, 'c'}, {true}}) do
	add(pcall(table.concat, t))
	for _, sep in ipairs({'', ', '}) do
		add(pcall(table.concat, t, sep))
		for i = -1, 5 do
			add(pcall(table.concat, t, sep, i))
			for j = -1, 5 do add(pcall(table.concat, t, sep, i, j)) end
		end
	end
end
add(pcall(table.concat, 'x'))
add(pcall(table.concat, {1}, {}))
return table.concat(out, ',')
`

func TestReviewPatternsAsGopherLua(t *testing.T) {
	run := func(L *lua.LState) string {
		defer L.Close()
		if err := L.DoString(reviewPatternCases); err != nil {
			t.Fatal(err)
		}
		return L.Get(-1).String()
	}
	want := run(lua.NewState(lua.Options{RegistrySize: scriptSlots, RegistryMaxSize: scriptSlotsMax, RegistryGrowStep: scriptSlotsStep}))
	got := run(newScriptState(&scriptRun{}))
	if got != want {
		for i := 0; i < len(got) && i < len(want); i++ {
			if got[i] != want[i] {
				lo := max(0, i-300)
				t.Fatalf("differs at %d:\n got  %q\n want %q", i, got[lo:min(len(got), i+100)], want[lo:min(len(want), i+100)])
			}
		}
		t.Fatalf("lengths differ: %d, want %d", len(got), len(want))
	}
	// Lua 5.1's n of 0 or less replaces nothing; gopher-lua's replaces every match.
	L := newScriptState(&scriptRun{})
	defer L.Close()
	if err := L.DoString("return table.concat({string.gsub('aba', 'a', 'x', 0)}, ',') .. ';' .. table.concat({string.gsub('aba', 'a', 'x', -1)}, ',')"); err != nil {
		t.Fatal(err)
	}
	if got := L.Get(-1).String(); got != "aba,0;aba,0" {
		t.Errorf("gsub with n 0 and -1: %q", got)
	}
	if len(want) < 10000 {
		t.Fatalf("too few results: %q", want)
	}
}
