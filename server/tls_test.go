package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/internal/testcert"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/tlsconf"
)

// tTLS is a test server with TLS on a free port and its public database "app".
type tTLS struct {
	srv   *herodbtest.Server
	db    uint64
	ca    *testcert.CA
	pair  testcert.Pair // the files the server loads its certificate from
	certs *tlsconf.Server
}

// tTLSServer starts a server with TLS (client certificates as auth says) beside its
// plain port, unless noPlain.
func tTLSServer(t *testing.T, auth string, noPlain bool) *tTLS {
	t.Helper()
	dir := t.TempDir()
	ca := testcert.NewCA(t, dir, "ca")
	pair := ca.Server(t, "server")
	ca2 := ""
	ca2Auth, err := tlsconf.ParseClientAuth(auth)
	if err != nil {
		t.Fatal(err)
	}
	if ca2Auth != tls.NoClientCert {
		ca2 = ca.CertFile
	}
	certs, err := tlsconf.Load(tlsconf.Files{Cert: pair.CertFile, Key: pair.KeyFile, CA: ca2, ClientAuth: ca2Auth})
	if err != nil {
		t.Fatal(err)
	}
	srv, db := tServer(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.TLS, c.NoPlainPort = certs.Config(), noPlain
	}})
	return &tTLS{srv: srv, db: db, ca: ca, pair: pair, certs: certs}
}

// tTLSClient is a go-redis client over TLS on db, trusting only the test CA.
func tTLSClient(t *testing.T, addr string, db uint64, cfg *tls.Config) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DB: int(db), Protocol: 2, TLSConfig: cfg,
		MaxRetries: -1, DialTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTLSGoRedis: go-redis with a tls.Config reaches a database over TLS; the plain port
// serves beside it, or not at all when it is off.
func TestTLSGoRedis(t *testing.T) {
	x := tTLSServer(t, "no", false)
	c := tTLSClient(t, x.srv.TLSAddr(), x.db, &tls.Config{RootCAs: x.ca.Pool()})
	tNoErr(t, "SET over TLS", c.Set(tCtx, "k", "v", 0).Err())
	got, err := c.Get(tCtx, "k").Result()
	tNoErr(t, "GET over TLS", err)
	tEq(t, "GET over TLS", got, "v")
	got, err = tClient(t, x.srv.Addr(), x.db).Get(tCtx, "k").Result()
	tNoErr(t, "GET on the plain port", err)
	tEq(t, "GET on the plain port", got, "v")

	// A client that does not trust the CA refuses the server.
	err = tTLSClient(t, x.srv.TLSAddr(), x.db, &tls.Config{}).Ping(tCtx).Err()
	var unknown *tls.CertificateVerificationError
	if !errors.As(err, &unknown) {
		t.Errorf("PING trusting the system roots only: %v; want an unknown authority", err)
	}

	only := tTLSServer(t, "no", true)
	tEq(t, "Addr with the plain port off", only.srv.Addr(), only.srv.TLSAddr())
	tNoErr(t, "PING, TLS only", tTLSClient(t, only.srv.TLSAddr(), only.db, &tls.Config{RootCAs: only.ca.Pool()}).Ping(tCtx).Err())
	// A plain client on the TLS port is not served RESP.
	raw, err := net.DialTimeout("tcp", only.srv.TLSAddr(), 5*time.Second)
	tNoErr(t, "dial", err)
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(5 * time.Second))
	raw.Write([]byte("PING\r\n"))
	b, _ := io.ReadAll(raw)
	if strings.Contains(string(b), "PONG") {
		t.Errorf("plain PING on the TLS port answered %q", b)
	}
}

// TestTLSClientCertificates: --tls-auth-clients yes refuses a client without a
// certificate or with one from another CA; optional takes none but refuses a bad one;
// no asks for none.
func TestTLSClientCertificates(t *testing.T) {
	for _, tc := range []struct {
		auth                 string
		none, good, stranger bool // whether each client is served
	}{
		{"yes", false, true, false},
		{"optional", true, true, false},
		{"no", true, true, true},
	} {
		t.Run(tc.auth, func(t *testing.T) {
			x := tTLSServer(t, tc.auth, true)
			good := x.ca.Client(t, "tenant-app")
			other := testcert.NewCA(t, t.TempDir(), "other").Client(t, "stranger")
			for _, cl := range []struct {
				name   string
				cert   *testcert.Pair
				served bool
			}{{"no certificate", nil, tc.none}, {"certificate of the CA", &good, tc.good}, {"certificate of another CA", &other, tc.stranger}} {
				cfg := &tls.Config{RootCAs: x.ca.Pool()}
				if cl.cert != nil {
					kp, err := tls.LoadX509KeyPair(cl.cert.CertFile, cl.cert.KeyFile)
					tNoErr(t, "load client pair", err)
					// Sent whatever CAs the server names, as a careless or hostile client would.
					cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &kp, nil }
				}
				err := tTLSClient(t, x.srv.TLSAddr(), x.db, cfg).Ping(tCtx).Err()
				if cl.served && err != nil {
					t.Errorf("%s: %v; want served", cl.name, err)
				}
				if !cl.served && err == nil {
					t.Errorf("%s: served; want refused", cl.name)
				}
				if !cl.served && err != nil && cl.cert == nil && !strings.Contains(err.Error(), "certificate required") {
					t.Errorf("%s: %v; want the server's 'certificate required'", cl.name, err)
				}
			}
		})
	}
}

// TestTLSOldVersionRefused: a client that offers at most TLS 1.1 gets no session.
func TestTLSOldVersionRefused(t *testing.T) {
	x := tTLSServer(t, "no", true)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		err := tTLSClient(t, x.srv.TLSAddr(), x.db, &tls.Config{RootCAs: x.ca.Pool(), MinVersion: v, MaxVersion: v}).Ping(tCtx).Err()
		if err == nil || !strings.Contains(err.Error(), "protocol version") {
			t.Errorf("PING with %s: %v; want a protocol version alert", tls.VersionName(v), err)
		}
	}
	// Even a configuration that asks for less gets TLS 1.2 at least (tlsconf.Harden).
	pair := x.ca.Server(t, "lax")
	kp, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	tNoErr(t, "load pair", err)
	lax, _ := tServer(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS10}
	}})
	err = tTLSClient(t, lax.TLSAddr(), 0, &tls.Config{RootCAs: x.ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}).Ping(tCtx).Err()
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.1 to a config with MinVersion TLS 1.0: %v; want a protocol version alert", err)
	}
}

// TestTLSReload: after Reload, new connections get the new certificate and a connection
// made before keeps working.
func TestTLSReload(t *testing.T) {
	x := tTLSServer(t, "no", true)
	cfg := &tls.Config{RootCAs: x.ca.Pool()}
	old := tTLSDial(t, x.srv.TLSAddr(), cfg)
	before := old.ConnectionState().PeerCertificates[0].SerialNumber
	w := bufio.NewReadWriter(bufio.NewReader(old), bufio.NewWriter(old))
	tTLSDo(t, w, "SELECT "+strconv.FormatUint(x.db, 10), "+OK")

	// Renewal: the new pair written over the old files, then the reload.
	fresh := x.ca.Server(t, "renewed")
	tCopyFile(t, fresh.CertFile, x.pair.CertFile)
	tCopyFile(t, fresh.KeyFile, x.pair.KeyFile)
	tNoErr(t, "reload", x.certs.Reload())

	nc := tTLSDial(t, x.srv.TLSAddr(), cfg)
	after := nc.ConnectionState().PeerCertificates[0].SerialNumber
	if after.Cmp(fresh.Cert.SerialNumber) != 0 || after.Cmp(before) == 0 {
		t.Errorf("after reload a new connection got serial %v; want the new %v (old %v)", after, fresh.Cert.SerialNumber, before)
	}
	tTLSDo(t, w, "SET k v", "+OK")
	tTLSDo(t, w, "GET k", "$1")

	// A reload that fails keeps the certificate in use.
	tNoErr(t, "break the certificate file", os.WriteFile(x.pair.CertFile, []byte("not a certificate"), 0o600))
	if err := x.certs.Reload(); err == nil || !strings.Contains(err.Error(), "--tls-cert-file") {
		t.Errorf("reload of a broken file: %v; want an error naming --tls-cert-file", err)
	}
	again := tTLSDial(t, x.srv.TLSAddr(), cfg)
	if s := again.ConnectionState().PeerCertificates[0].SerialNumber; s.Cmp(fresh.Cert.SerialNumber) != 0 {
		t.Errorf("after a failed reload: serial %v; want %v still", s, fresh.Cert.SerialNumber)
	}
}

// TestTLSHandshakeDeadline: a client that connects and never finishes its handshake is
// closed at the deadline, and meanwhile others are served.
func TestTLSHandshakeDeadline(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewCA(t, dir, "ca")
	pair := ca.Server(t, "server")
	certs, err := tlsconf.Load(tlsconf.Files{Cert: pair.CertFile, Key: pair.KeyFile})
	tNoErr(t, "load", err)
	srv, db := tServer(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.TLS, c.TLSHandshakeTimeout = certs.Config(), 300*time.Millisecond
	}})
	stalled, err := net.DialTimeout("tcp", srv.TLSAddr(), 5*time.Second)
	tNoErr(t, "dial", err)
	defer stalled.Close()
	tNoErr(t, "PING beside a stalled handshake", tTLSClient(t, srv.TLSAddr(), db, &tls.Config{RootCAs: ca.Pool()}).Ping(tCtx).Err())
	start := time.Now()
	stalled.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = stalled.Read(make([]byte, 1))
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Errorf("stalled handshake: read %v after %v; want the server to close it at its 300ms deadline", err, time.Since(start))
	}
}

// TestTLSFramingGuard: the framing guard and the pre-authentication limits hold on TLS
// connections as on plain ones.
func TestTLSFramingGuard(t *testing.T) {
	x := tTLSServer(t, "no", true)
	cfg := &tls.Config{RootCAs: x.ca.Pool()}
	for _, tc := range []struct{ send, want string }{
		{"*1\r\n$9223372036854775807\r\n", "-ERR Protocol error: invalid bulk length"},
		{"*9223372036854775807\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"*11\r\n", "-ERR Protocol error: unauthenticated multibulk length"},
	} {
		c := tTLSDial(t, x.srv.TLSAddr(), cfg)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte(tc.send))
		b, err := io.ReadAll(c)
		if !strings.HasPrefix(string(b), tc.want) || err != nil {
			t.Errorf("%q over TLS: %q, %v; want %q and the connection closed", tc.send, b, err, tc.want)
		}
	}
}

// TestTLSRedisCLI: redis-cli --tls --cacert reaches a database, with and without a client
// certificate, and is refused without one when the server requires it.
func TestTLSRedisCLI(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	if out, _ := exec.Command(cli, "--help").CombinedOutput(); !strings.Contains(string(out), "--tls") {
		t.Skip("redis-cli built without TLS")
	}
	run := func(x *tTLS, extra ...string) (string, error) {
		_, port, _ := net.SplitHostPort(x.srv.TLSAddr())
		args := append([]string{"-h", "127.0.0.1", "-p", port, "--tls", "--cacert", x.ca.CertFile}, extra...)
		args = append(args, "-n", strconv.FormatUint(x.db, 10), "INCR", "counter")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	x := tTLSServer(t, "no", true)
	if out, err := run(x); out != "1" || err != nil {
		t.Errorf("redis-cli --tls --cacert: %q, %v; want 1", out, err)
	}
	y := tTLSServer(t, "yes", true)
	good := y.ca.Client(t, "cli")
	if out, err := run(y, "--cert", good.CertFile, "--key", good.KeyFile); out != "1" || err != nil {
		t.Errorf("redis-cli with a client certificate: %q, %v; want 1", out, err)
	}
	if out, _ := run(y); out == "1" {
		t.Errorf("redis-cli without a client certificate was served (%q) by --tls-auth-clients yes", out)
	}
}

func tTLSDial(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// tTLSDo sends an inline command and checks the reply's first line starts with want.
func tTLSDo(t *testing.T, w *bufio.ReadWriter, cmd, want string) {
	t.Helper()
	w.WriteString(cmd + "\r\n")
	w.Flush()
	line, err := w.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, want) {
		t.Fatalf("%s: %q, %v; want %q", cmd, line, err, want)
	}
	if strings.HasPrefix(line, "$") {
		w.ReadString('\n')
	}
}

// tCopyFile copies the file from over the file to, as a certificate renewal does.
func tCopyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	tNoErr(t, "read "+from, err)
	tNoErr(t, "write "+to, os.WriteFile(to, b, 0o600))
}
