package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/seed6aa118f9/herodb/admin"
)

// SocketServer serves the API on a Unix socket. Whoever can connect is the admin: the
// socket is created 0600, so the file's permission is the authentication.
//
// Framing is a plain object stream (what jsonrpc2's PlainObjectStream speaks): one JSON
// value per message, each reply ending in a newline. Each request is read by the same
// parser as HTTP's (parseEntry), so its id comes back as sent, and answered in turn.
// Batches are not supported on the socket: a batch, like malformed JSON, closes the
// connection without a reply and none of its calls runs, so HTTP's batch limits have
// nothing to bound here; HTTP answers both.
type SocketServer struct {
	path  string
	ln    net.Listener
	svc   *Service
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// ListenSocket creates the socket at path with mode 0600 from the first instant: it is
// made inside a fresh 0700 directory, narrowed, then renamed into place. A stale socket
// at path is removed; any other file there is an error.
func (s *Service) ListenSocket(path string) (*SocketServer, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("rpc socket %s exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("rpc socket %s is in use by another process", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale rpc socket: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".herodb-sock-")
	if err != nil {
		return nil, fmt.Errorf("rpc socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	inner := filepath.Join(tmp, "s")
	ln, err := net.Listen("unix", inner)
	if err != nil {
		return nil, fmt.Errorf("rpc socket: %w", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(inner, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Rename(inner, path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("rpc socket: %w", err)
	}
	ss := &SocketServer{path: path, ln: ln, svc: s, conns: map[net.Conn]struct{}{}}
	ss.wg.Add(1)
	go ss.serve()
	return ss, nil
}

func (ss *SocketServer) serve() {
	defer ss.wg.Done()
	caller := &Caller{Grant: &admin.Grant{Admin: true}}
	for {
		nc, err := ss.ln.Accept()
		if err != nil {
			return
		}
		ss.mu.Lock()
		ss.conns[nc] = struct{}{}
		ss.mu.Unlock()
		go func() {
			ss.conn(nc, caller)
			ss.mu.Lock()
			delete(ss.conns, nc)
			ss.mu.Unlock()
		}()
	}
}

// conn answers one connection's requests in turn until it closes or sends something
// that is not one JSON-RPC request object.
func (ss *SocketServer) conn(nc net.Conn, caller *Caller) {
	defer nc.Close()
	dec := json.NewDecoder(nc)
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				ss.svc.log.Debug("rpc socket: closing a connection that sent no JSON", "err", err)
			}
			return
		}
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
			ss.svc.log.Debug("rpc socket: closing a connection that sent a batch or a non-object")
			return
		}
		e := parseEntry(raw)
		var resp response
		switch {
		case e.bad != nil:
			resp = *e.bad
		default:
			resp = ss.svc.run(context.Background(), caller, e)
			if e.notif {
				continue
			}
		}
		if _, err := nc.Write(append(encodeResp(resp), '\n')); err != nil {
			return
		}
	}
}

// Close stops accepting, closes every connection and removes the socket file.
func (ss *SocketServer) Close() error {
	err := ss.ln.Close()
	ss.wg.Wait()
	ss.mu.Lock()
	for c := range ss.conns {
		c.Close()
	}
	ss.mu.Unlock()
	if rerr := os.Remove(ss.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}
