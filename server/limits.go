package server

import (
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// Redis's limits for connections that have not authenticated: a command may have at most
// preAuthArgs arguments of at most preAuthArgSize bytes each.
const (
	preAuthArgs    = 10
	preAuthArgSize = 16 << 10
	// preAuthBytes caps what an unauthenticated connection may send without completing a
	// command: the largest command the limits allow, plus framing. redcon buffers whole
	// commands and has no header hook, so this cap on the socket is what stops a client
	// announcing a huge bulk before authenticating.
	preAuthBytes = preAuthArgs*(preAuthArgSize+32) + 64
)

var errPreAuthBytes = errors.New("unauthenticated request over the size limit")

// limitListener wraps accepted connections in limitConn.
type limitListener struct {
	net.Listener
	idle time.Duration
}

func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &limitConn{Conn: c, idle: l.idle}, nil
}

// limitConn enforces the pre-authentication byte cap and idle timeout on one connection.
// Once the session authenticates, it is a plain connection.
type limitConn struct {
	net.Conn
	idle    time.Duration
	authed  atomic.Bool
	pending atomic.Int64 // bytes read since the last command was handled
}

func (c *limitConn) Read(p []byte) (int, error) {
	if c.authed.Load() {
		return c.Conn.Read(p)
	}
	if c.idle > 0 {
		c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	}
	n, err := c.Conn.Read(p)
	if c.pending.Add(int64(n)) > preAuthBytes && !c.authed.Load() {
		c.Conn.Close()
		return n, errPreAuthBytes
	}
	return n, err
}

// handled resets the byte count: a command was complete.
func (c *limitConn) handled() { c.pending.Store(0) }

func (c *limitConn) authenticated() {
	if !c.authed.Swap(true) && c.idle > 0 {
		c.Conn.SetReadDeadline(time.Time{})
	}
}

// unauthenticated puts the limits back (RESET).
func (c *limitConn) unauthenticated() {
	c.pending.Store(0)
	c.authed.Store(false)
}

// preAuthCheck applies Redis's argument limits to a command from an unauthenticated
// connection; a violation closes the connection after the reply.
func preAuthCheck(args [][]byte) string {
	if len(args) > preAuthArgs {
		return "ERR Protocol error: unauthenticated multibulk length"
	}
	for _, a := range args {
		if len(a) > preAuthArgSize {
			return "ERR Protocol error: unauthenticated bulk length"
		}
	}
	return ""
}
