package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/seed6aa118f9/herodb/admin"
)

// MaxBody is the largest request body the HTTP transport reads.
const MaxBody = 1 << 20

// MaxBatch is the most calls one HTTP batch may hold. A larger batch is answered with one
// -32600 error object and none of its calls runs.
const MaxBatch = 100

// DefaultMaxBatchReply caps the body of a batch's reply. Calls run in order; the first
// whose reply would take the body past the cap has run, but its result is replaced by a
// CodeReplyTooLarge error, and the rest of the batch is not run (each request gets the
// same code, with data.ran false), so the caller knows exactly what happened and results
// shown only once (createToken's secret) are never computed and then thrown away.
// A single request (not in a batch) is not capped: one call cannot multiply its reply,
// and the largest (listDatabases, createDatabases) are bounded by their own limits.
const DefaultMaxBatchReply = 16 << 20

// response is a JSON-RPC response whose id may be null (jsonrpc2.Response cannot say
// null, which a parse error needs).
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      any             `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *jsonrpc2.Error `json:"error,omitempty"`
}

// HTTPHandler serves the API over HTTP POST on any path: single requests and batches;
// and the streaming endpoints (BackupPath, RestorePath) on theirs.
// Limits come before authentication: an oversized body is refused unread.
func (s *Service) HTTPHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := s.opsHandler(r.URL.Path); h != nil {
			h(w, r) // /metrics, /healthz, /readyz (metrics.go)
			return
		}
		if h := s.streamHandler(r.URL.Path); h != nil {
			h(w, r) // backups stream: no body limit (stream.go)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, response{JSONRPC: "2.0", Error: rpcError(CodeInvalidRequest, "use POST with a JSON-RPC 2.0 body")})
			return
		}
		if r.ContentLength > MaxBody {
			writeJSON(w, http.StatusRequestEntityTooLarge, response{JSONRPC: "2.0", Error: rpcError(CodeTooLarge, "request body over 1 MiB")})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, response{JSONRPC: "2.0", Error: rpcError(CodeTooLarge, "request body over 1 MiB")})
				return
			}
			writeJSON(w, http.StatusBadRequest, response{JSONRPC: "2.0", Error: rpcError(CodeParse, "could not read the request body")})
			return
		}
		caller, authErr := s.bearer(r)
		if authErr != nil {
			writeJSON(w, http.StatusUnauthorized, response{JSONRPC: "2.0", Error: authErr})
			return
		}
		trimmed := bytes.TrimSpace(body)
		if len(trimmed) > 0 && trimmed[0] == '[' {
			tooMany := func(n int) {
				writeJSON(w, http.StatusOK, response{JSONRPC: "2.0", Error: rpcError(CodeInvalidRequest,
					fmt.Sprintf("a batch holds at most %d calls and this one has %d: none was run; send them in smaller batches", MaxBatch, n))})
			}
			// Count before splitting: a refused batch costs no copy of each entry.
			if json.Valid(trimmed) {
				if n := countElements(trimmed); n > MaxBatch {
					tooMany(n)
					return
				}
			}
			var batch []json.RawMessage
			if err := json.Unmarshal(trimmed, &batch); err != nil {
				writeJSON(w, http.StatusOK, response{JSONRPC: "2.0", Error: rpcError(CodeParse, "parse error: "+err.Error())})
				return
			}
			if len(batch) == 0 {
				writeJSON(w, http.StatusOK, response{JSONRPC: "2.0", Error: rpcError(CodeInvalidRequest, "empty batch")})
				return
			}
			if len(batch) > MaxBatch {
				tooMany(len(batch))
				return
			}
			body, n := s.batch(r, caller, batch)
			if n == 0 {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			w.Write(body)
			return
		}
		resp, notif := s.one(r, caller, trimmed)
		if notif {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		status := http.StatusOK
		if resp.Error != nil {
			status = httpStatus(resp.Error.Code)
		}
		writeJSON(w, status, resp)
	})
}

// entry is one request of a body or batch, checked but not run.
type entry struct {
	req   jsonrpc2.Request
	id    any       // echoed in the reply; nil is "id": null
	notif bool      // no id at all: run, but never answered
	bad   *response // not a valid request: answered with this, never run
}

// parseEntry reads one request of a body. Its members are read here, not by a JSON-RPC
// library's request type, so the id comes back byte for byte as it was sent: any string
// or number JSON-RPC 2.0 allows (jsonrpc2's type kept numbers as a uint64, so -1 came back
// as 18446744073709551615, and 1.5 was refused), or null.
func parseEntry(raw json.RawMessage) entry {
	if !json.Valid(raw) {
		return entry{bad: &response{JSONRPC: "2.0", Error: rpcError(CodeParse, "parse error: the body is not valid JSON")}}
	}
	invalid := func(why string) entry {
		return entry{bad: &response{JSONRPC: "2.0", Error: rpcError(CodeInvalidRequest, "not a JSON-RPC 2.0 request: "+why)}}
	}
	var probe map[string]json.RawMessage
	var e entry
	if json.Unmarshal(raw, &probe) != nil {
		return invalid(`want {"jsonrpc":"2.0","id":…,"method":…,"params":…}`)
	}
	method := bytes.TrimSpace(probe["method"])
	if len(method) == 0 || method[0] != '"' || json.Unmarshal(method, &e.req.Method) != nil {
		return invalid(`want {"jsonrpc":"2.0","id":…,"method":…,"params":…}`)
	}
	if v := probe["jsonrpc"]; string(bytes.TrimSpace(v)) != `"2.0"` {
		return invalid(`"jsonrpc" must be "2.0"`)
	}
	if p, ok := probe["params"]; ok {
		p = bytes.TrimSpace(p)
		e.req.Params = (*json.RawMessage)(&p) // "null" stays null; absent stays nil
	}
	// A notification has no id at all; "id": null is a request that gets a reply.
	id, hasID := probe["id"]
	e.notif = !hasID
	if hasID {
		id = bytes.TrimSpace(id)
		switch c := id[0]; {
		case string(id) == "null":
		case c == '"' || c == '-' || (c >= '0' && c <= '9'):
			e.id = json.RawMessage(id)
		default:
			return invalid(`"id" must be a string, a number or null`)
		}
	}
	return e
}

// run calls the entry's method; the response is meaningless for a notification.
func (s *Service) run(ctx context.Context, caller *Caller, e entry) response {
	res, err := s.Call(ctx, caller, e.req.Method, e.req.Params)
	if err != nil {
		je, _ := toRPCError(err)
		return response{JSONRPC: "2.0", ID: e.id, Error: je}
	}
	return response{JSONRPC: "2.0", ID: e.id, Result: res}
}

// one answers one request of a body: the response, or true for a notification.
func (s *Service) one(r *http.Request, caller *Caller, raw json.RawMessage) (response, bool) {
	e := parseEntry(raw)
	if e.bad != nil {
		return *e.bad, false
	}
	resp := s.run(r.Context(), caller, e)
	return resp, e.notif
}

// replyTooLarge is the error that stands for a call's reply once a batch's reply is full:
// ran says whether the call ran (its result was dropped) or was not run at all.
func (s *Service) replyTooLarge(e entry, ran bool) response {
	limit := s.maxBatchReply()
	msg := fmt.Sprintf("the batch's reply reached its %d-byte cap: this call was not run; send it again in a smaller batch", limit)
	if ran {
		msg = fmt.Sprintf("the batch's reply reached its %d-byte cap: this call ran, but its result is left out; call it alone, outside a batch", limit)
	}
	data := json.RawMessage(fmt.Sprintf(`{"ran":%t,"limit":%d}`, ran, limit))
	return response{JSONRPC: "2.0", ID: e.id, Error: &jsonrpc2.Error{Code: CodeReplyTooLarge, Message: msg, Data: &data}}
}

func (s *Service) maxBatchReply() int {
	if s.cfg.MaxBatchReply > 0 {
		return s.cfg.MaxBatchReply
	}
	return DefaultMaxBatchReply
}

// batch runs a batch's calls in order and returns the reply body and the number of
// responses in it. Each response is encoded as soon as its call returns, so what the
// batch holds in memory is its reply so far, never more than the cap: before a reply is
// added, the body must keep room for the error objects that may yet stand for every
// later request (reserve), so the body never passes the cap, whatever the ids hold.
func (s *Service) batch(r *http.Request, caller *Caller, raws []json.RawMessage) ([]byte, int) {
	limit := s.maxBatchReply()
	entries := make([]entry, len(raws))
	reserve := make([]int, len(raws)+1) // reserve[i]: bytes entries i… may need once the body is full
	for i := len(raws) - 1; i >= 0; i-- {
		entries[i] = parseEntry(raws[i])
		reserve[i] = reserve[i+1]
		switch e := entries[i]; {
		case e.bad != nil:
			reserve[i] += len(encodeResp(*e.bad)) + 1
		case !e.notif:
			reserve[i] += max(len(encodeResp(s.replyTooLarge(e, true))), len(encodeResp(s.replyTooLarge(e, false)))) + 1
		}
	}
	var body bytes.Buffer
	n := 0
	add := func(b []byte) {
		if n == 0 {
			body.WriteByte('[')
		} else {
			body.WriteByte(',')
		}
		body.Write(b)
		n++
	}
	full := false
	for i, e := range entries {
		switch {
		case e.bad != nil:
			add(encodeResp(*e.bad))
		case full:
			if !e.notif {
				add(encodeResp(s.replyTooLarge(e, false)))
			}
		default:
			resp := s.run(r.Context(), caller, e)
			if e.notif {
				continue
			}
			b := encodeResp(resp)
			// What is written, a separator, this reply, room for the rest, and "]\n".
			if body.Len()+1+len(b)+reserve[i+1]+2 > limit {
				full = true
				s.log.Warn("rpc batch reply over its cap: the rest of the batch is not run",
					"limit", limit, "calls", len(entries), "done", i+1, "method", clip(e.req.Method), "addr", r.RemoteAddr)
				b = encodeResp(s.replyTooLarge(e, true))
			}
			add(b)
		}
	}
	if n > 0 {
		body.WriteString("]\n")
	}
	return body.Bytes(), n
}

// countElements counts the elements of a JSON array that json.Valid accepted: the commas
// outside strings at depth one, plus one. The count only decides an early refusal; the
// limit is checked again on the decoded batch.
func countElements(b []byte) int {
	depth, n, inStr, esc, seen := 0, 0, false, false, false
	for _, c := range b {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ',' && depth == 1:
			n++
		}
		if depth >= 1 && c != ' ' && c != '\t' && c != '\n' && c != '\r' && !(depth == 1 && (c == '[' || c == ',')) {
			seen = true
		}
	}
	if !seen {
		return 0
	}
	return n + 1
}

// encodeResp is one response's JSON, as writeJSON writes it (no HTML escaping), without
// the trailing newline.
func encodeResp(v response) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.Reset()
		enc.Encode(response{JSONRPC: "2.0", ID: v.ID, Error: rpcError(CodeInternal, "internal error")})
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// bearer authenticates the Authorization header through admin's one credential check.
func (s *Service) bearer(r *http.Request) (*Caller, *jsonrpc2.Error) {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return nil, rpcError(CodeUnauthorized, "missing credential: send Authorization: Bearer <admin secret or token>")
	}
	g, err := s.cfg.Admin.Authenticate(admin.Attempt{Addr: r.RemoteAddr, Transport: "rpc", Done: r.Context().Done()}, []byte(strings.TrimSpace(cred)))
	if err != nil { // admin's auth log has recorded it
		return nil, rpcError(CodeUnauthorized, "invalid credential")
	}
	return &Caller{Grant: g}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
