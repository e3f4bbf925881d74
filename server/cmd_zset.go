package server

// Sorted set commands: https://redis.io/docs/latest/commands/?group=sorted-set

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// What the docs say of the sorted set commands' costs.
const (
	zDocTies    = "Members of equal score come in member order, as in Redis; a run of equal scores is read and sorted whole."
	zDocLex     = "Reads the index from its end up to the range's far end (O(n) for a range near the top), opening every member: a lex range has no index of its own."
	zDocRank    = "A rank costs a count of index keys from the nearer end (O(min(rank, n-rank)), none opened): bbolt has no counted tree."
	zDocCombine = "Reads its inputs whole, and holds the result in memory, as Redis does."
)

// zsetCommands registers this file's commands (called from table.go).
func zsetCommands() {
	register("zset",
		k1(&command{name: "zadd", arity: -4, flags: flagWrite | flagFast, run: zaddCmd,
			syntax: "ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]", summary: "Adds members or updates their scores; answers how many were added (or changed, with CH), or the new score with INCR."}),
		k1(&command{name: "zincrby", arity: 4, flags: flagWrite | flagFast, run: zincrbyCmd,
			syntax: "ZINCRBY key increment member", summary: "Adds increment to member's score (absent: 0); answers the new score."}),
		k1(&command{name: "zrem", arity: -3, flags: flagWrite | flagFast, run: zremCmd,
			syntax: "ZREM key member [member ...]", summary: "Removes members; the key goes with its last member."}),
		k1(&command{name: "zscore", arity: 3, flags: flagRead | flagFast, run: zscoreCmd,
			syntax: "ZSCORE key member", summary: "The member's score, or nil."}),
		k1(&command{name: "zmscore", arity: -3, flags: flagRead | flagFast, run: zmscoreCmd,
			syntax: "ZMSCORE key member [member ...]", summary: "Each member's score, or nil."}),
		k1(&command{name: "zcard", arity: 2, flags: flagRead | flagFast, run: zcardCmd,
			syntax: "ZCARD key", summary: "Number of members."}),
		k1(&command{name: "zcount", arity: 4, flags: flagRead | flagFast, run: zcountCmd,
			syntax: "ZCOUNT key min max", summary: "Number of members with a score in [min, max].",
			differs: "Counts the score index's keys in the range (O(log n + m)), opening none."}),
		k1(&command{name: "zlexcount", arity: 4, flags: flagRead, run: zlexcountCmd,
			syntax: "ZLEXCOUNT key min max", summary: "Number of members in a lex range (members of equal score).", differs: zDocLex}),
		k1(&command{name: "zrank", arity: 3, flags: flagRead, run: zrankCmd(false),
			syntax: "ZRANK key member", summary: "The member's rank from the lowest score, or nil.", differs: zDocRank}),
		k1(&command{name: "zrevrank", arity: 3, flags: flagRead, run: zrankCmd(true),
			syntax: "ZREVRANK key member", summary: "The member's rank from the highest score, or nil.", differs: zDocRank}),
		k1(&command{name: "zrange", arity: -4, flags: flagRead, run: zrangeCmd(zrAuto),
			syntax: "ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]", summary: "Members by rank, score or lex range.",
			differs: zDocRank + " By score: one seek and a walk of what it returns (O(log n + m)). " + zDocTies}),
		k1(&command{name: "zrevrange", arity: -4, flags: flagRead, run: zrangeCmd(zrRevRank),
			syntax: "ZREVRANGE key start stop [WITHSCORES]", summary: "Members by rank, from the highest score.", differs: zDocRank}),
		k12(&command{name: "zrangestore", arity: -5, flags: flagWrite, run: zrangeCmd(zrStore),
			syntax: "ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]", summary: "Stores ZRANGE's result at dst; an empty one deletes dst."}),
		k1(&command{name: "zrangebyscore", arity: -4, flags: flagRead, run: zrangeCmd(zrByScore),
			syntax: "ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]", summary: "Members with a score in [min, max], lowest first.",
			differs: "One seek and a walk of what it returns: O(log n + m), plus the offset's keys."}),
		k1(&command{name: "zrevrangebyscore", arity: -4, flags: flagRead, run: zrangeCmd(zrRevByScore),
			syntax: "ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]", summary: "Members with a score in [min, max], highest first."}),
		k1(&command{name: "zrangebylex", arity: -4, flags: flagRead, run: zrangeCmd(zrByLex),
			syntax: "ZRANGEBYLEX key min max [LIMIT offset count]", summary: "Members in a lex range (members of equal score).", differs: zDocLex}),
		k1(&command{name: "zrevrangebylex", arity: -4, flags: flagRead, run: zrangeCmd(zrRevByLex),
			syntax: "ZREVRANGEBYLEX key max min [LIMIT offset count]", summary: "Members in a lex range, highest first.", differs: zDocLex}),
		k1(&command{name: "zremrangebyscore", arity: 4, flags: flagWrite, run: zremrangeCmd(storage.ZByScore),
			syntax: "ZREMRANGEBYSCORE key min max", summary: "Removes the members with a score in [min, max]."}),
		k1(&command{name: "zremrangebyrank", arity: 4, flags: flagWrite, run: zremrangeCmd(storage.ZByRank),
			syntax: "ZREMRANGEBYRANK key start stop", summary: "Removes the members of a rank range.", differs: zDocRank}),
		k1(&command{name: "zremrangebylex", arity: 4, flags: flagWrite, run: zremrangeCmd(storage.ZByLex),
			syntax: "ZREMRANGEBYLEX key min max", summary: "Removes the members in a lex range.", differs: zDocLex}),
		k1(&command{name: "zpopmin", arity: -2, flags: flagWrite | flagFast, run: zpopCmd(false),
			syntax: "ZPOPMIN key [count]", summary: "Removes and answers the members of lowest score."}),
		k1(&command{name: "zpopmax", arity: -2, flags: flagWrite | flagFast, run: zpopCmd(true),
			syntax: "ZPOPMAX key [count]", summary: "Removes and answers the members of highest score."}),
		// Keys move with numkeys; every argument is counted as one for WATCH (a superset).
		kAll(&command{name: "zmpop", arity: -4, flags: flagWrite, run: zmpopCmd,
			syntax: "ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]", summary: "Pops from the first non-empty sorted set."}),
		&command{name: "bzmpop", arity: -5, flags: flagWrite | flagBlocking, firstKey: 3, lastKey: -1, step: 1, run: zmpopCmd,
			syntax: "BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]", summary: "ZMPOP, waiting up to timeout seconds for one of the sorted sets to have a member."},
		&command{name: "bzpopmin", arity: -3, flags: flagWrite | flagBlocking, firstKey: 1, lastKey: -2, step: 1, run: bzpopCmd(false),
			syntax: "BZPOPMIN key [key ...] timeout", summary: "ZPOPMIN of the first non-empty sorted set, waiting up to timeout seconds (0: forever); answers [key, member, score] or nil."},
		&command{name: "bzpopmax", arity: -3, flags: flagWrite | flagBlocking, firstKey: 1, lastKey: -2, step: 1, run: bzpopCmd(true),
			syntax: "BZPOPMAX key [key ...] timeout", summary: "As BZPOPMIN, the highest score."},
		&command{name: "zunion", arity: -3, flags: flagRead, run: zcombineCmd(storage.SetUnion, false, "zunion"),
			syntax: "ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]", summary: "Union of sorted sets (sets count as score 1).", differs: zDocCombine},
		&command{name: "zinter", arity: -3, flags: flagRead, run: zcombineCmd(storage.SetInter, false, "zinter"),
			syntax: "ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]", summary: "Intersection of sorted sets."},
		&command{name: "zdiff", arity: -3, flags: flagRead, run: zcombineCmd(storage.SetDiff, false, "zdiff"),
			syntax: "ZDIFF numkeys key [key ...] [WITHSCORES]", summary: "Members of the first sorted set in none of the others."},
		kAll(&command{name: "zunionstore", arity: -4, flags: flagWrite, run: zcombineCmd(storage.SetUnion, true, "zunionstore"),
			syntax: "ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]", summary: "Stores ZUNION's result; an empty one deletes destination."}),
		kAll(&command{name: "zinterstore", arity: -4, flags: flagWrite, run: zcombineCmd(storage.SetInter, true, "zinterstore"),
			syntax: "ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]", summary: "Stores ZINTER's result; an empty one deletes destination."}),
		kAll(&command{name: "zdiffstore", arity: -4, flags: flagWrite, run: zcombineCmd(storage.SetDiff, true, "zdiffstore"),
			syntax: "ZDIFFSTORE destination numkeys key [key ...]", summary: "Stores ZDIFF's result; an empty one deletes destination."}),
		&command{name: "zintercard", arity: -3, flags: flagRead, run: zintercardCmd,
			syntax: "ZINTERCARD numkeys key [key ...] [LIMIT limit]", summary: "Size of the intersection, counting up to limit (0: no limit)."},
		k1(&command{name: "zscan", arity: -3, flags: flagRead, run: zscanCmd,
			syntax: "ZSCAN key cursor [MATCH pattern] [COUNT count]", summary: "Iterates members and scores with a stable cursor.",
			differs: "Members come in the order of their keyed digests; cursors stay valid across writes."}),
		k1(&command{name: "zrandmember", arity: -2, flags: flagRead, run: zrandmemberCmd,
			syntax: "ZRANDMEMBER key [count [WITHSCORES]]", summary: "Random members: distinct for a positive count, repeating for a negative one.",
			differs: "As SRANDMEMBER's draw. A repeating count whose reply could not fit the output cap is refused."}),
	)
}

// formatScore prints a score as Redis 7.0 replies it: "%.17g", inf and -inf, and -0
// as 0 (Redis 7.0 answers ZADD's -0 as 0).
func formatScore(f float64) string {
	switch {
	case f == 0:
		return "0"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

func (r *reply) score(f float64) { r.bulkString(formatScore(f)) }

// zmembers replies members, with their scores after each when withScores.
func (r *reply) zmembers(ms []storage.ZMember, withScores bool) {
	if withScores {
		r.array(2 * len(ms))
	} else {
		r.array(len(ms))
	}
	for _, m := range ms {
		r.bulk(m.Member)
		if withScores {
			r.score(m.Score)
		}
	}
}

// zfail is c.fail, with ZADD INCR's NaN error.
func (c *call) zfail(err error) error {
	if errors.Is(err, storage.ErrZNaN) {
		c.r.err(errZNaN)
		return nil
	}
	return c.fail(err)
}

// parseScoreBound reads one end of a score range as Redis's zslParseRange: "(" makes
// it exclusive; strtod's syntax (inf, -inf, +inf); NaN refused.
func parseScoreBound(b []byte) (storage.ScoreBound, bool) {
	var sb storage.ScoreBound
	if len(b) > 0 && b[0] == '(' {
		sb.Excl, b = true, b[1:]
	}
	if len(b) == 0 {
		return sb, true // strtod reads "" as 0, and Redis takes it
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return sb, false
		}
	}
	if math.IsNaN(f) || strings.ContainsAny(string(b), "_") {
		return sb, false
	}
	sb.V = f
	return sb, true
}

// parseLexBound reads one end of a lex range: "-", "+", "[member" or "(member".
func parseLexBound(b []byte) (storage.LexBound, bool) {
	if len(b) == 0 {
		return storage.LexBound{}, false
	}
	switch b[0] {
	case '-':
		if len(b) == 1 {
			return storage.LexBound{Inf: -1}, true
		}
	case '+':
		if len(b) == 1 {
			return storage.LexBound{Inf: 1}, true
		}
	case '(':
		return storage.LexBound{V: b[1:], Excl: true}, true
	case '[':
		return storage.LexBound{V: b[1:]}, true
	}
	return storage.LexBound{}, false
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
func zaddCmd(c *call) error {
	var f storage.ZAddFlags
	i := 2
flags:
	for ; i < len(c.args); i++ {
		switch strings.ToLower(string(c.args[i])) {
		case "nx":
			f.NX = true
		case "xx":
			f.XX = true
		case "gt":
			f.GT = true
		case "lt":
			f.LT = true
		case "ch":
			f.CH = true
		case "incr":
			f.Incr = true
		default:
			break flags
		}
	}
	rest := c.args[i:]
	switch {
	case len(rest) == 0 || len(rest)%2 != 0:
		c.r.err(errSyntax)
		return nil
	case f.NX && f.XX:
		c.r.err(errZAddNXXX)
		return nil
	case (f.GT && f.NX) || (f.LT && f.NX) || (f.GT && f.LT):
		c.r.err(errZAddGTLTNX)
		return nil
	case f.Incr && len(rest) > 2:
		c.r.err(errZAddIncrPair)
		return nil
	}
	elems := make([]storage.ZMember, len(rest)/2)
	for j := range elems {
		s, err := parseFloat(rest[2*j])
		if err != nil {
			c.r.err(errNotFloat)
			return nil
		}
		elems[j] = storage.ZMember{Member: rest[2*j+1], Score: s}
	}
	n, score, ok, err := c.tx.ZAdd(c.args[1], f, elems)
	if err != nil {
		return c.zfail(err)
	}
	c.notify(nfZset, byIncr(f.Incr), c.args[1]) // dropped by the runner when nothing changed
	switch {
	case !f.Incr:
		c.r.int(n)
	case ok:
		c.r.score(score)
	default:
		c.r.null()
	}
	return nil
}

// ZINCRBY key increment member
func zincrbyCmd(c *call) error {
	s, err := parseFloat(c.args[2])
	if err != nil {
		c.r.err(errNotFloat)
		return nil
	}
	_, score, _, err := c.tx.ZAdd(c.args[1], storage.ZAddFlags{Incr: true}, []storage.ZMember{{Member: c.args[3], Score: s}})
	if err != nil {
		return c.zfail(err)
	}
	c.notify(nfZset, "zincr", c.args[1])
	c.r.score(score)
	return nil
}

// ZREM key member [member ...]
func zremCmd(c *call) error {
	n, err := c.tx.ZRem(c.args[1], c.args[2:])
	if err != nil {
		return c.fail(err)
	}
	if n > 0 {
		c.notify(nfZset, "zrem", c.args[1])
		c.notifyIfGone(c.args[1])
	}
	c.r.int(n)
	return nil
}

// ZSCORE key member
func zscoreCmd(c *call) error {
	s, ok, err := c.tx.ZScore(c.args[1], c.args[2])
	if err != nil {
		return c.fail(err)
	}
	if !ok {
		c.r.null()
		return nil
	}
	c.r.score(s)
	return nil
}

// ZMSCORE key member [member ...]
func zmscoreCmd(c *call) error {
	scores, oks, err := c.tx.ZMScore(c.args[1], c.args[2:])
	if err != nil {
		return c.fail(err)
	}
	c.r.array(len(scores))
	for i, s := range scores {
		if oks[i] {
			c.r.score(s)
		} else {
			c.r.null()
		}
	}
	return nil
}

// ZCARD key
func zcardCmd(c *call) error {
	n, err := c.tx.ZCard(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// ZCOUNT key min max
func zcountCmd(c *call) error {
	lo, ok1 := parseScoreBound(c.args[2])
	hi, ok2 := parseScoreBound(c.args[3])
	if !ok1 || !ok2 {
		c.r.err(errZMinMaxFloat)
		return nil
	}
	n, err := c.tx.ZCount(c.args[1], lo, hi)
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// ZLEXCOUNT key min max
func zlexcountCmd(c *call) error {
	lo, ok1 := parseLexBound(c.args[2])
	hi, ok2 := parseLexBound(c.args[3])
	if !ok1 || !ok2 {
		c.r.err(errZMinMaxLex)
		return nil
	}
	n, err := c.tx.ZLexCount(c.args[1], lo, hi)
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// zrankCmd is ZRANK key member, or ZREVRANK when rev.
func zrankCmd(rev bool) func(c *call) error {
	return func(c *call) error {
		n, ok, err := c.tx.ZRank(c.args[1], c.args[2], rev)
		if err != nil {
			return c.fail(err)
		}
		if !ok {
			c.r.null()
			return nil
		}
		c.r.int(n)
		return nil
	}
}

// zrangeKind is which of ZRANGE's forms a command is.
type zrangeKind int

const (
	zrAuto       zrangeKind = iota // ZRANGE: its options say
	zrStore                        // ZRANGESTORE: ZRANGE's options, stored
	zrRevRank                      // ZREVRANGE
	zrByScore                      // ZRANGEBYSCORE
	zrRevByScore                   // ZREVRANGEBYSCORE
	zrByLex                        // ZRANGEBYLEX
	zrRevByLex                     // ZREVRANGEBYLEX
)

// zrangeCmd is ZRANGE and its relatives, parsed as Redis's zrangeGenericCommand:
// options first, then the range, then the key.
func zrangeCmd(kind zrangeKind) func(c *call) error {
	return func(c *call) error {
		args := c.args
		var dst []byte
		if kind == zrStore {
			dst, args = args[1], args[1:]
		}
		var r storage.ZRangeSpec
		byFixed, revFixed := true, true
		switch kind {
		case zrAuto, zrStore:
			byFixed, revFixed = false, false
		case zrRevRank:
			r.Rev = true
		case zrByScore:
			r.By = storage.ZByScore
		case zrRevByScore:
			r.By, r.Rev = storage.ZByScore, true
		case zrByLex:
			r.By = storage.ZByLex
		case zrRevByLex:
			r.By, r.Rev = storage.ZByLex, true
		}
		withScores := false
		r.Offset, r.Count = 0, -1
		for j := 4; j < len(args); j++ {
			left := len(args) - j - 1
			switch opt := strings.ToLower(string(args[j])); {
			case opt == "withscores" && kind != zrStore:
				withScores = true
			case opt == "limit" && left >= 2:
				ns, ok := parseInts(c, args[j+1], args[j+2])
				if !ok {
					return nil
				}
				r.Offset, r.Count = ns[0], ns[1]
				j += 2
			case opt == "rev" && !revFixed:
				r.Rev, revFixed = true, true
			case opt == "bylex" && !byFixed:
				r.By, byFixed = storage.ZByLex, true
			case opt == "byscore" && !byFixed:
				r.By, byFixed = storage.ZByScore, true
			default:
				c.r.err(errSyntax)
				return nil
			}
		}
		if r.Count != -1 && r.By == storage.ZByRank {
			c.r.err(errZLimitRank)
			return nil
		}
		if withScores && r.By == storage.ZByLex {
			c.r.err(errZLexScores)
			return nil
		}
		lo, hi := args[2], args[3]
		if r.Rev && r.By != storage.ZByRank {
			lo, hi = hi, lo // given as max, min
		}
		switch r.By {
		case storage.ZByRank:
			ns, ok := parseInts(c, lo, hi)
			if !ok {
				return nil
			}
			r.Start, r.Stop = ns[0], ns[1]
		case storage.ZByScore:
			var ok1, ok2 bool
			r.Min, ok1 = parseScoreBound(lo)
			r.Max, ok2 = parseScoreBound(hi)
			if !ok1 || !ok2 {
				c.r.err(errZMinMaxFloat)
				return nil
			}
		case storage.ZByLex:
			var ok1, ok2 bool
			r.LexMin, ok1 = parseLexBound(lo)
			r.LexMax, ok2 = parseLexBound(hi)
			if !ok1 || !ok2 {
				c.r.err(errZMinMaxLex)
				return nil
			}
		}
		if kind == zrStore {
			had := c.had(dst)
			n, err := c.tx.ZRangeStore(dst, args[1], r)
			if err != nil {
				return c.fail(err)
			}
			c.notifyStore(nfZset, "zrangestore", dst, n, had)
			c.r.int(n)
			return nil
		}
		ms, err := c.tx.ZRange(args[1], r)
		if err != nil {
			return c.fail(err)
		}
		c.r.zmembers(ms, withScores)
		return nil
	}
}

// zremrangeCmd is ZREMRANGEBYSCORE, ZREMRANGEBYRANK or ZREMRANGEBYLEX key min max.
func zremrangeCmd(by storage.ZBy) func(c *call) error {
	return func(c *call) error {
		r := storage.ZRangeSpec{By: by}
		switch by {
		case storage.ZByRank:
			ns, ok := parseInts(c, c.args[2], c.args[3])
			if !ok {
				return nil
			}
			r.Start, r.Stop = ns[0], ns[1]
		case storage.ZByScore:
			var ok1, ok2 bool
			r.Min, ok1 = parseScoreBound(c.args[2])
			r.Max, ok2 = parseScoreBound(c.args[3])
			if !ok1 || !ok2 {
				c.r.err(errZMinMaxFloat)
				return nil
			}
		case storage.ZByLex:
			var ok1, ok2 bool
			r.LexMin, ok1 = parseLexBound(c.args[2])
			r.LexMax, ok2 = parseLexBound(c.args[3])
			if !ok1 || !ok2 {
				c.r.err(errZMinMaxLex)
				return nil
			}
		}
		n, err := c.tx.ZRemRange(c.args[1], r)
		if err != nil {
			return c.fail(err)
		}
		if n > 0 {
			c.notify(nfZset, c.row.name, c.args[1])
			c.notifyIfGone(c.args[1])
		}
		c.r.int(n)
		return nil
	}
}

// zpopCmd is ZPOPMIN key [count], or ZPOPMAX when max.
func zpopCmd(max bool) func(c *call) error {
	return func(c *call) error {
		if len(c.args) > 3 {
			c.r.err(errSyntax)
			return nil
		}
		count := int64(1)
		if len(c.args) == 3 {
			var msg string
			if count, msg = positiveLong(c.args[2], errMustBePositive); msg != "" {
				c.r.err(msg)
				return nil
			}
		}
		ms, err := c.tx.ZPop(c.args[1], max, count)
		if err != nil {
			return c.fail(err)
		}
		c.notifyZPop(c.args[1], max, len(ms))
		c.r.zmembers(ms, true)
		return nil
	}
}

// bzpopCmd is BZPOPMIN key [key ...] timeout, or BZPOPMAX when max: the timeout first,
// then the keys in order (WRONGTYPE before any non-empty one), as Redis.
func bzpopCmd(max bool) func(c *call) error {
	return func(c *call) error {
		timeout, msg := parseTimeout(c.args[len(c.args)-1])
		if msg != "" {
			c.r.err(msg)
			return nil
		}
		keys := c.args[1 : len(c.args)-1]
		for _, k := range keys {
			ms, err := c.tx.ZPop(k, max, 1)
			if err != nil {
				return c.fail(err)
			}
			c.notifyZPop(k, max, len(ms))
			if len(ms) > 0 {
				c.r.array(3)
				c.r.bulk(k)
				c.r.bulk(ms[0].Member)
				c.r.score(ms[0].Score)
				return nil
			}
		}
		nothing(c, keys, timeout, c.r.nullArray) // blocking.go: wait, or nil in MULTI
		return nil
	}
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: numkeys, the end, COUNT,
// then the timeout, in Redis 7.0's order.
func zmpopCmd(c *call) error {
	at := int64(1) // numkeys
	if c.row.is(flagBlocking) {
		at = 2
	}
	numkeys, err := parseInt(c.args[at])
	if err != nil || numkeys < 1 {
		c.r.err(errSetNumKeys)
		return nil
	}
	where := at + 1 + numkeys
	if where >= int64(len(c.args)) {
		c.r.err(errSyntax)
		return nil
	}
	var max bool
	switch strings.ToLower(string(c.args[where])) {
	case "min":
	case "max":
		max = true
	default:
		c.r.err(errSyntax)
		return nil
	}
	count := int64(-1)
	for j := int(where) + 1; j < len(c.args); j++ {
		if count != -1 || !strings.EqualFold(string(c.args[j]), "count") || j+1 >= len(c.args) {
			c.r.err(errSyntax)
			return nil
		}
		j++
		if count, err = parseInt(c.args[j]); err != nil || count < 1 {
			c.r.err(errCountPositive)
			return nil
		}
	}
	if count == -1 {
		count = 1
	}
	timeout := int64(0)
	if at == 2 {
		var msg string
		if timeout, msg = parseTimeout(c.args[1]); msg != "" {
			c.r.err(msg)
			return nil
		}
	}
	keys := c.args[at+1 : where]
	name, ms, err := c.tx.ZMPop(keys, max, count)
	if err != nil {
		return c.fail(err)
	}
	c.notifyZPop(name, max, len(ms))
	if name == nil {
		if at == 2 {
			nothing(c, keys, timeout, c.r.nullArray) // blocking.go: wait, or nil in MULTI
		} else {
			c.r.nullArray()
		}
		return nil
	}
	c.r.array(2)
	c.r.bulk(name)
	c.r.array(len(ms))
	for _, m := range ms {
		c.r.array(2)
		c.r.bulk(m.Member)
		c.r.score(m.Score)
	}
	return nil
}

// zcombineCmd is ZUNION, ZINTER or ZDIFF numkeys key [key ...] [options], or their
// STORE forms with a destination first, parsed as Redis's zunionInterDiffGenericCommand:
// numkeys, then every key's type, then the options.
func zcombineCmd(op storage.SetOp, store bool, name string) func(c *call) error {
	return func(c *call) error {
		args := c.args[1:]
		var dst []byte
		if store {
			dst, args = args[0], args[1:]
		}
		numkeys, err := parseInt(args[0])
		if err != nil {
			c.r.err(errNotInteger)
			return nil
		}
		if numkeys < 1 {
			c.r.err(errZNumKeys(name))
			return nil
		}
		if numkeys > int64(len(args)-1) {
			c.r.err(errSyntax)
			return nil
		}
		keys := args[1 : 1+numkeys]
		for _, k := range keys {
			t, err := c.tx.TypeOf(k)
			if err != nil {
				return c.fail(err)
			}
			if t != storage.TypeNone && t != storage.TypeZSet && t != storage.TypeSet {
				c.r.err(errWrongType)
				return nil
			}
		}
		var weights []float64
		agg := storage.AggSum
		withScores := false
		for j := 1 + int(numkeys); j < len(args); {
			left := len(args) - j
			switch opt := strings.ToLower(string(args[j])); {
			case op != storage.SetDiff && left >= int(numkeys)+1 && opt == "weights":
				weights = make([]float64, numkeys)
				for i := range weights {
					w, err := parseFloat(args[j+1+i])
					if err != nil {
						c.r.err(errZWeight)
						return nil
					}
					weights[i] = w
				}
				j += 1 + int(numkeys)
			case op != storage.SetDiff && left >= 2 && opt == "aggregate":
				switch strings.ToLower(string(args[j+1])) {
				case "sum":
					agg = storage.AggSum
				case "min":
					agg = storage.AggMin
				case "max":
					agg = storage.AggMax
				default:
					c.r.err(errSyntax)
					return nil
				}
				j += 2
			case !store && opt == "withscores":
				withScores = true
				j++
			default:
				c.r.err(errSyntax)
				return nil
			}
		}
		if store {
			had := c.had(dst)
			n, err := c.tx.ZCombineStore(op, dst, keys, weights, agg)
			if err != nil {
				return c.fail(err)
			}
			c.notifyStore(nfZset, c.row.name, dst, n, had)
			c.r.int(n)
			return nil
		}
		ms, err := c.tx.ZCombine(op, keys, weights, agg)
		if err != nil {
			return c.fail(err)
		}
		c.r.zmembers(ms, withScores)
		return nil
	}
}

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
func zintercardCmd(c *call) error {
	numkeys, err := parseInt(c.args[1])
	switch {
	case err != nil:
		c.r.err(errNotInteger)
		return nil
	case numkeys < 1:
		c.r.err(errZNumKeys("zintercard"))
		return nil
	case numkeys > int64(len(c.args)-2):
		c.r.err(errSyntax)
		return nil
	}
	limit, ok := interCardLimit(c, 2+int(numkeys))
	if !ok {
		return nil
	}
	n, err := c.tx.ZInterCard(c.args[2:2+numkeys], limit)
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
func zscanCmd(c *call) error {
	cur, done, err := keyScan(c, c.tx.ZCard)
	if err != nil || done {
		return c.fail(err)
	}
	match, count, _, msg := scanOptions(c.args[3:], false)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	next, ms, err := c.tx.ZScan(c.args[1], cur, match, count)
	if err != nil {
		return c.fail(err)
	}
	c.r.array(2)
	c.r.bulkString(strconv.FormatUint(next, 10))
	c.r.zmembers(ms, true)
	return nil
}

// ZRANDMEMBER key [count [WITHSCORES]]
func zrandmemberCmd(c *call) error {
	if len(c.args) == 2 {
		ms, err := c.tx.ZRandMember(c.args[1], 1, true)
		if err != nil {
			return c.fail(err)
		}
		if len(ms) == 0 {
			c.r.null()
			return nil
		}
		c.r.bulk(ms[0].Member)
		return nil
	}
	count, msg := rangeLong(c.args[2])
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	withScores := false
	if len(c.args) > 4 || (len(c.args) == 4 && !bytes.EqualFold(c.args[3], []byte("withscores"))) {
		c.r.err(errSyntax)
		return nil
	}
	if len(c.args) == 4 {
		withScores = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.r.err(errValueRange)
			return nil
		}
	}
	size, err := c.tx.ZCard(c.args[1]) // the type check, even for a count of 0
	if err != nil {
		return c.fail(err)
	}
	distinct := count >= 0
	if !distinct {
		count = -count
		if size > 0 && count > int64(c.s.cfg.MaxOutput)/6 {
			c.r.err(errZRandTooLarge)
			return nil
		}
	}
	ms, err := c.tx.ZRandMember(c.args[1], count, distinct)
	if err != nil {
		return c.fail(err)
	}
	c.r.zmembers(ms, withScores)
	return nil
}
