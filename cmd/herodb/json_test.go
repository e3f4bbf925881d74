package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestCLIJSONEverywhere: every management subcommand takes --json and prints exactly one
// JSON value on stdout, nothing before or after it, through the real binary. The list of
// commands run is checked against the command tables, so a subcommand added without a
// --json case here fails the test.
func TestCLIJSONEverywhere(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	keys := t.TempDir()
	ran := map[string]bool{}

	// one runs args with --json and decodes stdout, which must hold one value, into out.
	one := func(extraEnv []string, out any, args ...string) {
		t.Helper()
		ran[args[0]+" "+args[1]] = true
		args = append(args, "--json")
		r := e.run(t, extraEnv, args...)
		if r.code != 0 {
			t.Fatalf("herodb %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		if err := dec.Decode(out); err != nil {
			t.Fatalf("herodb %s: stdout is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
		}
		var rest json.RawMessage
		if err := dec.Decode(&rest); err == nil || bytes.TrimSpace([]byte(r.stdout[dec.InputOffset():])) != nil {
			t.Fatalf("herodb %s: more than one value on stdout:\n%s", strings.Join(args, " "), r.stdout)
		}
	}

	var created struct{ ID uint64 }
	one(nil, &created, "db", "create", "--name", "app")
	if created.ID == 0 {
		t.Fatal("db create --json: no id")
	}
	var list []cliDB
	one(nil, &list, "db", "list")
	if len(list) != 1 || list[0].Name != "app" {
		t.Fatalf("db list --json: %+v", list)
	}
	var info cliDB
	one(nil, &info, "db", "info", "app")
	if info.ID != created.ID {
		t.Fatalf("db info --json: %+v", info)
	}
	var public struct {
		Database string
		Public   any
	}
	one(nil, &public, "db", "public", "app", "read")
	if public.Database != "app" || public.Public != "read" {
		t.Fatalf("db public --json: %+v", public)
	}
	one(nil, &public, "db", "public", "app", "off")
	if public.Public != false {
		t.Fatalf("db public off --json: %+v", public)
	}
	var check map[string]any
	one(nil, &check, "db", "check", "app")
	ran["db accept-file"] = true // on a refused file only: TestCheckRollbackRefused parses its --json
	var rotated map[string]any
	one(nil, &rotated, "db", "rotate-key", "app")
	if rotated["term"] == nil {
		t.Fatalf("db rotate-key --json: %v", rotated)
	}

	var added struct{ Key, Hash string }
	one(nil, &added, "key", "add", "app")
	var keyList []struct{ Hash string }
	one(nil, &keyList, "key", "list", "app")
	if len(keyList) != 1 || keyList[0].Hash != added.Hash {
		t.Fatalf("key list --json: %+v, want %s", keyList, added.Hash)
	}
	var keyDeleted struct {
		Database, Hash string
		Deleted        bool
	}
	one(nil, &keyDeleted, "key", "delete", "app", added.Hash)
	if keyDeleted.Hash != added.Hash || !keyDeleted.Deleted {
		t.Fatalf("key delete --json: %+v", keyDeleted)
	}

	var tok struct{ ID, Token string }
	one(nil, &tok, "token", "create", "--name", "ci", "--db", "app:read")
	var toks []struct{ ID string }
	one(nil, &toks, "token", "list")
	if len(toks) != 1 || toks[0].ID != tok.ID {
		t.Fatalf("token list --json: %+v", toks)
	}
	var rot struct{ ID, Token string }
	one(nil, &rot, "token", "rotate", tok.ID)
	if rot.ID != tok.ID || rot.Token == tok.Token {
		t.Fatalf("token rotate --json: %+v", rot)
	}
	var revoked struct {
		ID      string
		Revoked bool
	}
	one(nil, &revoked, "token", "revoke", tok.ID)
	if revoked.ID != tok.ID || !revoked.Revoked {
		t.Fatalf("token revoke --json: %+v", revoked)
	}

	var pair struct {
		PrivateKey string `json:"private_key"`
		PublicKey  string `json:"public_key"`
		Kid        string
	}
	one(nil, &pair, "jwt", "keygen", "--out", keys)
	if pair.PrivateKey != filepath.Join(keys, "jwt_private.pem") || pair.Kid == "" {
		t.Fatalf("jwt keygen --json: %+v", pair)
	}
	if _, err := os.Stat(pair.PublicKey); err != nil {
		t.Fatalf("jwt keygen --json names %s: %v", pair.PublicKey, err)
	}
	var minted struct {
		Token, Kid, Jti string
		ExpiresAt       int64 `json:"expires_at"`
	}
	one(nil, &minted, "jwt", "mint", "--key", pair.PrivateKey, "--db", "app", "--ttl", "1h", "--jti", "j1")
	if strings.Count(minted.Token, ".") != 2 || minted.Kid != pair.Kid || minted.Jti != "j1" || minted.ExpiresAt == 0 {
		t.Fatalf("jwt mint --json: %+v", minted)
	}

	var dbDeleted struct {
		Database string
		Deleted  bool
	}
	one(nil, &dbDeleted, "db", "delete", "app")
	if dbDeleted.Database != "app" || !dbDeleted.Deleted {
		t.Fatalf("db delete --json: %+v", dbDeleted)
	}

	// Last: the server's admin secret changes, and this env's calls would need the new one.
	var secret struct{ Rotated bool }
	one([]string{"HERODB_NEW_ADMIN_SECRET=" + herodbtest.AdminSecret + "-2"}, &secret, "admin", "rotate-secret")
	if !secret.Rotated {
		t.Fatalf("admin rotate-secret --json: %+v", secret)
	}

	var missing []string
	for group, cmds := range map[string]map[string]subcommand{"db": dbCommands, "key": keyCommands,
		"token": tokenCommands, "jwt": jwtCommands, "admin": adminCommands} {
		for name, sc := range cmds {
			if !ran[group+" "+name] {
				missing = append(missing, group+" "+name)
			}
			if first, _, _ := strings.Cut(sc.usage, "\n"); !strings.Contains(first, "[--json]") {
				t.Errorf("herodb %s %s: usage line %q does not show [--json]", group, name, first)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("not run with --json here: %v", missing)
	}
}
