package server_test

import (
	"strconv"
	"testing"
)

// TestDiffHyperLogLog: PFADD, PFCOUNT and PFMERGE against redis-server. herodb uses
// Redis's hash and estimator, so the estimates must match exactly, from a few elements to
// 20,000 (Redis switches from its sparse to its dense encoding on the way; the estimate
// does not depend on the encoding).
func TestDiffHyperLogLog(t *testing.T) {
	cmds := [][]string{
		{"PFADD", "h"}, {"PFCOUNT", "h"}, {"PFADD", "h", "a", "b", "c"}, {"PFADD", "h", "a"},
		{"PFCOUNT", "h"}, {"PFCOUNT", "nokey"}, {"PFADD", "h2", "c", "d"}, {"PFCOUNT", "h", "h2"},
		{"PFCOUNT", "h", "nokey"}, {"PFMERGE", "m", "h", "h2"}, {"PFCOUNT", "m"}, {"PFMERGE", "m"},
		{"PFMERGE", "empty"}, {"PFCOUNT", "empty"}, {"PFMERGE", "m", "nokey"}, {"PFCOUNT", "m"},
		{"SET", "s", "not an hll"}, {"PFADD", "s", "x"}, {"PFCOUNT", "s"}, {"PFCOUNT", "h", "s"},
		{"PFMERGE", "m", "s"}, {"PFMERGE", "s", "h"}, {"HSET", "hash", "f", "v"}, {"PFADD", "hash", "x"},
		{"PFCOUNT", "hash"}, {"PFADD"}, {"PFCOUNT"}, {"PFMERGE"}, {"TYPE", "h"},
		{"PFADD", "e", ""}, {"PFCOUNT", "e"},
	}
	batch := []string{"PFADD", "big"}
	for i := 0; i < 20000; i++ {
		batch = append(batch, "element:"+strconv.Itoa(i))
		if len(batch) == 502 {
			cmds = append(cmds, batch, []string{"PFCOUNT", "big"})
			batch = []string{"PFADD", "big"}
		}
	}
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 100} { // the hash's tail lengths
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		cmds = append(cmds, []string{"PFADD", "tails", string(b)}, []string{"PFCOUNT", "tails"})
	}
	cmds = append(cmds, []string{"PFMERGE", "all", "big", "tails", "h"}, []string{"PFCOUNT", "all"},
		[]string{"PFCOUNT", "big", "tails", "h"})
	tReviewDiff(t, 1, cmds)
}
