package server

import (
	"sort"
	"strings"
)

// helpCommands adds HELP to every command with subcommands that has none of its own, as
// Redis's have: the syntax lines of its subcommands, read from the table (so it
// registers after them). Every such command gets one, so no error can point to a HELP
// that is not there (XINFO's and XGROUP's once said "Try XINFO HELP" of a missing one).
func helpCommands() {
	var names []string
	for name, c := range table {
		if c.subs != nil && c.subs["help"] == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		up := strings.ToUpper(name)
		register(table[name].group, &command{name: name + "|help", arity: 2, flags: flagStateless | flagFast, run: helpCmd,
			syntax: up + " HELP", summary: "Lists the " + up + " subcommands."})
	}
}

// <COMMAND> HELP
func helpCmd(c *call) error {
	parent := table[strings.ToLower(string(c.args[0]))]
	subs := sortedSubs(parent)
	c.r.array(len(subs))
	for _, s := range subs {
		c.r.simple(s.syntax + " -- " + s.summary)
	}
	return nil
}
