package server

// Protected mode, Redis's idea applied to what needs no credential here: a public
// database is open to anyone who can connect, which is what a developer wants on a
// laptop and rarely what an operator means once the server listens on a network. So
// while the server listens beyond loopback, public databases answer only clients on
// loopback, unless the operator says so (`--protected-mode no`). Every credential
// works as before: protected mode only withholds the public flag.

import (
	"net"
	"strings"

	"github.com/seed6aa118f9/herodb/admin"
)

// BeyondLoopback reports whether listening on bind reaches more than the loopback
// interface. Anything that is not plainly loopback counts as beyond (fail closed): the
// empty address and 0.0.0.0 listen everywhere, and a host name may resolve anywhere.
func BeyondLoopback(bind string) bool {
	if strings.EqualFold(bind, "localhost") {
		return false
	}
	ip := net.ParseIP(bind)
	return ip == nil || !ip.IsLoopback()
}

// loopbackClient reports whether a client's address ("host:port") is on loopback; an
// address that cannot be read is not.
func loopbackClient(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i] // an IPv6 zone
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// protectedRefuses is protected mode's decision: whether a client at clientAddr is
// refused what public databases grant, on a server listening on bind.
func protectedRefuses(on bool, bind, clientAddr string) bool {
	return on && BeyondLoopback(bind) && !loopbackClient(clientAddr)
}

// public is what d's public flag grants this session: nothing to a client beyond
// loopback in protected mode. access.go reads the flag only through here.
func (s *Server) public(sess *session, d *admin.Database) admin.Access {
	if d.Public != admin.AccessNone && protectedRefuses(!s.cfg.ProtectedModeOff, s.cfg.Bind, sess.addr) {
		return admin.AccessNone
	}
	return d.Public
}

// logListening says where the server listens and warns loudly when the plain port is
// reachable beyond loopback: credentials would cross the network in clear.
func (s *Server) logListening() {
	cfg := &s.cfg
	if s.ports.plain != nil {
		s.log.Info("herodb listening", "addr", s.ports.plain.Addr().String(), "dir", s.admin.Dir(), "sync", cfg.Sync.String())
		if BeyondLoopback(cfg.Bind) {
			s.log.Warn(PlaintextWarning("RESP", s.ports.plain.Addr().String(), "--tls-port and --port 0"))
		}
	}
	if s.ports.tls != nil {
		s.log.Info("herodb listening with TLS", "addr", s.ports.tls.Addr().String(), "dir", s.admin.Dir(), "sync", cfg.Sync.String())
	}
	if BeyondLoopback(cfg.Bind) {
		if cfg.ProtectedModeOff {
			s.log.Warn("protected mode is off: public databases answer clients from any address")
		} else {
			s.log.Info("protected mode: public databases answer only clients on loopback (--protected-mode no to change)")
		}
	}
}

// PlaintextWarning is the warning for a port (RESP or RPC) that listens beyond loopback
// without TLS; fix names the flags that would serve it over TLS.
func PlaintextWarning(port, addr, fix string) string {
	return "WARNING: the " + port + " port " + addr + " listens beyond loopback without TLS: credentials and data cross the network in clear; use " + fix + ", or bind to 127.0.0.1"
}
