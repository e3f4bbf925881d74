package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/storage"
)

const checkUsage = `herodb check --dir D [--admin-secret-file F] [--json]

Checks a stopped data directory, reading every file and writing none: bbolt's own
consistency check of each file, every sealed record authenticated, DB 0 against the
files (each database written to has its file, no file without a database, every wrapped
key unwraps) and against the log (no file older than DB 0 recorded, none ahead of the
log). The admin secret comes from --admin-secret-file or HERODB_ADMIN_SECRET, as for
serve. Exit 0: clean; 1: problems found, each naming its file; 2: the check could not
run (a running server holds the directory, a wrong secret, bad flags).

  herodb check --dir /var/lib/herodb --admin-secret-file /etc/herodb/admin-secret
`

// checkCmd is herodb check: the offline check of a data directory.
func checkCmd(args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f serveFlags
	var asJSON bool
	fs.StringVar(&f.dir, "dir", "", "the data directory")
	fs.StringVar(&f.secretFile, "admin-secret-file", "", "file holding the admin secret")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || f.dir == "" {
		fmt.Fprint(os.Stderr, checkUsage)
		return 2
	}
	secret, err := adminSecret(&f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "herodb check:", err)
		return 2
	}
	c, err := admin.CheckDir(f.dir, secret)
	switch {
	case errors.Is(err, storage.ErrDBInUse):
		fmt.Fprintf(os.Stderr, "herodb check: %s is locked by a running herodb server: stop it first, or check a database online with 'herodb db check ID'\n", f.dir)
		return 2
	case err != nil:
		fmt.Fprintln(os.Stderr, "herodb check:", admin.ErrorMessage(err))
		return 2
	}
	return printCheck(c, asJSON)
}

// printCheck prints a report and returns the exit code: 1 when it found problems.
func printCheck(c *admin.Check, asJSON bool) int {
	if asJSON {
		printJSON(c)
	} else {
		for _, r := range c.Files {
			status := "ok"
			if !r.OK() {
				status = fmt.Sprintf("%d problems", len(r.Problems))
			}
			if r.NoFile {
				status = "no file (never written to)"
			}
			fmt.Printf("%s\tdb %d\t%d keys\t%d records\t%s\n", r.Path, r.DB, r.Keys, r.Records, status)
		}
		for _, n := range c.Notes {
			fmt.Println("note:", n)
		}
		for _, p := range c.Problems {
			fmt.Println("PROBLEM:", p)
		}
	}
	if !c.OK {
		fmt.Fprintf(os.Stderr, "herodb check: %d problems found\n", len(c.Problems))
		return 1
	}
	if !asJSON {
		fmt.Printf("clean: %d files checked\n", len(c.Files))
	}
	return 0
}

// errCheckFailed makes 'herodb db check' exit 1 once the report is printed.
var errCheckFailed = errors.New("the check found problems")

func init() {
	dbCommands["check"] = subcommand{`herodb db check <db> [--json]

Checks one database on the running server: its registration, its key, and its file
walked in one read transaction (bbolt's consistency check, every sealed record
authenticated). Exit 1 when it finds a problem; each names the file.

  herodb db check app`, dbCheck}
	dbCommands["accept-file"] = subcommand{`herodb db accept-file <db> [--json]

Accepts the database's file as it is, after it was refused at open as an older copy than
the one herodb last wrote: for a copy put back on purpose. Every change made since the
copy was taken is lost.

  herodb db accept-file app`, dbAcceptFile}
}

func dbCheck(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, c, err := cf.start(fs, args, 1, "<db>")
	if err != nil {
		return err
	}
	var rep admin.Check
	if err := c.call("herodb_checkDatabase", []any{dbRef(pos[0])}, &rep); err != nil {
		return err
	}
	if printCheck(&rep, cf.json) != 0 {
		return errCheckFailed
	}
	return nil
}

func dbAcceptFile(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, c, err := cf.start(fs, args, 1, "<db>")
	if err != nil {
		return err
	}
	if err := c.call("herodb_acceptDatabaseFile", []any{dbRef(pos[0])}, nil); err != nil {
		return err
	}
	printDone(cf, map[string]any{"database": pos[0], "accepted": true}, "accepted the file of database %s as it is", pos[0])
	return nil
}
