package crashtest

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// state is what the harness knows of one write.
type state uint8

const (
	sMaybe   state = iota // sent, not acknowledged: may or may not be stored
	sAcked                // acknowledged: must be stored
	sPresent              // seen stored after a restart
	sAbsent               // seen not stored after a restart (it was never acknowledged)
)

// must reports whether a write in state s has to be stored.
func (s state) must() bool { return s == sAcked || s == sPresent }

// dbModel is one database: its writers and the keys they share.
type dbModel struct {
	id      uint64
	workers []*worker
	ctrs    []*counter // ctr:<i>, INCRed by every writer of the database
	txCount int64      // tx:count: the transactions stored (resolved)
}

// counter is a shared INCR counter.
type counter struct {
	base     int64        // its value after the last restart
	sent     atomic.Int64 // INCRs sent this cycle
	acked    atomic.Int64 // INCRs acknowledged this cycle
	maxAcked atomic.Int64 // highest INCR reply this cycle
}

func (d *dbModel) beginCycle() {
	for _, c := range d.ctrs {
		c.sent.Store(0)
		c.acked.Store(0)
		c.maxAcked.Store(0)
	}
}

// expectedSize is the DBSIZE the model predicts once it is exact.
func (d *dbModel) expectedSize() int64 {
	var n int64
	for _, c := range d.ctrs {
		if c.base > 0 {
			n++
		}
	}
	if d.txCount > 0 {
		n++
	}
	for _, w := range d.workers {
		for _, s := range w.sets {
			if s.must() {
				n++
			}
		}
		if w.listLen > 0 {
			n++
		}
		if w.hashLen > 0 {
			n++
		}
		for _, s := range w.txs {
			if s.must() {
				n += 2
			}
		}
		if w.txlogLen > 0 {
			n++
		}
	}
	return n
}

// worker is one writing goroutine with its own connection. It owns its keys:
//
//	s:<w>:<seq>    strings, SET alone or in a pipeline
//	l:<w>          a list, RPUSH of e<w>.<seq>|…
//	h:<w>          a hash, HSET of field f<seq>
//	ta:<w>:<t>, tb:<w>:<t>, tl:<w>   MULTI SET ta, SET tb, INCR tx:count, RPUSH tl t<t>, EXEC
//
// and INCRs the database's shared counters ctr:<i>.
type worker struct {
	id  int
	db  *dbModel
	rdb *redis.Client
	rng *mrand.Rand

	sets, elems, fields, txs             []state
	setFrom, elemFrom, fieldFrom, txFrom int // this cycle's first
	listLen, hashLen, txlogLen           int64
	incrMaybe                            int // INCRs in flight at the kill

	acked    map[string]int
	failures []string
}

// settle marks everything written so far as checked: a verify resolved it.
func (w *worker) settle() {
	w.setFrom, w.elemFrom, w.fieldFrom, w.txFrom = len(w.sets), len(w.elems), len(w.fields), len(w.txs)
}

func (w *worker) beginCycle(rdb *redis.Client, seed uint64) {
	w.rdb = rdb
	w.rng = mrand.New(mrand.NewPCG(seed, uint64(w.id)))
	w.settle()
	w.incrMaybe = 0
	w.acked = map[string]int{}
	w.failures = nil
}

func (w *worker) inFlight() int {
	n := w.incrMaybe
	for _, xs := range [][]state{w.sets[w.setFrom:], w.elems[w.elemFrom:], w.fields[w.fieldFrom:], w.txs[w.txFrom:]} {
		for _, s := range xs {
			if s == sMaybe {
				n++
			}
		}
	}
	return n
}

func (w *worker) failf(format string, args ...any) {
	w.failures = append(w.failures, fmt.Sprintf("db %d writer %d: ", w.db.id, w.id)+fmt.Sprintf(format, args...))
}

// pad is a value's filler: mostly short, sometimes a few KiB (bigger pages, overflow).
func pad(seq int) string {
	n := (seq * 37) % 97
	if seq%53 == 0 {
		n = 3000 + seq%1500
	}
	return strings.Repeat(string(rune('a'+seq%26)), n)
}

func itoa(n int) string { return strconv.Itoa(n) }

// name is <prefix><w><sep><seq>.
func name(prefix string, w int, sep string, seq int) string {
	return prefix + itoa(w) + sep + itoa(seq)
}

func setKey(w, seq int) string   { return name("s:", w, ":", seq) }
func setVal(w, seq int) string   { return name("v", w, ".", seq) + "|" + pad(seq) }
func listKey(w int) string       { return "l:" + itoa(w) }
func elemVal(w, seq int) string  { return name("e", w, ".", seq) + "|" + pad(seq+1) }
func hashKey(w int) string       { return "h:" + itoa(w) }
func fieldName(seq int) string   { return "f" + itoa(seq) }
func fieldVal(w, seq int) string { return name("hv", w, ".", seq) + "|" + pad(seq+2) }
func txKeyA(w, t int) string     { return name("ta:", w, ":", t) }
func txKeyB(w, t int) string     { return name("tb:", w, ":", t) }
func txValA(w, t int) string     { return name("a", w, ".", t) + "|" + pad(t) }
func txValB(w, t int) string     { return name("b", w, ".", t) + "|" + pad(t+3) }
func txLogKey(w int) string      { return "tl:" + itoa(w) }
func txLogVal(t int) string      { return "t" + itoa(t) }
func ctrKey(i int) string        { return "ctr:" + itoa(i) }

const txCountKey = "tx:count"

// elemSeq is the seq of a list element of writer w, or -1.
func elemSeq(w int, v string) int {
	p := "e" + strconv.Itoa(w) + "."
	rest, ok := strings.CutPrefix(v, p)
	if !ok {
		return -1
	}
	num, _, ok := strings.Cut(rest, "|")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || elemVal(w, n) != v {
		return -1
	}
	return n
}

// load writes until the first error (the kill) and records what was acknowledged. An
// error before the kill, an error reply, or a reply that is not what Redis would answer
// is a failure; killed is set just before the SIGKILL.
func (w *worker) load(ctx context.Context, killed *atomic.Bool) {
	// listLen and txlogLen as this writer's replies must show them this cycle.
	listLen, txlogLen := w.listLen, w.txlogLen
	lastIncr := make([]int64, len(w.db.ctrs))
	fail := func(what string, err error) {
		var rerr redis.Error
		if errors.As(err, &rerr) {
			w.failf("%s: error reply %q", what, err)
		} else if !killed.Load() {
			w.failf("%s: %v (before the kill)", what, err)
		}
	}
	// No stopping at the kill: every writer has a write in flight when the server dies,
	// and stops at its first error (the server is gone; the next start is on another port).
	for ctx.Err() == nil {
		switch r := w.rng.IntN(100); {
		case r < 25: // SET
			seq := len(w.sets)
			w.sets = append(w.sets, sMaybe)
			res, err := w.rdb.Set(ctx, setKey(w.id, seq), setVal(w.id, seq), 0).Result()
			if err != nil {
				fail("SET "+setKey(w.id, seq), err)
				return
			}
			if res != "OK" {
				w.failf("SET %s replied %q", setKey(w.id, seq), res)
			}
			w.sets[seq] = sAcked
			w.acked["set"]++

		case r < 35: // a pipeline of SETs
			n := 2 + w.rng.IntN(15)
			from := len(w.sets)
			p := w.rdb.Pipeline()
			var cmds []*redis.StatusCmd
			for i := 0; i < n; i++ {
				w.sets = append(w.sets, sMaybe)
				cmds = append(cmds, p.Set(ctx, setKey(w.id, from+i), setVal(w.id, from+i), 0))
			}
			if _, err := p.Exec(ctx); err != nil {
				// A reply before the error still acknowledges its SET.
				for i, c := range cmds {
					if c.Err() == nil && c.Val() == "OK" {
						w.sets[from+i] = sAcked
						w.acked["pipeline-set"]++
					}
				}
				fail(fmt.Sprintf("pipeline of %d SETs", n), err)
				return
			}
			for i, c := range cmds {
				if c.Val() != "OK" {
					w.failf("pipelined SET %s replied %q", setKey(w.id, from+i), c.Val())
				}
				w.sets[from+i] = sAcked
				w.acked["pipeline-set"]++
			}

		case r < 52: // INCR of a shared counter
			i := w.rng.IntN(len(w.db.ctrs))
			c := w.db.ctrs[i]
			c.sent.Add(1)
			v, err := w.rdb.Incr(ctx, ctrKey(i)).Result()
			if err != nil {
				w.incrMaybe++
				fail("INCR "+ctrKey(i), err)
				return
			}
			// Never below what it was, nor what this writer saw; never above what was sent.
			if v <= c.base || v <= lastIncr[i] {
				w.failf("INCR %s replied %d after %d (value at the restart %d)", ctrKey(i), v, lastIncr[i], c.base)
			}
			if sent := c.sent.Load(); v > c.base+sent {
				w.failf("INCR %s replied %d, above its value at the restart %d plus the %d INCRs sent since", ctrKey(i), v, c.base, sent)
			}
			lastIncr[i] = v
			c.acked.Add(1)
			for {
				m := c.maxAcked.Load()
				if v <= m || c.maxAcked.CompareAndSwap(m, v) {
					break
				}
			}
			w.acked["incr"]++

		case r < 70: // RPUSH
			seq := len(w.elems)
			w.elems = append(w.elems, sMaybe)
			n, err := w.rdb.RPush(ctx, listKey(w.id), elemVal(w.id, seq)).Result()
			if err != nil {
				fail("RPUSH "+listKey(w.id), err)
				return
			}
			listLen++
			if n != listLen {
				w.failf("RPUSH %s replied length %d, want %d", listKey(w.id), n, listLen)
				listLen = n
			}
			w.elems[seq] = sAcked
			w.acked["rpush"]++

		case r < 87: // HSET of a new field
			seq := len(w.fields)
			w.fields = append(w.fields, sMaybe)
			n, err := w.rdb.HSet(ctx, hashKey(w.id), fieldName(seq), fieldVal(w.id, seq)).Result()
			if err != nil {
				fail("HSET "+hashKey(w.id), err)
				return
			}
			if n != 1 {
				w.failf("HSET %s %s (a new field) replied %d", hashKey(w.id), fieldName(seq), n)
			}
			w.fields[seq] = sAcked
			w.acked["hset"]++

		default: // MULTI SET ta SET tb INCR tx:count RPUSH tl EXEC
			t := len(w.txs)
			w.txs = append(w.txs, sMaybe)
			var push *redis.IntCmd
			var cnt *redis.IntCmd
			_, err := w.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, txKeyA(w.id, t), txValA(w.id, t), 0)
				p.Set(ctx, txKeyB(w.id, t), txValB(w.id, t), 0)
				cnt = p.Incr(ctx, txCountKey)
				push = p.RPush(ctx, txLogKey(w.id), txLogVal(t))
				return nil
			})
			if err != nil {
				fail("MULTI/EXEC", err)
				return
			}
			txlogLen++
			if push.Val() != txlogLen {
				w.failf("RPUSH %s in EXEC replied length %d, want %d", txLogKey(w.id), push.Val(), txlogLen)
				txlogLen = push.Val()
			}
			if cnt.Val() <= w.db.txCount {
				w.failf("INCR %s in EXEC replied %d, below its value at the restart %d", txCountKey, cnt.Val(), w.db.txCount)
			}
			w.txs[t] = sAcked
			w.acked["multi"]++
		}
	}
}
