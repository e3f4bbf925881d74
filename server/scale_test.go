package server_test

// The file cache with a few thousand databases, through a real server (issue 14's
// must-hold): eviction under a small --max-open-dbs, idle close and reopen with the data
// intact, one open for many concurrent SELECTs of a cold database, a delete while open.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/storage"
)

// scDBFiles counts this process's open descriptors on database files under dir (the
// server runs in the test's process).
func scDBFiles(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, filepath.Join(dir, "db")+"/") {
			n++
		}
	}
	return n
}

func TestScaleCacheThousandsOfDatabases(t *testing.T) {
	const maxOpen = 10
	srv := herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.MaxOpenDBs, c.IdleClose, c.FlushInterval = maxOpen, 300*time.Millisecond, 50*time.Millisecond
	}})
	ds, err := srv.Admin().CreateDatabases(3000, admin.CreateOptions{Public: admin.AccessReadWrite})
	tNoErr(t, "createDatabases", err)
	if n := srv.Admin().Count(); n != 3000 {
		t.Fatalf("Count() = %d after creating 3000", n)
	}
	files := srv.Admin().Files()

	// Write to 200 of them from 8 clients at once: never more than maxOpen files open.
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 200; i += 8 {
				c := tClient(t, srv.Addr(), ds[i*15].ID)
				if err := c.Set(tCtx, "k", "v"+strconv.Itoa(i), 0).Err(); err != nil {
					t.Errorf("SET in database %d: %v", ds[i*15].ID, err)
				}
				if n := scDBFiles(t, srv.Dir); n > maxOpen+storage.MaxClosing+2 {
					t.Errorf("%d database files open, want at most --max-open-dbs %d + %d closing in the background (+2)", n, maxOpen, storage.MaxClosing)
				}
				c.Close()
			}
		}()
	}
	wg.Wait()

	// Idle close: every file closes once unused.
	tEventually(t, "every file closed after the idle timeout", func() bool { return files.OpenCount() == 0 && scDBFiles(t, srv.Dir) == 0 })

	// Reopened, each holds what was written.
	for i := 0; i < 200; i += 7 {
		c := tClient(t, srv.Addr(), ds[i*15].ID)
		tEq(t, "GET after reopen", c.Get(tCtx, "k").Val(), "v"+strconv.Itoa(i))
		c.Close()
	}

	// 100 concurrent SELECTs of one cold database open it once.
	cold := ds[2999].ID
	tEventually(t, "files closed again", func() bool { return files.OpenCount() == 0 })
	before := files.Opens()
	start := make(chan struct{})
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := tDial(t, srv.Addr())
			<-start
			if got := c.do("SELECT", strconv.FormatUint(cold, 10)); got != "+OK\r\n" {
				t.Errorf("SELECT of the cold database: %q", got)
			}
			if got := c.do("GET", "k"); got != "$-1\r\n" {
				t.Errorf("GET in the cold database: %q", got)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := files.Opens() - before; n != 1 {
		t.Errorf("100 concurrent SELECTs of one cold database opened it %d times, want 1", n)
	}

	// Delete while open and in use: the holder's next command fails, the file goes, and
	// no later flush makes it again.
	victim := ds[15].ID
	c := tSelected(t, srv.Addr(), victim)
	tDo(t, c, tBulk("v1"), "GET", "k")
	tNoErr(t, "deleteDatabase", srv.Admin().DeleteDatabase(victim))
	tDo(t, c, "-ERR ", "SET", "k", "after")
	time.Sleep(200 * time.Millisecond) // past the flush interval
	if _, err := os.Stat(storage.FilePath(srv.Dir, victim)); !os.IsNotExist(err) {
		t.Errorf("the deleted database's file: %v, want it gone", err)
	}
	if n := srv.Admin().Count(); n != 2999 {
		t.Errorf("Count() = %d after one delete, want 2999", n)
	}
}

// TestScaleIsolationByName: among 20,000 databases, a token naming one database by name
// and another by id opens those two only, after a restart too (the registry is read
// from DB 0 through its name index then).
func TestScaleIsolationByName(t *testing.T) {
	dir := t.TempDir()
	srv := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	for i := 0; i < 2; i++ {
		if _, err := srv.Admin().CreateDatabases(admin.MaxBulkCreate, admin.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	named := srv.CreateDatabase(t, "t19999", false)
	byID := named - 12345
	tok, err := srv.Admin().CreateToken(&admin.Grant{Kind: "admin", Admin: true}, "one", []admin.Scope{
		{Type: admin.ScopeDatabase, Name: "t19999", Permissions: []admin.Permission{admin.PermRead, admin.PermWrite}},
		{Type: admin.ScopeDatabase, Name: strconv.FormatUint(byID, 10), Permissions: []admin.Permission{admin.PermRead}},
	}, 0)
	tNoErr(t, "createToken", err)
	srv.Close()
	srv = herodbtest.Start(t, herodbtest.Options{Dir: dir})
	c := tDial(t, srv.Addr())
	tDo(t, c, "+OK\r\n", "AUTH", tok.Token)
	tDo(t, c, "+OK\r\n", "SELECT", "t19999")
	tDo(t, c, "+OK\r\n", "SET", "k", "v")
	tDo(t, c, "+OK\r\n", "SELECT", strconv.FormatUint(byID, 10))
	tDo(t, c, "-NOPERM", "SET", "k", "v") // read-only there
	for _, other := range []uint64{named - 1, byID + 1, 1, 19999} {
		tDo(t, c, "-NOPERM", "SELECT", strconv.FormatUint(other, 10))
	}
}
