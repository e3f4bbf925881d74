package server

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// The memory bound of a running script. gopher-lua has no allocation hook, so what a
// script allocates with .. or by growing a table cannot be counted as it happens.
// Instead the run's watchdog (the goroutine that already stops it when the server
// closes) reads the process's live heap every few milliseconds and stops the run once
// the heap has grown past Config.ScriptMemory since the run began: its caller gets
// errScriptMemory, and the server and every other client go on.
//
// The measure is the process's, not the script's: the live heap as the garbage
// collector last found it (runtime/metrics' /gc/heap/live:bytes, read without stopping
// the world), over the lowest it was during the run. Between collections the watchdog
// also reads the heap's objects, garbage included (/memory/classes/heap/objects:bytes):
// once they pass the bound it runs a collection to learn what is live, so a stop comes
// within a collection of the growth, not whenever the next would have come (at twice
// the heap, with GOGC=100). Whatever else the process retained meanwhile (other
// clients' writes waiting in the write buffer, other scripts) counts against the run
// too, and a Go function that allocates in one call (a concatenation, table.concat)
// is stopped only after it returns. The bound is meant to stop a runaway, not to meter
// a script.

// defaultScriptMemory is the bound when Config.ScriptMemory is 0.
const defaultScriptMemory = 512 << 20

// scriptMemoryEvery is how often the watchdog reads the heap.
const scriptMemoryEvery = 5 * time.Millisecond

// stopMemory is why a run stopped when it grew the heap past the bound.
const stopMemory = "memory"

// scriptMemoryLimit is the server's bound in bytes, 0 for none.
func (s *Server) scriptMemoryLimit() uint64 {
	switch n := s.cfg.ScriptMemory; {
	case n < 0:
		return 0
	case n == 0:
		return defaultScriptMemory
	default:
		return uint64(n)
	}
}

// heapLive is the process's live heap as of the last garbage collection, and
// heapObjects the bytes of its heap objects now, garbage not yet swept included.
func heapLive() uint64 { return readMetric("/gc/heap/live:bytes") }

func heapObjects() uint64 { return readMetric("/memory/classes/heap/objects:bytes") }

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// watch is a run's watchdog: it stops the run when the server closes or, with a
// bound, when the live heap has grown past the bound over the lowest it was since the
// run began; it returns when the run ends (done).
func (rc *scriptRun) watch(stopping, done <-chan struct{}, limit uint64) {
	var tick <-chan time.Time
	var base, objMin uint64
	if limit > 0 {
		base, objMin = heapLive(), heapObjects()
		t := time.NewTicker(scriptMemoryEvery)
		defer t.Stop()
		tick = t.C
	}
	over := func() bool {
		live := heapLive()
		base = min(base, live)
		return live-base > limit
	}
	var collecting atomic.Bool // a collection this watchdog asked for is under way
	for {
		select {
		case <-stopping:
			rc.stop(stopShutdown)
			return
		case <-done:
			return
		case <-tick:
			objects := heapObjects()
			objMin = min(objMin, objects)
			if !over() && objects > base+limit && collecting.CompareAndSwap(false, true) {
				// The objects may be garbage: learn what is live, beside the ticks. Waited
				// for here, the collection held the four-bound check below for as long as
				// it took (its sweep, and a stop of the world that waits for a copy of a
				// huge string to end), while the string doubled on: make test saw a
				// doubling string after a write outrun it past 60 s.
				go func() {
					runtime.GC()
					collecting.Store(false)
				}()
			}
			// A collection that cannot keep up (a heap of gigabytes, a string doubled
			// faster than a collection ends) must not let the run outgrow its bound by
			// more than a few times: past four bounds of objects more than the fewest
			// seen during the run it stops, live or not. (Counted from the live heap
			// instead, the garbage a run stopped just before left behind stopped the next
			// run at its first tick.)
			if over() || objects-objMin > 4*limit {
				rc.stop(stopMemory)
				return
			}
		}
	}
}
