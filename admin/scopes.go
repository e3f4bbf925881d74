package admin

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Scope is one permission of a token, in the npm API's shape.
type Scope struct {
	Type        ScopeType    `json:"type"`
	Name        string       `json:"name,omitempty"`        // database: a name, an id or "*"; token: "*"
	Permissions []Permission `json:"permissions,omitempty"` // read and/or write
}

// ScopeType is what a scope is about; its text is the type field of the JSON.
type ScopeType string

const (
	ScopeDatabase ScopeType = "database" // a database, by name or id, or "*": every one but DB 0
	ScopeToken    ScopeType = "token"    // other tokens: list and see (read), create, revoke, rotate (write)
	ScopeAdmin    ScopeType = "admin"    // everything the admin secret allows
	ScopeMetrics  ScopeType = "metrics"  // read /metrics, and nothing else
)

// Permission is one right a database or token scope gives; its text is the JSON's.
type Permission string

const (
	PermRead  Permission = "read"
	PermWrite Permission = "write"
)

// ParseScopes reads scopes strictly: an unknown type or permission, a missing name, or
// an empty list is an error; nothing is matched by substring.
func ParseScopes(raw json.RawMessage) ([]Scope, error) {
	in, err := decodeScopes(raw)
	if err != nil {
		return nil, Errorf(EINVALID, "scopes must be an array of {type, name, permissions}: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if len(in) == 0 {
		return nil, Errorf(EINVALID, "scopes must not be empty")
	}
	scopes := make([]Scope, len(in))
	for i, s := range in {
		scopes[i] = Scope{Type: ScopeType(s.Type), Name: s.Name}
		for _, p := range s.Permissions {
			scopes[i].Permissions = append(scopes[i].Permissions, Permission(p))
		}
		if err := checkScope(&scopes[i]); err != nil {
			return nil, err
		}
	}
	return scopes, nil
}

// scopeText is a scope as its JSON spells it, before its kinds are checked.
type scopeText struct {
	Type        string   `json:"type"`
	Name        string   `json:"name,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// decodeScopes reads the JSON strictly (no unknown fields). It decodes plain strings, so
// a value of the wrong JSON type is reported as json words it for the user ("Scope.type
// of type string"), never with a Go type name of ours.
func decodeScopes(raw json.RawMessage) ([]scopeText, error) {
	type Scope scopeText // the name json's errors print
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in []Scope
	if err := dec.Decode(&in); err != nil {
		return nil, err
	}
	out := make([]scopeText, len(in))
	for i := range in {
		out[i] = scopeText(in[i])
	}
	return out, nil
}

func checkScope(s *Scope) error {
	perms := func() error {
		if len(s.Permissions) == 0 {
			return Errorf(EINVALID, "a %s scope needs permissions: [\"read\"], [\"write\"] or both", s.Type)
		}
		for _, p := range s.Permissions {
			if p != PermRead && p != PermWrite {
				return Errorf(EINVALID, "unknown permission %q: want \"read\" or \"write\"", p)
			}
		}
		return nil
	}
	switch s.Type {
	case ScopeDatabase:
		if s.Name == "" {
			return Errorf(EINVALID, "a database scope needs a name: a database name, an id, or \"*\"")
		}
		if s.Name == "0" {
			return Errorf(EINVALID, "a database scope cannot name DB 0: use an admin scope")
		}
		return perms()
	case ScopeToken:
		if s.Name == "" {
			s.Name = "*"
		}
		if s.Name != "*" {
			return Errorf(EINVALID, "a token scope's name must be \"*\"")
		}
		return perms()
	case ScopeAdmin, ScopeMetrics:
		if s.Name != "" || len(s.Permissions) != 0 {
			return Errorf(EINVALID, "a %s scope takes no name and no permissions", s.Type)
		}
		return nil
	}
	return Errorf(EINVALID, "unknown scope type %q: want database, token, metrics or admin", s.Type)
}

func (s Scope) has(p Permission) bool { return slices.Contains(s.Permissions, p) }

// dbAccess is what a database scope grants.
func (s Scope) dbAccess() Access {
	if s.has(PermWrite) {
		return AccessReadWrite
	}
	return AccessRead
}

// covers reports whether scopes allow everything in want: no escalation.
func covers(have, want []Scope) bool {
	for _, h := range have {
		if h.Type == ScopeAdmin {
			return true
		}
	}
	for _, w := range want {
		ok := false
		for _, h := range have {
			if h.Type != w.Type {
				continue
			}
			if w.Type == ScopeDatabase && h.Name != "*" && h.Name != w.Name {
				continue
			}
			all := true
			for _, p := range w.Permissions {
				all = all && h.has(p)
			}
			ok = ok || all
		}
		if !ok {
			return false
		}
	}
	return true
}

// resolveScopes checks that every named database exists (so a typo is an error now,
// not a token that silently opens nothing).
func (a *Admin) resolveScopes(scopes []Scope) error {
	for _, s := range scopes {
		if s.Type == ScopeDatabase && s.Name != "*" {
			if _, ok := a.Database(s.Name); !ok {
				return Errorf(ENOTFOUND, "database %q does not exist", s.Name)
			}
		}
	}
	return nil
}

func callerCovers(caller *Grant, scopes []Scope) bool {
	if caller == nil {
		return false
	}
	if caller.Admin {
		return true
	}
	return covers(caller.Scopes, scopes)
}
