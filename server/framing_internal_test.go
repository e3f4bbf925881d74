package server

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/redcon"
)

// chunkConn is a socket that hands out its input a few bytes per Read, as a client that
// trickles, and records what the guard writes back.
type chunkConn struct {
	net.Conn
	in    []byte
	chunk int
	out   bytes.Buffer
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.chunk)], c.in)
	c.in = c.in[n:]
	return n, nil
}
func (c *chunkConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *chunkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *chunkConn) SetWriteDeadline(time.Time) error { return nil }

// countingReader counts the reads redcon makes.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) { c.reads++; return c.r.Read(p) }

func testGuard(in []byte, chunk int, authed bool) (*guardConn, *chunkConn) {
	cc := &chunkConn{in: in, chunk: chunk}
	g := &guardConn{Conn: cc, lim: guardLimits{maxArgs: 1 << 20, maxBulk: 512 << 20, maxQuery: 1 << 30}}
	g.authed.Store(authed)
	return g, cc
}

// TestGuardTrickleWholeCommands (finding 9): a 2 MB bulk arriving one byte per read
// reaches redcon as whole commands: redcon reads a handful of times (its buffer doubles),
// instead of once per byte with a recursion per read, which overflowed the stack.
func TestGuardTrickleWholeCommands(t *testing.T) {
	val := strings.Repeat("v", 2<<20)
	in := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n" + val + "\r\n*1\r\n$4\r\nPING\r\n")
	g, _ := testGuard(in, 1, true)
	cr := &countingReader{r: g}
	rd := redcon.NewReader(cr)
	cmd, err := rd.ReadCommand()
	if err != nil || len(cmd.Args) != 3 || string(cmd.Args[2]) != val {
		t.Fatalf("SET: %d args, %v", len(cmd.Args), err)
	}
	if cr.reads > 64 {
		t.Errorf("redcon read %d times for one command; want whole commands (a few reads)", cr.reads)
	}
	if cmd, err = rd.ReadCommand(); err != nil || string(cmd.Args[0]) != "PING" {
		t.Fatalf("PING after SET: %q, %v", cmd.Args, err)
	}
}

// TestGuardPreAuthOneCommandAtATime: before authentication the guard hands over one
// command per read, so the next command's headers are checked once this one has run.
func TestGuardPreAuthOneCommandAtATime(t *testing.T) {
	g, _ := testGuard([]byte("PING\r\nPING\r\n*1\r\n$4\r\nPING\r\n"), 1<<10, false)
	buf := make([]byte, 1<<10)
	for _, want := range []string{"*1\r\n$4\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n"} {
		n, err := g.Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("read %q, %v; want %q", buf[:n], err, want)
		}
	}
}

// FuzzGuard: whatever the bytes and however they are split, the guard never panics,
// and redcon never meets a framing error the guard should have caught first; the only
// protocol error redcon may still raise is its inline one (unbalanced quotes).
func FuzzGuard(f *testing.F) {
	for _, s := range []string{"*1\r\n$4\r\nPING\r\n", "*1\r\n$9223372036854775807\r\n", "*9223372036854775807\r\n",
		"*-1\r\n*0\r\nPING\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "\r\n\r\n", "*1\r\nfoo\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
		"set \"a\" b\r\n", "$5\r\nhello\r\n", "*1\r\n$4\r\nPINGxx"} {
		f.Add([]byte(s), uint8(1), true)
		f.Add([]byte(s), uint8(7), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8, authed bool) {
		g, cc := testGuard(append([]byte(nil), in...), int(chunk)%64+1, authed)
		g.lim.maxArgs, g.lim.maxBulk, g.lim.maxQuery = 64, 1<<10, 4<<10
		rd := redcon.NewReader(g)
		for i := 0; i < 1000; i++ {
			cmds, err := rd.ReadCommands()
			if err != nil {
				if err != io.EOF && err != errProtocolClosed && !strings.Contains(err.Error(), "unbalanced quotes") {
					t.Fatalf("redcon met %v on %q (guard wrote %q)", err, in, cc.out.String())
				}
				return
			}
			for _, c := range cmds {
				if len(c.Args) == 0 {
					t.Fatalf("empty command from %q", in)
				}
			}
		}
	})
}

// TestSplitInline: Redis's sdssplitargs rules, case by case.
func TestSplitInline(t *testing.T) {
	for in, want := range map[string][]string{
		"SET k v":            {"SET", "k", "v"},
		"  a\tb\r\x0bc\fd  ": {"a", "b", "c", "d"},
		`a"b c"`:             {"ab c"},
		`"a\nb\x41\x4" x`:    {"a\nbAx4", "x"}, // \x4 is no hex escape: the backslash goes, x4 stays
		`"" ''`:              {"", ""},
		`'it\'s' 'a\nb'`:     {"it's", `a\nb`},
		`"q\"q"`:             {`q"q`},
		"":                   nil,
	} {
		var got []string
		if err := splitInline([]byte(in), func(a []byte) error { got = append(got, string(a)); return nil }); err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{`"abc`, `'abc`, `"a"b`, `'a'b`, `"a\`} {
		if err := splitInline([]byte(in), func([]byte) error { return nil }); err != errUnbalancedQuotes {
			t.Errorf("%q: %v, want unbalanced quotes", in, err)
		}
	}
}
