package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/internal/testcert"
)

// TestServeTLSFlagsRefused: TLS flags that do not make sense together stop serve before
// it touches the data directory, with a message naming the flag.
func TestServeTLSFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewCA(t, dir, "ca")
	p := ca.Server(t, "server")
	for _, tc := range []struct{ args, want string }{
		{"--port 0", "no RESP port: --port 0 turns the plain port off"},
		{"--tls-port 6390", "--tls-port needs --tls-cert-file and --tls-key-file"},
		{"--tls-cert-file " + p.CertFile + " --tls-key-file " + p.KeyFile, "--tls-cert-file is given but --tls-port is not"},
		{"--tls-port 6390 --tls-cert-file " + p.CertFile, "--tls-cert-file and --tls-key-file are both needed"},
		{"--tls-port 6390 --tls-cert-file " + p.CertFile + " --tls-key-file " + p.KeyFile + " --tls-auth-clients maybe", `--tls-auth-clients: "maybe"; want yes, no or optional`},
		{"--tls-port 6390 --tls-cert-file " + p.CertFile + " --tls-key-file " + p.KeyFile + " --tls-auth-clients yes", "--tls-auth-clients needs --tls-ca-cert-file"},
		{"--tls-port 6390 --tls-cert-file " + p.CertFile + " --tls-key-file " + p.KeyFile + " --tls-ca-cert-file " + ca.CertFile, "--tls-ca-cert-file is given but --tls-auth-clients is no"},
		{"--tls-port 6390 --tls-cert-file " + p.KeyFile + " --tls-key-file " + p.KeyFile, "--tls-cert-file " + p.KeyFile},
		{"--tls-port 6390 --tls-cert-file " + p.CertFile + " --tls-key-file " + p.KeyFile + " --tls-auth-clients yes --tls-ca-cert-file " + p.KeyFile, "--tls-ca-cert-file: " + p.KeyFile + " holds no PEM certificate"},
		{"--rpc-tls-cert-file " + p.CertFile + " --rpc-tls-key-file " + p.KeyFile, "--rpc-tls-cert-file is given but the RPC is off: add --enable-rpc"},
		{"--enable-rpc --rpc-tls-cert-file " + p.CertFile, "--rpc-tls-cert-file and --rpc-tls-key-file are both needed"},
		{"--protected-mode maybe", `--protected-mode: "maybe"; want yes or no`},
	} {
		t.Run(tc.args, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			args := append([]string{"serve", "--dir", data}, strings.Fields(tc.args)...)
			_, stderr, code := execHerodb(t, exec.Command(herodbBin, args...), []string{"HERODB_ADMIN_SECRET=tls-flags-secret"})
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("serve %s: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr, tc.want)
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Errorf("serve %s created %s (%v)", tc.args, data, err)
			}
		})
	}
}

// tlsFreePort is a loopback port free a moment ago.
func tlsFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a process's stderr, read by the test while the process writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLog waits until the log holds want n times.
func waitLog(t *testing.T, log *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(log.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the server never logged %q (%d times):\n%s", want, n, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeTLSAndSIGHUP runs the binary with TLS only on RESP (--port 0) and HTTPS on the
// RPC: the CLI manages it with --cacert, go-redis and a raw TLS connection use it, and
// after the certificate files are renewed, SIGHUP serves the new certificate on both
// ports to new connections while a connection made before keeps working.
func TestServeTLSAndSIGHUP(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewCA(t, dir, "ca")
	pair := ca.Server(t, "server")
	port, rpcPort := tlsFreePort(t), tlsFreePort(t)
	const secret = "tls-serve-admin-secret"
	cmd := exec.Command(herodbBin, "serve", "--dir", filepath.Join(dir, "data"), "--port", "0",
		"--tls-port", strconv.Itoa(port), "--tls-cert-file", pair.CertFile, "--tls-key-file", pair.KeyFile,
		"--enable-rpc", "--rpc-port", strconv.Itoa(rpcPort),
		"--rpc-tls-cert-file", pair.CertFile, "--rpc-tls-key-file", pair.KeyFile)
	cmd.Env = append(os.Environ(), "HERODB_ADMIN_SECRET="+secret)
	var log syncBuffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitLog(t, &log, "rpc listening with TLS (HTTPS)", 1)
	if strings.Contains(log.String(), `msg="herodb listening" `) || !strings.Contains(log.String(), "herodb listening with TLS") {
		t.Errorf("with --port 0 the plain port should be off and the TLS port on:\n%s", log.String())
	}

	rpcURL := "https://127.0.0.1:" + strconv.Itoa(rpcPort)
	env := []string{"HERODB_ADMIN_SECRET=" + secret}
	if _, stderr, code := execHerodb(t, exec.Command(herodbBin, "db", "list", "--rpc", rpcURL), env); code == 0 || !strings.Contains(stderr, "certificate") {
		t.Errorf("db list over HTTPS without --cacert: exit %d, %q; want a certificate error", code, stderr)
	}
	out, stderr, code := execHerodb(t, exec.Command(herodbBin, "db", "create", "--name", "app", "--public", "--rpc", rpcURL, "--cacert", ca.CertFile), env)
	if code != 0 {
		t.Fatalf("db create over HTTPS with --cacert: exit %d, %s %s", code, out, stderr)
	}
	if _, stderr, code := execHerodb(t, exec.Command(herodbBin, "db", "list", "--rpc", rpcURL), append(env, "HERODB_CACERT="+ca.CertFile)); code != 0 {
		t.Errorf("db list with HERODB_CACERT: exit %d, %s", code, stderr)
	}

	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg := &tls.Config{RootCAs: ca.Pool()}
	rdb := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, MaxRetries: -1})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Do(ctx, "SELECT", "app").Err(); err != nil {
		t.Fatalf("SELECT app over TLS: %v", err)
	}
	if err := rdb.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatalf("SET over TLS: %v", err)
	}

	old, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldSerial := old.ConnectionState().PeerCertificates[0].SerialNumber
	tlsRoundTrip(t, old, "SELECT app\r\n", "+OK")

	fresh := ca.Server(t, "renewed")
	for _, cp := range [][2]string{{fresh.CertFile, pair.CertFile}, {fresh.KeyFile, pair.KeyFile}} {
		b, err := os.ReadFile(cp[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cp[1], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, &log, "TLS certificate reloaded", 2) // RESP and RPC

	for _, a := range []string{addr, "127.0.0.1:" + strconv.Itoa(rpcPort)} {
		nc, err := tls.Dial("tcp", a, cfg)
		if err != nil {
			t.Fatalf("dial %s after SIGHUP: %v", a, err)
		}
		got := nc.ConnectionState().PeerCertificates[0].SerialNumber
		nc.Close()
		if got.Cmp(fresh.Cert.SerialNumber) != 0 || got.Cmp(oldSerial) == 0 {
			t.Errorf("%s after SIGHUP serves serial %v; want the renewed %v", a, got, fresh.Cert.SerialNumber)
		}
	}
	tlsRoundTrip(t, old, "GET k\r\n", "$2")
	if err := rdb.Get(ctx, "k").Err(); err != nil {
		t.Errorf("GET on go-redis's connection from before SIGHUP: %v", err)
	}
}

// tlsRoundTrip sends an inline command and checks the first line of the reply.
func tlsRoundTrip(t *testing.T, c *tls.Conn, cmd, want string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd)); err != nil {
		t.Fatalf("%q: %v", cmd, err)
	}
	buf := make([]byte, 256)
	n, err := c.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), want) {
		t.Fatalf("%q: %q, %v; want %q", cmd, buf[:n], err, want)
	}
}
