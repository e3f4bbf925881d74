package server

// Streams: https://redis.io/docs/latest/commands/?group=stream
//
// Each command parses in Redis 7.0's order (so the same bad input meets the same error
// first), opens the stream through storage (streams.go), changes it and saves it once.
// XREAD and XREADGROUP with BLOCK wait through the blocking registry (blocking.go) on
// their keys: an XADD to one of them, in the same database, rings them and they run
// again, with XREAD's $ ids as they were resolved on the first run (the waiter keeps
// them). Inside MULTI or a script they never wait: they answer nil, as Redis inside
// MULTI.

import (
	"math"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// streamCommands registers this file's commands (called from table.go).
func streamCommands() {
	k2 := func(c *command) *command { c.firstKey, c.lastKey, c.step = 2, 2, 1; return c }
	register("stream",
		k1(&command{name: "xadd", arity: -5, flags: flagWrite | flagFast, run: xaddCmd,
			syntax:  "XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]",
			summary: "Appends an entry; answers its id (nil with NOMKSTREAM on a missing key).",
			differs: "`~` trims exactly down to the threshold, at most LIMIT entries (default 10000): herodb has no macro nodes whose boundaries Redis's approximate trim keeps."}),
		k1(&command{name: "xlen", arity: 2, flags: flagRead | flagFast, run: xlenCmd,
			syntax: "XLEN key", summary: "The number of entries."}),
		k1(&command{name: "xrange", arity: -4, flags: flagRead, run: xrangeCmd,
			syntax: "XRANGE key start end [COUNT count]", summary: "Entries with ids from start to end (`-`, `+`, `(` for exclusive)."}),
		k1(&command{name: "xrevrange", arity: -4, flags: flagRead, v: vNegate, run: xrangeCmd,
			syntax: "XREVRANGE key end start [COUNT count]", summary: "As XRANGE, from the end."}),
		k1(&command{name: "xdel", arity: -3, flags: flagWrite | flagFast, run: xdelCmd,
			syntax: "XDEL key id [id ...]", summary: "Deletes entries; answers how many there were."}),
		k1(&command{name: "xtrim", arity: -4, flags: flagWrite, run: xtrimCmd,
			syntax: "XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]", summary: "Deletes entries from the start; answers how many.",
			differs: "`~` trims exactly, as XADD's."}),
		&command{name: "xread", arity: -4, flags: flagRead | flagBlocking, run: xreadCmd,
			syntax: "XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]", summary: "Entries after the ids, waiting up to BLOCK ms (0: forever) for some.",
			differs: "With BLOCK inside a script it answers nil at once, as inside MULTI (Redis refuses it)."},
		&command{name: "xreadgroup", arity: -7, flags: flagWrite | flagBlocking, run: xreadCmd,
			syntax:  "XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]",
			summary: "Reads as a consumer of a group: new entries (`>`) or its pending history."},
		&command{name: "xgroup", arity: -2,
			syntax: "XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER key group ...", summary: "Manages consumer groups."},
		k2(&command{name: "xgroup|create", arity: -5, flags: flagWrite, run: xgroupCmd,
			syntax: "XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]", summary: "Creates a group."}),
		k2(&command{name: "xgroup|setid", arity: -5, flags: flagWrite, run: xgroupCmd,
			syntax: "XGROUP SETID key group id|$ [ENTRIESREAD entries-read]", summary: "Sets a group's last delivered id."}),
		k2(&command{name: "xgroup|destroy", arity: 4, flags: flagWrite, run: xgroupCmd,
			syntax: "XGROUP DESTROY key group", summary: "Deletes a group; answers 1 or 0."}),
		k2(&command{name: "xgroup|createconsumer", arity: 5, flags: flagWrite, run: xgroupCmd,
			syntax: "XGROUP CREATECONSUMER key group consumer", summary: "Creates a consumer; answers 1 or 0."}),
		k2(&command{name: "xgroup|delconsumer", arity: 5, flags: flagWrite, run: xgroupCmd,
			syntax: "XGROUP DELCONSUMER key group consumer", summary: "Deletes a consumer; answers how many entries it had pending."}),
		k1(&command{name: "xack", arity: -4, flags: flagWrite | flagFast, run: xackCmd,
			syntax: "XACK key group id [id ...]", summary: "Acknowledges pending entries; answers how many were pending."}),
		k1(&command{name: "xpending", arity: -3, flags: flagRead, run: xpendingCmd,
			syntax: "XPENDING key group [[IDLE min-idle-time] start end count [consumer]]", summary: "A group's pending entries: a summary, or the entries in a range."}),
		k1(&command{name: "xclaim", arity: -6, flags: flagWrite | flagFast, run: xclaimCmd,
			syntax:  "XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]",
			summary: "Gives pending entries idle for min-idle-time to consumer."}),
		k1(&command{name: "xautoclaim", arity: -6, flags: flagWrite | flagFast, run: xautoclaimCmd,
			syntax: "XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]", summary: "XCLAIM of the pending entries from start on; answers a cursor, the entries and the ids that were gone."}),
		k1(&command{name: "xsetid", arity: -3, flags: flagWrite | flagFast, run: xsetidCmd,
			syntax: "XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]", summary: "Sets a stream's last id and counters."}),
		&command{name: "xinfo", arity: -2,
			syntax: "XINFO STREAM|GROUPS|CONSUMERS key ...", summary: "Describes streams, groups and consumers."},
		k2(&command{name: "xinfo|stream", arity: -3, flags: flagRead, run: xinfoStreamCmd,
			syntax: "XINFO STREAM key [FULL [COUNT count]]", summary: "A stream's state, first and last entries (FULL: entries, groups, consumers, pending).",
			differs: "radix-tree-keys and radix-tree-nodes answer 0: herodb keeps no radix tree."}),
		k2(&command{name: "xinfo|groups", arity: 3, flags: flagRead, run: xinfoGroupsCmd,
			syntax: "XINFO GROUPS key", summary: "The stream's groups."}),
		k2(&command{name: "xinfo|consumers", arity: 4, flags: flagRead, run: xinfoConsumersCmd,
			syntax: "XINFO CONSUMERS key group", summary: "The group's consumers."}),
	)
}

// parseUint reads a part of a stream id as Redis's string2ull: a canonical integer, or
// what strtoull takes (leading spaces, a sign, which wraps a negative value).
func parseUint(s string) (uint64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return uint64(n), n >= 0
	}
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// idForm says what a stream id argument may be.
type idForm struct {
	missingSeq uint64 // the seq of a bare <ms>
	strict     bool   // - and + refused
	seqStar    bool   // <ms>-* taken (XADD)
}

// parseStreamID reads ms-seq, ms, - or + as Redis does; seqGiven is false for <ms>-*.
func parseStreamID(b []byte, f idForm) (id storage.StreamID, seqGiven, ok bool) {
	s := string(b)
	if len(s) > 127 {
		return id, false, false
	}
	switch s {
	case "-", "+":
		if f.strict {
			return id, false, false
		}
		if s == "+" {
			return storage.MaxStreamID, true, true
		}
		return id, true, true
	}
	msPart, seqPart, dash := strings.Cut(s, "-")
	ms, ok := parseUint(msPart)
	if !ok {
		return id, false, false
	}
	seq, seqGiven := f.missingSeq, true
	if dash {
		if f.seqStar && seqPart == "*" {
			seq, seqGiven = 0, false
		} else if seq, ok = parseUint(seqPart); !ok {
			return id, false, false
		}
	}
	return storage.StreamID{Ms: ms, Seq: seq}, seqGiven, true
}

// parseBound reads a range end: "(" makes it exclusive (then strict), moved inward.
func parseBound(b []byte, missingSeq uint64, start bool) (storage.StreamID, string) {
	excl := len(b) > 1 && b[0] == '('
	if excl {
		b = b[1:]
	}
	id, _, ok := parseStreamID(b, idForm{missingSeq: missingSeq, strict: excl})
	if !ok {
		return id, errStreamID
	}
	if excl {
		if start {
			if id, ok = id.Next(); !ok {
				return id, errStreamStart
			}
		} else if id, ok = id.Prev(); !ok {
			return id, errStreamEnd
		}
	}
	return id, ""
}

func writeID(r *reply, id storage.StreamID) { r.bulkString(id.String()) }

func writeEntry(r *reply, e storage.StreamEntry) {
	r.array(2)
	writeID(r, e.ID)
	r.bulks(e.Fields)
}

// openStream opens key's stream, answering WRONGTYPE (done) for another type.
func openStream(c *call, key []byte) (*storage.Stream, bool, error) {
	s, err := c.tx.OpenStream(key)
	if err != nil {
		return nil, true, c.fail(err)
	}
	return s, false, nil
}

// trimArgs are XADD's and XTRIM's trimming options.
type trimArgs struct {
	strategy byte // 0, 'M' (MAXLEN) or 'I' (MINID)
	approx   bool
	maxLen   int64
	minID    storage.StreamID
	limit    int64
	noMk     bool
	idGiven  bool
	seqGiven bool
	id       storage.StreamID
}

// approxLimit is the default LIMIT of a `~` trim: Redis's 100 × stream-node-max-entries
// at its default.
const approxLimit = 10000

// parseTrim parses XADD's or XTRIM's options from argument 2 on, in Redis's order; for
// XADD it returns the position of the id.
func parseTrim(c *call, xadd bool) (trimArgs, int, string) {
	var t trimArgs
	args := c.args
	limitGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := strings.ToLower(string(args[i]))
		switch {
		case xadd && opt == "*":
			return t.finish(xadd, limitGiven, i)
		case (opt == "maxlen" || opt == "minid") && more > 0:
			if t.strategy != 0 {
				return t, 0, errStreamBothTrims
			}
			t.approx = false
			if next := string(args[i+1]); more >= 2 && (next == "~" || next == "=") {
				t.approx = next == "~"
				i++
			}
			if opt == "maxlen" {
				n, err := parseInt(args[i+1])
				if err != nil {
					return t, 0, errNotInteger
				}
				if n < 0 {
					return t, 0, errStreamMaxLen
				}
				t.strategy, t.maxLen = 'M', n
			} else {
				id, _, ok := parseStreamID(args[i+1], idForm{strict: true})
				if !ok {
					return t, 0, errStreamID
				}
				t.strategy, t.minID = 'I', id
			}
			i++
		case opt == "limit" && more > 0:
			n, err := parseInt(args[i+1])
			if err != nil {
				return t, 0, errNotInteger
			}
			if n < 0 {
				return t, 0, errStreamLimit
			}
			t.limit, limitGiven = n, true
			i++
		case xadd && opt == "nomkstream":
			t.noMk = true
		case xadd:
			id, seqGiven, ok := parseStreamID(args[i], idForm{strict: true, seqStar: true})
			if !ok {
				return t, 0, errStreamID
			}
			t.id, t.seqGiven, t.idGiven = id, seqGiven, true
			return t.finish(xadd, limitGiven, i)
		default:
			return t, 0, errSyntax
		}
	}
	return t.finish(xadd, limitGiven, i)
}

func (t trimArgs) finish(xadd, limitGiven bool, idPos int) (trimArgs, int, string) {
	switch {
	case t.limit != 0 && t.strategy == 0:
		return t, 0, errStreamLimitAlone
	case !xadd && t.strategy == 0:
		return t, 0, errStreamNoStrategy
	case limitGiven && !t.approx:
		return t, 0, errStreamLimitExact
	case !limitGiven && t.approx:
		t.limit = approxLimit
	case !limitGiven:
		t.limit = 0
	}
	return t, idPos, ""
}

// trim applies t to s and reports the xtrim event when it deleted anything.
func (t trimArgs) trim(c *call, s *storage.Stream, key []byte) (int64, error) {
	maxLen := t.maxLen
	if t.strategy == 'I' {
		maxLen = -1
	}
	n, err := s.Trim(maxLen, t.minID, t.limit)
	if err == nil && n > 0 {
		c.notify(nfStream, "xtrim", key)
	}
	return n, err
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
func xaddCmd(c *call) error {
	t, idPos, msg := parseTrim(c, true)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	fields := c.args[idPos+1:]
	if len(fields) < 2 || len(fields)%2 == 1 {
		c.r.err(errWrongArgs("xadd"))
		return nil
	}
	if t.idGiven && t.seqGiven && t.id.IsZero() {
		c.r.err(errStreamIDZero)
		return nil
	}
	key := c.args[1]
	s, done, err := openStream(c, key)
	if done {
		return err
	}
	if s == nil {
		if t.noMk {
			c.r.null()
			return nil
		}
		if s, err = c.tx.CreateStream(key); err != nil {
			return c.fail(err)
		}
	}
	if s.LastID == storage.MaxStreamID {
		c.r.err(errStreamExhausted)
		return nil
	}
	id := t.id
	switch {
	case t.idGiven && !t.seqGiven && s.LastID.Ms == id.Ms:
		var ok bool
		if id, ok = s.LastID.Next(); !ok || id.Ms != t.id.Ms {
			c.r.err(errStreamIDSmall)
			return nil
		}
	case !t.idGiven:
		if now := uint64(c.tx.Now()); now > s.LastID.Ms {
			id = storage.StreamID{Ms: now}
		} else {
			id, _ = s.LastID.Next()
		}
	}
	if id.Cmp(s.LastID) <= 0 {
		c.r.err(errStreamIDSmall)
		return nil
	}
	if err := s.Append(id, fields); err != nil {
		return c.fail(err)
	}
	c.notify(nfStream, "xadd", key)
	if t.strategy != 0 {
		if _, err := t.trim(c, s, key); err != nil {
			return c.fail(err)
		}
	}
	if err := s.Save(); err != nil {
		return c.fail(err)
	}
	writeID(c.r, id)
	return nil
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
func xtrimCmd(c *call) error {
	t, _, msg := parseTrim(c, false)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	s, done, err := openStream(c, c.args[1])
	if done {
		return err
	}
	if s == nil {
		c.r.int(0)
		return nil
	}
	n, err := t.trim(c, s, c.args[1])
	if err == nil && n > 0 {
		err = s.Save()
	}
	if err != nil {
		return c.fail(err)
	}
	c.r.int(n)
	return nil
}

// XLEN key
func xlenCmd(c *call) error {
	s, done, err := openStream(c, c.args[1])
	if done {
		return err
	}
	if s == nil {
		c.r.int(0)
		return nil
	}
	c.r.int(s.Len())
	return nil
}

// XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT count]
func xrangeCmd(c *call) error {
	rev := c.row.has(vNegate)
	startArg, endArg := c.args[2], c.args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, msg := parseBound(startArg, 0, true)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	end, msg := parseBound(endArg, ^uint64(0), false)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	count := int64(-1)
	for j := 4; j < len(c.args); j++ {
		if strings.EqualFold(string(c.args[j]), "count") && j+1 < len(c.args) {
			n, err := parseInt(c.args[j+1])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			count = max(n, 0)
			j++
			continue
		}
		c.r.err(errSyntax)
		return nil
	}
	s, done, err := openStream(c, c.args[1])
	if done {
		return err
	}
	if s == nil {
		c.r.array(0)
		return nil
	}
	if count == 0 {
		c.r.nullArray()
		return nil
	}
	var es []storage.StreamEntry
	if err := s.Range(start, end, rev, func(e storage.StreamEntry) bool {
		es = append(es, e)
		return count < 0 || int64(len(es)) < count
	}); err != nil {
		return c.fail(err)
	}
	c.r.array(len(es))
	for _, e := range es {
		writeEntry(c.r, e)
	}
	return nil
}

// XDEL key id [id ...]
func xdelCmd(c *call) error {
	s, done, err := openStream(c, c.args[1])
	if done {
		return err
	}
	if s == nil {
		c.r.int(0)
		return nil
	}
	ids, ok := parseIDs(c, c.args[2:])
	if !ok {
		return nil
	}
	var n int64
	for _, id := range ids {
		gone, err := s.Delete(id)
		if err != nil {
			return c.fail(err)
		}
		if gone {
			n++
		}
	}
	if n > 0 {
		if err := s.Save(); err != nil {
			return c.fail(err)
		}
		c.notify(nfStream, "xdel", c.args[1])
	}
	c.r.int(n)
	return nil
}

// parseIDs reads strict ids, all or none (answering the error).
func parseIDs(c *call, args [][]byte) ([]storage.StreamID, bool) {
	ids := make([]storage.StreamID, len(args))
	for i, a := range args {
		id, _, ok := parseStreamID(a, idForm{strict: true})
		if !ok {
			c.r.err(errStreamID)
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

// xreadDefaultCount is the COUNT of a read that waited without one, as Redis's: a low
// id must not answer a whole stream.
const xreadDefaultCount = 1000

// xreadWait is what a waiting XREAD keeps across its runs: its ids as first resolved.
type xreadWait struct{ ids []storage.StreamID }

// gtAll marks XREADGROUP's ">" among the ids.
var gtAll = storage.MaxStreamID

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
func xreadCmd(c *call) error {
	group := c.row.is(flagWrite)
	timeout := int64(-1)
	var count int64
	var groupName, consumerName []byte
	noAck := false
	streamsAt := 0
	args := c.args
	for i := 1; i < len(args) && streamsAt == 0; i++ {
		more := len(args) - i - 1
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "block" && more > 0:
			i++
			n, err := parseInt(args[i])
			if err != nil {
				c.r.err(errStreamTimeoutInt)
				return nil
			}
			if n < 0 {
				c.r.err(errTimeoutNegative)
				return nil
			}
			if n > math.MaxInt64-c.tx.Now() {
				c.r.err(errStreamTimeoutFar)
				return nil
			}
			timeout = n
		case opt == "count" && more > 0:
			i++
			n, err := parseInt(args[i])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			count = max(n, 0)
		case opt == "streams" && more > 0:
			streamsAt = i + 1
			if (len(args)-streamsAt)%2 != 0 {
				c.r.err(errStreamUnbalanced)
				return nil
			}
		case opt == "group" && more >= 2:
			if !group {
				c.r.err(errStreamGroupOpt)
				return nil
			}
			groupName, consumerName = args[i+1], args[i+2]
			i += 2
		case opt == "noack":
			if !group {
				c.r.err(errStreamNoAckOpt)
				return nil
			}
			noAck = true
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	if streamsAt == 0 {
		c.r.err(errSyntax)
		return nil
	}
	if group && groupName == nil {
		c.r.err(errStreamNoGroupOpt)
		return nil
	}
	n := (len(args) - streamsAt) / 2
	keys, idArgs := args[streamsAt:streamsAt+n], args[streamsAt+n:]
	w := c.sess.block
	var saved *xreadWait
	if w != nil {
		saved, _ = w.state.(*xreadWait)
	}
	ids := make([]storage.StreamID, n)
	streams := make([]*storage.Stream, n)
	groups := make([]*storage.StreamGroup, n)
	for i, key := range keys {
		s, done, err := openStream(c, key)
		if done {
			return err
		}
		streams[i] = s
		if group {
			var g *storage.StreamGroup
			if s != nil {
				if g, err = s.Group(groupName); err != nil {
					return c.fail(err)
				}
			}
			if g == nil {
				c.r.err(errNoGroup(key, groupName, " in XREADGROUP with GROUP option"))
				return nil
			}
			groups[i] = g
		}
		switch string(idArgs[i]) {
		case "$":
			if group {
				c.r.err(errStreamDollarGroup)
				return nil
			}
			if s != nil {
				ids[i] = s.LastID
			}
		case ">":
			if !group {
				c.r.err(errStreamGTNoGroup)
				return nil
			}
			ids[i] = gtAll
		default:
			id, _, ok := parseStreamID(idArgs[i], idForm{strict: true})
			if !ok {
				c.r.err(errStreamID)
				return nil
			}
			ids[i] = id
		}
	}
	if saved != nil {
		ids = saved.ids // a run after waiting: the ids of the first, $ as it was then
		if count == 0 {
			count = xreadDefaultCount
		}
	}
	var out reply
	served := 0
	for i, s := range streams {
		if s == nil {
			continue
		}
		ok, err := xreadServe(c, &out, keys[i], s, groups[i], consumerName, ids[i], count, noAck)
		if err != nil {
			return c.fail(err)
		}
		if ok {
			served++
		}
	}
	if served > 0 {
		c.r.array(served)
		c.r.b = append(c.r.b, out.b...)
		return nil
	}
	if timeout < 0 {
		c.r.nullArray()
		return nil
	}
	if w != nil && saved == nil {
		w.state = &xreadWait{ids: ids}
	}
	nothing(c, keys, timeout, c.r.nullArray)
	return nil
}

// xreadServe writes [key, entries] for one stream of XREAD or XREADGROUP into out when
// it has something to answer, and says whether it had.
func xreadServe(c *call, out *reply, key []byte, s *storage.Stream, g *storage.StreamGroup, consumer []byte,
	gt storage.StreamID, count int64, noAck bool) (bool, error) {
	history := g != nil && gt != gtAll
	if !history {
		last, ok, err := s.Edge(true)
		if err != nil || !ok {
			return false, err
		}
		if g != nil {
			gt = g.LastID
		}
		if last.ID.Cmp(gt) <= 0 {
			return false, nil
		}
	}
	start, _ := gt.Next()
	var cons *storage.StreamConsumer
	if g != nil {
		var err error
		if cons, err = groupConsumer(c, s, g, consumer, key); err != nil {
			return false, err
		}
	}
	var body reply
	n := 0
	switch {
	case history:
		var ids []storage.StreamID
		if err := s.OwnPending(g, cons, start, storage.MaxStreamID, func(id storage.StreamID) bool {
			ids = append(ids, id)
			return count == 0 || int64(len(ids)) < count
		}); err != nil {
			return false, err
		}
		for _, id := range ids {
			e, ok, err := s.Get(id)
			if err != nil {
				return false, err
			}
			if !ok {
				// Pending but deleted meanwhile: its id with a nil body, as Redis.
				body.array(2)
				writeID(&body, id)
				body.nullArray()
			} else {
				p, err := s.Pending(g, id)
				if err != nil || p == nil {
					return false, err
				}
				p.Time, p.Count = c.tx.Now(), p.Count+1
				if err := s.PutPending(g, p, p.Consumer); err != nil {
					return false, err
				}
				writeEntry(&body, e)
			}
			n++
		}
	default:
		var es []storage.StreamEntry
		if err := s.Range(start, storage.MaxStreamID, false, func(e storage.StreamEntry) bool {
			es = append(es, e)
			return count == 0 || int64(len(es)) < count
		}); err != nil {
			return false, err
		}
		for _, e := range es {
			if g != nil {
				if err := s.Deliver(g, e.ID); err != nil {
					return false, err
				}
				if !noAck {
					old, err := s.Pending(g, e.ID)
					if err != nil {
						return false, err
					}
					var owner []byte
					if old != nil {
						owner = old.Consumer
					}
					p := &storage.StreamPending{ID: e.ID, Consumer: cons.Name, Time: c.tx.Now(), Count: 1}
					if err := s.PutPending(g, p, owner); err != nil {
						return false, err
					}
				}
			}
			writeEntry(&body, e)
			n++
		}
		if g != nil {
			if err := s.PutGroup(g); err != nil {
				return false, err
			}
		}
	}
	if g != nil {
		if err := s.Save(); err != nil {
			return false, err
		}
	}
	out.array(2)
	out.bulk(key)
	out.array(n)
	out.b = append(out.b, body.b...)
	return true, nil
}

// groupConsumer finds or creates consumer name of g, marking it seen now, as every
// read and claim does.
func groupConsumer(c *call, s *storage.Stream, g *storage.StreamGroup, name, key []byte) (*storage.StreamConsumer, error) {
	cons, err := s.Consumer(g, name)
	if err != nil {
		return nil, err
	}
	if cons == nil {
		cons = s.NewConsumer(g, name)
		c.notify(nfStream, "xgroup-createconsumer", key)
	}
	cons.SeenTime = c.tx.Now()
	return cons, s.PutConsumer(g, cons)
}

// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER key group …
func xgroupCmd(c *call) error {
	sub := strings.ToLower(string(c.args[1]))
	entriesRead := int64(-1)
	mkstream := false
	for i := 5; i < len(c.args); {
		opt := strings.ToLower(string(c.args[i]))
		switch {
		case sub == "create" && opt == "mkstream":
			mkstream = true
			i++
		case (sub == "create" || sub == "setid") && opt == "entriesread" && i+1 < len(c.args):
			n, err := parseInt(c.args[i+1])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			if n < 0 && n != -1 {
				c.r.err(errStreamEntriesRead)
				return nil
			}
			entriesRead = n
			i += 2
		default:
			c.r.err(errSubSyntax("XGROUP", c.args[1]))
			return nil
		}
	}
	key, name := c.args[2], c.args[3]
	s, done, err := openStream(c, key)
	if done {
		return err
	}
	var g *storage.StreamGroup
	if !mkstream {
		if s == nil {
			c.r.err(errStreamKeyNeeded)
			return nil
		}
		if g, err = s.Group(name); err != nil {
			return c.fail(err)
		}
		if g == nil && sub != "create" && sub != "destroy" {
			c.r.err(errNoGroupFor(name, key))
			return nil
		}
	}
	switch sub {
	case "create":
		return xgroupCreate(c, s, key, name, entriesRead)
	case "setid":
		if len(c.args) != 5 && len(c.args) != 7 {
			c.r.err(errSubSyntax("XGROUP", c.args[1]))
			return nil
		}
		id := s.LastID
		if string(c.args[4]) != "$" {
			var ok bool
			if id, _, ok = parseStreamID(c.args[4], idForm{}); !ok {
				c.r.err(errStreamID)
				return nil
			}
		}
		g.LastID, g.EntriesRead = id, entriesRead
		if err := s.PutGroup(g); err != nil {
			return c.fail(err)
		}
		c.notify(nfStream, "xgroup-setid", key)
		c.r.ok()
	case "destroy":
		if g == nil {
			c.r.int(0)
			return nil
		}
		if err := s.DeleteGroup(g); err != nil {
			return c.fail(err)
		}
		c.notify(nfStream, "xgroup-destroy", key)
		c.r.int(1)
	case "createconsumer":
		cons, err := s.Consumer(g, c.args[4])
		if err != nil {
			return c.fail(err)
		}
		if cons != nil {
			c.r.int(0)
			return nil
		}
		if err := s.PutConsumer(g, s.NewConsumer(g, c.args[4])); err != nil {
			return c.fail(err)
		}
		c.notify(nfStream, "xgroup-createconsumer", key)
		c.r.int(1)
	case "delconsumer":
		cons, err := s.Consumer(g, c.args[4])
		if err != nil {
			return c.fail(err)
		}
		var n int64
		if cons != nil {
			if n, err = s.DeleteConsumer(g, cons); err != nil {
				return c.fail(err)
			}
			c.notify(nfStream, "xgroup-delconsumer", key)
		}
		c.r.int(n)
	}
	return nil
}

// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
func xgroupCreate(c *call, s *storage.Stream, key, name []byte, entriesRead int64) error {
	if len(c.args) > 8 {
		c.r.err(errSubSyntax("XGROUP", c.args[1]))
		return nil
	}
	var id storage.StreamID
	if string(c.args[4]) == "$" {
		if s != nil {
			id = s.LastID
		}
	} else {
		var ok bool
		if id, _, ok = parseStreamID(c.args[4], idForm{strict: true}); !ok {
			c.r.err(errStreamID)
			return nil
		}
	}
	if s == nil {
		var err error
		if s, err = c.tx.CreateStream(key); err != nil {
			return c.fail(err)
		}
		if err := s.Save(); err != nil {
			return c.fail(err)
		}
	}
	g, err := s.Group(name)
	if err != nil {
		return c.fail(err)
	}
	if g != nil {
		c.r.err(errStreamBusyGroup)
		return nil
	}
	if err := s.PutGroup(s.NewGroup(name, id, entriesRead)); err != nil {
		return c.fail(err)
	}
	c.notify(nfStream, "xgroup-create", key)
	c.r.ok()
	return nil
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func xsetidCmd(c *call) error {
	id, _, ok := parseStreamID(c.args[2], idForm{strict: true})
	if !ok {
		c.r.err(errStreamID)
		return nil
	}
	added := int64(-1)
	var maxDel storage.StreamID
	for i := 3; i < len(c.args); i += 2 {
		opt := strings.ToLower(string(c.args[i]))
		switch {
		case opt == "entriesadded" && i+1 < len(c.args):
			n, err := parseInt(c.args[i+1])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			if n < 0 {
				c.r.err(errStreamAddedNeg)
				return nil
			}
			added = n
		case opt == "maxdeletedid" && i+1 < len(c.args):
			if maxDel, _, ok = parseStreamID(c.args[i+1], idForm{strict: true}); !ok {
				c.r.err(errStreamID)
				return nil
			}
			if id.Cmp(maxDel) < 0 {
				c.r.err(errStreamSetIDMaxDel)
				return nil
			}
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	s, done, err := openStream(c, c.args[1])
	if done {
		return err
	}
	if s == nil {
		c.r.err(errNoSuchKey)
		return nil
	}
	if s.Len() > 0 {
		last, _, err := s.Edge(true)
		if err != nil {
			return c.fail(err)
		}
		if id.Cmp(last.ID) < 0 {
			c.r.err(errStreamSetIDSmall)
			return nil
		}
		if added != -1 && s.Len() > added {
			c.r.err(errStreamSetIDAdded)
			return nil
		}
	}
	s.LastID = id
	if added != -1 {
		s.EntriesAdded = added
	}
	if !maxDel.IsZero() {
		s.MaxDeleted = maxDel
	}
	if err := s.Save(); err != nil {
		return c.fail(err)
	}
	c.notify(nfStream, "xsetid", c.args[1])
	c.r.ok()
	return nil
}

// openGroup opens key's stream and its group, answering NOGROUP (done) when either is
// missing and where is not "-" (XACK answers 0 instead: g is nil, done is false).
func openGroup(c *call, key, name []byte, where string) (*storage.Stream, *storage.StreamGroup, bool, error) {
	s, done, err := openStream(c, key)
	if done {
		return nil, nil, true, err
	}
	var g *storage.StreamGroup
	if s != nil {
		if g, err = s.Group(name); err != nil {
			return nil, nil, true, c.fail(err)
		}
	}
	if g == nil && where != "-" {
		c.r.err(errNoGroup(key, name, where))
		return nil, nil, true, nil
	}
	return s, g, false, nil
}

// XACK key group id [id ...]
func xackCmd(c *call) error {
	s, g, done, err := openGroup(c, c.args[1], c.args[2], "-")
	if done {
		return err
	}
	if g == nil {
		c.r.int(0)
		return nil
	}
	ids, ok := parseIDs(c, c.args[3:])
	if !ok {
		return nil
	}
	var n int64
	for _, id := range ids {
		p, err := s.Pending(g, id)
		if err != nil {
			return c.fail(err)
		}
		if p != nil {
			if err := s.DeletePending(g, p); err != nil {
				return c.fail(err)
			}
			n++
		}
	}
	c.r.int(n)
	return nil
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func xpendingCmd(c *call) error {
	args := c.args
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.r.err(errSyntax)
		return nil
	}
	var start, end storage.StreamID
	var count, minIdle int64
	var consumer []byte
	if len(args) >= 6 {
		at := 3
		if strings.EqualFold(string(args[3]), "idle") {
			n, err := parseInt(args[4])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			if len(args) < 8 {
				c.r.err(errSyntax)
				return nil
			}
			minIdle, at = n, 5
		}
		n, err := parseInt(args[at+2])
		if err != nil {
			c.r.err(errNotInteger)
			return nil
		}
		count = max(n, 0)
		var msg string
		if start, msg = parseBound(args[at], 0, true); msg != "" {
			c.r.err(msg)
			return nil
		}
		if end, msg = parseBound(args[at+1], ^uint64(0), false); msg != "" {
			c.r.err(msg)
			return nil
		}
		if at+3 < len(args) {
			consumer = args[at+3]
		}
	}
	s, g, done, err := openGroup(c, args[1], args[2], "")
	if done {
		return err
	}
	if len(args) == 3 {
		return xpendingSummary(c, s, g)
	}
	now := c.tx.Now()
	var ps []*storage.StreamPending
	keep := func(p *storage.StreamPending) bool {
		if minIdle == 0 || now-p.Time >= minIdle {
			ps = append(ps, p)
		}
		return int64(len(ps)) < count
	}
	if count > 0 {
		if consumer != nil {
			cons, err := s.Consumer(g, consumer)
			if err != nil {
				return c.fail(err)
			}
			if cons != nil {
				var perr error
				err = s.OwnPending(g, cons, start, end, func(id storage.StreamID) bool {
					p, e := s.Pending(g, id)
					if e != nil || p == nil {
						perr = e
						return e == nil
					}
					return keep(p)
				})
				if err == nil {
					err = perr
				}
			}
		} else {
			err = s.PendingRange(g, start, end, keep)
		}
		if err != nil {
			return c.fail(err)
		}
	}
	c.r.array(len(ps))
	for _, p := range ps {
		c.r.array(4)
		writeID(c.r, p.ID)
		c.r.bulk(p.Consumer)
		c.r.int(max(now-p.Time, 0))
		c.r.int(p.Count)
	}
	return nil
}

// XPENDING key group: the count, the first and last ids, and each consumer's count.
func xpendingSummary(c *call, s *storage.Stream, g *storage.StreamGroup) error {
	total, err := s.PendingCount(g, nil)
	if err != nil {
		return c.fail(err)
	}
	c.r.array(4)
	c.r.int(total)
	if total == 0 {
		c.r.null()
		c.r.null()
		c.r.nullArray()
		return nil
	}
	var first storage.StreamID
	if err := s.PendingRange(g, storage.StreamID{}, storage.MaxStreamID, func(p *storage.StreamPending) bool { first = p.ID; return false }); err != nil {
		return c.fail(err)
	}
	last, _ := s.PendingLast(g)
	writeID(c.r, first)
	writeID(c.r, last)
	cs, err := s.Consumers(g)
	if err != nil {
		return c.fail(err)
	}
	var body reply
	n := 0
	for _, cons := range cs {
		k, err := s.PendingCount(g, cons)
		if err != nil {
			return c.fail(err)
		}
		if k > 0 {
			body.array(2)
			body.bulk(cons.Name)
			body.bulkInt(k)
			n++
		}
	}
	c.r.array(n)
	c.r.b = append(c.r.b, body.b...)
	return nil
}

// claim gives pending entry p (or, when p is nil, the entry at id, FORCE) to consumer
// cons, with its new delivery time and count.
func claim(s *storage.Stream, g *storage.StreamGroup, p *storage.StreamPending, cons *storage.StreamConsumer, at int64, retry int64, justID bool) error {
	owner := p.Consumer
	p.Consumer, p.Time = cons.Name, at
	switch {
	case retry >= 0:
		p.Count = retry
	case !justID:
		p.Count++
	}
	return s.PutPending(g, p, owner)
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
func xclaimCmd(c *call) error {
	key := c.args[1]
	s, g, done, err := openGroup(c, key, c.args[2], "")
	if done {
		return err
	}
	minIdle, err := parseInt(c.args[4])
	if err != nil {
		c.r.err(errXClaimMinIdle)
		return nil
	}
	minIdle = max(minIdle, 0)
	j := 5
	var ids []storage.StreamID
	for ; j < len(c.args); j++ {
		id, _, ok := parseStreamID(c.args[j], idForm{strict: true})
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.tx.Now()
	at, retry := int64(-1), int64(-1)
	force, justID := false, false
	var lastID storage.StreamID
	for ; j < len(c.args); j++ {
		more := len(c.args) - 1 - j
		opt := strings.ToLower(string(c.args[j]))
		var msg string
		switch {
		case opt == "force":
			force = true
		case opt == "justid":
			justID = true
		case opt == "idle" && more > 0:
			j++
			n, err := parseInt(c.args[j])
			at, msg = now-n, errXClaimIdle
			if err == nil {
				msg = ""
			}
		case opt == "time" && more > 0:
			j++
			n, err := parseInt(c.args[j])
			at, msg = n, errXClaimTime
			if err == nil {
				msg = ""
			}
		case opt == "retrycount" && more > 0:
			j++
			n, err := parseInt(c.args[j])
			retry, msg = n, errXClaimRetry
			if err == nil {
				msg = ""
			}
		case opt == "lastid" && more > 0:
			j++
			id, _, ok := parseStreamID(c.args[j], idForm{strict: true})
			if !ok {
				msg = errStreamID
			}
			lastID = id
		default:
			msg = errXClaimOption(c.args[j])
		}
		if msg != "" {
			c.r.err(msg)
			return nil
		}
	}
	if lastID.Cmp(g.LastID) > 0 {
		g.LastID = lastID
		if err := s.PutGroup(g); err != nil {
			return c.fail(err)
		}
	}
	if at < 0 || at > now {
		at = now
	}
	var cons *storage.StreamConsumer
	var body reply
	n := 0
	for _, id := range ids {
		p, err := s.Pending(g, id)
		if err != nil {
			return c.fail(err)
		}
		e, exists, err := s.Get(id)
		if err != nil {
			return c.fail(err)
		}
		if !exists {
			if p != nil {
				if err := s.DeletePending(g, p); err != nil {
					return c.fail(err)
				}
			}
			continue
		}
		if p == nil {
			if !force {
				continue
			}
			p = &storage.StreamPending{ID: id, Count: 1} // FORCE: a new entry, no owner yet
		} else if minIdle > 0 && now-p.Time < minIdle {
			continue
		}
		if cons == nil {
			if cons, err = groupConsumer(c, s, g, c.args[3], key); err != nil {
				return c.fail(err)
			}
		}
		if err := claim(s, g, p, cons, at, retry, justID); err != nil {
			return c.fail(err)
		}
		if justID {
			writeID(&body, id)
		} else {
			writeEntry(&body, e)
		}
		n++
	}
	c.r.array(n)
	c.r.b = append(c.r.b, body.b...)
	return nil
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func xautoclaimCmd(c *call) error {
	minIdle, err := parseInt(c.args[4])
	if err != nil {
		c.r.err(errXAutoMinIdle)
		return nil
	}
	minIdle = max(minIdle, 0)
	start, msg := parseBound(c.args[5], 0, true)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	count, justID := int64(100), false
	for j := 6; j < len(c.args); j++ {
		opt := strings.ToLower(string(c.args[j]))
		switch {
		case opt == "count" && j+1 < len(c.args):
			n, err := parseInt(c.args[j+1])
			if err != nil || n < 1 || n > (1<<63-1)/16 {
				c.r.err(errXAutoCount)
				return nil
			}
			count = n
			j++
		case opt == "justid":
			justID = true
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	key := c.args[1]
	s, g, done, err := openGroup(c, key, c.args[2], "")
	if done {
		return err
	}
	now := c.tx.Now()
	attempts := count * 10
	var seen []*storage.StreamPending
	next := storage.StreamID{}
	// The walk reads one entry past what it may examine: that one is the cursor.
	if err := s.PendingRange(g, start, storage.MaxStreamID, func(p *storage.StreamPending) bool {
		if int64(len(seen)) == attempts {
			next = p.ID
			return false
		}
		seen = append(seen, p)
		return true
	}); err != nil {
		return c.fail(err)
	}
	var cons *storage.StreamConsumer
	var body reply
	var deleted []storage.StreamID
	n := 0
	for _, p := range seen {
		if count == 0 {
			next = p.ID
			break
		}
		e, exists, err := s.Get(p.ID)
		if err != nil {
			return c.fail(err)
		}
		if !exists {
			if err := s.DeletePending(g, p); err != nil {
				return c.fail(err)
			}
			deleted = append(deleted, p.ID)
			count--
			continue
		}
		if minIdle > 0 && now-p.Time < minIdle {
			continue
		}
		if cons == nil {
			if cons, err = groupConsumer(c, s, g, c.args[3], key); err != nil {
				return c.fail(err)
			}
		}
		if err := claim(s, g, p, cons, now, -1, justID); err != nil {
			return c.fail(err)
		}
		if justID {
			writeID(&body, p.ID)
		} else {
			writeEntry(&body, e)
		}
		n++
		count--
	}
	c.r.array(3)
	writeID(c.r, next)
	c.r.array(n)
	c.r.b = append(c.r.b, body.b...)
	c.r.array(len(deleted))
	for _, id := range deleted {
		writeID(c.r, id)
	}
	return nil
}

// openInfo opens XINFO's stream: ERR no such key when absent (done).
func openInfo(c *call) (*storage.Stream, bool, error) {
	s, done, err := openStream(c, c.args[2])
	if done {
		return nil, true, err
	}
	if s == nil {
		c.r.err(errNoSuchKey)
		return nil, true, nil
	}
	return s, false, nil
}

// writeCounter writes n, or nil when it is not known (!ok).
func writeCounter(r *reply, n int64, ok bool) {
	if !ok {
		r.null()
		return
	}
	r.int(n)
}

// XINFO STREAM key [FULL [COUNT count]]
func xinfoStreamCmd(c *call) error {
	s, done, err := openInfo(c)
	if done {
		return err
	}
	opts := c.args[3:]
	full, count := len(opts) > 0, int64(10)
	if full {
		if len(opts) != 1 && len(opts) != 3 || !strings.EqualFold(string(opts[0]), "full") ||
			len(opts) == 3 && !strings.EqualFold(string(opts[1]), "count") {
			c.r.err(errSubSyntax("XINFO", c.args[1]))
			return nil
		}
		if len(opts) == 3 {
			n, err := parseInt(opts[2])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			if count = n; n < 0 {
				count = 10
			}
		}
	}
	first, err := s.FirstID()
	if err != nil {
		return c.fail(err)
	}
	groups, err := s.Groups()
	if err != nil {
		return c.fail(err)
	}
	if full {
		c.r.array(18)
	} else {
		c.r.array(20)
	}
	c.r.bulkString("length")
	c.r.int(s.Len())
	c.r.bulkString("radix-tree-keys")
	c.r.int(0)
	c.r.bulkString("radix-tree-nodes")
	c.r.int(0)
	c.r.bulkString("last-generated-id")
	writeID(c.r, s.LastID)
	c.r.bulkString("max-deleted-entry-id")
	writeID(c.r, s.MaxDeleted)
	c.r.bulkString("entries-added")
	c.r.int(s.EntriesAdded)
	c.r.bulkString("recorded-first-entry-id")
	writeID(c.r, first)
	if !full {
		c.r.bulkString("groups")
		c.r.int(int64(len(groups)))
		for _, last := range []bool{false, true} {
			if last {
				c.r.bulkString("last-entry")
			} else {
				c.r.bulkString("first-entry")
			}
			e, ok, err := s.Edge(last)
			if err != nil {
				return c.fail(err)
			}
			if ok {
				writeEntry(c.r, e)
			} else {
				c.r.null()
			}
		}
		return nil
	}
	var es []storage.StreamEntry
	if err := s.Range(storage.StreamID{}, storage.MaxStreamID, false, func(e storage.StreamEntry) bool {
		es = append(es, e)
		return count == 0 || int64(len(es)) < count
	}); err != nil {
		return c.fail(err)
	}
	c.r.bulkString("entries")
	c.r.array(len(es))
	for _, e := range es {
		writeEntry(c.r, e)
	}
	c.r.bulkString("groups")
	c.r.array(len(groups))
	for _, g := range groups {
		if err := xinfoFullGroup(c, s, g, count); err != nil {
			return c.fail(err)
		}
	}
	return nil
}

// xinfoFullGroup writes one group of XINFO STREAM FULL, with at most count (0: all)
// pending entries of the group and of each consumer.
func xinfoFullGroup(c *call, s *storage.Stream, g *storage.StreamGroup, count int64) error {
	lag, lagOK, err := s.Lag(g)
	if err != nil {
		return err
	}
	pelCount, err := s.PendingCount(g, nil)
	if err != nil {
		return err
	}
	var ps []*storage.StreamPending
	if err := s.PendingRange(g, storage.StreamID{}, storage.MaxStreamID, func(p *storage.StreamPending) bool {
		ps = append(ps, p)
		return count == 0 || int64(len(ps)) < count
	}); err != nil {
		return err
	}
	cs, err := s.Consumers(g)
	if err != nil {
		return err
	}
	c.r.array(14)
	c.r.bulkString("name")
	c.r.bulk(g.Name)
	c.r.bulkString("last-delivered-id")
	writeID(c.r, g.LastID)
	c.r.bulkString("entries-read")
	writeCounter(c.r, g.EntriesRead, g.EntriesRead >= 0)
	c.r.bulkString("lag")
	writeCounter(c.r, lag, lagOK)
	c.r.bulkString("pel-count")
	c.r.int(pelCount)
	c.r.bulkString("pending")
	c.r.array(len(ps))
	for _, p := range ps {
		c.r.array(4)
		writeID(c.r, p.ID)
		c.r.bulk(p.Consumer)
		c.r.int(p.Time)
		c.r.int(p.Count)
	}
	c.r.bulkString("consumers")
	c.r.array(len(cs))
	for _, cons := range cs {
		n, err := s.PendingCount(g, cons)
		if err != nil {
			return err
		}
		var own []storage.StreamID
		if err := s.OwnPending(g, cons, storage.StreamID{}, storage.MaxStreamID, func(id storage.StreamID) bool {
			own = append(own, id)
			return count == 0 || int64(len(own)) < count
		}); err != nil {
			return err
		}
		c.r.array(8)
		c.r.bulkString("name")
		c.r.bulk(cons.Name)
		c.r.bulkString("seen-time")
		c.r.int(cons.SeenTime)
		c.r.bulkString("pel-count")
		c.r.int(n)
		c.r.bulkString("pending")
		c.r.array(len(own))
		for _, id := range own {
			p, err := s.Pending(g, id)
			if err != nil {
				return err
			}
			if p == nil {
				p = &storage.StreamPending{ID: id}
			}
			c.r.array(3)
			writeID(c.r, id)
			c.r.int(p.Time)
			c.r.int(p.Count)
		}
	}
	return nil
}

// XINFO GROUPS key
func xinfoGroupsCmd(c *call) error {
	s, done, err := openInfo(c)
	if done {
		return err
	}
	groups, err := s.Groups()
	if err != nil {
		return c.fail(err)
	}
	c.r.array(len(groups))
	for _, g := range groups {
		cs, err := s.Consumers(g)
		if err != nil {
			return c.fail(err)
		}
		pending, err := s.PendingCount(g, nil)
		if err != nil {
			return c.fail(err)
		}
		lag, lagOK, err := s.Lag(g)
		if err != nil {
			return c.fail(err)
		}
		c.r.array(12)
		c.r.bulkString("name")
		c.r.bulk(g.Name)
		c.r.bulkString("consumers")
		c.r.int(int64(len(cs)))
		c.r.bulkString("pending")
		c.r.int(pending)
		c.r.bulkString("last-delivered-id")
		writeID(c.r, g.LastID)
		c.r.bulkString("entries-read")
		writeCounter(c.r, g.EntriesRead, g.EntriesRead >= 0)
		c.r.bulkString("lag")
		writeCounter(c.r, lag, lagOK)
	}
	return nil
}

// XINFO CONSUMERS key group
func xinfoConsumersCmd(c *call) error {
	s, done, err := openInfo(c)
	if done {
		return err
	}
	g, err := s.Group(c.args[3])
	if err != nil {
		return c.fail(err)
	}
	if g == nil {
		c.r.err(errNoGroupFor(c.args[3], c.args[2]))
		return nil
	}
	cs, err := s.Consumers(g)
	if err != nil {
		return c.fail(err)
	}
	now := c.tx.Now()
	c.r.array(len(cs))
	for _, cons := range cs {
		n, err := s.PendingCount(g, cons)
		if err != nil {
			return c.fail(err)
		}
		c.r.array(6)
		c.r.bulkString("name")
		c.r.bulk(cons.Name)
		c.r.bulkString("pending")
		c.r.int(n)
		c.r.bulkString("idle")
		c.r.int(max(now-cons.SeenTime, 0))
	}
	return nil
}
