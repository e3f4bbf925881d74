package wal

import (
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

const (
	segMagic      = "HDBWAL01"
	segHeaderSize = 32
	segSuffix     = ".wal"
)

// segment is one retained segment file as the log tracks it.
type segment struct {
	path  string
	first uint64 // seq of the segment's first frame (its header's high-water mark)
	size  int64  // bytes written, header included
}

// segFile is a segment file found in the directory, before its header is checked.
type segFile struct {
	path    string
	nameSeq uint64
}

func segmentName(first uint64) string { return fmt.Sprintf("%016x%s", first, segSuffix) }

// parseSegmentName reads the seq out of a name segmentName made, and refuses any other
// name, so stray files in the directory are never taken for segments.
func parseSegmentName(name string) (uint64, bool) {
	if len(name) != 16+len(segSuffix) || name[16:] != segSuffix {
		return 0, false
	}
	for _, c := range name[:16] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return 0, false
		}
	}
	seq, err := strconv.ParseUint(name[:16], 16, 64)
	return seq, err == nil
}

// listSegments returns dir's segment files in sequence order.
func listSegments(dir string) ([]segFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	var files []segFile
	for _, e := range entries {
		seq, ok := parseSegmentName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		files = append(files, segFile{path: filepath.Join(dir, e.Name()), nameSeq: seq})
	}
	slices.SortFunc(files, func(a, b segFile) int {
		switch {
		case a.nameSeq < b.nameSeq:
			return -1
		case a.nameSeq > b.nameSeq:
			return 1
		}
		return 0
	})
	return files, nil
}

func (m *macer) segHeader(first uint64) []byte {
	b := make([]byte, 0, segHeaderSize)
	b = append(b, segMagic...)
	b = binary.BigEndian.AppendUint64(b, first)
	return append(b, m.tag(m.seg, b)[:segHeaderSize-16]...)
}

// checkSegHeader decodes the header at the start of a segment. authentic says its MAC
// verifies (it was written whole, under this key); problem says why it is unusable.
func (m *macer) checkSegHeader(b []byte) (first uint64, authentic bool, problem string) {
	if len(b) < segHeaderSize {
		return 0, false, "segment header is incomplete"
	}
	if string(b[:8]) != segMagic {
		return 0, false, "segment header has no segment magic"
	}
	if !hmac.Equal(m.tag(m.seg, b[:16])[:segHeaderSize-16], b[16:segHeaderSize]) {
		return 0, false, "segment header fails its MAC"
	}
	return binary.BigEndian.Uint64(b[8:]), true, ""
}

// createSegment makes a new segment file holding only its header, and makes both the
// file and its directory entry durable before returning: the header is the log's
// high-water mark, and a frame in a file that could vanish would not be durable.
func createSegment(dir string, m *macer, first uint64) (*os.File, *segment, error) {
	path := filepath.Join(dir, segmentName(first))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // written at offsets
	if err != nil {
		return nil, nil, fmt.Errorf("wal: %w", err)
	}
	if err := writeHeaderSync(f, m, first); err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, &segment{path: path, first: first, size: segHeaderSize}, nil
}

func writeHeaderSync(f *os.File, m *macer, first uint64) error {
	if _, err := f.Write(m.segHeader(first)); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}

// rewriteSegment empties an existing segment and gives it a fresh header for first. Open
// uses it for a segment whose header is torn or that recovery cut back to nothing.
func rewriteSegment(path string, m *macer, first uint64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	err = writeHeaderSync(f, m, first)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("wal: %w", cerr)
	}
	return err
}

// truncateSegment cuts a segment back to size and makes the cut durable, so a later crash
// cannot bring back the bytes that recovery decided were not part of the log.
func truncateSegment(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}

// syncDir makes the directory's entries (a created or removed segment) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	err = d.Sync()
	// Some file systems do not support fsync on a directory; there is nothing more to do.
	if errors.Is(err, syscall.EINVAL) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: sync %s: %w", dir, err)
	}
	return nil
}
