package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/seed6aa118f9/herodb/rpc"
	"github.com/seed6aa118f9/herodb/server"
)

// startRPC serves the JSON-RPC management API over HTTP (--enable-rpc, on with --dev)
// and a Unix socket (--rpc-socket); it returns the function that stops both.
func startRPC(srv *server.Server, f *serveFlags, log *slog.Logger) (func(), error) {
	svc := rpc.NewService(rpc.Config{Admin: srv.Admin(), Info: srv.Info, Logger: log})
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
		go hs.Serve(ln)
		log.Info("rpc listening", "addr", ln.Addr().String())
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
