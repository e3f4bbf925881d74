package storage

import "testing"

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
