package main

// Changing the admin secret: offline (herodb rekey, on a stopped directory) and online
// (herodb admin rotate-secret, through the RPC). Secrets come from files or the
// environment, never from flags alone: a flag shows in ps and in shell history.

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed6aa118f9/herodb/admin"
)

var adminCommands = map[string]subcommand{
	"rotate-secret": {`herodb admin rotate-secret --new-secret-file F [--json]

Makes the secret in F (or env HERODB_NEW_ADMIN_SECRET) the admin secret of the running
server. Connections and RPC callers holding the old secret lose it at their next command.
Update --admin-secret-file (or the service's credential) before the next restart: it
needs the new secret. A server run with --dev rewrites its dev-admin-secret itself.

  herodb admin rotate-secret --new-secret-file ./new-admin-secret`, adminRotateSecret},
}

func adminRotateSecret(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	file := fs.String("new-secret-file", "", "file holding the new admin secret (or env HERODB_NEW_ADMIN_SECRET)")
	_, c, err := cf.start(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	secret, err := secretFrom(*file, "HERODB_NEW_ADMIN_SECRET", "new admin secret", "--new-secret-file")
	if err != nil {
		return err
	}
	if err := c.call("herodb_rotateAdminSecret", []any{string(secret)}, nil); err != nil {
		return err
	}
	printDone(cf, map[string]any{"rotated": true}, "admin secret rotated: give the server the new one (--admin-secret-file or HERODB_ADMIN_SECRET) before its next restart")
	return nil
}

const rekeyUsage = `Usage: herodb rekey --dir D [--old-secret-file F] [--new-secret-file F]

Changes the admin secret of a stopped data directory. The old secret comes from
--old-secret-file or env HERODB_ADMIN_SECRET (for a --dev directory, from its
dev-admin-secret when neither is given), the new one from --new-secret-file or env
HERODB_NEW_ADMIN_SECRET. Only DB 0's key is wrapped again; no data file is rewritten. A
crash at any point leaves exactly one of the two secrets working. A --dev directory's
dev-admin-secret holding the old secret is rewritten with the new one.

  herodb rekey --dir /var/lib/herodb --old-secret-file old.txt --new-secret-file new.txt
`

// rekeyCmd runs herodb rekey and returns the exit code.
func rekeyCmd(args []string) int {
	fs := flag.NewFlagSet("herodb rekey", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, rekeyUsage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "", "the data directory (its server stopped)")
	oldFile := fs.String("old-secret-file", "", "file holding the current admin secret (or env HERODB_ADMIN_SECRET)")
	newFile := fs.String("new-secret-file", "", "file holding the new admin secret (or env HERODB_NEW_ADMIN_SECRET)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *dir == "" {
		fmt.Fprintln(os.Stderr, "herodb: rekey wants --dir D and no arguments (see 'herodb rekey --help')")
		return 2
	}
	if err := rekey(*dir, *oldFile, *newFile); err != nil {
		fmt.Fprintf(os.Stderr, "herodb: %s\n", oneLine(err))
		return 1
	}
	fmt.Printf("admin secret of %s changed: start the server with the new one\n", *dir)
	return 0
}

func rekey(dir, oldFile, newFile string) error {
	devFile := filepath.Join(dir, "dev-admin-secret")
	var old []byte
	var err error
	if oldFile == "" && os.Getenv("HERODB_ADMIN_SECRET") == "" {
		// A --dev directory: its secret file is the old secret (finishing a change a
		// crash cut short first).
		if _, serr := os.Stat(devFile); serr == nil {
			old, err = admin.ResolveSecretFile(dir, devFile)
		}
	}
	if old == nil && err == nil {
		old, err = secretFrom(oldFile, "HERODB_ADMIN_SECRET", "old admin secret", "--old-secret-file")
	}
	if err != nil {
		return err
	}
	secret, err := secretFrom(newFile, "HERODB_NEW_ADMIN_SECRET", "new admin secret", "--new-secret-file")
	if err != nil {
		return err
	}
	r := admin.Rotation{Step: crashAt}
	if b, err := os.ReadFile(devFile); err == nil && strings.TrimSpace(string(b)) == string(old) {
		r.SecretFile = devFile
	}
	return admin.Rekey(dir, old, secret, r)
}

// secretFrom reads a secret from file (up to its line end) or from env var, exactly one.
func secretFrom(file, env, what, flagName string) ([]byte, error) {
	v := os.Getenv(env)
	switch {
	case file != "" && v != "":
		return nil, fmt.Errorf("%s given twice: use %s or %s, not both", what, flagName, env)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read %s file: %w", what, err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return nil, fmt.Errorf("%s file %s is empty", what, file)
		}
		return []byte(s), nil
	case v != "":
		return []byte(v), nil
	}
	return nil, fmt.Errorf("no %s: give %s FILE or set %s", what, flagName, env)
}
