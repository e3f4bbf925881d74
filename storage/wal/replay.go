package wal

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
)

// Replay calls fn for every retained frame in sequence order (including frames read at
// Open), with copies of the parts, and returns fn's first error. It waits until every
// frame appended before the call is written, so it sees them too. It can be called several
// times (the storage layer replays databases in groups); it is only meaningful before or
// without a concurrent Truncate. Frames are authenticated again as they are read, so a
// file altered since Open is reported, never replayed.
func (l *Log) Replay(fn func(seq uint64, parts []Part) error) error {
	l.mu.Lock()
	target := l.nextSeq - 1
	for l.written.Load() < target {
		if l.err != nil || l.stopped {
			err := l.err
			l.mu.Unlock()
			if err == nil {
				err = ErrClosed
			}
			return err
		}
		l.cond.Wait()
	}
	segs := slices.Clone(l.segs)
	l.mu.Unlock()

	r := &replayer{m: newMacer(l.keys), fn: fn}
	for _, s := range segs {
		if err := r.segment(s); err != nil {
			return err
		}
	}
	return nil
}

type replayer struct {
	m      *macer
	fn     func(uint64, []Part) error
	expect uint64
	have   bool
}

// segment replays s up to the size the log had written when Replay began, streaming
// frame by frame so a large segment is never read into memory whole.
func (r *replayer) segment(s segment) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	defer f.Close()
	in := bufio.NewReaderSize(io.NewSectionReader(f, 0, s.size), 1<<20)
	damaged := func(off int64, reason string) error {
		return fmt.Errorf("wal: replay %s offset %d: %s (the file changed since Open)", s.path, off, reason)
	}
	hdr := make([]byte, max(segHeaderSize, frameHeaderSize))
	if _, err := io.ReadFull(in, hdr[:segHeaderSize]); err != nil {
		return damaged(0, "segment header is incomplete")
	}
	first, _, problem := r.m.checkSegHeader(hdr[:segHeaderSize])
	if problem == "" && first != s.first {
		problem = fmt.Sprintf("segment header says seq %d, expected %d", first, s.first)
	}
	if problem == "" && r.have && first != r.expect {
		problem = fmt.Sprintf("segment starts at seq %d, expected %d", first, r.expect)
	}
	if problem != "" {
		return damaged(0, problem)
	}
	if !r.have {
		r.expect, r.have = first, true
	}
	for off := int64(segHeaderSize); off < s.size; {
		if _, err := io.ReadFull(in, hdr[:frameHeaderSize]); err != nil {
			return damaged(off, "frame is incomplete")
		}
		h, _, problem := r.m.header(hdr[:frameHeaderSize])
		if problem != "" {
			return damaged(off, problem)
		}
		n := int64(frameOverhead) + int64(h.bodyLen)
		if off+n > s.size {
			return damaged(off, "frame is incomplete")
		}
		// A fresh buffer per frame: the parts handed to fn alias it, so they are the
		// caller's copies, free to keep.
		frame := make([]byte, n)
		copy(frame, hdr[:frameHeaderSize])
		if _, err := io.ReadFull(in, frame[frameHeaderSize:]); err != nil {
			return damaged(off, "frame is incomplete")
		}
		_, body, p := r.m.frame(frame, r.expect)
		if p != nil {
			return damaged(off, p.reason)
		}
		parts, err := decodeBody(body, true)
		if err != nil {
			return damaged(off, err.Error())
		}
		if err := r.fn(r.expect, parts); err != nil {
			return err
		}
		r.expect++
		off += n
	}
	return nil
}
