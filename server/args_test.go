package server

import (
	"strconv"
	"testing"
)

// FuzzParseInt: what parseInt accepts is exactly the canonical base-10 form.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "9223372036854775807", "-9223372036854775808", "01", "+1", " 1", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseInt([]byte(s))
		if err == nil && strconv.FormatInt(n, 10) != s {
			t.Fatalf("parseInt(%q) = %d, not canonical", s, n)
		}
	})
}
