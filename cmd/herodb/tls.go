package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/seed6aa118f9/herodb/tlsconf"
)

// tlsFlags are serve's TLS flags for one port, named as Redis names them: --tls-… for
// the RESP port, --rpc-tls-… for the RPC.
type tlsFlags struct {
	prefix              string // "--tls" or "--rpc-tls", for errors
	port                int    // --tls-port (RESP only; the RPC keeps its port)
	cert, key, ca, auth string
}

// registerTLSFlags adds the TLS flags and --protected-mode to serve's flag set.
func registerTLSFlags(fs *flag.FlagSet, f *serveFlags) {
	f.tls.prefix, f.rpcTLS.prefix = "--tls", "--rpc-tls"
	fs.IntVar(&f.tls.port, "tls-port", 0, "RESP over TLS on this port (0: no TLS port; --port 0 then leaves TLS only)")
	for _, t := range []*tlsFlags{&f.tls, &f.rpcTLS} {
		name, what := t.prefix[2:], "the RESP TLS port"
		if t.prefix == "--rpc-tls" {
			what = "HTTPS on the RPC port"
		}
		fs.StringVar(&t.cert, name+"-cert-file", "", "PEM certificate chain for "+what+" (reloaded on SIGHUP)")
		fs.StringVar(&t.key, name+"-key-file", "", "PEM private key for "+what)
		fs.StringVar(&t.ca, name+"-ca-cert-file", "", "PEM CA certificates that client certificates must chain to, for "+what)
		fs.StringVar(&t.auth, name+"-auth-clients", "no", "client certificates for "+what+": no, optional (checked when given) or yes (required)")
	}
	fs.StringVar(&f.protectedMode, "protected-mode", "yes", "yes: while listening beyond loopback, public databases answer only loopback clients; no: anyone")
}

// given reports whether any of the port's TLS files was named.
func (t *tlsFlags) given() bool { return t.cert != "" || t.key != "" || t.ca != "" }

// load reads the port's certificates, or returns nil when TLS was not asked for.
func (t *tlsFlags) load() (*tlsconf.Server, error) {
	auth, err := tlsconf.ParseClientAuth(t.auth)
	if err != nil {
		return nil, fmt.Errorf("%s-auth-clients: %w", t.prefix, err)
	}
	if !t.given() {
		if auth != tls.NoClientCert {
			return nil, fmt.Errorf("%s-auth-clients %s needs %s-cert-file, %s-key-file and %s-ca-cert-file", t.prefix, t.auth, t.prefix, t.prefix, t.prefix)
		}
		return nil, nil
	}
	return tlsconf.Load(tlsconf.Files{Flag: t.prefix, Cert: t.cert, Key: t.key, CA: t.ca, ClientAuth: auth})
}

// serveTLS is what serve's TLS flags amount to: the RESP port's certificates, the
// RPC's, and whether protected mode is off. Every rule about how the flags combine is
// here, checked before the data directory is opened.
type serveTLS struct {
	resp, rpc        *tlsconf.Server
	protectedModeOff bool
}

func tlsConfig(f *serveFlags) (serveTLS, error) {
	var st serveTLS
	switch f.protectedMode {
	case "yes":
	case "no":
		st.protectedModeOff = true
	default:
		return st, fmt.Errorf("--protected-mode: %q; want yes or no", f.protectedMode)
	}
	switch {
	case f.tls.port < 0 || f.tls.port > 65535:
		return st, fmt.Errorf("--tls-port: %d is not a port", f.tls.port)
	case f.tls.port == 0 && f.tls.given():
		return st, errors.New("--tls-cert-file is given but --tls-port is not: give --tls-port N")
	case f.tls.port > 0 && !f.tls.given():
		return st, errors.New("--tls-port needs --tls-cert-file and --tls-key-file")
	case f.port == 0 && f.tls.port == 0:
		return st, errors.New("no RESP port: --port 0 turns the plain port off; give --tls-port N with --tls-cert-file and --tls-key-file")
	case f.rpcTLS.given() && !f.enableRPC && !f.dev:
		return st, errors.New("--rpc-tls-cert-file is given but the RPC is off: add --enable-rpc")
	}
	var err error
	if st.resp, err = f.tls.load(); err != nil {
		return st, err
	}
	if st.rpc, err = f.rpcTLS.load(); err != nil {
		return st, err
	}
	return st, nil
}

// reload reads every certificate again (SIGHUP). A failure keeps that port's current
// certificate and is logged; open connections are never touched.
func (st serveTLS) reload(log *slog.Logger) {
	for _, p := range []struct {
		name string
		s    *tlsconf.Server
	}{{"RESP", st.resp}, {"RPC", st.rpc}} {
		if p.s == nil {
			continue
		}
		if err := p.s.Reload(); err != nil {
			log.Error("TLS certificate reload failed; the current certificate stays", "port", p.name, "err", err)
		} else {
			log.Info("TLS certificate reloaded", "port", p.name)
		}
	}
}

// httpClient is the CLI's HTTP client: https:// endpoints are checked against --cacert
// (or the system's roots), with --client-cert and --client-key when the RPC asks for a client
// certificate.
func (cf *clientFlags) httpClient() (*http.Client, error) {
	if cf.cacert == "" && cf.cert == "" && cf.key == "" {
		return http.DefaultClient, nil
	}
	cfg, err := tlsconf.Client(cf.cacert, cf.cert, cf.key)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}

// registerTLS adds the CLI's TLS flags to a management subcommand.
func (cf *clientFlags) registerTLS(fs *flag.FlagSet) {
	fs.StringVar(&cf.cacert, "cacert", os.Getenv("HERODB_CACERT"), "PEM CA certificate to check an https:// RPC against (env HERODB_CACERT)")
	fs.StringVar(&cf.cert, "client-cert", "", "PEM client certificate, for an RPC that requires one")
	fs.StringVar(&cf.key, "client-key", "", "the private key of --client-cert")
}
