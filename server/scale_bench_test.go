package server_test

import (
	"strconv"
	"testing"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// benchScaleConn is an admin connection to a server holding n databases (created in
// bulk, never written) with at most maxOpen files open, and the databases' ids.
func benchScaleConn(b *testing.B, n, maxOpen int) (*tConn, []uint64) {
	b.Helper()
	srv := herodbtest.Start(b, herodbtest.Options{Configure: func(c *server.Config) { c.MaxOpenDBs = maxOpen }})
	var ids []uint64
	for len(ids) < n {
		ds, err := srv.Admin().CreateDatabases(min(n-len(ids), admin.MaxBulkCreate), admin.CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
	}
	c := tDial(b, srv.Addr())
	tDo(b, c, "+OK\r\n", "AUTH", herodbtest.AdminSecret)
	return c, ids
}

// BenchmarkSelectGetBlank: SELECT + GET over databases never written, more of them than
// the file cache holds (each op opens one and evicts another): bench-scale's "SELECT +
// GET of a database never written".
func BenchmarkSelectGetBlank(b *testing.B) {
	c, ids := benchScaleConn(b, 5000, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tDo(b, c, "+OK\r\n", "SELECT", strconv.FormatUint(ids[i%len(ids)], 10))
		tDo(b, c, "$-1\r\n", "GET", "k")
	}
}

// BenchmarkSelectSetCold: SELECT + the first SET of databases never written, each a
// cold open that makes its file at the next flush.
func BenchmarkSelectSetCold(b *testing.B) {
	c, ids := benchScaleConn(b, 20000, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tDo(b, c, "+OK\r\n", "SELECT", strconv.FormatUint(ids[i%len(ids)], 10))
		tDo(b, c, "+OK\r\n", "SET", "k", "v")
	}
}

// BenchmarkSelectGetWarm: SELECT + GET over 500 databases written once and all open
// (the file cache holds them): bench-scale's warm pass, on one connection.
func BenchmarkSelectGetWarm(b *testing.B) {
	c, ids := benchScaleConn(b, 500, 1000)
	for _, id := range ids {
		tDo(b, c, "+OK\r\n", "SELECT", strconv.FormatUint(id, 10))
		tDo(b, c, "+OK\r\n", "SET", "k", "v")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tDo(b, c, "+OK\r\n", "SELECT", strconv.FormatUint(ids[i%len(ids)], 10))
		tDo(b, c, "$1\r\nv\r\n", "GET", "k")
	}
}
