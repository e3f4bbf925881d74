package server_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestShutdownReleasesWaiters: Close answers a blocked BLPOP and a subscriber with the
// shutdown error before their connections close, and refuses new connections.
func TestShutdownReleasesWaiters(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	blocked := tSelected(t, srv.Addr(), db)
	blocked.send("BLPOP", "nothing", "0")
	sub := tSelected(t, srv.Addr(), db)
	sub.send("SUBSCRIBE", "news")
	if rep, err := sub.readReply(); err != nil {
		t.Fatalf("SUBSCRIBE: %v, %v", rep, err)
	}
	time.Sleep(200 * time.Millisecond) // BLPOP is waiting by now
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	for _, c := range []*tConn{blocked, sub} {
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c.r)
		if string(b) != "-ERR herodb is shutting down\r\n" || err != nil {
			t.Errorf("at Close a waiter read %q, %v; want the shutdown error, then the end", b, err)
		}
	}
	select {
	case err := <-closed:
		tNoErr(t, "Close", err)
	case <-time.After(15 * time.Second):
		t.Fatal("Close did not return")
	}
	if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		c.Close()
		t.Errorf("a connection was accepted after Close")
	}
}
