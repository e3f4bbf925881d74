package server_test

// COMMAND INFO, DOCS and GETKEYS beside redis-server 7.0: the same key specs, key
// positions and ACL categories for every command both have (bar the documented
// differences), the same COMMAND DOCS structure for a handful, and the same GETKEYS
// answers.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// tCommandPair is redis-server and herodb, each with a raw connection.
func tCommandPair(t *testing.T) (r, h *tConn) {
	t.Helper()
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	return tDial(t, raddr), tSelected(t, srv.Addr(), db)
}

func tAsk(t *testing.T, c *tConn, args ...string) tReply {
	t.Helper()
	c.send(args...)
	rep, err := c.readReply()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return rep
}

// tText is a simple or bulk string reply's text.
func tText(r tReply) string {
	s := string(r.raw)
	if i := strings.Index(s, "\r\n"); s != "" && s[0] == '$' && i >= 0 {
		return strings.TrimSuffix(s[i+2:], "\r\n")
	}
	return strings.TrimSuffix(s[1:], "\r\n")
}

// tMap reads a flat key/value array.
func tMap(r tReply) map[string]tReply {
	m := map[string]tReply{}
	for i := 0; i+1 < len(r.elems); i += 2 {
		m[tText(r.elems[i])] = r.elems[i+1]
	}
	return m
}

// What COMMAND INFO differs in, on purpose: herodb's table marks these rows otherwise
// than Redis does (the categories and key spec flags follow the table).
var tInfoDiffers = map[string]string{
	"bitfield_ro":    "not marked fast (@slow)",
	"bzpopmin":       "not marked fast (@slow)",
	"bzpopmax":       "not marked fast (@slow)",
	"zlexcount":      "not marked fast (@slow)",
	"zrank":          "not marked fast (@slow)",
	"zrevrank":       "not marked fast (@slow)",
	"client|getname": "marked fast",
	"client|id":      "marked fast",
	"client|info":    "marked fast",
	"client|setname": "marked fast",
	"client|help":    "marked fast, as every HELP row",
	"command|help":   "marked fast, as every HELP row",
	"config|help":    "marked fast, as every HELP row",
	"object|help":    "marked fast, as every HELP row",
	"pubsub|help":    "marked fast, as every HELP row",
	"xgroup|help":    "marked fast, as every HELP row",
	"xinfo|help":     "marked fast, as every HELP row",
	"script|help":    "marked fast, as every HELP row",
	"slowlog|help":   "marked fast, as every HELP row",
	"slowlog|get":    "not admin: a tenant sees its own database's entries",
	"slowlog|len":    "not admin: a tenant counts its own database's entries",
	"slowlog|reset":  "not admin: a tenant removes its own database's entries",
	"client|unblock": "not admin: a tenant may release the clients blocked in its own database",
	"client|list":    "not admin: a tenant sees the connections on its own database",
	"config|get":     "not admin: a tenant reads the safe subset",
	"config|set":     "not admin: a tenant sets its connection's knobs",
	"flushall":       "admin only (@admin)",
	"pfcount":        "key spec RO: herodb's PFCOUNT never writes back the cached cardinality",
	"move":           "not marked fast (@slow): the value is copied, element by element, into the other database's records",
}

// tSpecs is a key specs reply without Redis's free-text notes.
func tSpecs(r tReply) string {
	var b strings.Builder
	for _, spec := range r.elems {
		m := tMap(spec)
		for _, k := range []string{"flags", "begin_search", "find_keys"} {
			b.Write(m[k].raw)
		}
		b.WriteString("|")
	}
	return b.String()
}

// Every command both have: the same first key, last key, step, key specs and ACL
// categories, unless tInfoDiffers says why not.
func TestDiffCommandInfo(t *testing.T) {
	r, h := tCommandPair(t)
	var names []string
	for _, e := range tAsk(t, h, "COMMAND", "LIST").elems {
		names = append(names, tText(e))
	}
	var mismatched []string
	for _, name := range names {
		want := tAsk(t, r, "COMMAND", "INFO", name).elems[0]
		if !want.array {
			continue // not a Redis 7.0 command
		}
		got := tAsk(t, h, "COMMAND", "INFO", name).elems[0]
		if len(got.elems) != 10 {
			t.Fatalf("%s: %q", name, got.raw)
		}
		var diffs []string
		for i, what := range map[int]string{3: "first key", 4: "last key", 5: "step", 6: "categories"} {
			if g, w := string(got.elems[i].raw), string(want.elems[i].raw); g != w {
				diffs = append(diffs, fmt.Sprintf("%s %q, redis %q", what, g, w))
			}
		}
		if g, w := tSpecs(got.elems[8]), tSpecs(want.elems[8]); g != w {
			diffs = append(diffs, fmt.Sprintf("key specs %q, redis %q", g, w))
		}
		// movablekeys is the one flag herodb computes as Redis does.
		gm := strings.Contains(string(got.elems[2].raw), "+movablekeys")
		wm := strings.Contains(string(want.elems[2].raw), "+movablekeys")
		if gm != wm {
			diffs = append(diffs, fmt.Sprintf("movablekeys %v, redis %v", gm, wm))
		}
		if _, ok := tInfoDiffers[name]; ok {
			if len(diffs) == 0 {
				t.Errorf("%s: listed in tInfoDiffers but answers as Redis: remove it", name)
			}
			continue
		}
		if len(diffs) > 0 {
			slices.Sort(diffs)
			mismatched = append(mismatched, name)
			t.Errorf("%s: %s", name, strings.Join(diffs, "; "))
		}
	}
	if len(mismatched) > 0 {
		t.Logf("mismatched: %s", strings.Join(mismatched, " "))
	}
}

// tDocShape is a COMMAND DOCS entry's structure: its keys (bar what only Redis's docs
// hold: complexity, history, doc_flags, deprecation), the group, and for each argument
// its type, token, flags and key spec, recursively. Names, summaries and versions are
// compared by presence only. skipArgs leaves out the arguments of those subcommands.
func tDocShape(doc tReply, skipArgs map[string]bool) string {
	m := tMap(doc)
	var keys []string
	for k := range m {
		switch k {
		case "complexity", "history", "doc_flags", "deprecated_since", "replaced_by":
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=")
		switch k {
		case "group":
			b.WriteString(tText(m[k]))
		case "arguments":
			b.WriteString(tArgShape(m[k]))
		case "subcommands":
			subs := tMap(m[k])
			var names []string
			for n := range subs {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				sub := subs[n]
				if skipArgs[n] {
					sub = tWithout(sub, "arguments")
				}
				b.WriteString("{" + n + ":" + tDocShape(sub, nil) + "}")
			}
		}
		b.WriteString(";")
	}
	return b.String()
}

func tArgShape(args tReply) string {
	var b strings.Builder
	for _, a := range args.elems {
		m := tMap(a)
		b.WriteString("(")
		for _, k := range []string{"type", "token", "key_spec_index", "flags"} {
			if v, ok := m[k]; ok {
				fmt.Fprintf(&b, "%s=%q ", k, v.raw)
			}
		}
		if v, ok := m["arguments"]; ok {
			b.WriteString(tArgShape(v))
		}
		b.WriteString(")")
	}
	return b.String()
}

// tWithout is a map reply without key k.
func tWithout(r tReply, k string) tReply {
	out := tReply{array: true}
	for i := 0; i+1 < len(r.elems); i += 2 {
		if tText(r.elems[i]) != k {
			out.elems = append(out.elems, r.elems[i], r.elems[i+1])
		}
	}
	return out
}

// COMMAND DOCS of a handful of commands has Redis's structure: the same keys, the same
// argument tree (types, tokens, flags, key spec indexes).
func TestDiffCommandDocs(t *testing.T) {
	r, h := tCommandPair(t)
	for _, name := range []string{"get", "set", "zadd", "lmpop", "client", "zinterstore", "hset", "getex", "linsert", "lpos", "zrange"} {
		want := tAsk(t, r, "COMMAND", "DOCS", name)
		got := tAsk(t, h, "COMMAND", "DOCS", name)
		if len(want.elems) != 2 || len(got.elems) != 2 {
			t.Fatalf("%s: %q / %q", name, want.raw, got.raw)
		}
		var skip map[string]bool
		if name == "client" {
			// The subcommands both have; CLIENT LIST and KILL take fewer filters here.
			tCommonSubs(&got.elems[1], &want.elems[1])
			skip = map[string]bool{"client|list": true, "client|kill": true}
		}
		if g, w := tDocShape(got.elems[1], skip), tDocShape(want.elems[1], skip); g != w {
			t.Errorf("COMMAND DOCS %s:\n got   %s\n redis %s", name, g, w)
		}
	}
	// Unknown names are left out, as Redis does.
	tEq(t, "DOCS unknown", string(tAsk(t, h, "COMMAND", "DOCS", "nosuch", "get").elems[0].raw), tBulk("get"))
}

// COMMAND GETKEYS and GETKEYSANDFLAGS answer as Redis does, errors included.
func TestDiffCommandGetKeys(t *testing.T) {
	r, h := tCommandPair(t)
	for _, line := range []string{
		"GETKEYS get k", "GETKEYS mset a 1 b 2", "GETKEYS del a b c", "GETKEYS blpop a b 0",
		"GETKEYS lmpop 2 a b LEFT", "GETKEYS blmpop 0 2 a b RIGHT COUNT 2", "GETKEYS zmpop 1 z MIN",
		"GETKEYS zunionstore d 2 a b WEIGHTS 1 2", "GETKEYS zinterstore d 1 a", "GETKEYS zdiffstore d 2 a b",
		"GETKEYS zunion 3 a b c", "GETKEYS sintercard 2 a b LIMIT 1", "GETKEYS sinterstore d a b",
		"GETKEYS bitop AND d a b", "GETKEYS pfmerge d a b", "GETKEYS rename a b", "GETKEYS lmove a b LEFT RIGHT",
		"GETKEYS lcs a b", "GETKEYS sort a BY w_* GET # STORE d", "GETKEYS sort a LIMIT 0 1", "GETKEYS sort_ro a BY x",
		"GETKEYS object encoding k", "GETKEYS set k v EX 10",
		"GETKEYS nosuch a", "GETKEYS ping x", "GETKEYS client kill x", "GETKEYS get a b", "GETKEYS lmpop 0 a",
		"GETKEYS zunionstore d 5 a b", "GETKEYS lmpop x a LEFT", "GETKEYS object nosuch k", "GETKEYS get",
		"GETKEYSANDFLAGS lmove a b LEFT RIGHT", "GETKEYSANDFLAGS zunionstore d 2 a b", "GETKEYSANDFLAGS del a b",
		"GETKEYSANDFLAGS get k", "GETKEYSANDFLAGS sort a STORE d",
	} {
		args := append([]string{"COMMAND"}, strings.Fields(line)...)
		tDiffStep(t, r, h, args, func(rep tReply) string { return string(rep.raw) })
	}
}

// tCommonSubs keeps in both docs only the subcommands both have.
func tCommonSubs(a, b *tReply) {
	sa, sb := tMap(*a)["subcommands"], tMap(*b)["subcommands"]
	keep := func(subs, other tReply) tReply {
		names := tMap(other)
		out := tReply{array: true}
		for i := 0; i+1 < len(subs.elems); i += 2 {
			if _, ok := names[tText(subs.elems[i])]; ok {
				out.elems = append(out.elems, subs.elems[i], subs.elems[i+1])
			}
		}
		return out
	}
	ka, kb := keep(sa, sb), keep(sb, sa)
	label := tReply{raw: []byte(tBulk("subcommands"))}
	*a = tWithout(*a, "subcommands")
	a.elems = append(a.elems, label, ka)
	*b = tWithout(*b, "subcommands")
	b.elems = append(b.elems, label, kb)
}
