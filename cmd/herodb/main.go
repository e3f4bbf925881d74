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

Run 'herodb serve --help' for the server's flags.
`
