package server_test

// The differential test of the blocking list commands and LMPOP: the same sequences over
// raw RESP to redis-server and to herodb, replies compared byte for byte (helpers in
// diff_test.go). Only replies that need no second client: a pop that finds an element,
// a short timeout's nil, MULTI's non-blocking form, and every argument error.

import (
	"testing"
)

func TestDiffBlockingLists(t *testing.T) {
	tReviewDiff(t, 1, [][]string{
		// Timeouts, as Redis 7.0 parses them.
		{"BLPOP", "k", "-1"}, {"BLPOP", "k", "abc"}, {"BLPOP", "k", ""}, {"BLPOP", "k", " 1"},
		{"BLPOP", "k", "1 "}, {"BLPOP", "k", "inf"}, {"BLPOP", "k", "-inf"}, {"BLPOP", "k", "nan"},
		{"BLPOP", "k", "1e30"}, {"BLPOP", "k", "9223372036854775807"}, {"BLPOP", "k", "-0.5"},
		{"BLPOP", "k", "0.01"}, {"BRPOP", "k", "k2", "0.001"}, {"BLPOP", "k", "1e-3"},
		{"BLPOP", "k"}, {"BRPOP"}, {"BLMOVE", "k", "d", "LEFT", "RIGHT"}, {"BRPOPLPUSH", "k", "d"},
		// Pops that find something.
		{"RPUSH", "l", "a", "b", "c", "d", "e"},
		{"BLPOP", "nokey", "l", "0"}, {"BRPOP", "l", "nokey", "0"}, {"LRANGE", "l", "0", "-1"},
		{"BLPOP", "l", "l", "1"}, {"BRPOPLPUSH", "l", "m", "0"}, {"BLMOVE", "l", "m", "LEFT", "RIGHT", "0"},
		{"BLMOVE", "l", "m", "UP", "RIGHT", "0"}, {"BLMOVE", "l", "m", "LEFT", "DOWN", "0"},
		{"BLMOVE", "l", "m", "LEFT", "RIGHT", "x"}, {"BLMOVE", "l", "m", "x", "RIGHT", "x"},
		{"BRPOPLPUSH", "l", "m", "x"}, {"LRANGE", "m", "0", "-1"}, {"EXISTS", "l"},
		{"BLMOVE", "none", "m", "LEFT", "LEFT", "0.01"}, {"BRPOPLPUSH", "none", "m", "0.01"},
		// Types.
		{"SET", "str", "v"}, {"BLPOP", "str", "0"}, {"BLPOP", "nokey", "str", "m", "0"},
		{"BLPOP", "m", "str", "0"}, {"BLMOVE", "str", "m", "LEFT", "LEFT", "0"},
		{"BLMOVE", "m", "str", "LEFT", "LEFT", "0"}, {"BRPOPLPUSH", "none", "str", "0.01"},
		// LMPOP and BLMPOP.
		{"RPUSH", "p", "1", "2", "3", "4", "5"},
		{"LMPOP", "1", "p", "LEFT"}, {"LMPOP", "2", "nokey", "p", "RIGHT"}, {"LMPOP", "1", "p", "left", "COUNT", "2"},
		{"LMPOP", "1", "p", "RIGHT", "count", "100"}, {"LMPOP", "1", "p", "LEFT"}, {"EXISTS", "p"},
		{"LMPOP", "0", "p", "LEFT"}, {"LMPOP", "-1", "p", "LEFT"}, {"LMPOP", "x", "p", "LEFT"},
		{"LMPOP", "2", "p", "LEFT"}, {"LMPOP", "9223372036854775807", "p", "LEFT"}, {"LMPOP", "1", "p", "UP"},
		{"LMPOP", "1", "p", "LEFT", "COUNT"}, {"LMPOP", "1", "p", "LEFT", "COUNT", "0"},
		{"LMPOP", "1", "p", "LEFT", "COUNT", "-1"}, {"LMPOP", "1", "p", "LEFT", "COUNT", "x"},
		{"LMPOP", "1", "p", "LEFT", "COUNT", "1", "COUNT", "2"}, {"LMPOP", "1", "p", "LEFT", "FOO"},
		{"LMPOP", "1", "p"}, {"LMPOP", "1"}, {"LMPOP", "2", "str", "p", "LEFT"},
		{"RPUSH", "p", "1", "2", "3"}, {"LMPOP", "2", "p", "str", "LEFT"},
		{"BLMPOP", "0", "2", "nokey", "p", "RIGHT", "COUNT", "2"}, {"BLMPOP", "0.01", "1", "nokey", "LEFT"},
		{"BLMPOP", "x", "1", "p", "LEFT"}, {"BLMPOP", "-1", "1", "p", "LEFT"}, {"BLMPOP", "0", "0", "p", "LEFT"},
		{"BLMPOP", "x", "0", "p", "LEFT"}, {"BLMPOP", "x", "1", "p", "UP"}, {"BLMPOP", "x", "1", "p", "LEFT", "COUNT", "0"},
		{"BLMPOP", "0", "2", "p", "LEFT"}, {"BLMPOP", "0", "1", "p"}, {"BLMPOP", "0", "1", "str", "LEFT"},
		// Inside MULTI they do not block: nil at once.
		{"MULTI"}, {"BLPOP", "none", "0"}, {"BRPOP", "none", "none2", "0"}, {"BLMOVE", "none", "m", "LEFT", "LEFT", "0"},
		{"BRPOPLPUSH", "none", "m", "0"}, {"BLMPOP", "0", "1", "none", "LEFT"}, {"LPUSH", "none", "x"},
		{"BLPOP", "none", "0"}, {"BLPOP", "k", "-1"}, {"EXEC"},
		{"MULTI"}, {"BLPOP", "k"}, {"EXEC"},
		// CLIENT UNBLOCK's argument errors, and a client that is not blocked.
		{"CLIENT", "UNBLOCK", "x"}, {"CLIENT", "UNBLOCK", "1", "foo"}, {"CLIENT", "UNBLOCK", "x", "foo"},
		{"CLIENT", "UNBLOCK", "999999", "TIMEOUT"}, {"CLIENT", "UNBLOCK", "999999", "error"},
		{"CLIENT", "UNBLOCK", "999999", "error", "x"}, {"CLIENT", "UNBLOCK"},
	})
}
