package server

// Blocking list commands, LMPOP and CLIENT UNBLOCK:
// https://redis.io/docs/latest/commands/?group=list
//
// Each handler pops at once when one of its keys has something, as the non-blocking
// form would. When none has, it writes no reply and hands its keys and timeout to its
// connection's waiter (blocking.go), which waits and runs it again; inside MULTI (and
// in any run with no waiter) it answers nil at once, as Redis does.

import (
	"math"
	"strings"
)

// blockCommands registers this file's commands (called from table.go).
func blockCommands() {
	register("list",
		&command{name: "blpop", arity: -3, flags: flagWrite | flagBlocking, v: vLeft, firstKey: 1, lastKey: -2, step: 1, run: bpopCmd,
			syntax: "BLPOP key [key ...] timeout", summary: "LPOP of the first non-empty list, waiting up to timeout seconds (0: forever) for one; answers [key, element] or nil."},
		&command{name: "brpop", arity: -3, flags: flagWrite | flagBlocking, firstKey: 1, lastKey: -2, step: 1, run: bpopCmd,
			syntax: "BRPOP key [key ...] timeout", summary: "As BLPOP, from the tail."},
		k12(&command{name: "blmove", arity: 6, flags: flagWrite | flagBlocking, v: vMove, run: bmoveCmd,
			syntax: "BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout", summary: "LMOVE, waiting up to timeout seconds for source to have an element."}),
		k12(&command{name: "brpoplpush", arity: 4, flags: flagWrite | flagBlocking, run: bmoveCmd,
			syntax: "BRPOPLPUSH source destination timeout", summary: "As BLMOVE source destination RIGHT LEFT timeout."}),
		&command{name: "lmpop", arity: -4, flags: flagWrite, firstKey: 2, lastKey: -1, step: 1, run: mpopCmd,
			syntax: "LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]", summary: "Pops up to count elements from the first non-empty list; answers [key, elements] or nil."},
		&command{name: "blmpop", arity: -5, flags: flagWrite | flagBlocking, firstKey: 3, lastKey: -1, step: 1, run: mpopCmd,
			syntax: "BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]", summary: "LMPOP, waiting up to timeout seconds for one of the lists to have an element."},
	)
	register("connection",
		&command{name: "client|unblock", arity: -3, flags: flagFast, run: clientUnblockCmd,
			syntax: "CLIENT UNBLOCK client-id [TIMEOUT|ERROR]", summary: "Releases a client blocked in BLPOP and friends, as a timeout or with an UNBLOCKED error; answers 1 or 0.",
			differs: "The admin secret releases any client; any other connection only those blocked in the database it has selected (others answer 0)."},
	)
}

// nothing ends a blocking command that found nothing to pop: with a waiter (outside
// MULTI) it writes no reply and leaves keys and timeout to it; without, it answers null.
func nothing(c *call, keys [][]byte, timeout int64, null func()) {
	if w := c.sess.block; w != nil {
		w.keys, w.timeout = keys, timeout
		return
	}
	null()
}

// BLPOP, BRPOP key [key ...] timeout
func bpopCmd(c *call) error {
	timeout, msg := parseTimeout(c.args[len(c.args)-1])
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	pop := c.tx.RPop
	if c.row.has(vLeft) {
		pop = c.tx.LPop
	}
	keys := c.args[1 : len(c.args)-1]
	for _, k := range keys {
		vals, err := pop(k, 1)
		if err != nil {
			return c.fail(err) // WRONGTYPE before any non-empty list, as Redis
		}
		if len(vals) > 0 {
			c.notify(nfList, byEnd(c.row.has(vLeft), "lpop", "rpop"), k)
			c.notifyIfGone(k)
			c.r.array(2)
			c.r.bulk(k)
			c.r.bulk(vals[0])
			return nil
		}
	}
	nothing(c, keys, timeout, c.r.nullArray)
	return nil
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout / BRPOPLPUSH source destination timeout
func bmoveCmd(c *call) error {
	fromLeft, toLeft := false, true // BRPOPLPUSH
	if c.row.has(vMove) {
		var ok1, ok2 bool
		fromLeft, ok1 = parseEnd(c.args[3])
		toLeft, ok2 = parseEnd(c.args[4])
		if !ok1 || !ok2 {
			c.r.err(errSyntax)
			return nil
		}
	}
	timeout, msg := parseTimeout(c.args[len(c.args)-1])
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	v, ok, err := c.tx.LMove(c.args[1], c.args[2], fromLeft, toLeft)
	if err != nil {
		return c.fail(err)
	}
	if ok {
		c.notifyMove(c.args[1], c.args[2], fromLeft, toLeft)
		c.r.bulk(v)
		return nil
	}
	nothing(c, c.args[1:2], timeout, c.r.null) // waits on the source only
	return nil
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
//
// Parsed in Redis 7.0's order: numkeys, the end, COUNT, then BLMPOP's timeout.
func mpopCmd(c *call) error {
	at := 1 // numkeys
	if c.row.is(flagBlocking) {
		at = 2
	}
	numkeys, err := parseInt(c.args[at])
	if err != nil || numkeys < 1 {
		c.r.err(errSetNumKeys)
		return nil
	}
	if numkeys > int64(len(c.args)-at-2) { // the end word must follow the keys
		c.r.err(errSyntax)
		return nil
	}
	end := at + 1 + int(numkeys)
	left, ok := parseEnd(c.args[end])
	if !ok {
		c.r.err(errSyntax)
		return nil
	}
	count := int64(-1)
	for i := end + 1; i < len(c.args); i++ {
		if count == -1 && strings.EqualFold(string(c.args[i]), "count") && i+1 < len(c.args) {
			i++
			if count, err = parseInt(c.args[i]); err != nil || count < 1 {
				c.r.err(errCountPositive)
				return nil
			}
			continue
		}
		c.r.err(errSyntax)
		return nil
	}
	count = max(count, 1)
	var timeout int64
	if c.row.is(flagBlocking) {
		var msg string
		if timeout, msg = parseTimeout(c.args[1]); msg != "" {
			c.r.err(msg)
			return nil
		}
	}
	pop := c.tx.RPop
	if left {
		pop = c.tx.LPop
	}
	keys := c.args[at+1 : end]
	for _, k := range keys {
		vals, err := pop(k, int(min(count, math.MaxInt)))
		if err != nil {
			return c.fail(err)
		}
		if len(vals) > 0 {
			c.notify(nfList, byEnd(left, "lpop", "rpop"), k)
			c.notifyIfGone(k)
			c.r.array(2)
			c.r.bulk(k)
			c.r.bulks(vals)
			return nil
		}
	}
	nothing(c, keys, timeout, c.r.nullArray)
	return nil
}

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
func clientUnblockCmd(c *call) error {
	if len(c.args) > 4 {
		c.r.err(errUnblockArgs(c.args[1]))
		return nil
	}
	why := wakeTimeout
	if len(c.args) == 4 {
		switch strings.ToLower(string(c.args[3])) {
		case "timeout":
		case "error":
			why = wakeError
		default:
			c.r.err(errUnblockReason)
			return nil
		}
	}
	id, err := parseInt(c.args[2])
	if err != nil {
		c.r.err(errNotInteger)
		return nil
	}
	anyDB := c.sess.isAdmin()
	if !anyDB && !c.sess.selected {
		c.r.int(0)
		return nil
	}
	c.r.bool(c.s.unblock(id, why, c.sess.db, anyDB))
	return nil
}
