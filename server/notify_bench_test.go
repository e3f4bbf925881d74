package server_test

// What keyspace notifications cost a write: pipelined SETs (SyncNone, so the log's
// fsync does not hide the difference) with notifications off everywhere, on in another
// database only, on in this one with nobody subscribed, and on with a subscriber.

import (
	"strconv"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/storage"
)

func benchNotifySET(b *testing.B, setup func(srv *herodbtest.Server, db uint64)) {
	srv, db := tServer(b, herodbtest.Options{Sync: storage.SyncNone})
	if setup != nil {
		setup(srv, db)
	}
	c := tSelected(b, srv.Addr(), db)
	const depth = 64
	var batch []byte
	for i := 0; i < depth; i++ {
		batch = append(batch, tEncode([]byte("SET"), []byte("k"+strconv.Itoa(i)), []byte("v"))...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += depth {
		c.write(batch)
		for i := 0; i < depth; i++ {
			c.read()
		}
	}
}

func BenchmarkNotifyOff(b *testing.B) { benchNotifySET(b, nil) }

func BenchmarkNotifyOnElsewhere(b *testing.B) {
	benchNotifySET(b, func(srv *herodbtest.Server, _ uint64) {
		other := srv.CreateDatabase(b, "other", true)
		tDo(b, tSelected(b, srv.Addr(), other), tOK, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	})
}

func BenchmarkNotifyOnNoSubscriber(b *testing.B) {
	benchNotifySET(b, func(srv *herodbtest.Server, db uint64) {
		tDo(b, tSelected(b, srv.Addr(), db), tOK, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	})
}

func BenchmarkNotifyOnSubscribed(b *testing.B) {
	benchNotifySET(b, func(srv *herodbtest.Server, db uint64) {
		tDo(b, tSelected(b, srv.Addr(), db), tOK, "CONFIG", "SET", "notify-keyspace-events", "KEA")
		sub := tSelected(b, srv.Addr(), db)
		tDo(b, sub, tSubR("psubscribe", "__keyevent@*", 1), "PSUBSCRIBE", "__keyevent@*")
		go func() { // drain, so the subscriber's queue never fills
			for {
				if _, err := sub.readReply(); err != nil {
					return
				}
			}
		}()
	})
}
