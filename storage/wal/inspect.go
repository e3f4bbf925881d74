package wal

import (
	"fmt"
	"os"
	"sort"
)

// Inspection is what Inspect found in a stopped log.
type Inspection struct {
	Segments int
	First    uint64            // seq of the first retained frame (0: none)
	Next     uint64            // seq the next frame would get (0: no segment)
	Last     map[uint64]uint64 // per database id, the seq of its last frame
	Frames   map[uint64]int    // per database id, its frames
	// Damage says where the first frame that fails to read or authenticate is
	// ("": none); Torn says it is at the very end of the newest segment, what a crash
	// mid-write leaves, which the next Open cuts off.
	Damage string
	Torn   bool
}

// Inspect reads every frame of the log in dir, authenticating each under key, without
// locking, repairing or writing anything: for `herodb check` on a stopped directory.
func Inspect(dir string, key []byte) (*Inspection, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("wal: key is %d bytes, want 32", len(key))
	}
	files, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].nameSeq < files[j].nameSeq })
	in := &Inspection{Segments: len(files), Last: map[uint64]uint64{}, Frames: map[uint64]int{}}
	m := newMacer(deriveKeys(key))
	r := &replayer{m: m, fn: func(seq uint64, parts []Part) error {
		if in.First == 0 {
			in.First = seq
		}
		for _, p := range parts {
			in.Last[p.DB] = seq
			in.Frames[p.DB]++
		}
		return nil
	}}
	for i, f := range files {
		fi, err := os.Stat(f.path)
		if err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
		err = r.segment(segment{path: f.path, first: f.nameSeq, size: fi.Size()})
		if err != nil {
			in.Damage = err.Error()
			in.Torn = i == len(files)-1
			break
		}
	}
	if r.have {
		in.Next = r.expect
	}
	return in, nil
}
