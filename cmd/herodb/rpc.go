package main

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/tlsconf"
)

// startRPC serves the JSON-RPC management API over HTTP (--enable-rpc, on with --dev)
// and a Unix socket (--rpc-socket); it returns the function that stops both.
func startRPC(srv *server.Server, f *serveFlags, certs *tlsconf.Server, log *slog.Logger) (func(), error) {
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info, Logger: log,
		Metrics: srv.Metrics(), Ready: srv.Ready})
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if f.enableRPC || f.dev {
		addr := net.JoinHostPort(f.rpcBind, strconv.Itoa(f.rpcPort))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, errors.New("rpc: listen " + addr + ": " + err.Error())
		}
		hs := &http.Server{Handler: svc.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
		if certs != nil {
			ln = tls.NewListener(ln, certs.Config()) // http.Server bounds the handshake by ReadHeaderTimeout
			log.Info("rpc listening with TLS (HTTPS)", "addr", ln.Addr().String())
		} else {
			log.Info("rpc listening", "addr", ln.Addr().String())
			if server.BeyondLoopback(f.rpcBind) {
				log.Warn(server.PlaintextWarning("RPC", ln.Addr().String(), "--rpc-tls-cert-file and --rpc-tls-key-file"))
			}
		}
		go hs.Serve(ln)
		stops = append(stops, func() { hs.Close() })
	}
	if f.rpcSocket != "" {
		ss, err := svc.ListenSocket(f.rpcSocket)
		if err != nil {
			stop()
			return nil, err
		}
		log.Info("rpc socket listening", "path", f.rpcSocket)
		stops = append(stops, func() { ss.Close() })
	}
	return stop, nil
}
