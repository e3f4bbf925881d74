package server

// Hash commands: https://redis.io/docs/latest/commands/?group=hash

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// hashCommands registers this file's commands (called from table.go).
func hashCommands() {
	register("hash",
		k1(&command{name: "hset", arity: -4, flags: flagWrite | flagFast, run: hsetCmd,
			syntax: "HSET key field value [field value ...]", summary: "Sets fields; answers how many were new."}),
		k1(&command{name: "hsetnx", arity: 4, flags: flagWrite | flagFast, run: hsetnxCmd,
			syntax: "HSETNX key field value", summary: "Sets a field only if it does not exist."}),
		k1(&command{name: "hmset", arity: -4, flags: flagWrite | flagFast, v: vLegacyOK, run: hsetCmd,
			syntax: "HMSET key field value [field value ...]", summary: "As HSET, answering OK."}),
		k1(&command{name: "hget", arity: 3, flags: flagRead | flagFast, run: hgetCmd,
			syntax: "HGET key field", summary: "The value of a field, or nil."}),
		k1(&command{name: "hmget", arity: -3, flags: flagRead | flagFast, run: hmgetCmd,
			syntax: "HMGET key field [field ...]", summary: "The values of fields (nil for absent ones)."}),
		k1(&command{name: "hgetall", arity: 2, flags: flagRead, run: hgetallCmd,
			syntax: "HGETALL key", summary: "Every field and value, flat.",
			differs: "Fields come in the order of their keyed digests, not insertion order."}),
		k1(&command{name: "hkeys", arity: 2, flags: flagRead, v: vFields, run: hgetallCmd,
			syntax: "HKEYS key", summary: "Every field name.",
			differs: "Fields come in the order of their keyed digests, not insertion order."}),
		k1(&command{name: "hvals", arity: 2, flags: flagRead, v: vValues, run: hgetallCmd,
			syntax: "HVALS key", summary: "Every value.",
			differs: "Values come in the order of their fields' keyed digests, not insertion order."}),
		k1(&command{name: "hdel", arity: -3, flags: flagWrite | flagFast, run: hdelCmd,
			syntax: "HDEL key field [field ...]", summary: "Removes fields; the key goes with its last field."}),
		k1(&command{name: "hexists", arity: 3, flags: flagRead | flagFast, run: hexistsCmd,
			syntax: "HEXISTS key field", summary: "1 if the field exists, else 0."}),
		k1(&command{name: "hlen", arity: 2, flags: flagRead | flagFast, run: hlenCmd,
			syntax: "HLEN key", summary: "Number of fields."}),
		k1(&command{name: "hstrlen", arity: 3, flags: flagRead | flagFast, run: hstrlenCmd,
			syntax: "HSTRLEN key field", summary: "Length of a field's value (0 when absent)."}),
		k1(&command{name: "hincrby", arity: 4, flags: flagWrite | flagFast, run: hincrbyCmd,
			syntax: "HINCRBY key field increment", summary: "Adds to the integer in a field."}),
		k1(&command{name: "hincrbyfloat", arity: 4, flags: flagWrite | flagFast, run: hincrbyfloatCmd,
			syntax: "HINCRBYFLOAT key field increment", summary: "Adds to the number in a field.",
			differs: "Arithmetic is float64 (Redis: long double); results print in the shortest exact form."}),
		k1(&command{name: "hscan", arity: -3, flags: flagRead, run: hscanCmd,
			syntax: "HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]", summary: "Iterates a hash's fields with a stable cursor.",
			differs: "Fields come in the order of their keyed digests; cursors stay valid across writes."}),
		k1(&command{name: "hrandfield", arity: -2, flags: flagRead, run: hrandfieldCmd,
			syntax: "HRANDFIELD key [count [WITHVALUES]]", summary: "Random fields: distinct for a positive count, repeating for a negative one.",
			differs: "Reads the whole hash: O(fields). A reply that could not fit the 1 GiB output cap is refused."}),
	)
}

// HSET key field value [field value ...] / HMSET
func hsetCmd(c *call) error {
	if len(c.args)%2 != 0 {
		c.r.err(errWrongArgs(c.row.name))
		return nil
	}
	n, err := c.tx.HSet(c.args[1], c.args[2:])
	if err != nil {
		return c.fail(err)
	}
	c.notify(nfHash, "hset", c.args[1])
	if c.row.has(vLegacyOK) {
		c.r.ok()
	} else {
		c.r.int(n)
	}
	return nil
}

// HSETNX key field value
func hsetnxCmd(c *call) error {
	ok, err := c.tx.HSetNX(c.args[1], c.args[2], c.args[3])
	if err != nil {
		return c.fail(err)
	}
	if ok {
		c.notify(nfHash, "hset", c.args[1])
	}
	c.r.bool(ok)
	return nil
}

// HGET key field
func hgetCmd(c *call) error {
	v, ok, err := c.tx.HGet(c.args[1], c.args[2])
	if err != nil {
		return c.fail(err)
	}
	c.r.bulkOrNull(v, ok)
	return nil
}

// HMGET key field [field ...]
func hmgetCmd(c *call) error {
	type val struct {
		v  []byte
		ok bool
	}
	vals := make([]val, 0, len(c.args)-2)
	for _, f := range c.args[2:] {
		v, ok, err := c.tx.HGet(c.args[1], f)
		if err != nil {
			return c.fail(err) // the first lookup is the type check: nothing written yet
		}
		vals = append(vals, val{v, ok})
	}
	c.r.array(len(vals))
	for _, v := range vals {
		c.r.bulkOrNull(v.v, v.ok)
	}
	return nil
}

// HGETALL key / HKEYS key / HVALS key
func hgetallCmd(c *call) error {
	pairs, err := c.tx.HGetAll(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	switch {
	case c.row.has(vFields | vValues):
		off := 0
		if c.row.has(vValues) {
			off = 1
		}
		c.r.array(len(pairs) / 2)
		for i := off; i < len(pairs); i += 2 {
			c.r.bulk(pairs[i])
		}
	default:
		c.r.bulks(pairs)
	}
	return nil
}

// HDEL key field [field ...]
func hdelCmd(c *call) error {
	n, err := c.tx.HDel(c.args[1], c.args[2:])
	if err != nil {
		return c.fail(err)
	}
	if n > 0 {
		c.notify(nfHash, "hdel", c.args[1])
		c.notifyIfGone(c.args[1])
	}
	c.r.int(n)
	return nil
}

// HEXISTS key field
func hexistsCmd(c *call) error {
	ok, err := c.tx.HExists(c.args[1], c.args[2])
	if err != nil {
		return c.fail(err)
	}
	c.r.bool(ok)
	return nil
}

// HLEN key
func hlenCmd(c *call) error {
	n, err := c.tx.HLen(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// HSTRLEN key field
func hstrlenCmd(c *call) error {
	v, _, err := c.tx.HGet(c.args[1], c.args[2])
	if err != nil {
		return c.fail(err)
	}
	c.r.int(int64(len(v)))
	return nil
}

// HINCRBY key field increment
func hincrbyCmd(c *call) error {
	delta, err := parseInt(c.args[3])
	if err != nil {
		c.r.err(errNotInteger)
		return nil
	}
	n, err := c.tx.HIncrBy(c.args[1], c.args[2], delta)
	if errors.Is(err, storage.ErrNotInteger) { // the increment was checked: it is the field
		c.r.err(errHashNotInt)
		return nil
	}
	if err != nil {
		return c.fail(err)
	}
	c.notify(nfHash, "hincrby", c.args[1])
	c.r.int(n)
	return nil
}

// HINCRBYFLOAT key field increment
func hincrbyfloatCmd(c *call) error {
	delta, err := parseFloat(c.args[3])
	if err != nil {
		c.r.err(errNotFloat)
		return nil
	}
	if math.IsInf(delta, 0) {
		c.r.err(errNaNOrInfinity)
		return nil
	}
	v, err := c.tx.HIncrByFloat(c.args[1], c.args[2], delta)
	if errors.Is(err, storage.ErrNotFloat) {
		c.r.err(errHashNotFloat)
		return nil
	}
	if err != nil {
		return c.fail(err)
	}
	c.notify(nfHash, "hincrbyfloat", c.args[1])
	c.r.bulk(v)
	return nil
}

// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]
func hscanCmd(c *call) error {
	cur, done, err := keyScan(c, c.tx.HLen)
	if err != nil || done {
		return c.fail(err)
	}
	var opts [][]byte
	noValues := false
	for args := c.args[3:]; len(args) > 0; {
		if strings.EqualFold(string(args[0]), "novalues") {
			noValues = true
			args = args[1:]
			continue
		}
		if len(args) < 2 {
			c.r.err(errSyntax)
			return nil
		}
		opts = append(opts, args[0], args[1])
		args = args[2:]
	}
	match, count, _, msg := scanOptions(opts, false)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	next, pairs, err := c.tx.HScan(c.args[1], cur, match, count)
	if err != nil {
		return c.fail(err)
	}
	c.r.array(2)
	c.r.bulkString(strconv.FormatUint(next, 10))
	if noValues {
		c.r.array(len(pairs) / 2)
		for i := 0; i < len(pairs); i += 2 {
			c.r.bulk(pairs[i])
		}
	} else {
		c.r.bulks(pairs)
	}
	return nil
}

// HRANDFIELD key [count [WITHVALUES]]
func hrandfieldCmd(c *call) error {
	if len(c.args) == 2 {
		pairs, err := c.tx.HGetAll(c.args[1])
		if err != nil {
			return c.fail(err)
		}
		if len(pairs) == 0 {
			c.r.null()
			return nil
		}
		c.r.bulk(pairs[2*rand.IntN(len(pairs)/2)])
		return nil
	}
	count, msg := rangeLong(c.args[2])
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	withValues := false
	if len(c.args) > 4 || (len(c.args) == 4 && !strings.EqualFold(string(c.args[3]), "withvalues")) {
		c.r.err(errSyntax)
		return nil
	}
	if len(c.args) == 4 {
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.r.err(errValueRange)
			return nil
		}
	}
	pairs, err := c.tx.HGetAll(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	size := int64(len(pairs) / 2)
	if size == 0 || count == 0 {
		c.r.array(0)
		return nil
	}
	per := int64(1)
	if withValues {
		per = 2
	}
	if count >= size { // the whole hash
		if withValues {
			c.r.bulks(pairs)
		} else {
			c.r.array(int(size))
			for i := 0; i < len(pairs); i += 2 {
				c.r.bulk(pairs[i])
			}
		}
		return nil
	}
	emit := func(i int) {
		c.r.bulk(pairs[2*i])
		if withValues {
			c.r.bulk(pairs[2*i+1])
		}
	}
	if count > 0 { // distinct: a partial Fisher-Yates shuffle of the indexes
		idx := make([]int, size)
		for i := range idx {
			idx[i] = i
		}
		c.r.array(int(count * per))
		for i := range int(count) {
			j := i + rand.IntN(int(size)-i)
			idx[i], idx[j] = idx[j], idx[i]
			emit(idx[i])
		}
		return nil
	}
	n := -count // repeats allowed
	// Every element costs at least "$0\r\n\r\n": refuse what could never be sent
	// rather than build it in memory.
	if n > int64(c.s.cfg.MaxOutput)/(6*per) {
		c.r.err(errRandTooLarge)
		return nil
	}
	c.r.array(int(n * per))
	for range n {
		emit(rand.IntN(int(size)))
	}
	return nil
}
