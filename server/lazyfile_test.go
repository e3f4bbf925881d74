package server_test

// A database's file is made by its first flush, not at creation (issue 14): creating
// one costs a DB 0 write and no file; a database never written to reads as empty; once
// written, its file must be there, and a missing file is an error, never an empty
// database; a deletion stops the flushes, so nothing makes the file again.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/storage"
)

func lfPath(srv *herodbtest.Server, id uint64) string {
	return storage.FilePath(srv.Dir, id)
}

func lfNoFile(t *testing.T, what, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s: stat %s: %v, want no file", what, filepath.Base(path), err)
	}
}

// lfFast flushes every 50 ms and closes idle files after 200 ms.
func lfFast(c *server.Config) {
	c.FlushInterval, c.IdleClose = 50*time.Millisecond, 200*time.Millisecond
}

func TestLazyFileCreateMakesNoFile(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{Configure: lfFast})
	var ids []uint64
	for i := 0; i < 50; i++ {
		ids = append(ids, srv.CreateDatabase(t, "lazy"+strconv.Itoa(i), true))
	}
	for _, id := range ids {
		lfNoFile(t, "a database just created", lfPath(srv, id))
	}
	// Read as empty, by every reading command, and still no file.
	c := tSelected(t, srv.Addr(), ids[0])
	tDo(t, c, tInt(0), "DBSIZE")
	tDo(t, c, "$-1\r\n", "GET", "k")
	tDo(t, c, "*0\r\n", "KEYS", "*")
	tDo(t, c, "*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0")
	tDo(t, c, tInt(0), "EXISTS", "k")
	tDo(t, c, tInt(0), "HLEN", "h")
	tDo(t, c, "*0\r\n", "LRANGE", "l", "0", "-1")
	info, err := srv.Admin().DatabaseInfo(ids[0])
	tNoErr(t, "databaseInfo", err)
	tEq(t, "key_count of a database with no file", info.KeyCount, int64(0))
	tEq(t, "size_on_disk of a database with no file", info.SizeOnDisk, int64(0))
	lfNoFile(t, "a database only read", lfPath(srv, ids[0]))

	// The first write: its file is made by the flush, and holds it across a restart.
	tDo(t, c, "+OK\r\n", "SET", "k", "v")
	tEventually(t, "the file made by the first flush", func() bool {
		_, err := os.Stat(lfPath(srv, ids[0]))
		return err == nil
	})
	for _, id := range ids[1:] {
		lfNoFile(t, "another database, never written", lfPath(srv, id))
	}
	srv.Close()
	srv2 := herodbtest.Start(t, herodbtest.Options{Dir: srv.Dir, Configure: lfFast})
	c2 := tSelected(t, srv2.Addr(), ids[0])
	tDo(t, c2, tBulk("v"), "GET", "k")
	c3 := tSelected(t, srv2.Addr(), ids[1])
	tDo(t, c3, tInt(0), "DBSIZE")
}

// TestLazyFileMissingAfterWriteIsAnError: once written, a database whose file is
// removed behind herodb's back answers an error, never an empty database; one never
// written reads as empty.
func TestLazyFileMissingAfterWriteIsAnError(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{Configure: lfFast})
	id := srv.CreateDatabase(t, "written", true)
	c := tSelected(t, srv.Addr(), id)
	tDo(t, c, "+OK\r\n", "SET", "k", "v")
	path := lfPath(srv, id)
	tEventually(t, "the file made by the first flush", func() bool { _, err := os.Stat(path); return err == nil })
	c.conn.Close()
	dir := srv.Dir
	srv.Close() // every file closed and flushed; the registration records the file
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	srv2 := herodbtest.Start(t, herodbtest.Options{Dir: dir, Configure: lfFast})
	c2 := tSelected(t, srv2.Addr(), id)
	const missing = "ERR database unavailable: its file is missing (it was written to, so it is not served as empty); see the server log"
	tDo(t, c2, tErr(missing), "GET", "k")
	tDo(t, c2, tErr(missing), "SET", "k", "v2")
	lfNoFile(t, "a write to a database whose file is missing", path)
	tDo(t, c2, "+PONG\r\n", "PING") // the connection and the server go on
}

// TestLazyFileDeleteBeforeFirstFlush: a database deleted with writes not yet flushed
// never gets a file, now or after the flush interval.
func TestLazyFileDeleteBeforeFirstFlush(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.FlushInterval = time.Hour }})
	for i := 0; i < 20; i++ {
		id := srv.CreateDatabase(t, "doomed"+strconv.Itoa(i), true)
		c := tSelected(t, srv.Addr(), id)
		for j := 0; j < 10; j++ {
			tDo(t, c, "+OK\r\n", "SET", "k"+strconv.Itoa(j), "v")
		}
		tNoErr(t, "deleteDatabase", srv.Admin().DeleteDatabase(id)) // its file open, unflushed
		tDo(t, c, "-ERR ", "SET", "k", "v")                         // deleted: "the selected database was deleted" or "does not exist"
		c.conn.Close()
	}
	srv.Close() // flushes every file still open
	matches, _ := filepath.Glob(filepath.Join(srv.Dir, "db", "*", "*.db"))
	for _, m := range matches {
		t.Errorf("%s exists: a deleted database's file was made", m)
	}
}

// TestLazyFileFlushAllMakesNoFile: FLUSHALL empties the databases written to and makes
// no file for those never written; the count of databases follows creates and deletes.
func TestLazyFileFlushAllMakesNoFile(t *testing.T) {
	srv, app := tServer(t, herodbtest.Options{Configure: lfFast})
	var blank []uint64
	for i := 0; i < 5; i++ {
		blank = append(blank, srv.CreateDatabase(t, "blank"+strconv.Itoa(i), false))
	}
	c := tSelected(t, srv.Addr(), app)
	tDo(t, c, "+OK\r\n", "SET", "k", "v")
	tEventually(t, "the written database's file", func() bool { _, err := os.Stat(lfPath(srv, app)); return err == nil })
	admin := tDial(t, srv.Addr())
	tDo(t, admin, "+OK\r\n", "AUTH", herodbtest.AdminSecret)
	tDo(t, admin, "+OK\r\n", "FLUSHALL")
	tDo(t, c, tInt(0), "DBSIZE")
	srv.Close() // every file closed: nothing is made at close either
	for _, id := range blank {
		lfNoFile(t, "a database never written, after FLUSHALL", lfPath(srv, id))
	}
	if got, want := srv.Admin().Count(), 6; got != want {
		t.Errorf("Count() = %d, want %d", got, want)
	}
}

// TestDeletedSelectedDatabaseReply: the command after the selected database's deletion
// answers that it was deleted (the check's reply), not the failed open behind it.
func TestDeletedSelectedDatabaseReply(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{})
	id := srv.CreateDatabase(t, "goner", true)
	c := tSelected(t, srv.Addr(), id)
	tDo(t, c, "+OK\r\n", "SET", "k", "v")
	tNoErr(t, "deleteDatabase", srv.Admin().DeleteDatabase(id))
	tDo(t, c, tErr("ERR the selected database was deleted; SELECT another"), "GET", "k")
	// It is no longer selected: the connection is as before any SELECT.
	tDo(t, c, "-NOAUTH no database selected", "SET", "k", "v2")
	tDo(t, c, "+PONG\r\n", "PING")
}
