package storage

// maxStarRuns is Redis's recursion limit on patterns (its stringmatchlen gives up past
// 1000 nested `*`), kept so that herodb and Redis answer alike: a pattern with more runs
// of `*` than this before its last other token matches nothing.
const maxStarRuns = 1000

// Match reports whether s matches the glob pattern as Redis's KEYS, SCAN MATCH, HSCAN
// MATCH and PSUBSCRIBE read it (stringmatchlen in Redis's util.c), byte-wise and
// binary-safe:
//
//   - `*` matches any run of bytes (one or more `*` in a row are one run), `?` any one byte.
//   - `\x` is the byte x; a `\` at the very end of the pattern is a literal `\`.
//   - `[...]` is one byte out of a class; `[^...]` one byte not in it. Inside, `\x` is x
//     (no range is formed with it), `a-z` is a range whose ends may come in either order
//     (`[z-a]` = `[a-z]`), and the first `]` not escaped closes the class: `[]` matches
//     nothing, `[^]` any byte, and in `[a-]` the `-` makes a range from `a` to `]`, so the
//     class is still open. A class never closed takes the rest of the pattern, `*` and `\`
//     included, as its members; `[` alone matches nothing, `[^` any byte.
//   - Range ends compare as C's signed char, as Redis built for amd64 does (an arm64
//     build, whose char is unsigned, differs): `[\x01-\x90]` holds 0x90..0xff and
//     0x00..0x01, not `b`.
//   - The empty string matches only the empty pattern, not even `*` (KEYS and SCAN treat
//     a lone `*` as "everything" before they call Match, as Redis does).
//   - Past maxStarRuns runs of `*` followed by another token, nothing matches.
//
// It runs in O(len(pattern) × len(s)) time at worst, without recursion or allocation.
// Every token other than `*` matches exactly one byte, so the matcher walks pattern and s
// together and, at a `*`, only remembers where that star is and how far into s it got.
// On a mismatch it lets the most recent star absorb one more byte of s and re-reads the
// pattern from just after it; with no star to fall back on, the answer is no. Earlier stars
// never need another try: a match that puts the text between two stars further right can
// always be rewritten with that text at the leftmost place it fits and the later star
// absorbing the difference. So the point in s where the last star resumes only moves
// forward, at most len(s) times, each time re-reading at most the whole pattern. (The
// backtracking matcher it replaces tried every split of every star: a 60-byte key and
// `*a*a*a*a*a*a*a*b` took 21 s, CVE-2022-36021 in Redis.)
func Match(pattern, s []byte) bool {
	if len(s) == 0 {
		return len(pattern) == 0
	}
	p, i := 0, 0        // next token of pattern, next byte of s
	star, back := -1, 0 // after the last star met; where in s that star's run ends now
	runs := 0
	for i < len(s) {
		if p < len(pattern) && pattern[p] == '*' {
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true // a trailing star takes the rest of s
			}
			if runs++; runs > maxStarRuns {
				return false
			}
			star, back = p, i
			continue
		}
		if p < len(pattern) {
			if ok, next := matchByte(pattern, p, s[i]); ok {
				p, i = next, i+1
				continue
			}
		}
		if star < 0 {
			return false
		}
		back++
		p, i = star, back
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchByte matches the one-byte token at pattern[p] (anything but `*`) against c, and
// returns where the next token starts.
func matchByte(pattern []byte, p int, c byte) (bool, int) {
	switch pattern[p] {
	case '?':
		return true, p + 1
	case '\\':
		if p+1 < len(pattern) {
			return pattern[p+1] == c, p + 2
		}
		return c == '\\', p + 1
	case '[':
		return matchClass(pattern, p+1, c)
	}
	return pattern[p] == c, p + 1
}

// matchClass matches c against the class whose body starts at pattern[p], just after its
// `[`, and returns where the token after the class starts.
func matchClass(pattern []byte, p int, c byte) (bool, int) {
	not := p < len(pattern) && pattern[p] == '^'
	if not {
		p++
	}
	in := false
	for p < len(pattern) {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			in = in || pattern[p+1] == c
			p += 2
		case pattern[p] == ']':
			return in != not, p + 1
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi, x := int8(pattern[p]), int8(pattern[p+2]), int8(c)
			if lo > hi {
				lo, hi = hi, lo
			}
			in = in || (lo <= x && x <= hi)
			p += 3
		default:
			in = in || pattern[p] == c
			p++
		}
	}
	return in != not, p // never closed: the class took the rest of the pattern
}
