package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
)

func init() {
	dbCommands["rotate-key"] = subcommand{`herodb db rotate-key <db> [--rewrite [--wait]] [--json]

Adds a key term to the database: a new random data key that seals every new write; old
records stay readable under the term they name. With --rewrite every record is resealed
under the new term in the background (writes go on) and the older terms are destroyed
when nothing uses them; 'herodb db info' shows the progress, and --wait follows it here
until the rewrite ends.

  herodb db rotate-key app
  herodb db rotate-key app --rewrite --wait`, dbRotateKey}
}

// rotatePoll is how often --wait asks for the rewrite's progress.
var rotatePoll = 200 * time.Millisecond

func dbRotateKey(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	rewrite := fs.Bool("rewrite", false, "reseal every record under the new term, then destroy the older terms")
	wait := fs.Bool("wait", false, "with --rewrite: follow the rewrite until it ends")
	pos, c, err := cf.start(fs, args, 1, "<db>")
	if err != nil {
		return err
	}
	var st admin.KeyStatus
	if err := c.call("herodb_rotateDatabaseKey", []any{dbRef(pos[0]), *rewrite}, &st); err != nil {
		return err
	}
	if !*wait || !*rewrite {
		if cf.json {
			printJSON(st)
			return nil
		}
		fmt.Printf("database %s: key term %d seals new writes (terms %v)\n", pos[0], st.Term, st.Terms)
		if *rewrite {
			fmt.Printf("rewriting every record under term %d in the background: 'herodb db info %s' shows the progress\n", st.Term, pos[0])
		}
		return nil
	}
	tty := false
	if fi, err := os.Stderr.Stat(); err == nil {
		tty = fi.Mode()&os.ModeCharDevice != 0
	}
	for {
		var d admin.Info
		if err := c.call("herodb_getDatabaseInfo", []any{dbRef(pos[0])}, &d); err != nil {
			return err
		}
		if d.Encryption == nil || d.Encryption.Rewrite == nil {
			return errors.New("the server shows no rewrite of this database")
		}
		p := d.Encryption.Rewrite
		if tty {
			fmt.Fprintf(os.Stderr, "\rrewriting under term %d: pass %d, %d records resealed", p.Term, p.Pass, p.Resealed)
		}
		if !p.Running {
			if tty {
				fmt.Fprintln(os.Stderr)
			}
			if cf.json {
				printJSON(d.Encryption)
			}
			if p.Error != "" {
				return fmt.Errorf("the rewrite under term %d ended without destroying the older terms: %s", p.Term, p.Error)
			}
			if !cf.json {
				fmt.Printf("database %s: every record resealed under key term %d (%d records); the older terms are destroyed (terms %v)\n",
					pos[0], p.Term, p.Resealed, d.Encryption.Terms)
			}
			return nil
		}
		time.Sleep(rotatePoll)
	}
}

// printKeyStatus adds db info's rows of the database's key terms and its last rewrite.
func printKeyStatus(w io.Writer, st *admin.KeyStatus) {
	if st == nil {
		return
	}
	fmt.Fprintf(w, "key term\t%d (terms %v)\n", st.Term, st.Terms)
	if p := st.Rewrite; p != nil {
		state := "done"
		switch {
		case p.Running:
			state = "running"
		case p.Error != "":
			state = p.Error
		}
		fmt.Fprintf(w, "key rewrite\tterm %d: %s, pass %d, %d records resealed\n", p.Term, state, p.Pass, p.Resealed)
	}
}
