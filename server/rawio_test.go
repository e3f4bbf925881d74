package server_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// A plain socket is read and written with system calls the runtime is not told of
// (rawio_linux.go). What net.Conn's own calls did must still hold: a peer that resets
// the connection in the middle of a big reply (EPIPE or ECONNRESET on the write, and a
// SIGPIPE the process must not die of) costs that connection only; a peer that closes
// its side after a command gets the reply, then the server closes too (EOF).
func TestRawIOPeerResetsMidReply(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	val := strings.Repeat("v", 4<<20)
	tEq(t, "SET big", tSelected(t, srv.Addr(), id).do("SET", "big", val), tOK)
	var pipe []byte
	for range 8 {
		pipe = append(pipe, tEncode([]byte("GET"), []byte("big"))...)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := tSelected(t, srv.Addr(), id)
			c.write(pipe)
			buf := make([]byte, 64<<10)
			c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(c.conn, buf); err != nil { // the server is writing
				t.Errorf("the first 64 KiB of the replies: %v", err)
			}
			c.conn.(*net.TCPConn).SetLinger(0) // close with a reset, unread replies and all
			c.conn.Close()
		}()
	}
	wg.Wait()
	o := tSelected(t, srv.Addr(), id)
	tEq(t, "PING after the resets", o.do("PING"), "+PONG\r\n")
	c := tSelected(t, srv.Addr(), id)
	c.write(pipe[:len(pipe)/4]) // two GETs, read whole
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i := range 2 {
		if rep, err := tReadReply(c.r); err != nil || string(rep.raw) != tBulk(val) {
			t.Fatalf("reply %d after the resets: %d bytes, %v", i, len(rep.raw), err)
		}
	}
}

func TestRawIOHalfClose(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), id)
	c.write(append(tEncode([]byte("SET"), []byte("k"), []byte("v")), tEncode([]byte("GET"), []byte("k"))...))
	if err := c.conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	tEq(t, "SET", c.read(), tOK)
	tEq(t, "GET", c.read(), tBulk("v"))
	if n, err := c.r.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after the replies: %d bytes, %v; want EOF (the server closes once it reads EOF)", n, err)
	}
}
