package server_test

// struct against redis-server 7.0: pack's bytes for every common format in both
// endiannesses and with alignment, unpack back (values, then the next position),
// size, and the errors of bad formats and short data, compared byte for byte.

import (
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

var tDiffStruct = func() [][]string {
	var cmds [][]string
	ev := func(src string) { cmds = append(cmds, []string{"EVAL", src, "0"}) }
	for _, e := range []string{"", "<", ">"} {
		for _, c := range []struct{ f, v string }{
			{"b", "-1"}, {"b", "127"}, {"b", "-128"}, {"b", "200"}, {"B", "255"}, {"B", "-1"}, {"B", "256"},
			{"h", "-2"}, {"h", "32767"}, {"H", "65535"}, {"H", "70000"}, {"i", "-123456"}, {"I", "4294967295"},
			{"l", "-1"}, {"l", "2^53"}, {"L", "2^63"}, {"L", "2^64"}, {"l", "-2^63"}, {"L", "-1"}, {"T", "12345"},
			{"i1", "-3"}, {"i2", "513"}, {"i3", "-70000"}, {"I3", "70000"}, {"i8", "-2"}, {"i16", "-2"}, {"I12", "2^40"},
			{"i0", "5"}, {"f", "1.5"}, {"f", "0.1"}, {"f", "-1e40"}, {"d", "0.1"}, {"d", "-1/0"}, {"d", "1e300"},
			{"b", "3.7"}, {"b", "-3.7"}, {"i", "'42'"}, {"d", "' 0x10 '"},
		} {
			ev("return struct.pack('" + e + c.f + "', " + c.v + ")")
			ev("return {struct.unpack('" + e + c.f + "', struct.pack('" + e + c.f + "', " + c.v + "))}")
		}
	}
	for _, src := range []string{
		"return struct.pack('c3', 'abcdef')",
		"return struct.pack('c0', 'abcdef')",
		"return struct.pack('s', 'ab')",
		"return struct.pack('sB', 'ab', 7)",
		"return struct.pack('xbxx', 1)",
		"return struct.pack(' < b > h ', 1, 2)",
		"return struct.pack('!4bi', 1, 2)",
		"return struct.pack('!bd', 1, 2)",
		"return struct.pack('!2bl', 1, 2)",
		"return struct.pack('!8bi3', 1, 2)",
		"return struct.pack('!bhbibl', 1, 2, 3, 4, 5, 6)",
		"return struct.pack('!8bc2i', 1, 'xy', 2)",
		"return struct.pack('b\\0b', 1, 2)",
		"return struct.pack('')",
		"return struct.pack('q', 1)",
		"return struct.pack('b5', 1)",
		"return struct.pack('!3b', 1)",
		"return struct.pack('!0b', 1)",
		"return struct.pack('i33', 1)",
		"return struct.pack('i99999999999', 1)",
		"return struct.pack('c5', 'ab')",
		"return struct.pack('b')",
		"return struct.pack('b', 'x')",
		"return struct.pack('s', {})",
		"return struct.pack()",
		"return struct.pack(12, 1, 2)",
		"return {struct.unpack('c3c2', 'abcdef')}",
		"return {struct.unpack('bc0', struct.pack('bc0', 3, 'xyz'))}",
		"return {struct.unpack('c0', 'abc')}",
		"return {struct.unpack('sc0', '2\\0abc')}",
		"return {struct.unpack('xs', '_hello\\0rest')}",
		"return {struct.unpack('s', 'noend')}",
		"return {struct.unpack('i', 'ab')}",
		"return {struct.unpack('bb', 'a')}",
		"return {struct.unpack('b', 'abc', 2)}",
		"return {struct.unpack('b', 'abc', 3)}",
		"return {struct.unpack('b', 'abc', 4)}",
		"return {struct.unpack('b', 'abc', 0)}",
		"return {struct.unpack('b', 'abc', -1)}",
		"return {struct.unpack('!4i', 'abcdefgh', -1)}",
		"return {struct.unpack('!4bi', 'abcdefgh')}",
		"return {struct.unpack('>!4hi', 'abcdefgh')}",
		"return {struct.unpack('i9', string.rep('\\255', 9))}",
		"return {struct.unpack('I9', string.rep('\\255', 9))}",
		"return {struct.unpack('i0', 'a')}",
		"return {struct.unpack('<d', struct.pack('>d', 1.5))}",
		"return string.format('%.17g', struct.unpack('f', struct.pack('f', 0.1)))",
		"return {struct.unpack('q', 'abc')}",
		"return {struct.unpack('b')}",
		"return {struct.unpack('b', 'a', 'x')}",
		"return struct.size('bhilBHILfdxT')",
		"return struct.size('!bhilBHILfdxT')",
		"return struct.size('!4bd')",
		"return struct.size('c7i3')",
		"return struct.size('s')",
		"return struct.size('c0')",
		"return struct.size('q5')",
		"return struct.size('b?')",
		"return struct.size('!5')",
		"return struct.size('')",
		"return {type(struct.pack), type(struct.unpack), type(struct.size)}",
		"local ok, e = pcall(struct.pack, 'q') return e",
	} {
		ev(src)
	}
	return cmds
}()

func TestDiffScriptStruct(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	r := tDial(t, raddr)
	h := tSelected(t, srv.Addr(), db)
	for _, cmd := range tDiffStruct {
		tDiffStep(t, r, h, cmd, func(rep tReply) string { return string(rep.raw) })
	}
}
