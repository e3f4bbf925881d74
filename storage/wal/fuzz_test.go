package wal

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	fuzzOnce  sync.Once
	fuzzFiles map[string][]byte // a valid log of fuzzFrames frames over several segments
)

const fuzzFrames = 24

func fuzzTemplate(t testing.TB) map[string][]byte {
	fuzzOnce.Do(func() {
		dir, err := os.MkdirTemp("", "walfuzz")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		opts := fuzzOptions(dir, RecoverFail)
		l := mustOpen(t, opts)
		appendSeq(t, l, fuzzFrames)
		mustClose(t, l)
		fuzzFiles = snapshot(t, dir)
	})
	return fuzzFiles
}

func fuzzOptions(dir string, mode RecoverMode) Options {
	opts := testOptions(dir)
	opts.SegmentSize = 400
	opts.Recover = mode
	return opts
}

// FuzzWALOpen damages a valid log as the input says, four bytes per change: which file,
// an offset (two bytes), and a byte to XOR there (0: cut the file there instead). Open
// must return an error or a log holding a prefix of what was written, which then takes an
// append and reopens cleanly.
func FuzzWALOpen(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 40, 1})    // first frame's header
	f.Add([]byte{0, 0, 100, 0})   // cut the first segment
	f.Add([]byte{1, 0, 5, 0xff})  // second segment's header
	f.Add([]byte{3, 0, 60, 0x10}) // a frame in a later segment
	f.Add([]byte{9, 0, 32, 0})    // the last segment down to its header
	f.Add([]byte{0, 0, 20, 1, 9, 1, 0, 0})
	f.Fuzz(func(t *testing.T, input []byte) {
		files := fuzzTemplate(t)
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, name)
		}
		sortStrings(names)
		dir := t.TempDir()
		data := map[string][]byte{}
		for name, b := range files {
			data[name] = append([]byte(nil), b...)
		}
		if len(input) > 64 {
			input = input[:64]
		}
		for ; len(input) >= 4; input = input[4:] {
			name := names[int(input[0])%len(names)]
			b := data[name]
			if len(b) == 0 {
				continue
			}
			off := int(binary.BigEndian.Uint16(input[1:])) % len(b)
			if input[3] == 0 {
				data[name] = b[:off]
			} else {
				b[off] ^= input[3]
			}
		}
		for name, b := range data {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		mode := RecoverFail
		if len(input) > 0 && input[0]&1 == 1 {
			mode = RecoverTruncate
		}
		opts := fuzzOptions(dir, mode)
		l, err := Open(opts)
		if err != nil {
			return
		}
		got := replayAll(t, l)
		for i, r := range got {
			if r.seq != uint64(i+1) || !equalParts(r.parts, partsFor(r.seq)) {
				t.Fatalf("replayed frame %d has seq %d and parts %v: not a prefix", i, r.seq, r.parts)
			}
		}
		kept := uint64(len(got))
		if kept > fuzzFrames || l.NextSeq() != kept+1 {
			t.Fatalf("kept %d frames, NextSeq %d", kept, l.NextSeq())
		}
		appendSeq(t, l, 1)
		mustClose(t, l)
		l = mustOpen(t, fuzzOptions(dir, RecoverFail))
		defer mustClose(t, l)
		checkReplay(t, l, 1, kept+1)
	})
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
