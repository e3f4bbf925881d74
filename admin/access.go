package admin

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Access is what a credential, or the public flag, allows on one database.
type Access int

const (
	AccessNone Access = iota
	AccessRead
	AccessReadWrite
)

// accessForms is every text form of Access, the one place it is converted to or from
// text; each form keeps the spelling its readers already know:
//
//	name    the permission as the RPC and CLI take and show it (addAccessKey, listAccessKeys)
//	key     an access key's permission in meta:db:<id>:keys, as HeroDB writes it
//	public  the public field of meta:db:<id>, as HeroDB writes it (true/false, and "read")
//	json    the public flag in the RPC (getDatabaseInfo, setDatabasePublic)
//	label   the public flag in words, as the CLI prints it
var accessForms = [...]struct {
	name, key, public, label string
	json                     any
}{
	AccessNone:      {name: "none", public: "false", label: "private", json: false},
	AccessRead:      {name: "read", key: "Read", public: "read", label: "read", json: "read"},
	AccessReadWrite: {name: "readwrite", key: "ReadWrite", public: "true", label: "read-write", json: true},
}

// accessFrom finds the Access whose form (picked by form) is s.
func accessFrom(s string, form func(i int) string) (Access, bool) {
	for i := range accessForms {
		if form(i) == s && s != "" {
			return Access(i), true
		}
	}
	return AccessNone, false
}

// String is the permission's name: "none", "read" or "readwrite".
func (a Access) String() string { return accessForms[a].name }

// PublicLabel is the public flag in words: "private", "read" or "read-write".
func (a Access) PublicLabel() string { return accessForms[a].label }

// ParsePermission reads "read" or "readwrite", in any case.
func ParsePermission(s string) (Access, error) {
	if a, ok := accessFrom(strings.ToLower(s), func(i int) string { return accessForms[i].name }); ok && a != AccessNone {
		return a, nil
	}
	return AccessNone, Errorf(EINVALID, "permissions must be \"read\" or \"readwrite\"")
}

// keyValue is an access key's entry in meta:db:<id>:keys: Read:<ts> or ReadWrite:<ts>.
func keyValue(a Access, created int64) string {
	return accessForms[a].key + ":" + strconv.FormatInt(created, 10)
}

// parseKeyValue reads keyValue's form; an unknown permission reads as AccessNone.
func parseKeyValue(v string) (Access, int64) {
	p, ts, _ := strings.Cut(v, ":")
	t, _ := strconv.ParseInt(ts, 10, 64)
	a, _ := accessFrom(p, func(i int) string { return accessForms[i].key })
	return a, t
}

// publicValue is how the public flag reads in meta:db:<id>.
func publicValue(a Access) string { return accessForms[a].public }

// parsePublic reads publicValue's form; anything else means private, never public.
func parsePublic(s string) Access {
	a, _ := accessFrom(s, func(i int) string { return accessForms[i].public })
	return a
}

// PublicJSON is the public flag as the RPC shows it: true, false or "read".
func PublicJSON(p Access) any { return accessForms[p].json }

// ParsePublicJSON reads the public flag as the RPC takes it: true, false or "read"
// (absent or null: false). ok is false for any other value.
func ParsePublicJSON(raw []byte) (a Access, ok bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return AccessNone, true
	}
	return accessFrom(s, func(i int) string {
		b, _ := json.Marshal(accessForms[i].json)
		return string(b)
	})
}
