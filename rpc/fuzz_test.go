package rpc

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeParams: any params value decodes to an *jsonrpc2.Error or to args, never a
// panic, for every method's signature.
func FuzzDecodeParams(f *testing.F) {
	for _, s := range []string{`[]`, `{}`, `null`, `["Redb",{"name":null},null]`, `[1,"k","read"]`, `{"id":1}`, `"x"`, `[[[`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw := json.RawMessage(s)
		for _, m := range Methods() {
			a, err := decodeParams(m, &raw)
			if err == nil && a == nil {
				t.Fatal("nil args without error")
			}
			if err != nil {
				if _, ok := err.(interface{ Error() string }); !ok {
					t.Fatal("not an error")
				}
			}
		}
	})
}

// FuzzCountElements: on any valid JSON array, the early count of a batch's entries is
// the length json.Unmarshal finds.
func FuzzCountElements(f *testing.F) {
	for _, s := range []string{`[]`, `[ ]`, `[1]`, `[ 1 , 2 ]`, `[{"a":[1,2]},"x,y",[[],[]]]`, `["\"]",","]`, `["\\",1]`, "[\n\t{}\r\n]", `[[]]`, `[""]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var batch []json.RawMessage
		if !json.Valid([]byte(s)) || json.Unmarshal([]byte(s), &batch) != nil {
			return
		}
		if got := countElements([]byte(s)); got != len(batch) {
			t.Fatalf("countElements(%q) = %d, json.Unmarshal finds %d", s, got, len(batch))
		}
	})
}
