package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/internal/testcert"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/tlsconf"
)

const tDenied = "-DENIED herodb is running in protected mode"

// TestProtectedWarning: a plain port beyond loopback is warned about at start, loudly;
// loopback, or TLS alone, is not.
func TestProtectedWarning(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewCA(t, dir, "ca")
	pair := ca.Server(t, "server")
	certs, err := tlsconf.Load(tlsconf.Files{Cert: pair.CertFile, Key: pair.KeyFile})
	tNoErr(t, "load", err)
	for _, tc := range []struct {
		name        string
		cfg         func(*server.Config)
		warn, notes []string
		never       []string
	}{
		{"plain beyond loopback", func(c *server.Config) { c.Bind = "0.0.0.0" },
			[]string{"level=WARN", "WARNING: the RESP port ", "listens beyond loopback without TLS: credentials and data cross the network in clear"},
			[]string{"protected mode: public databases answer only clients on loopback"}, nil},
		{"TLS only beyond loopback", func(c *server.Config) { c.Bind, c.NoPlainPort, c.TLS = "0.0.0.0", true, certs.Config() },
			nil, []string{"herodb listening with TLS", "protected mode: public databases answer only clients on loopback"}, []string{"WARNING"}},
		{"protected mode off", func(c *server.Config) { c.Bind, c.ProtectedModeOff = "0.0.0.0", true },
			[]string{"protected mode is off: public databases answer clients from any address"}, nil, nil},
		{"loopback", func(c *server.Config) {}, nil, []string{"herodb listening"}, []string{"WARN", "protected mode"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log tLog
			herodbtest.Start(t, herodbtest.Options{Configure: func(c *server.Config) {
				c.Logger = slog.New(slog.NewTextHandler(&log, nil))
				tc.cfg(c)
			}})
			for _, w := range append(tc.warn, tc.notes...) {
				if !strings.Contains(log.String(), w) {
					t.Errorf("start log lacks %q:\n%s", w, log.String())
				}
			}
			for _, w := range tc.never {
				if strings.Contains(log.String(), w) {
					t.Errorf("start log has %q:\n%s", w, log.String())
				}
			}
		})
	}
}

// tOwnAddr is a non-loopback IPv4 address of this machine: a client dialling it from
// here is seen by the server as that address, not loopback. "" when there is none.
func tOwnAddr() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// TestProtectedDenied: on a server bound to every address, a client reaching it on a
// non-loopback address is refused the public database with -DENIED and the reason, and
// keeps every credential; a loopback client and --protected-mode no are served.
func TestProtectedDenied(t *testing.T) {
	own := tOwnAddr()
	if own == "" {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("protected-mode-off=%v", off), func(t *testing.T) {
			srv, db := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.Bind, c.ProtectedModeOff = "0.0.0.0", off }})
			_, port, _ := net.SplitHostPort(srv.Addr())
			priv, err := srv.Admin().CreateDatabase(admin.CreateOptions{Name: "private"})
			tNoErr(t, "create private", err)
			key := "private-db-access-key"
			tNoErr(t, "add key", srv.Admin().AddAccessKey(priv.ID, key, admin.AccessReadWrite))

			far := tDial(t, net.JoinHostPort(own, port))
			want := tDenied
			if off {
				want = tOK
			}
			tDo(t, far, want, "SELECT", fmt.Sprint(db))
			tDo(t, far, want, "SELECT", "app")
			if !off {
				tDo(t, far, "-NOAUTH no database selected", "GET", "k") // nothing was selected
			}
			tDo(t, far, tOK, "SELECT", "private", "KEY", key) // a credential is never withheld
			tDo(t, far, tOK, "SET", "k", "v")

			near := tDial(t, net.JoinHostPort("127.0.0.1", port))
			tDo(t, near, tOK, "SELECT", "app")
			tDo(t, near, tOK, "SET", "k", "v")
		})
	}
}

// TestProtectedNamespace: a client in another network namespace, over a veth pair made
// here, is refused the public database. Needs root (and the ip tool); skipped otherwise.
func TestProtectedNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace")
	}
	ipTool, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("no ip tool")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("no redis-cli")
	}
	ns := fmt.Sprintf("hdbt%d", os.Getpid())
	host, peer := ns+"h", ns+"p"
	ip := func(args ...string) error {
		out, err := exec.Command(ipTool, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ip("netns", "add", ns); err != nil {
		t.Skipf("cannot make a network namespace here: %v", err)
	}
	t.Cleanup(func() { ip("link", "del", host); ip("netns", "del", ns) })
	for _, step := range [][]string{
		{"link", "add", host, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", ns},
		{"addr", "add", "10.231.77.1/30", "dev", host},
		{"link", "set", host, "up"},
		{"netns", "exec", ns, "ip", "addr", "add", "10.231.77.2/30", "dev", peer},
		{"netns", "exec", ns, "ip", "link", "set", peer, "up"},
	} {
		if err := ip(step...); err != nil {
			t.Skipf("cannot wire the namespace: %v", err)
		}
	}
	srv, _ := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.Bind = "0.0.0.0" }})
	_, port, _ := net.SplitHostPort(srv.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, ipTool, "netns", "exec", ns, cli, "-h", "10.231.77.1", "-p", port, "SELECT", "app").CombinedOutput()
	if !strings.HasPrefix(strings.TrimSpace(string(out)), strings.TrimPrefix(tDenied, "-")) {
		t.Errorf("SELECT app from another namespace: %q, %v; want %q", out, err, tDenied)
	}
}
