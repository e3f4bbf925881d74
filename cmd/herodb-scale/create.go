package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxCreateErrors stops the creation early: past it the run measures a broken server.
const maxCreateErrors = 1000

// tenths is how many equal parts of N the create rate is reported in.
const tenths = 10

// dbOptions is createDatabase's config with every HeroDB field null: no name, so N
// creates never conflict.
func dbOptions() map[string]any {
	return map[string]any{"name": nil, "storage_path": nil, "max_size": nil, "redis_version": nil}
}

// sliceStat is the state of the server when the creates passed one more tenth of N.
type sliceStat struct {
	done int           // databases attempted so far (created or failed)
	at   time.Duration // since the first create
	rss  int64
	anon int64 // RssAnon: RSS without mapped files (DB 0's map is dropped every 5 s)
	fds  int
}

// createResult is what the creation phase measured.
type createResult struct {
	ids      []uint64
	elapsed  time.Duration
	attempts int
	errs     map[string]int
	nerrs    int
	stopped  bool // stopped early: too many errors
	bulk     int  // databases per call actually used
	bulkNote string
	slices   []sliceStat
}

// detectBulk tries herodb_createDatabases once with count 1, as issue 14 item 5 may
// add it. It returns the created id (that database counts toward N) or why not.
func (s *server) detectBulk() ([]uint64, error) {
	var ids []uint64
	err := s.call("herodb_createDatabases", []any{1, dbOptions()}, &ids)
	return ids, err
}

// createOne is one RPC call that creates k databases (k > 1: createDatabases).
func (s *server) createOne(k int) ([]uint64, error) {
	if k == 1 {
		var id uint64
		if err := s.call("herodb_createDatabase", []any{"bbolt", dbOptions(), nil}, &id); err != nil {
			return nil, err
		}
		return []uint64{id}, nil
	}
	var ids []uint64
	if err := s.call("herodb_createDatabases", []any{k, dbOptions()}, &ids); err != nil {
		return nil, err
	}
	if len(ids) != k {
		return ids, fmt.Errorf("createDatabases(%d) returned %d ids", k, len(ids))
	}
	return ids, nil
}

// creator is the shared state of the workers creating databases.
type creator struct {
	s        *server
	n        int
	done     atomic.Int64 // databases attempted
	nerrs    atomic.Int64
	t0       time.Time
	mu       sync.Mutex
	ids      []uint64
	errs     map[string]int
	slices   []sliceStat
	nextMark int // the next slice boundary to record
}

// create makes cfg.n databases from cfg.workers concurrent RPC clients, K per call
// when -bulk asks for it and the server has createDatabases. It never stops at the
// first error: errors are counted by message, and only past maxCreateErrors does it
// stop, reporting that.
func (s *server) create(cfg *config) *createResult {
	r := &createResult{bulk: 1}
	c := &creator{s: s, n: cfg.n, errs: map[string]int{}, nextMark: 1}
	if cfg.bulk > 1 {
		if ids, err := s.detectBulk(); err != nil {
			r.bulkNote = "herodb_createDatabases unavailable, one createDatabase per call: " + clip(err.Error(), 120)
		} else {
			r.bulk = cfg.bulk
			r.bulkNote = fmt.Sprintf("herodb_createDatabases, %d per call", cfg.bulk)
			c.ids = append(c.ids, ids...)
			c.done.Add(int64(len(ids)))
		}
	}
	remaining := cfg.n - int(c.done.Load())
	work := make(chan int)
	var wg sync.WaitGroup
	c.t0 = time.Now()
	for range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				ids, err := s.createOne(k)
				c.record(k, ids, err)
			}
		}()
	}
	for remaining > 0 && c.nerrs.Load() <= maxCreateErrors {
		k := min(r.bulk, remaining)
		work <- k
		remaining -= k
	}
	close(work)
	wg.Wait()
	r.elapsed = time.Since(c.t0)
	r.ids, r.errs, r.slices = c.ids, c.errs, c.slices
	r.attempts, r.nerrs = int(c.done.Load()), int(c.nerrs.Load())
	r.stopped = remaining > 0
	sort.Slice(r.ids, func(i, j int) bool { return r.ids[i] < r.ids[j] })
	return r
}

// record counts one call's outcome and, when the count passes a tenth of N, samples the
// server (time, RSS, open files) so a slowdown or a leak as N grows shows in the report.
func (c *creator) record(k int, ids []uint64, err error) {
	done := int(c.done.Add(int64(k)))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids = append(c.ids, ids...)
	if err != nil {
		c.nerrs.Add(int64(k - len(ids)))
		c.errs[errorKind(err)] += k - len(ids)
	}
	for c.nextMark <= tenths && done >= c.nextMark*c.n/tenths {
		st := sliceStat{done: c.nextMark * c.n / tenths, at: time.Since(c.t0)}
		st.rss, st.anon, st.fds = procRSS(c.s.pid()), procAnon(c.s.pid()), procFDs(c.s.pid())
		c.slices = append(c.slices, st)
		rates := sliceRates(c.slices)
		fmt.Printf("  %3d%%: %d databases after %v, %.0f/s in this tenth, RSS %s (anonymous %s), %d open files, %d errors\n",
			c.nextMark*100/tenths, st.done, st.at.Round(time.Millisecond), rates[len(rates)-1], mib(st.rss), mib(st.anon), st.fds, c.nerrs.Load())
		c.nextMark++
	}
}

// errorKind is an error's message as one short line, the key errors are counted by.
func errorKind(err error) string {
	return clip(strings.ReplaceAll(err.Error(), "\n", " "), 200)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
