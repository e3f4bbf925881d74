package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/seed6aa118f9/herodb/admin"
)

var tokenCommands = map[string]subcommand{
	"create": {`herodb token create --name N [--db DB:PERMS ...] [--token-scope PERMS] [--metrics] [--admin] [--expires 30d] [--json]

Creates a named token and prints it once: herodb keeps only its hash. PERMS is read,
write or read,write. --metrics lets it read /metrics and nothing else. A token can only
be given scopes its creator holds.

  herodb token create --name ci --db app:read --expires 30d
  herodb token create --name alice --db app:read,write --db 7:read
  herodb token create --name ops --token-scope read,write
  herodb token create --name prometheus --metrics`, tokenCreate},
	"list": {`herodb token list [--all] [--json]

Lists tokens: id, name, scopes, created, expires, last used. Never a secret. --all adds
expired and revoked ones.`, tokenList},
	"revoke": {`herodb token revoke <id> [--json]

Revokes a token at once; open connections using it fail at their next command.`, tokenRevoke},
	"rotate": {`herodb token rotate <id> [--json]

Gives a token a new secret and prints it once; the old secret dies at once.`, tokenRotate},
}

func tokenCreate(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	name := fs.String("name", "", "what the token is for")
	var dbs multiFlag
	fs.Var(&dbs, "db", "DB:PERMS, e.g. app:read or 7:read,write (repeat for more); DB may be *")
	tokenScope := fs.String("token-scope", "", "rights over tokens: read, write or read,write")
	isMetrics := fs.Bool("metrics", false, "read /metrics on the RPC's HTTP listener, and nothing else")
	isAdmin := fs.Bool("admin", false, "everything the admin secret allows")
	expires := fs.String("expires", "", "lifetime, e.g. 30d, 12h (default: never)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *name == "" {
		return errors.New("want --name N and at least one scope (see --help)")
	}
	var scopes []map[string]any
	perms := func(s string) ([]admin.Permission, error) {
		var out []admin.Permission
		for _, p := range strings.Split(s, ",") {
			if p := admin.Permission(p); p != admin.PermRead && p != admin.PermWrite {
				return nil, fmt.Errorf("unknown permission %q: want read, write or read,write", p)
			}
			out = append(out, admin.Permission(p))
		}
		return out, nil
	}
	for _, d := range dbs {
		i := strings.LastIndexByte(d, ':')
		if i <= 0 {
			return fmt.Errorf("--db %q: want DB:PERMS, e.g. app:read", d)
		}
		p, err := perms(d[i+1:])
		if err != nil {
			return err
		}
		scopes = append(scopes, map[string]any{"type": admin.ScopeDatabase, "name": d[:i], "permissions": p})
	}
	if *tokenScope != "" {
		p, err := perms(*tokenScope)
		if err != nil {
			return err
		}
		scopes = append(scopes, map[string]any{"type": admin.ScopeToken, "name": "*", "permissions": p})
	}
	if *isMetrics {
		scopes = append(scopes, map[string]any{"type": admin.ScopeMetrics})
	}
	if *isAdmin {
		scopes = append(scopes, map[string]any{"type": admin.ScopeAdmin})
	}
	if len(scopes) == 0 {
		return errors.New("give at least one scope: --db, --token-scope, --metrics or --admin")
	}
	var ttl any
	if *expires != "" {
		d, err := admin.ParseDuration(*expires)
		if err != nil {
			return err
		}
		ttl = int64(d.Seconds())
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var t newTokenJSON
	if err := c.call("herodb_createToken", []any{*name, scopes, ttl}, &t); err != nil {
		return err
	}
	return printNewToken(cf, t)
}

type newTokenJSON struct {
	ID        string        `json:"id"`
	Token     string        `json:"token"`
	Name      string        `json:"name"`
	Scopes    []admin.Scope `json:"scopes"`
	CreatedAt int64         `json:"created_at"`
	ExpiresAt *int64        `json:"expires_at"`
}

func printNewToken(cf *clientFlags, t newTokenJSON) error {
	if cf.json {
		printJSON(t)
		return nil
	}
	// The secret alone on stdout, so TOKEN=$(herodb token create …) captures exactly it;
	// the note is for the person at the terminal.
	fmt.Println(t.Token)
	fmt.Fprintf(os.Stderr, "Token %s (%s) is shown once: herodb keeps only its hash.\n", t.ID, t.Name)
	return nil
}

func scopeText(scopes []admin.Scope) string {
	var parts []string
	for _, s := range scopes {
		switch s.Type {
		case admin.ScopeAdmin:
			parts = append(parts, "admin")
		case admin.ScopeMetrics:
			parts = append(parts, "metrics")
		case admin.ScopeToken:
			parts = append(parts, "token:"+permText(s.Permissions))
		default:
			parts = append(parts, "db "+s.Name+":"+permText(s.Permissions))
		}
	}
	return strings.Join(parts, " ")
}

func permText(ps []admin.Permission) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, string(p))
	}
	return strings.Join(parts, ",")
}

func whenPtr(p *int64) string {
	if p == nil {
		return "-"
	}
	return when(*p)
}

func tokenList(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	all := fs.Bool("all", false, "include expired and revoked tokens")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errors.New("want no arguments (see --help)")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var toks []admin.Token
	if err := c.call("herodb_listTokens", []any{*all}, &toks); err != nil {
		return err
	}
	if cf.json {
		printJSON(toks)
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range toks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, scopeText(t.Scopes), when(t.CreatedAt),
			whenPtr(t.ExpiresAt), whenPtr(t.LastUsedAt), whenPtr(t.RevokedAt))
	}
	return tw.Flush()
}

func tokenRevoke(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, c, err := cf.start(fs, args, 1, "<id>")
	if err != nil {
		return err
	}
	if err := c.call("herodb_revokeToken", []any{pos[0]}, nil); err != nil {
		return err
	}
	printDone(cf, map[string]any{"id": pos[0], "revoked": true}, "revoked token %s", pos[0])
	return nil
}

func tokenRotate(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, c, err := cf.start(fs, args, 1, "<id>")
	if err != nil {
		return err
	}
	var t newTokenJSON
	if err := c.call("herodb_rotateToken", []any{pos[0]}, &t); err != nil {
		return err
	}
	return printNewToken(cf, t)
}
