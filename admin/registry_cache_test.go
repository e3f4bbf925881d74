package admin

import (
	"strconv"
	"testing"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

const rcSecret = "registry-cache-test-secret"

func rcAccess(g *Grant, id uint64) Access {
	if g == nil {
		return AccessNone
	}
	return g.dbs[id]
}

// TestRegistryNotLoadedAtStartup: a restart reads no registration before serving; a
// database is read when used, by id or by name, and its access key works.
func TestRegistryNotLoadedAtStartup(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	if _, err := a.CreateDatabases(500, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	named, err := a.CreateDatabase(CreateOptions{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	key := "an-access-key-of-acme-0123456789"
	if err := a.AddAccessKey(named.ID, key, AccessReadWrite); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	defer a.Close()
	if n := len(a.dbs); n != 0 {
		t.Fatalf("%d registrations in memory after startup, want none read", n)
	}
	if n := a.Count(); n != 501 {
		t.Errorf("Count() = %d, want 501", n)
	}
	d, ok := a.Database("acme")
	if !ok || d.ID != named.ID {
		t.Fatalf("Database(acme) = %v, %v; want id %d", d, ok, named.ID)
	}
	g, err := a.Authenticate(Attempt{Addr: "127.0.0.1:1", Transport: "resp"}, []byte(key))
	if err != nil || rcAccess(g, named.ID) != AccessReadWrite {
		t.Fatalf("the access key after restart: %v, %v", g, err)
	}
	if _, err := a.CreateDatabase(CreateOptions{Name: "acme"}); ErrorCode(err) != ECONFLICT {
		t.Errorf("a second acme after restart: %v, want conflict", err)
	}
	if d, err := a.CreateDatabase(CreateOptions{}); err != nil || d.ID != named.ID+1 {
		t.Errorf("the next id after restart: %v, %v; want %d", d, err, named.ID+1)
	}
}

// TestRegistryCacheBounded: with room for 50 registrations, using 400 databases keeps
// at most 50 in memory, and a revocation on a database whose snapshot was dropped still
// takes effect: its reloaded snapshot has a new generation, and a re-derived grant no
// longer holds the key.
func TestRegistryCacheBounded(t *testing.T) {
	a := openAdmin(t, Config{Secret: []byte(rcSecret), RegistryCache: 50})
	defer a.Close()
	ds, err := a.CreateDatabases(400, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	victim := ds[0].ID
	key := "a-key-of-the-first-database-0123"
	if err := a.AddAccessKey(victim, key, AccessRead); err != nil {
		t.Fatal(err)
	}
	seen, _ := a.DatabaseByID(victim)
	gen := seen.Generation()
	for _, d := range ds {
		if _, ok := a.DatabaseByID(d.ID); !ok {
			t.Fatalf("database %d not found", d.ID)
		}
		if n := len(a.dbs); n > 50 {
			t.Fatalf("%d registrations cached, want at most 50", n)
		}
	}
	hash := crypto.SHA256Hex([]byte(key))
	if err := a.DeleteAccessKey(victim, hash); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds[1:200] { // push the victim's snapshot out again
		a.DatabaseByID(d.ID)
	}
	now, _ := a.DatabaseByID(victim)
	if now.Generation() == gen {
		t.Errorf("generation %d unchanged after a revocation and a reload", gen)
	}
	if g, err := a.Recheck([]byte(key)); err == nil && rcAccess(g, victim) != AccessNone {
		t.Errorf("the deleted key still grants %v on database %d", rcAccess(g, victim), victim)
	}
}

// TestRegistryIndexesAreHints: a forged name index entry finds nothing (the
// registration's own name must match), a forged access-key entry grants nothing (the
// sealed key record must hold the key).
func TestRegistryIndexesAreHints(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	app, _ := a.CreateDatabase(CreateOptions{Name: "app"})
	other, _ := a.CreateDatabase(CreateOptions{Name: "other"})
	key := "the-key-of-app-only-0123456789ab"
	if err := a.AddAccessKey(app.ID, key, AccessReadWrite); err != nil {
		t.Fatal(err)
	}
	hash := crypto.SHA256Hex([]byte(key))
	err := a.db0.Update(func(tx *storage.Tx) error {
		if err := indexName(tx, "app", other.ID); err != nil { // "app" now points at other
			return err
		}
		return tx.SysPut(akeyIndex(hash, other.ID), nil) // the key "holds" other too
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	defer a.Close()
	if d, ok := a.Database("app"); ok {
		t.Errorf("Database(app) with a forged index = database %d, want not found", d.ID)
	}
	g, err := a.Authenticate(Attempt{Addr: "127.0.0.1:1", Transport: "resp"}, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if acc := rcAccess(g, other.ID); acc != AccessNone {
		t.Errorf("a forged index entry grants %v on database %d", acc, other.ID)
	}
	if acc := rcAccess(g, app.ID); acc != AccessReadWrite {
		t.Errorf("the key's own database: %v", acc)
	}
}

// TestRegistryIndexesBuiltForOldDirectory: a directory from before the indexes (no
// marker, no entries) gets them built once at startup: names resolve, keys open.
func TestRegistryIndexesBuiltForOldDirectory(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	var ids []uint64
	for i := 0; i < 20; i++ {
		d, err := a.CreateDatabase(CreateOptions{Name: "old" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	key := "a-key-from-before-the-index-0123"
	if err := a.AddAccessKey(ids[7], key, AccessRead); err != nil {
		t.Fatal(err)
	}
	err := a.db0.Update(func(tx *storage.Tx) error { // as a directory written before them
		for _, p := range []string{namePrefix, akeyPrefix, indexMarker} {
			for _, kv := range tx.SysPrefix(p) {
				if err := tx.SysDelete(string(kv[0])); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	defer a.Close()
	for i, id := range ids {
		if d, ok := a.Database("old" + strconv.Itoa(i)); !ok || d.ID != id {
			t.Errorf("Database(old%d) = %v, %v after the index was built; want %d", i, d, ok, id)
		}
	}
	g, err := a.Authenticate(Attempt{Addr: "127.0.0.1:1", Transport: "resp"}, []byte(key))
	if err != nil || rcAccess(g, ids[7]) != AccessRead {
		t.Errorf("the old key after the index was built: %v, %v", g, err)
	}
	if _, err := a.CreateDatabase(CreateOptions{Name: "old3"}); ErrorCode(err) != ECONFLICT {
		t.Errorf("old3 again: %v, want conflict (names are never reused)", err)
	}
}

// TestTokenIndexBuiltForOldDirectory: tokens are read at startup through their index,
// not a walk of DB 0's keyspace; a directory from before the index gets it built once,
// and a token created then still authenticates after every restart.
func TestTokenIndexBuiltForOldDirectory(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	if _, err := a.CreateDatabase(CreateOptions{Name: "app"}); err != nil {
		t.Fatal(err)
	}
	nt, err := a.CreateToken(adminGrant, "ci", tkScopes(t, `[{"type":"database","name":"app","permissions":["read"]}]`), 0)
	if err != nil {
		t.Fatal(err)
	}
	err = a.db0.Update(func(tx *storage.Tx) error { // as a directory written before the index
		for _, kv := range append(tx.SysPrefix(tokenIndex), tx.SysPrefix(tokenIndexMarker)...) {
			if err := tx.SysDelete(string(kv[0])); err != nil {
				return err
			}
		}
		return tx.SysPut(tokenIndex+"0000000000000000", nil) // an entry with no token: skipped
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	for round := 0; round < 2; round++ { // built, then read through it
		a = openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
		if _, err := a.Authenticate(Attempt{Addr: "127.0.0.1:1", Transport: "resp"}, []byte(nt.Token)); err != nil {
			t.Fatalf("round %d: the token after restart: %v", round, err)
		}
		if n := len(a.ListTokens(adminGrant, true)); n != 1 {
			t.Errorf("round %d: %d tokens listed, want 1", round, n)
		}
		a.Close()
	}
}

// TestRegistryLookupsDoNotFillTheCache: resolving databases by id or name (what a SELECT
// does before its credential is checked) caches nothing, so probing ids cannot push the
// registrations in use out of memory; using one caches it.
func TestRegistryLookupsDoNotFillTheCache(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	ds, err := a.CreateDatabases(300, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateDatabase(CreateOptions{Name: "probe-me"}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	defer a.Close()
	for _, d := range ds {
		if _, ok := a.Database(strconv.FormatUint(d.ID, 10)); !ok {
			t.Fatalf("Database(%d) not found", d.ID)
		}
	}
	if _, ok := a.Database("probe-me"); !ok {
		t.Fatal("Database(probe-me) not found")
	}
	if n := len(a.dbs); n != 0 {
		t.Errorf("%d registrations cached by lookups alone, want 0", n)
	}
	a.DatabaseByID(ds[7].ID)
	if n := len(a.dbs); n != 1 {
		t.Errorf("%d registrations cached after one use, want 1", n)
	}
}

// TestRegistrySeenTakenByTheUse: the registration a SELECT resolved (Database) is the one
// its use then caches, without a second read of DB 0, unless the registry changed in
// between; the snapshots kept for that are bounded and never fill the cache.
func TestRegistrySeenTakenByTheUse(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	ds, err := a.CreateDatabases(seenMax+100, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rcSecret)})
	defer a.Close()
	id := strconv.FormatUint(ds[0].ID, 10)

	resolved, ok := a.Database(id)
	if !ok {
		t.Fatalf("Database(%s) not found", id)
	}
	if used, _ := a.DatabaseByID(ds[0].ID); used != resolved {
		t.Error("the use read the registration again instead of taking the one resolved")
	}

	// A change between the two: the use must see it, not the snapshot resolved before.
	id1 := strconv.FormatUint(ds[1].ID, 10)
	before, ok := a.Database(id1)
	if !ok || before.Public != AccessNone {
		t.Fatalf("Database(%s) = %+v, %v", id1, before, ok)
	}
	if err := a.SetPublic(ds[1].ID, AccessRead); err != nil {
		t.Fatal(err)
	}
	if used, _ := a.DatabaseByID(ds[1].ID); used == nil || used.Public != AccessRead {
		t.Fatalf("after SetPublic, the use got %+v: a snapshot from before the change", used)
	}
	// A change to another database also moves the registry: what was resolved before it
	// is read again, not taken.
	resolved2, ok := a.Database(strconv.FormatUint(ds[2].ID, 10))
	if !ok {
		t.Fatal("Database(ds[2]) not found")
	}
	if err := a.SetPublic(ds[3].ID, AccessRead); err != nil {
		t.Fatal(err)
	}
	if used, _ := a.DatabaseByID(ds[2].ID); used == resolved2 {
		t.Error("a snapshot resolved before a registry change was taken by the use after it")
	}
	a.mu.Lock()
	cached := len(a.dbs)
	a.mu.Unlock()

	// Many resolved and never used: seen stays bounded, the cache untouched.
	for _, d := range ds[4:] {
		if _, ok := a.Database(strconv.FormatUint(d.ID, 10)); !ok {
			t.Fatalf("Database(%d) not found", d.ID)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.seen) > seenMax {
		t.Errorf("%d snapshots kept for uses, want at most %d", len(a.seen), seenMax)
	}
	if len(a.dbs) != cached {
		t.Errorf("resolving %d databases changed the cache from %d to %d", len(ds)-4, cached, len(a.dbs))
	}
}
