package server

// What COMMAND INFO and COMMAND DOCS say about a row beyond its arity and flags: ACL
// categories, key specs, tips, the version that introduced it and its arguments, all
// derived from the row so that they cannot drift from what the server does. The shapes
// are Redis 7.0's, so redis-cli, go-redis, ioredis and redis-py read them as they read
// Redis's.

import (
	"errors"
	"strconv"
	"strings"
)

// herodbSince is what COMMAND DOCS answers as "since" for herodb's own commands (AGE,
// SYM, AUTHLOG): the herodb version that introduced them.
const herodbSince = "0.1.0"

// ACL categories, in the order Redis lists them.
const (
	catKeyspace uint32 = 1 << iota
	catRead
	catWrite
	catSet
	catSortedSet
	catList
	catHash
	catString
	catBitmap
	catHyperLogLog
	catGeo
	catStream
	catPubSub
	catAdmin
	catFast
	catSlow
	catBlocking
	catDangerous
	catConnection
	catTransaction
	catScripting
)

var catNames = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
	"dangerous", "connection", "transaction", "scripting"}

// groupCategory is the category each command group brings, as Redis assigns them: the
// data type's, @keyspace for the generic (type-agnostic) commands, and so on.
var groupCategory = map[string]uint32{
	"string": catString, "bitmap": catBitmap, "hyperloglog": catHyperLogLog, "hash": catHash,
	"list": catList, "set": catSet, "zset": catSortedSet, "stream": catStream, "pubsub": catPubSub,
	"transactions": catTransaction, "connection": catConnection, "generic": catKeyspace,
	"scripting": catScripting,
}

// extraCategories are the categories a row has beyond what its group and flags give, as
// Redis has them: the commands that may take long or touch everything are @dangerous,
// SORT names the types it sorts, the whole-database commands are @keyspace.
var extraCategories = map[string]uint32{
	"keys": catDangerous, "info": catDangerous, "restore": catDangerous,
	"flushdb": catKeyspace | catDangerous, "flushall": catKeyspace | catWrite, "dbsize": catKeyspace,
	"sort": catSet | catSortedSet | catList | catDangerous, "sort_ro": catSet | catSortedSet | catList | catDangerous,
	"command": catConnection,
}

// categories returns a row's ACL categories. The rule, Redis's: flags give @read
// (readonly), @write, @admin and @dangerous (admin), @blocking, and @fast or else @slow;
// the group gives its category (@string, @sortedset, @keyspace for generic, …) and
// extraCategories the rest. A row with subcommands is a container: @slow alone (and its
// extra categories), as in Redis; its subcommands carry the categories (COMMAND's
// subcommands are @connection).
func categories(c *command) []string {
	var cats uint32
	switch {
	case c.is(flagFast):
		cats |= catFast
	default:
		cats |= catSlow
	}
	cats |= extraCategories[c.name]
	if c.subs == nil {
		// @read and @write say that the command itself reads or writes keys; pub/sub
		// touches none and a script's commands have their own (these rows are readonly
		// or write for the permission check alone), as Redis files them.
		keyless := c.group == "pubsub" || c.group == "scripting"
		if c.is(flagRead) && !keyless {
			cats |= catRead
		}
		if c.is(flagWrite) && !keyless {
			cats |= catWrite
		}
		if c.is(flagAdmin) {
			cats |= catAdmin | catDangerous
		}
		if c.is(flagBlocking) {
			cats |= catBlocking
		}
		if c.group != "server" || c.data() {
			cats |= groupCategory[c.group]
		}
		if c.group == "generic" && cats&(catSet|catSortedSet|catList) != 0 {
			cats &^= catKeyspace // SORT is filed under the types it sorts
		}
		if strings.HasPrefix(c.name, "command|") {
			cats |= catConnection
		}
	}
	var out []string
	for i, n := range catNames {
		if cats&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}

// hasCategory reports whether row c is in the ACL category cat (without the @).
func hasCategory(c *command, cat string) bool {
	for _, n := range categories(c) {
		if strings.EqualFold(n[1:], cat) {
			return true
		}
	}
	return false
}

// tips are Redis's command tips where they apply to herodb: whether the reply is
// nondeterministic or in no fixed order. Redis's cluster routing tips (request_policy,
// response_policy) are left out: herodb has no cluster.
var tips = map[string][]string{}

func init() {
	for _, n := range strings.Fields("time randomkey spop srandmember hrandfield zrandmember scan sscan hscan zscan ttl pttl info client|list client|info") {
		tips[n] = []string{"nondeterministic_output"}
	}
	for _, n := range strings.Fields("keys smembers sinter sunion sdiff hgetall hkeys hvals command command|list command|info command|docs") {
		tips[n] = []string{"nondeterministic_output_order"}
	}
}

// keySpec is one of Redis 7.0's key specifications: where the search for keys begins
// (an argument index, or unknown) and how keys are found from there (a range, a count
// given by an argument, or unknown), with flags saying what the command does to them.
type keySpec struct {
	flags string // space-separated: RO|RW|OW|RM, then access, update, insert, delete…
	index int    // begin_search: the argument index; 0 is unknown
	kind  string // find_keys: "range", "keynum" or "unknown"
	// range: the last key, relative to index when >= 0, counted from the end when < 0
	lastKey int
	step    int
	// keynum: the argument holding the count, relative to index, and the first key
	// after it; step as for range
	numIdx, firstKey int
	// unknown: finds the keys itself (SORT's STORE); nil finds none
	find func(args [][]byte) []int
	// keyword: the search begins after this word (XREAD's STREAMS), looked for from
	// argument startFrom on; index is then 0. limit, for a range: the keys are the
	// first 1/limit of what follows (2: XREAD's keys, then as many ids).
	keyword          string
	startFrom, limit int
	// arg names the syntax argument this spec describes, for COMMAND DOCS'
	// key_spec_index, when not the next key argument in order
	arg string
}

func rangeSpec(flags string, index, lastKey, step int) keySpec {
	return keySpec{flags: flags, index: index, kind: "range", lastKey: lastKey, step: step}
}

// keynumSpec: the count of keys is the argument at index, the keys follow it.
func keynumSpec(flags string, index int) keySpec {
	return keySpec{flags: flags, index: index, kind: "keynum", numIdx: 0, firstKey: 1, step: 1}
}

// keySpecs are the rows whose keys are not one range of the same kind: keys counted by
// a numkeys argument (ZUNIONSTORE, LMPOP, SINTERCARD…), a destination apart from its
// sources (SINTERSTORE, BITOP, LMOVE…), SORT's patterns and STORE. The row's own
// firstKey/lastKey/step stay what blocking wake-ups read: a superset of these keys.
var keySpecs = map[string][]keySpec{
	"lmpop":       {keynumSpec("RW access delete", 1)},
	"zmpop":       {keynumSpec("RW access delete", 1)},
	"blmpop":      {keynumSpec("RW access delete", 2)},
	"bzmpop":      {keynumSpec("RW access delete", 2)},
	"sintercard":  {keynumSpec("RO access", 1)},
	"zintercard":  {keynumSpec("RO access", 1)},
	"zunion":      {keynumSpec("RO access", 1)},
	"zinter":      {keynumSpec("RO access", 1)},
	"zdiff":       {keynumSpec("RO access", 1)},
	"zunionstore": {rangeSpec("OW update", 1, 0, 1), keynumSpec("RO access", 2)},
	"zinterstore": {rangeSpec("OW update", 1, 0, 1), keynumSpec("RO access", 2)},
	"zdiffstore":  {rangeSpec("OW update", 1, 0, 1), keynumSpec("RO access", 2)},
	"sinterstore": {rangeSpec("RW update", 1, 0, 1), rangeSpec("RO access", 2, -1, 1)},
	"sunionstore": {rangeSpec("OW update", 1, 0, 1), rangeSpec("RO access", 2, -1, 1)},
	"sdiffstore":  {rangeSpec("OW update", 1, 0, 1), rangeSpec("RO access", 2, -1, 1)},
	"bitop":       {rangeSpec("OW update", 2, 0, 1), rangeSpec("RO access", 3, -1, 1)},
	"pfmerge":     {rangeSpec("RW access insert", 1, 0, 1), rangeSpec("RO access", 2, -1, 1)},
	"zrangestore": {rangeSpec("OW update", 1, 0, 1), rangeSpec("RO access", 2, 0, 1)},
	"rename":      {rangeSpec("RW access delete", 1, 0, 1), rangeSpec("OW update", 2, 0, 1)},
	"renamenx":    {rangeSpec("RW access delete", 1, 0, 1), rangeSpec("OW insert", 2, 0, 1)},
	"lmove":       {rangeSpec("RW access delete", 1, 0, 1), rangeSpec("RW insert", 2, 0, 1)},
	"blmove":      {rangeSpec("RW access delete", 1, 0, 1), rangeSpec("RW insert", 2, 0, 1)},
	"rpoplpush":   {rangeSpec("RW access delete", 1, 0, 1), rangeSpec("RW insert", 2, 0, 1)},
	"brpoplpush":  {rangeSpec("RW access delete", 1, 0, 1), rangeSpec("RW insert", 2, 0, 1)},
	"smove":       {rangeSpec("RW access delete", 1, 0, 1), rangeSpec("RW insert", 2, 0, 1)},
	"copy":        {rangeSpec("RO access", 1, 0, 1), rangeSpec("OW update", 2, 0, 1)},
	"eval":        {keynumSpec("RW access update", 2)},
	"evalsha":     {keynumSpec("RW access update", 2)},
	"eval_ro":     {keynumSpec("RO access", 2)},
	"evalsha_ro":  {keynumSpec("RO access", 2)},
	"fcall":       {keynumSpec("RW access update", 2)},
	"fcall_ro":    {keynumSpec("RO access", 2)},
	"sort": {rangeSpec("RO access", 1, 0, 1), {flags: "RO access", kind: "unknown", arg: "pattern"},
		{flags: "OW update", kind: "unknown", find: sortStoreKey, arg: "destination"}},
	"sort_ro":    {rangeSpec("RO access", 1, 0, 1), {flags: "RO access", kind: "unknown", arg: "pattern"}},
	"xread":      {{flags: "RO access", keyword: "STREAMS", startFrom: 1, kind: "range", lastKey: -1, step: 1, limit: 2}},
	"xreadgroup": {{flags: "RO access", keyword: "STREAMS", startFrom: 4, kind: "range", lastKey: -1, step: 1, limit: 2}},
}

// sortStoreKey finds SORT's STORE destination, skipping the arguments of its options
// as SORT's parser does (the last STORE wins).
func sortStoreKey(args [][]byte) []int {
	at := -1
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "limit":
			i += 2
		case "by", "get":
			i++
		case "store":
			if i+1 < len(args) {
				at = i + 1
			}
			i++
		}
	}
	if at < 0 {
		return nil
	}
	return []int{at}
}

// specFlags are the flags of a one-range spec where the default does not say it. The
// default: a readonly row reads its keys' values (RO access); a write row changes them
// (RW update). RO alone reads only metadata (EXISTS, TYPE, lengths); RM deletes the key;
// OW overwrites it whatever it held; access returns user data; insert and delete add or
// remove data without reading it.
var specFlags = map[string]string{}

func init() {
	for flags, names := range map[string]string{
		"RO":                              "exists type strlen hlen llen scard zcard hexists hstrlen sismember touch watch object|encoding object|freq object|idletime object|refcount xlen",
		"RM delete":                       "del unlink",
		"RW access delete":                "getdel lpop rpop spop zpopmin zpopmax blpop brpop bzpopmin bzpopmax",
		"RW insert":                       "lpush rpush lpushx rpushx sadd pfadd hsetnx linsert append xgroup|create xgroup|createconsumer",
		"RW delete":                       "hdel srem zrem lrem ltrim zremrangebyscore zremrangebyrank zremrangebylex xdel xtrim xautoclaim xgroup|destroy xgroup|delconsumer",
		"RW access update":                "incr decr incrby decrby incrbyfloat hincrby hincrbyfloat zincrby getset getex setbit move",
		"RW access update variable_flags": "set bitfield",
		"OW update":                       "setex psetex mset restore",
		"OW insert":                       "setnx msetnx",
	} {
		for _, n := range strings.Fields(names) {
			specFlags[n] = flags
		}
	}
}

// specsOf returns row c's key specs: its entry in keySpecs, or else one range spec made
// from firstKey/lastKey/step (no spec when the row has no keys).
func specsOf(c *command) []keySpec {
	if s, ok := keySpecs[c.name]; ok {
		return s
	}
	if c.firstKey == 0 {
		return nil
	}
	flags := specFlags[c.name]
	switch {
	case flags != "":
	case c.is(flagWrite):
		flags = "RW update"
	case c.is(flagRead):
		flags = "RO access"
	default:
		flags = "RO"
	}
	last := c.lastKey
	if last >= 0 {
		last -= c.firstKey
	}
	return []keySpec{rangeSpec(flags, c.firstKey, last, max(c.step, 1))}
}

// legacyRange is COMMAND INFO's first key, last key and step, computed from the specs as
// Redis computes them: the range specs that follow one another make one range; any other
// spec makes the command "movablekeys" (its keys depend on the arguments: use COMMAND
// GETKEYS).
func legacyRange(specs []keySpec) (first, last, step int, movable bool) {
	for _, s := range specs {
		if s.kind != "range" || s.index == 0 {
			movable = true
			continue
		}
		if first == 0 {
			first, step = s.index, s.step
		} else if last < 0 || s.index != last+1 || s.step != step {
			movable = true
			continue
		}
		last = s.lastKey
		if last >= 0 {
			last += s.index
		}
	}
	return first, last, step, movable
}

// errBadKeys is what specKeys returns for arguments that do not hold the keys the
// specs promise (a numkeys past the end); COMMAND GETKEYS answers errGetKeysInvalid.
var errBadKeys = errors.New("invalid key arguments")

// keyAt is one key found by the specs: its argument index and its spec's flags.
type keyAt struct {
	i     int
	flags string
}

// specKeys finds the keys of args (the command name first) by row c's specs, as
// Redis's COMMAND GETKEYS does.
func specKeys(c *command, args [][]byte) ([]keyAt, error) {
	var out []keyAt
	for _, s := range specsOf(c) {
		if s.keyword != "" {
			out = append(out, keywordKeys(s, args)...)
			continue
		}
		if s.kind == "unknown" || s.index == 0 {
			if s.find != nil {
				for _, i := range s.find(args) {
					out = append(out, keyAt{i, s.flags})
				}
			}
			continue
		}
		if s.index >= len(args) {
			return nil, errBadKeys
		}
		first, last, step := s.index, 0, s.step
		switch s.kind {
		case "range":
			last = s.lastKey
			if last >= 0 {
				last += first
			} else {
				last += len(args)
			}
		case "keynum":
			n, err := strconv.Atoi(string(args[s.index+s.numIdx]))
			if err != nil || n < 0 {
				return nil, errBadKeys
			}
			first = s.index + s.firstKey
			last = first + (n-1)*step
		}
		if last >= len(args) {
			return nil, errBadKeys
		}
		for i := first; i <= last; i += step {
			out = append(out, keyAt{i, s.flags})
		}
	}
	return out, nil
}

// keywordKeys finds the keys of a keyword spec (XREAD's): the first 1/limit of the
// arguments after the keyword, none when it is absent.
func keywordKeys(s keySpec, args [][]byte) []keyAt {
	for i := s.startFrom; i < len(args); i++ {
		if !strings.EqualFold(string(args[i]), s.keyword) {
			continue
		}
		n := (len(args) - i - 1) / max(s.limit, 1)
		var out []keyAt
		for j := i + 1; j <= i+n; j += max(s.step, 1) {
			out = append(out, keyAt{j, s.flags})
		}
		return out
	}
	return nil
}
