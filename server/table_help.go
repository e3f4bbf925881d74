package server

import (
	"strings"
)

// helpCommands adds HELP to every command with subcommands, as Redis's have: the syntax
// lines of its subcommands, read from the table (so it registers after them).
func helpCommands() {
	for _, name := range []string{"age", "sym", "client", "command", "config", "object", "slowlog"} {
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
