package server_test

import (
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestClientListTenant: a tenant's CLIENT LIST shows the connections on its own
// database and itself, never another tenant's; the admin sees all; TYPE and ID filter as
// Redis's do. RQ's workers list their connections at start and stop if it fails.
func TestClientListTenant(t *testing.T) {
	t.Parallel()
	e := tkSetup(t, herodbtest.Options{})
	mine, peer, other := tDial(t, e.srv.Addr()), tDial(t, e.srv.Addr()), tDial(t, e.srv.Addr())
	tDo(t, mine, tOK, "SELECT", "ci", "KEY", e.adminS)
	tDo(t, mine, tOK, "CLIENT", "SETNAME", "mine")
	tDo(t, peer, tOK, "SELECT", "ci", "KEY", e.adminS)
	tDo(t, peer, tOK, "CLIENT", "SETNAME", "peer")
	tDo(t, other, tOK, "SELECT", "other", "KEY", e.adminS)
	tDo(t, other, tOK, "CLIENT", "SETNAME", "stranger")

	// A tenant connection: its database's access key, not the admin secret.
	_, ak := e.token(t, "ci-rw", tkScope("ci", "read,write"), nil)
	tenant := tDial(t, e.srv.Addr())
	tDo(t, tenant, tOK, "AUTH", ak)
	tDo(t, tenant, tOK, "CLIENT", "SETNAME", "tenant")
	list := tenant.do("CLIENT", "LIST")
	for _, want := range []string{"name=mine ", "name=peer ", "name=tenant "} {
		if !strings.Contains(list, want) {
			t.Errorf("tenant's CLIENT LIST lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "stranger") {
		t.Errorf("tenant's CLIENT LIST shows another database's connection:\n%s", list)
	}
	if got := tenant.do("CLIENT", "LIST", "TYPE", "pubsub"); got != "$0\r\n\r\n" {
		t.Errorf("TYPE pubsub with no subscriber: %q", got)
	}
	if got := tenant.do("CLIENT", "LIST", "TYPE", "master"); got != "$0\r\n\r\n" {
		t.Errorf("TYPE master: %q", got)
	}
	tDo(t, tenant, tErr("ERR Unknown client type 'bogus'"), "CLIENT", "LIST", "TYPE", "bogus")
	tDo(t, tenant, tErr("ERR Invalid client ID"), "CLIENT", "LIST", "ID", "x")
	tDo(t, tenant, tErr("ERR syntax error"), "CLIENT", "LIST", "NOPE")
	// ID of another tenant's connection: nothing.
	sid := strings.TrimPrefix(strings.Fields(strings.TrimPrefix(other.do("CLIENT", "INFO"), "$"))[1], "id=")
	if got := tenant.do("CLIENT", "LIST", "ID", sid); strings.Contains(got, "stranger") {
		t.Errorf("CLIENT LIST ID of another tenant's connection: %q", got)
	}

	// Not selected: only itself.
	lone := tDial(t, e.srv.Addr())
	tDo(t, lone, tOK, "AUTH", "default", e.adminS)
	adminList := lone.do("CLIENT", "LIST")
	for _, want := range []string{"name=mine ", "name=stranger ", "name=tenant "} {
		if !strings.Contains(adminList, want) {
			t.Errorf("admin's CLIENT LIST lacks %q", want)
		}
	}
	nobody := tDial(t, e.srv.Addr())
	tDo(t, nobody, "-"+tNoAuth, "CLIENT", "LIST")
}
