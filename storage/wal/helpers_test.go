package wal

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func testKey() []byte { return bytes.Repeat([]byte{0x5a}, 32) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testOptions(dir string) Options {
	return Options{Dir: dir, Key: testKey(), Sync: SyncAlways, Logger: quiet()}
}

func mustOpen(t testing.TB, opts Options) *Log {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func mustClose(t testing.TB, l *Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// partsFor is the content the tests give frame seq, so any frame can be checked by its seq
// alone. It varies the part count (including none), the database ids and the sizes.
func partsFor(seq uint64) []Part {
	parts := make([]Part, seq%4)
	for i := range parts {
		parts[i] = Part{
			DB:   seq*7 + uint64(i)<<40,
			Data: bytes.Repeat([]byte(fmt.Sprintf("%d/%d;", seq, i)), int(seq%5)*i),
		}
	}
	return parts
}

// appendSeq appends n frames one at a time, waiting for each, checking each gets the
// next seq.
func appendSeq(t testing.TB, l *Log, n int) {
	t.Helper()
	for range n {
		want := l.NextSeq()
		seq, wait := l.Append(partsFor(want))
		if seq != want {
			t.Fatalf("Append got seq %d, want %d", seq, want)
		}
		if err := wait(); err != nil {
			t.Fatalf("wait for %d: %v", seq, err)
		}
	}
}

type replayed struct {
	seq   uint64
	parts []Part
}

func replayAll(t testing.TB, l *Log) []replayed {
	t.Helper()
	var got []replayed
	if err := l.Replay(func(seq uint64, parts []Part) error {
		got = append(got, replayed{seq, parts})
		return nil
	}); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return got
}

func equalParts(a, b []Part) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].DB != b[i].DB || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

// checkReplay checks that l replays exactly the frames first..last, with partsFor's content.
func checkReplay(t testing.TB, l *Log, first, last uint64) {
	t.Helper()
	got := replayAll(t, l)
	if want := int(last + 1 - first); len(got) != want {
		t.Fatalf("replayed %d frames, want %d (%d..%d)", len(got), want, first, last)
	}
	for i, r := range got {
		if r.seq != first+uint64(i) {
			t.Fatalf("frame %d has seq %d, want %d", i, r.seq, first+uint64(i))
		}
		if !equalParts(r.parts, partsFor(r.seq)) {
			t.Fatalf("frame %d: parts differ: %v", r.seq, r.parts)
		}
	}
}

func segmentPaths(t testing.TB, dir string) []string {
	t.Helper()
	files, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.path)
	}
	return paths
}

// frameOffsets returns where each frame of a segment file starts, and the file's size,
// by walking the lengths in the (trusted) headers the test wrote.
func frameOffsets(t testing.TB, path string) ([]int64, int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for off := segHeaderSize; off < len(data); {
		offs = append(offs, int64(off))
		n := frameOverhead + int(uint32(data[off+4])<<24|uint32(data[off+5])<<16|uint32(data[off+6])<<8|uint32(data[off+7]))
		off += n
	}
	return offs, int64(len(data))
}

// snapshot reads every file in dir, to show that an Open changed nothing.
func snapshot(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

func flipByte(t testing.TB, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x40
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies a log directory, so one written log can be damaged several ways.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	for name, b := range snapshot(t, src) {
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
