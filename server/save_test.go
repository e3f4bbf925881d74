package server_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// svCopyFiles copies the data directory but its log into a new one: what a server
// started there reads is what the files held.
func svCopyFiles(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		switch {
		case d.IsDir() && rel == "wal":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	tNoErr(t, "copy the data directory", err)
	return to
}

// svGet reads key from database id of a server started on dir.
func svGet(t *testing.T, dir string, id uint64, key string) string {
	t.Helper()
	srv := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	defer srv.Close()
	return tSelected(t, srv.Addr(), id).do("GET", key)
}

// TestSaveWritesTheFiles: SAVE and BGSAVE write what only the log held into the
// database's file, long before the flush timer would (an hour here): a server started
// on a copy of the files without the log reads it. A write after the save is not in the
// copy, so the copy really is the files alone.
func TestSaveWritesTheFiles(t *testing.T) {
	clock := tNewClock()
	srv, id := tServer(t, herodbtest.Options{Clock: clock, Configure: func(c *server.Config) { c.FlushInterval = time.Hour }})
	tenant := tSelected(t, srv.Addr(), id)
	adm := tDial(t, srv.Addr())
	tDo(t, adm, tOK, "AUTH", herodbtest.AdminSecret)
	if n, err := strconv.ParseInt(strings.Trim(adm.do("LASTSAVE"), ":\r\n"), 10, 64); err != nil || time.Since(time.Unix(n, 0)) > time.Minute {
		t.Fatalf("LASTSAVE before any save: %d, %v; want the start", n, err)
	}

	tDo(t, tenant, tOK, "SET", "saved", "1")
	lfNoFile(t, "a database written but not flushed", lfPath(srv, id))
	tDo(t, adm, tOK, "SAVE")
	tEq(t, "LASTSAVE after SAVE", adm.do("LASTSAVE"), tInt(clock.Now().Unix()))
	tDo(t, tenant, tOK, "SET", "after", "1")
	cp := svCopyFiles(t, srv.Dir)
	tEq(t, "a key written before SAVE, from the files", svGet(t, cp, id, "saved"), tBulk("1"))
	tEq(t, "a key written after SAVE, from the files", svGet(t, cp, id, "after"), tNil)

	clock.Add(10 * time.Second)
	tDo(t, tenant, tOK, "SET", "bg", "1")
	tEq(t, "BGSAVE", adm.do("BGSAVE"), "+Background saving started\r\n")
	tEventually(t, "LASTSAVE moves when BGSAVE is done", func() bool { return adm.do("LASTSAVE") == tInt(clock.Now().Unix()) })
	cp = svCopyFiles(t, srv.Dir)
	tEq(t, "a key written before BGSAVE, from the files", svGet(t, cp, id, "bg"), tBulk("1"))

	clock.Add(10 * time.Second)
	tDo(t, tenant, tOK, "SET", "aof", "1")
	rep := adm.do("BGREWRITEAOF")
	if rep != "+Background append only file rewriting started\r\n" && rep != "+Background append only file rewriting scheduled\r\n" {
		t.Fatalf("BGREWRITEAOF: %q", rep)
	}
	tEventually(t, "LASTSAVE moves when BGREWRITEAOF is done", func() bool { return adm.do("LASTSAVE") == tInt(clock.Now().Unix()) })
	cp = svCopyFiles(t, srv.Dir)
	tEq(t, "a key written before BGREWRITEAOF, from the files", svGet(t, cp, id, "aof"), tBulk("1"))

	tDo(t, adm, "-ERR syntax error", "BGSAVE", "NOW")
	tDo(t, adm, "-ERR wrong number of arguments", "SAVE", "x")
	tDo(t, adm, tOK, "MULTI")
	tDo(t, adm, "-ERR", "SAVE")
	tDo(t, adm, "-EXECABORT", "EXEC")
}

// TestSaveAdminOnly: a tenant, even with write access, gets NOPERM from every one of
// them, and a connection with no credential NOAUTH.
func TestSaveAdminOnly(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	tenant := tSelected(t, srv.Addr(), id)
	anon := tDial(t, srv.Addr())
	for _, cmd := range []string{"SAVE", "BGSAVE", "LASTSAVE", "BGREWRITEAOF"} {
		tEq(t, cmd+" by a tenant", tenant.do(cmd), tErr("NOPERM this command needs the admin secret"))
		tEq(t, cmd+" with no credential", anon.do(cmd), tErr(tNoAuth))
	}
	tDo(t, tenant, tNil, "GET", "k") // the connection stays usable
}
