package server

// Set commands: https://redis.io/docs/latest/commands/?group=set

import (
	"bytes"
	"strconv"

	"github.com/seed6aa118f9/herodb/storage"
)

const setOrder = "Members come in the order of their keyed digests, not Redis's hash order."

// setCommands registers this file's commands (called from table.go).
func setCommands() {
	register("set",
		k1(&command{name: "sadd", arity: -3, flags: flagWrite | flagFast, run: saddCmd,
			syntax: "SADD key member [member ...]", summary: "Adds members; answers how many were new."}),
		k1(&command{name: "srem", arity: -3, flags: flagWrite | flagFast, run: sremCmd,
			syntax: "SREM key member [member ...]", summary: "Removes members; the key goes with its last member."}),
		k1(&command{name: "smembers", arity: 2, flags: flagRead, run: smembersCmd,
			syntax: "SMEMBERS key", summary: "Every member.", differs: setOrder}),
		k1(&command{name: "sismember", arity: 3, flags: flagRead | flagFast, run: sismemberCmd,
			syntax: "SISMEMBER key member", summary: "1 if member is in the set, else 0."}),
		k1(&command{name: "smismember", arity: -3, flags: flagRead | flagFast, run: smismemberCmd,
			syntax: "SMISMEMBER key member [member ...]", summary: "1 or 0 for each member."}),
		k1(&command{name: "scard", arity: 2, flags: flagRead | flagFast, run: scardCmd,
			syntax: "SCARD key", summary: "Number of members."}),
		k1(&command{name: "spop", arity: -2, flags: flagWrite | flagFast, run: spopCmd,
			syntax: "SPOP key [count]", summary: "Removes and answers random members; the key goes with its last.",
			differs: "A set of over 128 members draws each member with one seek to a random digest: cheap, close to uniform but not exactly."}),
		k1(&command{name: "srandmember", arity: -2, flags: flagRead, run: srandmemberCmd,
			syntax: "SRANDMEMBER key [count]", summary: "Random members: distinct for a positive count, repeating for a negative one.",
			differs: "As SPOP's draw. A repeating count whose reply could not fit the 1 GiB output cap is refused."}),
		k12(&command{name: "smove", arity: 4, flags: flagWrite | flagFast, run: smoveCmd,
			syntax: "SMOVE source destination member", summary: "Moves a member from one set to another, atomically."}),
		kAll(&command{name: "sinter", arity: -2, flags: flagRead, run: combineCmd(storage.SetInter),
			syntax: "SINTER key [key ...]", summary: "Members in every set.", differs: setOrder}),
		kAll(&command{name: "sunion", arity: -2, flags: flagRead, run: combineCmd(storage.SetUnion),
			syntax: "SUNION key [key ...]", summary: "Members in any set.", differs: setOrder}),
		kAll(&command{name: "sdiff", arity: -2, flags: flagRead, run: combineCmd(storage.SetDiff),
			syntax: "SDIFF key [key ...]", summary: "Members of the first set in none of the others.", differs: setOrder}),
		kAll(&command{name: "sinterstore", arity: -3, flags: flagWrite, run: combineStoreCmd(storage.SetInter),
			syntax: "SINTERSTORE destination key [key ...]", summary: "Stores SINTER's result; an empty one deletes destination."}),
		kAll(&command{name: "sunionstore", arity: -3, flags: flagWrite, run: combineStoreCmd(storage.SetUnion),
			syntax: "SUNIONSTORE destination key [key ...]", summary: "Stores SUNION's result; an empty one deletes destination."}),
		kAll(&command{name: "sdiffstore", arity: -3, flags: flagWrite, run: combineStoreCmd(storage.SetDiff),
			syntax: "SDIFFSTORE destination key [key ...]", summary: "Stores SDIFF's result; an empty one deletes destination."}),
		// Its keys move with numkeys: no fixed positions, as Redis reports it (0 0 0). It
		// only reads, so no WATCHer needs its keys.
		&command{name: "sintercard", arity: -3, flags: flagRead, run: sintercardCmd,
			syntax: "SINTERCARD numkeys key [key ...] [LIMIT limit]", summary: "Size of the intersection, counting up to limit (0: no limit)."},
		k1(&command{name: "sscan", arity: -3, flags: flagRead, run: sscanCmd,
			syntax: "SSCAN key cursor [MATCH pattern] [COUNT count]", summary: "Iterates a set's members with a stable cursor.",
			differs: "Members come in the order of their keyed digests; cursors stay valid across writes."}),
	)
}

// SADD key member [member ...]
func saddCmd(c *call) error {
	n, err := c.tx.SAdd(c.args[1], c.args[2:])
	if err != nil {
		return c.fail(err)
	}
	if n > 0 {
		c.notify(nfSet, "sadd", c.args[1])
	}
	c.r.int(n)
	return nil
}

// SREM key member [member ...]
func sremCmd(c *call) error {
	n, err := c.tx.SRem(c.args[1], c.args[2:])
	if err != nil {
		return c.fail(err)
	}
	if n > 0 {
		c.notify(nfSet, "srem", c.args[1])
		c.notifyIfGone(c.args[1])
	}
	c.r.int(n)
	return nil
}

// SMEMBERS key
func smembersCmd(c *call) error {
	ms, err := c.tx.SMembers(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.bulks(ms)
	return nil
}

// SISMEMBER key member
func sismemberCmd(c *call) error {
	ok, err := c.tx.SIsMember(c.args[1], c.args[2])
	if err != nil {
		return c.fail(err)
	}
	c.r.bool(ok)
	return nil
}

// SMISMEMBER key member [member ...]
func smismemberCmd(c *call) error {
	oks, err := c.tx.SMIsMember(c.args[1], c.args[2:])
	if err != nil {
		return c.fail(err)
	}
	c.r.array(len(oks))
	for _, ok := range oks {
		c.r.bool(ok)
	}
	return nil
}

// SCARD key
func scardCmd(c *call) error {
	n, err := c.tx.SCard(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// SPOP key [count]
func spopCmd(c *call) error {
	if len(c.args) > 3 {
		c.r.err(errSyntax)
		return nil
	}
	if len(c.args) == 2 {
		ms, err := c.tx.SPop(c.args[1], 1)
		if err != nil {
			return c.fail(err)
		}
		c.notifySPop(ms)
		c.r.bulkOrNull(firstOf(ms), len(ms) > 0)
		return nil
	}
	count, msg := positiveLong(c.args[2], errMustBePositive)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	ms, err := c.tx.SPop(c.args[1], count) // type checked even for a count of 0, as Redis

	if err != nil {
		return c.fail(err)
	}
	c.notifySPop(ms)
	c.r.bulks(ms)
	return nil
}

// SRANDMEMBER key [count]
func srandmemberCmd(c *call) error {
	if len(c.args) > 3 {
		c.r.err(errSyntax)
		return nil
	}
	if len(c.args) == 2 {
		ms, err := c.tx.SRandMember(c.args[1], 1, true)
		if err != nil {
			return c.fail(err)
		}
		c.r.bulkOrNull(firstOf(ms), len(ms) > 0)
		return nil
	}
	count, msg := rangeLong(c.args[2])
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	size, err := c.tx.SCard(c.args[1]) // the type check, even for a count of 0
	if err != nil {
		return c.fail(err)
	}
	distinct := count >= 0
	if !distinct {
		count = -count
		// Every member costs at least "$0\r\n\r\n": refuse what could never be sent
		// rather than build it in memory.
		if size > 0 && count > int64(c.s.cfg.MaxOutput)/6 {
			c.r.err(errSetRandTooLarge)
			return nil
		}
	}
	ms, err := c.tx.SRandMember(c.args[1], count, distinct)
	if err != nil {
		return c.fail(err)
	}
	c.r.bulks(ms)
	return nil
}

func firstOf(ms [][]byte) []byte {
	if len(ms) == 0 {
		return nil
	}
	return ms[0]
}

// SMOVE source destination member
func smoveCmd(c *call) error {
	inDst := false // for the "sadd" event, which Redis gives only when dst gained the member
	if c.notifying(nfSet) {
		inDst, _ = c.tx.SIsMember(c.args[2], c.args[3])
	}
	mark := c.noteMark()
	ok, err := c.tx.SMove(c.args[1], c.args[2], c.args[3])
	if err != nil {
		return c.fail(err)
	}
	if ok && !bytes.Equal(c.args[1], c.args[2]) {
		// As Redis: the source's events, then the destination's ("new" included).
		mark = c.notifyAt(mark, nfSet, "srem", c.args[1])
		if c.gone(c.args[1]) {
			c.notifyAt(mark, nfGeneric, "del", c.args[1])
		}
		if !inDst {
			c.notify(nfSet, "sadd", c.args[2])
		}
	}
	c.r.bool(ok)
	return nil
}

// combineCmd is SINTER, SUNION or SDIFF key [key ...], as op says.
func combineCmd(op storage.SetOp) func(c *call) error {
	return func(c *call) error {
		ms, err := c.tx.SCombine(op, c.args[1:])
		if err != nil {
			return c.fail(err)
		}
		c.r.bulks(ms)
		return nil
	}
}

// combineStoreCmd is SINTERSTORE, SUNIONSTORE or SDIFFSTORE destination key [key ...].
func combineStoreCmd(op storage.SetOp) func(c *call) error {
	return func(c *call) error {
		had := c.had(c.args[1])
		n, err := c.tx.SCombineStore(op, c.args[1], c.args[2:])
		if err != nil {
			return c.fail(err)
		}
		c.notifyStore(nfSet, c.row.name, c.args[1], n, had)
		c.r.int(n)
		return nil
	}
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func sintercardCmd(c *call) error {
	numkeys, err := parseInt(c.args[1])
	if err != nil || numkeys < 1 {
		c.r.err(errSetNumKeys)
		return nil
	}
	if numkeys > int64(len(c.args)-2) {
		c.r.err(errSetNumKeysArgs)
		return nil
	}
	limit, ok := interCardLimit(c, 2+int(numkeys))
	if !ok {
		return nil
	}
	n, err := c.tx.SInterCard(c.args[2:2+numkeys], limit)
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
func sscanCmd(c *call) error {
	cur, done, err := keyScan(c, c.tx.SCard)
	if err != nil || done {
		return c.fail(err)
	}
	match, count, _, msg := scanOptions(c.args[3:], false)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	next, ms, err := c.tx.SScan(c.args[1], cur, match, count)
	if err != nil {
		return c.fail(err)
	}
	c.r.array(2)
	c.r.bulkString(strconv.FormatUint(next, 10))
	c.r.bulks(ms)
	return nil
}
