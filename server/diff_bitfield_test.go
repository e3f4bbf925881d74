package server_test

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestDiffBitfield: BITFIELD and BITFIELD_RO against redis-server: Redis's documented
// examples, every overflow policy at the edges of signed and unsigned types of 1 to 64
// bits, the errors, then a seeded random mix.
func TestDiffBitfield(t *testing.T) {
	cmds := [][]string{
		{"BITFIELD", "mykey", "INCRBY", "i5", "100", "1", "GET", "u4", "0"},
		{"BITFIELD", "mystring", "SET", "i8", "#0", "100", "SET", "i8", "#1", "200"}, {"GET", "mystring"},
		{"BITFIELD", "mykey", "incrby", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "1"},
		{"BITFIELD", "mykey", "incrby", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "1"},
		{"BITFIELD", "mykey", "OVERFLOW", "FAIL", "incrby", "u2", "102", "1"},
		{"BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u8", "0", "INCRBY", "u8", "0", "1"},
		{"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-300", "INCRBY", "i8", "0", "-300", "INCRBY", "i8", "0", "300"},
		{"BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "0", "256", "SET", "i8", "0", "128", "SET", "i8", "0", "-129", "GET", "i8", "0"},
		{"BITFIELD", "k", "SET", "u8", "0", "-1", "SET", "i8", "8", "-1", "GET", "u16", "0"},
		{"BITFIELD", "k", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1", "GET", "i64", "0"},
		{"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "1", "INCRBY", "i64", "0", "-9223372036854775808"},
		{"BITFIELD", "k", "SET", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "1", "GET", "u63", "0"},
		{"BITFIELD", "k", "SET", "i1", "3", "1", "GET", "i1", "3", "SET", "u1", "3", "1", "GET", "u1", "3"},
		{"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i1", "5", "1", "INCRBY", "i1", "5", "-1", "INCRBY", "i1", "5", "-1"},
		{"BITFIELD", "fresh", "OVERFLOW", "FAIL", "SET", "u8", "#10", "300"}, {"STRLEN", "fresh"}, {"EXISTS", "fresh"},
		{"BITFIELD", "gets-only", "GET", "u8", "0"}, {"EXISTS", "gets-only"},
		{"BITFIELD", "k", "GET", "u64", "0"}, {"BITFIELD", "k", "GET", "i65", "0"}, {"BITFIELD", "k", "GET", "x8", "0"},
		{"BITFIELD", "k", "GET", "u8", "-1"}, {"BITFIELD", "k", "GET", "u8", "#-1"}, {"BITFIELD", "k", "GET", "u8", "x"},
		{"BITFIELD", "k", "GET", "u8", "4294967296"}, {"BITFIELD", "k", "SET", "u8", "0", "x"},
		{"BITFIELD", "k", "OVERFLOW", "MAYBE", "GET", "u8", "0"}, {"BITFIELD", "k", "OVERFLOW"},
		{"BITFIELD", "k", "FOO", "u8", "0"}, {"BITFIELD", "k", "GET", "u8"}, {"BITFIELD", "k"},
		{"BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "#3"}, {"BITFIELD_RO", "k", "SET", "u8", "0", "1"},
		{"BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"}, {"BITFIELD_RO", "k"},
		{"HSET", "h", "f", "v"}, {"BITFIELD", "h", "GET", "u8", "0"}, {"BITFIELD_RO", "h", "GET", "u8", "0"},
		{"SET", "t", "x", "EX", "100"}, {"BITFIELD", "t", "SET", "u8", "0", "1"}, {"TTL", "t"},
	}
	rng := rand.New(rand.NewPCG(13, 17))
	for i := 0; i < 400; i++ {
		c := []string{"BITFIELD", "r"}
		for n := rng.IntN(4) + 1; n > 0; n-- {
			if rng.IntN(5) == 0 {
				c = append(c, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[rng.IntN(3)])
			}
			signed := rng.IntN(2) == 0
			bits := rng.IntN(63) + 1
			typ := "u" + strconv.Itoa(bits)
			if signed {
				typ = "i" + strconv.Itoa(rng.IntN(64)+1)
			}
			off := strconv.Itoa(rng.IntN(90))
			if rng.IntN(4) == 0 {
				off = "#" + strconv.Itoa(rng.IntN(4))
			}
			val := strconv.FormatInt(rng.Int64N(1<<40)-1<<39, 10)
			if rng.IntN(3) == 0 {
				val = strconv.FormatInt(int64(rng.Uint64()), 10)
			}
			switch rng.IntN(3) {
			case 0:
				c = append(c, "GET", typ, off)
			case 1:
				c = append(c, "SET", typ, off, val)
			default:
				c = append(c, "INCRBY", typ, off, val)
			}
		}
		cmds = append(cmds, c)
	}
	cmds = append(cmds, []string{"GET", "r"})
	tReviewDiff(t, 1, cmds)
}
