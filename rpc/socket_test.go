package rpc_test

// The Unix socket transport: file mode, stale and foreign files at the path, calls
// through sourcegraph/jsonrpc2 and through a raw connection, and cleanup on Close.

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/seed6aa118f9/herodb/rpc"
)

func TestSocketEveryMethod(t *testing.T) {
	t.Parallel()
	_, path, _ := newSocketEnv(t)
	call := socketCall(t, path)
	for _, prefix := range []string{"herodb_", "hero_"} {
		t.Run(prefix, func(t *testing.T) {
			exerciseAllMethods(t, call, prefix, "s"+strings.TrimSuffix(prefix, "_"))
		})
	}
	t.Run("rpc.discover", func(t *testing.T) { checkDiscover(t, call) })
	t.Run("errors", func(t *testing.T) {
		mustFail(t, call, "herodb_getDatabaseInfo", []any{424242}, rpc.CodeNotFound)
		mustFail(t, call, "hero_frobnicate", []any{}, rpc.CodeMethodNotFound)
		id := asID(t, mustOK(t, call, "hero_createDatabase", []any{"Redb", map[string]any{"name": "keys"}, nil}))
		mustFail(t, call, "hero_addAccessKey", []any{id, "my-access-key", "readwrite"}, rpc.CodeInvalidParams, "16")
		mustFail(t, call, "herodb_createDatabase", []any{"Tantivy", map[string]any{"name": "tv"}, nil}, rpc.CodeUnsupported)
		mustFail(t, call, "herodb_createDatabase", []any{"Redb", map[string]any{"name": "sp", "storage_path": "/x"}, nil}, rpc.CodeInvalidParams, "storage_path")
		mustFail(t, call, "herodb_getDatabaseInfo", map[string]any{"db": 1}, rpc.CodeInvalidParams, `"db"`)
	})
}

func TestSocketFileMode(t *testing.T) {
	t.Parallel()
	_, path, _ := newSocketEnv(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("%s is not a socket: %v", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("socket mode %o, want 600", perm)
	}
	// No temporary directory is left next to it.
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the socket's directory holds %v, want only rpc.sock", names)
	}
}

func TestSocketStaleReplaced(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info})
	path := filepath.Join(sockDir(t), "rpc.sock")
	// A stale socket: bound, then closed without unlinking, as after a crash.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	ss, err := svc.ListenSocket(path)
	if err != nil {
		t.Fatalf("ListenSocket over a stale socket: %v", err)
	}
	defer ss.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced socket: %v %v", fi.Mode(), err)
	}
	if res := mustOK(t, socketCall(t, path), "herodb_listDatabases", []any{}); string(res) != "[]" {
		t.Errorf("listDatabases over the replaced socket: %s", res)
	}

	// A live socket is not taken over.
	if ss2, err := svc.ListenSocket(path); err == nil {
		ss2.Close()
		t.Errorf("ListenSocket over a socket in use succeeded")
	}
	if res := mustOK(t, socketCall(t, path), "herodb_listDatabases", []any{}); string(res) != "[]" {
		t.Errorf("the first server stopped answering after a refused second listen: %s", res)
	}
}

func TestSocketRegularFileRefused(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info})
	dir := sockDir(t)
	path := filepath.Join(dir, "rpc.sock")
	if err := os.WriteFile(path, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ss, err := svc.ListenSocket(path); err == nil {
		ss.Close()
		t.Fatalf("ListenSocket over a regular file succeeded")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Errorf("the regular file was changed: %q %v", b, err)
	}
	// A directory at the path is refused too.
	dpath := filepath.Join(dir, "adir")
	if err := os.Mkdir(dpath, 0o700); err != nil {
		t.Fatal(err)
	}
	if ss, err := svc.ListenSocket(dpath); err == nil {
		ss.Close()
		t.Errorf("ListenSocket over a directory succeeded")
	}
	// A missing parent directory is an error, not a panic.
	if ss, err := svc.ListenSocket(filepath.Join(dir, "nope", "rpc.sock")); err == nil {
		ss.Close()
		t.Errorf("ListenSocket in a missing directory succeeded")
	}
}

func TestSocketRawLine(t *testing.T) {
	t.Parallel()
	_, path, _ := newSocketEnv(t)
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(nc)
	roundTrip := func(line string) map[string]json.RawMessage {
		t.Helper()
		if _, err := io.WriteString(nc, line+"\n"); err != nil {
			t.Fatal(err)
		}
		reply, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("reading the reply to %s: %v (%q)", line, err, reply)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(reply, &m); err != nil {
			t.Fatalf("reply %q: %v", reply, err)
		}
		if string(m["jsonrpc"]) != `"2.0"` {
			t.Errorf("reply lacks jsonrpc 2.0: %s", reply)
		}
		return m
	}
	m := roundTrip(`{"jsonrpc":"2.0","id":1,"method":"hero_createDatabase","params":["Redb",{"name":null,"storage_path":null,"max_size":null,"redis_version":null},null]}`)
	if string(m["id"]) != "1" || string(m["result"]) != "1" {
		t.Errorf("createDatabase over a raw line: %v", m)
	}
	m = roundTrip(`{"jsonrpc":"2.0","id":"two","method":"herodb_getDatabaseInfo","params":{"id":1}}`)
	if string(m["id"]) != `"two"` || m["result"] == nil {
		t.Errorf("getDatabaseInfo over a raw line: %v", m)
	}
	m = roundTrip(`{"jsonrpc":"2.0","id":3,"method":"herodb_getDatabaseInfo","params":[77]}`)
	var e jsonrpc2.Error
	if err := json.Unmarshal(m["error"], &e); err != nil || e.Code != rpc.CodeNotFound || string(m["id"]) != "3" {
		t.Errorf("not found over a raw line: %v", m)
	}
	// Two requests in one write are two replies.
	if _, err := io.WriteString(nc, `{"jsonrpc":"2.0","id":4,"method":"hero_listDatabases","params":[]}`+"\n"+`{"jsonrpc":"2.0","id":5,"method":"hero_getServerInfo"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for range 2 {
		reply, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("pipelined reply: %v", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(reply, &m); err != nil || m["error"] != nil {
			t.Errorf("pipelined reply %s: %v", reply, err)
		}
		ids[string(m["id"])] = true
	}
	if !ids["4"] || !ids["5"] {
		t.Errorf("pipelined replies for ids %v, want 4 and 5", ids)
	}
	// Requests are read as on HTTP: a notification gets no reply, an id comes back as
	// sent (jsonrpc2's connection turned -1 into 18446744073709551615 and closed the
	// connection at 1.5), and a request with no method is answered -32600 on a
	// connection that stays open.
	if _, err := io.WriteString(nc, `{"jsonrpc":"2.0","method":"herodb_getServerInfo"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{`-1`, `1.5`, `18446744073709551616`, `"x"`} {
		m := roundTrip(`{"jsonrpc":"2.0","id":` + id + `,"method":"herodb_getServerInfo"}`)
		if string(m["id"]) != id || m["result"] == nil {
			t.Errorf("id %s: reply id %s, result %.80s; want the id as sent and a result", id, m["id"], m["result"])
		}
	}
	m = roundTrip(`{"jsonrpc":"2.0","id":7}`)
	if err := json.Unmarshal(m["error"], &e); err != nil || e.Code != rpc.CodeInvalidRequest || string(m["id"]) != "null" {
		t.Errorf("a request with no method: %v; want -32600 with id null", m)
	}
	if m := roundTrip(`{"jsonrpc":"2.0","id":8,"method":"herodb_getServerInfo"}`); string(m["id"]) != "8" {
		t.Errorf("after a request with no method the connection answers %v", m)
	}

	// Malformed JSON closes the connection without a reply (documented).
	if _, err := io.WriteString(nc, "{not json\n"); err != nil {
		t.Fatal(err)
	}
	if reply, err := r.ReadBytes('\n'); err == nil {
		t.Errorf("malformed JSON got a reply %q; the documented behaviour is a closed connection", reply)
	}
	// The server still serves new connections.
	if res := mustOK(t, socketCall(t, path), "herodb_listDatabases", nil); !strings.Contains(string(res), `"id":1`) {
		t.Errorf("listDatabases after a malformed connection: %s", res)
	}
}

func TestSocketCloseRemovesFile(t *testing.T) {
	t.Parallel()
	_, path, ss := newSocketEnv(t)
	// An open connection is closed by Close, too.
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := io.WriteString(nc, `{"jsonrpc":"2.0","id":1,"method":"hero_listDatabases"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	if _, err := r.ReadBytes('\n'); err != nil {
		t.Fatal(err)
	}
	if err := ss.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close the socket file is still there: %v", err)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadBytes('\n'); err == nil {
		t.Errorf("an open connection survived Close")
	}
	if _, err := net.Dial("unix", path); err == nil {
		t.Errorf("dial after Close succeeded")
	}
}
