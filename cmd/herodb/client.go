package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sourcegraph/jsonrpc2"
)

// client calls the JSON-RPC API over HTTP or the Unix socket, as --rpc says.
type client struct {
	target string // http(s)://… or a socket path
	cred   string
	http   *http.Client // with --cacert's roots (tls.go)
}

// clientFlags are the flags every management subcommand takes.
type clientFlags struct {
	rpc  string
	json bool
	// TLS to an https:// RPC (tls.go).
	cacert, cert, key string
}

func (cf *clientFlags) register(fs *flag.FlagSet) {
	def := os.Getenv("HERODB_RPC")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	fs.StringVar(&cf.rpc, "rpc", def, "RPC endpoint: an http:// or https:// URL, or a Unix socket path (env HERODB_RPC)")
	fs.BoolVar(&cf.json, "json", false, "print JSON instead of a table")
	cf.registerTLS(fs)
}

func (cf *clientFlags) client() (*client, error) {
	// A token, when set, is used instead of the admin secret, so day-to-day operation
	// keeps the secret offline.
	cred := os.Getenv("HERODB_TOKEN")
	if cred == "" {
		cred = os.Getenv("HERODB_ADMIN_SECRET")
	}
	isHTTP := strings.HasPrefix(cf.rpc, "http://") || strings.HasPrefix(cf.rpc, "https://")
	if isHTTP && cred == "" {
		return nil, errors.New("no credential: set HERODB_TOKEN or HERODB_ADMIN_SECRET, or use --rpc <socket path>")
	}
	hc, err := cf.httpClient()
	if err != nil {
		return nil, err
	}
	return &client{target: cf.rpc, cred: cred, http: hc}, nil
}

// rpcFailure is an error the server answered.
type rpcFailure struct {
	Code    int64
	Message string
}

func (e *rpcFailure) Error() string { return e.Message }

// call invokes method with params (positional, a []any, or named, a map) and decodes
// the result into out.
func (c *client) call(method string, params any, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if params == nil {
		params = []any{}
	}
	if !strings.HasPrefix(c.target, "http://") && !strings.HasPrefix(c.target, "https://") {
		nc, err := net.Dial("unix", c.target)
		if err != nil {
			return fmt.Errorf("cannot reach the RPC socket %s: %v", c.target, err)
		}
		conn := jsonrpc2.NewConn(ctx, jsonrpc2.NewPlainObjectStream(nc), jsonrpc2.HandlerWithError(
			func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
		defer conn.Close()
		err = conn.Call(ctx, method, params, out)
		var je *jsonrpc2.Error
		if errors.As(err, &je) {
			return &rpcFailure{Code: je.Code, Message: je.Message}
		}
		return err
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.cred)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the RPC at %s: is herodb running with --enable-rpc? (%v)", c.target, unwrapURLErr(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int64  `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("the RPC answered HTTP %d with something that is not JSON-RPC", resp.StatusCode)
	}
	if r.Error != nil {
		return &rpcFailure{Code: r.Error.Code, Message: r.Error.Message}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Result, out)
}

func unwrapURLErr(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}

// parseArgs parses flags anywhere among the arguments and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// dbRef turns an id or name into the RPC's param: ids as numbers, names as strings.
func dbRef(s string) any {
	var n uint64
	if _, err := fmt.Sscan(s, &n); err == nil && fmt.Sprint(n) == s {
		return n
	}
	return s
}

// printDone prints what a command did: obj under --json, one line of text otherwise.
func printDone(cf *clientFlags, obj map[string]any, format string, args ...any) {
	if cf.json {
		printJSON(obj)
		return
	}
	fmt.Printf(format+"\n", args...)
}

func printJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
