package server

import (
	"flag"
	"os"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/commands.md from the command table")

// TestCommandsDoc fails when docs/commands.md drifts from the command table.
func TestCommandsDoc(t *testing.T) {
	want := CommandsMarkdown()
	const path = "../docs/commands.md"
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'make docs')", err)
	}
	if string(got) != want {
		t.Fatal("docs/commands.md is out of date with the command table: run 'make docs'")
	}
}

// TestCommandTable checks every row is complete: docs and dispatch read the same rows.
func TestCommandTable(t *testing.T) {
	for _, c := range sortedCommands() {
		rows := append([]*command{c}, sortedSubs(c)...)
		for _, r := range rows {
			if r.syntax == "" || r.summary == "" || r.arity == 0 {
				t.Errorf("%s: syntax, summary and arity are required", r.name)
			}
			if r.run == nil && r.subs == nil {
				t.Errorf("%s: no handler", r.name)
			}
			if r.is(flagRead) && r.is(flagWrite) {
				t.Errorf("%s: both read and write", r.name)
			}
		}
	}
}
