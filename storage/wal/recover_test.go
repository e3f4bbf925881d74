package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLog writes n frames with partsFor content, one at a time under opts.Sync (so under
// SyncAlways each frame's durable field covers its predecessor), and closes the log.
func writeLog(t *testing.T, opts Options, n int) {
	t.Helper()
	l := mustOpen(t, opts)
	appendSeq(t, l, n)
	mustClose(t, l)
}

// reopenAndAppend checks that a recovered log replays frames 1..kept, takes a new frame
// as kept+1, and still holds all of them after another reopen.
func reopenAndAppend(t *testing.T, opts Options, kept uint64) {
	t.Helper()
	l := mustOpen(t, opts)
	if got := l.Stats().FramesAtOpen; got != kept {
		t.Errorf("FramesAtOpen %d, want %d", got, kept)
	}
	checkReplay(t, l, 1, kept)
	if got := l.NextSeq(); got != kept+1 {
		t.Fatalf("NextSeq %d, want %d", got, kept+1)
	}
	appendSeq(t, l, 1)
	mustClose(t, l)
	l = mustOpen(t, opts)
	defer mustClose(t, l)
	checkReplay(t, l, 1, kept+1)
}

func TestTornTail(t *testing.T) {
	src := t.TempDir()
	writeLog(t, testOptions(src), 10)
	path := segmentPaths(t, src)[0]
	offs, size := frameOffsets(t, path)
	last := offs[9]
	for _, tc := range []struct {
		name string
		cut  int64
		kept uint64
	}{
		{"at frame boundary", last, 9},
		{"one byte of header", last + 1, 9},
		{"mid header", last + 20, 9},
		{"header less a byte", last + frameHeaderSize - 1, 9},
		{"whole header only", last + frameHeaderSize, 9},
		{"mid body", last + frameHeaderSize + 3, 9},
		{"body MAC less a byte", size - 1, 9},
		{"frame 7 cut, 8 to 10 gone", offs[6] + 50, 6},
		{"only the segment header", segHeaderSize, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, src)
			p := filepath.Join(dir, filepath.Base(path))
			if err := os.Truncate(p, tc.cut); err != nil {
				t.Fatal(err)
			}
			reopenAndAppend(t, testOptions(dir), tc.kept)
		})
	}
}

func TestZeroFilledTail(t *testing.T) {
	src := t.TempDir()
	writeLog(t, testOptions(src), 10)
	path := segmentPaths(t, src)[0]
	offs, size := frameOffsets(t, path)
	t.Run("zeros after the last frame", func(t *testing.T) {
		dir := copyDir(t, src)
		p := filepath.Join(dir, filepath.Base(path))
		appendBytes(t, p, make([]byte, 4096))
		reopenAndAppend(t, testOptions(dir), 10)
	})
	t.Run("last frame zeroed in place", func(t *testing.T) {
		dir := copyDir(t, src)
		p := filepath.Join(dir, filepath.Base(path))
		data, _ := os.ReadFile(p)
		clear(data[offs[9]:size])
		os.WriteFile(p, data, 0o600)
		reopenAndAppend(t, testOptions(dir), 9)
	})
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestTornTailLogged(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, testOptions(dir), 3)
	path := segmentPaths(t, dir)[0]
	offs, _ := frameOffsets(t, path)
	os.Truncate(path, offs[2]+7)
	var logBuf bytes.Buffer
	opts := testOptions(dir)
	opts.Logger = newTextLogger(&logBuf)
	l := mustOpen(t, opts)
	mustClose(t, l)
	out := logBuf.String()
	for _, want := range []string{"torn tail", path, fmt.Sprintf("offset=%d", offs[2]), "wal: opened", "frames=2", "scan="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestCorruption(t *testing.T) {
	src := t.TempDir()
	writeLog(t, testOptions(src), 20)
	path := segmentPaths(t, src)[0]
	offs, _ := frameOffsets(t, path)
	for _, tc := range []struct {
		name   string
		flip   int64
		reason string
	}{
		{"body byte", offs[12] + frameHeaderSize + 2, "frame fails its MAC"},
		{"body MAC byte", offs[13] - 1, "frame fails its MAC"},
		{"header seq byte", offs[12] + 15, "frame header fails its MAC"},
		{"header length byte", offs[12] + 7, "frame header fails its MAC"},
		{"magic", offs[12], "frame has no frame magic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, src)
			p := filepath.Join(dir, filepath.Base(path))
			flipByte(t, p, tc.flip)
			before := snapshot(t, dir)
			_, err := Open(testOptions(dir))
			var ce *CorruptionError
			if !errors.As(err, &ce) {
				t.Fatalf("Open: %v, want a CorruptionError", err)
			}
			want := fmt.Sprintf("wal: %s offset %d: %s; frames that were durable follow it "+
				"(corruption, not a torn tail); start with --wal-recover=truncate to keep the 12 frames before it",
				p, offs[12], tc.reason)
			if err.Error() != want {
				t.Fatalf("error\n %s\nwant\n %s", err, want)
			}
			if !equalSnapshots(before, snapshot(t, dir)) {
				t.Fatal("a failed Open changed the files")
			}
			opts := testOptions(dir)
			opts.Recover = RecoverTruncate
			reopenAndAppend(t, opts, 12)
		})
	}
}

func equalSnapshots(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestDamageFollowedByNonDurableFramesIsTorn(t *testing.T) {
	// Under SyncNone no frame records a sync, so damage followed only by such frames may
	// be a crash that reordered page writes: a torn tail, cut without error.
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.Sync = SyncNone
	writeLog(t, opts, 10)
	path := segmentPaths(t, dir)[0]
	offs, _ := frameOffsets(t, path)
	flipByte(t, path, offs[7]+frameHeaderSize+1)
	reopenAndAppend(t, opts, 7)
}

func TestSplicedFrameIsCorruption(t *testing.T) {
	// A frame cut out of the middle leaves an authentic frame with the wrong seq where the
	// missing one should be: no crash does that, so it is corruption even with no sync
	// recorded after it.
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.Sync = SyncNone
	writeLog(t, opts, 10)
	path := segmentPaths(t, dir)[0]
	offs, _ := frameOffsets(t, path)
	data, _ := os.ReadFile(path)
	data = append(data[:offs[4]:offs[4]], data[offs[5]:]...)
	os.WriteFile(path, data, 0o600)
	_, err := Open(opts)
	if err == nil || !strings.Contains(err.Error(), "frame has seq 6, expected 5") {
		t.Fatalf("Open: %v", err)
	}
	opts.Recover = RecoverTruncate
	reopenAndAppend(t, opts, 4)
}

func multiSegmentLog(t *testing.T, n int) (string, Options, []string) {
	t.Helper()
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentSize = 300
	writeLog(t, opts, n)
	paths := segmentPaths(t, dir)
	if len(paths) < 4 {
		t.Fatalf("only %d segments", len(paths))
	}
	return dir, opts, paths
}

func TestCorruptionInEarlierSegment(t *testing.T) {
	dir, opts, paths := multiSegmentLog(t, 40)
	// Damage the last frame of the second segment: later segments prove it was durable.
	offs, _ := frameOffsets(t, paths[1])
	flipByte(t, paths[1], offs[len(offs)-1]+frameHeaderSize)
	first, _ := parseSegmentName(filepath.Base(paths[1]))
	kept := first - 1 + uint64(len(offs)-1)
	_, err := Open(opts)
	want := fmt.Sprintf("wal: %s offset %d: frame fails its MAC", paths[1], offs[len(offs)-1])
	if err == nil || !strings.HasPrefix(err.Error(), want) ||
		!strings.HasSuffix(err.Error(), fmt.Sprintf("keep the %d frames before it", kept)) {
		t.Fatalf("Open: %v\nwant %s…", err, want)
	}
	opts.Recover = RecoverTruncate
	reopenAndAppend(t, opts, kept)
	if got := segmentPaths(t, dir); len(got) != 2 {
		t.Fatalf("segments after recovery: %v, want the first two", got)
	}
}

func TestMissingSegment(t *testing.T) {
	_, opts, paths := multiSegmentLog(t, 40)
	os.Remove(paths[2])
	_, err := Open(opts)
	if err == nil || !strings.Contains(err.Error(), paths[3]+" offset 0: segment starts at seq") {
		t.Fatalf("Open: %v", err)
	}
}

func TestSegmentHeaderDamage(t *testing.T) {
	t.Run("middle segment", func(t *testing.T) {
		_, opts, paths := multiSegmentLog(t, 40)
		flipByte(t, paths[1], 20)
		_, err := Open(opts)
		if err == nil || !strings.Contains(err.Error(), paths[1]+" offset 0: segment header fails its MAC") {
			t.Fatalf("Open: %v", err)
		}
		first, _ := parseSegmentName(filepath.Base(paths[1]))
		opts.Recover = RecoverTruncate
		reopenAndAppend(t, opts, first-1)
	})
	t.Run("last segment with frames", func(t *testing.T) {
		_, opts, paths := multiSegmentLog(t, 40)
		flipByte(t, paths[len(paths)-1], 3)
		if _, err := Open(opts); err == nil || !strings.Contains(err.Error(), "segment header has no segment magic") {
			t.Fatalf("Open: %v", err)
		}
	})
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"empty file", func(t *testing.T, p string) { os.Truncate(p, 0) }},
		{"partial header", func(t *testing.T, p string) { os.Truncate(p, 11) }},
		{"zeroed header", func(t *testing.T, p string) { os.WriteFile(p, make([]byte, segHeaderSize), 0o600) }},
		{"bad MAC, no frames", func(t *testing.T, p string) { os.Truncate(p, segHeaderSize); flipByte(t, p, 30) }},
	} {
		t.Run("last segment torn: "+tc.name, func(t *testing.T) {
			dir, opts, paths := multiSegmentLog(t, 40)
			p := paths[len(paths)-1]
			tc.damage(t, p)
			first, _ := parseSegmentName(filepath.Base(p))
			reopenAndAppend(t, opts, first-1)
			if got := segmentPaths(t, dir); len(got) != len(paths) {
				t.Fatalf("segments %v", got)
			}
		})
	}
}

func TestWrongKey(t *testing.T) {
	for _, n := range []int{0, 1, 40} {
		for _, mode := range []RecoverMode{RecoverFail, RecoverTruncate} {
			t.Run(fmt.Sprintf("%d frames mode %d", n, mode), func(t *testing.T) {
				dir := t.TempDir()
				opts := testOptions(dir)
				opts.SegmentSize = 300
				writeLog(t, opts, n)
				before := snapshot(t, dir)
				opts.Key = bytes.Repeat([]byte{1}, 32)
				opts.Recover = mode
				_, err := Open(opts)
				if !errors.Is(err, ErrWrongKey) || !strings.HasPrefix(err.Error(), "wal: frames do not check under this key") {
					t.Fatalf("Open with the wrong key: %v", err)
				}
				if !equalSnapshots(before, snapshot(t, dir)) {
					t.Fatal("Open with the wrong key changed the files")
				}
				opts.Key = testKey()
				l := mustOpen(t, opts)
				defer mustClose(t, l)
				checkReplay(t, l, 1, uint64(n))
			})
		}
	}
}

func TestErrorsDoNotEchoKey(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, testOptions(dir), 3)
	key := []byte("0123456789abcdef0123456789abcdef")
	opts := testOptions(dir)
	opts.Key = key
	_, err := Open(opts)
	if err == nil || strings.Contains(err.Error(), string(key)) || strings.Contains(err.Error(), fmt.Sprintf("%x", key)) {
		t.Fatalf("Open: %v", err)
	}
}

func TestStrayFilesIgnored(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, testOptions(dir), 3)
	for _, name := range []string{"notes.txt", "0000000000000001.wal.tmp", "000000000000000G.wal", "1.wal"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600)
	}
	reopenAndAppend(t, testOptions(dir), 3)
}

func TestReplayNoticesChangedFile(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, testOptions(dir))
	defer mustClose(t, l)
	appendSeq(t, l, 5)
	path := segmentPaths(t, dir)[0]
	offs, _ := frameOffsets(t, path)
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte{0xff}, offs[2]+frameHeaderSize+1)
	f.Close()
	err := l.Replay(func(uint64, []Part) error { return nil })
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", offs[2])) {
		t.Fatalf("Replay of a changed file: %v", err)
	}
	stop := errors.New("stop")
	if err := l.Replay(func(uint64, []Part) error { return stop }); err != stop {
		t.Fatalf("Replay did not return fn's error: %v", err)
	}
}
