//go:build !linux

package server

import "net"

// rawIO is the Linux raw socket path (rawio_linux.go); elsewhere net.Conn's own.
type rawIO struct{}

func newRawIO(net.Conn) *rawIO             { return nil }
func (*rawIO) read(p []byte) (int, error)  { panic("unreachable") }
func (*rawIO) write(p []byte) (int, error) { panic("unreachable") }
