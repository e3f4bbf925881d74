package server

import (
	"maps"
	"slices"
	"strings"
)

// cmdFlag is a command's nature, in the spirit of Redis's command flags. Dispatch, the
// permission check, MULTI and COMMAND all read these; there is no other list.
type cmdFlag uint32

const (
	flagRead      cmdFlag = 1 << iota // reads the selected database
	flagWrite                         // changes the selected database
	flagAdmin                         // needs the admin secret
	flagStateless                     // needs no database; runs before authentication too
	flagNoMulti                       // refused inside MULTI
	flagConn                          // changes connection state: never grouped with others
	flagFast                          // O(1) or O(log n): Redis's "fast"
	flagBlocking                      // may wait for a key (BLPOP…): never grouped, run through block (blocking.go)

	// What dispatch needs to know; not shown by COMMAND or the docs.
	flagImmediate // runs at once inside MULTI instead of being queued (EXEC, DISCARD…)
	flagWholeDB   // writes every key of the selected database: WATCHers of any key learn of it
	flagAllDBs    // writes every database: WATCHers of any database learn of it
	flagMayWrite  // may write, when the session may (EVAL): checked as a read, run in a write transaction for a writer
	flagAllowBusy // answered while a script of the database is past busy-reply-threshold (SCRIPT KILL)
	flagNoScript  // refused inside a script (EVAL, SCRIPT), beside the rule of scriptRefused (script.go)
)

// variant tells apart commands that share one handler (LPUSH and RPUSH, SET and SETNX…):
// the handler reads the row's variant, never its own name.
type variant uint16

const (
	vLeft     variant = 1 << iota // the head of a list (LPUSH, LPOP…)
	vIfExists                     // only when the key exists (LPUSHX, RPUSHX)
	vNX                           // only when absent (MSETNX, RENAMENX)
	vMillis                       // milliseconds rather than seconds (PSETEX)
	vValues                       // values rather than fields (HVALS)
	vLegacyOK                     // the old reply: +OK instead of a count (HMSET)
	vAgeKey                       // an AGE key rather than a SYM one (AGE KEYGEN)
	vMove                         // LMOVE's explicit ends rather than RPOPLPUSH's
	vAbsolute                     // a unix time rather than a duration (EXPIREAT, EXPIRETIME…)
	vFields                       // fields alone (HKEYS)
	vNegate                       // the opposite sign (DECR, DECRBY)
)

var flagNames = []struct {
	f    cmdFlag
	name string
}{
	{flagRead, "readonly"}, {flagWrite, "write"}, {flagAdmin, "admin"},
	{flagStateless, "stateless"}, {flagNoMulti, "no_multi"}, {flagConn, "connection"},
	{flagFast, "fast"}, {flagBlocking, "blocking"},
}

func (f cmdFlag) names() []string {
	var out []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// command is one row of the command table.
type command struct {
	name  string // lower case; "client|kill" for a subcommand
	arity int    // Redis's convention: N exactly, -N at least N (the name counts)
	flags cmdFlag
	v     variant
	// Key positions, as COMMAND INFO reports them and WATCH tracking uses them:
	// first key, last key (-1: the last argument), step.
	firstKey, lastKey, step int
	run                     func(c *call) error
	subs                    map[string]*command // subcommands, by lower-case name
	group                   string              // docs: the command group
	syntax                  string              // docs: the syntax line
	summary                 string              // docs: one line
	differs                 string              // docs: how it differs from Redis, if it does
	// far, for a command that may write a database besides the selected one (COPY … DB,
	// MOVE), returns the argument naming it (nil: none named); the check resolves it and
	// checks the grant on it (across.go).
	far func(args [][]byte) []byte
}

func (c *command) is(f cmdFlag) bool { return c.flags&f != 0 }

// has reports whether the row is the variant v of its handler.
func (c *command) has(v variant) bool { return c.v&v != 0 }

// data commands run against the selected database inside a transaction.
func (c *command) data() bool { return c.flags&(flagRead|flagWrite) != 0 }

// keys returns the key arguments of args, per the table's key positions.
func (c *command) keys(args [][]byte) [][]byte {
	if c.firstKey == 0 {
		return nil
	}
	last := c.lastKey
	if last < 0 {
		last = len(args) + last
	}
	var out [][]byte
	for i := c.firstKey; i <= last && i < len(args); i += max(c.step, 1) {
		out = append(out, args[i])
	}
	return out
}

// Key positions for register: the first argument is the key (k1), every argument is a
// key (kAll), or the first two are (k12).
func k1(c *command) *command   { c.firstKey, c.lastKey, c.step = 1, 1, 1; return c }
func kAll(c *command) *command { c.firstKey, c.lastKey, c.step = 1, -1, 1; return c }
func k12(c *command) *command  { c.firstKey, c.lastKey, c.step = 1, 2, 1; return c }

// table holds every command herodb answers. A command missing here is refused.
var table = map[string]*command{}

// The one place the table is built, in this order: a command's subcommands register
// after it, and HELP rows after the subcommands they list.
func init() {
	for _, group := range []func(){adminCommands, cryptoCommands, connCommands, copyCommands, dumpCommands, hashCommands,
		keyCommands, listCommands, blockCommands, objectCommands, pubsubCommands, serverCommands, slowlogCommands, saveCommands, commandCommands, sortCommands, setCommands, stringCommands, txCommands, zsetCommands, scriptCommands, streamCommands, helpCommands} {
		group()
	}
}

func register(group string, cmds ...*command) {
	for _, c := range cmds {
		c.group = group
		if i := strings.IndexByte(c.name, '|'); i >= 0 {
			parent := table[c.name[:i]]
			if parent.subs == nil {
				parent.subs = map[string]*command{}
			}
			parent.subs[c.name[i+1:]] = c
			continue
		}
		table[c.name] = c
		tableUpper[strings.ToUpper(c.name)] = c
	}
}

// tableUpper indexes the same rows by upper-case name, for lookup only.
var tableUpper = map[string]*command{}

// lookup finds the row for args: the subcommand's when the command has subcommands.
// It returns the top-level row and the row to run (equal when there are no subcommands).
func lookup(args [][]byte) (top, row *command) {
	// Clients send names in lower case (go-redis) or upper case (redis-cli, benchmarks):
	// both are found without allocating; only mixed case pays for ToLower.
	top = table[string(args[0])]
	if top == nil {
		top = tableUpper[string(args[0])]
	}
	if top == nil {
		top = table[strings.ToLower(string(args[0]))]
	}
	if top == nil || top.subs == nil || len(args) < 2 {
		return top, top
	}
	if sub := top.subs[strings.ToLower(string(args[1]))]; sub != nil {
		return top, sub
	}
	return top, top
}

// arityOK applies Redis's arity rule.
func (c *command) arityOK(n int) bool {
	if c.arity >= 0 {
		return n == c.arity
	}
	return n >= -c.arity
}

// sortedCommands returns the table's top-level rows by name.
func sortedCommands() []*command { return byName(table) }

// sortedSubs returns c's subcommand rows by name.
func sortedSubs(c *command) []*command { return byName(c.subs) }

func byName(rows map[string]*command) []*command {
	return slices.SortedFunc(maps.Values(rows), func(a, b *command) int { return strings.Compare(a.name, b.name) })
}
