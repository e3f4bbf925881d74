package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/rpc"
)

// proc is one run of the server binary.
type proc struct {
	cmd     *exec.Cmd
	started time.Time // just before exec: restart times are measured from here
	exited  chan struct{}
	exitErr error
}

// server is the binary under test with the ports and directory it keeps across restarts.
type server struct {
	bin      string
	args     []string
	dir      string // data directory
	logPath  string
	respAddr string
	rpcURL   string
	secret   string
	p        *proc
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard limit. Go raises its own soft
// limit at startup but restores the original one in children it execs; an explicit
// Setrlimit makes the raised limit the one the server inherits, so the fd count it can
// reach is the machine's, not a shell default of 1024.
func raiseFileLimit() (syscall.Rlimit, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return l, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return l, err
	}
	return l, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
}

// freePort asks the kernel for a loopback port nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// newServer picks the ports and builds the command line once, so a restart runs the
// very same flags.
func newServer(cfg *config, tmp string) (*server, error) {
	respPort, err := freePort()
	if err != nil {
		return nil, err
	}
	rpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{bin: cfg.bin, dir: filepath.Join(tmp, "data"), logPath: filepath.Join(tmp, "server.log"),
		respAddr: fmt.Sprintf("127.0.0.1:%d", respPort), rpcURL: fmt.Sprintf("http://127.0.0.1:%d/", rpcPort)}
	s.args = []string{"serve", "--dev", "--dir", s.dir, "--port", strconv.Itoa(respPort),
		"--rpc-port", strconv.Itoa(rpcPort), "--max-open-dbs", strconv.Itoa(cfg.maxOpenDBs), "--sync", cfg.sync}
	return s, nil
}

// exec starts the binary with its output appended to the log file (a restart adds to
// the same log). The child is killed if this program dies without cleaning up.
func (s *server) exec() error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	go func() { p.exitErr = cmd.Wait(); logf.Close(); close(p.exited) }()
	s.p = p
	return nil
}

// pid is the running server's process id.
func (s *server) pid() int { return s.p.cmd.Process.Pid }

// alive fails once the server has exited, naming how and where its log is.
func (s *server) alive() error {
	select {
	case <-s.p.exited:
		return fmt.Errorf("the server exited: %v (log: %s)", s.p.exitErr, s.logPath)
	default:
		return nil
	}
}

// waitReady waits for the dev admin secret, a PING and an RPC answer: only then can the
// benchmark authenticate.
func (s *server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if err := s.alive(); err != nil {
			return err
		}
		if last = s.readSecret(); last == nil {
			if last = ping(s.respAddr); last == nil {
				var info map[string]any
				if last = s.call("herodb_getServerInfo", []any{}, &info); last == nil {
					return nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not ready in %v: %v (log: %s)", timeout, last, s.logPath)
}

// readSecret reads the secret --dev generated: the first line of <dir>/dev-admin-secret,
// as cmd/herodb's devSecret writes it.
func (s *server) readSecret() error {
	b, err := os.ReadFile(filepath.Join(s.dir, "dev-admin-secret"))
	if err != nil {
		return err
	}
	if s.secret = strings.TrimSpace(string(b)); s.secret == "" {
		return errors.New("dev-admin-secret is empty")
	}
	return nil
}

// call is one JSON-RPC call with the admin secret as the bearer credential.
func (s *server) call(method string, params, out any) error {
	return rpc.Call(s.rpcURL, s.secret, method, params, out)
}

// databaseCount is the number of live databases the server reports (the admin's
// getServerInfo), against which the listing walk is checked.
func (s *server) databaseCount() (int, error) {
	var info map[string]any
	if err := s.call("herodb_getServerInfo", []any{}, &info); err != nil {
		return 0, err
	}
	n, ok := info["databases"].(float64)
	if !ok {
		return 0, fmt.Errorf("getServerInfo has no databases count: %v", info)
	}
	return int(n), nil
}

// stop sends SIGTERM, as an operator would, and waits for the exit; a server that does
// not stop in time is killed and that is an error. It returns how long the stop took.
func (s *server) stop(timeout time.Duration) (time.Duration, error) {
	if s.p == nil {
		return 0, nil
	}
	select {
	case <-s.p.exited:
		return 0, s.p.exitErr
	default:
	}
	t0 := time.Now()
	s.p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.p.exited:
		return time.Since(t0), s.p.exitErr
	case <-time.After(timeout):
		s.p.cmd.Process.Kill()
		<-s.p.exited
		return time.Since(t0), fmt.Errorf("the server did not stop within %v of SIGTERM; killed", timeout)
	}
}

// ping sends PING (which needs no credential) on a new connection: a fresh client each
// time, because go-redis backs off for a second after repeated dial errors, which
// would blur the restart time.
func ping(addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DisableIdentity: true,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 2 * time.Second, PoolSize: 1})
	defer c.Close()
	return c.Ping(context.Background()).Err()
}

// adminClient is a go-redis client that authenticates with AUTH <admin secret> on every
// new connection (no database selected: SELECT chooses one, as redis-benchmark -a does).
func (s *server) adminClient(pool int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.respAddr, Password: s.secret, Protocol: 2, MaxRetries: -1,
		DisableIdentity: true, DialTimeout: 2 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, PoolSize: pool})
}
