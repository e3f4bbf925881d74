package admin

import (
	"bytes"
	"testing"
)

// FuzzCredential: the one credential check, fed anything. It never panics, and it
// accepts nothing but the credentials that were made: a key, a token or the admin
// secret altered by a single byte is refused like any other guess.
func FuzzCredential(f *testing.F) {
	a := openAdmin(f, Config{Secret: []byte("tokens-test-admin-secret")})
	f.Cleanup(func() { a.Close() })
	db, err := a.CreateDatabase(CreateOptions{Name: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	key := "fuzz-access-key-0123456789"
	if err := a.AddAccessKey(db.ID, key, AccessRead); err != nil {
		f.Fatal(err)
	}
	tok, err := a.CreateToken(adminGrant, "fuzz", []Scope{{Type: "database", Name: "fuzz", Permissions: []Permission{"read"}}}, 0)
	if err != nil {
		f.Fatal(err)
	}
	valid := [][]byte{[]byte("tokens-test-admin-secret"), []byte(key), []byte(tok.Token)}
	for _, v := range valid {
		f.Add(v)
		f.Add(append(append([]byte(nil), v...), 'x'))
		f.Add(v[:len(v)-1])
	}
	for _, s := range []string{"", "hdbt_", "hdbt_0000000000000000_", "eyJhbGciOiJFZERTQSJ9.e30.", "eyJ.eyJ.", "a.b.c", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, cred []byte) {
		g, err := a.Recheck(cred)
		if err == nil {
			for _, v := range valid {
				if bytes.Equal(cred, v) {
					return
				}
			}
			t.Fatalf("%q was accepted as %s", cred, g.Kind)
		}
		if g != nil {
			t.Fatalf("%q refused with a grant", cred)
		}
	})
}
