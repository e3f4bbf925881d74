//go:build linux

package smaps

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A file mapped and read is counted; one with a space in its path too.
func TestFileRSS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a file.db")
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, len(data), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	sum := 0
	for i := 0; i < len(m); i += 4096 {
		sum += int(m[i])
	}
	n, err := FileRSS(os.Getpid(), path)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) {
		t.Fatalf("FileRSS = %d after reading every page of a %d-byte map (sum %d)", n, len(data), sum)
	}
	if n, err := FileRSS(os.Getpid(), path+"x"); err != nil || n != 0 {
		t.Fatalf("FileRSS of a file not mapped = %d, %v", n, err)
	}
}
