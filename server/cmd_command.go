package server

// COMMAND: https://redis.io/docs/latest/commands/command/ — the command table as
// Redis 7.0 describes its own (command_docs.go derives what the rows do not hold).

import (
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// commandCommands registers this file's commands (called from table.go).
func commandCommands() {
	register("server",
		&command{name: "command", arity: -1, flags: flagStateless, run: commandCmd,
			syntax: "COMMAND [COUNT|INFO|DOCS|LIST|GETKEYS|GETKEYSANDFLAGS ...]", summary: "Describes the command table: every command, as COMMAND INFO does."},
		&command{name: "command|count", arity: 2, flags: flagStateless, run: commandCountCmd,
			syntax: "COMMAND COUNT", summary: "Number of commands (subcommands not counted)."},
		&command{name: "command|info", arity: -2, flags: flagStateless, run: commandInfoCmd,
			syntax: "COMMAND INFO [command-name ...]", summary: "Arity, flags, key positions, ACL categories, tips, key specs and subcommands."},
		&command{name: "command|docs", arity: -2, flags: flagStateless, run: commandDocsCmd,
			syntax: "COMMAND DOCS [command-name ...]", summary: "Summary, since, group, arguments and subcommands, for redis-cli's hints."},
		&command{name: "command|list", arity: -2, flags: flagStateless, run: commandListCmd,
			syntax: "COMMAND LIST [FILTERBY (MODULE module-name | ACLCAT category | PATTERN pattern)]", summary: "Every command and subcommand name, or those of an ACL category or matching a pattern."},
		&command{name: "command|getkeys", arity: -4, flags: flagStateless, run: commandGetKeysCmd(false),
			syntax: "COMMAND GETKEYS command arg [arg ...]", summary: "The keys a command would touch, found by its key specs."},
		&command{name: "command|getkeysandflags", arity: -4, flags: flagStateless, run: commandGetKeysCmd(true),
			syntax: "COMMAND GETKEYSANDFLAGS command arg [arg ...]", summary: "The keys a command would touch, each with its key spec's flags."},
	)
}

// COMMAND
func commandCmd(c *call) error {
	if len(c.args) > 1 {
		c.r.err(errUnknownSub("command", c.args[1]))
		return nil
	}
	cmds := sortedCommands()
	c.r.array(len(cmds))
	for _, cmd := range cmds {
		writeCommandInfo(c.r, cmd)
	}
	return nil
}

// writeCommandInfo writes one row as Redis 7.0's COMMAND INFO entry: name, arity, flags,
// first key, last key, step, ACL categories, tips, key specs, subcommands.
func writeCommandInfo(r *reply, cmd *command) {
	specs := specsOf(cmd)
	first, last, step, movable := legacyRange(specs)
	flags := cmd.flags.names()
	if movable {
		flags = append(flags, "movablekeys")
	}
	r.array(10)
	r.bulkString(cmd.name)
	r.int(int64(cmd.arity))
	simples(r, flags)
	r.int(int64(first))
	r.int(int64(last))
	r.int(int64(step))
	simples(r, categories(cmd))
	t := tips[cmd.name]
	r.array(len(t))
	for _, tip := range t {
		r.bulkString(tip)
	}
	r.array(len(specs))
	for _, s := range specs {
		writeKeySpec(r, s)
	}
	subs := sortedSubs(cmd)
	r.array(len(subs))
	for _, s := range subs {
		writeCommandInfo(r, s)
	}
}

func simples(r *reply, items []string) {
	r.array(len(items))
	for _, s := range items {
		r.simple(s)
	}
}

// writeKeySpec writes a key spec as Redis 7.0 does: flags, begin_search, find_keys.
func writeKeySpec(r *reply, s keySpec) {
	r.array(6)
	r.bulkString("flags")
	simples(r, strings.Fields(s.flags))
	r.bulkString("begin_search")
	r.array(4)
	r.bulkString("type")
	if s.keyword != "" {
		r.bulkString("keyword")
		r.bulkString("spec")
		r.array(4)
		r.bulkString("keyword")
		r.bulkString(s.keyword)
		r.bulkString("startfrom")
		r.int(int64(s.startFrom))
	} else if s.index == 0 {
		r.bulkString("unknown")
		r.bulkString("spec")
		r.array(0)
	} else {
		r.bulkString("index")
		r.bulkString("spec")
		r.array(2)
		r.bulkString("index")
		r.int(int64(s.index))
	}
	r.bulkString("find_keys")
	r.array(4)
	r.bulkString("type")
	r.bulkString(s.kind)
	r.bulkString("spec")
	switch s.kind {
	case "range":
		r.array(6)
		r.bulkString("lastkey")
		r.int(int64(s.lastKey))
		r.bulkString("keystep")
		r.int(int64(s.step))
		r.bulkString("limit")
		r.int(int64(s.limit))
	case "keynum":
		r.array(6)
		r.bulkString("keynumidx")
		r.int(int64(s.numIdx))
		r.bulkString("firstkey")
		r.int(int64(s.firstKey))
		r.bulkString("keystep")
		r.int(int64(s.step))
	default:
		r.array(0)
	}
}

// COMMAND COUNT
func commandCountCmd(c *call) error { c.r.int(int64(len(table))); return nil }

// allRows returns every row, each command followed by its subcommands.
func allRows() []*command {
	var out []*command
	for _, cmd := range sortedCommands() {
		out = append(out, cmd)
		out = append(out, sortedSubs(cmd)...)
	}
	return out
}

// COMMAND LIST [FILTERBY (MODULE module-name | ACLCAT category | PATTERN pattern)]
func commandListCmd(c *call) error {
	keep := func(*command) bool { return true }
	switch {
	case len(c.args) == 2:
	case len(c.args) == 5 && strings.EqualFold(string(c.args[2]), "filterby"):
		value := string(c.args[4])
		switch strings.ToLower(string(c.args[3])) {
		case "module":
			keep = func(*command) bool { return false } // herodb has no modules
		case "aclcat":
			keep = func(cmd *command) bool { return hasCategory(cmd, value) }
		case "pattern":
			// Case-insensitive, as Redis matches command names.
			pat := []byte(strings.ToLower(value))
			keep = func(cmd *command) bool { return storage.Match(pat, []byte(cmd.name)) }
		default:
			c.r.err(errSyntax)
			return nil
		}
	default:
		c.r.err(errSyntax)
		return nil
	}
	var names []string
	for _, cmd := range allRows() {
		if keep(cmd) {
			names = append(names, cmd.name)
		}
	}
	c.r.array(len(names))
	for _, n := range names {
		c.r.bulkString(n)
	}
	return nil
}

// findRow finds a row by its COMMAND name: "get", or "client|kill" for a subcommand.
func findRow(name string) *command {
	name = strings.ToLower(name)
	if parent, sub, ok := strings.Cut(name, "|"); ok {
		if p := table[parent]; p != nil {
			return p.subs[sub]
		}
		return nil
	}
	return table[name]
}

// namedCommands returns the rows named in args (nil for an unknown name), or every
// top-level row when args is empty.
func namedCommands(args [][]byte) []*command {
	if len(args) == 0 {
		return sortedCommands()
	}
	out := make([]*command, len(args))
	for i, a := range args {
		out[i] = findRow(string(a))
	}
	return out
}

// COMMAND INFO [command-name ...]
func commandInfoCmd(c *call) error {
	cmds := namedCommands(c.args[2:])
	c.r.array(len(cmds))
	for _, cmd := range cmds {
		if cmd == nil {
			c.r.null() // Redis answers a null bulk for an unknown name
			continue
		}
		writeCommandInfo(c.r, cmd)
	}
	return nil
}

// COMMAND DOCS [command-name ...]: unknown names are left out, as Redis does.
func commandDocsCmd(c *call) error {
	var cmds []*command
	for _, cmd := range namedCommands(c.args[2:]) {
		if cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	c.r.array(2 * len(cmds))
	for _, cmd := range cmds {
		c.r.bulkString(cmd.name)
		writeCommandDoc(c.r, cmd)
	}
	return nil
}

// writeCommandDoc writes one row's docs as Redis 7.0's COMMAND DOCS map: summary, since,
// group, arguments (none for a command with subcommands) and subcommands.
func writeCommandDoc(r *reply, cmd *command) {
	var args []*docArg
	if cmd.subs == nil {
		args, _ = parseSyntax(cmd) // every row parses: TestCommandSyntaxParses
	}
	subs := sortedSubs(cmd)
	n := 3
	if len(args) > 0 {
		n++
	}
	if len(subs) > 0 {
		n++
	}
	r.array(2 * n)
	r.bulkString("summary")
	r.bulkString(cmd.summary)
	r.bulkString("since")
	r.bulkString(since(cmd))
	r.bulkString("group")
	r.bulkString(docGroup(cmd))
	if len(args) > 0 {
		r.bulkString("arguments")
		writeDocArgs(r, args)
	}
	if len(subs) > 0 {
		r.bulkString("subcommands")
		r.array(2 * len(subs))
		for _, s := range subs {
			r.bulkString(s.name)
			writeCommandDoc(r, s)
		}
	}
}

func writeDocArgs(r *reply, args []*docArg) {
	r.array(len(args))
	for _, a := range args {
		var flags []string
		if a.optional {
			flags = append(flags, "optional")
		}
		if a.multiple {
			flags = append(flags, "multiple")
		}
		n := 2
		for _, present := range []bool{a.keySpec >= 0, a.token != "", len(flags) > 0, len(a.args) > 0} {
			if present {
				n++
			}
		}
		r.array(2 * n)
		r.bulkString("name")
		r.bulkString(a.name)
		r.bulkString("type")
		r.bulkString(a.typ)
		if a.keySpec >= 0 {
			r.bulkString("key_spec_index")
			r.int(int64(a.keySpec))
		}
		if a.token != "" {
			r.bulkString("token")
			r.bulkString(a.token)
		}
		if len(flags) > 0 {
			r.bulkString("flags")
			simples(r, flags)
		}
		if len(a.args) > 0 {
			r.bulkString("arguments")
			writeDocArgs(r, a.args)
		}
	}
}

// COMMAND GETKEYS command arg [arg ...] and COMMAND GETKEYSANDFLAGS command arg [arg ...]
func commandGetKeysCmd(withFlags bool) func(c *call) error {
	return func(c *call) error {
		args := c.args[2:]
		top, row := lookup(args)
		switch {
		case top == nil || top.subs != nil && row == top && len(args) > 1:
			c.r.err(errGetKeysCommand)
			return nil
		case len(specsOf(row)) == 0:
			c.r.err(errGetKeysNoKeys)
			return nil
		case !row.arityOK(len(args)):
			c.r.err(errGetKeysArity)
			return nil
		}
		keys, err := specKeys(row, args)
		if err != nil || len(keys) == 0 {
			c.r.err(errGetKeysInvalid)
			return nil
		}
		c.r.array(len(keys))
		for _, k := range keys {
			if !withFlags {
				c.r.bulk(args[k.i])
				continue
			}
			c.r.array(2)
			c.r.bulk(args[k.i])
			simples(c.r, strings.Fields(k.flags))
		}
		return nil
	}
}
