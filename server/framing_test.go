package server_test

// The framing guard and reply backpressure (issue 11, findings 1, 2, 4 and 9), tested from
// raw sockets against an in-process server and against the real binary.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// tExpectClosed reads what the server sends after a protocol error: one error line that
// starts with want, then the end of the connection.
func tExpectClosed(t *testing.T, what string, c net.Conn, want string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if !strings.HasPrefix(line, want) {
		t.Errorf("%s: got %q (%v), want a line starting %q", what, line, err, want)
		return
	}
	if rest, err := io.ReadAll(r); err != nil && !tIsReset(err) || len(rest) != 0 {
		t.Errorf("%s: after the error: %q, %v; want the connection closed", what, rest, err)
	}
}

func tIsReset(err error) bool { return strings.Contains(err.Error(), "reset") }

// TestFramingRedisProtocol replays Redis 7.0's unit/protocol cases, before and after
// authentication.
func TestFramingRedisProtocol(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	sel := "SELECT " + strconv.FormatUint(id, 10) + "\r\n"
	cases := []struct {
		name, in, want string
	}{
		{"out of range multibulk length", "*3000000000\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"overflowing multibulk length", "*9223372036854775808\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"non-number multibulk length", "*blabla\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"wrong multibulk payload header", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "-ERR Protocol error: expected '$', got 'f'"},
		{"negative multibulk payload length", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", "-ERR Protocol error: invalid bulk length"},
		{"out of range multibulk payload length", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", "-ERR Protocol error: invalid bulk length"},
		{"non-number multibulk payload length", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", "-ERR Protocol error: invalid bulk length"},
		{"multibulk not followed by bulks", "*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'"},
		{"finding 1: overflowing bulk length", "*1\r\n$9223372036854775807\r\n", "-ERR Protocol error: invalid bulk length"},
		{"bulk not ended by CRLF", "*1\r\n$4\r\nPINGxx", "-ERR Protocol error: invalid bulk length"},
		{"desync: NUL inline", "\x00" + strings.Repeat("A", 70<<10), "-ERR Protocol error: too big inline request"},
		{"desync: star NUL", "*\x00" + strings.Repeat("A", 70<<10), "-ERR Protocol error: too big mbulk count string"},
		{"desync: dollar inline", "$\x00" + strings.Repeat("A", 70<<10), "-ERR Protocol error: too big inline request"},
		{"desync: huge bulk header", "*1\r\n$" + strings.Repeat("1", 70<<10), "-ERR Protocol error: too big bulk count string"},
	}
	for _, auth := range []bool{false, true} {
		for _, tc := range cases {
			c := tDial(t, srv.Addr())
			prefix := ""
			if auth {
				prefix = sel
				c.write([]byte(prefix))
				tEq(t, "SELECT", c.read(), tOK)
			}
			c.conn.Write([]byte(tc.in))
			tExpectClosed(t, fmt.Sprintf("%s (authenticated %v)", tc.name, auth), c.conn, tc.want)
		}
	}
	// Before authentication, Redis's own texts for what only authentication allows.
	for in, want := range map[string]string{
		"*11\r\n":                        "-ERR Protocol error: unauthenticated multibulk length",
		"*2\r\n$4\r\nECHO\r\n$16385\r\n": "-ERR Protocol error: unauthenticated bulk length",
	} {
		c := tDial(t, srv.Addr())
		c.conn.Write([]byte(in))
		tExpectClosed(t, "pre-auth "+strconv.Quote(in), c.conn, want)
	}
	tEq(t, "server still serving", tDial(t, srv.Addr()).do("PING"), "+PONG\r\n")
}

// TestFramingIgnoredLines: as Redis, an empty line and an empty or negative multibulk
// are skipped, in the middle of a pipeline too.
func TestFramingIgnoredLines(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{})
	c := tDial(t, srv.Addr())
	c.write([]byte("\r\n*-10\r\n*0\r\n   \r\nPING\r\n*-1\r\n\r\n*1\r\n$4\r\nPING\r\n"))
	tEq(t, "first PING", c.read(), "+PONG\r\n")
	tEq(t, "second PING", c.read(), "+PONG\r\n")
	tEq(t, "wrong arity", c.do("SET", "k"), "-ERR wrong number of arguments for 'set' command\r\n")
	c.write([]byte("set \"\"\"test-key\"\"\" test-value\r\nping\r\n"))
	tExpectClosed(t, "unbalanced quotes", c.conn, "-ERR Protocol error: unbalanced quotes")
}

// TestFramingAuthLiftsLimitsMidPipeline: the command after AUTH in the same write is
// checked against the limits that hold once AUTH has run, as in Redis.
func TestFramingAuthLiftsLimitsMidPipeline(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{})
	c := tDial(t, srv.Addr())
	big := strings.Repeat("e", 20<<10)
	c.write(append(tEncode(tStrs([]string{"AUTH", herodbtest.AdminSecret})...), tEncode(tStrs([]string{"ECHO", big})...)...))
	tEq(t, "AUTH", c.read(), tOK)
	tEq(t, "ECHO 20 KiB after AUTH", c.read(), tBulk(big))
}

// TestFramingTrickle (finding 9): a bulk sent in tiny pieces is assembled by the guard,
// not re-parsed by redcon at every read, and arrives whole.
func TestFramingTrickle(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), id)
	val := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	cmd := tEncode([]byte("SET"), []byte("k"), val)
	c.conn.(*net.TCPConn).SetNoDelay(true)
	for i := 0; i < len(cmd); i += 16 {
		c.conn.Write(cmd[i:min(i+16, len(cmd))])
	}
	tEq(t, "SET trickled", c.read(), tOK)
	tEq(t, "GET", c.do("GET", "k"), tBulk(string(val)))

	// Before authentication, a trickled command stops at the first header over the limit.
	pre := tDial(t, srv.Addr())
	for _, b := range []byte("*2\r\n$4\r\nECHO\r\n$150000\r\n") {
		pre.conn.Write([]byte{b})
	}
	tExpectClosed(t, "pre-auth trickle", pre.conn, "-ERR Protocol error: unauthenticated bulk length")
}

// TestOutputHardLimit: replies a client has not taken past --client-output-limit close
// the connection; others are served, and a reply under the limit is readable.
func TestOutputHardLimit(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.MaxOutput = 1 << 20
		c.MaxArgSize = 4 << 20
	}})
	c := tSelected(t, srv.Addr(), id)
	tEq(t, "SET big", c.do("SET", "big", strings.Repeat("x", 2<<20)), tOK)
	tEq(t, "SET small", c.do("SET", "small", strings.Repeat("y", 512<<10)), tOK)
	tEq(t, "GET small", c.do("GET", "small"), tBulk(strings.Repeat("y", 512<<10)))
	c.send("GET", "big")
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if rest, err := io.ReadAll(c.r); len(rest) != 0 || (err != nil && !tIsReset(err)) {
		t.Errorf("GET over the output limit: %d bytes, %v; want the connection closed", len(rest), err)
	}
	other := tSelected(t, srv.Addr(), id)
	tEq(t, "others served", other.do("GET", "small"), tBulk(strings.Repeat("y", 512<<10)))

	// An EXEC whose replies pass the limit is not applied, says why, and closes.
	tx := tSelected(t, srv.Addr(), id)
	tEq(t, "MULTI", tx.do("MULTI"), tOK)
	tEq(t, "queue SET", tx.do("SET", "w", "1"), "+QUEUED\r\n")
	tEq(t, "queue GET", tx.do("GET", "small"), "+QUEUED\r\n")
	tEq(t, "queue GET", tx.do("GET", "small"), "+QUEUED\r\n")
	tx.send("EXEC")
	tExpectClosed(t, "EXEC over the limit", tx.conn, "-ERR EXEC's replies exceed the client output limit")
	tEq(t, "EXEC not applied", other.do("EXISTS", "w"), tInt(0))
}

// TestOutputBackpressureBinary (finding 4): 100 pipelined GETs of a 16 MiB value that
// the client never reads: the real binary's memory stays near one reply, not 1.6 GB,
// and other clients are served meanwhile.
func TestOutputBackpressureBinary(t *testing.T) {
	cmd, addr := tStartDev(t)
	c := tSelected(t, addr, 1)
	tEq(t, "SET big", c.do("SET", "big", strings.Repeat("v", 16<<20)), tOK)
	base := tRSS(t, cmd.Process.Pid)
	var pipe []byte
	for i := 0; i < 100; i++ {
		pipe = append(pipe, tEncode([]byte("GET"), []byte("big"))...)
	}
	c.write(pipe) // and never read
	peak := base
	for i := 0; i < 20; i++ {
		time.Sleep(100 * time.Millisecond)
		peak = max(peak, tRSS(t, cmd.Process.Pid))
	}
	t.Logf("RSS before %d MiB, peak while the client does not read %d MiB", base>>20, peak>>20)
	if peak-base > 256<<20 {
		t.Errorf("RSS grew by %d MiB for one client that does not read; want about one reply", (peak-base)>>20)
	}
	tEq(t, "another client", tSelected(t, addr, 1).do("PING"), "+PONG\r\n")
	// The client reads at last: every reply arrives, whole.
	c.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for i := 0; i < 100; i++ {
		rep, err := tReadReply(c.r)
		if err != nil || len(rep.raw) != 16<<20+len("$16777216\r\n\r\n") {
			t.Fatalf("reply %d: %d bytes, %v", i, len(rep.raw), err)
		}
	}
}

// TestFramingBinary (findings 1 and 2): the packet that crashed the process and the one
// that pinned a core, against the real binary.
func TestFramingBinary(t *testing.T) {
	cmd, addr := tStartDev(t)

	for _, auth := range []bool{false, true} {
		c := tDial(t, addr)
		if auth {
			tEq(t, "SELECT", c.do("SELECT", "1"), tOK)
		}
		c.conn.Write([]byte("*1\r\n$9223372036854775807\r\n"))
		tExpectClosed(t, "28-byte packet", c.conn, "-ERR Protocol error: invalid bulk length")
	}
	for i := 0; i < 100; i++ {
		c, err := net.Dial("tcp", addr)
		tNoErr(t, "dial", err)
		c.Write([]byte("*9223372036854775807\r\n"))
		c.Close()
	}
	time.Sleep(200 * time.Millisecond)
	tEq(t, "alive after both packets", tDial(t, addr).do("PING"), "+PONG\r\n")
	if cmd.ProcessState != nil {
		t.Fatalf("herodb exited: %v", cmd.ProcessState)
	}
	// A spinning loop burns a core for as long as it runs; an idle server burns ~nothing.
	before := tCPU(t, cmd.Process.Pid)
	time.Sleep(2 * time.Second)
	if used := tCPU(t, cmd.Process.Pid) - before; used > time.Second {
		t.Errorf("idle server used %v of CPU in 2 s after the packets: something spins", used)
	}
}

// tStartDev builds and starts the real binary in dev mode (public database 1) on a
// temporary directory and free ports.
func tStartDev(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := tBuildHerodb(t)
	dir := filepath.Join(t.TempDir(), "data")
	port := tFreePort(t)
	cmd := tStartBinary(t, bin, port, "--dev", "--dir", dir, "--rpc-port", strconv.Itoa(tFreePort(t)))
	return cmd, "127.0.0.1:" + strconv.Itoa(port)
}

// tRSS is a process's resident set size in bytes, from /proc.
func tRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// tCPU is a process's user+system CPU time, from /proc (clock ticks of 10 ms).
func tCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
