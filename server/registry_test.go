package server_test

// Issue 11, finding 6, end to end: a private database's registration edited in 0.db with
// bbolt while the server is stopped. Before the fix, removing the public field's record
// made the database public read-write (anonymous SELECT read and wrote it) and nothing was
// logged; now every SELECT of it is refused and the server logs an error with its id.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// tRecLog keeps every log record as one line, for assertions on what was logged.
type tRecLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *tRecLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *tRecLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *tRecLog) WithGroup(string) slog.Handler            { return l }
func (l *tRecLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}

func (l *tRecLog) has(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, line := range l.lines {
		for _, p := range parts {
			if !strings.Contains(line, p) {
				continue next
			}
		}
		return true
	}
	return false
}

// tDataRecords copies 0.db's data bucket (the sealed values); the server must be stopped.
func tDataRecords(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tBolt(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("data")).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	return out
}

func tBolt(t *testing.T, dir string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "0.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestRegistryTamperedDatabaseRefused(t *testing.T) {
	for _, tamper := range []string{"public field deleted", "old public record put back"} {
		t.Run(tamper, func(t *testing.T) {
			dir := t.TempDir()
			var log *tRecLog
			start := func() *herodbtest.Server {
				log = &tRecLog{}
				return herodbtest.Start(t, herodbtest.Options{Dir: dir, Configure: func(c *server.Config) {
					c.Logger = slog.New(log)
				}})
			}

			// A public database with data, then made private.
			srv := start()
			id := srv.CreateDatabase(t, "tenant", true)
			ref := strconv.FormatUint(id, 10)
			c := tSelected(t, srv.Addr(), id)
			tEq(t, "SET", c.do("SET", "secret", "v"), tOK)
			srv.Close()
			before := tDataRecords(t, dir)

			srv = start()
			tNoErr(t, "private", srv.Admin().SetPublic(id, admin.AccessNone))
			if got := tDial(t, srv.Addr()).do("SELECT", ref); !strings.HasPrefix(got, "-NOAUTH") {
				t.Fatalf("anonymous SELECT of the private database: %q", got)
			}
			srv.Close()

			// The one data record that changed is the public field's.
			after := tDataRecords(t, dir)
			var field string
			for k, v := range after {
				if !bytes.Equal(before[k], v) {
					if field != "" {
						t.Fatal("more than one data record changed with the public flag")
					}
					field = k
				}
			}
			tBolt(t, dir, func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("data"))
				if tamper == "public field deleted" {
					return b.Delete([]byte(field))
				}
				return b.Put([]byte(field), before[field]) // sealed "true": it opens
			})

			srv = start()
			for _, sel := range [][]string{{"SELECT", ref}, {"SELECT", "tenant"}, {"SELECT", ref, "KEY", herodbtest.AdminSecret}} {
				c := tDial(t, srv.Addr())
				got := c.do(sel...)
				if !strings.HasPrefix(got, "-ERR database "+ref+" is unusable") {
					t.Errorf("%v after the tamper: %q", sel[:2], got)
				}
				if got := c.do("GET", "secret"); !strings.HasPrefix(got, "-NOAUTH") {
					t.Errorf("GET after the refused %v: %q", sel[:2], got)
				}
			}
			// A key of another database learns nothing more than for any database.
			other := srv.CreateDatabase(t, "other", false)
			otherKey := "other-database-access-key-1"
			tNoErr(t, "add key", srv.Admin().AddAccessKey(other, otherKey, admin.AccessRead))
			if got := tDial(t, srv.Addr()).do("SELECT", ref, "KEY", otherKey); !strings.HasPrefix(got, "-WRONGPASS") {
				t.Errorf("SELECT with another database's key: %q", got)
			}
			if got := tDial(t, srv.Addr()).do("AUTH", "tenant", herodbtest.AdminSecret); !strings.Contains(got, "unusable") {
				t.Errorf("AUTH tenant <admin secret>: %q", got)
			}
			if !log.has("ERROR", "integrity check", "db="+ref) {
				t.Errorf("no error logged with db=%s: %q", ref, log.lines)
			}
			info, err := srv.Admin().DatabaseInfo(id)
			tNoErr(t, "info", err)
			if info.Unusable == "" || info.Public != false {
				t.Errorf("info: %+v", info)
			}
		})
	}
}
