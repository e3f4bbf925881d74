package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestConcurrentAppendReplay(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, testOptions(dir))
	const writers, each = 16, 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	want := map[uint64][]Part{}
	for g := range writers {
		wg.Go(func() {
			var prev uint64
			for i := range each {
				parts := []Part{{DB: uint64(g), Data: fmt.Appendf(nil, "%d/%d", g, i)}, {DB: 99}}
				seq, wait := l.Append(parts)
				if seq <= prev {
					t.Errorf("seq %d after %d in one goroutine", seq, prev)
				}
				prev = seq
				if err := wait(); err != nil {
					t.Errorf("wait %d: %v", seq, err)
				}
				if d := l.Stats().DurableSeq; d < seq {
					t.Errorf("SyncAlways wait returned with durable %d < %d", d, seq)
				}
				mu.Lock()
				if want[seq] != nil {
					t.Errorf("seq %d given twice", seq)
				}
				want[seq] = parts
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	const total = writers * each
	st := l.Stats()
	if st.Appended != total || st.NextSeq != total+1 {
		t.Fatalf("stats %+v, want %d appended", st, total)
	}
	if st.Fsyncs >= total {
		t.Errorf("%d fsyncs for %d concurrent frames: no group commit", st.Fsyncs, total)
	}
	t.Logf("%d frames, %d fsyncs", total, st.Fsyncs)
	check := func(l *Log) {
		got := replayAll(t, l)
		if len(got) != total {
			t.Fatalf("replayed %d, want %d", len(got), total)
		}
		for i, r := range got {
			if r.seq != uint64(i+1) || !equalParts(r.parts, want[r.seq]) {
				t.Fatalf("frame %d: seq %d parts %v, want %v", i, r.seq, r.parts, want[r.seq])
			}
		}
	}
	check(l)
	mustClose(t, l)
	l = mustOpen(t, testOptions(dir))
	defer mustClose(t, l)
	if st := l.Stats(); st.FramesAtOpen != total {
		t.Errorf("FramesAtOpen %d, want %d", st.FramesAtOpen, total)
	}
	check(l)
}

func TestConcurrentAppendContent(t *testing.T) {
	// Frames of varied content from many goroutines come back with the content each
	// goroutine appended under the seq it was given.
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentSize = 4096
	l := mustOpen(t, opts)
	var wg sync.WaitGroup
	var mu sync.Mutex
	want := map[uint64][]Part{}
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				parts := partsFor(uint64(g*1000 + i))
				seq, wait := l.Append(parts)
				if err := wait(); err != nil {
					t.Error(err)
				}
				mu.Lock()
				want[seq] = parts
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	mustClose(t, l)
	l = mustOpen(t, opts)
	defer mustClose(t, l)
	got := replayAll(t, l)
	if len(got) != len(want) {
		t.Fatalf("replayed %d, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.seq != uint64(i+1) || !equalParts(r.parts, want[r.seq]) {
			t.Fatalf("frame %d (seq %d) differs", i, r.seq)
		}
	}
	if n := len(segmentPaths(t, dir)); n < 2 {
		t.Errorf("%d segments, want rotation", n)
	}
}

func TestReopenContinuesSeq(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, testOptions(dir))
	if got := l.NextSeq(); got != 1 {
		t.Fatalf("new log NextSeq %d, want 1", got)
	}
	appendSeq(t, l, 5)
	mustClose(t, l)
	l = mustOpen(t, testOptions(dir))
	if got := l.NextSeq(); got != 6 {
		t.Fatalf("reopened NextSeq %d, want 6", got)
	}
	if st := l.Stats(); st.FramesAtOpen != 5 || st.OpenScan <= 0 || st.Segments != 1 || st.Bytes <= segHeaderSize {
		t.Fatalf("Stats after reopen: %+v", st)
	}
	appendSeq(t, l, 3)
	checkReplay(t, l, 1, 8)
	// Replay can run more than once.
	checkReplay(t, l, 1, 8)
	mustClose(t, l)
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentSize = 300
	l := mustOpen(t, opts)
	appendSeq(t, l, 40)
	paths := segmentPaths(t, dir)
	if len(paths) < 4 {
		t.Fatalf("%d segments after 40 frames of 300-byte segments", len(paths))
	}
	if st := l.Stats(); st.Segments != len(paths) {
		t.Errorf("Stats.Segments %d, files %d", st.Segments, len(paths))
	}
	checkReplay(t, l, 1, 40)
	mustClose(t, l)

	// Each file is named for its first frame, and no frame spans two files.
	var next uint64 = 1
	for _, p := range paths {
		first, ok := parseSegmentName(filepath.Base(p))
		if !ok || first != next {
			t.Fatalf("%s: want first seq %d", p, next)
		}
		offs, _ := frameOffsets(t, p)
		if len(offs) == 0 {
			t.Fatalf("%s holds no frame", p)
		}
		if last := offs[len(offs)-1]; last >= int64(opts.SegmentSize) && len(offs) > 1 {
			t.Errorf("%s: a frame starts at %d, past the segment size", p, last)
		}
		next += uint64(len(offs))
	}
	l = mustOpen(t, opts)
	defer mustClose(t, l)
	checkReplay(t, l, 1, 40)
	appendSeq(t, l, 1)
}

func TestTruncate(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentSize = 300
	l := mustOpen(t, opts)
	appendSeq(t, l, 40)
	before := l.Stats()
	l.mu.Lock()
	segs := append([]segment(nil), l.segs...)
	l.mu.Unlock()
	// Truncate(k) where k is the first seq of the third segment deletes the first two.
	if err := l.Truncate(segs[2].first); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Segments != before.Segments-2 {
		t.Fatalf("%d segments after truncation, want %d", st.Segments, before.Segments-2)
	}
	for _, s := range segs[:2] {
		if _, err := os.Stat(s.path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there: %v", s.path, err)
		}
	}
	// One seq short of a segment's end keeps it.
	if err := l.Truncate(segs[3].first - 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(segs[2].path); err != nil {
		t.Errorf("segment holding seq %d deleted by Truncate(%d)", segs[3].first-1, segs[3].first-1)
	}
	checkReplay(t, l, segs[2].first, 40)

	// Truncating everything keeps the active segment.
	if err := l.Truncate(1 << 62); err != nil {
		t.Fatal(err)
	}
	active := segs[len(segs)-1]
	if paths := segmentPaths(t, dir); len(paths) != 1 || paths[0] != active.path {
		t.Fatalf("after truncating everything: %v, want only %s", paths, active.path)
	}
	// Every frame is held elsewhere, so Close retires them: one empty segment named for
	// the next seq is left, and nothing replays.
	mustClose(t, l)
	if paths := segmentPaths(t, dir); len(paths) != 1 || filepath.Base(paths[0]) != segmentName(41) {
		t.Fatalf("after a close with every frame held: %v, want only %s", paths, segmentName(41))
	}
	l = mustOpen(t, opts)
	if got := l.NextSeq(); got != 41 {
		t.Fatalf("NextSeq %d after truncation and reopen, want 41", got)
	}
	checkReplay(t, l, 41, 40)
	appendSeq(t, l, 1)
	mustClose(t, l)
}

// TestCloseKeepsFramesNotHeld: Close retires the log only when Truncate was told every
// frame is held elsewhere; a bound short of the last frame keeps them all, across
// reopens, and a later full bound empties it.
func TestCloseKeepsFramesNotHeld(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	l := mustOpen(t, opts)
	appendSeq(t, l, 10)
	if err := l.Truncate(10); err != nil { // frame 10 is not held
		t.Fatal(err)
	}
	mustClose(t, l)
	l = mustOpen(t, opts)
	checkReplay(t, l, 1, 10)
	appendSeq(t, l, 2)
	mustClose(t, l) // no Truncate since the reopen: nothing said held
	l = mustOpen(t, opts)
	checkReplay(t, l, 1, 12)
	if err := l.Truncate(13); err != nil {
		t.Fatal(err)
	}
	mustClose(t, l)
	if paths := segmentPaths(t, dir); len(paths) != 1 || filepath.Base(paths[0]) != segmentName(13) {
		t.Fatalf("segments %v, want only %s", paths, segmentName(13))
	}
	l = mustOpen(t, opts)
	checkReplay(t, l, 13, 12)
	if got := l.NextSeq(); got != 13 {
		t.Fatalf("NextSeq %d, want 13", got)
	}
	appendSeq(t, l, 1)
	mustClose(t, l)
	l = mustOpen(t, opts)
	checkReplay(t, l, 13, 13)
	mustClose(t, l)
}

func TestHighWaterMarkOfEmptySegment(t *testing.T) {
	// An active segment with no frame left (its frames torn away) and every older segment
	// truncated: the next seq continues from its header, never from 1.
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentSize = 300
	l := mustOpen(t, opts)
	appendSeq(t, l, 20)
	if err := l.Truncate(1 << 62); err != nil {
		t.Fatal(err)
	}
	mustClose(t, l)
	paths := segmentPaths(t, dir)
	if len(paths) != 1 {
		t.Fatalf("segments %v", paths)
	}
	first, _ := parseSegmentName(filepath.Base(paths[0]))
	if err := os.Truncate(paths[0], segHeaderSize+5); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, opts)
	if got := l.NextSeq(); got != first || first <= 1 {
		t.Fatalf("NextSeq %d, want the header's %d", got, first)
	}
	appendSeq(t, l, 2)
	mustClose(t, l)
	l = mustOpen(t, opts)
	defer mustClose(t, l)
	checkReplay(t, l, first, first+1)
}

func TestTruncateConcurrentWithAppend(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentSize = 512
	opts.Sync = SyncNone
	l := mustOpen(t, opts)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { appendSeqConcurrent(t, l, 200) })
	}
	stop := make(chan struct{})
	truncs := make(chan error, 1)
	go func() {
		var err error
		for {
			select {
			case <-stop:
				truncs <- err
				return
			default:
			}
			if e := l.Truncate(l.NextSeq() / 2); e != nil {
				err = e
			}
		}
	}()
	wg.Wait()
	close(stop)
	if err := <-truncs; err != nil {
		t.Fatal(err)
	}
	next := l.NextSeq()
	mustClose(t, l)
	l = mustOpen(t, opts)
	defer mustClose(t, l)
	if l.NextSeq() != next {
		t.Fatalf("NextSeq %d after reopen, want %d", l.NextSeq(), next)
	}
	got := replayAll(t, l)
	if len(got) == 0 || got[len(got)-1].seq != next-1 {
		t.Fatalf("replay does not end at %d", next-1)
	}
}

func appendSeqConcurrent(t *testing.T, l *Log, n int) {
	for range n {
		_, wait := l.Append([]Part{{DB: 1, Data: make([]byte, 40)}})
		if err := wait(); err != nil {
			t.Error(err)
			return
		}
	}
}

func TestWaitDurable(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.Sync = SyncNone
	l := mustOpen(t, opts)
	defer mustClose(t, l)
	seq, wait := l.Append(partsFor(1))
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if st.DurableSeq >= seq || st.Fsyncs != 0 {
		t.Fatalf("SyncNone synced by itself: %+v", st)
	}
	if err := l.WaitDurable(seq); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.DurableSeq < seq || st.Fsyncs != 1 {
		t.Fatalf("after WaitDurable: %+v", st)
	}
	if err := l.WaitDurable(seq); err != nil {
		t.Fatal(err)
	}
	if err := l.WaitDurable(l.NextSeq()); err == nil {
		t.Fatal("WaitDurable of a seq not yet appended succeeded")
	}
	// WaitDurable of a frame not written yet writes and syncs it.
	seq, _ = l.Append(partsFor(2))
	if err := l.WaitDurable(seq); err != nil {
		t.Fatal(err)
	}
}

func TestSyncEverySec(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.Sync = SyncEverySec
	l := mustOpen(t, opts)
	defer mustClose(t, l)
	seq, wait := l.Append(partsFor(1))
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().DurableSeq < seq {
		if time.Now().After(deadline) {
			t.Fatal("SyncEverySec did not sync within 5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCloseSyncs(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.Sync = SyncNone
	l := mustOpen(t, opts)
	for i := uint64(1); i <= 10; i++ {
		l.Append(partsFor(i)) // not waiting: Close must still write them
	}
	mustClose(t, l)
	if st := l.Stats(); st.DurableSeq != 10 {
		t.Fatalf("durable %d after Close, want 10", st.DurableSeq)
	}
	if _, wait := l.Append(nil); !errors.Is(wait(), ErrClosed) {
		t.Fatal("Append after Close did not fail with ErrClosed")
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	l = mustOpen(t, opts)
	defer mustClose(t, l)
	checkReplay(t, l, 1, 10)
}

func TestFailClosed(t *testing.T) {
	l := mustOpen(t, testOptions(t.TempDir()))
	appendSeq(t, l, 2)
	// Pull the file out from under the writer: the next write fails.
	l.f.Close()
	_, wait := l.Append(partsFor(3))
	err := wait()
	if err == nil {
		t.Fatal("write to a closed file succeeded")
	}
	if _, wait := l.Append(partsFor(4)); !errors.Is(wait(), err) && wait().Error() != err.Error() {
		t.Fatalf("Append after failure: %v, want %v", wait(), err)
	}
	if e := l.WaitDurable(3); e == nil {
		t.Fatal("WaitDurable after failure succeeded")
	}
	if e := l.Close(); e == nil {
		t.Fatal("Close after failure reported no error")
	}
}

func TestOpenOptions(t *testing.T) {
	dir := t.TempDir()
	for _, opts := range []Options{
		{Dir: dir, Key: make([]byte, 16)},
		{Key: testKey()},
		{Dir: dir, Key: testKey(), SegmentSize: -1},
		{Dir: dir, Key: testKey(), Sync: 7},
	} {
		if l, err := Open(opts); err == nil {
			l.Close()
			t.Errorf("Open(%+v) succeeded", opts)
		}
	}
}

func TestPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wal")
	l := mustOpen(t, testOptions(dir))
	appendSeq(t, l, 1)
	mustClose(t, l)
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, %v", fi.Mode(), err)
	}
	for _, p := range segmentPaths(t, dir) {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v, %v", p, fi.Mode(), err)
		}
	}
}

func TestAppendAllocations(t *testing.T) {
	l := mustOpen(t, testOptions(t.TempDir()))
	defer mustClose(t, l)
	parts := []Part{{DB: 3, Data: make([]byte, 100)}}
	// Encoding a frame allocates nothing of its own: all that is left is the batch (shared
	// by every frame in it) when the writer has already taken the previous one.
	allocs := testing.AllocsPerRun(200, func() {
		_, wait := l.Append(parts)
		wait()
	})
	if allocs > 5 {
		t.Errorf("%.1f allocations per Append+wait", allocs)
	}
}

func TestOpenTwiceRefused(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, testOptions(dir))
	if l2, err := Open(testOptions(dir)); err == nil {
		l2.Close()
		t.Fatal("a second Open of an open log succeeded")
	}
	mustClose(t, l)
	mustClose(t, mustOpen(t, testOptions(dir)))
}

func TestAppendTooLarge(t *testing.T) {
	l := mustOpen(t, testOptions(t.TempDir()))
	defer mustClose(t, l)
	// Never touched, so the OS commits no memory for it.
	big := make([]byte, 512<<20)
	seq, wait := l.Append([]Part{{Data: big}, {Data: big}, {Data: big}})
	if seq != 0 || !errors.Is(wait(), ErrFrameTooLarge) {
		t.Fatalf("Append of 1.5 GiB: seq %d, %v", seq, wait())
	}
	if got := l.NextSeq(); got != 1 {
		t.Fatalf("a refused frame used seq: NextSeq %d", got)
	}
	appendSeq(t, l, 1)
}
