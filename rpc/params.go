package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/admin"
)

// Param is one parameter of a method, for decoding, docs and OpenRPC.
type Param struct {
	Name     string
	Schema   string // JSON schema type, e.g. "integer", "string|null", "object"
	Optional bool   // only trailing params may be optional
	Doc      string
}

// args are a call's params, in the method's order, whichever way they were sent.
type args struct {
	method *Method
	vals   []json.RawMessage // nil entry: not given
}

// decodeParams accepts positional (an array) or named (an object) params.
func decodeParams(m *Method, raw *json.RawMessage) (*args, error) {
	a := &args{method: m, vals: make([]json.RawMessage, len(m.Params))}
	if raw == nil || len(bytes.TrimSpace(*raw)) == 0 || string(bytes.TrimSpace(*raw)) == "null" {
		return a, a.checkRequired()
	}
	body := bytes.TrimSpace(*raw)
	switch body[0] {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, rpcError(CodeInvalidParams, "params: "+err.Error())
		}
		if len(list) > len(m.Params) {
			return nil, rpcError(CodeInvalidParams, fmt.Sprintf("%s takes at most %d params (%s), got %d", m.Name, len(m.Params), m.signature(), len(list)))
		}
		copy(a.vals, list)
	case '{':
		var named map[string]json.RawMessage
		if err := json.Unmarshal(body, &named); err != nil {
			return nil, rpcError(CodeInvalidParams, "params: "+err.Error())
		}
		for k, v := range named {
			i := m.paramIndex(k)
			if i < 0 {
				return nil, rpcError(CodeInvalidParams, fmt.Sprintf("%s has no param %q (params: %s)", m.Name, k, m.signature()))
			}
			a.vals[i] = v
		}
	default:
		return nil, rpcError(CodeInvalidParams, "params must be an array or an object")
	}
	return a, a.checkRequired()
}

func (a *args) checkRequired() error {
	for i, p := range a.method.Params {
		if !p.Optional && a.vals[i] == nil {
			return rpcError(CodeInvalidParams, fmt.Sprintf("%s needs param %q (params: %s)", a.method.Name, p.Name, a.method.signature()))
		}
	}
	return nil
}

func (a *args) bad(i int, want string) error {
	return rpcError(CodeInvalidParams, fmt.Sprintf("param %q must be %s", a.method.Params[i].Name, want))
}

func (a *args) null(i int) bool {
	return a.vals[i] == nil || string(bytes.TrimSpace(a.vals[i])) == "null"
}

func (a *args) str(i int) (string, error) {
	var s string
	if a.null(i) || json.Unmarshal(a.vals[i], &s) != nil {
		return "", a.bad(i, "a string")
	}
	return s, nil
}

// optStr reads a string that may be null or absent ("" then).
func (a *args) optStr(i int) (string, error) {
	if a.null(i) {
		return "", nil
	}
	return a.str(i)
}

func (a *args) boolean(i int, def bool) (bool, error) {
	if a.null(i) {
		return def, nil
	}
	var b bool
	if json.Unmarshal(a.vals[i], &b) != nil {
		return false, a.bad(i, "true or false")
	}
	return b, nil
}

// optUint reads a non-negative integer that may be null or absent (def then); ok is
// false when it is anything else: a fraction, an exponent, a string, a negative number.
func (a *args) optUint(i int, def uint64) (n uint64, ok bool) {
	if a.null(i) {
		return def, true
	}
	dec := json.NewDecoder(bytes.NewReader(a.vals[i]))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return 0, false
	}
	num, isNum := v.(json.Number)
	if !isNum {
		return 0, false
	}
	n, err := strconv.ParseUint(num.String(), 10, 64)
	return n, err == nil
}

// db resolves a database given as an id (number or numeric string) or a name.
func (a *args) db(adm *admin.Admin, i int) (*admin.Database, error) {
	if a.null(i) {
		return nil, a.bad(i, "a database id or name")
	}
	var ref string
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(a.vals[i]))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, a.bad(i, "a database id or name")
	}
	switch x := v.(type) {
	case json.Number:
		n = x
		if _, err := strconv.ParseUint(n.String(), 10, 64); err != nil {
			return nil, a.bad(i, "a database id (a non-negative integer) or name")
		}
		ref = n.String()
	case string:
		ref = x
	default:
		return nil, a.bad(i, "a database id or name")
	}
	if ref == "0" {
		return nil, rpcError(CodeInvalidParams, "database 0 is the admin database: it cannot be changed this way")
	}
	d, ok := adm.Database(ref)
	if !ok {
		if n != "" {
			return nil, rpcError(CodeNotFound, fmt.Sprintf("database %s does not exist", ref))
		}
		return nil, rpcError(CodeNotFound, fmt.Sprintf("database %s does not exist", strconv.Quote(ref)))
	}
	return d, nil
}

// into decodes an object param strictly: unknown fields are an error.
func (a *args) into(i int, v any) error {
	if a.null(i) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(a.vals[i]))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		err = exactFields(a.vals[i], v)
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		return rpcError(CodeInvalidParams, fmt.Sprintf("param %q: %s", a.method.Params[i].Name, msg))
	}
	return nil
}

// exactFields refuses an object member whose name is not one of v's fields exactly as
// documented: encoding/json matches names regardless of case, so {"PUBLIC": "read"}
// set public, and {"public": false, "Public": "read"} set it twice.
func exactFields(raw []byte, v any) error {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return nil // not an object: Decode has said what it is
	}
	names := map[string]bool{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		names[name] = true
	}
	for m := range members {
		if !names[m] {
			return fmt.Errorf("unknown field %q", m)
		}
	}
	return nil
}
