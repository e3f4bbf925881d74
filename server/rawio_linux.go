//go:build linux

package server

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawIO reads and writes a plain socket with system calls the runtime is not told of.
//
// A read or write of a non-blocking socket never waits: the kernel copies the bytes,
// or answers EAGAIN, and then the goroutine waits in the network poller as it would
// have. Announced to the runtime (net.Conn's Read and Write), each call entered and
// left a system call, woke the runtime's monitor thread (sysmon) when it slept, and,
// when a loopback write outlasted sysmon's 20 µs tick with other goroutines ready,
// had its P taken and handed to another thread. A profile of GET -P 1 from 50 clients
// put sysmon at 6% of the server's samples and the futex wakeups around the handoffs
// at 5%. Unannounced, the call simply runs on its P, as the kernel's work it is.
type rawIO struct {
	rc  syscall.RawConn
	net string // "tcp" or "unix", for errors shaped as net.Conn's
}

// newRawIO is the raw path for c, or nil for a connection that is not a plain socket
// (TLS: its records go through crypto/tls) or cannot give its descriptor.
func newRawIO(c net.Conn) *rawIO {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil
	}
	return &rawIO{rc: rc, net: c.LocalAddr().Network()}
}

// read is net.Conn's Read: deadlines and a closed connection come from the poller, as
// there (RawConn.Read waits for readability under the read deadline).
func (r *rawIO) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := r.rc.Read(func(fd uintptr) bool {
		for {
			m, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false
			}
			n, errno = int(m), e
			return true
		}
	})
	switch {
	case err != nil:
		return 0, &net.OpError{Op: "read", Net: r.net, Err: err}
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: r.net, Err: os.NewSyscallError("read", errno)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// write is net.Conn's Write: all of p, or an error (under the write deadline).
func (r *rawIO) write(p []byte) (int, error) {
	written := 0
	var errno syscall.Errno
	err := r.rc.Write(func(fd uintptr) bool {
		for written < len(p) {
			m, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[written])), uintptr(len(p)-written))
			switch {
			case e == 0 && m == 0: // a socket never takes nothing of a non-empty write; never spin on it
				errno = syscall.EIO
				return true
			case e == 0:
				written += int(m)
			case e == syscall.EINTR:
			case e == syscall.EAGAIN:
				return false
			default:
				errno = e
				return true
			}
		}
		return true
	})
	switch {
	case err != nil:
		return written, &net.OpError{Op: "write", Net: r.net, Err: err}
	case errno != 0:
		return written, &net.OpError{Op: "write", Net: r.net, Err: os.NewSyscallError("write", errno)}
	}
	return written, nil
}
