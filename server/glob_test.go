package server_test

// Regression tests for finding 7 of issue 11: glob matching took time exponential in the
// number of stars (one 60-byte key and KEYS *a*a*a*a*a*a*a*b ran for 21 s, ×8 for each
// further *a; CVE-2022-36021 in Redis). KEYS, SCAN MATCH and HSCAN MATCH share
// storage.Match. With ten *a these would not finish within the test run's timeout if the
// matcher were still exponential; no time is asserted.

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

func TestGlobHostilePatterns(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	key := strings.Repeat("a", 60)
	hostile := strings.Repeat("*a", 10) + "*b"
	tNoErr(t, "SET", rdb.Set(tCtx, key, "v", 0).Err())
	tNoErr(t, "HSET", rdb.HSet(tCtx, "h", key, "v").Err())

	keys, err := rdb.Keys(tCtx, hostile).Result()
	tNoErr(t, "KEYS", err)
	tEq(t, "KEYS "+hostile, keys, []string{})

	found, cur, err := rdb.Scan(tCtx, 0, hostile, 1000).Result()
	tNoErr(t, "SCAN", err)
	tEq(t, "SCAN MATCH "+hostile, found, []string{})
	tEq(t, "SCAN cursor", cur, 0)

	pairs, cur, err := rdb.HScan(tCtx, "h", 0, hostile, 1000).Result()
	tNoErr(t, "HSCAN", err)
	tEq(t, "HSCAN MATCH "+hostile, pairs, []string{})
	tEq(t, "HSCAN cursor", cur, 0)

	// the same shape that does match: the answer, not only the time, is right
	matching := strings.Repeat("*a", 10) + "*"
	keys, err = rdb.Keys(tCtx, matching).Result()
	tNoErr(t, "KEYS", err)
	tEq(t, "KEYS "+matching, keys, []string{key})
	found, _, err = rdb.Scan(tCtx, 0, matching, 1000).Result()
	tNoErr(t, "SCAN", err)
	tEq(t, "SCAN MATCH "+matching, found, []string{key})
	pairs, _, err = rdb.HScan(tCtx, "h", 0, matching, 1000).Result()
	tNoErr(t, "HSCAN", err)
	tEq(t, "HSCAN MATCH "+matching, pairs, []string{key, "v"})
}

// KEYS answers as redis-server does for random patterns over the bytes the glob syntax
// gives a meaning to (classes, ranges, escapes, unclosed brackets, bytes above 0x7f),
// on a key set that includes the empty key.
func TestGlobKeysAsRedis(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	r, h := tDial(t, raddr), tSelected(t, srv.Addr(), db)
	r.do("FLUSHALL")
	const patBytes, keyBytes = "ab*?[]^-\\\x00\xff\x01\x90", "ab-]^\\*?[\x00\xff\x01\x90"
	rnd := rand.New(rand.NewPCG(11, 7))
	gen := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(b)
	}
	keys := map[string]bool{"": true}
	for len(keys) < 300 {
		keys[gen(keyBytes, 1+rnd.IntN(6))] = true
	}
	for k := range keys {
		r.do("SET", k, "1")
		if got := h.do("SET", k, "1"); got != tOK {
			t.Fatalf("SET %q: %q", k, got)
		}
	}
	for range 2000 {
		p := gen(patBytes, 1+rnd.IntN(8))
		r.send("KEYS", p)
		h.send("KEYS", p)
		want, err := r.readReply()
		tNoErr(t, "redis KEYS", err)
		got, err := h.readReply()
		tNoErr(t, "herodb KEYS", err)
		if tSortedArray(got) != tSortedArray(want) {
			t.Fatalf("KEYS %q:\n  redis:  %q\n  herodb: %q", p, tSortedArray(want), tSortedArray(got))
		}
	}
}
