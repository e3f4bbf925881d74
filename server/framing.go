package server

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"time"
)

// The framing guard sits between the socket and redcon. redcon v1.6.4 trusts the
// lengths it reads: `*1\r\n$9223372036854775807\r\n` overflows its bounds arithmetic and
// panics outside any handler, `*9223372036854775807\r\n` makes it spin after the client
// has gone, and it re-parses its whole buffer and recurses once per read, so a bulk
// sent a byte at a time overflows the stack. The guard checks every `*<n>` and `$<n>`
// header as it streams in (as Redis 7.0's processMultibulkBuffer does), keeps the
// parse state between reads so no byte is parsed twice, and hands redcon only whole
// commands, so redcon never sees a length it cannot handle nor waits inside a command.
// Keep it even with a fixed redcon: it is also where the query-buffer limits live.

const (
	// inlineMax bounds an inline command and a `*<n>` or `$<n>` header line, as Redis's
	// PROTO_INLINE_MAX_SIZE.
	inlineMax = 64 << 10
	// readChunk is the least room the guard makes when it grows its buffer, and minFree
	// the room below which it grows (or slides) before reading.
	readChunk = 16 << 10
	minFree   = 4 << 10
)

// errProtocolClosed is what redcon sees once the guard has answered a protocol error.
var errProtocolClosed = errors.New("protocol error")

// guardListener wraps every accepted connection in a guardConn.
type guardListener struct {
	net.Listener
	limits guardLimits
}

// guardLimits are the per-connection bounds after authentication; before it, Redis's
// pre-auth limits apply (preAuthArgs, preAuthArgSize).
type guardLimits struct {
	idle     time.Duration // pre-auth idle timeout (0: none)
	maxArgs  int           // largest `*<n>`
	maxBulk  int           // largest `$<n>`
	maxQuery int           // bytes buffered for one incomplete command
}

func (l *guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, lim: l.limits, raw: newRawIO(c)}, nil
}

// Parser states: at the start of a command, at a `$<n>` header, inside a bulk.
const (
	stCommand = iota
	stBulkHeader
	stBulkData
)

// guardConn is one connection's framing guard. Read is called by redcon's connection
// goroutine only; authed is also set from that goroutine (the handler), and read by
// the closing path, hence atomic.
type guardConn struct {
	net.Conn
	lim    guardLimits
	authed atomic.Bool
	raw    *rawIO // the socket's reads and writes, when it is a plain one (rawio_linux.go)

	buf   []byte // bytes from the socket not yet handed to redcon
	start int    // buf[start:ready] are whole commands, ready to hand over
	ready int
	pos   int // how far buf is parsed; buf[ready:pos] is the command in progress

	state int
	args  int // bulks still expected in the command in progress
	need  int // bytes still expected in the current bulk, its CRLF included

	inl    []byte // inline commands, split and encoded as *<n>, ready to hand over
	inlOff int

	perr string // a protocol error to answer once the whole commands before it are read
	rerr error  // the socket's error, returned once buffered commands are handed over

	// knobs are the CONFIG SET values this connection set (cmd_server.go connKnobs),
	// kept here because the guard lives exactly as long as the connection. Touched by
	// the connection's own goroutine only.
	knobs map[string]string
}

// Read hands redcon whole commands only, reading and checking from the socket until at
// least one is complete.
func (g *guardConn) Read(p []byte) (int, error) {
	for !g.pending() {
		if g.perr != "" {
			g.Conn.SetWriteDeadline(time.Now().Add(time.Second))
			g.Conn.Write([]byte("-" + g.perr + "\r\n"))
			return 0, errProtocolClosed
		}
		if g.rerr != nil {
			return 0, g.rerr
		}
		if g.parse() {
			continue
		}
		if g.perr == "" {
			g.fill()
		}
	}
	if g.inlOff < len(g.inl) {
		// Inline commands, encoded: they always come before buf[start:ready].
		n := copy(p, g.inl[g.inlOff:])
		if g.inlOff += n; g.inlOff == len(g.inl) {
			g.inl, g.inlOff = g.inl[:0], 0
		}
		return n, nil
	}
	n := copy(p, g.buf[g.start:g.ready])
	g.start += n
	return n, nil
}

// pending reports whether whole commands are ready to hand over.
func (g *guardConn) pending() bool { return g.ready > g.start || g.inlOff < len(g.inl) }

// inline splits one inline line and appends it to inl as a *<n> command (nothing for a
// blank line, which Redis skips). It returns the protocol error to answer, if any.
func (g *guardConn) inline(line []byte) string {
	authed := g.authed.Load()
	args, mark := 0, len(g.inl)
	g.inl = append(g.inl, "*0000000000\r\n"...) // the count, filled in below
	err := splitInline(line, func(a []byte) error {
		args++
		switch {
		case !authed && args > preAuthArgs:
			return errors.New(errProtoUnauthMultibulk)
		case !authed && len(a) > preAuthArgSize:
			return errors.New(errProtoUnauthBulk)
		}
		g.inl = append(g.inl, '$')
		g.inl = strconv.AppendInt(g.inl, int64(len(a)), 10)
		g.inl = append(g.inl, '\r', '\n')
		g.inl = append(g.inl, a...)
		g.inl = append(g.inl, '\r', '\n')
		return nil
	})
	if err != nil || args == 0 {
		g.inl = g.inl[:mark]
		if err != nil {
			return err.Error()
		}
		return ""
	}
	head := strconv.AppendInt([]byte{'*'}, int64(args), 10)
	head = append(head, '\r', '\n')
	// Shift the arguments left over the unused digits of the placeholder.
	body := g.inl[mark+len("*0000000000\r\n"):]
	n := copy(g.inl[mark:], head)
	n += copy(g.inl[mark+n:], body)
	g.inl = g.inl[:mark+n]
	return ""
}

// fill reads once from the socket into buf, making room first.
func (g *guardConn) fill() {
	if g.start == len(g.buf) {
		if cap(g.buf) > 1<<20 {
			g.buf = nil // a big command has gone through: do not keep its buffer
		}
		g.buf, g.start, g.ready, g.pos = g.buf[:0], 0, 0, 0
	}
	if g.start > 0 && (g.start >= cap(g.buf)/2 || cap(g.buf)-len(g.buf) < minFree) {
		// Slide the unread tail to the front rather than grow; after a big command, into
		// a buffer its own size, so an idle connection does not keep the big one.
		tail := g.buf[g.start:]
		if cap(g.buf) > 1<<20 && len(tail) < cap(g.buf)/4 {
			g.buf = append(make([]byte, 0, max(2*len(tail), readChunk)), tail...)
		} else {
			g.buf = g.buf[:copy(g.buf, tail)]
		}
		g.ready, g.pos = g.ready-g.start, g.pos-g.start
		g.start = 0
	}
	if cap(g.buf)-len(g.buf) < minFree {
		// Double: memory follows the bytes that arrived (at most twice them), never the
		// lengths a client claims, and a command of many bulks costs linear copying.
		nb := make([]byte, len(g.buf), len(g.buf)+max(readChunk, len(g.buf)))
		copy(nb, g.buf)
		g.buf = nb
	}
	if !g.authed.Load() && g.lim.idle > 0 {
		g.Conn.SetReadDeadline(time.Now().Add(g.lim.idle))
	}
	var n int
	var err error
	if g.raw != nil {
		n, err = g.raw.read(g.buf[len(g.buf):cap(g.buf)])
	} else {
		n, err = g.Conn.Read(g.buf[len(g.buf):cap(g.buf)])
	}
	g.buf = g.buf[:len(g.buf)+n]
	if err != nil {
		g.rerr = err
	}
}

// parse advances over the buffered bytes. It returns true when whole commands are
// ready to hand over (or a protocol error is pending); false when it needs more bytes.
// Before authentication it stops after one command, so the next command's headers are
// checked against the limits that hold once this one has run (AUTH lifts them).
func (g *guardConn) parse() bool {
	for {
		if g.perr != "" {
			return true
		}
		if g.state == stCommand && g.pending() && !g.authed.Load() {
			return true
		}
		rest := g.buf[g.pos:]
		if len(rest) == 0 {
			return g.pending()
		}
		switch g.state {
		case stCommand:
			nl := bytes.IndexByte(rest, '\n')
			if rest[0] != '*' {
				// An inline command: one line, split here and handed over as *<n>.
				if nl < 0 {
					if len(rest) > inlineMax {
						g.perr = errProtoBigInline
						return true
					}
					return g.pending()
				}
				if nl > inlineMax {
					g.perr = errProtoBigInline
					return true
				}
				if g.ready > g.start {
					return true // what is before it goes first
				}
				if msg := g.inline(rest[:nl]); msg != "" {
					g.perr = msg
					return true
				}
				g.pos += nl + 1
				g.start, g.ready = g.pos, g.pos
				continue
			}
			if nl < 0 {
				if len(rest) > inlineMax {
					g.perr = errProtoBigMultibulk
					return true
				}
				return g.pending()
			}
			n, ok := parseLen(rest[1:nl])
			if nl == 0 || rest[nl-1] != '\r' {
				ok = false
			}
			switch {
			case !ok || n > int64(g.lim.maxArgs):
				g.perr = errProtoMultibulk
				return true
			case n <= 0:
				// Redis ignores an empty or negative multibulk; redcon would not, so the
				// line is dropped here. Only at the front: drop it once what is before
				// it has been handed over.
				if g.ready > g.start {
					return true
				}
				g.pos += nl + 1
				g.start, g.ready = g.pos, g.pos
				continue
			case n > preAuthArgs && !g.authed.Load():
				g.perr = errProtoUnauthMultibulk
				return true
			}
			g.pos += nl + 1
			g.args = int(n)
			g.state = stBulkHeader
		case stBulkHeader:
			if rest[0] != '$' {
				g.perr = errProtoExpected(rest[0])
				return true
			}
			nl := bytes.IndexByte(rest, '\n')
			if nl < 0 {
				if len(rest) > inlineMax {
					g.perr = errProtoBigBulk
					return true
				}
				return g.pending()
			}
			n, ok := parseLen(rest[1:nl])
			if rest[nl-1] != '\r' {
				ok = false
			}
			switch {
			case !ok || n < 0 || n > int64(g.lim.maxBulk):
				g.perr = errProtoBulk
				return true
			case n > preAuthArgSize && !g.authed.Load():
				g.perr = errProtoUnauthBulk
				return true
			}
			g.pos += nl + 1
			g.need = int(n) + 2
			g.state = stBulkData
		case stBulkData:
			if g.pos-g.ready+g.need > g.lim.maxQuery {
				g.perr = errProtoQueryBuffer
				return true
			}
			take := min(g.need, len(rest))
			g.pos += take
			g.need -= take
			if g.need > 0 {
				return g.pending()
			}
			if g.buf[g.pos-2] != '\r' || g.buf[g.pos-1] != '\n' {
				g.perr = errProtoBulk
				return true
			}
			g.args--
			if g.args > 0 {
				g.state = stBulkHeader
				continue
			}
			g.state = stCommand
			g.ready = g.pos
		}
	}
}

// parseLen reads a header's decimal length as Redis's string2ll does: an optional minus
// sign and digits, no plus sign, no leading zeros, no overflow.
func parseLen(b []byte) (int64, bool) {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 || (b[0] == '0' && (len(b) > 1 || neg)) {
		return 0, false // 18 digits cannot overflow; no length we accept is longer
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// printable is a byte for an error text: itself when printable ASCII, else '?'.
func printable(c byte) string {
	if c < 0x20 || c > 0x7e {
		return "?"
	}
	return string(c)
}

// authenticated lifts the pre-authentication limits (and idle timeout).
func (g *guardConn) authenticated() {
	if !g.authed.Swap(true) && g.lim.idle > 0 {
		g.Conn.SetReadDeadline(time.Time{})
	}
}

// unauthenticated puts the pre-authentication limits back (RESET).
func (g *guardConn) unauthenticated() { g.authed.Store(false) }

// Write skips empty writes: redcon flushes its own (unused) buffer after every batch
// of commands, and an empty write to a socket is still a system call.
func (g *guardConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if g.raw != nil {
		return g.raw.write(p)
	}
	return g.Conn.Write(p)
}
