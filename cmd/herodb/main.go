// Command herodb runs the server (herodb serve) and manages it (herodb db|key|…).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/seed6aa118f9/herodb/server"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run dispatches a subcommand and returns the exit code; os.Exit lives only in main.
func run(args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
			return versionCmd()
		}
		return serveCmd(args)
	}
	switch args[0] {
	case "serve":
		return serveCmd(args[1:])
	case "version":
		return versionCmd()
	case "db":
		return manage("db", dbCommands, args[1:])
	case "key":
		return manage("key", keyCommands, args[1:])
	case "jwt":
		return manage("jwt", jwtCommands, args[1:])
	case "token":
		return manage("token", tokenCommands, args[1:])
	case "admin":
		return manage("admin", adminCommands, args[1:])
	case "rekey":
		return rekeyCmd(args[1:])
	case "check":
		return checkCmd(args[1:])
	case "backup":
		return single(subcommand{backupUsage, backupCmd}, "backup", args[1:])
	case "restore":
		return single(subcommand{restoreUsage, restoreCmd}, "restore", args[1:])
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "herodb: unknown command %q\nhint: run 'herodb help'\n", args[0])
	return 2
}

func versionCmd() int {
	fmt.Println("herodb", server.Version)
	return 0
}

const usage = `herodb: a multi-tenant, encrypted Redis-protocol server

Usage:
  herodb serve [flags]     run the server (also: herodb --flags)
  herodb serve --dev       quick start: generated admin secret, public database "demo"
  herodb version           print the version
  herodb db <command>      create, list, info, delete databases; make them public; check one
  herodb check --dir D     check a stopped data directory (every file, record and key)
  herodb key <command>     add, list, delete access keys
  herodb token <command>   create, list, revoke, rotate named tokens
  herodb jwt <command>     keygen, mint: Ed25519 JWTs for people without an auth service
  herodb backup [flags]    stream a hot backup, age-encrypted, of one database or the node
  herodb restore [flags]   restore a backup: online into a new database, or a node offline
  herodb admin <command>   rotate-secret: change the admin secret of the running server
  herodb rekey --dir D     change the admin secret of a stopped data directory

Management commands talk to the JSON-RPC API: --rpc URL|socket (env HERODB_RPC,
default http://127.0.0.1:8080), credential from HERODB_TOKEN or HERODB_ADMIN_SECRET.

Run 'herodb serve --help' for the server's flags.
`
