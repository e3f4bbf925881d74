package server_test

import (
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestSortPatternsStayInTheirDatabase: SORT's BY and GET patterns read keys of the
// selected database only: the same names in another tenant's database are not seen.
func TestSortPatternsStayInTheirDatabase(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{})
	b := srv.CreateDatabase(t, "other-tenant", true)
	cb := tSelected(t, srv.Addr(), b)
	tDo(t, cb, "+OK\r\n", "MSET", "w_x", "secret-b", "w_y", "secret-b2")
	ca := tSelected(t, srv.Addr(), a)
	tDo(t, ca, ":2\r\n", "RPUSH", "l", "x", "y")
	tDo(t, ca, "*2\r\n$-1\r\n$-1\r\n", "SORT", "l", "BY", "w_*", "GET", "w_*", "ALPHA")
	tDo(t, ca, "+OK\r\n", "SET", "w_x", "mine")
	tDo(t, ca, "*2\r\n$-1\r\n$4\r\nmine\r\n", "SORT", "l", "BY", "w_*", "GET", "w_*", "ALPHA")
}
