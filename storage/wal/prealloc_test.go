package wal

import (
	"bytes"
	"os"
	"testing"
	"time"
)

// TestPreallocation: the active segment runs ahead of its frames with synced zeros; a
// copy taken while the log is open (what a kill leaves) opens with every frame and the
// zeros cut; a closed log, and every segment but the last, end with their last frame.
func TestPreallocation(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentSize = 64 << 10 // a few rotations
	l := mustOpen(t, opts)
	appendSeq(t, l, 3000)
	deadline := time.Now().Add(5 * time.Second)
	var active []byte
	for time.Now().Before(deadline) {
		paths := segmentPaths(t, dir)
		b, err := os.ReadFile(paths[len(paths)-1])
		if err != nil {
			t.Fatal(err)
		}
		if active = b; len(b) > int(l.off.Load()) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(active) <= int(l.off.Load()) {
		t.Fatalf("the active segment holds %d bytes, its frames %d: nothing preallocated", len(active), l.off.Load())
	}
	if tail := active[l.off.Load():]; bytes.ContainsFunc(tail, func(r rune) bool { return r != 0 }) {
		t.Fatal("the preallocated tail is not zeros")
	}
	paths := segmentPaths(t, dir)
	if len(paths) < 3 {
		t.Fatalf("%d segments; the test needs rotations", len(paths))
	}
	for _, p := range paths[:len(paths)-1] {
		if offs, size := frameOffsets(t, p); len(offs) == 0 || size == 0 {
			t.Fatalf("%s: no frames", p)
		}
	}
	killed := copyDir(t, dir) // the files as a kill leaves them: zeros after the frames
	mustClose(t, l)
	for _, p := range segmentPaths(t, dir) {
		b, _ := os.ReadFile(p)
		offs, size := frameOffsets(t, p)
		if size != int64(len(b)) || (len(offs) > 0 && bytes.HasSuffix(b, make([]byte, 64))) {
			t.Errorf("%s after Close: %d bytes, a zero tail left", p, len(b))
		}
	}
	reopened := mustOpen(t, testOptions(killed))
	checkReplay(t, reopened, 1, 3000)
	appendSeq(t, reopened, 1)
	mustClose(t, reopened)
	again := mustOpen(t, testOptions(killed))
	defer mustClose(t, again)
	checkReplay(t, again, 1, 3001)
}

// TestPreallocationOnlyUnderSyncAlways: a log writes zeros ahead of its frames only when
// it syncs after every batch, and only once a frame is written: opening a log, or
// appending under EverySec or None, leaves the active segment ending with its frames.
func TestPreallocationOnlyUnderSyncAlways(t *testing.T) {
	for _, mode := range []SyncMode{SyncAlways, SyncEverySec, SyncNone} {
		dir := t.TempDir()
		opts := testOptions(dir)
		opts.Sync = mode
		l := mustOpen(t, opts)
		if mode != SyncAlways {
			appendSeq(t, l, 100)
		}
		time.Sleep(100 * time.Millisecond) // the extender, were it kicked, has run by now
		path := segmentPaths(t, dir)[0]
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != l.off.Load() {
			t.Fatalf("mode %d: the segment holds %d bytes, its frames %d: zeros written ahead", mode, fi.Size(), l.off.Load())
		}
		if mode == SyncAlways {
			appendSeq(t, l, 1)
			deadline := time.Now().Add(5 * time.Second)
			for fi, _ := os.Stat(path); fi.Size() <= l.off.Load(); fi, _ = os.Stat(path) {
				if time.Now().After(deadline) {
					t.Fatal("SyncAlways: nothing preallocated after the first frame")
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		mustClose(t, l)
	}
}
