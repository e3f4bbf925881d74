package server

// List commands: https://redis.io/docs/latest/commands/?group=list

import (
	"math"
	"strings"
)

// listCommands registers this file's commands (called from table.go).
func listCommands() {
	register("list",
		k1(&command{name: "lpush", arity: -3, flags: flagWrite | flagFast, v: vLeft, run: pushCmd,
			syntax: "LPUSH key element [element ...]", summary: "Prepends elements one by one; answers the new length."}),
		k1(&command{name: "rpush", arity: -3, flags: flagWrite | flagFast, run: pushCmd,
			syntax: "RPUSH key element [element ...]", summary: "Appends elements; answers the new length."}),
		k1(&command{name: "lpushx", arity: -3, flags: flagWrite | flagFast, v: vLeft | vIfExists, run: pushCmd,
			syntax: "LPUSHX key element [element ...]", summary: "As LPUSH, only if the list exists."}),
		k1(&command{name: "rpushx", arity: -3, flags: flagWrite | flagFast, v: vIfExists, run: pushCmd,
			syntax: "RPUSHX key element [element ...]", summary: "As RPUSH, only if the list exists."}),
		k1(&command{name: "lpop", arity: -2, flags: flagWrite | flagFast, v: vLeft, run: popCmd,
			syntax: "LPOP key [count]", summary: "Removes and answers the first element(s); the key goes with its last."}),
		k1(&command{name: "rpop", arity: -2, flags: flagWrite | flagFast, run: popCmd,
			syntax: "RPOP key [count]", summary: "Removes and answers the last element(s); the key goes with its last."}),
		k1(&command{name: "llen", arity: 2, flags: flagRead | flagFast, run: llenCmd,
			syntax: "LLEN key", summary: "Length of the list."}),
		k1(&command{name: "lrange", arity: 4, flags: flagRead, run: lrangeCmd,
			syntax: "LRANGE key start stop", summary: "Elements start..stop inclusive; negative indexes count from the end."}),
		k1(&command{name: "lindex", arity: 3, flags: flagRead, run: lindexCmd,
			syntax: "LINDEX key index", summary: "The element at index, or nil.", differs: "O(1)."}),
		k1(&command{name: "lset", arity: 4, flags: flagWrite, run: lsetCmd,
			syntax: "LSET key index element", summary: "Replaces the element at index.", differs: "O(1)."}),
		k1(&command{name: "lrem", arity: 4, flags: flagWrite, run: lremCmd,
			syntax: "LREM key count element", summary: "Removes elements equal to element: count from the head, -count from the tail, 0 all."}),
		k1(&command{name: "ltrim", arity: 4, flags: flagWrite, run: ltrimCmd,
			syntax: "LTRIM key start stop", summary: "Keeps only elements start..stop; an empty range removes the key."}),
		k1(&command{name: "linsert", arity: 5, flags: flagWrite, run: linsertCmd,
			syntax: "LINSERT key BEFORE|AFTER pivot element", summary: "Inserts next to the first pivot; -1 when absent, 0 when no list."}),
		k1(&command{name: "lpos", arity: -3, flags: flagRead, run: lposCmd,
			syntax: "LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]", summary: "Index (or indexes) of matching elements."}),
		k12(&command{name: "lmove", arity: 5, flags: flagWrite, v: vMove, run: lmoveCmd,
			syntax: "LMOVE source destination LEFT|RIGHT LEFT|RIGHT", summary: "Pops from one list and pushes onto another, atomically."}),
		k12(&command{name: "rpoplpush", arity: 3, flags: flagWrite, run: lmoveCmd,
			syntax: "RPOPLPUSH source destination", summary: "As LMOVE source destination RIGHT LEFT."}),
	)
}

// LPUSH, RPUSH, LPUSHX, RPUSHX key element [element ...]
func pushCmd(c *call) error {
	onlyIfExists := c.row.has(vIfExists)
	push := c.tx.RPush
	if c.row.has(vLeft) {
		push = c.tx.LPush
	}
	n, err := push(c.args[1], c.args[2:], onlyIfExists)
	if err != nil {
		return c.fail(err)
	}
	if n > 0 {
		c.notify(nfList, byEnd(c.row.has(vLeft), "lpush", "rpush"), c.args[1])
	}
	c.r.int(n)
	return nil
}

// LPOP, RPOP key [count]
func popCmd(c *call) error {
	if len(c.args) > 3 {
		c.r.err(errWrongArgs(c.row.name))
		return nil
	}
	hasCount := len(c.args) == 3
	count := int64(1)
	if hasCount {
		var msg string
		if count, msg = positiveLong(c.args[2], errMustBePositive); msg != "" {
			c.r.err(msg)
			return nil
		}
	}
	pop := c.tx.RPop
	if c.row.has(vLeft) {
		pop = c.tx.LPop
	}
	vals, err := pop(c.args[1], int(min(count, math.MaxInt)))
	if err != nil {
		return c.fail(err)
	}
	if len(vals) > 0 {
		c.notify(nfList, byEnd(c.row.has(vLeft), "lpop", "rpop"), c.args[1])
		c.notifyIfGone(c.args[1])
	}
	switch {
	case !hasCount && len(vals) == 0:
		c.r.null()
	case !hasCount:
		c.r.bulk(vals[0])
	case vals == nil: // absent key
		c.r.nullArray()
	default:
		c.r.bulks(vals)
	}
	return nil
}

// LLEN key
func llenCmd(c *call) error {
	n, err := c.tx.LLen(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// LRANGE key start stop
func lrangeCmd(c *call) error {
	n, ok := parseInts(c, c.args[2], c.args[3])
	if !ok {
		return nil
	}
	vals, err := c.tx.LRange(c.args[1], n[0], n[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.bulks(vals)
	return nil
}

// LINDEX key index
func lindexCmd(c *call) error {
	n, ok := parseInts(c, c.args[2])
	if !ok {
		return nil
	}
	v, found, err := c.tx.LIndex(c.args[1], n[0])
	if err != nil {
		return c.fail(err)
	}
	c.r.bulkOrNull(v, found)
	return nil
}

// LSET key index element
func lsetCmd(c *call) error {
	n, ok := parseInts(c, c.args[2])
	if !ok {
		return nil
	}
	if err := c.tx.LSet(c.args[1], n[0], c.args[3]); err != nil {
		return c.fail(err)
	}
	c.notify(nfList, "lset", c.args[1])
	c.r.ok()
	return nil
}

// LREM key count element
func lremCmd(c *call) error {
	n, ok := parseInts(c, c.args[2])
	if !ok {
		return nil
	}
	removed, err := c.tx.LRem(c.args[1], n[0], c.args[3])
	if err != nil {
		return c.fail(err)
	}
	if removed > 0 {
		c.notify(nfList, "lrem", c.args[1])
		c.notifyIfGone(c.args[1])
	}
	c.r.int(removed)
	return nil
}

// LTRIM key start stop
func ltrimCmd(c *call) error {
	n, ok := parseInts(c, c.args[2], c.args[3])
	if !ok {
		return nil
	}
	if err := c.tx.LTrim(c.args[1], n[0], n[1]); err != nil {
		return c.fail(err)
	}
	c.notify(nfList, "ltrim", c.args[1]) // dropped by the runner when nothing changed
	c.notifyIfGone(c.args[1])
	c.r.ok()
	return nil
}

// LINSERT key BEFORE|AFTER pivot element
func linsertCmd(c *call) error {
	var before bool
	switch strings.ToLower(string(c.args[2])) {
	case "before":
		before = true
	case "after":
	default:
		c.r.err(errSyntax)
		return nil
	}
	n, err := c.tx.LInsert(c.args[1], before, c.args[3], c.args[4])
	if err != nil {
		return c.fail(err)
	}
	if n > 0 {
		c.notify(nfList, "linsert", c.args[1])
	}
	c.r.int(n)
	return nil
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func lposCmd(c *call) error {
	rank, count, maxlen := int64(1), int64(-1), int64(0) // count -1: not given
	for i := 3; i < len(c.args); i++ {
		opt := strings.ToLower(string(c.args[i]))
		more := i+1 < len(c.args)
		var msg string
		switch {
		case opt == "rank" && more:
			i++
			if rank, msg = rangeLong(c.args[i]); msg == "" && rank == 0 {
				msg = errRankZero
			}
		case opt == "count" && more:
			i++
			count, msg = positiveLong(c.args[i], errCountNegative)
		case opt == "maxlen" && more:
			i++
			maxlen, msg = positiveLong(c.args[i], errMaxlenNegative)
		default:
			msg = errSyntax
		}
		if msg != "" {
			c.r.err(msg)
			return nil
		}
	}
	want := count
	if count == -1 {
		want = 1
	}
	idx, err := c.tx.LPos(c.args[1], c.args[2], rank, want, maxlen)
	if err != nil {
		return c.fail(err)
	}
	if count == -1 {
		if len(idx) == 0 {
			c.r.null()
		} else {
			c.r.int(idx[0])
		}
		return nil
	}
	c.r.array(len(idx))
	for _, i := range idx {
		c.r.int(i)
	}
	return nil
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT / RPOPLPUSH source destination
func lmoveCmd(c *call) error {
	fromLeft, toLeft := false, true // RPOPLPUSH
	if c.row.has(vMove) {
		var ok1, ok2 bool
		fromLeft, ok1 = parseEnd(c.args[3])
		toLeft, ok2 = parseEnd(c.args[4])
		if !ok1 || !ok2 {
			c.r.err(errSyntax)
			return nil
		}
	}
	v, ok, err := c.tx.LMove(c.args[1], c.args[2], fromLeft, toLeft)
	if err != nil {
		return c.fail(err)
	}
	if ok {
		c.notifyMove(c.args[1], c.args[2], fromLeft, toLeft)
	}
	c.r.bulkOrNull(v, ok)
	return nil
}
