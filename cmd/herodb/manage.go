package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
)

// subcommand is one management command: its usage with examples, and its body.
type subcommand struct {
	usage string
	run   func(fs *flag.FlagSet, cf *clientFlags, args []string) error
}

var dbCommands = map[string]subcommand{
	"create": {`herodb db create [--name N] [--public|--public-read] [--max-size BYTES] [--encryption-key-file F] [--json]

Creates a database (private unless --public) and prints its id.

  herodb db create --name app
  herodb db create --name shared --public-read --max-size 1073741824`, dbCreate},
	"list": {`herodb db list [--limit N] [--json]

Lists the live databases in id order, fetching and printing them --limit at a time (so a
node with a million databases lists without holding them all). KEYS is "-" for a database
whose file is not open: listing opens no file ('herodb db info' opens it and counts).

  herodb db list
  herodb db list --limit 1000 --json`, dbList},
	"info": {`herodb db info <db> [--json]

Describes one database; <db> is an id or a name.

  herodb db info app`, dbInfo},
	"delete": {`herodb db delete <db> [--json]

Destroys the database's key, then its file. Its id and name are never reused.`, dbDelete},
	"public": {`herodb db public <db> on|off|read [--json]

Opens the database to anyone (on: read-write, read: read-only) or closes it (off).

  herodb db public app read`, dbPublic},
}

var keyCommands = map[string]subcommand{
	"add": {`herodb key add <db> [--read] [--key-file F] [--json]

Adds an access key (read-write unless --read). Without --key-file a key is generated and
printed once: store it now, herodb keeps only its hash.

  herodb key add app
  herodb key add app --read --key-file ./reader.key`, keyAdd},
	"list": {`herodb key list <db> [--json]

Lists a database's access keys: hash, permissions, created. Never a key.`, keyList},
	"delete": {`herodb key delete <db> <hash> [--json]

Removes an access key by its hash (from 'herodb key list').`, keyDelete},
}

// manage runs "herodb db …" or "herodb key …".
func manage(group string, cmds map[string]subcommand, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Printf("Usage: herodb %s <command>\n\n", group)
		for _, name := range sortedKeys(cmds) {
			fmt.Println(strings.SplitN(cmds[name].usage, "\n", 2)[0])
		}
		return 0
	}
	sc, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "herodb: unknown command 'herodb %s %s' (see 'herodb %s help')\n", group, args[0], group)
		return 2
	}
	fs := flag.NewFlagSet("herodb "+group+" "+args[0], flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: %s\n\nFlags:\n", sc.usage)
		fs.PrintDefaults()
	}
	cf := &clientFlags{}
	cf.register(fs)
	if err := sc.run(fs, cf, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "herodb: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	return 0
}

func sortedKeys(m map[string]subcommand) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// start parses a management command's flags and its n positional arguments, and
// connects to the RPC.
func (cf *clientFlags) start(fs *flag.FlagSet, args []string, n int, what string) ([]string, *client, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if err := wantArgs(pos, n, what); err != nil {
		return nil, nil, err
	}
	c, err := cf.client()
	return pos, c, err
}

func wantArgs(args []string, n int, what string) error {
	if len(args) != n {
		return fmt.Errorf("want %s (see --help)", what)
	}
	return nil
}

func dbCreate(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	name := fs.String("name", "", "database name: ^[a-z][a-z0-9_-]{0,62}$")
	public := fs.Bool("public", false, "open to anyone, read-write")
	publicRead := fs.Bool("public-read", false, "open to anyone, read-only")
	maxSize := fs.Int64("max-size", 0, "cap on the file's size in bytes (0: none)")
	keyFile := fs.String("encryption-key-file", "", "file with a key mixed into the database key (kept only wrapped)")
	count := fs.Int("count", 1, "create this many unnamed databases in one call (createDatabases, at most 10000); prints their ids")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments besides flags"); err != nil {
		return err
	}
	if *public && *publicRead {
		return errors.New("give --public or --public-read, not both")
	}
	if *count != 1 {
		if *name != "" || *keyFile != "" {
			return errors.New("--count makes unnamed databases without an encryption key: drop --name and --encryption-key-file")
		}
		return dbCreateMany(cf, *count, *maxSize, *public, *publicRead)
	}
	cfg := map[string]any{"name": nil, "storage_path": nil, "max_size": nil, "redis_version": nil, "public": admin.PublicJSON(admin.AccessNone)}
	if *name != "" {
		cfg["name"] = *name
	}
	if *maxSize > 0 {
		cfg["max_size"] = *maxSize
	}
	if *public {
		cfg["public"] = admin.PublicJSON(admin.AccessReadWrite)
	} else if *publicRead {
		cfg["public"] = admin.PublicJSON(admin.AccessRead)
	}
	var encKey any
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("read encryption key file: %w", err)
		}
		encKey = strings.TrimRight(string(b), "\r\n")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var id uint64
	if err := c.call("herodb_createDatabase", []any{"bbolt", cfg, encKey}, &id); err != nil {
		return err
	}
	if cf.json {
		printJSON(map[string]any{"id": id})
	} else {
		fmt.Println(id)
	}
	return nil
}

// dbCreateMany is db create --count: createDatabases, the ids one per line.
func dbCreateMany(cf *clientFlags, count int, maxSize int64, public, publicRead bool) error {
	opts := map[string]any{"public": admin.PublicJSON(admin.AccessNone)}
	if maxSize > 0 {
		opts["max_size"] = maxSize
	}
	if public {
		opts["public"] = admin.PublicJSON(admin.AccessReadWrite)
	} else if publicRead {
		opts["public"] = admin.PublicJSON(admin.AccessRead)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var ids []uint64
	if err := c.call("herodb_createDatabases", []any{count, opts}, &ids); err != nil {
		return err
	}
	if cf.json {
		printJSON(map[string]any{"ids": ids})
		return nil
	}
	for _, id := range ids {
		fmt.Println(id)
	}
	return nil
}

// publicText is the public flag as getDatabaseInfo shows it (true, false or "read"), in words.
func publicText(v any) string {
	b, _ := json.Marshal(v)
	p, _ := admin.ParsePublicJSON(b)
	return p.PublicLabel()
}

func when(ts int64) string {
	if ts == 0 {
		return "-"
	}
	return time.Unix(ts, 0).UTC().Format("2006-01-02 15:04")
}

// dbList pages through listDatabases, printing each page as it comes, so a node with a
// million databases is listed without holding them all.
func dbList(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	limit := fs.Int("limit", 100, "databases fetched per request, 1 to 1000 (the list is printed page by page)")
	_, c, err := cf.start(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	if *limit < 1 || *limit > 1000 {
		return fmt.Errorf("--limit %d: want 1 to 1000", *limit)
	}
	out := bufio.NewWriter(os.Stdout)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if cf.json {
		out.WriteString("[")
	} else {
		fmt.Fprintln(tw, "ID\tNAME\tPUBLIC\tKEYS\tSIZE\tMAX SIZE\tCREATED")
	}
	var cursor any // nil: from the start
	n := 0
	for {
		var page struct {
			Databases []json.RawMessage `json:"databases"`
			Cursor    *uint64           `json:"cursor"`
		}
		if err := c.call("herodb_listDatabases", map[string]any{"cursor": cursor, "limit": *limit}, &page); err != nil {
			return err
		}
		for _, raw := range page.Databases {
			if cf.json {
				if n > 0 {
					out.WriteString(",")
				}
				out.WriteString("\n  ")
				var b bytes.Buffer
				if err := json.Indent(&b, raw, "  ", "  "); err != nil {
					return err
				}
				b.WriteTo(out)
			} else {
				var d admin.Listed
				if err := json.Unmarshal(raw, &d); err != nil {
					return err
				}
				public := publicText(d.Public)
				if d.Unusable != "" {
					public = "UNUSABLE" // its registration failed its integrity check: db info says why
				}
				keys := "-" // its file is not open: listing does not open it (db info does)
				if d.KeyCount != nil {
					keys = strconv.FormatInt(*d.KeyCount, 10)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", d.ID, nameOf(d.Name), public, keys, d.SizeOnDisk, d.MaxSize, when(d.CreatedAt))
			}
			n++
		}
		if !cf.json {
			tw.Flush() // each page aligned on its own: nothing is held across pages
		}
		if err := out.Flush(); err != nil {
			return err
		}
		if page.Cursor == nil {
			break
		}
		cursor = *page.Cursor
	}
	if cf.json {
		if n > 0 {
			out.WriteString("\n")
		}
		out.WriteString("]\n")
	}
	return out.Flush()
}

func nameOf(name *string) string {
	if name == nil {
		return "-"
	}
	return orDash(*name)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func dbInfo(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, c, err := cf.start(fs, args, 1, "<db>")
	if err != nil {
		return err
	}
	var d admin.Info
	if err := c.call("herodb_getDatabaseInfo", []any{dbRef(pos[0])}, &d); err != nil {
		return err
	}
	if cf.json {
		printJSON(d)
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	if d.Unusable != "" {
		fmt.Fprintf(tw, "unusable\t%s\n", d.Unusable)
	}
	for _, row := range [][2]string{
		{"id", strconv.FormatUint(d.ID, 10)}, {"name", nameOf(d.Name)}, {"backend", d.Backend},
		{"encrypted", strconv.FormatBool(d.Encrypted)}, {"public", publicText(d.Public)},
		{"keys", strconv.FormatInt(d.KeyCount, 10)}, {"size on disk", strconv.FormatInt(d.SizeOnDisk, 10)},
		{"max size", strconv.FormatInt(d.MaxSize, 10)}, {"created", when(d.CreatedAt)}, {"last access", when(d.LastAccess)},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	printKeyStatus(tw, d.Encryption) // rotate_key.go
	return tw.Flush()
}

func dbDelete(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, c, err := cf.start(fs, args, 1, "<db>")
	if err != nil {
		return err
	}
	if err := c.call("herodb_deleteDatabase", []any{dbRef(pos[0])}, nil); err != nil {
		return err
	}
	printDone(cf, map[string]any{"database": pos[0], "deleted": true}, "deleted database %s", pos[0])
	return nil
}

func dbPublic(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 2, "<db> on|off|read"); err != nil {
		return err
	}
	var p admin.Access
	switch pos[1] {
	case "on", "true":
		p = admin.AccessReadWrite
	case "off", "false":
		p = admin.AccessNone
	case "read":
		p = admin.AccessRead
	default:
		return fmt.Errorf("want on, off or read, not %q", pos[1])
	}
	v := admin.PublicJSON(p)
	c, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.call("herodb_setDatabasePublic", []any{dbRef(pos[0]), v}, nil); err != nil {
		return err
	}
	printDone(cf, map[string]any{"database": pos[0], "public": v}, "database %s is now %s", pos[0], publicText(v))
	return nil
}

func keyAdd(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	read := fs.Bool("read", false, "read-only (default: read-write)")
	keyFile := fs.String("key-file", "", "file holding the key (default: generate one and print it once)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "<db>"); err != nil {
		return err
	}
	key, generated := "", false
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("read key file: %w", err)
		}
		key = strings.TrimRight(string(b), "\r\n")
	} else {
		key, generated = "hdbk_"+hex.EncodeToString(crypto.Random(24)), true
	}
	perm := admin.AccessReadWrite.String()
	if *read {
		perm = admin.AccessRead.String()
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.call("herodb_addAccessKey", []any{dbRef(pos[0]), key, perm}, nil); err != nil {
		return err
	}
	hash := crypto.SHA256Hex([]byte(key))
	switch {
	case cf.json && generated:
		printJSON(map[string]any{"key": key, "hash": hash, "permissions": perm})
	case cf.json:
		printJSON(map[string]any{"hash": hash, "permissions": perm})
	case generated:
		// The key alone on stdout, so KEY=$(herodb key add app) captures exactly it.
		fmt.Println(key)
		fmt.Fprintf(os.Stderr, "This key is shown once: herodb keeps only its hash (%s).\n", hash)
	default:
		fmt.Printf("added key %s (%s)\n", hash, perm)
	}
	return nil
}

func keyList(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, c, err := cf.start(fs, args, 1, "<db>")
	if err != nil {
		return err
	}
	var keys []struct {
		Hash        string `json:"hash"`
		Permissions string `json:"permissions"`
		CreatedAt   int64  `json:"created_at"`
	}
	if err := c.call("herodb_listAccessKeys", []any{dbRef(pos[0])}, &keys); err != nil {
		return err
	}
	if cf.json {
		printJSON(keys)
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HASH\tPERMISSIONS\tCREATED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Hash, k.Permissions, when(k.CreatedAt))
	}
	return tw.Flush()
}

func keyDelete(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	pos, c, err := cf.start(fs, args, 2, "<db> <hash>")
	if err != nil {
		return err
	}
	if err := c.call("herodb_deleteAccessKey", []any{dbRef(pos[0]), pos[1]}, nil); err != nil {
		return err
	}
	printDone(cf, map[string]any{"database": pos[0], "hash": pos[1], "deleted": true}, "deleted key %s", pos[1])
	return nil
}
