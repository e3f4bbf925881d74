package main

// herodb token …, end to end: the real binary (built once into a temporary directory)
// against a herodbtest server with its JSON-RPC API over HTTP on loopback. The binary
// is helpers_test.go's herodbBin, built once by its TestMain.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// tkSecretField is a "token" or "hash" key (not a "type": "token" scope).
var tkSecretField = regexp.MustCompile(`"(token|hash|secret)"\s*:`)

var tkFormat = regexp.MustCompile(`hdbt_([0-9a-f]{16})_([0-9A-Za-z]{43})`)

// tkCLI is a herodbtest server with its RPC on loopback, and the binary pointed at it.
type tkCLI struct {
	t   *testing.T
	srv *herodbtest.Server
	hs  *httptest.Server
}

func tkStartCLI(t *testing.T) *tkCLI {
	t.Helper()
	srv, _, hs := serveRPC(t)
	return &tkCLI{t: t, srv: srv, hs: hs}
}

// run runs the binary with env on top of a clean environment (no HERODB_* from the
// caller) and HERODB_RPC pointing at the test server.
func (c *tkCLI) run(env map[string]string, args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	set := []string{"HERODB_RPC=" + c.hs.URL}
	for k, v := range env {
		set = append(set, k+"="+v)
	}
	return execHerodb(c.t, exec.Command(herodbBin, args...), set)
}

// ok runs and fails the test unless the command succeeds.
func (c *tkCLI) ok(env map[string]string, args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(env, args...)
	if code != 0 {
		c.t.Fatalf("herodb %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// fails runs and checks for a non-zero exit, nothing on stdout and exactly one line on
// stderr that mentions msg.
func (c *tkCLI) fails(env map[string]string, msg string, args ...string) {
	c.t.Helper()
	out, errs, code := c.run(env, args...)
	if code == 0 {
		c.t.Errorf("herodb %s: exit 0, want an error\nstdout: %s", strings.Join(args, " "), out)
		return
	}
	if out != "" {
		c.t.Errorf("herodb %s: stdout %q on an error, want nothing", strings.Join(args, " "), out)
	}
	if strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "\n") || !strings.HasPrefix(errs, "herodb: ") {
		c.t.Errorf("herodb %s: stderr %q, want one line \"herodb: …\"", strings.Join(args, " "), errs)
	}
	if !strings.Contains(errs, msg) {
		c.t.Errorf("herodb %s: stderr %q does not mention %q", strings.Join(args, " "), errs, msg)
	}
}

// tkPrinted is the token a create or rotate printed: exactly one, alone on stdout.
func tkPrinted(t *testing.T, out string) (id, token string) {
	t.Helper()
	all := tkFormat.FindAllStringSubmatch(out, -1)
	if len(all) != 1 || strings.Count(out, "hdbt_") != 1 {
		t.Fatalf("output holds %d tokens, want exactly one: %q", len(all), out)
	}
	if out != all[0][0]+"\n" {
		t.Errorf("stdout is not the token alone: %q", out) // the note goes to stderr (secret_output_test.go)
	}
	return all[0][1], all[0][0]
}

// tkListed is `token list --json` decoded, checked for secrets.
type tkListed struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt *int64 `json:"expires_at"`
	RevokedAt *int64 `json:"revoked_at"`
}

func (c *tkCLI) listJSON(env map[string]string, all bool) map[string]tkListed {
	c.t.Helper()
	args := []string{"token", "list", "--json"}
	if all {
		args = append(args, "--all")
	}
	out := c.ok(env, args...)
	if strings.Contains(out, "hdbt_") || tkSecretField.MatchString(out) {
		c.t.Errorf("token list --json shows a secret: %s", out)
	}
	var l []tkListed
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		c.t.Fatalf("token list --json: %v: %q", err, out)
	}
	m := map[string]tkListed{}
	for _, x := range l {
		m[x.Name] = x
	}
	return m
}

// status is the HTTP status of getServerInfo with bearer.
func (c *tkCLI) status(bearer string) int {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.hs.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"herodb_getServerInfo"}`))
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := c.hs.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTokenCLI(t *testing.T) {
	c := tkStartCLI(t)
	c.srv.CreateDatabase(t, "app", false)
	adm := map[string]string{"HERODB_ADMIN_SECRET": herodbtest.AdminSecret}
	var secrets []string
	noSecrets := func(what, out string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s shows a token secret: %q", what, out)
			}
		}
	}

	// create prints the token once.
	out := c.ok(adm, "token", "create", "--name", "ci", "--db", "app:read", "--expires", "30d")
	ciID, ci := tkPrinted(t, out)
	secrets = append(secrets, ci, ci[22:])
	if c.status(ci) != http.StatusOK {
		t.Errorf("the printed ci token does not work on the RPC")
	}
	if got := c.listJSON(adm, false)["ci"]; got.ID != ciID || got.ExpiresAt == nil || *got.ExpiresAt-got.CreatedAt != 30*86400 {
		t.Errorf("ci as listed: %+v, want expires 30 days after creation", got)
	}
	out = c.ok(adm, "token", "create", "--name", "dev", "--db", "app:read,write", "--token-scope", "read,write")
	devID, dev := tkPrinted(t, out)
	secrets = append(secrets, dev, dev[22:])
	out = c.ok(adm, "token", "create", "--name", "ops", "--admin", "--expires", "12h")
	_, ops := tkPrinted(t, out)
	secrets = append(secrets, ops, ops[22:])

	// list: a table, every token, no secret.
	out = c.ok(adm, "token", "list")
	noSecrets("token list", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !regexp.MustCompile(`^ID\s+NAME\s+SCOPES\s+CREATED\s+EXPIRES\s+LAST USED`).MatchString(lines[0]) {
		t.Fatalf("token list: %q", out)
	}
	var ciRow string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, ciID) {
			ciRow = l
		}
	}
	if !strings.Contains(ciRow, " ci ") || !strings.Contains(ciRow, "db app:read") {
		t.Errorf("token list: the ci row is %q", ciRow)
	}
	if !strings.Contains(out, "token:read,write") || !strings.Contains(out, "admin") {
		t.Errorf("token list does not show the dev and ops scopes: %q", out)
	}

	// revoke, then list and list --all --json.
	if out := c.ok(adm, "token", "revoke", ciID); !strings.Contains(out, "revoked") || !strings.Contains(out, ciID) {
		t.Errorf("token revoke: %q", out)
	}
	if c.status(ci) != http.StatusUnauthorized {
		t.Errorf("a revoked token still works on the RPC")
	}
	if out := c.ok(adm, "token", "list"); strings.Contains(out, ciID) {
		t.Errorf("token list shows the revoked token: %q", out)
	}
	all := c.listJSON(adm, true)
	if len(all) != 3 || all["ci"].RevokedAt == nil || all["dev"].RevokedAt != nil {
		t.Errorf("token list --all --json: %+v", all)
	}
	noSecrets("token list --all", c.ok(adm, "token", "list", "--all"))

	// rotate prints a new token; the old one is dead at once.
	out = c.ok(adm, "token", "rotate", devID)
	id2, dev2 := tkPrinted(t, out)
	secrets = append(secrets, dev2, dev2[22:])
	if id2 != devID || dev2 == dev {
		t.Errorf("token rotate printed %s, want a new secret for %s", dev2, devID)
	}
	if c.status(dev) != http.StatusUnauthorized || c.status(dev2) != http.StatusOK {
		t.Errorf("after rotation: old %d, new %d; want 401 and 200", c.status(dev), c.status(dev2))
	}

	// HERODB_TOKEN (a token:write token) instead of the admin secret.
	tok := map[string]string{"HERODB_TOKEN": dev2}
	out = c.ok(tok, "token", "create", "--name", "sub", "--db", "app:read", "--expires", "90m")
	subID, sub := tkPrinted(t, out)
	secrets = append(secrets, sub, sub[22:])
	mine := c.listJSON(tok, true)
	if len(mine) != 3 || mine["sub"].ID != subID || mine["ops"].ID != "" {
		t.Errorf("token list as the dev token: %+v, want ci, dev and sub (not ops)", mine)
	}
	noSecrets("token list with HERODB_TOKEN", c.ok(tok, "token", "list"))
	c.fails(tok, "scopes", "token", "create", "--name", "root", "--admin")
	c.fails(tok, "admin", "db", "list")
	_, _, code := c.run(tok, "token", "rotate", c.listJSON(adm, false)["ops"].ID)
	if code == 0 {
		t.Errorf("the dev token rotated the ops token")
	}
	// HERODB_TOKEN wins over HERODB_ADMIN_SECRET.
	c.fails(map[string]string{"HERODB_TOKEN": dev2, "HERODB_ADMIN_SECRET": herodbtest.AdminSecret}, "scopes",
		"token", "create", "--name", "root", "--admin")
	if out := c.ok(tok, "token", "revoke", subID); !strings.Contains(out, subID) {
		t.Errorf("token revoke with HERODB_TOKEN: %q", out)
	}

	// Bad input: one line, non-zero, nothing created.
	before := len(c.listJSON(adm, true))
	c.fails(adm, "invalid duration", "token", "create", "--name", "x", "--db", "app:read", "--expires", "3x")
	c.fails(adm, "invalid duration", "token", "create", "--name", "x", "--db", "app:read", "--expires", "0")
	c.fails(adm, "invalid duration", "token", "create", "--name", "x", "--db", "app:read", "--expires", "99999999999")
	c.fails(adm, "unknown permission", "token", "create", "--name", "x", "--db", "app:readwrite")
	c.fails(adm, "DB:PERMS", "token", "create", "--name", "x", "--db", "app")
	c.fails(adm, "does not exist", "token", "create", "--name", "x", "--db", "nosuch:read")
	c.fails(adm, "at least one scope", "token", "create", "--name", "x")
	c.fails(adm, "--name", "token", "create", "--db", "app:read")
	c.fails(adm, "no token", "token", "revoke", "0123456789abcdef")
	c.fails(adm, "no token", "token", "rotate", "0123456789abcdef")
	c.fails(adm, "<id>", "token", "revoke")
	c.fails(nil, "no credential", "token", "list")
	c.fails(map[string]string{"HERODB_TOKEN": dev}, "invalid credential", "token", "list")
	if after := len(c.listJSON(adm, true)); after != before {
		t.Errorf("refused commands changed the token count: %d → %d", before, after)
	}
}
