package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/rpc"
)

// Helpers shared by the CLI tests: the binary under test (built once by TestMain), a
// server with its RPC on loopback, and running the binary.

// herodbBin is the binary under test, built by TestMain.
var herodbBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "herodb-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	herodbBin = filepath.Join(dir, "herodb")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	build := exec.Command(gobin, "build", "-o", herodbBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build herodb:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// serveRPC starts a herodbtest server and serves its RPC over HTTP on loopback until the
// test ends. The server has answered a PING (its accept loop runs), so closing it early
// is safe: closing a server before it started hangs Close.
func serveRPC(t *testing.T) (*herodbtest.Server, *rpc.Service, *httptest.Server) {
	t.Helper()
	srv := herodbtest.Start(t, herodbtest.Options{})
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING the test server: %v", err)
	}
	c.Close()
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info})
	hs := httptest.NewServer(svc.HTTPHandler())
	t.Cleanup(hs.Close)
	return srv, svc, hs
}

// execHerodb runs cmd, the binary under test, with the caller's environment less its
// HERODB_* variables plus env (KEY=VALUE), and returns what it printed and its exit code.
func execHerodb(t *testing.T, cmd *exec.Cmd, env []string) (stdout, stderr string, code int) {
	t.Helper()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERODB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run herodb %v: %v", cmd.Args[1:], err)
	}
	return out.String(), errb.String(), code
}
