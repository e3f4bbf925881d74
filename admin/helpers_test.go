package admin

// Helpers shared by the admin tests: opening an admin on a temporary directory, the
// manual clock's starting time, an Ed25519 key, and the admin grant.

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// clockStart is where every test's manual clock starts.
var clockStart = time.Unix(1_700_000_000, 0)

// newClock is a manual clock at clockStart.
func newClock() *storage.ManualClock { return storage.NewManualClock(clockStart) }

// openAdmin opens an admin with cfg, on a new temporary directory when cfg.Dir is empty
// and with the cheap test KDF, and fails the test when it cannot. Closing is the caller's.
func openAdmin(t testing.TB, cfg Config) *Admin {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.KDF = crypto.TestKDF
	a, err := Open(cfg)
	if err != nil {
		t.Fatalf("open admin: %v", err)
	}
	return a
}

// adminGrant is the grant of the admin secret.
var adminGrant = &Grant{Kind: "admin", Admin: true}

func newEdKey(t testing.TB) (ed25519.PrivateKey, []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv, crypto.MarshalPublicKeyPEM(pub)
}
