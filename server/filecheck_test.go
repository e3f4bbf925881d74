package server_test

// Consistency inside a database file, end to end (issue 11, finding 8): files edited
// behind the server's back between two runs on the same directory. A file swapped into
// another database's place and a hash missing a field record answer an error reply
// (and a log line naming the database), never nil or a short answer, and the server
// keeps serving PING and every other key.

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

func fcStart(t *testing.T, dir string, log *tLog) *herodbtest.Server {
	t.Helper()
	return herodbtest.Start(t, herodbtest.Options{Dir: dir, Configure: func(c *server.Config) {
		if log != nil {
			c.Logger = slog.New(slog.NewTextHandler(log, nil))
		}
	}})
}

// fcEditFile runs fn on the (closed) database file at path with bbolt directly.
func fcEditFile(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func fcFileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(raw)
}

// fcWantCorruptReply fails unless rep is an -ERR reply pointing at the server log.
func fcWantCorruptReply(t *testing.T, what, rep string) {
	t.Helper()
	if !strings.HasPrefix(rep, "-ERR ") || !strings.Contains(rep, "see the server log") {
		t.Fatalf("%s: %q; want an -ERR reply pointing at the server log", what, rep)
	}
}

func fcStillServing(t *testing.T, addr string, db uint64, key, want string) {
	t.Helper()
	c := tSelected(t, addr, db)
	tEq(t, "PING", c.do("PING"), "+PONG\r\n")
	tEq(t, fmt.Sprintf("GET %s in database %d", key, db), c.do("GET", key), tBulk(want))
}

// Swapping 1.db and 2.db used to make GET answer nil and SET write into the other
// database's file.
func TestFileCheckSwappedFilesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	first := fcStart(t, dir, nil)
	var ids [3]uint64
	for i := range ids {
		ids[i] = first.CreateDatabase(t, fmt.Sprintf("db%d", i), true)
		c := tSelected(t, first.Addr(), ids[i])
		tEq(t, "SET", c.do("SET", "k", fmt.Sprintf("value of %d", ids[i])), tOK)
	}
	p1, p2 := first.Admin().Files().Path(ids[0]), first.Admin().Files().Path(ids[1])
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	tmp := p1 + ".swap"
	for _, mv := range [][2]string{{p1, tmp}, {p2, p1}, {tmp, p2}} {
		if err := os.Rename(mv[0], mv[1]); err != nil {
			t.Fatal(err)
		}
	}
	sum1, sum2 := fcFileSum(t, p1), fcFileSum(t, p2)

	var log tLog
	second := fcStart(t, dir, &log)
	for _, id := range ids[:2] {
		c := tSelected(t, second.Addr(), id)
		fcWantCorruptReply(t, fmt.Sprintf("GET in database %d", id), c.do("GET", "k"))
		fcWantCorruptReply(t, fmt.Sprintf("SET in database %d", id), c.do("SET", "k", "into the wrong file"))
		tEq(t, "PING on the same connection", c.do("PING"), "+PONG\r\n")
	}
	fcStillServing(t, second.Addr(), ids[2], "k", fmt.Sprintf("value of %d", ids[2]))
	for _, p := range []string{p1, p2} {
		if !strings.Contains(log.String(), p+" belongs to another database or was tampered with") {
			t.Fatalf("the server log does not name %s: %s", p, log.String())
		}
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if fcFileSum(t, p1) != sum1 || fcFileSum(t, p2) != sum2 {
		t.Fatal("a refused file was written")
	}
}

// A hash field's record deleted used to leave HLEN 1 with an empty HGETALL, no error.
func TestFileCheckMissingHashFieldEndToEnd(t *testing.T) {
	const hashName, otherName = "HashNameQuebec6610", "OtherNamePapa3391"
	dir := t.TempDir()
	first := fcStart(t, dir, nil)
	id := first.CreateDatabase(t, "app", true)
	c := tSelected(t, first.Addr(), id)
	tEq(t, "HSET", c.do("HSET", hashName, "FieldOscar1", "v1", "FieldOscar2", "v2"), tInt(2))
	tEq(t, "SET", c.do("SET", otherName, "still here"), tOK)
	path := first.Admin().Files().Path(id)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	fcEditFile(t, path, func(tx *bolt.Tx) error {
		d := tx.Bucket([]byte("data"))
		var victim []byte
		d.ForEach(func(k, _ []byte) error {
			if victim == nil && len(k) > 8 && k[8] == 'h' {
				victim = bytes.Clone(k)
			}
			return nil
		})
		if victim == nil {
			return fmt.Errorf("no hash field record in %s", path)
		}
		return d.Delete(victim)
	})

	var log tLog
	second := fcStart(t, dir, &log)
	c = tSelected(t, second.Addr(), id)
	for _, cmd := range [][]string{{"HGETALL", hashName}, {"HKEYS", hashName}, {"HVALS", hashName}, {"HSCAN", hashName, "0", "COUNT", "100"}} {
		fcWantCorruptReply(t, cmd[0], c.do(cmd...))
	}
	// Documented: HLEN reads the key record only, O(1) as in Redis; it still says 2.
	tEq(t, "HLEN", c.do("HLEN", hashName), tInt(2))
	tEq(t, "PING", c.do("PING"), "+PONG\r\n")
	tEq(t, "GET of another key", c.do("GET", otherName), tBulk("still here"))
	fcStillServing(t, second.Addr(), id, otherName, "still here")
	logged := log.String()
	if !strings.Contains(logged, fmt.Sprintf("data corruption in database %d", id)) || !strings.Contains(logged, "key id ") {
		t.Fatalf("no log line naming the database and the key's identity: %s", logged)
	}
	for _, secret := range []string{hashName, "FieldOscar"} {
		if strings.Contains(logged, secret) {
			t.Fatalf("the log shows tenant data %q: %s", secret, logged)
		}
	}
}
