package wal

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
)

// RecoverMode says what Open does about a damaged frame that durable frames follow.
type RecoverMode int

const (
	// RecoverFail makes Open fail with a *CorruptionError naming the file and offset; the
	// default, because dropping frames that were acknowledged loses writes.
	RecoverFail RecoverMode = iota
	// RecoverTruncate keeps what precedes the damage, drops the rest (logged at Warn) and
	// opens: the operator's choice (--wal-recover=truncate) once they have looked.
	RecoverTruncate
)

// ErrWrongKey is returned by Open when nothing in the log authenticates under
// Options.Key: a wrong key, not damage, so nothing is cut off or deleted.
var ErrWrongKey = errors.New("wal: frames do not check under this key")

// CorruptionError is Open's error for damage that durable frames follow: a crash cannot
// explain it, so the log will not silently drop the acknowledged frames after it.
type CorruptionError struct {
	Path   string // the segment file
	Offset int64  // where the damaged frame (or header) starts
	Reason string // what check it fails
	Kept   uint64 // frames before the damage, which RecoverTruncate would keep
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("wal: %s offset %d: %s; frames that were durable follow it "+
		"(corruption, not a torn tail); start with --wal-recover=truncate to keep the %d frames before it",
		e.Path, e.Offset, e.Reason, e.Kept)
}

// scanner is Open's pass over the segments: it validates every frame, in order, and
// decides at the first damage whether it is a torn tail or corruption.
type scanner struct {
	dir    string
	m      *macer
	mode   RecoverMode
	log    *slog.Logger
	files  []segFile
	segs   []segment // segments validated so far
	frames uint64    // valid frames so far
	expect uint64    // seq the next frame must have
	have   bool      // expect is known (a segment header was accepted)
}

// recoverLog scans dir and repairs what the rules allow. It returns the retained segments
// (empty for a new log), the next seq and the number of valid frames.
func recoverLog(dir string, m *macer, mode RecoverMode, log *slog.Logger) (segs []segment, next, frames uint64, err error) {
	files, err := listSegments(dir)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(files) == 0 {
		return nil, 1, 0, nil
	}
	s := &scanner{dir: dir, m: m, mode: mode, log: log, files: files}
	for i, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("wal: %w", err)
		}
		if i == 0 && s.wrongKey(data) {
			return nil, 0, 0, fmt.Errorf("%w (in %s)", ErrWrongKey, dir)
		}
		stop, err := s.segment(i, data)
		if err != nil {
			return nil, 0, 0, err
		}
		if stop {
			break
		}
	}
	return s.segs, s.expect, s.frames, nil
}

// wrongKey reports whether the first segment's header is whole but does not verify and
// nothing anywhere in the log does: the mark of a wrong key. A torn write cannot leave a
// whole header that fails its MAC, and truncating the log for it would lose everything.
func (s *scanner) wrongKey(first []byte) bool {
	if len(first) < segHeaderSize || string(first[:len(segMagic)]) != segMagic {
		return false
	}
	if _, authentic, _ := s.m.checkSegHeader(first); authentic {
		return false
	}
	for i, f := range s.files {
		data := first
		if i > 0 {
			var err error
			if data, err = os.ReadFile(f.path); err != nil {
				return false // let the scan report the read error
			}
		}
		if _, authentic, _ := s.m.checkSegHeader(data); authentic {
			return false
		}
		found := false
		s.headers(data, 0, func(frameHeader) bool { found = true; return false })
		if found {
			return false
		}
	}
	return true
}

// segment validates segment i. stop says the scan ended here (damage was handled).
func (s *scanner) segment(i int, data []byte) (stop bool, err error) {
	f := s.files[i]
	last := i == len(s.files)-1
	first, authentic, problem := s.m.checkSegHeader(data)
	if problem == "" && first != f.nameSeq {
		problem = fmt.Sprintf("segment header says seq %d but the file is named for %d", first, f.nameSeq)
	}
	if problem == "" && s.have && first != s.expect {
		problem = fmt.Sprintf("segment starts at seq %d, expected %d", first, s.expect)
	}
	if problem != "" {
		want := f.nameSeq
		if s.have {
			want = s.expect
		}
		// A crash while creating the newest segment can leave its header incomplete. It
		// cannot leave an authentic header out of place, frames after a header that never
		// reached the disk (the header is fsynced first), or a file named off the sequence.
		torn := last && !authentic && want == f.nameSeq && !s.anyHeader(data, 0)
		return true, s.damaged(i, data, 0, problem, want, torn)
	}
	if !s.have {
		s.expect, s.have = first, true
	}
	off := segHeaderSize
	for off < len(data) {
		n, _, p := s.m.frame(data[off:], s.expect)
		if p != nil {
			// Later segments prove this one was fsynced whole (the writer syncs a segment
			// before creating the next), so damage short of the last segment is never torn.
			torn := last && p.tearing && !s.durableAfter(data, off+1, s.expect)
			return true, s.damaged(i, data, int64(off), p.reason, s.expect, torn)
		}
		off += n
		s.expect++
		s.frames++
	}
	s.segs = append(s.segs, segment{path: f.path, first: first, size: int64(len(data))})
	return false, nil
}

// headers calls fn for every authentic frame header in data at or after from, until fn
// returns false. It looks only where the frame magic occurs, so scanning a large segment
// costs a MAC per magic occurrence, not per byte.
func (s *scanner) headers(data []byte, from int, fn func(frameHeader) bool) {
	for from < len(data) {
		k := bytes.Index(data[from:], []byte(frameMagic))
		if k < 0 {
			return
		}
		from += k
		if h, authentic, _ := s.m.header(data[from:]); authentic && !fn(h) {
			return
		}
		from++
	}
}

func (s *scanner) anyHeader(data []byte, from int) bool {
	found := false
	s.headers(data, from, func(frameHeader) bool { found = true; return false })
	return found
}

// durableAfter reports whether an authentic frame header after from says that seq had
// been fsynced when it was written: proof the damaged frame was durable, not torn.
func (s *scanner) durableAfter(data []byte, from int, seq uint64) bool {
	found := false
	s.headers(data, from, func(h frameHeader) bool {
		found = h.durable >= seq
		return !found
	})
	return found
}

// damaged handles the damage at offset off of segment i, where a frame (or, at offset 0,
// the header) for seq want should be. A torn tail is cut off; corruption fails Open or,
// with RecoverTruncate, is cut off with everything after it.
func (s *scanner) damaged(i int, data []byte, off int64, reason string, want uint64, torn bool) error {
	f := s.files[i]
	if !torn {
		if s.mode != RecoverTruncate {
			return &CorruptionError{Path: f.path, Offset: off, Reason: reason, Kept: s.frames}
		}
		dropped := s.countFrom(i, data, off)
		// Delete from the newest back, so that a crash part way leaves the damaged segment
		// and a run of later ones, which the next Open treats the same way again.
		for j := len(s.files) - 1; j > i; j-- {
			if err := os.Remove(s.files[j].path); err != nil {
				return fmt.Errorf("wal: %w", err)
			}
		}
		if err := syncDir(s.dir); err != nil {
			return err
		}
		s.log.Warn("wal: dropped frames after corruption (recover=truncate)",
			"segment", f.path, "offset", off, "problem", reason,
			"kept", s.frames, "dropped", dropped, "segments_deleted", len(s.files)-1-i)
	}
	if off == 0 && want != f.nameSeq {
		// Only corruption gets here (a torn header is always named for want), and with an
		// accepted segment before it: drop the file, and that segment becomes the active one.
		if err := os.Remove(f.path); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		return syncDir(s.dir)
	}
	if off == 0 {
		if err := rewriteSegment(f.path, s.m, want); err != nil {
			return err
		}
		if torn {
			s.log.Warn("wal: rewrote a torn segment header", "segment", f.path, "problem", reason)
		}
		s.segs = append(s.segs, segment{path: f.path, first: want, size: segHeaderSize})
		s.expect, s.have = want, true
		return nil
	}
	if err := truncateSegment(f.path, off); err != nil {
		return err
	}
	if torn {
		s.log.Warn("wal: cut a torn tail", "segment", f.path, "offset", off,
			"bytes", int64(len(data))-off, "problem", reason)
	}
	first, _, _ := s.m.checkSegHeader(data)
	s.segs = append(s.segs, segment{path: f.path, first: first, size: off})
	return nil
}

// countFrom counts the authentic frame headers from off in segment i and in every later
// segment: the frames RecoverTruncate drops, for its log line.
func (s *scanner) countFrom(i int, data []byte, off int64) int {
	n := 0
	count := func(frameHeader) bool { n++; return true }
	s.headers(data, int(off), count)
	for _, f := range s.files[i+1:] {
		if later, err := os.ReadFile(f.path); err == nil {
			s.headers(later, 0, count)
		}
	}
	return n
}
