package server_test

// cmsgpack against redis-server 7.0: pack's bytes for every integer width and sign,
// the float32/float64 choice, strings of every header, the array-or-map rule, nesting
// and its bound, nil and booleans; unpack, unpack_one and unpack_limit back, and the
// errors of bad input. Replies are compared byte for byte (pack's output is returned
// as it is). Maps of several keys are left out of the byte comparison: their key
// order is each interpreter's own (docs/scripting.md).

import (
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

var tDiffMsgpack = func() [][]string {
	var cmds [][]string
	pack := func(expr string) { cmds = append(cmds, []string{"EVAL", "return cmsgpack.pack(" + expr + ")", "0"}) }
	for _, n := range []string{"0", "1", "127", "128", "255", "256", "65535", "65536", "2^32-1", "2^32", "2^53", "2^63-2^10",
		"-1", "-32", "-33", "-128", "-129", "-32768", "-32769", "-2^31", "-2^31-1", "-2^53", "-2^63", "2^63", "2^64", "-2^64"} {
		pack(n)
	}
	for _, f := range []string{"0.5", "1.5", "-2.25", "0.1", "1/3", "1e300", "-1e300", "2^100", "3.4e38", "1e-45", "-0.0", "1/0", "-1/0", "0/0", "-(0/0)", "123456.789"} {
		pack(f)
	}
	for _, s := range []string{"''", "'a'", "string.rep('x', 31)", "string.rep('x', 32)", "string.rep('x', 255)", "string.rep('x', 256)",
		"string.rep('x', 65535)", "string.rep('x', 65536)", "'\\0\\255bin'"} {
		pack(s)
	}
	for _, t := range []string{"{}", "{1, 2, 3}", "{'a', {'b', {'c'}}}", "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}",
		"{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}", "{1, nil, 3}", "{a = 1}", "{[0] = 'z'}", "{[1.5] = 1}",
		"{[-1] = 1}", "{a = {b = {c = {1, 2}}}}", "{[2] = 'two'}", "{[2^31] = 'big'}", "{true, false}",
		"{x = function() end}", "nil", "true", "false", "function() end", "1, 'two', {3}, nil, true",
		"(function() local t = {} t[1] = t return t end)()",
		"(function() local t = {} for i = 1, 70000 do t[i] = i end return t end)()"} {
		pack(t)
	}
	ev := func(src string) { cmds = append(cmds, []string{"EVAL", src, "0"}) }
	ev("return cmsgpack.pack()")
	ev("return {cmsgpack.unpack(cmsgpack.pack(1, -1, 300, -300, 70000, -70000, 2^40, -2^40, 'str', true, false))}")
	ev("local t = cmsgpack.unpack(cmsgpack.pack({a = 1, b = {2, 3}, c = 'x'})) return {t.a, t.b[1], t.b[2], t.c}")
	ev("local a, b = cmsgpack.unpack(cmsgpack.pack(nil, 5)) return {tostring(a), b}")
	ev("return {cmsgpack.unpack(cmsgpack.pack({1, {2, {3}}}))}")
	ev("return string.format('%.17g %.17g %.17g', cmsgpack.unpack(cmsgpack.pack(0.1, 0.5, 1e300)))")
	ev("return string.format('%.17g', cmsgpack.unpack('\\202\\61\\204\\204\\205'))") // float32 0.1
	ev("return cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')")    // uint64 max wraps to -1
	ev("return cmsgpack.unpack('\\207\\0\\0\\0\\0\\0\\0\\1\\0')")
	ev("return cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\1')")
	ev("return {cmsgpack.unpack('\\204\\200\\208\\200\\205\\255\\255\\209\\255\\254\\206\\255\\255\\255\\255\\210\\255\\255\\255\\253')}")
	ev("return cmsgpack.unpack('\\217\\3abc')")
	ev("return cmsgpack.unpack('\\218\\0\\3abc')")
	ev("return cmsgpack.unpack('\\219\\0\\0\\0\\3abc')")
	ev("return {cmsgpack.unpack('\\220\\0\\2\\1\\2')}")
	ev("local t = cmsgpack.unpack('\\222\\0\\1\\161k\\161v') return t.k")
	ev("local t = cmsgpack.unpack('\\223\\0\\0\\0\\1\\1\\2') return t[1]")
	ev("local t = cmsgpack.unpack('\\221\\0\\0\\0\\2\\192\\3') return {tostring(t[1]), t[2]}")
	ev("return cmsgpack.unpack('')")
	ev("return {cmsgpack.unpack(42)}")
	// bad input
	for _, bad := range []string{"\\193", "\\196\\1a", "\\199\\1\\1a", "\\212\\1\\1", "\\216\\1", "\\1\\193", "\\145\\193"} {
		ev("return cmsgpack.unpack('" + bad + "')")
	}
	for _, short := range []string{"\\204", "\\205\\1", "\\206\\1\\2", "\\207\\1", "\\203\\1\\2", "\\202", "\\165abc", "\\217\\5ab",
		"\\219\\255\\255\\255\\255", "\\147\\1\\2", "\\221\\255\\255\\255\\255", "\\130\\1", "\\129\\161k", "\\223\\255\\255\\255\\255"} {
		ev("return cmsgpack.unpack('" + short + "')")
	}
	ev("return cmsgpack.unpack('\\129\\192\\1')") // nil key
	ev("return cmsgpack.unpack('\\129\\1\\192')") // nil value: no entry
	ev("return cmsgpack.unpack()")
	ev("return cmsgpack.unpack({})")
	// unpack_one and unpack_limit
	ev("local s = cmsgpack.pack(1, 'two', {3}) local o, v = cmsgpack.unpack_one(s) local o2, v2 = cmsgpack.unpack_one(s, o) local o3, v3 = cmsgpack.unpack_one(s, o2) return {o, v, o2, v2, o3, v3[1]}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5)}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), '2')}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))}")
	ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 'x')}")
	ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 9)}")
	ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)}")
	ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)}")
	ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 'a')}")
	ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1.9)}")
	ev("return {cmsgpack.unpack_one('\\1\\193')}")
	ev("return {cmsgpack.unpack_one('\\1\\193', 1)}")
	// the interpreter's stack, as Redis's runs out of it
	for _, n := range []string{"3999", "4000"} {
		ev("local ok, e = pcall(cmsgpack.unpack, string.rep('\\145', " + n + ") .. '\\1') return {tostring(ok), type(e) == 'table' and 'table' or e}")
		ev("local ok, e = pcall(cmsgpack.unpack, string.rep('\\129\\1', " + n + ") .. '\\1') return {tostring(ok), type(e) == 'table' and 'table' or e}")
		ev("return cmsgpack.unpack(string.rep('\\145', " + n + ") .. '\\1') and 1")
	}
	for _, n := range []string{"7998", "7999", "8000"} {
		ev("return select('#', cmsgpack.unpack(string.rep('\\1', " + n + ")))")
		ev("return select('#', cmsgpack.unpack_limit(string.rep('\\1', " + n + "), " + n + "))")
	}
	ev("local p = cmsgpack.pack({a = 1, b = 2, c = {d = 3}}) local t = cmsgpack.unpack(p) return {#p, string.byte(p, 1), t.a, t.b, t.c.d}")
	ev("local p = cmsgpack.pack({[1] = 'a', [3] = 'c', x = 'y'}) return {#p, string.byte(p, 1)}")
	ev("local t = {} for i = 1, 17 do t['k' .. i] = i end local p = cmsgpack.pack(t) return {#p, string.byte(p, 1, 3)}")
	ev("return {type(cmsgpack.pack), type(cmsgpack.unpack), type(cmsgpack.unpack_one), type(cmsgpack.unpack_limit)}")
	// what BullMQ does: options packed by its client, unpacked and repacked
	ev("local o = cmsgpack.unpack(cmsgpack.pack({attempts = 3})) return cmsgpack.pack(o)")
	ev("return cmsgpack.pack({{'jobId', 'delay'}, {42, 1000}})")
	return cmds
}()

func TestDiffScriptMsgpack(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	r := tDial(t, raddr)
	h := tSelected(t, srv.Addr(), db)
	for _, cmd := range tDiffMsgpack {
		tDiffStep(t, r, h, cmd, func(rep tReply) string { return string(rep.raw) })
	}
}
