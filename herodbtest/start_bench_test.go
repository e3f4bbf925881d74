package herodbtest_test

import (
	"bufio"
	"net"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/storage"
)

// BenchmarkStartToFirstReply is the time from Start (a new directory: DB 0 bootstrapped
// with the cheap test KDF) to a PONG on a new connection; closing is not counted. Under
// SyncAlways (the default) most of it is the bootstrap's fsyncs, which SyncNone skips.
func BenchmarkStartToFirstReply(b *testing.B) {
	for _, m := range []storage.SyncMode{storage.SyncAlways, storage.SyncNone} {
		b.Run(m.String(), func(b *testing.B) { startToFirstReply(b, m) })
	}
}

func startToFirstReply(b *testing.B, sync storage.SyncMode) {
	for range b.N {
		srv := herodbtest.Start(b, herodbtest.Options{Sync: sync})
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "+PONG\r\n" {
			b.Fatalf("PING: %q %v", line, err)
		}
		b.StopTimer()
		c.Close()
		srv.Close()
		b.StartTimer()
	}
}
