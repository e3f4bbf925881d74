package server_test

import "testing"

// TestDiffObject: OBJECT against redis-server where herodb answers as Redis does
// (string encodings, missing keys, FREQ's refusal, REFCOUNT and IDLETIME's shape, the
// errors); the other types' encodings are fixed names (the command table's differs).
func TestDiffObject(t *testing.T) {
	tReviewDiff(t, 1, [][]string{
		{"SET", "i", "12345"}, {"OBJECT", "ENCODING", "i"}, {"SET", "neg", "-7"}, {"OBJECT", "ENCODING", "neg"},
		{"SET", "lead", "007"}, {"OBJECT", "ENCODING", "lead"}, {"SET", "e", "a short string"}, {"OBJECT", "ENCODING", "e"},
		{"SET", "r", "a string of more than forty-four bytes, so it is raw"}, {"OBJECT", "ENCODING", "r"},
		{"SET", "big", "123456789012345678901"}, {"OBJECT", "ENCODING", "big"},
		{"OBJECT", "ENCODING", "nokey"}, {"OBJECT", "FREQ", "nokey"}, {"OBJECT", "FREQ", "i"},
		{"OBJECT", "IDLETIME", "nokey"}, {"OBJECT", "REFCOUNT", "nokey"}, {"OBJECT", "ENCODING"},
		{"OBJECT", "ENCODING", "i", "x"}, {"OBJECT", "NOPE", "i"}, {"OBJECT"},
		{"RPUSH", "l", "a"}, {"OBJECT", "ENCODING", "l"},
	})
}
