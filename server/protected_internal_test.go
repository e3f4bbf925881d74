package server

import "testing"

// TestProtectedDecision: public databases are withheld exactly from clients beyond
// loopback of a server listening beyond loopback, with protected mode on.
func TestProtectedDecision(t *testing.T) {
	for _, tc := range []struct {
		on           bool
		bind, client string
		refused      bool
	}{
		{true, "0.0.0.0", "192.0.2.7:5000", true},
		{true, "0.0.0.0", "127.0.0.1:5000", false},
		{true, "0.0.0.0", "127.8.9.10:5000", false}, // all of 127.0.0.0/8 is loopback
		{true, "::", "[2001:db8::1]:5000", true},
		{true, "::", "[::1]:5000", false},
		{true, "::", "[::ffff:127.0.0.1]:5000", false},
		{true, "::", "[::ffff:192.0.2.7]:5000", true},
		{true, "::", "[fe80::1%eth0]:5000", true},
		{true, "", "192.0.2.7:5000", true}, // an empty bind listens everywhere
		{true, "192.0.2.1", "192.0.2.7:5000", true},
		{true, "db.example.net", "192.0.2.7:5000", true}, // a name may resolve anywhere
		{true, "0.0.0.0", "not an address", true},        // unreadable: not loopback
		{true, "127.0.0.1", "192.0.2.7:5000", false},     // listening on loopback only
		{true, "::1", "192.0.2.7:5000", false},
		{true, "localhost", "192.0.2.7:5000", false},
		{false, "0.0.0.0", "192.0.2.7:5000", false}, // --protected-mode no
	} {
		if got := protectedRefuses(tc.on, tc.bind, tc.client); got != tc.refused {
			t.Errorf("protectedRefuses(%v, %q, %q) = %v; want %v", tc.on, tc.bind, tc.client, got, tc.refused)
		}
	}
}
