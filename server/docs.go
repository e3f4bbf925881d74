package server

import (
	"fmt"
	"strings"
)

// CommandsMarkdown renders docs/commands.md from the command table, so the reference
// can never drift from what the server answers (a test compares the two).
func CommandsMarkdown() string {
	var b strings.Builder
	b.WriteString("# Commands\n\n")
	b.WriteString("Generated from the command table (`server/table.go` and `server/cmd_*.go`) by\n")
	b.WriteString("`make docs`; a test fails when this file and the table disagree.\n\n")
	b.WriteString("Flags: `readonly` reads the selected database and needs read access; `write` changes\n")
	b.WriteString("it and needs read-write access (DB 0 is never writable over RESP); `admin` needs the\n")
	b.WriteString("admin secret; `stateless` needs no database and works before authentication;\n")
	b.WriteString("`no_multi` is refused inside MULTI; `connection` changes the connection's state;\n")
	b.WriteString("`fast` is O(1) or O(log n). A command missing here is refused with\n")
	b.WriteString("`-ERR unknown command`.\n\n")
	b.WriteString("Arity follows Redis: `N` means exactly N arguments counting the name, `-N` at least N.\n\n")
	b.WriteString("Limits after authentication: at most 1,048,576 arguments and 512 MiB per argument\n")
	b.WriteString("(Redis's own). A client that does not read its replies is held by backpressure, and\n")
	b.WriteString("closed once its unsent replies pass `--client-output-limit` (default 1 GiB).\n")
	groups := map[string][]*command{}
	var order []string
	for _, c := range sortedCommands() {
		if groups[c.group] == nil {
			order = append(order, c.group)
		}
		groups[c.group] = append(groups[c.group], c)
	}
	for _, g := range []string{"connection", "server", "generic", "string", "bitmap", "hyperloglog", "hash", "list", "set", "zset", "transactions", "pubsub"} {
		cmds := groups[g]
		if cmds == nil {
			continue
		}
		delete(groups, g)
		writeGroup(&b, g, cmds)
	}
	for _, g := range order {
		if cmds := groups[g]; cmds != nil {
			writeGroup(&b, g, cmds)
		}
	}
	writeAbsent(&b)
	return b.String()
}

func writeGroup(b *strings.Builder, group string, cmds []*command) {
	fmt.Fprintf(b, "\n## %s\n\n", strings.ToUpper(group[:1])+group[1:])
	b.WriteString("| command | arity | flags | what it does | differences from Redis |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	row := func(c *command) {
		cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
		fmt.Fprintf(b, "| `%s` | %d | %s | %s | %s |\n", cell(c.syntax), c.arity,
			strings.Join(c.flags.names(), ", "), cell(c.summary), cell(c.differs))
	}
	for _, c := range cmds {
		row(c)
		for _, s := range sortedSubs(c) {
			row(s)
		}
	}
}
