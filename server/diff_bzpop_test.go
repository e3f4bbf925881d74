package server_test

import "testing"

// TestDiffBZPop: the replies of BZPOPMIN, BZPOPMAX and BZMPOP that do not wait, and
// their errors, against redis-server.
func TestDiffBZPop(t *testing.T) {
	tReviewDiff(t, 1, [][]string{
		{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, {"BZPOPMIN", "z", "1"}, {"BZPOPMAX", "z", "1"},
		{"BZPOPMIN", "nokey", "z", "1"}, {"BZPOPMIN", "z", "0.5"}, {"BZPOPMIN", "z", "-1"}, {"BZPOPMIN", "z", "x"},
		{"SET", "s", "v"}, {"BZPOPMIN", "s", "z", "1"}, {"ZADD", "z", "4", "d", "5", "e"}, {"BZPOPMIN", "nokey", "s", "1"},
		{"BZMPOP", "1", "2", "nokey", "z", "MIN"}, {"BZMPOP", "1", "1", "z", "MAX", "COUNT", "5"},
		{"ZADD", "z", "1", "a", "2", "b"}, {"BZMPOP", "1", "1", "z", "MIN", "COUNT", "1"},
		{"BZMPOP", "1", "0", "z", "MIN"}, {"BZMPOP", "1", "1", "z", "FOO"}, {"BZMPOP", "1", "1", "z", "MIN", "COUNT", "0"},
		{"BZMPOP", "x", "1", "z", "MIN"}, {"BZMPOP", "-1", "1", "z", "MIN"}, {"BZMPOP", "1", "1", "s", "MIN"},
		{"BZMPOP", "1", "5", "z", "MIN"}, {"BZPOPMIN", "z"}, {"BZMPOP", "1", "1", "z"},
	})
}
