package server_test

import (
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestBlockedClientsInInfo: the admin's INFO counts the clients waiting in a blocking
// command; a tenant's INFO does not show the node-wide number.
func TestBlockedClientsInInfo(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	waiter := tSelected(t, srv.Addr(), db)
	waiter.send("BLPOP", "q", "0")
	adm := tDial(t, srv.Addr())
	tDo(t, adm, "+OK\r\n", "AUTH", herodbtest.AdminSecret)
	tEventually(t, "blocked_clients:1 in the admin's INFO", func() bool {
		return strings.Contains(adm.do("INFO", "clients"), "blocked_clients:1\r\n")
	})
	tenant := tSelected(t, srv.Addr(), db)
	if got := tenant.do("INFO", "clients"); strings.Contains(got, "blocked_clients") {
		t.Errorf("a tenant's INFO shows the node's blocked clients: %q", got)
	}
	tDo(t, tenant, ":1\r\n", "LPUSH", "q", "job")
	rep, err := waiter.readReply()
	if err != nil || !strings.Contains(string(rep.raw), "job") {
		t.Fatalf("BLPOP after LPUSH: %q, %v", rep.raw, err)
	}
	tEventually(t, "blocked_clients:0", func() bool {
		return strings.Contains(adm.do("INFO", "clients"), "blocked_clients:0\r\n")
	})
}
