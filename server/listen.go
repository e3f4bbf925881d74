package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/seed6aa118f9/herodb/tlsconf"
)

// The RESP ports: a plain one, a TLS one, or both, merged into one listener so every
// connection takes the same path from there (the framing guard, the client limit, the
// session). A TLS handshake runs in its own goroutine, bounded by a deadline, before the
// connection is handed on: redcon's accept loop writes to a refused connection and
// must never wait on a client that has not finished its handshake.

// defaultHandshakeTimeout bounds a TLS handshake (Config.TLSHandshakeTimeout).
const defaultHandshakeTimeout = 10 * time.Second

// ports accepts from the plain and TLS listeners and hands over connections ready to
// speak RESP.
type ports struct {
	plain, tls net.Listener // either may be nil, not both
	tlsCfg     *tls.Config
	timeout    time.Duration
	onRefused  func(net.Addr, error) // a handshake that failed (logged by the server)

	conns      chan net.Conn
	handshakes chan struct{} // one token per handshake in flight: bounds them
	ctx        context.Context
	stop       context.CancelFunc
	once       sync.Once
}

func newPorts(plain, tlsLn net.Listener, cfg *tls.Config, timeout time.Duration, maxHandshakes int, onRefused func(net.Addr, error)) *ports {
	ctx, stop := context.WithCancel(context.Background())
	p := &ports{plain: plain, tls: tlsLn, tlsCfg: cfg, timeout: timeout, onRefused: onRefused,
		conns: make(chan net.Conn), handshakes: make(chan struct{}, maxHandshakes), ctx: ctx, stop: stop}
	if plain != nil {
		go p.loop(plain, p.deliver)
	}
	if tlsLn != nil {
		go p.loop(tlsLn, p.handshake)
	}
	return p
}

// loop accepts from ln until it is closed; a passing error (out of file descriptors)
// waits a little rather than spin.
func (p *ports) loop(ln net.Listener, next func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || p.ctx.Err() != nil {
				return
			}
			select {
			case <-time.After(50 * time.Millisecond):
			case <-p.ctx.Done():
				return
			}
			continue
		}
		next(c)
	}
}

// handshake completes a TLS handshake within the deadline, then hands the connection
// on. Past the bound on handshakes in flight, a new connection is closed at once.
func (p *ports) handshake(c net.Conn) {
	select {
	case p.handshakes <- struct{}{}:
	default:
		c.Close()
		p.onRefused(c.RemoteAddr(), errors.New("too many TLS handshakes in flight"))
		return
	}
	go func() {
		defer func() { <-p.handshakes }()
		ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
		defer cancel()
		c.SetDeadline(time.Now().Add(p.timeout))
		tc := tls.Server(c, p.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			p.onRefused(c.RemoteAddr(), err)
			return
		}
		c.SetDeadline(time.Time{})
		p.deliver(tc)
	}()
}

func (p *ports) deliver(c net.Conn) {
	select {
	case p.conns <- c:
	case <-p.ctx.Done():
		c.Close()
	}
}

// Accept returns the next connection from either port.
func (p *ports) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close closes both ports; handshakes in flight are abandoned.
func (p *ports) Close() error {
	p.once.Do(func() {
		p.stop()
		if p.plain != nil {
			p.plain.Close()
		}
		if p.tls != nil {
			p.tls.Close()
		}
	})
	return nil
}

// Addr is the plain port's address, or the TLS port's when there is no plain port.
func (p *ports) Addr() net.Addr {
	if p.plain != nil {
		return p.plain.Addr()
	}
	return p.tls.Addr()
}

// listen opens the ports cfg asks for: the plain port unless NoPlainPort, the TLS port
// when TLS is set. Port 0 is any free port here (the embedding API's way to ask for
// one); `herodb serve --port 0` sets NoPlainPort instead, as Redis does.
func (s *Server) listen() (*ports, error) {
	cfg := &s.cfg
	if cfg.NoPlainPort && cfg.TLS == nil {
		return nil, errors.New("no port to listen on: the plain port is off and TLS is not set")
	}
	var plain, tlsLn net.Listener
	closeAll := func() {
		for _, ln := range []net.Listener{plain, tlsLn} {
			if ln != nil {
				ln.Close()
			}
		}
	}
	var err error
	if !cfg.NoPlainPort {
		if plain, err = net.Listen("tcp", net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.Port))); err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
	}
	var tcfg *tls.Config
	if cfg.TLS != nil {
		tcfg = tlsconf.Harden(cfg.TLS)
		if tlsLn, err = net.Listen("tcp", net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.TLSPort))); err != nil {
			closeAll()
			return nil, fmt.Errorf("listen (TLS): %w", err)
		}
	}
	timeout := cfg.TLSHandshakeTimeout
	if timeout <= 0 {
		timeout = defaultHandshakeTimeout
	}
	refused := func(addr net.Addr, err error) {
		s.log.Debug("TLS handshake failed", "client", addr.String(), "err", err)
	}
	return newPorts(plain, tlsLn, tcfg, timeout, cfg.MaxClients, refused), nil
}

// TLSAddr is the TLS port's address, e.g. "127.0.0.1:6380"; "" without TLS.
func (s *Server) TLSAddr() string {
	if s.ports.tls == nil {
		return ""
	}
	return s.ports.tls.Addr().String()
}

// stopAccepting closes both ports so no new connection arrives, while Accept keeps
// waiting: redcon closes every open connection as soon as Accept fails, and a graceful
// stop lets those connections finish first (shutdown.go).
func (p *ports) stopAccepting() {
	if p.plain != nil {
		p.plain.Close()
	}
	if p.tls != nil {
		p.tls.Close()
	}
}
