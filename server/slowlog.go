package server

// The slow log: SLOWLOG GET|LEN|RESET|HELP, in Redis's reply shapes.
// https://redis.io/docs/latest/commands/slowlog-get/

import (
	"container/heap"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Redis's bounds on what one entry keeps: at most 32 arguments (the last says how many
// more there were), each cut to 128 bytes.
const (
	slowMaxArgs   = 32
	slowMaxString = 128
	slowRedacted  = "(redacted)"
	// Redis's defaults for slowlog-log-slower-than (µs) and slowlog-max-len.
	defaultSlowerThan = 10 * time.Millisecond
	defaultSlowMaxLen = 128
)

// slowEntry is one command that ran for at least the threshold. db and selected say
// whose it is: a tenant sees only its own database's entries.
//
// id numbers the server's entries, which the admin sees; seq numbers its database's,
// which the database's tenants see, so that the gaps in their ids do not count other
// tenants' slow commands.
type slowEntry struct {
	id, seq    int64
	at         time.Time
	took       time.Duration
	args       [][]byte // copied, cut to Redis's bounds, credentials redacted
	addr, name string
	db         uint64
	selected   bool
}

// slowLog is the server's slow log, kept per database: each database's entries are a
// list of its own, at most slowlog-max-len long, so one tenant's slow commands push out
// only its own older entries, never another tenant's (nor tell it, through its own count
// falling, how many slow commands others ran). Entries of sessions that selected no
// database share one list (the admin's to see). The node keeps at most slowNodeLists
// times slowlog-max-len entries in all; past that the oldest entry of the longest list
// goes, so a database loses entries to others only while it holds as many as the most.
// Adding and dropping cost the same at any length (a list is a slice trimmed from the
// front; the longest is found through a heap).
type slowLog struct {
	slower atomic.Int64 // threshold in µs; negative: off (slowlog-log-slower-than)
	maxLen atomic.Int64 // slowlog-max-len

	mu    sync.Mutex
	lists map[slowKey]*slowList
	long  slowHeap // the lists, longest first
	total int
	// nextID numbers the server's entries. nextSeq is each database's next seq
	// (slowEntry), kept for as long as the server runs so a tenant's ids never repeat:
	// one counter per database that ever ran a slow command.
	nextID  int64
	nextSeq map[uint64]int64
}

// The node keeps at most slowNodeLists lists' worth of entries, and never more than
// slowNodeMax (the most slowlog-max-len allows, so no setting makes the node hold more
// than one list could).
const (
	slowNodeLists = 64
	slowNodeMax   = SlowlogMaxLenLimit
)

// SlowlogMaxLenLimit is the largest slowlog-max-len (Redis's CONFIG SET bound too).
const SlowlogMaxLenLimit = 1 << 20

// slowKey names a list: a database, or (selected false) the sessions that chose none.
type slowKey struct {
	db       uint64
	selected bool
}

// slowList is one list's entries, oldest first; at is its place in the heap.
type slowList struct {
	key     slowKey
	entries []slowEntry
	at      int
}

// slowHeap orders lists by length, longest first (container/heap).
type slowHeap []*slowList

func (h slowHeap) Len() int           { return len(h) }
func (h slowHeap) Less(i, j int) bool { return len(h[i].entries) > len(h[j].entries) }
func (h slowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].at = i; h[j].at = j }
func (h *slowHeap) Push(x any)        { l := x.(*slowList); l.at = len(*h); *h = append(*h, l) }
func (h *slowHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	*h = old[:len(old)-1]
	return l
}

func (l *slowLog) init(threshold time.Duration, maxLen int) {
	switch {
	case threshold == 0:
		threshold = defaultSlowerThan
	case threshold < 0:
		threshold = -1
	}
	if maxLen <= 0 {
		maxLen = defaultSlowMaxLen
	}
	l.slower.Store(threshold.Microseconds())
	if threshold > 0 && threshold < time.Microsecond {
		l.slower.Store(0) // below a microsecond: every command, as Redis's 0
	}
	l.maxLen.Store(int64(maxLen))
}

// over reports whether a command that ran for took belongs in the log: the hot path's
// one check, an atomic load and a comparison.
func (l *slowLog) over(took time.Duration) bool {
	t := l.slower.Load()
	return t >= 0 && took.Microseconds() >= t
}

// add records a command that ran for took.
func (l *slowLog) add(c *call, took time.Duration, now time.Time) {
	c.sess.mu.Lock()
	name := c.sess.name
	c.sess.mu.Unlock()
	e := slowEntry{at: now, took: took, args: slowArgs(c.row, c.args), addr: c.sess.addr, name: name,
		db: c.sess.db, selected: c.sess.selected}
	k := slowKey{db: e.db, selected: e.selected}
	if !k.selected {
		k.db = 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	if l.nextSeq == nil {
		l.nextSeq, l.lists = map[uint64]int64{}, map[slowKey]*slowList{}
	}
	e.seq = l.nextSeq[e.db]
	l.nextSeq[e.db]++
	list := l.lists[k]
	if list == nil {
		list = &slowList{key: k}
		l.lists[k] = list
		heap.Push(&l.long, list)
	}
	list.entries = append(list.entries, e)
	l.total++
	heap.Fix(&l.long, list.at)
	l.trim(int(l.maxLen.Load()), list)
}

// trim drops the oldest entries of list past n, then of the longest lists while the
// node holds more than slowNodeLists × n (at most slowNodeMax). l.mu is held.
func (l *slowLog) trim(n int, list *slowList) {
	if list != nil && len(list.entries) > n {
		l.drop(list, len(list.entries)-n)
	}
	for l.total > min(slowNodeLists*n, slowNodeMax) && len(l.long) > 0 {
		l.drop(l.long[0], 1)
	}
}

// drop removes the oldest k entries of list; an emptied list goes.
func (l *slowLog) drop(list *slowList, k int) {
	clear(list.entries[:k]) // let their arguments go
	list.entries = list.entries[k:]
	l.total -= k
	if len(list.entries) == 0 {
		l.remove(list)
		return
	}
	heap.Fix(&l.long, list.at)
}

func (l *slowLog) remove(list *slowList) {
	l.total -= len(list.entries)
	heap.Remove(&l.long, list.at)
	delete(l.lists, list.key)
}

// visibleLocked returns the entries the session may see, newest first, at most count:
// the admin's are every list's, merged by id; a tenant's, its selected database's list.
// l.mu is held.
func (c *call) visibleLocked(l *slowLog, count int) []slowEntry {
	var from []slowEntry
	if c.sess.isAdmin() {
		for _, list := range l.lists {
			from = append(from, list.entries...)
		}
		sort.Slice(from, func(i, j int) bool { return from[i].id < from[j].id })
	} else if list := l.lists[slowKey{db: c.sess.db, selected: true}]; c.sess.selected && list != nil {
		from = list.entries
	}
	out := make([]slowEntry, 0, min(count, len(from)))
	for i := len(from) - 1; i >= 0 && len(out) < count; i-- {
		out = append(out, from[i])
	}
	return out
}

// slowArgs is what an entry keeps of a command's arguments. Whatever may carry a
// credential or a key is replaced by "(redacted)" before it is copied: AUTH's arguments,
// HELLO's AUTH pair, SELECT's KEY, every value of CONFIG SET, the arguments of
// the AGE and SYM commands (keys and secrets), and a script's ARGV. Nothing of them is
// ever kept.
func slowArgs(row *command, args [][]byte) [][]byte {
	redact := make([]bool, len(args))
	from := func(i int) {
		for ; i < len(args); i++ {
			redact[i] = true
		}
	}
	switch {
	case row.name == "auth":
		from(1)
	case row.name == "hello":
		// From the first argument: HELLO AUTH user pass, with no version, is refused
		// but still carries the credential.
		for i := 1; i < len(args); i++ {
			if strings.EqualFold(string(args[i]), "auth") {
				for j := i + 1; j <= i+2 && j < len(args); j++ {
					redact[j] = true
				}
			}
		}
	case row.name == "select":
		for i := 1; i < len(args); i++ { // SELECT KEY <key>, with no database, too
			if strings.EqualFold(string(args[i]), "key") {
				from(i + 1)
			}
		}
	case row.name == "config|set":
		for i := 3; i < len(args); i += 2 {
			redact[i] = true
		}
	case row.group == "crypto":
		from(2) // the subcommand stays: AGE ENCRYPT, SYM DECRYPT…
	case row.group == "scripting" && row.run != nil && len(args) > 2 && strings.HasPrefix(row.name, "eval"):
		// A script's ARGV is what it passes on to AGE and SYM: their keys would be
		// kept here though the script's own AGE call is redacted. The script and
		// its KEYS stay.
		n, ok := string2ll(string(args[2]))
		if !ok || n < 0 || n > int64(len(args)-3) {
			n = 0
		}
		from(3 + int(n))
	}
	n := min(len(args), slowMaxArgs)
	out := make([][]byte, 0, n)
	for i := range n {
		switch {
		case i == slowMaxArgs-1 && len(args) > slowMaxArgs:
			out = append(out, fmt.Appendf(nil, "... (%d more arguments)", len(args)-slowMaxArgs+1))
		case redact[i]:
			out = append(out, []byte(slowRedacted))
		case len(args[i]) > slowMaxString:
			out = append(out, fmt.Appendf(nil, "%s... (%d more bytes)", args[i][:slowMaxString], len(args[i])-slowMaxString))
		default:
			out = append(out, append([]byte(nil), args[i]...))
		}
	}
	return out
}

func slowlogCommands() {
	register("server",
		&command{name: "slowlog", arity: -2,
			syntax: "SLOWLOG GET|LEN|RESET|HELP ...", summary: "Commands that ran longer than slowlog-log-slower-than."},
		&command{name: "slowlog|get", arity: -2, run: slowlogGetCmd,
			syntax: "SLOWLOG GET [count]", summary: "The newest entries (10 by default, -1: all): id, time, microseconds, arguments, client address, client name.",
			differs: "The admin sees every entry, with the server's ids; a tenant only those of its selected database, numbered by that database alone (so the gaps in its ids do not count other tenants' commands). slowlog-max-len bounds each database's entries (the server keeps at most 64 times that, and never more than 1048576). Arguments that may carry a credential or a key (AUTH, HELLO's AUTH, SELECT's KEY, CONFIG SET values, AGE and SYM, a script's ARGV) are kept as (redacted)."},
		&command{name: "slowlog|len", arity: 2, run: slowlogLenCmd,
			syntax: "SLOWLOG LEN", summary: "The number of entries.",
			differs: "A tenant counts those of its selected database."},
		&command{name: "slowlog|reset", arity: 2, run: slowlogResetCmd,
			syntax: "SLOWLOG RESET", summary: "Empties the slow log.",
			differs: "A tenant removes only its own database's entries."},
	)
}

// SLOWLOG GET [count]
func slowlogGetCmd(c *call) error {
	count := 10
	if len(c.args) > 3 {
		c.r.err(errSubSyntax("SLOWLOG", c.args[1]))
		return nil
	}
	if len(c.args) == 3 {
		n, ok := string2ll(string(c.args[2]))
		if !ok || n < -1 {
			c.r.err("ERR count should be greater than or equal to -1")
			return nil
		}
		count = int(min(n, int64(^uint(0)>>1)))
		if n == -1 {
			count = int(^uint(0) >> 1)
		}
	}
	l := &c.s.slow
	l.mu.Lock()
	out := c.visibleLocked(l, count)
	l.mu.Unlock()
	admin := c.sess.isAdmin()
	c.r.array(len(out))
	for _, e := range out {
		c.r.array(6)
		if admin {
			c.r.int(e.id)
		} else {
			c.r.int(e.seq)
		}
		c.r.int(e.at.Unix())
		c.r.int(e.took.Microseconds())
		c.r.bulks(e.args)
		c.r.bulkString(e.addr)
		c.r.bulkString(e.name)
	}
	return nil
}

// SLOWLOG LEN
func slowlogLenCmd(c *call) error {
	l := &c.s.slow
	l.mu.Lock()
	n := l.total
	if !c.sess.isAdmin() {
		n = 0
		if list := l.lists[slowKey{db: c.sess.db, selected: true}]; c.sess.selected && list != nil {
			n = len(list.entries)
		}
	}
	l.mu.Unlock()
	c.r.int(int64(n))
	return nil
}

// SLOWLOG RESET
func slowlogResetCmd(c *call) error {
	l := &c.s.slow
	l.mu.Lock()
	if c.sess.isAdmin() {
		l.lists, l.long, l.total = map[slowKey]*slowList{}, nil, 0
	} else if list := l.lists[slowKey{db: c.sess.db, selected: true}]; c.sess.selected && list != nil {
		l.remove(list)
	}
	l.mu.Unlock()
	c.r.ok()
	return nil
}

// The slow log's CONFIG parameters: anyone reads them; only the admin sets them (they
// are the server's, not a connection's).
const (
	slowSlowerParam = "slowlog-log-slower-than"
	slowMaxLenParam = "slowlog-max-len"
)

func isSlowlogParam(name string) bool { return name == slowSlowerParam || name == slowMaxLenParam }

// slowlogEntries are the parameters as CONFIG GET answers them.
func (s *Server) slowlogEntries() [][2]string {
	return [][2]string{
		{slowSlowerParam, strconv.FormatInt(s.slow.slower.Load(), 10)},
		{slowMaxLenParam, strconv.FormatInt(s.slow.maxLen.Load(), 10)},
	}
}

// slowlogSetter validates a CONFIG SET of a slow log parameter, as Redis does (an
// integer; -1 or more for the threshold, 0 or more for the length), and returns what
// sets it.
func (c *call) slowlogSetter(name []byte, v string) (func(), string) {
	if !c.sess.isAdmin() {
		return nil, errConfigFailed(name, "the slow log's settings are the admin's")
	}
	n, ok := string2ll(v)
	if !ok {
		return nil, errConfigFailed(name, "argument couldn't be parsed into an integer")
	}
	l := &c.s.slow
	if strings.ToLower(string(name)) == slowSlowerParam {
		if n < -1 {
			return nil, errConfigFailed(name, "argument must be between -1 and 9223372036854775807 inclusive")
		}
		return func() { l.slower.Store(n) }, ""
	}
	if n < 0 || n > slowNodeMax {
		return nil, errConfigFailed(name, "argument must be between 0 and 1048576 inclusive")
	}
	return func() {
		l.maxLen.Store(max(n, 1)) // Redis keeps no entry at 0; one is the least this keeps
		l.mu.Lock()
		for _, list := range l.lists {
			l.trim(int(max(n, 1)), list)
		}
		l.mu.Unlock()
	}, ""
}
