package server_test

// The differential test of the bitmap commands against redis-server: fixed edge cases,
// then a seeded random mix of SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP over a few
// keys, every reply compared byte for byte (tReviewDiff, diff_test.go).

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestDiffBitmapEdges(t *testing.T) {
	tReviewDiff(t, 1, [][]string{
		{"SETBIT", "b", "7", "1"}, {"SETBIT", "b", "7", "1"}, {"SETBIT", "b", "7", "0"}, {"GET", "b"},
		{"SETBIT", "b", "100", "1"}, {"STRLEN", "b"}, {"GETBIT", "b", "100"}, {"GETBIT", "b", "101"},
		{"GETBIT", "b", "99999"}, {"GETBIT", "nokey", "0"},
		{"SETBIT", "b", "-1", "1"}, {"SETBIT", "b", "4294967296", "1"}, {"SETBIT", "b", "x", "1"},
		{"SETBIT", "b", "1", "2"}, {"SETBIT", "b", "1", "-1"}, {"SETBIT", "b", "1", "x"},
		{"GETBIT", "b", "-1"}, {"GETBIT", "b", "4294967296"},
		{"SET", "s", "foobar"}, {"BITCOUNT", "s"}, {"BITCOUNT", "s", "0", "0"}, {"BITCOUNT", "s", "1", "1"},
		{"BITCOUNT", "s", "1", "-2"}, {"BITCOUNT", "s", "-2", "-1"}, {"BITCOUNT", "s", "-1", "-2"},
		{"BITCOUNT", "s", "5", "30", "BIT"}, {"BITCOUNT", "s", "0", "-1", "BIT"}, {"BITCOUNT", "s", "-9", "-1", "bit"},
		{"BITCOUNT", "s", "0", "0", "BYTE"}, {"BITCOUNT", "s", "0", "0", "WORD"}, {"BITCOUNT", "s", "0"},
		{"BITCOUNT", "s", "0", "1", "BIT", "x"}, {"BITCOUNT", "s", "a", "1"}, {"BITCOUNT", "nokey"},
		{"BITCOUNT", "nokey", "0"}, {"BITCOUNT", "s", "100", "200"},
		{"SET", "z", "\x00\x00\x00"}, {"BITPOS", "z", "1"}, {"BITPOS", "z", "0"}, {"BITPOS", "nokey", "0"},
		{"BITPOS", "nokey", "1"}, {"SET", "f", "\xff\xf0\x00"}, {"BITPOS", "f", "0"}, {"BITPOS", "f", "1", "2"},
		{"BITPOS", "f", "0", "1"}, {"BITPOS", "f", "0", "0", "0"}, {"SET", "ff", "\xff\xff"}, {"BITPOS", "ff", "0"},
		{"BITPOS", "ff", "0", "0"}, {"BITPOS", "ff", "0", "0", "-1"}, {"BITPOS", "ff", "1", "3", "5", "BIT"},
		{"BITPOS", "f", "0", "3", "13", "BIT"}, {"BITPOS", "f", "1", "-3", "-1", "BIT"}, {"BITPOS", "f", "2"},
		{"BITPOS", "f", "x"}, {"BITPOS", "f", "1", "x"}, {"BITPOS", "f", "1", "0", "1", "WORD"},
		{"BITPOS", "f", "1", "0", "1", "BIT", "x"}, {"BITPOS", "f", "1", "5", "2"},
		{"SET", "a", "abc"}, {"SET", "c", "xy"}, {"BITOP", "AND", "d", "a", "c"}, {"GET", "d"},
		{"BITOP", "OR", "d", "a", "c"}, {"GET", "d"}, {"BITOP", "XOR", "d", "a", "c", "nokey"}, {"GET", "d"},
		{"BITOP", "NOT", "d", "a"}, {"GET", "d"}, {"BITOP", "NOT", "d", "a", "c"}, {"BITOP", "NAND", "d", "a"},
		{"BITOP", "AND", "d", "nokey", "nokey2"}, {"EXISTS", "d"}, {"BITOP", "or", "d", "a"}, {"GET", "d"},
		{"HSET", "h", "f", "v"}, {"SETBIT", "h", "1", "1"}, {"GETBIT", "h", "1"}, {"BITCOUNT", "h"},
		{"BITPOS", "h", "1"}, {"BITOP", "AND", "d", "a", "h"}, {"BITOP", "AND", "h", "a"}, {"TYPE", "h"},
		{"SET", "t", "x", "EX", "100"}, {"SETBIT", "t", "0", "1"}, {"TTL", "t"},
		{"SETBIT"}, {"GETBIT", "b"}, {"BITCOUNT"}, {"BITPOS", "b"}, {"BITOP", "AND", "d"},
	})
}

func TestDiffBitmapRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"b0", "b1", "b2"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	num := func(lim int) string { return strconv.Itoa(rng.IntN(2*lim+1) - lim) }
	var cmds [][]string
	for i := 0; i < 600; i++ {
		switch rng.IntN(6) {
		case 0, 1:
			cmds = append(cmds, []string{"SETBIT", key(), strconv.Itoa(rng.IntN(200)), strconv.Itoa(rng.IntN(2))})
		case 2:
			cmds = append(cmds, []string{"GETBIT", key(), strconv.Itoa(rng.IntN(220))})
		case 3:
			c := []string{"BITCOUNT", key()}
			if rng.IntN(2) == 0 {
				c = append(c, num(30), num(30))
				if rng.IntN(2) == 0 {
					c = append(c, []string{"BIT", "BYTE"}[rng.IntN(2)])
				}
			}
			cmds = append(cmds, c)
		case 4:
			c := []string{"BITPOS", key(), strconv.Itoa(rng.IntN(2))}
			if n := rng.IntN(4); n > 0 {
				c = append(c, num(30))
				if n > 1 {
					c = append(c, num(30))
				}
				if n > 2 {
					c = append(c, []string{"BIT", "BYTE"}[rng.IntN(2)])
				}
			}
			cmds = append(cmds, c)
		default:
			op := []string{"AND", "OR", "XOR", "NOT"}[rng.IntN(4)]
			c := []string{"BITOP", op, key(), key()}
			if op != "NOT" {
				c = append(c, key())
			}
			cmds = append(cmds, c)
		}
	}
	for _, k := range keys {
		cmds = append(cmds, []string{"GET", k})
	}
	tReviewDiff(t, 1, cmds)
}
