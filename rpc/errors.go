package rpc

import (
	"errors"
	"net/http"
	"syscall"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/seed6aa118f9/herodb/admin"
)

// JSON-RPC error codes: the spec's, and an application range for admin's codes. This is
// the one table; docs/rpc.md prints it.
const (
	CodeParse          = jsonrpc2.CodeParseError     // -32700 malformed JSON
	CodeInvalidRequest = jsonrpc2.CodeInvalidRequest // -32600 not a JSON-RPC request
	CodeMethodNotFound = jsonrpc2.CodeMethodNotFound // -32601
	CodeInvalidParams  = jsonrpc2.CodeInvalidParams  // -32602 wrong count, type or value
	CodeInternal       = jsonrpc2.CodeInternalError  // -32603 logged; the caller sees "internal error"
	CodeUnauthorized   = -32001                      // no or wrong credential (HTTP 401)
	CodeForbidden      = -32003                      // valid credential, not allowed (HTTP 403)
	CodeNotFound       = -32004                      // no such database, key or token
	CodeConflict       = -32009                      // a name taken, now or ever
	CodeUnsupported    = -32010                      // a HeroDB feature herodb does not have
	CodeTooLarge       = -32013                      // request body over the limit (HTTP 413)
	CodeReplyTooLarge  = -32014                      // a batch's reply reached its cap
)

var codeTable = []struct {
	Code    int64
	Meaning string
	HTTP    int
}{
	{CodeParse, "parse error: the body is not JSON", http.StatusOK},
	{CodeInvalidRequest, "not a JSON-RPC 2.0 request object", http.StatusOK},
	{CodeMethodNotFound, "no such method", http.StatusOK},
	{CodeInvalidParams, "wrong number, names, types or values of params", http.StatusOK},
	{CodeInternal, "internal error (logged on the server)", http.StatusOK},
	{CodeUnauthorized, "missing, wrong, expired or revoked credential", http.StatusUnauthorized},
	{CodeForbidden, "the credential does not allow this method", http.StatusForbidden},
	{CodeNotFound, "no such database, key or token", http.StatusOK},
	{CodeConflict, "the name is taken (names are never reused)", http.StatusOK},
	{CodeUnsupported, "not supported by herodb (e.g. the Tantivy and Lance backends)", http.StatusOK},
	{CodeTooLarge, "request body over 1 MiB", http.StatusRequestEntityTooLarge},
	{CodeReplyTooLarge, "a batch's reply reached its 16 MiB cap: data.ran says whether this call ran (its result left out) or was not run", http.StatusOK},
}

func rpcError(code int64, msg string) *jsonrpc2.Error {
	return &jsonrpc2.Error{Code: code, Message: msg}
}

// toRPCError maps any error to a *jsonrpc2.Error: admin's codes to the application range,
// anything else to "internal error" (the caller logs it).
func toRPCError(err error) (e *jsonrpc2.Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	var ae *admin.Error
	if errors.Is(err, syscall.ENOSPC) {
		return rpcError(CodeInternal, "disk full: nothing was changed; free space and retry"), true
	}
	if !errors.As(err, &ae) {
		return rpcError(CodeInternal, "internal error"), true
	}
	switch ae.Code {
	case admin.EINVALID:
		return rpcError(CodeInvalidParams, ae.Message), false
	case admin.ENOTFOUND:
		return rpcError(CodeNotFound, ae.Message), false
	case admin.ECONFLICT:
		return rpcError(CodeConflict, ae.Message), false
	case admin.EUNAUTHORIZED, admin.EWRONGSECRET:
		return rpcError(CodeUnauthorized, ae.Message), false
	case admin.EFORBIDDEN:
		return rpcError(CodeForbidden, ae.Message), false
	case admin.EUNSUPPORTED:
		return rpcError(CodeUnsupported, ae.Message), false
	}
	return rpcError(CodeInternal, "internal error"), true
}

// httpStatus is the HTTP status that goes with an error code.
func httpStatus(code int64) int {
	for _, c := range codeTable {
		if c.Code == code {
			return c.HTTP
		}
	}
	return http.StatusOK
}
