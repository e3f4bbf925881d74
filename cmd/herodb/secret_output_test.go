package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestCLISecretAlone: a command that creates a secret prints it alone on stdout and its
// "shown once" note on stderr, so KEY=$(herodb key add app) captures exactly the key and
// a redis:// URL built from it opens the database (issue 19, part 4); --json gives one
// object holding it.
func TestCLISecretAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newCLIEnv(t)
	id := strings.TrimSpace(e.ok(t, "db", "create", "--name", "app"))

	// secret runs args and returns stdout less its newline, checking it is one line and
	// that the note went to stderr.
	secret := func(note string, args ...string) string {
		t.Helper()
		r := e.run(t, nil, args...)
		if r.code != 0 {
			t.Fatalf("herodb %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
		s, ok := strings.CutSuffix(r.stdout, "\n")
		if !ok || s == "" || strings.ContainsAny(s, "\n ") {
			t.Fatalf("herodb %s: stdout %q, want the secret alone on one line", strings.Join(args, " "), r.stdout)
		}
		if !strings.Contains(r.stderr, note) {
			t.Errorf("herodb %s: stderr %q, want the note %q", strings.Join(args, " "), r.stderr, note)
		}
		return s
	}
	opens := func(what, cred string) {
		t.Helper()
		o, err := redis.ParseURL("redis://:" + cred + "@" + e.srv.Addr() + "/" + id)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		c := redis.NewClient(o)
		defer c.Close()
		if err := c.Set(ctx, "k", what, 0).Err(); err != nil {
			t.Fatalf("redis://:$(herodb %s)@…: %v", what, err)
		}
	}

	opens("key add", secret("shown once", "key", "add", "app"))
	tok := secret("shown once", "token", "create", "--name", "ci", "--db", "app:read,write")
	opens("token create", tok)
	tokID := strings.Split(tok, "_")[1]
	opens("token rotate", secret("shown once", "token", "rotate", tokID))

	// jwt mint: the token alone too (it has no note); the server trusts the key it used.
	keys := t.TempDir()
	e.ok(t, "jwt", "keygen", "--out", keys)
	jwt := secret("", "jwt", "mint", "--key", filepath.Join(keys, "jwt_private.pem"), "--db", "app", "--ttl", "1h")
	if strings.Count(jwt, ".") != 2 {
		t.Fatalf("jwt mint printed %q", jwt)
	}

	// --json: one object on stdout, nothing else there, and the secret in it.
	r := e.run(t, nil, "key", "add", "app", "--json")
	var added struct{ Key, Hash string }
	if err := json.Unmarshal([]byte(r.stdout), &added); err != nil || added.Key == "" || added.Hash != sha256hex(added.Key) {
		t.Fatalf("key add --json: %v %q", err, r.stdout)
	}
	r = e.run(t, nil, "token", "create", "--name", "j", "--db", "app:read", "--json")
	var created struct{ ID, Token string }
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || !strings.HasPrefix(created.Token, "hdbt_"+created.ID+"_") {
		t.Fatalf("token create --json: %v %q", err, r.stdout)
	}
}
