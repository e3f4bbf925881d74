package storage_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

// zBenchSize members, scores 0…n-1 (distinct), flushed to the file so reads walk bbolt:
// a million, as the sorted sets of a leaderboard or a delayed-job queue can hold.
const zBenchSize = 1_000_000

func zBenchEnv(b *testing.B) *env {
	e := benchEnv(b)
	for start := 0; start < zBenchSize; start += 10_000 {
		if err := e.db.Update(func(tx *storage.Tx) error {
			ms := make([]storage.ZMember, 0, 10_000)
			for i := start; i < start+10_000; i++ {
				ms = append(ms, storage.ZMember{Member: fmt.Appendf(nil, "member-%07d", i), Score: float64(i)})
			}
			_, _, _, err := tx.ZAdd([]byte("z"), storage.ZAddFlags{}, ms)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	e.reopen()
	return e
}

func zBenchView(b *testing.B, e *env, f func(tx *storage.Tx) error) {
	for b.Loop() {
		if err := e.db.View(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkZSet measures, on a 1,000,000-member sorted set: a range of 10 by score at a
// random place (O(log n + m)), the top 10 (reverse index), ranks near the start, the
// middle and the end (O(rank) key walks), ZSCORE (one lookup) and a ZADD of a new member.
func BenchmarkZSet(b *testing.B) {
	e := zBenchEnv(b)
	key := []byte("z")
	b.Run("rangebyscore-10", func(b *testing.B) {
		zBenchView(b, e, func(tx *storage.Tx) error {
			lo := float64(rand.IntN(zBenchSize - 10))
			_, err := tx.ZRange(key, storage.ZRangeSpec{By: storage.ZByScore, Min: storage.ScoreBound{V: lo}, Max: storage.ScoreBound{V: lo + 9}, Count: -1})
			return err
		})
	})
	b.Run("revrange-top10", func(b *testing.B) {
		zBenchView(b, e, func(tx *storage.Tx) error {
			_, err := tx.ZRange(key, storage.ZRangeSpec{Start: 0, Stop: 9, Rev: true})
			return err
		})
	})
	for _, rank := range []int{100, zBenchSize / 2, zBenchSize - 100} {
		member := fmt.Appendf(nil, "member-%07d", rank)
		b.Run(fmt.Sprintf("zrank-%d", rank), func(b *testing.B) {
			zBenchView(b, e, func(tx *storage.Tx) error { _, _, err := tx.ZRank(key, member, false); return err })
		})
		b.Run(fmt.Sprintf("zrange-rank-%d-10", rank), func(b *testing.B) {
			zBenchView(b, e, func(tx *storage.Tx) error {
				_, err := tx.ZRange(key, storage.ZRangeSpec{Start: int64(rank), Stop: int64(rank + 9)})
				return err
			})
		})
	}
	b.Run("zscore", func(b *testing.B) {
		zBenchView(b, e, func(tx *storage.Tx) error {
			_, _, err := tx.ZScore(key, fmt.Appendf(nil, "member-%07d", rand.IntN(zBenchSize)))
			return err
		})
	})
	b.Run("zadd-new", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if err := e.db.Update(func(tx *storage.Tx) error {
				_, _, _, err := tx.ZAdd(key, storage.ZAddFlags{}, []storage.ZMember{{Member: fmt.Appendf(nil, "new-%d", i), Score: rand.Float64() * zBenchSize}})
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
