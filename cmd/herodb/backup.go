package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/seed6aa118f9/herodb/backup"
	"github.com/seed6aa118f9/herodb/rpc"
)

const backupUsage = `herodb backup --db <db>|--all --to FILE --recipient age1…

Streams a hot backup from the running server, encrypted with age to the recipient, into
FILE (which must not exist): one database, or with --all the whole node with DB 0. Writes
go on meanwhile; the backup holds every write acknowledged before it began. It restores
without the server's keys, so keep it as safe as the data. 'age -d -i key.txt FILE'
opens it. The backup streams over HTTP: --rpc must be an http(s):// URL.

  age-keygen -o backup-key.txt    # keep it offline; its public key is the recipient
  herodb backup --db app --to app.age --recipient age1…
  herodb backup --all --to node.age --recipient age1…`

const restoreUsage = `herodb restore --from FILE --identity key.txt [--name NEW] [--db ID]
herodb restore --from FILE --identity key.txt --dir EMPTY_DIR

Restores a backup. Online (no --dir): into a new database of the running server, with a
new id and key; the name is --name, or the backup's, and must be free (names are never
reused); --db picks one database of an --all backup. The database is private and has no
access keys: add them after. The last line printed is the new id and name.
Offline (--dir): a whole --all backup into an empty directory, with no server running
on it; keys and tokens come back as they were, under the same admin secret.

  herodb restore --from app.age --identity backup-key.txt --name app-restored
  herodb restore --from node.age --identity backup-key.txt --dir /var/lib/herodb-new`

// single runs a top-level command that is not a group (backup, restore) as manage runs a
// group's: its flags, its one-line error, its exit code.
func single(sc subcommand, name string, args []string) int {
	fs := flag.NewFlagSet("herodb "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: %s\n\nFlags:\n", sc.usage)
		fs.PrintDefaults()
	}
	cf := &clientFlags{}
	cf.register(fs)
	if err := sc.run(fs, cf, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "herodb: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	return 0
}

// streamURL is the URL of a streaming endpoint on the client's RPC.
func (c *client) streamURL(path string, q url.Values) (string, error) {
	if !strings.HasPrefix(c.target, "http://") && !strings.HasPrefix(c.target, "https://") {
		return "", errors.New("backups stream over HTTP, not the Unix socket: give --rpc http://host:port (the RPC's HTTP listener)")
	}
	u, err := url.Parse(c.target)
	if err != nil {
		return "", fmt.Errorf("--rpc %q is not a URL", c.target)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// stream posts body to a streaming endpoint; an answer other than 200 is returned as
// the error the server gave.
func (c *client) stream(path string, q url.Values, body io.Reader) (*http.Response, error) {
	u, err := c.streamURL(path, q)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.cred)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req) // with --cacert for an https:// RPC
	if err != nil {
		return nil, fmt.Errorf("cannot reach the RPC at %s: is herodb running with --enable-rpc? (%v)", c.target, unwrapURLErr(err))
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	var r struct {
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(raw, &r) != nil || r.Error == nil {
		return nil, fmt.Errorf("the server answered HTTP %d", resp.StatusCode)
	}
	return nil, errors.New(r.Error.Message)
}

func backupCmd(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	db := fs.String("db", "", "the database to back up (id or name)")
	all := fs.Bool("all", false, "back up the whole node: DB 0 and every database")
	to := fs.String("to", "", "the file to write (must not exist)")
	recipient := fs.String("recipient", "", "the age recipient (age1…) the backup is encrypted to")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, ""); err != nil {
		return err
	}
	q := url.Values{}
	switch {
	case *all && *db == "":
		q.Set("all", "true")
	case !*all && *db != "":
		q.Set("db", *db)
	default:
		return errors.New("give --db <db> or --all")
	}
	if *to == "" {
		return errors.New("give --to FILE")
	}
	if _, err := age.ParseX25519Recipient(*recipient); err != nil {
		return errors.New("--recipient: want an age X25519 recipient (age1…), the public key of age-keygen")
	}
	q.Set("recipient", *recipient)
	if _, err := os.Lstat(*to); err == nil {
		return fmt.Errorf("%s exists: a backup never overwrites a file", *to)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	resp, err := c.stream(rpc.BackupPath, q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Written beside the target and renamed onto it once whole: FILE is never a cut backup.
	f, err := os.CreateTemp(filepath.Dir(*to), "."+filepath.Base(*to)+".partial-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	p := newProgress("backup", 0)
	n, err := io.Copy(f, io.TeeReader(resp.Body, p))
	p.done()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("the backup stream broke off after %d bytes (%v); nothing was written to %s", n, err, *to)
	}
	if err := os.Link(tmp, *to); err != nil { // a link, not a rename: it fails if FILE appeared meanwhile
		return err
	}
	fmt.Printf("wrote %s (%d bytes)\n", *to, n)
	return nil
}

func restoreCmd(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	from := fs.String("from", "", "the backup file")
	identity := fs.String("identity", "", "the age identity file (age-keygen's) that opens it")
	name := fs.String("name", "", "the new database's name (default: the backup's)")
	db := fs.Uint64("db", 0, "the id of the database to restore from an --all backup")
	dir := fs.String("dir", "", "restore a whole --all backup offline into this empty directory")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, ""); err != nil {
		return err
	}
	if *from == "" || *identity == "" {
		return errors.New("give --from FILE and --identity key.txt")
	}
	if *dir != "" && (*name != "" || *db != 0) {
		return errors.New("--dir restores the whole node: --name and --db restore one database online")
	}
	ids, err := readIdentities(*identity)
	if err != nil {
		return err
	}
	f, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer f.Close()
	size := int64(0)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	p := newProgress("restore", size)
	defer p.done()
	ar, err := age.Decrypt(io.TeeReader(f, p), ids...)
	if err != nil {
		return decryptError(*from, *identity, err)
	}
	if *dir != "" {
		res, err := backup.RestoreNode(ar, *dir)
		if err != nil {
			return restoreError(*from, err)
		}
		p.done()
		for _, id := range res.Deleted {
			fmt.Printf("database %d: deleted while the backup was taken; DB 0's copy still lists it: it is deleted at the first start\n", id)
		}
		for _, id := range res.Dropped {
			fmt.Printf("database %d: created while the backup was taken, after DB 0 was copied: left out\n", id)
		}
		fmt.Printf("restored DB 0 and %d databases into %s; start herodb on it with the same admin secret\n", res.Databases, *dir)
		return nil
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	q := url.Values{}
	if *name != "" {
		q.Set("name", *name)
	}
	if *db != 0 {
		q.Set("db", fmt.Sprint(*db))
	}
	// The plaintext goes to the server as it is decrypted; a decryption that fails breaks
	// the request off, and the server, which restores only a stream that ended, makes
	// nothing.
	pr, pw := io.Pipe()
	decErr := make(chan error, 1)
	go func() {
		_, err := io.Copy(pw, ar)
		decErr <- err
		pw.CloseWithError(err)
	}()
	resp, err := c.stream(rpc.RestorePath, q, pr)
	pr.CloseWithError(errRequestDone)
	if derr := <-decErr; derr != nil && !errors.Is(derr, errRequestDone) {
		return restoreError(*from, derr)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var res backup.Restored
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res); err != nil {
		return fmt.Errorf("the server's answer to the restore is not what herodb sends: %v", err)
	}
	p.done()
	fmt.Printf("restored %d keys into a new database, private and without access keys (add them with 'herodb key add %d')\n", res.Keys, res.ID)
	if res.Name == "" {
		fmt.Println(res.ID)
	} else {
		fmt.Println(res.ID, res.Name)
	}
	return nil
}

// errRequestDone ends the decryption of a restore the server has answered.
var errRequestDone = errors.New("the server answered")

func readIdentities(path string) ([]age.Identity, error) {
	kf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--identity: %v", err)
	}
	defer kf.Close()
	ids, err := age.ParseIdentities(kf)
	if err != nil {
		return nil, fmt.Errorf("--identity %s holds no age identity (AGE-SECRET-KEY-1…)", path)
	}
	return ids, nil
}

// decryptError explains an age header that does not open.
func decryptError(from, identity string, err error) error {
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		return fmt.Errorf("%s was not encrypted to the identity in %s: use the key whose recipient the backup was made for", from, identity)
	}
	return fmt.Errorf("%s is not an age-encrypted herodb backup, or its header is damaged", from)
}

// restoreError explains a backup refused while it was read: age's errors (a damaged or
// cut file) and the backup format's, with nothing restored.
func restoreError(from string, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, backup.ErrInvalid):
	default: // age: a chunk that does not authenticate, the last one missing
		msg = "it is damaged or cut short (" + msg + ")"
	}
	return fmt.Errorf("%s refused, nothing restored: %s", from, msg)
}

// progress prints a progress line on stderr while bytes pass through it, only when
// stderr is a terminal; total 0 means unknown.
type progress struct {
	what  string
	total int64
	n     int64
	tty   bool
	last  time.Time
	shown bool
}

func newProgress(what string, total int64) *progress {
	st, err := os.Stderr.Stat()
	return &progress{what: what, total: total, tty: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.tty && time.Since(p.last) > 200*time.Millisecond {
		p.last = time.Now()
		p.print()
	}
	return len(b), nil
}

func (p *progress) print() {
	p.shown = true
	if p.total > 0 {
		pct := int(100 * p.n / p.total)
		bar := strings.Repeat("#", pct/5) + strings.Repeat(".", 20-pct/5)
		fmt.Fprintf(os.Stderr, "\r%s [%s] %3d%% %s", p.what, bar, pct, mib(p.n))
		return
	}
	fmt.Fprintf(os.Stderr, "\r%s %s", p.what, mib(p.n))
}

// done ends the progress line; it may be called more than once.
func (p *progress) done() {
	if p.tty && p.shown {
		p.print()
		fmt.Fprintln(os.Stderr)
		p.shown = false
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
