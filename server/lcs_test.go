package server_test

import (
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestLCSTableBound: an LCS whose table would pass 64 MiB is refused with an error (one
// tenant's call must not take the node's memory); one just under it answers.
func TestLCSTableBound(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	big := strings.Repeat("ab", 2500) // 5,000 bytes: 5001² × 4 bytes ≈ 100 MB
	tDo(t, c, "+OK\r\n", "MSET", "a", big, "b", big)
	tDo(t, c, tErr("ERR Insufficient memory, transient memory for LCS exceeds 64 MiB"), "LCS", "a", "b")
	fits := strings.Repeat("ab", 2000) // 4,000 bytes: 4001² × 4 bytes ≈ 64.0 MB, under 64 MiB
	tDo(t, c, "+OK\r\n", "SET", "c", fits)
	tDo(t, c, tInt(4000), "LCS", "c", "c", "LEN")
}
