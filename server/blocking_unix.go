//go:build unix

package server

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// watchPeer notices, while sess waits in a blocking command, that its peer closed or
// reset the connection, without reading from it: the bytes behind the blocking command
// belong to redcon's reader, which resumes when the command returns. A goroutine parks
// in the runtime's poller until the socket is readable and peeks one byte: none means
// the peer is gone (gone is closed); a byte means the client sent more (pipelined
// commands, which wait their turn as in Redis), and the watch ends, since a close behind
// them cannot be seen without reading. stop ends the watch and waits for its goroutine.
func watchPeer(sess *session) (gone <-chan struct{}, stop func()) {
	var nc net.Conn
	if sess.limits != nil {
		nc = sess.limits.Conn // the socket under the framing guard
	} else if sess.conn != nil {
		nc = sess.conn.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, func() {}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, func() {}
	}
	ch := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var buf [1]byte
		peerGone := false
		err := rc.Read(func(fd uintptr) bool {
			n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK)
			switch {
			case err == syscall.EAGAIN || err == syscall.EINTR:
				return false // not readable yet: park until it is
			case err != nil || n == 0:
				peerGone = true // reset, or an orderly close
			}
			return true
		})
		if peerGone || (err != nil && !errors.Is(err, os.ErrDeadlineExceeded)) {
			close(ch) // gone, or closed under us (CLIENT KILL, Server.Close)
		}
	}()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			nc.SetReadDeadline(time.Unix(1, 0)) // wakes the parked read
			<-finished
			// Blocked sessions are authenticated: the guard keeps no read deadline then.
			nc.SetReadDeadline(time.Time{})
		})
	}
}
