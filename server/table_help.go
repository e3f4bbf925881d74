package server

import (
	"strings"
)

// (This file is named to sort after the cmd_*.go files: Go runs their init functions
// in file-name order, and HELP is added to rows they register.)
//
// Every command with subcommands answers HELP, as Redis's do: the syntax lines of its
// subcommands, read from the table.
func init() {
	for _, name := range []string{"age", "sym", "client", "command", "config"} {
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
