package server

// DUMP and RESTORE in Redis's serialization format (package dump), so values move
// between redis-server and herodb: https://redis.io/docs/latest/commands/restore/

import (
	"errors"
	"math"
	"strings"

	"github.com/seed6aa118f9/herodb/dump"
	"github.com/seed6aa118f9/herodb/storage"
)

// dumpCommands registers this file's commands (called from table.go).
func dumpCommands() {
	register("generic",
		k1(&command{name: "dump", arity: 2, flags: flagRead, run: dumpCmd,
			syntax: "DUMP key", summary: "The value at key in Redis's DUMP format (RDB 10), or nil.",
			differs: "Writes the plain encodings (no listpacks, intsets or LZF), which redis-server 7.0 and later RESTORE."}),
		k1(&command{name: "restore", arity: -4, flags: flagWrite, run: restoreCmd,
			syntax:  "RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
			summary: "Creates key from a DUMP payload, with a TTL in ms (0: none).",
			differs: "The payload is checked in full before anything is written, as Redis's sanitize-dump-payload yes, and must decode within " +
				"the largest argument (512 MiB by default, counting 80 bytes per element). RDB versions above 10 are refused, as redis-server 7.0 refuses them; " +
				"streams, modules and zipmaps are refused; trailing bytes after the object are refused. IDLETIME and FREQ are validated and ignored (no LRU or LFU)."}),
	)
}

// DUMP key
func dumpCmd(c *call) error {
	v, ok, err := readValue(c.tx, c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if !ok {
		c.r.null()
		return nil
	}
	c.r.bulk(dump.Encode(v))
	return nil
}

// readValue reads the whole value at name through the public Tx API.
func readValue(tx *storage.Tx, name []byte) (dump.Value, bool, error) {
	t, err := tx.TypeOf(name)
	if err != nil || t == storage.TypeNone {
		return dump.Value{}, false, err
	}
	var v dump.Value
	switch t {
	case storage.TypeString:
		v.Type = dump.String
		v.Str, _, err = tx.Get(name)
	case storage.TypeList:
		v.Type = dump.List
		v.Elems, err = tx.LRange(name, 0, -1)
	case storage.TypeSet:
		v.Type = dump.Set
		v.Elems, err = tx.SMembers(name)
	case storage.TypeHash:
		v.Type = dump.Hash
		v.Elems, err = tx.HGetAll(name)
	case storage.TypeZSet:
		var ms []storage.ZMember
		ms, err = tx.ZRange(name, storage.ZRangeSpec{By: storage.ZByRank, Start: 0, Stop: -1})
		v.Type = dump.ZSet
		for _, m := range ms {
			v.Elems, v.Scores = append(v.Elems, m.Member), append(v.Scores, m.Score)
		}
	default:
		return dump.Value{}, false, storage.ErrWrongType
	}
	return v, err == nil, err
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
//
// Redis's order of checks: the options, then BUSYKEY, then the TTL, then the payload's
// version and checksum, then its contents; nothing is written before all of them pass.
func restoreCmd(c *call) error {
	var replace, absTTL, idle, freq bool
	for i := 4; i < len(c.args); i++ {
		more := i+1 < len(c.args)
		switch o := strings.ToLower(string(c.args[i])); {
		case o == "replace":
			replace = true
		case o == "absttl":
			absTTL = true
		case o == "idletime" && more && !freq:
			n, err := parseInt(c.args[i+1])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			if n < 0 {
				c.r.err(errRestoreIdle)
				return nil
			}
			idle, i = true, i+1
		case o == "freq" && more && !idle:
			n, err := parseInt(c.args[i+1])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			if n < 0 || n > 255 {
				c.r.err(errRestoreFreq)
				return nil
			}
			freq, i = true, i+1
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	key := c.args[1]
	if !replace {
		exists, err := c.tx.Exists(key)
		if err != nil {
			return c.fail(err)
		}
		if exists {
			c.r.err(errBusyKey)
			return nil
		}
	}
	ttl, err := parseInt(c.args[2])
	if err != nil {
		c.r.err(errNotInteger)
		return nil
	}
	if ttl < 0 {
		c.r.err(errRestoreTTL)
		return nil
	}
	v, err := dump.DecodeLimit(c.args[3], c.s.cfg.MaxArgSize)
	if err != nil {
		c.r.err(restoreError(err, c.s.cfg.MaxArgSize))
		return nil
	}
	if v.Type == dump.String && len(v.Str) > storage.MaxStringSize {
		c.r.err(errTooLarge)
		return nil
	}
	deleted := false
	if replace {
		if deleted, err = c.tx.Del(key); err != nil {
			return c.fail(err)
		}
	}
	// A relative TTL that overflows lands in the past, as in Redis; a time already past
	// (ABSTTL) stores nothing and answers OK, after REPLACE removed the old value.
	at := ttl
	if ttl != 0 && !absTTL {
		if ttl > math.MaxInt64-c.tx.Now() {
			at = -1
		} else {
			at = c.tx.Now() + ttl
		}
	}
	if ttl != 0 && at <= c.tx.Now() {
		if deleted {
			c.notify(nfGeneric, "del", key)
		}
		c.r.ok()
		return nil
	}
	if err := writeValue(c.tx, key, v); err != nil {
		return c.fail(err)
	}
	if ttl != 0 {
		if _, err := c.tx.ExpireAt(key, at, storage.ExpireAlways); err != nil {
			return c.fail(err)
		}
	}
	if deleted {
		// Redis deletes the old value and adds the new one, so the key is new again
		// (storage's hook sees a replacement within one command, and stays silent).
		c.notify(nfNew, "new", key)
	}
	c.notify(nfGeneric, "restore", key)
	c.r.ok()
	return nil
}

// writeValue stores v at name, which does not exist, through the public Tx API.
func writeValue(tx *storage.Tx, name []byte, v dump.Value) error {
	var err error
	switch v.Type {
	case dump.String:
		_, err = tx.Set(name, v.Str, storage.SetOptions{})
	case dump.List:
		_, err = tx.RPush(name, v.Elems, false)
	case dump.Set:
		_, err = tx.SAdd(name, v.Elems)
	case dump.Hash:
		_, err = tx.HSet(name, v.Elems)
	case dump.ZSet:
		ms := make([]storage.ZMember, len(v.Elems))
		for i, m := range v.Elems {
			ms[i] = storage.ZMember{Member: m, Score: v.Scores[i]}
		}
		_, _, _, err = tx.ZAdd(name, storage.ZAddFlags{}, ms)
	}
	return err
}

// restoreError is the reply for a payload Decode refused.
func restoreError(err error, limit int) string {
	switch {
	case errors.Is(err, dump.ErrChecksum):
		return errDumpPayload
	case errors.Is(err, dump.ErrTooLarge):
		return errDumpTooLarge(limit)
	}
	return errBadDataFormat
}
