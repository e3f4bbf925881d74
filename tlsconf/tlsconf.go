// Package tlsconf builds herodb's TLS configurations, for the RESP port, the RPC and the
// CLI, so every TLS rule lives in one place: TLS 1.2 or later, client certificates
// verified against the operator's CA only (never the system's roots), a certificate
// that can be replaced on a running server, and errors that name the file at fault.
// It uses nothing but the standard library's crypto/tls.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// MinVersion is the oldest protocol herodb speaks: TLS 1.0 and 1.1 are broken and
// refused by every current client library.
const MinVersion = tls.VersionTLS12

// ParseClientAuth reads --tls-auth-clients: "no" (the default: every tenant presents a
// credential anyway), "optional" (a certificate, when given, must verify) or "yes" (a
// certificate is required).
func ParseClientAuth(v string) (tls.ClientAuthType, error) {
	switch v {
	case "no", "":
		return tls.NoClientCert, nil
	case "optional":
		return tls.VerifyClientCertIfGiven, nil
	case "yes":
		return tls.RequireAndVerifyClientCert, nil
	}
	return 0, fmt.Errorf("%q; want yes, no or optional", v)
}

// Files names what a server's TLS is made of; Flag is the flag prefix ("--tls" or
// "--rpc-tls") used in errors so the operator sees which setting is wrong.
type Files struct {
	Flag       string
	Cert, Key  string // PEM certificate chain and its private key
	CA         string // PEM CA certificates that client certificates must chain to
	ClientAuth tls.ClientAuthType
}

// Server is a server's TLS state: the files it was loaded from and the configuration
// built from them, swapped whole on Reload. Connections already open keep the
// configuration they were made with; new handshakes see the new one.
type Server struct {
	files Files
	cur   atomic.Pointer[tls.Config]
}

// Load reads the certificate, key and CA files and checks that they make sense
// together: a certificate needs its key, and checking client certificates needs a CA
// (without one Go would fall back to the system's roots, which is never what an
// operator of a database means).
func Load(f Files) (*Server, error) {
	if f.Flag == "" {
		f.Flag = "--tls"
	}
	switch {
	case f.Cert == "" || f.Key == "":
		return nil, fmt.Errorf("%s-cert-file and %s-key-file are both needed", f.Flag, f.Flag)
	case f.ClientAuth != tls.NoClientCert && f.CA == "":
		return nil, fmt.Errorf("%s-auth-clients needs %s-ca-cert-file: the CA that client certificates must chain to", f.Flag, f.Flag)
	case f.ClientAuth == tls.NoClientCert && f.CA != "":
		return nil, fmt.Errorf("%s-ca-cert-file is given but %s-auth-clients is no: set it to yes or optional, or drop the CA", f.Flag, f.Flag)
	}
	s := &Server{files: f}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload reads the files again. On any error the configuration in use stays, so a
// half-written certificate during a renewal never takes the port down.
func (s *Server) Reload() error {
	f := s.files
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return fmt.Errorf("%s-cert-file %s, %s-key-file %s: %w", f.Flag, f.Cert, f.Flag, f.Key, err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: f.ClientAuth}
	if f.CA != "" {
		if c.ClientCAs, err = loadPool(f.CA); err != nil {
			return fmt.Errorf("%s-ca-cert-file: %w", f.Flag, err)
		}
	}
	s.cur.Store(Harden(c))
	return nil
}

// Config is the configuration to listen with. Each handshake asks for the current one
// (GetConfigForClient), so a Reload serves the new certificate and CA to new
// connections without touching open ones.
func (s *Server) Config() *tls.Config {
	return Harden(&tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return s.cur.Load(), nil
	}})
}

// Harden returns a copy of c that refuses protocols older than MinVersion, also in
// what its GetConfigForClient returns: the one place the floor is set, whoever built c.
func Harden(c *tls.Config) *tls.Config {
	c = c.Clone()
	c.MinVersion = max(c.MinVersion, MinVersion)
	if get := c.GetConfigForClient; get != nil {
		c.GetConfigForClient = func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
			cc, err := get(hi)
			if cc == nil || err != nil || cc.MinVersion >= MinVersion {
				return cc, err
			}
			return Harden(cc), nil
		}
	}
	return c
}

// Client is the configuration a client (the CLI) dials with: the server's certificate
// must chain to caFile (or to the system's roots when caFile is empty); certFile and
// keyFile, when given, are presented to a server that asks for a client certificate.
func Client(caFile, certFile, keyFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: MinVersion}
	if caFile != "" {
		pool, err := loadPool(caFile)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		c.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--cert and --key go together")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--cert %s, --key %s: %w", certFile, keyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// loadPool reads PEM CA certificates; a file with none is an error, not an empty pool
// that would refuse every client without saying why.
func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
