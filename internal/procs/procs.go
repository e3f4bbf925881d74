// Package procs raises GOMAXPROCS while the process takes major page faults.
//
// herodb reads its bbolt files through mmap. A read of a page that is not in memory
// (a database not used for a while, DB 0's registration of a tenant opened for the
// first time, pages the kernel reclaimed) is a major fault: the thread waits for the
// disk. Go does not see that wait, as it sees a blocking system call, so the thread
// keeps its P (one of GOMAXPROCS) the whole time, and with two CPUs two such faults
// stop every connection on the node. Measured with 1,000,000 databases on two CPUs,
// about one major fault per cold open: a new connection's SELECT + first SET went from
// p99 24 ms + 41 ms to 5 ms + 7 ms with GOMAXPROCS 8. Always running more Ps than CPUs
// costs warm loads 3-10% (more threads taking turns on the CPUs: GET -P 16), so the
// Ps are raised only while faults come, and the runtime's default comes back once
// they stop. The first faults of a burst still hold their Ps (the watcher itself needs
// one to run, and the change waits for every P); it is the ones after them, within the
// hold, that find Ps free.
//
// The count is read often only around opens (Kick) and while raised. Read every 10 ms
// whatever the load, it woke an idle node 100 times a second (13 ticks of CPU in 10 s
// against 2) and an idle client's SELECT + GET answered later (p50 175-234 µs against
// 165-197 µs).
package procs

import (
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

// Watcher polls the process's major fault count and sets GOMAXPROCS from it. It is
// for a process whose GOMAXPROCS is the runtime's default: lowering it again restores
// that default (and its automatic updates), not a value set in code. Start once, then
// Stop once.
type Watcher struct {
	// High is GOMAXPROCS while faults come.
	High int
	// Every is how often the count is read while raised or within Hold of a Kick;
	// Quiet how often otherwise (0: Every); Hold how long GOMAXPROCS stays High after
	// the last fault.
	Every, Quiet, Hold time.Duration
	// Faults returns the process's major faults so far (Majflt by default).
	Faults func() int64
	// Changed, when set, is told of each change (for the log).
	Changed func(procs int, raised bool)

	stop, done chan struct{}
}

// MaxHigh is the most Ps a watcher raises GOMAXPROCS to. Each P costs memory of its own
// (a run queue, caches) whether used or not, and the runtime keeps the count in 32 bits:
// a larger number is a mistake, never a setting.
const MaxHigh = 1024

// Default is the watcher herodb serve runs: GOMAXPROCS four times what it is now (at
// least 8, at most MaxHigh) until 2 s after the last fault, the count read every 10 ms
// around opens and while raised, else every second.
func Default() *Watcher {
	return &Watcher{High: min(max(4*runtime.GOMAXPROCS(0), 8), MaxHigh), Every: 10 * time.Millisecond,
		Quiet: time.Second, Hold: 2 * time.Second}
}

var (
	// kicks wakes a watcher reading the count every Quiet; one pending kick is enough.
	kicks = make(chan struct{}, 1)
	// lastKick is when Kick was last called (UnixNano), quiet whether the watcher is
	// reading every Quiet: only then does a kick wake it.
	lastKick atomic.Int64
	quiet    atomic.Bool
)

// Kick tells the watcher that faults may come now (a database's file or registration
// is about to be read, perhaps for the first time in a while): it reads the count every
// Every until Hold after the last kick. Cheap enough for every open (an atomic store;
// a channel send only when the watcher is quiet), and a no-op with no watcher.
func Kick() {
	lastKick.Store(time.Now().UnixNano())
	if quiet.Load() {
		select {
		case kicks <- struct{}{}:
		default:
		}
	}
}

// Fixed reports whether the operator set GOMAXPROCS in the environment, which the
// watcher then leaves alone.
func Fixed() bool { return os.Getenv("GOMAXPROCS") != "" }

// Start runs the watcher until Stop.
func (w *Watcher) Start() {
	if w.Faults == nil {
		w.Faults = Majflt
	}
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go w.run(w.Faults())
}

// Stop ends the watcher and gives GOMAXPROCS back to the runtime's default.
func (w *Watcher) Stop() {
	close(w.stop)
	<-w.done
}

// run polls from last, the count when Start was called.
func (w *Watcher) run(last int64) {
	defer close(w.done)
	slow := w.Quiet
	if slow <= 0 {
		slow = w.Every
	}
	quiet.Store(true)
	defer quiet.Store(false)
	t := time.NewTimer(slow)
	defer t.Stop()
	raised := false
	var lastFault time.Time
	for {
		var now time.Time
		select {
		case <-w.stop:
			if raised {
				runtime.SetDefaultGOMAXPROCS()
			}
			return
		case <-kicks:
			now = time.Now()
		case now = <-t.C:
		}
		n := w.Faults()
		switch {
		case n > last:
			lastFault = now
			if !raised {
				runtime.GOMAXPROCS(w.High)
				raised = true
				w.tell(w.High, true)
			}
		case raised && now.Sub(lastFault) >= w.Hold:
			runtime.SetDefaultGOMAXPROCS()
			raised = false
			w.tell(runtime.GOMAXPROCS(0), false)
		}
		last = n
		next := slow
		if raised || now.Sub(time.Unix(0, lastKick.Load())) < w.Hold {
			next = w.Every
		}
		quiet.Store(next == slow && slow != w.Every)
		t.Stop()
		t.Reset(next)
	}
}

func (w *Watcher) tell(procs int, raised bool) {
	if w.Changed != nil {
		w.Changed(procs, raised)
	}
}
