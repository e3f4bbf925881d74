package rpc

import (
	"flag"
	"os"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/rpc.md from the method table")

// TestRPCDoc fails when docs/rpc.md drifts from the method table.
func TestRPCDoc(t *testing.T) {
	want := Markdown()
	const path = "../docs/rpc.md"
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
		t.Fatal("docs/rpc.md is out of date with the method table: run 'make docs'")
	}
}
