package crashtest

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"slices"

	"github.com/redis/go-redis/v9"
)

// verifier checks one database after a restart, through a client's replies, and
// resolves every write in flight at the kill to stored or not.
type verifier struct {
	ctx     context.Context
	c       *redis.Client
	db      *dbModel
	rng     *mrand.Rand
	errs    []string
	applied int // writes in flight at the kill found stored
}

const maxErrs = 100

func (v *verifier) failf(format string, args ...any) {
	if len(v.errs) < maxErrs {
		v.errs = append(v.errs, fmt.Sprintf("db %d: ", v.db.id)+fmt.Sprintf(format, args...))
	}
}

func short(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%s…(%d bytes)", s[:40], len(s))
	}
	return s
}

func (v *verifier) run(full bool) {
	for _, w := range v.db.workers {
		v.strings(w, full)
		v.list(w, full)
		v.hash(w, full)
		v.txs(w, full)
	}
	v.counters()
	if v.ctx.Err() != nil || len(v.errs) > 0 {
		return
	}
	n, err := v.c.DBSize(v.ctx).Result()
	if err != nil {
		v.failf("DBSIZE: %v", err)
	} else if want := v.db.expectedSize(); n != want {
		v.failf("DBSIZE is %d, want %d (the keys acknowledged or seen stored)", n, want)
	}
}

// toCheck is this cycle's seqs [from, n), or all of them, plus a sample of older ones.
func (v *verifier) toCheck(from, n int, full bool) []int {
	var seqs []int
	if full {
		from = 0
	} else {
		for i := 0; i < 32 && from > 0; i++ {
			seqs = append(seqs, v.rng.IntN(from))
		}
		slices.Sort(seqs)
		seqs = slices.Compact(seqs)
	}
	for i := from; i < n; i++ {
		seqs = append(seqs, i)
	}
	return seqs
}

// resolve checks one write against what the server answered (stored: the right value;
// absent: nil) and updates its state.
func (v *verifier) resolve(st *state, what string, got any, want string) {
	var stored bool
	switch g := got.(type) {
	case nil:
	case string:
		if g != want {
			v.failf("%s holds %q, want %q", what, short(g), short(want))
			return
		}
		stored = true
	default:
		v.failf("%s: unexpected reply %T %v", what, got, got)
		return
	}
	switch {
	case stored && *st == sAbsent:
		v.failf("%s reappeared: it was absent after an earlier restart and never written again", what)
	case stored && *st == sMaybe:
		*st = sPresent
		v.applied++
	case stored:
		*st = sPresent
	case *st == sAcked:
		v.failf("%s was acknowledged and is missing", what)
	case *st == sPresent:
		v.failf("%s, stored after an earlier restart, is missing", what)
	case *st == sMaybe:
		*st = sAbsent
	}
}

// mget reads keys in chunks.
func (v *verifier) mget(keys []string) ([]any, error) {
	var out []any
	for len(keys) > 0 {
		n := min(len(keys), 256)
		vals, err := v.c.MGet(v.ctx, keys[:n]...).Result()
		if err != nil {
			return nil, err
		}
		if len(vals) != n {
			return nil, fmt.Errorf("MGET of %d keys answered %d values", n, len(vals))
		}
		out = append(out, vals...)
		keys = keys[n:]
	}
	return out, nil
}

func (v *verifier) strings(w *worker, full bool) {
	seqs := v.toCheck(w.setFrom, len(w.sets), full)
	keys := make([]string, len(seqs))
	for i, s := range seqs {
		keys[i] = setKey(w.id, s)
	}
	vals, err := v.mget(keys)
	if err != nil {
		v.failf("MGET: %v", err)
		return
	}
	for i, s := range seqs {
		v.resolve(&w.sets[s], "SET "+keys[i], vals[i], setVal(w.id, s))
	}
}

func (v *verifier) hash(w *worker, full bool) {
	key := hashKey(w.id)
	seqs := v.toCheck(w.fieldFrom, len(w.fields), full)
	for len(seqs) > 0 {
		chunk := seqs[:min(len(seqs), 256)]
		seqs = seqs[len(chunk):]
		names := make([]string, len(chunk))
		for i, s := range chunk {
			names[i] = fieldName(s)
		}
		vals, err := v.c.HMGet(v.ctx, key, names...).Result()
		if err != nil || len(vals) != len(chunk) {
			v.failf("HMGET %s of %d fields: %d values, %v", key, len(chunk), len(vals), err)
			return
		}
		for i, s := range chunk {
			v.resolve(&w.fields[s], "HSET "+key+" "+names[i], vals[i], fieldVal(w.id, s))
		}
	}
	var want int64
	for _, s := range w.fields {
		if s.must() {
			want++
		}
	}
	if n, err := v.c.HLen(v.ctx, key).Result(); err != nil || n != want {
		v.failf("HLEN %s is %d (%v), want %d", key, n, err, want)
	}
	w.hashLen = want
}

// list checks l:<w>: the elements stored before this cycle (all of them when full, else
// the last one), then this cycle's tail: every acknowledged element once, in order, and
// nothing but elements sent.
func (v *verifier) list(w *worker, full bool) {
	key := listKey(w.id)
	var old []string // the elements stored before this cycle
	for s := 0; s < w.elemFrom; s++ {
		if w.elems[s].must() {
			old = append(old, elemVal(w.id, s))
		}
	}
	if int64(len(old)) != w.listLen {
		v.failf("harness: list %s model has %d elements, %d recorded", key, len(old), w.listLen)
		return
	}
	start := int64(len(old))
	if full {
		start = 0
	} else if len(old) > 0 {
		got, err := v.c.LIndex(v.ctx, key, int64(len(old)-1)).Result()
		if err != nil || got != old[len(old)-1] {
			v.failf("LINDEX %s %d is %q (%v), want %q", key, len(old)-1, short(got), err, short(old[len(old)-1]))
			return
		}
	}
	got, err := v.c.LRange(v.ctx, key, start, -1).Result()
	if err != nil {
		v.failf("LRANGE %s %d -1: %v", key, start, err)
		return
	}
	if full {
		for i, want := range old {
			if i >= len(got) || got[i] != want {
				g := "nothing"
				if i < len(got) {
					g = fmt.Sprintf("%q", short(got[i]))
				}
				v.failf("list %s, element %d (stored before this cycle): %s, want %q", key, i, g, short(want))
				return
			}
		}
		got = got[len(old):]
	}
	next := w.elemFrom // the first seq not yet accounted for
	for i, e := range got {
		s := elemSeq(w.id, e)
		if s < next || s >= len(w.elems) {
			v.failf("list %s, element %d: %q was never sent, or is out of order or twice (expected one of the elements from e%d.%d)",
				key, int(start)+i, short(e), w.id, next)
			return
		}
		for ; next < s; next++ { // skipped: must not have been acknowledged
			v.resolve(&w.elems[next], fmt.Sprintf("RPUSH %s %s", key, short(elemVal(w.id, next))), nil, "")
		}
		v.resolve(&w.elems[s], "RPUSH "+key+" "+short(e), e, e)
		next = s + 1
	}
	for ; next < len(w.elems); next++ {
		v.resolve(&w.elems[next], fmt.Sprintf("RPUSH %s %s", key, short(elemVal(w.id, next))), nil, "")
	}
	want := int64(len(old))
	for _, s := range w.elems[w.elemFrom:] {
		if s.must() {
			want++
		}
	}
	if n, err := v.c.LLen(v.ctx, key).Result(); err != nil || n != want {
		v.failf("LLEN %s is %d (%v), want %d", key, n, err, want)
	}
	w.listLen = want
}

// txs checks the transactions: both SETs or neither (all for an acknowledged one), the
// transaction log tl:<w> holds exactly the ones stored.
func (v *verifier) txs(w *worker, full bool) {
	seqs := v.toCheck(w.txFrom, len(w.txs), full)
	keys := make([]string, 0, 2*len(seqs))
	for _, t := range seqs {
		keys = append(keys, txKeyA(w.id, t), txKeyB(w.id, t))
	}
	vals, err := v.mget(keys)
	if err != nil {
		v.failf("MGET: %v", err)
		return
	}
	for i, t := range seqs {
		a, b := vals[2*i], vals[2*i+1]
		if (a == nil) != (b == nil) {
			v.failf("MULTI/EXEC %d of writer %d is half-applied: GET %s is %v, GET %s is %v (acknowledged: %v)",
				t, w.id, keys[2*i], a != nil, keys[2*i+1], b != nil, w.txs[t] == sAcked)
			return
		}
		if a != nil && (a != any(txValA(w.id, t)) || b != any(txValB(w.id, t))) {
			v.failf("MULTI/EXEC %d of writer %d: GET %s is %q, GET %s is %q, want %q and %q", t, w.id,
				keys[2*i], short(fmt.Sprint(a)), keys[2*i+1], short(fmt.Sprint(b)), short(txValA(w.id, t)), short(txValB(w.id, t)))
			return
		}
		var stored any
		if a != nil {
			stored = "stored"
		}
		v.resolve(&w.txs[t], fmt.Sprintf("MULTI/EXEC %d (%s, %s)", t, keys[2*i], keys[2*i+1]), stored, "stored")
	}
	// The log: exactly the transactions stored, in order.
	key := txLogKey(w.id)
	var wantLog []string
	from := w.txFrom
	if full {
		from = 0
	}
	var total int64
	for t, s := range w.txs {
		if s.must() {
			total++
			if t >= from {
				wantLog = append(wantLog, txLogVal(t))
			}
		}
	}
	start := total - int64(len(wantLog))
	got, err := v.c.LRange(v.ctx, key, start, -1).Result()
	if err != nil {
		v.failf("LRANGE %s: %v", key, err)
		return
	}
	if !slices.Equal(got, wantLog) {
		v.failf("the transaction log %s from %d is %v, want %v (every transaction stored, once, in order)", key, start, clip(got), clip(wantLog))
	}
	if n, err := v.c.LLen(v.ctx, key).Result(); err != nil || n != total {
		v.failf("LLEN %s is %d (%v), want %d (the transactions stored)", key, n, err, total)
	}
	w.txlogLen = total
}

func clip(xs []string) []string {
	if len(xs) > 12 {
		return append(slices.Clone(xs[:12]), fmt.Sprintf("…%d in all", len(xs)))
	}
	return xs
}

func (v *verifier) counters() {
	for i, c := range v.db.ctrs {
		key := ctrKey(i)
		n, err := v.c.Get(v.ctx, key).Int64()
		if err == redis.Nil {
			n, err = 0, nil
		}
		if err != nil {
			v.failf("GET %s: %v", key, err)
			continue
		}
		sent, acked, maxAcked := c.sent.Load(), c.acked.Load(), c.maxAcked.Load()
		switch {
		case n < maxAcked:
			v.failf("counter %s is %d, below its highest acknowledged INCR reply %d", key, n, maxAcked)
		case n < c.base+acked:
			v.failf("counter %s is %d: %d before the cycle and %d INCRs acknowledged since", key, n, c.base, acked)
		case n > c.base+sent:
			v.failf("counter %s is %d: above %d before the cycle plus the %d INCRs sent since", key, n, c.base, sent)
		}
		v.applied += int(max(0, n-c.base-acked))
		c.base = n
		c.sent.Store(0)
		c.acked.Store(0)
		c.maxAcked.Store(0)
	}
	// tx:count: INCRed once by every transaction stored.
	var want int64
	for _, w := range v.db.workers {
		for _, s := range w.txs {
			if s.must() {
				want++
			}
		}
	}
	n, err := v.c.Get(v.ctx, txCountKey).Int64()
	if err == redis.Nil {
		n, err = 0, nil
	}
	if err != nil || n != want {
		v.failf("GET %s is %d (%v), want %d: the transactions stored", txCountKey, n, err, want)
	}
	v.db.txCount = want
}
