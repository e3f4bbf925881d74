package rpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/storage"
)

// TestDeleteShredsOverRPC: a database written over RESP and deleted over the HTTP RPC of
// a real server has its slot secret zeroed and found in no file of the directory; its
// old file, put back, is not opened after a restart (and is removed).
func TestDeleteShredsOverRPC(t *testing.T) {
	dir := t.TempDir()
	srv := startServerWith(t, herodbtest.Options{Dir: dir})
	e := serveRPC(t, srv, rpc.Config{})
	call := e.callFn()
	id := asID(t, mustOK(t, call, "herodb_createDatabase",
		json.RawMessage(`["bbolt",{"name":"doomed","storage_path":null,"max_size":null,"redis_version":null},null]`)))
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, DB: int(id)})
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := srv.Close(); err != nil { // the file made and flushed
		t.Fatal(err)
	}
	srv = startServerWith(t, herodbtest.Options{Dir: dir})
	e = serveRPC(t, srv, rpc.Config{})
	call = e.callFn()
	slotAt := int64(64 + admin.SlotSize*int(id))
	slot := make([]byte, admin.SlotSize)
	sf, err := os.ReadFile(filepath.Join(dir, admin.ShredFileName))
	if err != nil {
		t.Fatal(err)
	}
	copy(slot, sf[slotAt:])
	if bytes.Equal(slot, make([]byte, admin.SlotSize)) {
		t.Fatal("the new database has no slot secret")
	}
	file := storage.FilePath(dir, id)
	old, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wantTrue(t, "delete", mustOK(t, call, "herodb_deleteDatabase", []any{id}))
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	sf, _ = os.ReadFile(filepath.Join(dir, admin.ShredFileName))
	if !bytes.Equal(sf[slotAt:slotAt+admin.SlotSize], make([]byte, admin.SlotSize)) {
		t.Error("the deleted database's slot was not overwritten with zeros")
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, slot) {
				t.Errorf("%s holds the deleted database's slot secret", p)
			}
		}
		return err
	})
	if err := os.WriteFile(file, old, 0o600); err != nil {
		t.Fatal(err)
	}
	srv = startServerWith(t, herodbtest.Options{Dir: dir})
	c = redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: herodbtest.AdminSecret, MaxRetries: -1})
	defer c.Close()
	if err := c.Do(ctx, "SELECT", fmt.Sprint(id)).Err(); err == nil {
		t.Error("the deleted database opened with its old file put back")
	}
	if got, err := c.Do(ctx, "SELECT", "doomed").Result(); err == nil {
		t.Errorf("SELECT doomed: %v", got)
	}
}
