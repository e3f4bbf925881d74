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
