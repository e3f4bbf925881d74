package server

// SORT and SORT_RO: https://redis.io/docs/latest/commands/sort/. BY and GET patterns name
// keys of the selected database only (a pattern is substituted and looked up in the same
// transaction), so a tenant never reads another database through them.

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

func sortCommands() {
	register("generic",
		k1(&command{name: "sort", arity: -2, flags: flagWrite, run: sortCmd,
			syntax:  "SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]",
			summary: "The elements of a list, set or sorted set, sorted (or stored sorted as a list).",
			differs: "BY and GET patterns name keys of the selected database only. ALPHA compares bytes (Redis uses the C library's collation, bytes in the C locale)."}),
		k1(&command{name: "sort_ro", arity: -2, flags: flagRead, run: sortCmd,
			syntax:  "SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]",
			summary: "SORT without STORE, for read-only access."}),
	)
}

// sortItem is one element with what it is compared by.
type sortItem struct {
	elem  []byte
	score float64
	by    []byte // ALPHA with BY: the looked-up value (nil: none)
}

// SORT key ... and SORT_RO key ...
func sortCmd(c *call) error {
	ro := c.row.name == "sort_ro"
	var by, store []byte
	var gets [][]byte
	desc, alpha, noSort := false, false, false
	offset, count := int64(0), int64(-1)
	for i := 2; i < len(c.args); i++ {
		left := len(c.args) - i - 1
		switch opt := strings.ToLower(string(c.args[i])); {
		case opt == "asc":
			desc = false
		case opt == "desc":
			desc = true
		case opt == "alpha":
			alpha = true
		case opt == "limit" && left >= 2:
			o, err1 := parseInt(c.args[i+1])
			n, err2 := parseInt(c.args[i+2])
			if err1 != nil || err2 != nil {
				c.r.err(errNotInteger)
				return nil
			}
			offset, count, i = o, n, i+2
		case opt == "store" && left >= 1 && !ro:
			store, i = c.args[i+1], i+1
		case opt == "by" && left >= 1:
			by, i = c.args[i+1], i+1
			noSort = !bytes.Contains(by, []byte("*"))
		case opt == "get" && left >= 1:
			gets, i = append(gets, c.args[i+1]), i+1
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	typ, err := c.tx.TypeOf(c.args[1])
	if err != nil {
		return c.fail(err)
	}
	var elems [][]byte
	switch typ {
	case storage.TypeNone:
	case storage.TypeList:
		elems, err = c.tx.LRange(c.args[1], 0, -1)
	case storage.TypeSet:
		elems, err = c.tx.SMembers(c.args[1])
		if noSort && store != nil {
			// A set has no order of its own: stored, it is sorted, so the result is
			// the same wherever it runs (as Redis does).
			noSort, alpha, by = false, true, nil
		}
	case storage.TypeZSet:
		var ms []storage.ZMember
		ms, err = c.tx.ZRange(c.args[1], storage.ZRangeSpec{By: storage.ZByRank, Start: 0, Stop: -1, Count: -1})
		for _, m := range ms {
			elems = append(elems, m.Member)
		}
	default:
		c.r.err(errWrongType)
		return nil
	}
	if err != nil {
		return c.fail(err)
	}
	items := make([]sortItem, len(elems))
	for i, e := range elems {
		items[i].elem = e
		if noSort {
			continue
		}
		val := e
		if by != nil {
			if val, err = sortLookup(c, by, e); err != nil {
				return c.fail(err)
			}
			if val == nil {
				continue // compared as 0, or as nothing with ALPHA
			}
		}
		if alpha {
			if by != nil {
				items[i].by = val
			}
			continue
		}
		f, err := strconv.ParseFloat(string(val), 64)
		if err != nil && !isRangeErr(err) || math.IsNaN(f) {
			c.r.err(errSortScore)
			return nil
		}
		items[i].score = f
	}
	if !noSort {
		sort.SliceStable(items, func(i, j int) bool {
			cmp := sortCompare(items[i], items[j], alpha, by != nil)
			if desc {
				return cmp > 0
			}
			return cmp < 0
		})
	} else if desc && typ != storage.TypeSet {
		// BY nosort over a list or a sorted set: its own order, reversed by DESC (as
		// Redis); a set has no order to reverse.
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	start := max(offset, 0)
	end := int64(len(items)) - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= int64(len(items)) {
		start, end = int64(len(items))-1, int64(len(items))-2
	}
	end = min(end, int64(len(items))-1)
	var out [][]byte
	var present []bool
	for j := start; j <= end; j++ {
		if gets == nil {
			out, present = append(out, items[j].elem), append(present, true)
			continue
		}
		for _, g := range gets {
			v, err := sortLookup(c, g, items[j].elem)
			if err != nil {
				return c.fail(err)
			}
			out, present = append(out, v), append(present, v != nil)
		}
	}
	if store != nil {
		had, err := c.tx.Del(store)
		if err != nil {
			return c.fail(err)
		}
		if len(out) > 0 {
			vals := make([][]byte, len(out))
			for i, v := range out {
				vals[i] = append([]byte{}, v...) // a missing GET stores ""
			}
			if _, err := c.tx.RPush(store, vals, false); err != nil {
				return c.fail(err)
			}
		}
		c.notifyStore(nfList, "sortstore", store, int64(len(out)), had)
		c.r.int(int64(len(out)))
		return nil
	}
	c.r.array(len(out))
	for i, v := range out {
		c.r.bulkOrNull(v, present[i])
	}
	return nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// sortCompare orders two items as Redis's sortCompare: numbers by score, ties by the
// elements' bytes; ALPHA by the elements, or with BY by the looked-up values (an item
// with none first).
func sortCompare(a, b sortItem, alpha, byPattern bool) int {
	switch {
	case !alpha:
		if a.score != b.score {
			if a.score > b.score {
				return 1
			}
			return -1
		}
		return bytes.Compare(a.elem, b.elem)
	case byPattern:
		switch {
		case a.by == nil && b.by == nil:
			return 0
		case a.by == nil:
			return -1
		case b.by == nil:
			return 1
		}
		return bytes.Compare(a.by, b.by)
	}
	return bytes.Compare(a.elem, b.elem)
}

// sortLookup is Redis's lookupKeyByPattern: "#" is the element itself; otherwise the
// first '*' of pattern becomes the element, and the key it names (a string, or with
// "->field" a hash's field) is read. nil when there is none.
func sortLookup(c *call, pattern, elem []byte) ([]byte, error) {
	if string(pattern) == "#" {
		return elem, nil
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, nil
	}
	key, field := pattern, []byte(nil)
	if f := bytes.Index(pattern[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pattern) {
		key, field = pattern[:star+1+f], pattern[star+1+f+2:]
	}
	name := append(append(append([]byte{}, key[:star]...), elem...), key[star+1:]...)
	typ, err := c.tx.TypeOf(name)
	if err != nil {
		return nil, err
	}
	switch {
	case field == nil && typ == storage.TypeString:
		v, _, err := c.tx.Get(name)
		return v, err
	case field != nil && typ == storage.TypeHash:
		v, ok, err := c.tx.HGet(name, field)
		if !ok {
			v = nil
		}
		return v, err
	}
	return nil, nil
}
