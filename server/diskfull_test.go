package server_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestDiskFull: on a full disk a write gets a clear error, nothing acknowledged is lost,
// and the server keeps serving. It needs a small tmpfs, so it runs as root only.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	srv := herodbtest.Start(t, herodbtest.Options{Dir: filepath.Join(dir, "data")})
	id := srv.CreateDatabase(t, "full", true)
	c := tDial(t, srv.Addr())
	tEq(t, "SELECT", c.do("SELECT", strconv.FormatUint(id, 10)), tOK)

	value := string(bytes.Repeat([]byte("x"), 32<<10))
	acked := 0
	var refusal string
	for i := 0; i < 200; i++ {
		got := c.do("SET", "k"+strconv.Itoa(i), value)
		if got != tOK {
			refusal = got
			break
		}
		acked++
	}
	if refusal == "" {
		t.Fatal("200 writes of 32 KiB fitted in a 2 MiB disk")
	}
	if !strings.HasPrefix(refusal, "-ERR disk full") {
		t.Errorf("write on a full disk: %q, want -ERR disk full…", refusal)
	}
	if acked == 0 {
		t.Fatal("nothing was acknowledged before the disk filled")
	}
	// Everything acknowledged is there, and the server still answers.
	for i := 0; i < acked; i++ {
		if got := c.do("STRLEN", "k"+strconv.Itoa(i)); got != tInt(int64(len(value))) {
			t.Fatalf("acknowledged key k%d after the disk filled: %q", i, got)
		}
	}
	tEq(t, "PING", c.do("PING"), "+PONG\r\n")
}
