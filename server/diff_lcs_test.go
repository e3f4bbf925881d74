package server_test

import (
	"math/rand/v2"
	"testing"
)

// TestDiffLCS: LCS against redis-server: the examples of Redis's documentation, every
// option, the errors, and seeded random pairs of strings over a small alphabet (many
// matches, ranges broken and contiguous).
func TestDiffLCS(t *testing.T) {
	cmds := [][]string{
		{"MSET", "key1", "ohmytext", "key2", "mynewtext"},
		{"LCS", "key1", "key2"}, {"LCS", "key1", "key2", "LEN"}, {"LCS", "key1", "key2", "IDX"},
		{"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"}, {"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"},
		{"LCS", "key1", "key2", "IDX", "WITHMATCHLEN"}, {"LCS", "key1", "key2", "LEN", "IDX"},
		{"LCS", "key1", "key2", "MINMATCHLEN"}, {"LCS", "key1", "key2", "MINMATCHLEN", "x"},
		{"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-3"}, {"LCS", "key1", "key2", "FOO"},
		{"LCS", "key1", "nokey"}, {"LCS", "nokey", "nokey2", "IDX"}, {"LCS", "nokey", "nokey2", "LEN"},
		{"HSET", "h", "f", "v"}, {"LCS", "key1", "h"}, {"LCS", "h", "key1", "LEN"}, {"LCS", "key1"},
		{"SET", "e", ""}, {"LCS", "e", "key1", "IDX"}, {"LCS", "key1", "key1", "IDX", "WITHMATCHLEN"},
	}
	rng := rand.New(rand.NewPCG(3, 5))
	word := func() string {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = "abc"[rng.IntN(3)]
		}
		return string(b)
	}
	for i := 0; i < 60; i++ {
		cmds = append(cmds, []string{"MSET", "x", word(), "y", word()},
			[]string{"LCS", "x", "y"}, []string{"LCS", "x", "y", "IDX", "WITHMATCHLEN"},
			[]string{"LCS", "x", "y", "IDX", "MINMATCHLEN", "2"})
	}
	tReviewDiff(t, 1, cmds)
}

// TestDiffSubstr: SUBSTR answers as GETRANGE, as in Redis.
func TestDiffSubstr(t *testing.T) {
	tReviewDiff(t, 1, [][]string{
		{"SET", "s", "This is a string"}, {"SUBSTR", "s", "0", "3"}, {"SUBSTR", "s", "-3", "-1"},
		{"SUBSTR", "s", "0", "-1"}, {"SUBSTR", "s", "10", "100"}, {"SUBSTR", "s", "5", "2"},
		{"SUBSTR", "nokey", "0", "1"}, {"SUBSTR", "s", "x", "1"}, {"SUBSTR", "s", "0"},
	})
}
