//go:build linux

package procs

import (
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// defaultProcs puts GOMAXPROCS back to the runtime's default, which the watcher
// restores, for the test (go test -cpu N sets it), and returns it; the setting before
// comes back after the test.
func defaultProcs(t *testing.T) int {
	prev := runtime.GOMAXPROCS(0)
	runtime.SetDefaultGOMAXPROCS()
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	return runtime.GOMAXPROCS(0)
}

// waitProcs waits until GOMAXPROCS is want.
func waitProcs(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.GOMAXPROCS(0) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: GOMAXPROCS %d, want %d", what, runtime.GOMAXPROCS(0), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRaisedWhileFaultsCome: a fault raises GOMAXPROCS to High, it stays there while
// faults keep coming, and the default comes back Hold after the last one.
func TestRaisedWhileFaultsCome(t *testing.T) {
	base := defaultProcs(t)
	var faults atomic.Int64
	var changes atomic.Int32
	w := &Watcher{High: base + 3, Every: time.Millisecond, Hold: 100 * time.Millisecond,
		Faults: faults.Load, Changed: func(int, bool) { changes.Add(1) }}
	w.Start()
	defer w.Stop()
	time.Sleep(20 * time.Millisecond)
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("no fault yet: GOMAXPROCS %d, want %d", got, base)
	}
	faults.Add(1)
	waitProcs(t, base+3, "after a fault")
	last := time.Now()
	for i := 0; i < 10; i++ { // faults every 20 ms: well within Hold each time
		time.Sleep(20 * time.Millisecond)
		// Checked only when the last fault is well within Hold: a loaded machine may
		// sleep longer than asked, and then lowering is right.
		if got := runtime.GOMAXPROCS(0); got != base+3 && time.Since(last) < 80*time.Millisecond {
			t.Fatalf("faults still coming: GOMAXPROCS %d, want %d", got, base+3)
		}
		faults.Add(1)
		last = time.Now()
	}
	waitProcs(t, base, "once faults stop")
	if held := time.Since(last); held < 90*time.Millisecond {
		t.Fatalf("GOMAXPROCS came back %v after the last fault; Hold is 100ms", held)
	}
	deadline := time.Now().Add(5 * time.Second)
	for changes.Load() < 2 && time.Now().Before(deadline) { // told just after the change
		time.Sleep(time.Millisecond)
	}
	if n := changes.Load(); n != 2 {
		t.Fatalf("%d changes told, want 2 (raised once, lowered once)", n)
	}
}

// TestStopGivesBackTheDefault: stopping a raised watcher restores the default.
func TestStopGivesBackTheDefault(t *testing.T) {
	base := defaultProcs(t)
	var faults atomic.Int64
	w := &Watcher{High: base + 2, Every: time.Millisecond, Hold: time.Hour, Faults: faults.Load}
	w.Start()
	faults.Add(1)
	waitProcs(t, base+2, "after a fault")
	w.Stop()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("after Stop: GOMAXPROCS %d, want %d", got, base)
	}
}

// TestMajfltCountsRealFaults reads a file through mmap after dropping it from the page
// cache: each touched page is a major fault, and the watcher, reading the process's
// own count, raises GOMAXPROCS.
func TestMajfltCountsRealFaults(t *testing.T) {
	// On disk, next to the test: a tmpfs file cannot leave the page cache.
	dir, err := os.MkdirTemp(".", "faults-")
	if err != nil {
		t.Skipf("no room for a file on disk next to the test: %v", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cold")
	const size = 16 << 20
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	for off := 0; off < size; off += len(buf) {
		if _, err := f.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	const fadvDontneed = 4 // POSIX_FADV_DONTNEED
	if _, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, size, fadvDontneed, 0, 0); e != 0 {
		t.Fatal(e)
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	if err := syscall.Madvise(m, syscall.MADV_RANDOM); err != nil { // as bbolt does: no read-ahead
		t.Fatal(err)
	}

	base := defaultProcs(t)
	w := &Watcher{High: base + 2, Every: time.Millisecond, Hold: time.Hour}
	w.Start()
	defer w.Stop()
	before := Majflt()
	sum := 0
	for off := 0; off < size; off += 1 << 20 { // one page per MiB, 16 faults
		sum += int(m[off])
	}
	if Majflt() == before {
		t.Skipf("no major fault from 16 dropped pages of %s: its file system keeps them in memory", dir)
	}
	waitProcs(t, base+2, "after real major faults")
	sink = sum
}

var sink int // keeps the reads above

// TestQuietUntilKicked: a watcher reading the count every Quiet does not see a fault
// until the next read, and Kick makes that read at once; then, for Hold after the
// kick, it reads every Every (a second fault is seen without a second kick).
func TestQuietUntilKicked(t *testing.T) {
	base := defaultProcs(t)
	var faults atomic.Int64
	w := &Watcher{High: base + 2, Every: time.Millisecond, Quiet: time.Hour, Hold: 200 * time.Millisecond,
		Faults: faults.Load}
	w.Start()
	defer w.Stop()
	faults.Add(1)
	time.Sleep(50 * time.Millisecond)
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("quiet, no kick: GOMAXPROCS %d, want %d (the count was read before Quiet)", got, base)
	}
	Kick()
	waitProcs(t, base+2, "after a kick")
	waitProcs(t, base, "Hold after the fault")
	// Within Hold of a kick the count is read every Every: the next fault raises again.
	Kick()
	time.Sleep(20 * time.Millisecond) // the kick's own read happens first, with no fault
	faults.Add(1)
	waitProcs(t, base+2, "a fault within Hold of a kick, not kicked again")
}
