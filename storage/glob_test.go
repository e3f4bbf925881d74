package storage

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// globCases are Match's edge cases. Every expectation was checked against Redis 7.0.15
// (amd64) through PSUBSCRIBE pattern + PUBLISH name, which calls stringmatchlen with no
// shortcut for a lone `*`.
var globCases = []struct {
	pattern, s string
	want       bool
}{
	// the empty string matches only the empty pattern
	{"", "", true},
	{"", "a", false},
	{"*", "", false},
	{"**", "", false},
	{"?", "", false},
	{"[^", "", false},
	// * and ?
	{"*", "a", true},
	{"*", "\x00", true},
	{"a*", "a", true},
	{"a**", "a", true},
	{"*a", "a", true},
	{"*a*", "a", true},
	{"a*b", "ab", true},
	{"a*b", "axxb", true},
	{"a*b", "axxbc", false},
	{"a*b*", "axbyb", true},
	{"a*b*c", "abbbc", true},
	{"a*b*c", "acb", false},
	{"*aab", "aaab", true},
	{"*ab*c", "aabbc", true},
	{"a*a*a", "aaaa", true},
	{"a*a*a", "aa", false},
	{"a*?c", "abc", true},
	{"a*?c", "ac", false},
	{"?", "a", true},
	{"?", "ab", false},
	{"??", "ab", true},
	{"*?", "a", true},
	{"?*", "a", true},
	{"h?llo", "hello", true},
	{"h*llo", "hllo", true},
	// classes and ranges
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[a-b]llo", "hbllo", true},
	{"[abc]", "b", true},
	{"[abc]", "d", false},
	{"[a-z]", "m", true},
	{"[a-z]", "A", false},
	{"[z-a]", "m", true},
	{"[z-a]", "z", true},
	{"[z-a]", "A", false},
	{"[^a-z]", "m", false},
	{"[^a-z]", "0", true},
	{"[-a]", "-", true},
	{"[a-b-c]", "-", true},
	{"[a-b-c]", "c", true},
	{"[a-b-c]", "b", true},
	// [a-] is the range ]..a and leaves the class open
	{"[a-]", "a", true},
	{"[a-]", "]", true},
	{"[a-]", "_", true},
	{"[a-]", "-", false},
	{"[a-]", "b", false},
	{"[a-]x", "x", true},
	{"[a-]x", "ax", false},
	// ] first closes an empty class
	{"[]", "]", false},
	{"[]]", "]", false},
	{"[]a]", "a]", false},
	{"[^]", "x", true},
	{"[^]]", "x]", true},
	// an unclosed [ takes the rest of the pattern as its class
	{"[", "[", false},
	{"[", "a", false},
	{"[^", "a", true},
	{"[^", "ab", false},
	{"[abc", "b", true},
	{"[abc", "abc", false},
	{"[a*", "*", true},
	{"[a*", "ab", false},
	{"[a-c", "b", true},
	{"[a\\", "\\", true},
	{"[a\\", "a", true},
	// \ inside a class
	{"[\\]]", "]", true},
	{"[\\]]", "\\", false},
	{"[\\^a]", "^", true},
	{"[\\-]", "-", true},
	{"[\\a-z]", "m", false},
	{"[\\a-z]", "-", true},
	{"[\\a-z]", "a", true},
	{"[\\a-z]", "z", true},
	{"[a-\\]]", "_]", true},
	{"[a-\\]]", "\\]", true},
	{"[a-\\]]", "b]", false},
	{"[^\\]]", "]", false},
	{"[^\\]]", "a", true},
	// \ outside a class, and a trailing one
	{"\\*", "*", true},
	{"\\*", "a", false},
	{"\\?", "?", true},
	{"\\?", "a", false},
	{"\\[a]", "[a]", true},
	{"\\[a]", "a", false},
	{"\\\\", "\\", true},
	{"\\a", "a", true},
	{"\\", "\\", true},
	{"a\\", "a\\", true},
	{"a\\", "a", false},
	{"*\\", "x\\", true},
	// binary-safe; range ends compare as signed char, as Redis on amd64
	{"a\x00b", "a\x00b", true},
	{"a\x00b", "a", false},
	{"a?b", "a\x00b", true},
	{"[\x00]", "\x00", true},
	{"\xff*", "\xff\xfe", true},
	{"[\x80-\xff]", "\x90", true},
	{"[\x80-\xff]", "a", false},
	{"[a-\xff]", "b", false},
	{"[a-\xff]", "\x01", true},
	{"[a-\xff]", "\xff", true},
	{"[a-\xff]", "\xfe", false},
	{"[\x01-\x90]", "\xfe", true},
	{"[\x01-\x90]", "\x90", true},
	{"[\x01-\x90]", "b", false},
	{"[^\x00-\x7f]", "\x80", true},
	{"[^\x00-\x7f]", "\x7f", false},
	// Redis's limit: at most 1000 runs of * before the last other token
	{strings.Repeat("*a", 1000), strings.Repeat("a", 1000), true},
	{strings.Repeat("*a", 1001), strings.Repeat("a", 1001), false},
	{strings.Repeat("*a", 1001) + "*", strings.Repeat("a", 1001), false},
	{strings.Repeat("a*", 1001), strings.Repeat("a", 1001), true},
	{strings.Repeat("a*", 1002), strings.Repeat("a", 1002), false},
	{strings.Repeat("*", 2000) + "a", "a", true},
	// the finding: exponential before
	{strings.Repeat("*a", 7) + "*b", strings.Repeat("a", 60), false},
	{strings.Repeat("*a", 7) + "*b", strings.Repeat("a", 60) + "b", true},
}

func TestGlobCases(t *testing.T) {
	for _, c := range globCases {
		if got := Match([]byte(c.pattern), []byte(c.s)); got != c.want {
			t.Errorf("Match(%s, %s) = %v, want %v", short(c.pattern), short(c.s), got, c.want)
		}
		if len(c.pattern) <= 12 && len(c.s) <= 16 {
			if ref := refMatch([]byte(c.pattern), []byte(c.s)); ref != c.want {
				t.Errorf("refMatch(%q, %q) = %v, want %v", c.pattern, c.s, ref, c.want)
			}
		}
	}
}

func short(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

// The finding's shape with 12 stars: exponential matching would not finish within the
// test run's timeout.
func TestGlobHostile(t *testing.T) {
	key := strings.Repeat("a", 60)
	pattern := strings.Repeat("*a", 12) + "*b"
	if Match([]byte(pattern), []byte(key)) {
		t.Errorf("%s matched %d a's", pattern, len(key))
	}
	if !Match([]byte(pattern), []byte(key+"b")) {
		t.Errorf("%s did not match %d a's and b", pattern, len(key))
	}
	if !Match([]byte(strings.Repeat("*a", 12)+"*"), []byte(key)) {
		t.Errorf("*a×12* did not match %d a's", len(key))
	}
}

// Match agrees with refMatch on random small patterns and names over the bytes that
// matter to the syntax.
func TestGlobMatchesReference(t *testing.T) {
	const patBytes, nameBytes = "ab*?[]^-\\\x00\xff", "ab-]^\\*?[\x00\xff"
	rnd := rand.New(rand.NewPCG(1, 2))
	gen := func(alphabet string, max int) []byte {
		b := make([]byte, rnd.IntN(max+1))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return b
	}
	for range 100_000 {
		p, s := gen(patBytes, 10), gen(nameBytes, 8)
		if got, want := Match(p, s), refMatch(p, s); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference %v", p, s, got, want)
		}
	}
}

// refMatch is the specification written as plainly as possible: it tries every split of
// every star (exponential; small inputs only).
func refMatch(p, s []byte) bool {
	if len(s) == 0 {
		return len(p) == 0
	}
	runs := 0
	for i := 0; i < len(p); {
		if p[i] != '*' {
			n, _ := refToken(p[i:], 0)
			i += n
			continue
		}
		for i < len(p) && p[i] == '*' {
			i++
		}
		if i < len(p) {
			runs++
		}
	}
	return runs <= 1000 && refRest(p, s)
}

func refRest(p, s []byte) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	if p[0] == '*' {
		for len(p) > 1 && p[1] == '*' {
			p = p[1:]
		}
		for i := 0; i <= len(s); i++ {
			if refRest(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	if len(s) == 0 {
		return false
	}
	n, ok := refToken(p, s[0])
	return ok && refRest(p[n:], s[1:])
}

// refToken is the length of the one-byte token at the start of p and whether c fits it.
// A class is built as the set of its bytes first.
func refToken(p []byte, c byte) (int, bool) {
	switch p[0] {
	case '?':
		return 1, true
	case '\\':
		if len(p) == 1 {
			return 1, c == '\\'
		}
		return 2, p[1] == c
	case '[':
	default:
		return 1, p[0] == c
	}
	var set [256]bool
	i, neg := 1, len(p) > 1 && p[1] == '^'
	if neg {
		i++
	}
	end := len(p)
loop:
	for i < len(p) {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			set[p[i+1]] = true
			i += 2
		case p[i] == ']':
			end = i + 1
			break loop
		case i+2 < len(p) && p[i+1] == '-':
			a, b := int(int8(p[i])), int(int8(p[i+2]))
			for x := range 256 {
				if v := int(int8(byte(x))); (a <= v && v <= b) || (b <= v && v <= a) {
					set[x] = true
				}
			}
			i += 3
		default:
			set[p[i]] = true
			i++
		}
	}
	return end, set[c] != neg
}

// The finding's pattern shape, with k runs of "*a" then "*b", on a 60-byte key.
func BenchmarkMatchHostile(b *testing.B) {
	key := []byte(strings.Repeat("a", 60))
	for _, k := range []int{3, 5, 7, 12} {
		pattern := []byte(strings.Repeat("*a", k) + "*b")
		b.Run("k="+strconv.Itoa(k), func(b *testing.B) {
			for b.Loop() {
				if Match(pattern, key) {
					b.Fatal("matched")
				}
			}
		})
	}
}
