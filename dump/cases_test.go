package dump

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// redisCase is a value that redis-server 7.0 DUMPed into testdata/<name>.dump
// (gen_test.go made them, with setup run first), with what Decode must make of it.
type redisCase struct {
	name  string
	setup [][]string // commands run on redis-server before the value is written
	want  Value
}

func strs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func seq(n int, f func(i int) string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(f(i))
	}
	return out
}

func pairs(n int, field, value func(i int) string) [][]byte {
	var out [][]byte
	for i := range n {
		out = append(out, []byte(field(i)), []byte(value(i)))
	}
	return out
}

var long = strings.Repeat("x", 70) // past Redis's 64-byte listpack value limit

var redisCases = []redisCase{
	{name: "string_raw", want: Value{Type: String, Str: []byte("hello world")}},
	{name: "string_empty", want: Value{Type: String, Str: []byte{}}},
	{name: "string_int8", want: Value{Type: String, Str: []byte("-100")}},
	{name: "string_int16", want: Value{Type: String, Str: []byte("30000")}},
	{name: "string_int32", want: Value{Type: String, Str: []byte("-2000000000")}},
	{name: "string_int64", want: Value{Type: String, Str: []byte("9223372036854775807")}},
	{name: "string_lzf", want: Value{Type: String, Str: []byte(strings.Repeat("abcdefgh", 100))}},
	{name: "string_large", want: Value{Type: String, Str: []byte(strings.Repeat("0123456789abcdef", 8192) + "end")}},
	{name: "list_small", want: Value{Type: List, Elems: strs("a", "b", "1", "-100", "70000", "a")}},
	{name: "list_ints", want: Value{Type: List, Elems: strs("0", "127", "128", "-4096", "4095", "32767", "-32768",
		"8388607", "-8388608", "2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808", "007", "1.5")}},
	{name: "list_large", want: Value{Type: List, Elems: seq(5000, func(i int) string { return fmt.Sprintf("%d-%s", i, long) })}},
	{name: "list_compressed", setup: [][]string{{"config", "set", "list-compress-depth", "1"}},
		want: Value{Type: List, Elems: seq(3000, func(i int) string { return "element-" + strconv.Itoa(i%50) })}},
	{name: "list_plain", setup: [][]string{{"debug", "quicklist-packed-threshold", "100"}},
		want: Value{Type: List, Elems: strs("small", strings.Repeat("p", 150), "tail", strings.Repeat("q", 300))}},
	{name: "set_intset", want: Value{Type: Set, Elems: strs("-5", "1", "2", "3", "100000")}},
	{name: "set_intset64", want: Value{Type: Set, Elems: strs("-9223372036854775808", "0", "9223372036854775807")}},
	{name: "set_intset16", want: Value{Type: Set, Elems: strs("1", "2", "300")}},
	{name: "set_strings", want: Value{Type: Set, Elems: strs("a", "b", "c", "12")}},
	{name: "set_large", want: Value{Type: Set, Elems: seq(5000, func(i int) string { return "member-" + strconv.Itoa(i) })}},
	{name: "zset_listpack", want: Value{Type: ZSet, Elems: strs("a", "b", "c", "d", "e", "f"),
		Scores: []float64{1, 2.5, math.Inf(-1), math.Inf(1), -3, 0.1}}},
	{name: "zset_skiplist", want: Value{Type: ZSet, Elems: seq(1000, func(i int) string { return "m" + strconv.Itoa(i) }),
		Scores: func() []float64 {
			out := make([]float64, 1000)
			for i := range out {
				out[i] = float64(i) / 7
			}
			return out
		}()}},
	{name: "zset_long_member", want: Value{Type: ZSet, Elems: strs(long, "short"), Scores: []float64{1, 2}}},
	{name: "hash_listpack", want: Value{Type: Hash, Elems: strs("f1", "v1", "f2", "123", "f3", "")}},
	{name: "hash_hashtable", want: Value{Type: Hash, Elems: strs("f1", long, "f2", "v2")}},
	{name: "hash_large", want: Value{Type: Hash, Elems: pairs(2000, func(i int) string { return "field:" + strconv.Itoa(i) },
		func(i int) string { return strings.Repeat("v", i%100) })}},
}
