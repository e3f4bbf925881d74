package crypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func testEdKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
func TestThumbprint_RFC8037Example(t *testing.T) {
	x, err := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if err != nil || len(x) != ed25519.PublicKeySize {
		t.Fatalf("decode example key: %v (%d bytes)", err, len(x))
	}
	if got, want := Thumbprint(ed25519.PublicKey(x)), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; got != want {
		t.Fatalf("thumbprint = %q, want %q", got, want)
	}
	// The same key read as a base64url line carries the same id.
	keys, err := ParsePublicKeys([]byte("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\n"))
	if err != nil || len(keys) != 1 || keys[0].ID != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Fatalf("ParsePublicKeys: %v, %+v", err, keys)
	}
}

func TestParsePublicKeys_Accepted(t *testing.T) {
	pubA, _ := testEdKey(t)
	pubB, _ := testEdKey(t)
	pemA, pemB := MarshalPublicKeyPEM(pubA), MarshalPublicKeyPEM(pubB)
	rawA := base64.RawURLEncoding.EncodeToString(pubA)
	rawB := base64.RawURLEncoding.EncodeToString(pubB)
	padA := base64.URLEncoding.EncodeToString(pubA) // with "=" padding
	crlf := strings.ReplaceAll(string(pemA), "\n", "\r\n")

	cases := []struct {
		name string
		text string
		want []ed25519.PublicKey
	}{
		{"one PEM block", string(pemA), []ed25519.PublicKey{pubA}},
		{"two PEM blocks", string(pemA) + string(pemB), []ed25519.PublicKey{pubA, pubB}},
		{"two PEM blocks with blank lines", "\n\n" + string(pemA) + "\n\n" + string(pemB) + "\n\n", []ed25519.PublicKey{pubA, pubB}},
		{"PEM with CRLF", crlf, []ed25519.PublicKey{pubA}},
		{"raw base64url", rawA, []ed25519.PublicKey{pubA}},
		{"raw base64url with newline", rawA + "\n", []ed25519.PublicKey{pubA}},
		{"raw base64url padded", padA, []ed25519.PublicKey{pubA}},
		{"two raw lines", rawA + "\n" + rawB + "\n", []ed25519.PublicKey{pubA, pubB}},
		{"raw lines with blanks and spaces", "\n  " + rawA + "  \n\n\t" + rawB + "\r\n", []ed25519.PublicKey{pubA, pubB}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParsePublicKeys([]byte(tc.text))
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if len(keys) != len(tc.want) {
				t.Fatalf("got %d keys, want %d", len(keys), len(tc.want))
			}
			for i, k := range keys {
				if !bytes.Equal(k.Key, tc.want[i]) {
					t.Errorf("key %d differs", i)
				}
				if k.ID != Thumbprint(tc.want[i]) {
					t.Errorf("key %d id %q, want its thumbprint %q", i, k.ID, Thumbprint(tc.want[i]))
				}
			}
		})
	}
}

func TestParsePublicKeys_Refused(t *testing.T) {
	pub, priv := testEdKey(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})
	privPEM := MarshalPrivateKeyPEM(priv)
	rawPriv := base64.RawURLEncoding.EncodeToString(priv) // 64 bytes: seed || public
	rawPub := base64.RawURLEncoding.EncodeToString(pub)

	cases := []struct {
		name    string
		text    string
		private bool // want ErrPrivateKey
	}{
		{"PRIVATE KEY block", string(privPEM), true},
		{"PRIVATE KEY after a PUBLIC KEY", string(MarshalPublicKeyPEM(pub)) + string(privPEM), true},
		{"OPENSSH PRIVATE KEY block", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", true},
		{"raw 64-byte private key", rawPriv, true},
		{"empty", "", false},
		{"blank lines", "\n \n\t\n", false},
		{"garbage line", "not a key at all", false},
		{"short raw key", rawPub[:20], false},
		{"standard base64 alphabet", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), false},
		{"ECDSA public key", string(ecPEM), false},
		{"certificate block", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", false},
		{"PUBLIC KEY with bad DER", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", false},
		{"PEM then junk", string(MarshalPublicKeyPEM(pub)) + "trailing junk\n", false},
		{"PEM then a raw line", string(MarshalPublicKeyPEM(pub)) + rawPub + "\n", false},
		{"truncated PEM", string(MarshalPublicKeyPEM(pub))[:40], false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParsePublicKeys([]byte(tc.text))
			if err == nil {
				t.Fatalf("accepted: %d keys", len(keys))
			}
			if got := errors.Is(err, ErrPrivateKey); got != tc.private {
				t.Fatalf("errors.Is(err, ErrPrivateKey) = %v, want %v (err: %v)", got, tc.private, err)
			}
			// Errors never echo the key text.
			if len(tc.text) > 8 && strings.Contains(err.Error(), strings.TrimSpace(tc.text)) {
				t.Errorf("error contains the input: %v", err)
			}
			if strings.Contains(err.Error(), rawPriv) || strings.Contains(err.Error(), string(privPEM)) {
				t.Errorf("error contains private key material: %v", err)
			}
		})
	}
}

func TestPrivateKeyPEM_RoundTrip(t *testing.T) {
	pub, priv := testEdKey(t)
	got, err := ParsePrivateKeyPEM(MarshalPrivateKeyPEM(priv))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(priv) || !bytes.Equal(got.Public().(ed25519.PublicKey), pub) {
		t.Fatal("private key changed in the round trip")
	}
	if _, err := ParsePrivateKeyPEM(MarshalPublicKeyPEM(pub)); err == nil {
		t.Error("a PUBLIC KEY was accepted as a private key")
	}
	if _, err := ParsePrivateKeyPEM([]byte("garbage")); err == nil {
		t.Error("garbage accepted as a private key")
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	if _, err := ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err == nil {
		t.Error("an ECDSA private key was accepted")
	}
}

// Keys made by openssl, as in the sqld guide, read as herodb reads them; herodb's own
// PEM output reads back in openssl.
func TestOpenSSLKeys(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not on PATH")
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	privPath, pubPath := filepath.Join(dir, "k.pem"), filepath.Join(dir, "k.pub")
	run("genpkey", "-algorithm", "ed25519", "-out", privPath)
	run("pkey", "-in", privPath, "-pubout", "-out", pubPath)
	privText, _ := os.ReadFile(privPath)
	pubText, _ := os.ReadFile(pubPath)

	keys, err := ParsePublicKeys(pubText)
	if err != nil || len(keys) != 1 {
		t.Fatalf("openssl public key: %v (%d keys)", err, len(keys))
	}
	priv, err := ParsePrivateKeyPEM(privText)
	if err != nil {
		t.Fatalf("openssl private key: %v", err)
	}
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), keys[0].Key) {
		t.Fatal("the public key does not belong to the private key")
	}
	if !ed25519.Verify(keys[0].Key, []byte("m"), ed25519.Sign(priv, []byte("m"))) {
		t.Fatal("signature does not verify")
	}
	if _, err := ParsePublicKeys(privText); !errors.Is(err, ErrPrivateKey) {
		t.Fatalf("openssl private key given as public: %v, want ErrPrivateKey", err)
	}
	if !bytes.Equal(MarshalPublicKeyPEM(keys[0].Key), pubText) {
		t.Errorf("MarshalPublicKeyPEM differs from openssl's:\n%s\n%s", MarshalPublicKeyPEM(keys[0].Key), pubText)
	}

	// herodb's private key PEM is readable by openssl and yields the same public key.
	_, own := testEdKey(t)
	ownPath := filepath.Join(dir, "own.pem")
	if err := os.WriteFile(ownPath, MarshalPrivateKeyPEM(own), 0o600); err != nil {
		t.Fatal(err)
	}
	out := run("pkey", "-in", ownPath, "-pubout")
	if out != string(MarshalPublicKeyPEM(own.Public().(ed25519.PublicKey))) {
		t.Errorf("openssl derives another public key:\n%s", out)
	}
}
