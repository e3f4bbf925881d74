package storage

import (
	"strconv"
	"testing"
)

// FuzzMatch: any pattern against any name terminates and never panics; a pattern
// without metacharacters matches exactly itself; on short inputs Match agrees with
// refMatch, the plain backtracking specification in glob_test.go. Seeds in
// testdata/fuzz/FuzzMatch hold issue 11's exponential pattern.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"*", "a"}, {"h?llo", "hello"}, {"h[^e]llo", "hallo"}, {"[a-", "a"}, {"\\*", "*"}, {"a*b*c*d*e*f", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := Match([]byte(pattern), []byte(name))
		plain := true
		for i := 0; i < len(pattern); i++ {
			switch pattern[i] {
			case '*', '?', '[', '\\':
				plain = false
			}
		}
		if plain && got != (pattern == name) {
			t.Fatalf("literal pattern %q vs %q", pattern, name)
		}
		if len(pattern) <= 12 && len(name) <= 16 {
			if want := refMatch([]byte(pattern), []byte(name)); got != want {
				t.Fatalf("Match(%q, %q) = %v, reference %v", pattern, name, got, want)
			}
		}
	})
}

// FuzzParseInt: what ParseInt accepts is exactly the canonical base-10 form.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "9223372036854775807", "-9223372036854775808", "01", "+1", " 1", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseInt([]byte(s))
		if err == nil && strconv.FormatInt(n, 10) != s {
			t.Fatalf("ParseInt(%q) = %d, not canonical", s, n)
		}
	})
}
