package server_test

import (
	"bufio"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// FuzzRESPInput sends arbitrary bytes on an authenticated connection (public database
// selected); the server must survive and keep answering other connections.
func FuzzRESPInput(f *testing.F) {
	for _, s := range []string{"*1\r\n$4\r\nPING\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "*-1\r\n", "$5\r\nhello\r\n",
		"*2\r\n$4\r\nLPOS\r\n$1\r\nk\r\n", "MULTI\r\nEXEC\r\n", "*0\r\n", "GET\r\n", "*1\r\n$-5\r\n", "HSCAN k 0 COUNT -1\r\n"} {
		f.Add([]byte(s))
	}
	srv := herodbtest.Start(f, herodbtest.Options{})
	id := srv.CreateDatabase(f, "fuzz", true)
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Write([]byte("SELECT " + strconv.FormatUint(id, 10) + "\r\n"))
		c.Write(in)
		buf := make([]byte, 4096)
		c.Read(buf) // whatever it answers
		p, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.SetDeadline(time.Now().Add(2 * time.Second))
		p.Write([]byte("PING\r\n"))
		line, err := bufio.NewReader(p).ReadString('\n')
		if err != nil || line != "+PONG\r\n" {
			t.Fatalf("server stopped answering after %q: %q %v", in, line, err)
		}
	})
}
