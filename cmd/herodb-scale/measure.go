package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// procRSS is the server's resident set (VmRSS of /proc/<pid>/status) in bytes; -1 when
// it cannot be read.
func procRSS(pid int) int64 { return procStatus(pid, "VmRSS:") }

// procAnon is the anonymous part of the resident set (RssAnon): the heap and stacks.
// The rest is mostly DB 0's memory-mapped file, page cache the kernel can drop.
func procAnon(pid int) int64 { return procStatus(pid, "RssAnon:") }

// procStatus reads one kB field of /proc/<pid>/status, in bytes; -1 when it cannot.
func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// procFDs is the number of files the server holds open (entries of /proc/<pid>/fd),
// which the issue wants bounded by --max-open-dbs plus a small constant.
func procFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// diskUsage is what the data directory costs on disk.
type diskUsage struct {
	total    int64 // st_blocks*512 over every entry, directories included
	files    int   // regular files
	dbFiles  int   // regular files named *.db other than DB 0
	db0Size  int64 // DB 0's file: its length
	db0Disk  int64 // and its blocks
	walDisk  int64 // the write-ahead log directory
	db0Found bool
}

// diskOf walks dir and sums the allocated blocks, not lengths, because a bbolt file's
// length says little about what it costs (sparse, preallocated). DB 0 is <dir>/0.db and
// the log <dir>/wal/ (admin.Open); they are reported apart from the per-database files.
func diskOf(dir string) (diskUsage, error) {
	var u diskUsage
	db0 := filepath.Join(dir, "0.db")
	wal := filepath.Join(dir, "wal") + string(filepath.Separator)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat", path)
		}
		blocks := st.Blocks * 512
		u.total += blocks
		if strings.HasPrefix(path, wal) {
			u.walDisk += blocks
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		u.files++
		switch {
		case path == db0:
			u.db0Found, u.db0Size, u.db0Disk = true, fi.Size(), blocks
		case strings.HasSuffix(path, ".db"):
			u.dbFiles++
		}
		return nil
	})
	return u, err
}

// logCounts counts the server log's warnings and errors (slog's text format) and keeps
// the first few distinct error messages, so a run that "worked" while the server
// complained says so.
func logCounts(path string) (warns, errs int, samples []string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, nil
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "level=WARN"):
			warns++
		case strings.Contains(line, "level=ERROR"), strings.HasPrefix(line, "panic:"), strings.HasPrefix(line, "herodb: "):
			errs++
			msg := line
			if i := strings.Index(line, "msg="); i >= 0 {
				msg = line[i:]
			}
			if msg = clip(msg, 200); !seen[msg] && len(samples) < 5 {
				seen[msg] = true
				samples = append(samples, msg)
			}
		}
	}
	return warns, errs, samples
}
