package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/seed6aa118f9/herodb/admin"
)

// SocketServer serves the API on a Unix socket. Whoever can connect is the admin: the
// socket is created 0600, so the file's permission is the authentication.
//
// Framing is jsonrpc2's plain object stream: one JSON value per message, each reply
// ending in a newline. Batches are not supported on the socket: a batch, like malformed
// JSON, closes the connection without a reply and none of its calls runs (jsonrpc2 fails
// to decode an array as a request), so HTTP's batch limits have nothing to bound here;
// HTTP answers both.
type SocketServer struct {
	path  string
	ln    net.Listener
	svc   *Service
	mu    sync.Mutex
	conns map[*jsonrpc2.Conn]struct{}
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
	ss := &SocketServer{path: path, ln: ln, svc: s, conns: map[*jsonrpc2.Conn]struct{}{}}
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
		h := jsonrpc2.HandlerWithError(func(ctx context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
			return ss.svc.Call(ctx, caller, req.Method, req.Params) // errors are *jsonrpc2.Error (Call's contract)
		}).SuppressErrClosed()
		c := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewPlainObjectStream(nc), h,
			jsonrpc2.SetLogger(slogAdapter{ss.svc}))
		ss.mu.Lock()
		ss.conns[c] = struct{}{}
		ss.mu.Unlock()
		go func() {
			<-c.DisconnectNotify()
			ss.mu.Lock()
			delete(ss.conns, c)
			ss.mu.Unlock()
		}()
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

// slogAdapter routes jsonrpc2's log lines into the service's logger.
type slogAdapter struct{ s *Service }

func (l slogAdapter) Printf(format string, v ...any) {
	l.s.log.Debug("jsonrpc2: " + fmt.Sprintf(format, v...))
}
