package server

// Scripting: https://redis.io/docs/latest/develop/interactions/programmability/eval-intro/
//
// EVAL and EVALSHA run in the caller's selected database, in the command's storage
// transaction (script.go); the script cache is per database (script_cache.go).

import "strings"

// scriptCommands registers this file's commands (called from table.go).
func scriptCommands() {
	const evalDiffers = "Runs in the selected database only: SELECT, MULTI, CONFIG, INFO, CLIENT, admin and Pub/Sub subscription commands are refused inside it; blocking commands run as in MULTI (they never wait; Redis 7.0 refuses BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN and BZPOPMAX). A read-only credential's script may read; its writes answer NOPERM. Lua is gopher-lua (Lua 5.1): runtime and compile error messages are worded by it; docs/scripting.md lists the libraries and bounds."
	register("scripting",
		&command{name: "eval", arity: -3, flags: flagRead | flagMayWrite | flagNoScript, run: evalCmd,
			syntax: "EVAL script numkeys [key [key ...]] [arg [arg ...]]", summary: "Runs a Lua script atomically in the selected database.",
			differs: evalDiffers},
		&command{name: "evalsha", arity: -3, flags: flagRead | flagMayWrite | flagNoScript, run: evalShaCmd,
			syntax: "EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]", summary: "Runs a cached script by its SHA1.",
			differs: "As EVAL, from the selected database's own cache (SCRIPT LOAD)."},
		&command{name: "eval_ro", arity: -3, flags: flagRead | flagNoScript, run: evalCmd,
			syntax: "EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]", summary: "Runs a Lua script that may not write.",
			differs: "As EVAL."},
		&command{name: "evalsha_ro", arity: -3, flags: flagRead | flagNoScript, run: evalShaCmd,
			syntax: "EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]", summary: "Runs a cached script that may not write.",
			differs: "As EVAL, from the selected database's own cache (SCRIPT LOAD)."},
		&command{name: "script", arity: -2, flags: flagNoScript,
			syntax: "SCRIPT LOAD|EXISTS|FLUSH|KILL ...", summary: "Manages the selected database's script cache and running script."},
		&command{name: "script|load", arity: 3, flags: flagNoScript, run: scriptLoadCmd,
			syntax: "SCRIPT LOAD script", summary: "Compiles a script into the selected database's cache and returns its SHA1.",
			differs: "Each database has its own cache of at most 500 scripts and 8 MiB of source (256 MiB over the node); the least recently used go first. Needs a selected database."},
		&command{name: "script|exists", arity: -3, flags: flagNoScript, run: scriptExistsCmd,
			syntax: "SCRIPT EXISTS sha1 [sha1 ...]", summary: "Says which SHA1s the selected database's cache holds.",
			differs: "Answers for the selected database's cache."},
		&command{name: "script|flush", arity: -2, flags: flagNoScript, run: scriptFlushCmd,
			syntax: "SCRIPT FLUSH [ASYNC|SYNC]", summary: "Empties the selected database's script cache.",
			differs: "Empties the selected database's cache only; needs write access to it. ASYNC and SYNC do the same."},
		&command{name: "script|kill", arity: 2, flags: flagNoScript | flagAllowBusy, run: scriptKillCmd,
			syntax: "SCRIPT KILL", summary: "Stops the selected database's running script, if it has not written.",
			differs: "Stops a script of the selected database only; needs write access to it (or the admin secret)."},
		&command{name: "script|help", arity: 2, flags: flagStateless | flagFast | flagNoScript, run: helpCmd,
			syntax: "SCRIPT HELP", summary: "Lists the SCRIPT subcommands."},
	)
}

// scriptArgs reads numkeys and splits the rest into KEYS and ARGV, with Redis's replies.
func (c *call) scriptArgs() (keys, argv [][]byte, ok bool) {
	n, good := string2ll(string(c.args[2]))
	switch {
	case !good:
		c.r.err(errNotInteger)
		return nil, nil, false
	case n > int64(len(c.args)-3):
		c.r.err(errScriptNumKeys)
		return nil, nil, false
	case n < 0:
		c.r.err(errScriptNumKeysNeg)
		return nil, nil, false
	}
	return c.args[3 : 3+n], c.args[3+n:], true
}

// EVAL script numkeys [key ...] [arg ...] (and EVAL_RO)
func evalCmd(c *call) error {
	keys, argv, ok := c.scriptArgs()
	if !ok {
		return nil
	}
	sp, msg := c.s.scripts().cache.load(c.sess.db, c.args[1], c.s.dbLive)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	return c.runScript(sp, keys, argv)
}

// EVALSHA sha1 numkeys [key ...] [arg ...] (and EVALSHA_RO)
func evalShaCmd(c *call) error {
	if len(c.args[1]) != 40 {
		c.r.err(errNoScript)
		return nil
	}
	keys, argv, ok := c.scriptArgs()
	if !ok {
		return nil
	}
	sp := c.s.scripts().cache.get(c.sess.db, string(c.args[1]))
	if sp == nil {
		c.r.err(errNoScript)
		return nil
	}
	return c.runScript(sp, keys, argv)
}

// The SCRIPT subcommands touch no database file, so they run without a transaction
// (SCRIPT KILL must not wait behind the script it stops). They need a selected
// database, and FLUSH and KILL need the right to write it: the one permission check
// (permit) decides, asked about these rows standing for a read and a write of it.
var (
	scriptReads  = &command{name: "script", flags: flagRead}
	scriptWrites = &command{name: "script", flags: flagWrite}
)

// selected runs the permission check for row's access to the selected database.
func (c *call) selected(row *command) bool {
	if msg := c.s.permit(c.sess, row); msg != "" {
		c.r.err(msg)
		return false
	}
	return true
}

// SCRIPT LOAD script
func scriptLoadCmd(c *call) error {
	if !c.selected(scriptReads) {
		return nil
	}
	sp, msg := c.s.scripts().cache.load(c.sess.db, c.args[2], c.s.dbLive)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	c.r.bulkString(sp.sha)
	return nil
}

// SCRIPT EXISTS sha1 [sha1 ...]
func scriptExistsCmd(c *call) error {
	if !c.selected(scriptReads) {
		return nil
	}
	cache := c.s.scripts().cache
	c.r.array(len(c.args) - 2)
	for _, sha := range c.args[2:] {
		c.r.bool(cache.get(c.sess.db, string(sha)) != nil)
	}
	return nil
}

// SCRIPT FLUSH [ASYNC|SYNC]
func scriptFlushCmd(c *call) error {
	switch {
	case len(c.args) == 2:
	case len(c.args) == 3 && (strings.EqualFold(string(c.args[2]), "sync") || strings.EqualFold(string(c.args[2]), "async")):
	default:
		c.r.err(errScriptFlushArgs)
		return nil
	}
	if !c.selected(scriptWrites) {
		return nil
	}
	c.s.scripts().cache.flush(c.sess.db)
	c.r.ok()
	return nil
}

// SCRIPT KILL
func scriptKillCmd(c *call) error {
	if !c.selected(scriptWrites) {
		return nil
	}
	if msg := c.s.scripts().kill(c.sess.db); msg != "" {
		c.r.err(msg)
		return nil
	}
	c.r.ok()
	return nil
}

// dbLive says whether database id still exists: the cache drops a deleted database's
// scripts.
func (s *Server) dbLive(id uint64) bool {
	d, ok := s.admin.DatabaseByID(id)
	return ok && !d.Deleted()
}
