package server

// Generic key commands: https://redis.io/docs/latest/commands/?group=generic

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// keyCommands registers this file's commands (called from table.go).
func keyCommands() {
	register("generic",
		kAll(&command{name: "del", arity: -2, flags: flagWrite, run: delCmd,
			syntax: "DEL key [key ...]", summary: "Removes keys; answers how many existed."}),
		kAll(&command{name: "unlink", arity: -2, flags: flagWrite | flagFast, run: delCmd,
			syntax: "UNLINK key [key ...]", summary: "As DEL.", differs: "Removal is synchronous, as DEL."}),
		kAll(&command{name: "exists", arity: -2, flags: flagRead | flagFast, run: existsCmd,
			syntax: "EXISTS key [key ...]", summary: "Counts the keys that exist (a key named twice counts twice)."}),
		kAll(&command{name: "touch", arity: -2, flags: flagRead | flagFast, run: existsCmd,
			syntax: "TOUCH key [key ...]", summary: "Counts the keys that exist.", differs: "No access time is kept."}),
		k1(&command{name: "type", arity: 2, flags: flagRead | flagFast, run: typeCmd,
			syntax: "TYPE key", summary: "string, hash, list, set or none."}),
		&command{name: "keys", arity: 2, flags: flagRead, run: keysCmd,
			syntax: "KEYS pattern", summary: "Every key matching a glob pattern.",
			differs: "Names are encrypted, so every key record is decrypted: O(keys)."},
		&command{name: "scan", arity: -2, flags: flagRead, run: scanCmd,
			syntax: "SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]", summary: "Iterates the keyspace with a stable cursor.",
			differs: "Keys come in the order of their keyed digests; cursors stay valid across writes."},
		&command{name: "randomkey", arity: 1, flags: flagRead, run: randomkeyCmd,
			syntax: "RANDOMKEY", summary: "A random key name, or nil."},
		&command{name: "rename", arity: 3, flags: flagWrite, firstKey: 1, lastKey: 2, step: 1, run: renameCmd,
			syntax: "RENAME key newkey", summary: "Renames a key, replacing newkey; values are not re-encrypted."},
		&command{name: "renamenx", arity: 3, flags: flagWrite | flagFast, v: vNX, firstKey: 1, lastKey: 2, step: 1, run: renameCmd,
			syntax: "RENAMENX key newkey", summary: "Renames a key only if newkey does not exist."},
		k1(&command{name: "expire", arity: -3, flags: flagWrite | flagFast, run: expireCmd,
			syntax: "EXPIRE key seconds [NX|XX|GT|LT]", summary: "Sets a time to live in seconds."}),
		k1(&command{name: "pexpire", arity: -3, flags: flagWrite | flagFast, v: vMillis, run: expireCmd,
			syntax: "PEXPIRE key milliseconds [NX|XX|GT|LT]", summary: "Sets a time to live in milliseconds."}),
		k1(&command{name: "expireat", arity: -3, flags: flagWrite | flagFast, v: vAbsolute, run: expireCmd,
			syntax: "EXPIREAT key unix-time-seconds [NX|XX|GT|LT]", summary: "Sets an expiry as a unix time."}),
		k1(&command{name: "pexpireat", arity: -3, flags: flagWrite | flagFast, v: vMillis | vAbsolute, run: expireCmd,
			syntax: "PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]", summary: "Sets an expiry as a unix time in ms."}),
		k1(&command{name: "ttl", arity: 2, flags: flagRead | flagFast, run: ttlCmd,
			syntax: "TTL key", summary: "Seconds to live; -1 without expiry, -2 when absent."}),
		k1(&command{name: "pttl", arity: 2, flags: flagRead | flagFast, v: vMillis, run: ttlCmd,
			syntax: "PTTL key", summary: "Milliseconds to live; -1 without expiry, -2 when absent."}),
		k1(&command{name: "expiretime", arity: 2, flags: flagRead | flagFast, v: vAbsolute, run: ttlCmd,
			syntax: "EXPIRETIME key", summary: "Expiry as unix seconds; -1 without, -2 when absent."}),
		k1(&command{name: "pexpiretime", arity: 2, flags: flagRead | flagFast, v: vMillis | vAbsolute, run: ttlCmd,
			syntax: "PEXPIRETIME key", summary: "Expiry as unix ms; -1 without, -2 when absent."}),
		k1(&command{name: "persist", arity: 2, flags: flagWrite | flagFast, run: persistCmd,
			syntax: "PERSIST key", summary: "Removes a key's expiry."}),
	)
}

// DEL key [key ...] / UNLINK
func delCmd(c *call) error { return countKeys(c, c.tx.Del, "del") }

// EXISTS key [key ...] / TOUCH
func existsCmd(c *call) error { return countKeys(c, c.tx.Exists, "") }

// countKeys replies how many of the key arguments fn says yes to; each is a keyspace
// event when event is given.
func countKeys(c *call, fn func([]byte) (bool, error), event string) error {
	n := int64(0)
	for _, k := range c.args[1:] {
		ok, err := fn(k)
		if err != nil {
			return c.fail(err)
		}
		if ok {
			n++
			if event != "" {
				c.notify(nfGeneric, event, k)
			}
		}
	}
	c.r.int(n)
	return nil
}

// TYPE key
func typeCmd(c *call) error {
	t, err := c.tx.TypeOf(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.simple(t.String())
	return nil
}

// KEYS pattern
func keysCmd(c *call) error {
	keys, err := c.tx.Keys(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.bulks(keys)
	return nil
}

// typeNoMatch filters out everything: SCAN TYPE with a type herodb does not have.
const typeNoMatch storage.Type = 0xff

func parseType(b []byte) storage.Type {
	switch strings.ToLower(string(b)) {
	case "string":
		return storage.TypeString
	case "hash":
		return storage.TypeHash
	case "list":
		return storage.TypeList
	case "set":
		return storage.TypeSet
	case "zset":
		return storage.TypeZSet
	case "stream":
		return storage.TypeStream
	}
	return typeNoMatch
}

// scanOptions parses [MATCH pattern] [COUNT count] (and TYPE when allowType).
// keyScan begins HSCAN, SSCAN and ZSCAN key cursor ...: the cursor, then, as Redis, an
// absent (or empty) key answers an empty scan before the options are read. done: the
// reply is written; size is the type's count (HLEN, SCARD, ZCARD).
func keyScan(c *call, size func([]byte) (int64, error)) (cur uint64, done bool, err error) {
	cur, ok := parseCursor(c.args[2])
	if !ok {
		c.r.err(errInvalidCursor)
		return 0, true, nil
	}
	n, err := size(c.args[1])
	if err != nil || n > 0 {
		return cur, false, err
	}
	c.r.array(2)
	c.r.bulkString("0")
	c.r.array(0)
	return 0, true, nil
}

// interCardLimit reads SINTERCARD's and ZINTERCARD's [LIMIT limit] from args[from:];
// false once an error is answered.
func interCardLimit(c *call, from int) (int64, bool) {
	var limit int64
	for i := from; i < len(c.args); i++ {
		if !strings.EqualFold(string(c.args[i]), "limit") || i+1 >= len(c.args) {
			c.r.err(errSyntax)
			return 0, false
		}
		i++
		var msg string
		if limit, msg = positiveLong(c.args[i], errSetLimitNeg); msg != "" {
			c.r.err(msg)
			return 0, false
		}
	}
	return limit, true
}

func scanOptions(args [][]byte, allowType bool) (match []byte, count int, typ storage.Type, msg string) {
	count = 10
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return nil, 0, 0, errSyntax
		}
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "match":
			match = args[i+1]
			if string(match) == "*" {
				match = nil
			}
		case opt == "count":
			n, err := parseInt(args[i+1])
			if err != nil {
				return nil, 0, 0, errNotInteger
			}
			n = min(n, math.MaxInt32) // Redis takes any 64-bit count; more is read in pieces anyway
			if n < 1 {
				return nil, 0, 0, errSyntax
			}
			count = int(n)
		case opt == "type" && allowType:
			typ = parseType(args[i+1])
		default:
			return nil, 0, 0, errSyntax
		}
	}
	return match, count, typ, ""
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
func scanCmd(c *call) error {
	cur, ok := parseCursor(c.args[1])
	if !ok {
		c.r.err(errInvalidCursor)
		return nil
	}
	match, count, typ, msg := scanOptions(c.args[2:], true)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	next, keys, err := c.tx.Scan(cur, match, count, typ)
	if err != nil {
		return c.fail(err)
	}
	c.r.array(2)
	c.r.bulkString(strconv.FormatUint(next, 10))
	c.r.bulks(keys)
	return nil
}

// RANDOMKEY
func randomkeyCmd(c *call) error {
	k, err := c.tx.RandomKey()
	if err != nil {
		return c.fail(err)
	}
	c.r.bulkOrNull(k, k != nil)
	return nil
}

// RENAME key newkey / RENAMENX key newkey
func renameCmd(c *call) error {
	nx := c.row.has(vNX)
	done, err := c.tx.Rename(c.args[1], c.args[2], nx)
	if err != nil {
		return c.fail(err)
	}
	if done && !bytes.Equal(c.args[1], c.args[2]) {
		c.notify(nfNew, "new", c.args[2]) // Redis adds newkey as a new key, then says so
		c.notify(nfGeneric, "rename_from", c.args[1])
		c.notify(nfGeneric, "rename_to", c.args[2])
	}
	if nx {
		c.r.bool(done)
	} else {
		c.r.ok()
	}
	return nil
}

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX|XX|GT|LT]
func expireCmd(c *call) error {
	// Redis reads every option first, then checks them together, then the number.
	var nx, xx, gt, lt bool
	for _, o := range c.args[3:] {
		switch strings.ToLower(string(o)) {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "gt":
			gt = true
		case "lt":
			lt = true
		default:
			c.r.err(errUnsupportedOption(o))
			return nil
		}
	}
	if nx && (xx || gt || lt) {
		c.r.err(errExpireNXMix)
		return nil
	}
	if gt && lt {
		c.r.err(errExpireGTLT)
		return nil
	}
	n, err := parseInt(c.args[2])
	if err != nil {
		c.r.err(errNotInteger)
		return nil
	}
	cond := storage.ExpireAlways
	switch {
	case nx:
		cond = storage.ExpireNX
	case gt: // GT already refuses a key without expiry, as XX does
		cond = storage.ExpireGT
	case lt:
		cond = storage.ExpireLT
	case xx:
		cond = storage.ExpireXX
	}
	at, ok := absoluteExpiry(expiryUnit(c.row), n, c.tx.Now())
	if !ok {
		c.r.err(errInvalidExpire(c.row.name))
		return nil
	}
	if xx && lt { // XX LT: only a key that already has an expiry
		cur, err := c.tx.ExpireTime(c.args[1])
		if err != nil {
			return c.fail(err)
		}
		if cur < 0 {
			c.r.int(0)
			return nil
		}
	}
	done, err := c.tx.ExpireAt(c.args[1], at, cond)
	if err != nil {
		return c.fail(err)
	}
	if done {
		c.notifyExpire(c.args[1], at)
	}
	c.r.bool(done)
	return nil
}

// expiryUnit is the expiry option word (ex, px, exat, pxat) that row's variant means.
func expiryUnit(row *command) string {
	unit := "ex"
	if row.has(vMillis) {
		unit = "px"
	}
	if row.has(vAbsolute) {
		unit += "at"
	}
	return unit
}

// TTL, PTTL, EXPIRETIME, PEXPIRETIME key
func ttlCmd(c *call) error {
	at, err := c.tx.ExpireTime(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if at < 0 {
		c.r.int(at)
		return nil
	}
	if !c.row.has(vAbsolute) {
		at -= c.tx.Now()
	}
	if !c.row.has(vMillis) {
		at = (at + 500) / 1000 // Redis rounds
	}
	c.r.int(at)
	return nil
}

// PERSIST key
func persistCmd(c *call) error {
	ok, err := c.tx.Persist(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if ok {
		c.notify(nfGeneric, "persist", c.args[1])
	}
	c.r.bool(ok)
	return nil
}
