package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
)

// discoverMethod answers rpc.discover with the OpenRPC document built from the table.
var discoverMethod = &Method{Name: "rpc.discover", Summary: "The OpenRPC document of this API, generated from the method table.",
	Result: "object", Right: RightAny, Example: `[]`}

func init() {
	discoverMethod.call = func(context.Context, *Service, *Caller, *args) (any, error) { return discoverJSON(), nil }
}

// discoverDoc is the OpenRPC document's bytes, built once: the method table never
// changes while the process runs, and rpc.discover is open to every credential, so
// each call must cost no more than copying those bytes out.
var discoverDoc struct {
	once sync.Once
	raw  json.RawMessage
}

// discoverJSON returns the cached document. Callers share the slice: never modify it.
func discoverJSON() json.RawMessage {
	discoverDoc.once.Do(func() {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // as the HTTP transport writes every reply
		if err := enc.Encode(OpenRPC()); err != nil {
			panic("rpc: the OpenRPC document does not encode: " + err.Error())
		}
		discoverDoc.raw = json.RawMessage(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	})
	return discoverDoc.raw
}

func schema(t string) map[string]any {
	types := strings.Split(t, "|")
	if len(types) == 1 {
		return map[string]any{"type": t}
	}
	return map[string]any{"type": types}
}

// OpenRPC returns the OpenRPC 1.2 document: each method under its herodb_ name (hero_
// works the same).
func OpenRPC() map[string]any {
	var methods []any
	for _, m := range Methods() {
		if m == discoverMethod {
			continue
		}
		params := []any{}
		for _, p := range m.Params {
			params = append(params, map[string]any{"name": p.Name, "required": !p.Optional,
				"description": p.Doc, "schema": schema(p.Schema)})
		}
		var errs []any
		for _, code := range m.Errors {
			for _, c := range codeTable {
				if c.Code == code {
					errs = append(errs, map[string]any{"code": code, "message": c.Meaning})
				}
			}
		}
		entry := map[string]any{
			"name": "herodb_" + m.Name, "summary": m.Summary, "paramStructure": "either",
			"params":         params,
			"result":         map[string]any{"name": "result", "schema": schema(m.Result)},
			"x-herodb-right": m.Right.String(), "x-aliases": []string{"hero_" + m.Name},
		}
		if errs != nil {
			entry["errors"] = errs
		}
		methods = append(methods, entry)
	}
	return map[string]any{
		"openrpc": "1.2.6",
		"info": map[string]any{"title": "herodb management API", "version": "1",
			"description": "JSON-RPC 2.0 over HTTP POST (Authorization: Bearer <credential>) and a Unix socket."},
		"methods": methods,
	}
}
