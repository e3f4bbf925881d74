package server

// String commands: https://redis.io/docs/latest/commands/?group=string

import (
	"errors"
	"math"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// stringCommands registers this file's commands (called from table.go).
func stringCommands() {
	register("string",
		k1(&command{name: "get", arity: 2, flags: flagRead | flagFast, run: getCmd,
			syntax: "GET key", summary: "The string at key, or nil."}),
		k1(&command{name: "set", arity: -3, flags: flagWrite, run: setCmd,
			syntax: "SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]", summary: "Stores a string."}),
		k1(&command{name: "setnx", arity: 3, flags: flagWrite | flagFast, run: setnxCmd,
			syntax: "SETNX key value", summary: "Stores a string only if key does not exist."}),
		k1(&command{name: "setex", arity: 4, flags: flagWrite, run: setexCmd,
			syntax: "SETEX key seconds value", summary: "Stores a string with a TTL in seconds."}),
		k1(&command{name: "psetex", arity: 4, flags: flagWrite, v: vMillis, run: setexCmd,
			syntax: "PSETEX key milliseconds value", summary: "Stores a string with a TTL in ms."}),
		&command{name: "mget", arity: -2, flags: flagRead | flagFast, firstKey: 1, lastKey: -1, step: 1, run: mgetCmd,
			syntax: "MGET key [key ...]", summary: "The strings at keys (nil for absent or non-strings)."},
		&command{name: "mset", arity: -3, flags: flagWrite, firstKey: 1, lastKey: -1, step: 2, run: msetCmd,
			syntax: "MSET key value [key value ...]", summary: "Stores several strings atomically."},
		&command{name: "msetnx", arity: -3, flags: flagWrite, v: vNX, firstKey: 1, lastKey: -1, step: 2, run: msetCmd,
			syntax: "MSETNX key value [key value ...]", summary: "Stores several strings only if none exists."},
		k1(&command{name: "getset", arity: 3, flags: flagWrite | flagFast, run: getsetCmd,
			syntax: "GETSET key value", summary: "Stores a string and answers the old one."}),
		k1(&command{name: "getdel", arity: 2, flags: flagWrite | flagFast, run: getdelCmd,
			syntax: "GETDEL key", summary: "Answers the string and removes the key."}),
		k1(&command{name: "getex", arity: -2, flags: flagWrite | flagFast, run: getexCmd,
			syntax: "GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]", summary: "Answers the string and changes its TTL."}),
		k1(&command{name: "incr", arity: 2, flags: flagWrite | flagFast, run: incrCmd,
			syntax: "INCR key", summary: "Adds 1 to the integer at key."}),
		k1(&command{name: "decr", arity: 2, flags: flagWrite | flagFast, v: vNegate, run: incrCmd,
			syntax: "DECR key", summary: "Subtracts 1 from the integer at key."}),
		k1(&command{name: "incrby", arity: 3, flags: flagWrite | flagFast, run: incrCmd,
			syntax: "INCRBY key increment", summary: "Adds to the integer at key."}),
		k1(&command{name: "decrby", arity: 3, flags: flagWrite | flagFast, v: vNegate, run: incrCmd,
			syntax: "DECRBY key decrement", summary: "Subtracts from the integer at key."}),
		k1(&command{name: "incrbyfloat", arity: 3, flags: flagWrite | flagFast, run: incrbyfloatCmd,
			syntax: "INCRBYFLOAT key increment", summary: "Adds to the number at key.",
			differs: "Arithmetic is float64 (Redis: long double); results print in the shortest exact form."}),
		k1(&command{name: "append", arity: 3, flags: flagWrite | flagFast, run: appendCmd,
			syntax: "APPEND key value", summary: "Appends to the string; answers the new length."}),
		k1(&command{name: "strlen", arity: 2, flags: flagRead | flagFast, run: strlenCmd,
			syntax: "STRLEN key", summary: "Length of the string at key."}),
		k1(&command{name: "getrange", arity: 4, flags: flagRead, run: getrangeCmd,
			syntax: "GETRANGE key start end", summary: "A substring; negative offsets count from the end."}),
		k1(&command{name: "substr", arity: 4, flags: flagRead, run: getrangeCmd,
			syntax: "SUBSTR key start end", summary: "GETRANGE's old name."}),
		k1(&command{name: "setrange", arity: 4, flags: flagWrite, run: setrangeCmd,
			syntax: "SETRANGE key offset value", summary: "Overwrites part of the string, padding with zero bytes."}),
		&command{name: "lcs", arity: -3, flags: flagRead, firstKey: 1, lastKey: 2, step: 1, run: lcsCmd,
			syntax: "LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]", summary: "The longest common subsequence of two strings, its length, or its matching ranges.",
			differs: "Refuses strings whose comparison table would pass 64 MiB ((len1+1)·(len2+1)·4 bytes), where Redis allows up to proto-max-bulk-len."},
	)
	bitmapCommands() // bitmaps are strings (cmd_bits.go)
	hllCommands()    // and so are HyperLogLogs (cmd_hll.go)
}

// GET key
func getCmd(c *call) error {
	v, ok, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.bulkOrNull(v, ok)
	return nil
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
func setCmd(c *call) error {
	var opt storage.SetOptions
	expirySet := false
	args := c.args[3:]
	for i := 0; i < len(args); i++ {
		switch o := strings.ToLower(string(args[i])); o {
		case "nx":
			if opt.XX {
				c.r.err(errSyntax)
				return nil
			}
			opt.NX = true
		case "xx":
			if opt.NX {
				c.r.err(errSyntax)
				return nil
			}
			opt.XX = true
		case "get":
			opt.Get = true
		case "keepttl":
			if expirySet {
				c.r.err(errSyntax)
				return nil
			}
			opt.KeepTTL = true
		case "ex", "px", "exat", "pxat":
			if expirySet || opt.KeepTTL || i+1 >= len(args) {
				c.r.err(errSyntax)
				return nil
			}
			at, msg := parseExpiryOption("set", o, args[i+1], c.tx.Now())
			if msg != "" {
				c.r.err(msg)
				return nil
			}
			opt.ExpireAt, expirySet = at, true
			i++
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	res, err := c.tx.Set(c.args[1], c.args[2], opt)
	if err != nil {
		return c.fail(err)
	}
	if res.Done {
		c.notifySet(c.args[1], opt.ExpireAt)
	}
	switch {
	case opt.Get:
		c.r.bulkOrNull(res.Old, res.OldExists)
	case res.Done:
		c.r.ok()
	default:
		c.r.null()
	}
	return nil
}

// SETNX key value
func setnxCmd(c *call) error {
	res, err := c.tx.Set(c.args[1], c.args[2], storage.SetOptions{NX: true})
	if err != nil {
		return c.fail(err)
	}
	if res.Done {
		c.notifySet(c.args[1], 0)
	}
	c.r.bool(res.Done)
	return nil
}

// SETEX key seconds value / PSETEX key milliseconds value
func setexCmd(c *call) error {
	at, msg := parseExpiryOption(c.row.name, expiryUnit(c.row), c.args[2], c.tx.Now())
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	if _, err := c.tx.Set(c.args[1], c.args[3], storage.SetOptions{ExpireAt: at}); err != nil {
		return c.fail(err)
	}
	c.notifySet(c.args[1], at)
	c.r.ok()
	return nil
}

// MGET key [key ...]
func mgetCmd(c *call) error {
	c.r.array(len(c.args) - 1)
	for _, k := range c.args[1:] {
		v, ok, err := c.tx.Get(k)
		if errors.Is(err, storage.ErrWrongType) { // MGET answers nil for a key of another type
			ok, err = false, nil
		}
		if err != nil {
			return err // past the array header no error reply fits: fail the command whole
		}
		c.r.bulkOrNull(v, ok)
	}
	return nil
}

// MSET key value [key value ...] / MSETNX
func msetCmd(c *call) error {
	if len(c.args)%2 != 1 {
		c.r.err(errWrongArgs(c.row.name))
		return nil
	}
	if c.row.has(vNX) {
		for i := 1; i < len(c.args); i += 2 {
			ok, err := c.tx.Exists(c.args[i])
			if err != nil {
				return c.fail(err)
			}
			if ok {
				c.r.int(0)
				return nil
			}
		}
	}
	for i := 1; i < len(c.args); i += 2 {
		if _, err := c.tx.Set(c.args[i], c.args[i+1], storage.SetOptions{}); err != nil {
			return err // a failure here must fail the whole transaction: MSET is atomic
		}
		c.notifySet(c.args[i], 0)
	}
	if c.row.has(vNX) {
		c.r.int(1)
	} else {
		c.r.ok()
	}
	return nil
}

// GETSET key value
func getsetCmd(c *call) error {
	res, err := c.tx.Set(c.args[1], c.args[2], storage.SetOptions{Get: true})
	if err != nil {
		return c.fail(err)
	}
	c.notifySet(c.args[1], 0)
	c.r.bulkOrNull(res.Old, res.OldExists)
	return nil
}

// GETDEL key
func getdelCmd(c *call) error {
	v, ok, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if ok {
		if _, err := c.tx.Del(c.args[1]); err != nil {
			return c.fail(err)
		}
		c.notify(nfGeneric, "del", c.args[1])
	}
	c.r.bulkOrNull(v, ok)
	return nil
}

// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]
func getexCmd(c *call) error {
	var at int64
	persist := false
	args := c.args[2:]
	switch {
	case len(args) == 0:
	case len(args) == 1 && strings.EqualFold(string(args[0]), "persist"):
		persist = true
	case len(args) == 2:
		o := strings.ToLower(string(args[0]))
		if o != "ex" && o != "px" && o != "exat" && o != "pxat" {
			c.r.err(errSyntax)
			return nil
		}
		var msg string
		if at, msg = parseExpiryOption("getex", o, args[1], c.tx.Now()); msg != "" {
			c.r.err(msg)
			return nil
		}
	default:
		c.r.err(errSyntax)
		return nil
	}
	v, ok, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if ok {
		done := false
		switch {
		case persist:
			done, err = c.tx.Persist(c.args[1])
		case at != 0:
			done, err = c.tx.ExpireAt(c.args[1], at, storage.ExpireAlways)
		}
		if err != nil {
			return c.fail(err)
		}
		if done {
			c.notifyExpire(c.args[1], at)
		}
	}
	c.r.bulkOrNull(v, ok)
	return nil
}

// INCR, DECR, INCRBY, DECRBY key [delta]
func incrCmd(c *call) error {
	delta := int64(1)
	if len(c.args) == 3 {
		n, err := parseInt(c.args[2])
		if err != nil {
			c.r.err(errNotInteger)
			return nil
		}
		delta = n
	}
	if c.row.has(vNegate) {
		if delta == math.MinInt64 {
			c.r.err(errDecrOverflow)
			return nil
		}
		delta = -delta
	}
	n, err := c.tx.IncrBy(c.args[1], delta)
	if err != nil {
		return c.fail(err)
	}
	c.notify(nfString, "incrby", c.args[1])
	c.r.int(n)
	return nil
}

// INCRBYFLOAT key increment
func incrbyfloatCmd(c *call) error {
	d, err := parseFloat(c.args[2])
	if err != nil {
		c.r.err(errNotFloat)
		return nil
	}
	v, err := c.tx.IncrByFloat(c.args[1], d)
	if err != nil {
		return c.fail(err)
	}
	c.notify(nfString, "incrbyfloat", c.args[1])
	c.r.bulk(v)
	return nil
}

// APPEND key value
func appendCmd(c *call) error {
	n, err := c.tx.Append(c.args[1], c.args[2])
	if err != nil {
		return c.fail(err)
	}
	c.notify(nfString, "append", c.args[1])
	c.r.int(n)
	return nil
}

// STRLEN key
func strlenCmd(c *call) error {
	v, _, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.int(int64(len(v)))
	return nil
}

// GETRANGE key start end
func getrangeCmd(c *call) error {
	start, err1 := parseInt(c.args[2])
	end, err2 := parseInt(c.args[3])
	if err1 != nil || err2 != nil {
		c.r.err(errNotInteger)
		return nil
	}
	v, _, err := c.tx.Get(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		c.r.bulk(nil)
		return nil
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if n == 0 || start > end {
		c.r.bulk([]byte{})
		return nil
	}
	c.r.bulk(v[start : end+1])
	return nil
}

// SETRANGE key offset value
func setrangeCmd(c *call) error {
	off, err := parseInt(c.args[2])
	if err != nil {
		c.r.err(errNotInteger)
		return nil
	}
	if off < 0 {
		c.r.err(errOffsetRange)
		return nil
	}
	n, err := c.tx.SetRange(c.args[1], off, c.args[3])
	if err != nil {
		return c.fail(err)
	}
	if len(c.args[3]) > 0 {
		c.notify(nfString, "setrange", c.args[1])
	}
	c.r.int(n)
	return nil
}
