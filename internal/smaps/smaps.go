// Package smaps reads how much of a file a process has resident in its maps, from
// Linux's /proc/<pid>/smaps: what RSS counts of a mapped database file. Tests and the
// scale bench use it to see DB 0's share of RSS.
package smaps

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileRSS is the resident size, in bytes, of process pid's maps of the file at path.
func FileRSS(pid int, path string) (int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var rss int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		// A map's header: "start-end perms offset dev inode [path]"; its attributes
		// follow as "Name: value kB".
		if len(fields) >= 5 && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) > 5 && mapPath(line) == abs
			continue
		}
		if in && len(fields) == 3 && fields[0] == "Rss:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("smaps: %q: %w", sc.Text(), err)
			}
			rss += kb << 10
		}
	}
	return rss, sc.Err()
}

// mapPath is what follows a header's first five fields: the mapped file's path, which
// may hold spaces.
func mapPath(header string) string {
	rest := header
	for range 5 {
		rest = strings.TrimLeft(rest, " ")
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			return ""
		}
		rest = rest[i:]
	}
	return strings.TrimSpace(rest)
}
