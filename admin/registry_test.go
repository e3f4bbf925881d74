package admin

// Registration integrity (issue 11, finding 6): 0.db edited with bbolt directly while
// herodb is stopped. The end-to-end test through a real server is in
// server/registry_test.go.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// regLog records what admin logs, for the assertions on the error lines.
type regLog struct {
	mu   sync.Mutex
	recs []string // "LEVEL msg k=v …"
}

func (l *regLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *regLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *regLog) WithGroup(string) slog.Handler            { return l }
func (l *regLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.recs = append(l.recs, b.String())
	l.mu.Unlock()
	return nil
}

// find returns the records at level that contain every part.
func (l *regLog) find(level slog.Level, parts ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
next:
	for _, r := range l.recs {
		if !strings.HasPrefix(r, level.String()+" ") {
			continue
		}
		for _, p := range parts {
			if !strings.Contains(r, p) {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

type regFixture struct {
	dir string
	a   *Admin
	log *regLog
}

func (f *regFixture) open(t *testing.T) {
	t.Helper()
	f.log = &regLog{}
	f.a = openAdmin(t, Config{Dir: f.dir, Secret: []byte("registry-test-secret"), Logger: slog.New(f.log)})
}

func (f *regFixture) close(t *testing.T) {
	t.Helper()
	if f.a != nil {
		if err := f.a.Close(); err != nil {
			t.Fatal(err)
		}
		f.a = nil
	}
}

func newRegFixture(t *testing.T) *regFixture {
	f := &regFixture{dir: t.TempDir()}
	f.open(t)
	t.Cleanup(func() { f.close(t) })
	return f
}

// oldKeyWrap puts back DB 0's key wrapped as a herodb from before the registration check
// wrapped it, so a test directory looks like one an older version left.
func oldKeyWrap(sys *bolt.Bucket, dek0 []byte) error {
	var rec kdfRecord
	if err := json.Unmarshal(sys.Get([]byte("kdf")), &rec); err != nil {
		return err
	}
	salt, err := base64.StdEncoding.DecodeString(rec.Salt)
	if err != nil {
		return err
	}
	wrapped, err := crypto.Wrap(crypto.DeriveKEK([]byte("registry-test-secret"), salt, rec.Params), db0AAD, dek0)
	if err != nil {
		return err
	}
	return sys.Put([]byte("dek0"), wrapped)
}

// boltEdit runs fn on 0.db with bbolt directly, as someone who can write the files.
func boltEdit(t *testing.T, dir string, fn func(tx *bolt.Tx) error) {
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

// dataRecords copies the records of 0.db's data bucket (the sealed values).
func dataRecords(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	return bucketRecords(t, dir, "data")
}

// bucketRecords copies the records of one of 0.db's buckets.
func bucketRecords(t *testing.T, dir, bucket string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	boltEdit(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucket)).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	return out
}

// publicRecord finds the bbolt key of database id's public field by writing the field
// again (same value, new nonce): the one data record that changes. It returns the key
// and the record as it was before.
func (f *regFixture) publicRecord(t *testing.T, id uint64, p Access) (key string, old []byte) {
	t.Helper()
	f.close(t)
	before := dataRecords(t, f.dir)
	f.open(t)
	if err := f.a.SetPublic(id, p); err != nil {
		t.Fatal(err)
	}
	f.close(t)
	after := dataRecords(t, f.dir)
	var changed []string
	for k, v := range after {
		if !bytes.Equal(before[k], v) {
			changed = append(changed, k)
		}
	}
	if len(changed) != 1 {
		t.Fatalf("%d data records changed with the public flag, want 1", len(changed))
	}
	return changed[0], before[changed[0]]
}

// wantUnusable checks that database id loaded as unusable: never public, refused with
// the clear error, listed as unusable, logged at Error with its id.
func (f *regFixture) wantUnusable(t *testing.T, id uint64) {
	t.Helper()
	d, ok := f.a.Database(fmt.Sprint(id))
	if !ok {
		t.Fatalf("database %d is not listed at all", id)
	}
	if d.Public != AccessNone {
		t.Errorf("database %d public = %v after tampering, want none", id, d.Public)
	}
	err := d.Unusable()
	if err == nil || !strings.Contains(ErrorMessage(err), "unusable") {
		t.Fatalf("Unusable() = %v", err)
	}
	info, err := f.a.DatabaseInfo(id)
	if err != nil || info.Unusable == "" || info.Public != false {
		t.Fatalf("DatabaseInfo = %+v, %v; want it shown as unusable and not public", info, err)
	}
	listed := false
	for _, d := range f.a.Databases() {
		listed = listed || d.ID == id
	}
	if !listed {
		t.Errorf("database %d missing from Databases()", id)
	}
	if got := f.log.find(slog.LevelError, "integrity check", fmt.Sprintf("db=%d", id)); len(got) != 1 {
		t.Errorf("error log lines for database %d: %q", id, got)
	}
	if err := f.a.SetPublic(id, AccessReadWrite); err == nil {
		t.Error("SetPublic on an unusable database succeeded (it would reseal what was tampered)")
	}
}

func (f *regFixture) wantUsable(t *testing.T, id uint64, p Access) {
	t.Helper()
	d, ok := f.a.Database(fmt.Sprint(id))
	if !ok || d.Unusable() != nil || d.Public != p {
		t.Fatalf("database %d: ok %v, unusable %v, public %v; want usable, public %v", id, ok, d.Unusable(), d.Public, p)
	}
}

// The finding: the records of the public field of a private database deleted from 0.db.
// Before the fix the database came back public read-write; now it is unusable, logged.
func TestRegistryDeletedFieldRefused(t *testing.T) {
	f := newRegFixture(t)
	priv, err := f.a.CreateDatabase(CreateOptions{Name: "private"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.a.CreateDatabase(CreateOptions{Name: "other", Public: AccessRead})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := f.publicRecord(t, priv.ID, AccessNone)
	boltEdit(t, f.dir, func(tx *bolt.Tx) error { return tx.Bucket([]byte("data")).Delete([]byte(key)) })

	f.open(t)
	f.wantUnusable(t, priv.ID)
	f.wantUsable(t, other.ID, AccessRead)
	if _, ok := f.a.Database("private"); !ok {
		t.Error("the name of the unusable database does not find it")
	}
	if _, err := f.a.CreateDatabase(CreateOptions{Name: "private"}); ErrorCode(err) != ECONFLICT {
		t.Errorf("the name of the unusable database was given again: %v", err)
	}

	// Deleting it is the way out; the deletion seals the registration again.
	if err := f.a.DeleteDatabase(priv.ID); err != nil {
		t.Fatal(err)
	}
	f.close(t)
	f.open(t)
	if d, ok := f.a.DatabaseByID(priv.ID); !ok || !d.Deleted() {
		t.Fatalf("after delete and restart: %+v, %v", d, ok)
	}
	if got := f.log.find(slog.LevelError); len(got) != 0 {
		t.Errorf("errors logged after the delete: %q", got)
	}
}

// An older record of the field put back (the database was public once): each record
// opens, but the registration as a whole no longer matches its MAC.
func TestRegistryReplayedFieldRefused(t *testing.T) {
	f := newRegFixture(t)
	d, err := f.a.CreateDatabase(CreateOptions{Name: "was-public", Public: AccessReadWrite})
	if err != nil {
		t.Fatal(err)
	}
	key, publicRec := f.publicRecord(t, d.ID, AccessNone) // now private; publicRec says "true"
	boltEdit(t, f.dir, func(tx *bolt.Tx) error { return tx.Bucket([]byte("data")).Put([]byte(key), publicRec) })

	f.open(t)
	f.wantUnusable(t, d.ID)

	// No writer may reseal it: that would trust the put-back record (setDatabasePublic
	// and setDatabaseJWTKey alike).
	_, pem := newEdKey(t)
	if err := f.a.SetDatabaseJWTKey(d.ID, string(pem)); err == nil {
		t.Error("SetDatabaseJWTKey of an unusable database succeeded")
	}
	if err := f.a.SetPublic(d.ID, AccessNone); err == nil {
		t.Error("SetPublic of an unusable database succeeded")
	}
	f.close(t)
	f.open(t)
	f.wantUnusable(t, d.ID)
}

// A new directory starts sealed: no migration, and no integrity error in the log.
func TestRegistryFreshDirectoryQuiet(t *testing.T) {
	f := newRegFixture(t)
	if got := f.log.find(slog.LevelError); len(got) != 0 {
		t.Errorf("errors logged on a fresh directory: %q", got)
	}
	if _, err := f.a.CreateDatabase(CreateOptions{Name: "one"}); err != nil {
		t.Fatal(err)
	}
	f.close(t)
	f.open(t)
	if got := f.log.find(slog.LevelError); len(got) != 0 {
		t.Errorf("errors logged at the second start: %q", got)
	}
	f.wantUsable(t, 1, AccessNone)
}

// The MAC record itself removed (the directory was migrated already): unusable, and the
// startup does not seal it again, even with the migration marker removed too, as long as
// another registration still has its MAC. (Removing every MAC and the marker makes the
// next start migrate again: the documented trust-once limit, TestRegistryMigration.)
func TestRegistryMACRemovedRefused(t *testing.T) {
	f := newRegFixture(t)
	d, err := f.a.CreateDatabase(CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.a.CreateDatabase(CreateOptions{Public: AccessRead})
	if err != nil {
		t.Fatal(err)
	}
	f.close(t)
	boltEdit(t, f.dir, func(tx *bolt.Tx) error { return tx.Bucket([]byte("herodb.sys")).Delete([]byte(regName(d.ID))) })
	f.open(t)
	f.wantUnusable(t, d.ID)
	f.wantUsable(t, e.ID, AccessRead)

	f.close(t)
	boltEdit(t, f.dir, func(tx *bolt.Tx) error { return tx.Bucket([]byte("herodb.sys")).Delete([]byte(regMarker)) })
	f.open(t)
	f.wantUnusable(t, d.ID)
	if got := f.log.find(slog.LevelError, "marker is missing or wrong"); len(got) != 1 {
		t.Errorf("marker log lines: %q", got)
	}
	if got := f.log.find(slog.LevelWarn, "sealed the registrations"); len(got) != 0 {
		t.Errorf("migrated again: %q", got)
	}

	// Every MAC and the marker removed: DB 0's key wrap still says the directory was
	// migrated, so nothing is sealed again and both databases are unusable.
	f.close(t)
	boltEdit(t, f.dir, func(tx *bolt.Tx) error {
		sys := tx.Bucket([]byte("herodb.sys"))
		for _, name := range []string{regName(d.ID), regName(e.ID), regMarker} {
			sys.Delete([]byte(name))
		}
		return nil
	})
	f.open(t)
	f.wantUnusable(t, d.ID)
	f.wantUnusable(t, e.ID)
	if got := f.log.find(slog.LevelWarn, "sealed the registrations"); len(got) != 0 {
		t.Errorf("migrated again after every MAC was removed: %q", got)
	}
}

// A whole registration deleted (every record of meta:db:<id> and its MAC) does not make
// the database vanish, which would free its name for reuse.
func TestRegistryMissingRegistrationRefused(t *testing.T) {
	f := newRegFixture(t)
	if _, err := f.a.CreateDatabase(CreateOptions{Name: "first"}); err != nil {
		t.Fatal(err)
	}
	f.close(t)
	data0, keys0 := bucketRecords(t, f.dir, "data"), bucketRecords(t, f.dir, "keys")
	f.open(t)
	d, err := f.a.CreateDatabase(CreateOptions{Name: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.a.DeleteDatabase(d.ID); err != nil {
		t.Fatal(err)
	}
	f.close(t)
	// What is new since then is meta:db:<id>: its key record and its field records
	// (admin:dbs's field for it came and went).
	boltEdit(t, f.dir, func(tx *bolt.Tx) error {
		for bucket, old := range map[string]map[string][]byte{"data": data0, "keys": keys0} {
			b := tx.Bucket([]byte(bucket))
			var added [][]byte
			b.ForEach(func(k, _ []byte) error {
				if _, ok := old[string(k)]; !ok {
					added = append(added, bytes.Clone(k))
				}
				return nil
			})
			if len(added) == 0 {
				return fmt.Errorf("no %s record of the registration found", bucket)
			}
			for _, k := range added {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return tx.Bucket([]byte("herodb.sys")).Delete([]byte(regName(d.ID)))
	})
	f.open(t)
	f.wantUnusable(t, d.ID)
	if !strings.Contains(f.log.find(slog.LevelError, "integrity check")[0], "missing") {
		t.Errorf("log line does not say the registration is missing: %q", f.log.recs)
	}
	f.wantUsable(t, 1, AccessNone)
}

// A directory from before the check: no MAC, no marker. The first start seals every
// registration as found (one log line); later starts do not migrate again.
func TestRegistryMigration(t *testing.T) {
	f := newRegFixture(t)
	priv, _ := f.a.CreateDatabase(CreateOptions{Name: "priv"})
	pub, _ := f.a.CreateDatabase(CreateOptions{Name: "pub", Public: AccessReadWrite})
	ro, _ := f.a.CreateDatabase(CreateOptions{Public: AccessRead})
	gone, _ := f.a.CreateDatabase(CreateOptions{Name: "gone"})
	if err := f.a.DeleteDatabase(gone.ID); err != nil {
		t.Fatal(err)
	}
	dek0 := f.a.dek0
	f.close(t)
	boltEdit(t, f.dir, func(tx *bolt.Tx) error { // what an older herodb left
		sys := tx.Bucket([]byte("herodb.sys"))
		if err := oldKeyWrap(sys, dek0); err != nil {
			return err
		}
		for _, name := range []string{regName(priv.ID), regName(pub.ID), regName(ro.ID), regName(gone.ID), regMarker} {
			if sys.Get([]byte(name)) == nil {
				return fmt.Errorf("%s was never written", name)
			}
			if err := sys.Delete([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})

	f.open(t)
	if got := f.log.find(slog.LevelWarn, "sealed the registrations", "databases=4"); len(got) != 1 {
		t.Fatalf("migration log lines: %q (all: %q)", got, f.log.recs)
	}
	if got := f.log.find(slog.LevelError); len(got) != 0 {
		t.Errorf("errors at migration: %q", got)
	}
	f.wantUsable(t, priv.ID, AccessNone)
	f.wantUsable(t, pub.ID, AccessReadWrite)
	f.wantUsable(t, ro.ID, AccessRead)
	if d, ok := f.a.DatabaseByID(gone.ID); !ok || !d.Deleted() {
		t.Errorf("deleted database after migration: %+v", d)
	}

	f.close(t)
	f.open(t)
	if got := f.log.find(slog.LevelWarn, "sealed the registrations"); len(got) != 0 {
		t.Errorf("migrated twice: %q", got)
	}
	f.wantUsable(t, pub.ID, AccessReadWrite)
}

// An old registration without a public field (removed consistently, count and all, before
// the upgrade) migrates as private: a missing public value never means public. (Removed
// with bbolt alone, the hash's count no longer matches and it is unusable instead.)
func TestRegistryMigrationMissingPublicIsPrivate(t *testing.T) {
	f := newRegFixture(t)
	d, _ := f.a.CreateDatabase(CreateOptions{Public: AccessReadWrite})
	err := f.a.db0.Update(func(tx *storage.Tx) error {
		_, err := tx.HDel(metaKey(d.ID), [][]byte{[]byte("public")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dek0 := f.a.dek0
	f.close(t)
	boltEdit(t, f.dir, func(tx *bolt.Tx) error {
		sys := tx.Bucket([]byte("herodb.sys"))
		if err := oldKeyWrap(sys, dek0); err != nil {
			return err
		}
		if err := sys.Delete([]byte(regName(d.ID))); err != nil {
			return err
		}
		return sys.Delete([]byte(regMarker))
	})
	f.open(t)
	if got := f.log.find(slog.LevelWarn, "sealed the registrations", "databases=1"); len(got) != 1 {
		t.Fatalf("migration log lines: %q", f.log.recs)
	}
	f.wantUsable(t, d.ID, AccessNone)
}

// Every writer of meta:db:<id> seals it again: after each kind of change and a restart,
// nothing is unusable.
func TestRegistryWritersReseal(t *testing.T) {
	f := newRegFixture(t)
	a, _ := f.a.CreateDatabase(CreateOptions{Name: "a", MaxSize: MinMaxSize})
	b, _ := f.a.CreateDatabase(CreateOptions{})
	c, _ := f.a.CreateDatabase(CreateOptions{Name: "c"})
	if err := f.a.SetPublic(a.ID, AccessRead); err != nil {
		t.Fatal(err)
	}
	_, pem := newEdKey(t)
	if err := f.a.SetDatabaseJWTKey(b.ID, string(pem)); err != nil {
		t.Fatal(err)
	}
	if err := f.a.DeleteDatabase(c.ID); err != nil {
		t.Fatal(err)
	}
	f.close(t)
	f.open(t)
	if got := f.log.find(slog.LevelError); len(got) != 0 {
		t.Fatalf("errors after restart: %q", got)
	}
	f.wantUsable(t, a.ID, AccessRead)
	f.wantUsable(t, b.ID, AccessNone)
	if d, _ := f.a.DatabaseByID(b.ID); d.JWTKey == nil {
		t.Error("jwt key lost")
	}
	if d, _ := f.a.DatabaseByID(a.ID); d.MaxSize != MinMaxSize || d.Name != "a" {
		t.Errorf("fields after restart: %+v", d)
	}
}

// admin:next_id moved back (its older record put back) would give an id twice: it is
// put back above every id in use, with an error logged.
func TestRegistryNextIDMovedBack(t *testing.T) {
	f := newRegFixture(t)
	f.a.CreateDatabase(CreateOptions{Name: "a"})
	f.a.CreateDatabase(CreateOptions{Name: "b"})
	// next_id is a small string: its value is in its key record, found by its digest.
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: f.a.dek0})
	if err != nil {
		t.Fatal(err)
	}
	idx := string(kr.Index('k', []byte("admin:next_id")))
	f.close(t)
	before := bucketRecords(t, f.dir, "keys")
	f.open(t)
	c, err := f.a.CreateDatabase(CreateOptions{Name: "c"}) // next_id 3 → 4
	if err != nil {
		t.Fatal(err)
	}
	f.close(t)
	if after := bucketRecords(t, f.dir, "keys"); before[idx] == nil || bytes.Equal(after[idx], before[idx]) {
		t.Fatal("next_id's key record did not change on create")
	}
	boltEdit(t, f.dir, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("keys")).Put([]byte(idx), before[idx])
	})
	f.open(t)
	if got := f.log.find(slog.LevelError, "next_id was moved back"); len(got) != 1 {
		t.Fatalf("log lines: %q", f.log.recs)
	}
	d, err := f.a.CreateDatabase(CreateOptions{Name: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID <= c.ID {
		t.Fatalf("new database got id %d, already used by c (%d)", d.ID, c.ID)
	}
	f.wantUsable(t, c.ID, AccessNone)
}

func TestParsePublicFailsClosed(t *testing.T) {
	for in, want := range map[string]Access{"true": AccessReadWrite, "read": AccessRead, "false": AccessNone,
		"": AccessNone, "TRUE": AccessNone, "1": AccessNone, "yes": AccessNone, "readwrite": AccessNone} {
		if got := parsePublic(in); got != want {
			t.Errorf("parsePublic(%q) = %v, want %v", in, got, want)
		}
	}
	d := decodeRegistration(7, [][]byte{[]byte("backend"), []byte("bbolt")})
	if d.Public != AccessNone || d.Name != "" {
		t.Errorf("registration without public or name: %+v", d)
	}
}

// The MAC binds the id and every field, and no field/value split encodes alike.
func TestRegistrationMACBinds(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	p := func(kv ...string) [][]byte {
		var out [][]byte
		for _, s := range kv {
			out = append(out, []byte(s))
		}
		return out
	}
	base := registrationMAC(key, 1, p("public", "false", "name", "x"))
	for name, other := range map[string][]byte{
		"other id":      registrationMAC(key, 2, p("public", "false", "name", "x")),
		"field gone":    registrationMAC(key, 1, p("name", "x")),
		"value changed": registrationMAC(key, 1, p("public", "true", "name", "x")),
		"split moved":   registrationMAC(key, 1, p("public", "falsename", "", "x")),
		"other key":     registrationMAC(bytes.Repeat([]byte{2}, 32), 1, p("public", "false", "name", "x")),
	} {
		if bytes.Equal(base, other) {
			t.Errorf("%s: same MAC", name)
		}
	}
	if !bytes.Equal(base, registrationMAC(key, 1, p("name", "x", "public", "false"))) {
		t.Error("field order changed the MAC")
	}
}
