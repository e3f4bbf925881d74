package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/seed6aa118f9/herodb/admin"
)

// MaxBody is the largest request body the HTTP transport reads.
const MaxBody = 1 << 20

// response is a JSON-RPC response whose id may be null (jsonrpc2.Response cannot say
// null, which a parse error needs).
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      any             `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *jsonrpc2.Error `json:"error,omitempty"`
}

// HTTPHandler serves the API over HTTP POST on any path: single requests and batches.
// Limits come before authentication: an oversized body is refused unread.
func (s *Service) HTTPHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
			var batch []json.RawMessage
			if err := json.Unmarshal(trimmed, &batch); err != nil {
				writeJSON(w, http.StatusOK, response{JSONRPC: "2.0", Error: rpcError(CodeParse, "parse error: "+err.Error())})
				return
			}
			if len(batch) == 0 {
				writeJSON(w, http.StatusOK, response{JSONRPC: "2.0", Error: rpcError(CodeInvalidRequest, "empty batch")})
				return
			}
			var out []response
			for _, raw := range batch {
				if resp, notif := s.one(r, caller, raw); !notif {
					out = append(out, resp)
				}
			}
			if len(out) == 0 {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			writeJSON(w, http.StatusOK, out)
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

// one answers one request of a body or batch.
func (s *Service) one(r *http.Request, caller *Caller, raw json.RawMessage) (response, bool) {
	if !json.Valid(raw) {
		return response{JSONRPC: "2.0", Error: rpcError(CodeParse, "parse error: the body is not valid JSON")}, false
	}
	var probe map[string]json.RawMessage
	var req jsonrpc2.Request
	if json.Unmarshal(raw, &probe) != nil || probe["method"] == nil || json.Unmarshal(raw, &req) != nil {
		return response{JSONRPC: "2.0", Error: rpcError(CodeInvalidRequest, `not a JSON-RPC 2.0 request: want {"jsonrpc":"2.0","id":…,"method":…,"params":…}`)}, false
	}
	if v := probe["jsonrpc"]; string(bytes.TrimSpace(v)) != `"2.0"` {
		return response{JSONRPC: "2.0", Error: rpcError(CodeInvalidRequest, `not a JSON-RPC 2.0 request: "jsonrpc" must be "2.0"`)}, false
	}
	// A notification has no id at all; "id": null is a request that gets a reply.
	_, hasID := probe["id"]
	var id any
	if hasID && !req.Notif {
		id = req.ID
	}
	res, err := s.Call(r.Context(), caller, req.Method, req.Params)
	if !hasID {
		return response{}, true
	}
	if err != nil {
		e, _ := toRPCError(err)
		return response{JSONRPC: "2.0", ID: id, Error: e}, false
	}
	return response{JSONRPC: "2.0", ID: id, Result: res}, false
}

// bearer authenticates the Authorization header through admin's one credential check.
func (s *Service) bearer(r *http.Request) (*Caller, *jsonrpc2.Error) {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return nil, rpcError(CodeUnauthorized, "missing credential: send Authorization: Bearer <admin secret or token>")
	}
	g, err := s.cfg.Admin.Authenticate(admin.Attempt{Addr: r.RemoteAddr, Transport: "rpc"}, []byte(strings.TrimSpace(cred)))
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
