package server

// The parser of the table's syntax lines into COMMAND DOCS' argument docs, so the one
// line a row carries for docs/commands.md is also what redis-cli's hints read.
//
// The grammar of a syntax line, after the command's name (and the subcommand's):
//
//   - a word in lower case is an argument (key, seconds, member…); a word with no lower
//     case letter is a literal token (NX, LIMIT, 0);
//   - [ … ] is optional, ( … ) only groups; … after an item repeats it; `x [x …]` and `a b [a b …]` are one
//     argument or block given one or more times;
//   - a|b without spaces chooses between two words of the same kind (two tokens, or two
//     arguments); any other | (spaced, between an argument and a token, after …)
//     chooses between the whole sequences around it, up to the enclosing brackets; a
//     spaced | may repeat the command's name (`CLIENT KILL ID id | CLIENT KILL ADDR a`);
//   - a token followed by one item is that item introduced by the token (`[COUNT
//     count]`, `[AGGREGATE SUM|MIN|MAX]`); followed by several, a block (`[LIMIT offset
//     count]`).
//
// An argument's type comes from its name: key names are keys when the row has keys,
// pattern is a pattern, counts and offsets are integers, scores and timeouts doubles,
// unix times unix-time, anything else a string.

import (
	"fmt"
	"slices"
	"strings"
)

// docArg is one entry of COMMAND DOCS' "arguments", in Redis's shape.
type docArg struct {
	name     string
	typ      string // key, string, integer, double, pattern, unix-time, pure-token, oneof, block
	token    string
	optional bool
	multiple bool
	keySpec  int // key_spec_index, for keys; -1 otherwise
	args     []*docArg
}

// synTok is one lexical token of a syntax line: a word (with its tight alternatives,
// a|b), "[", "]", "|" or "...".
type synTok struct {
	text   string
	alts   []string // a word's alternatives, when written a|b|c
	spaced bool     // a "|" with a space on either side
}

func isTokenWord(w string) bool {
	return w != "" && strings.ToLower(w) != w || strings.Trim(w, "0123456789") == ""
}

// lexSyntax splits a syntax line into tokens, joining tight same-kind alternatives into
// one word.
func lexSyntax(s string) []synTok {
	var toks []synTok
	for i := 0; i < len(s); {
		switch ch := s[i]; {
		case ch == ' ':
			i++
		case strings.IndexByte("[]()", ch) >= 0:
			toks = append(toks, synTok{text: string(ch)})
			i++
		case ch == '|':
			spaced := i > 0 && s[i-1] == ' ' || i+1 < len(s) && s[i+1] == ' '
			toks = append(toks, synTok{text: "|", spaced: spaced})
			i++
		case strings.HasPrefix(s[i:], "..."):
			toks = append(toks, synTok{text: "..."})
			i += 3
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" []()|", rune(s[j])) && !strings.HasPrefix(s[j:], "...") {
				j++
			}
			toks = append(toks, synTok{text: s[i:j]})
			i = j
		}
	}
	// Join word|word of the same kind into one word with alternatives.
	var out []synTok
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.text == "|" && !t.spaced && len(out) > 0 && i+1 < len(toks) {
			prev, next := &out[len(out)-1], toks[i+1]
			if isWord(prev.text) && isWord(next.text) && isTokenWord(prev.text) == isTokenWord(next.text) {
				if prev.alts == nil {
					prev.alts = []string{prev.text}
				}
				prev.alts = append(prev.alts, next.text)
				i++
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

func isWord(s string) bool { return s != "" && !strings.Contains("[]()|...", s) }

// synParser reads one row's tokens.
type synParser struct {
	toks   []synTok
	pos    int
	prefix []string // the command's own words, which a spaced | may repeat
	keys   bool     // the row has key specs: key names are keys
	row    string
}

// parseSyntax parses row c's syntax line into argument docs.
func parseSyntax(c *command) ([]*docArg, error) {
	prefix := strings.Fields(strings.ToUpper(strings.ReplaceAll(c.name, "|", " ")))
	words := strings.Fields(c.syntax)
	if len(words) < len(prefix) {
		return nil, fmt.Errorf("%s: syntax %q does not start with %s", c.name, c.syntax, strings.Join(prefix, " "))
	}
	for i, w := range prefix {
		if words[i] != w {
			return nil, fmt.Errorf("%s: syntax %q does not start with %s", c.name, c.syntax, strings.Join(prefix, " "))
		}
	}
	rest := c.syntax
	for range prefix {
		rest = strings.TrimLeft(rest, " ")
		rest = rest[strings.IndexByte(rest+" ", ' '):]
	}
	p := &synParser{toks: lexSyntax(rest), prefix: prefix, keys: len(specsOf(c)) > 0, row: c.name}
	args, err := p.alternatives()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("%s: unexpected %q in %q", c.name, p.toks[p.pos].text, c.syntax)
	}
	assignKeySpecs(args, specsOf(c))
	return args, nil
}

// alternatives reads seq (| seq)* up to "]" or the end, as one item.
func (p *synParser) alternatives() ([]*docArg, error) {
	var alts [][]*docArg
	for {
		p.skipPrefix()
		seq, err := p.sequence()
		if err != nil {
			return nil, err
		}
		more := p.pos < len(p.toks) && p.toks[p.pos].text == "|"
		if len(seq) == 0 && (more || len(alts) > 0) {
			return nil, fmt.Errorf("%s: empty alternative", p.row)
		}
		alts = append(alts, seq)
		if more {
			p.pos++
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	one := &docArg{typ: "oneof", keySpec: -1}
	for _, seq := range alts {
		one.args = append(one.args, group(seq))
	}
	one.name = joinNames(one.args)
	return []*docArg{one}, nil
}

// skipPrefix drops a repetition of the command's own words after a spaced |.
func (p *synParser) skipPrefix() {
	if p.pos == 0 || p.toks[p.pos-1].text != "|" || len(p.toks) < p.pos+len(p.prefix) {
		return
	}
	for i, w := range p.prefix {
		if p.toks[p.pos+i].text != w || p.toks[p.pos+i].alts != nil {
			return
		}
	}
	p.pos += len(p.prefix)
}

// sequence reads items up to "|", "]" or the end.
func (p *synParser) sequence() ([]*docArg, error) {
	var seq []*docArg
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		switch t.text {
		case "|", "]", ")":
			return seq, nil
		case "...":
			if len(seq) == 0 {
				return nil, fmt.Errorf("%s: ... repeats nothing", p.row)
			}
			seq[len(seq)-1].multiple = true
			p.pos++
		case "(":
			p.pos++
			inner, err := p.closed(")")
			if err != nil {
				return nil, err
			}
			seq = append(seq, group(inner))
		case "[":
			p.pos++
			inner, err := p.closed("]")
			if err != nil {
				return nil, err
			}
			if n := repeats(seq, inner); n > 0 {
				// x [x ...] and a b [a b ...]: the preceding items, one or more times.
				rep := group(slices.Clone(seq[len(seq)-n:]))
				rep.multiple = true
				seq = append(seq[:len(seq)-n], rep)
				continue
			}
			g := group(inner)
			if g.optional {
				g = &docArg{name: g.name, typ: "block", keySpec: -1, args: []*docArg{g}}
			}
			g.optional = true
			seq = append(seq, g)
		default:
			seq = append(seq, p.word(t))
			p.pos++
		}
	}
	return seq, nil
}

// closed reads alternatives up to the closing bracket end, and that bracket.
func (p *synParser) closed(end string) ([]*docArg, error) {
	inner, err := p.alternatives()
	if err != nil {
		return nil, err
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].text != end {
		return nil, fmt.Errorf("%s: %s missing", p.row, end)
	}
	p.pos++
	return inner, nil
}

// repeats reports how many items at the end of seq the bracket content inner repeats
// (inner being those items with its last marked ...), or 0.
func repeats(seq, inner []*docArg) int {
	n := len(inner)
	if n == 0 || n > len(seq) || !inner[n-1].multiple {
		return 0
	}
	for i, a := range inner {
		b := seq[len(seq)-n+i]
		if a.name != b.name || a.typ != b.typ || a.token != b.token || (i < n-1 && a.multiple) {
			return 0
		}
	}
	return n
}

// word makes the argument doc of one word, or a oneof of its alternatives.
func (p *synParser) word(t synTok) *docArg {
	if t.alts == nil {
		return p.leaf(t.text)
	}
	one := &docArg{typ: "oneof", keySpec: -1}
	for _, w := range t.alts {
		one.args = append(one.args, p.leaf(w))
	}
	one.name = joinNames(one.args)
	return one
}

func (p *synParser) leaf(w string) *docArg {
	if isTokenWord(w) {
		return &docArg{name: strings.ToLower(w), typ: "pure-token", token: w, keySpec: -1}
	}
	return &docArg{name: w, typ: argType(p.row, w, p.keys), keySpec: -1}
}

// group makes one item of a sequence: the item itself, a token introducing the one item
// after it, or a block.
func group(seq []*docArg) *docArg {
	if len(seq) == 1 {
		return seq[0]
	}
	if t := seq[0]; t.typ == "pure-token" && !t.multiple && !t.optional {
		if len(seq) == 2 && seq[1].token == "" {
			a := seq[1]
			a.token = t.token
			if a.typ == "oneof" && !a.optional && !a.multiple {
				a.name = t.name
			}
			return a
		}
		return &docArg{name: joinNames(seq[1:]), typ: "block", token: t.token, keySpec: -1, args: seq[1:]}
	}
	return &docArg{name: joinNames(seq), typ: "block", keySpec: -1, args: seq}
}

func joinNames(args []*docArg) string {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.name
	}
	return strings.Join(names, "_")
}

// keyNames are the argument names that are keys (when the row has keys at all: SELECT's
// KEY key is a credential).
var keyNames = map[string]bool{"key": true, "key1": true, "key2": true, "destkey": true, "sourcekey": true,
	"source": true, "destination": true, "newkey": true, "dst": true, "src": true}

var argTypes = map[string]string{}

func init() {
	for typ, names := range map[string]string{
		"integer":   "weight count offset start end stop index numkeys limit len rank num-matches decrement cursor protover client-id id s ms seconds milliseconds increment",
		"double":    "score timeout",
		"unix-time": "unix-time-seconds unix-time-milliseconds ts ms-ts",
		"pattern":   "pattern",
	} {
		for _, n := range strings.Fields(names) {
			argTypes[n] = typ
		}
	}
}

// argType is the type of argument name in row.
func argType(row, name string, keys bool) string {
	switch {
	case keys && keyNames[name]:
		return "key"
	case name == "increment" && (strings.Contains(row, "float") || row == "zincrby"):
		return "double"
	case row == "zrange" && (name == "start" || name == "stop"):
		return "string" // ranks, scores or lex bounds
	case argTypes[name] != "":
		return argTypes[name]
	}
	return "string"
}

// assignKeySpecs sets key_spec_index on key (and pattern) arguments: the spec that names
// the argument, or else the next spec in order (the last one for any further key).
func assignKeySpecs(args []*docArg, specs []keySpec) {
	next := 0
	var walk func([]*docArg)
	walk = func(args []*docArg) {
		for _, a := range args {
			named := -1
			for i, s := range specs {
				if s.arg != "" && s.arg == a.name {
					named = i
				}
			}
			switch {
			case named >= 0 && (a.typ == "key" || a.typ == "pattern"):
				a.keySpec = named
			case a.typ == "key":
				for next < len(specs)-1 && specs[next].arg != "" {
					next++
				}
				a.keySpec = min(next, len(specs)-1)
				next++
			}
			walk(a.args)
		}
	}
	walk(args)
}
