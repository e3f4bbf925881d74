package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// docString renders argument docs compactly: name:type, =TOKEN, #key spec, ? optional,
// * multiple, (children).
func docString(args []*docArg) string {
	var parts []string
	for _, a := range args {
		s := a.name + ":" + a.typ
		if a.token != "" {
			s += "=" + a.token
		}
		if a.keySpec >= 0 {
			s += fmt.Sprintf("#%d", a.keySpec)
		}
		if a.optional {
			s += "?"
		}
		if a.multiple {
			s += "*"
		}
		if len(a.args) > 0 {
			s += "(" + docString(a.args) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestCommandSyntaxShapes(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"get", "key:key#0"},
		{"set", "key:key#0 value:string nx_xx:oneof?(nx:pure-token=NX xx:pure-token=XX) get:pure-token=GET? " +
			"s_ms_ts_ms-ts_keepttl:oneof?(s:integer=EX ms:integer=PX ts:unix-time=EXAT ms-ts:unix-time=PXAT keepttl:pure-token=KEEPTTL)"},
		{"zadd", "key:key#0 nx_xx:oneof?(nx:pure-token=NX xx:pure-token=XX) gt_lt:oneof?(gt:pure-token=GT lt:pure-token=LT) " +
			"ch:pure-token=CH? incr:pure-token=INCR? score_member:block*(score:double member:string)"},
		{"lmpop", "numkeys:integer key:key#0* left_right:oneof(left:pure-token=LEFT right:pure-token=RIGHT) count:integer=COUNT?"},
		{"zunionstore", "destination:key#0 numkeys:integer key:key#1* weight:integer=WEIGHTS?* " +
			"aggregate:oneof=AGGREGATE?(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX)"},
		{"sort", "key:key#0 pattern:pattern=BY#1? offset_count:block=LIMIT?(offset:integer count:integer) pattern:pattern=GET#1?* " +
			"asc_desc:oneof?(asc:pure-token=ASC desc:pure-token=DESC) alpha:pure-token=ALPHA? destination:key=STORE#2?"},
		{"bitpos", "key:key#0 0_1:oneof(0:pure-token=0 1:pure-token=1) start_end_byte_bit:block?(start:integer end_byte_bit:block?(end:integer byte_bit:oneof?(byte:pure-token=BYTE bit:pure-token=BIT)))"},
		{"hset", "key:key#0 field_value:block*(field:string value:string)"},
		{"lcs", "key1:key#0 key2:key#0 len:pure-token=LEN? idx:pure-token=IDX? len:integer=MINMATCHLEN? withmatchlen:pure-token=WITHMATCHLEN?"},
		{"client|kill", "id_ip:port:oneof(id:integer=ID ip:port:string=ADDR)"},
		{"authlog", "count_reset:oneof?(count:integer reset:pure-token=RESET)"},
		{"select", "db:string key:string=KEY?"},
		{"command|list", "filterby:oneof=FILTERBY?(module-name:string=MODULE category:string=ACLCAT pattern:pattern=PATTERN)"},
		{"pfmerge", "destkey:key#0 sourcekey:key#1?*"},
	} {
		row := findRow(tc.name)
		if row == nil {
			t.Fatalf("no row %s", tc.name)
		}
		args, err := parseSyntax(row)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := docString(args); got != tc.want {
			t.Errorf("%s (%q):\n got  %s\n want %s", tc.name, row.syntax, got, tc.want)
		}
	}
}

// argCount is how many arguments args take at least and at most (-1: no bound).
func argCount(args []*docArg) (lo, hi int) {
	for _, a := range args {
		l, h := 1, 1
		switch a.typ {
		case "block":
			l, h = argCount(a.args)
		case "oneof":
			l, h = -1, 0
			for _, c := range a.args {
				cl, ch := argCount([]*docArg{c})
				if l < 0 || cl < l {
					l = cl
				}
				if ch < 0 || h >= 0 && ch > h {
					h = ch
				}
				if ch < 0 {
					h = -1
				}
			}
		}
		if a.token != "" && a.typ != "pure-token" {
			l, h = l+1, h+1
			if h == 0 {
				h = -1
			}
		}
		if a.multiple {
			h = -1
		}
		if a.optional {
			l = 0
		}
		lo += l
		if hi >= 0 {
			hi = h + hi
			if h < 0 {
				hi = -1
			}
		}
	}
	return lo, hi
}

// Every row's syntax line parses, starts with its name, agrees with its arity, and names
// a key argument for each of its key specs.
func TestCommandSyntaxParses(t *testing.T) {
	for _, row := range allRows() {
		args, err := parseSyntax(row)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if row.subs != nil {
			continue // a container: its subcommands are documented
		}
		words := len(strings.Split(row.name, "|"))
		lo, hi := argCount(args)
		switch need := row.arity - words; {
		case row.arity > 0 && (lo != need || hi != need):
			t.Errorf("%s: arity %d but %q takes %d to %d arguments", row.name, row.arity, row.syntax, lo, hi)
		case row.arity < 0 && lo < -row.arity-words:
			t.Errorf("%s: arity %d but %q may take only %d arguments", row.name, row.arity, row.syntax, lo)
		}
		specs := specsOf(row)
		seen := map[int]bool{}
		var walk func([]*docArg)
		walk = func(as []*docArg) {
			for _, a := range as {
				if a.keySpec >= 0 {
					seen[a.keySpec] = true
				}
				walk(a.args)
			}
		}
		walk(args)
		for i := range specs {
			if !seen[i] {
				t.Errorf("%s: no argument of %q is the keys of spec %d", row.name, row.syntax, i)
			}
		}
		if len(specs) == 0 && strings.Contains(docString(args), ":key") {
			t.Errorf("%s: a key argument but no key spec", row.name)
		}
	}
}

// The key specs agree with the row's firstKey/lastKey/step: a row without an entry in
// keySpecs has exactly that range; every row's spec keys are among the keys the row's
// range gives (what blocking wake-ups read), on sample arguments.
func TestCommandKeySpecs(t *testing.T) {
	for _, row := range allRows() {
		specs := specsOf(row)
		first, last, step, movable := legacyRange(specs)
		if _, listed := keySpecs[row.name]; !listed {
			if row.firstKey == 0 && len(specs) != 0 || row.firstKey != 0 && len(specs) != 1 || movable {
				t.Errorf("%s: specs %+v for range %d,%d,%d", row.name, specs, row.firstKey, row.lastKey, row.step)
			}
		}
		if !movable && (first != row.firstKey || last != row.lastKey || row.firstKey != 0 && step != row.step) {
			t.Errorf("%s: specs give %d,%d,%d, the row %d,%d,%d", row.name, first, last, step, row.firstKey, row.lastKey, row.step)
		}
		if movable || len(specs) == 0 {
			continue
		}
		// Sample arguments: a name and distinct values, as many as the arity allows.
		n := row.arity
		if n < 0 {
			n = -n + 4
		}
		args := [][]byte{[]byte(row.name)}
		for i := 1; i < n; i++ {
			args = append(args, []byte(fmt.Sprintf("a%d", i)))
		}
		got, err := specKeys(row, args)
		if err != nil {
			t.Errorf("%s %q: %v", row.name, args, err)
			continue
		}
		var names []string
		for _, k := range got {
			names = append(names, string(args[k.i]))
		}
		var want []string
		for _, k := range row.keys(args) {
			want = append(want, string(k))
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s %q: spec keys %v, row keys %v", row.name, args, names, want)
		}
	}
	// The rows whose keys depend on the arguments: the spec keys, within the row's.
	for _, tc := range []struct {
		args string
		keys string
	}{
		{"lmpop 2 a b LEFT COUNT 2", "a b"},
		{"blmpop 0 2 a b RIGHT", "a b"},
		{"zmpop 1 a MIN", "a"},
		{"bzmpop 1 1 a MAX COUNT 3", "a"},
		{"sintercard 2 a b LIMIT 1", "a b"},
		{"zintercard 3 a b c", "a b c"},
		{"zunion 2 a b WEIGHTS 1 2", "a b"},
		{"zinter 1 a WITHSCORES", "a"},
		{"zdiff 2 a b", "a b"},
		{"zunionstore d 2 a b AGGREGATE MIN", "d a b"},
		{"zinterstore d 1 a", "d a"},
		{"zdiffstore d 2 a b", "d a b"},
		{"sort a BY w_* GET # LIMIT 0 1 STORE d", "a d"},
		{"sort a STORE d1 STORE d2", "a d2"},
		{"sort_ro a BY w_* ALPHA", "a"},
	} {
		args := tStrings(strings.Fields(tc.args))
		row := findRow(string(args[0]))
		got, err := specKeys(row, args)
		if err != nil {
			t.Errorf("%s: %v", tc.args, err)
			continue
		}
		var names []string
		for _, k := range got {
			names = append(names, string(args[k.i]))
		}
		if strings.Join(names, " ") != tc.keys {
			t.Errorf("%s: keys %v, want %s", tc.args, names, tc.keys)
		}
		within := map[string]bool{}
		for _, k := range row.keys(args) {
			within[string(k)] = true
		}
		for _, n := range names {
			// The read-only rows need no range (nothing waits on what they read); SORT's
			// STORE is found by its own parser.
			if row.firstKey != 0 && !within[n] && row.name != "sort" {
				t.Errorf("%s: spec key %s is not among the row's keys %q", tc.args, n, row.keys(args))
			}
		}
	}
	if _, err := specKeys(findRow("lmpop"), tStrings([]string{"lmpop", "3", "a", "LEFT"})); err == nil {
		t.Error("lmpop numkeys past the end: no error")
	}
}

func tStrings(s []string) [][]byte {
	out := make([][]byte, len(s))
	for i, v := range s {
		out[i] = []byte(v)
	}
	return out
}

func TestCommandCategories(t *testing.T) {
	for name, want := range map[string]string{
		"get":          "@read @string @fast",
		"set":          "@write @string @slow",
		"del":          "@keyspace @write @slow",
		"blpop":        "@write @list @slow @blocking",
		"zadd":         "@write @sortedset @fast",
		"pfcount":      "@read @hyperloglog @slow",
		"sort":         "@write @set @sortedset @list @slow @dangerous",
		"keys":         "@keyspace @read @slow @dangerous",
		"flushdb":      "@keyspace @write @slow @dangerous",
		"client":       "@slow",
		"client|list":  "@slow @connection", // a tenant sees its own database's connections
		"multi":        "@fast @transaction",
		"publish":      "@pubsub @fast",
		"command|docs": "@slow @connection",
		"time":         "@fast",
	} {
		if got := strings.Join(categories(findRow(name)), " "); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

// Every row has a "since": herodb's own commands herodb's version, the others the Redis
// version that introduced them; every Redis 7.0 command herodb lacks has one too, so a
// command added later needs no new entry.
func TestCommandDocsSince(t *testing.T) {
	for _, row := range allRows() {
		top, _, _ := strings.Cut(row.name, "|")
		if !herodbOwn[top] && sinceOf[row.name] == "" {
			t.Errorf("%s: no since (add it to sinceVersions)", row.name)
		}
	}
	for name := range absentCommands {
		if sinceOf[name] == "" {
			t.Errorf("absent %s: no since", name)
		}
	}
	if v := since(findRow("age|encrypt")); v != herodbSince {
		t.Errorf("AGE ENCRYPT since %s", v)
	}
	if v := since(findRow("lmpop")); v != "7.0.0" {
		t.Errorf("LMPOP since %s", v)
	}
}
