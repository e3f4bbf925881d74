package server

// COPY and MOVE: a key copied within the selected database, or into another one in the
// same commit (across.go).

import (
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// copyCommands registers this file's commands (called from table.go).
func copyCommands() {
	register("generic",
		k12(&command{name: "copy", arity: -3, flags: flagWrite, run: copyCmd, far: copyFar,
			syntax:  "COPY source destination [DB destination-db] [REPLACE]",
			summary: "Copies a key, with its TTL, within the database or into another one.",
			differs: "DB takes a database id or name, as SELECT. Into another database only when the connection's AUTH credential " +
				"grants write on both (a KEY given to SELECT covers that selection only), or with the admin secret; otherwise NOPERM, " +
				"also for a database that does not exist. Both databases change in one commit."}),
		k1(&command{name: "move", arity: 3, flags: flagWrite, run: moveCmd, far: func(args [][]byte) []byte { return args[2] },
			syntax:  "MOVE key db",
			summary: "Moves a key, with its TTL, into another database, unless it exists there.",
			differs: "db is a database id or name, granted as COPY's DB is; both databases change in one commit."}),
	)
}

// copyFar finds COPY's DB argument, as copyCmd reads its options (nil: none given, or
// the options are malformed, which copyCmd answers).
func copyFar(args [][]byte) []byte {
	var ref []byte
	for i := 3; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "replace"):
		case strings.EqualFold(string(args[i]), "db") && i+1 < len(args):
			i++
			ref = args[i]
		default:
			return nil
		}
	}
	return ref
}

// destination is the transaction a COPY or MOVE writes into: the selected database's,
// or the far one's; ok false when the command names a database it cannot reach here (a
// script's commands stay in their database).
func (c *call) destination() (tx *storage.Tx, f *farDB, ok bool) {
	switch {
	case c.far != nil:
		return c.far.tx, c.far, true
	case c.farID == 0 || c.farID == c.sess.db:
		return c.tx, nil, true
	}
	return nil, nil, false
}

// COPY source destination [DB destination-db] [REPLACE]
func copyCmd(c *call) error {
	replace := false
	for i := 3; i < len(c.args); i++ {
		switch {
		case strings.EqualFold(string(c.args[i]), "replace"):
			replace = true
		case strings.EqualFold(string(c.args[i]), "db") && i+1 < len(c.args):
			i++ // resolved by the check into c.farID
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	dst, far, ok := c.destination()
	switch {
	case !ok:
		c.r.err(errFarHere)
		return nil
	case far == nil && string(c.args[1]) == string(c.args[2]):
		c.r.err(errSameObject)
		return nil
	}
	copied, err := storage.CopyKey(c.tx, dst, c.args[1], c.args[2], replace)
	if err != nil {
		return c.fail(err)
	}
	if copied {
		if far != nil {
			far.changed(c.s, c.args[2])
			far.notes.add(nfGeneric, "copy_to", c.args[2])
		} else {
			c.notify(nfGeneric, "copy_to", c.args[2])
		}
	}
	c.r.bool(copied)
	return nil
}

// MOVE key db
func moveCmd(c *call) error {
	dst, far, ok := c.destination()
	switch {
	case !ok:
		c.r.err(errFarHere)
		return nil
	case far == nil:
		c.r.err(errSameObject)
		return nil
	}
	moved, err := storage.CopyKey(c.tx, dst, c.args[1], c.args[1], false)
	if err == nil && moved {
		_, err = c.tx.Del(c.args[1])
	}
	if err != nil {
		return c.fail(err)
	}
	if moved {
		c.notify(nfGeneric, "move_from", c.args[1])
		far.changed(c.s, c.args[1])
		far.notes.add(nfGeneric, "move_to", c.args[1])
	}
	c.r.bool(moved)
	return nil
}
