package server

// OBJECT: https://redis.io/docs/latest/commands/object/. herodb has no shared objects,
// no eviction clock and no in-memory encodings, so the answers are fixed and documented:
// they tell a client what kind of value a key holds, in Redis's encoding names.

import (
	"strconv"

	"github.com/seed6aa118f9/herodb/storage"
)

func objectCommands() {
	register("generic",
		&command{name: "object", arity: -2,
			syntax: "OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key", summary: "What Redis would say of a value's internals."},
		&command{name: "object|encoding", arity: 3, flags: flagRead, firstKey: 2, lastKey: 2, step: 1, run: objectEncodingCmd,
			syntax: "OBJECT ENCODING key", summary: "The value's encoding, in Redis's names.",
			differs: "Strings answer int, embstr or raw as Redis; the other types one name each, whatever their size: hash hashtable, list quicklist, set hashtable, zset skiplist (herodb keeps no compact encodings)."},
		&command{name: "object|freq", arity: 3, flags: flagRead, firstKey: 2, lastKey: 2, step: 1, run: objectFreqCmd,
			syntax: "OBJECT FREQ key", summary: "Refused, as Redis does without an LFU maxmemory policy (herodb evicts nothing)."},
		&command{name: "object|idletime", arity: 3, flags: flagRead, firstKey: 2, lastKey: 2, step: 1, run: objectIdleCmd,
			syntax: "OBJECT IDLETIME key", summary: "Seconds since the key was last used.",
			differs: "Always 0: herodb keeps no access clock per key."},
		&command{name: "object|refcount", arity: 3, flags: flagRead, firstKey: 2, lastKey: 2, step: 1, run: objectRefcountCmd,
			syntax: "OBJECT REFCOUNT key", summary: "References to the value: always 1 (herodb shares no values)."},
	)
}

// objectKey answers nil for a missing key, as Redis does, and says whether it exists.
func objectKey(c *call) (storage.Type, bool, error) {
	t, err := c.tx.TypeOf(c.args[2])
	if err != nil {
		return 0, false, err
	}
	if t == storage.TypeNone {
		c.r.null()
		return t, false, nil
	}
	return t, true, nil
}

// OBJECT ENCODING key
func objectEncodingCmd(c *call) error {
	t, ok, err := objectKey(c)
	if err != nil || !ok {
		return c.fail(err)
	}
	switch t {
	case storage.TypeString:
		v, _, err := c.tx.Get(c.args[2])
		if err != nil {
			return c.fail(err)
		}
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && len(v) <= 20 && strconv.FormatInt(n, 10) == string(v) {
			c.r.bulkString("int")
		} else if len(v) <= 44 {
			c.r.bulkString("embstr")
		} else {
			c.r.bulkString("raw")
		}
	case storage.TypeHash, storage.TypeSet:
		c.r.bulkString("hashtable")
	case storage.TypeList:
		c.r.bulkString("quicklist")
	case storage.TypeStream:
		c.r.bulkString("stream")
	default:
		c.r.bulkString("skiplist")
	}
	return nil
}

// OBJECT FREQ key
func objectFreqCmd(c *call) error {
	if _, ok, err := objectKey(c); err != nil || !ok {
		return c.fail(err)
	}
	c.r.err(errObjectFreq)
	return nil
}

// OBJECT IDLETIME key
func objectIdleCmd(c *call) error {
	if _, ok, err := objectKey(c); err != nil || !ok {
		return c.fail(err)
	}
	c.r.int(0)
	return nil
}

// OBJECT REFCOUNT key
func objectRefcountCmd(c *call) error {
	if _, ok, err := objectKey(c); err != nil || !ok {
		return c.fail(err)
	}
	c.r.int(1)
	return nil
}
