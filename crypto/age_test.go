package crypto

// Tests of the AGE and SYM crypto, cross-checked against filippo.io/age,
// crypto/ed25519 and golang.org/x/crypto/chacha20poly1305 used directly.

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// ageMessages are the plaintexts every round trip uses: empty, text, binary, and one
// larger than age's 64 KiB chunk.
func ageMessages() [][]byte {
	return [][]byte{
		{},
		[]byte("hello age"),
		{0, 1, 2, 0xff, '\r', '\n', 0},
		bytes.Repeat([]byte("0123456789abcdef"), 5000), // 80,000 bytes: two chunks
	}
}

// ageNoInput fails when err's text holds any of the inputs.
func ageNoInput(t *testing.T, what string, err error, inputs ...string) {
	t.Helper()
	for _, in := range inputs {
		if in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("%s: error %q contains its input %q", what, err, in)
		}
	}
}

// ageFlip returns base64 text whose decoded bytes have bit 0 of byte i flipped
// (i < 0 counts from the end).
func ageFlip(t *testing.T, b64text string, i int) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64text)
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(raw)
	}
	raw[i] ^= 1
	return base64.StdEncoding.EncodeToString(raw)
}

func TestAgeGenerateKeyParsesWithLibrary(t *testing.T) {
	recipient, identity := GenerateAgeKey()
	if !strings.HasPrefix(recipient, "age1") || !strings.HasPrefix(identity, "AGE-SECRET-KEY-1") {
		t.Fatalf("key shapes: %q, identity prefix %q", recipient, identity[:min(len(identity), 16)])
	}
	id, err := age.ParseX25519Identity(identity)
	if err != nil {
		t.Fatalf("ParseX25519Identity: %v", err)
	}
	if got := id.Recipient().String(); got != recipient {
		t.Fatalf("the identity's recipient is %q, want %q", got, recipient)
	}
	if _, err := age.ParseX25519Recipient(recipient); err != nil {
		t.Fatalf("ParseX25519Recipient: %v", err)
	}
	r2, id2 := GenerateAgeKey()
	if r2 == recipient || id2 == identity {
		t.Fatal("two generated keys are equal")
	}
}

func TestAgeEncryptDecryptsWithLibrary(t *testing.T) {
	recipient, identity := GenerateAgeKey()
	id, _ := age.ParseX25519Identity(identity)
	for _, msg := range ageMessages() {
		ct, err := AgeEncrypt(recipient, msg)
		if err != nil {
			t.Fatalf("AgeEncrypt: %v", err)
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(ct)
		if err != nil {
			t.Fatalf("ciphertext is not standard base64: %v", err)
		}
		if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) {
			t.Fatalf("not the binary age format: %q", raw[:min(len(raw), 24)])
		}
		r, err := age.Decrypt(bytes.NewReader(raw), id)
		if err != nil {
			t.Fatalf("library decrypt: %v", err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("library decrypt of %d bytes: got %d bytes, %v", len(msg), len(got), err)
		}
		// And back through AgeDecrypt.
		got, err = AgeDecrypt(identity, []byte(ct))
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("AgeDecrypt of %d bytes: got %d bytes, %v", len(msg), len(got), err)
		}
	}
}

func TestAgeDecryptsLibraryCiphertext(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	for _, msg := range ageMessages() {
		var buf bytes.Buffer
		// Two recipients: the stanza for ours is not the first one.
		w, err := age.Encrypt(&buf, other.Recipient(), id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(msg)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		ct := base64.StdEncoding.EncodeToString(buf.Bytes())
		got, err := AgeDecrypt(id.String(), []byte(ct))
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("AgeDecrypt of a library ciphertext (%d bytes): got %d bytes, %v", len(msg), len(got), err)
		}
	}
}

func TestAgeErrors(t *testing.T) {
	recipient, identity := GenerateAgeKey()
	_, otherIdentity := GenerateAgeKey()
	ct, err := AgeEncrypt(recipient, []byte("secret message"))
	if err != nil {
		t.Fatal(err)
	}
	encCases := []struct {
		name, recipient string
	}{
		{"identity as recipient", identity},
		{"empty", ""},
		{"garbage", "age1notarecipient"},
		{"upper-case junk", "AGE1XYZ"},
	}
	for _, c := range encCases {
		_, err := AgeEncrypt(c.recipient, []byte("m"))
		if !errors.Is(err, ErrBadRecipient) {
			t.Errorf("AgeEncrypt(%s): %v, want ErrBadRecipient", c.name, err)
			continue
		}
		ageNoInput(t, "AgeEncrypt "+c.name, err, c.recipient)
	}
	decCases := []struct {
		name, identity, ct string
		want               error
	}{
		{"recipient as identity", recipient, ct, ErrBadIdentity},
		{"empty identity", "", ct, ErrBadIdentity},
		{"truncated identity", identity[:len(identity)-3], ct, ErrBadIdentity},
		{"bad base64", identity, "!!not base64!!", ErrBadBase64},
		{"unpadded base64", identity, strings.TrimRight(ct, "="), ErrBadBase64},
		{"url-safe base64", identity, strings.NewReplacer("+", "-", "/", "_").Replace(ct) + "-_", ErrBadBase64},
		{"wrong identity", otherIdentity, ct, ErrDecrypt},
		{"tampered header", identity, ageFlip(t, ct, 40), ErrDecrypt},
		{"tampered payload", identity, ageFlip(t, ct, -1), ErrDecrypt},
		{"truncated", identity, base64.StdEncoding.EncodeToString(mustB64(t, ct)[:60]), ErrDecrypt},
		{"not age", identity, base64.StdEncoding.EncodeToString([]byte("hello")), ErrDecrypt},
		{"empty ciphertext", identity, "", ErrDecrypt},
	}
	for _, c := range decCases {
		if c.name == "unpadded base64" && !strings.HasSuffix(ct, "=") {
			continue // only meaningful when there is padding to drop
		}
		pt, err := AgeDecrypt(c.identity, []byte(c.ct))
		if !errors.Is(err, c.want) || pt != nil {
			t.Errorf("AgeDecrypt(%s): %q, %v; want %v", c.name, pt, err, c.want)
			continue
		}
		ageNoInput(t, "AgeDecrypt "+c.name, err, c.identity, "secret message")
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAgeSignKeysAgainstEd25519(t *testing.T) {
	verify, secret := GenerateSignKey()
	seed, err := base64.StdEncoding.Strict().DecodeString(secret)
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("the secret is %d bytes (%v), want a 32-byte seed in standard base64", len(seed), err)
	}
	pub, err := base64.StdEncoding.Strict().DecodeString(verify)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("the verify key is %d bytes (%v)", len(pub), err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), pub) {
		t.Fatal("the verify key is not the seed's public key")
	}
	for _, msg := range ageMessages() {
		// Signed here, verified by the library.
		sig, err := Sign(secret, msg)
		if err != nil {
			t.Fatal(err)
		}
		raw := mustB64(t, sig)
		if !ed25519.Verify(pub, msg, raw) {
			t.Fatal("ed25519.Verify rejects Sign's signature")
		}
		// Signed by the library, verified here.
		libSig := base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg))
		if ok, err := Verify(verify, msg, libSig); !ok || err != nil {
			t.Fatalf("Verify of a library signature: %v, %v", ok, err)
		}
		// A 64-byte Go private key signs the same (Ed25519 is deterministic).
		sig64, err := Sign(base64.StdEncoding.EncodeToString(priv), msg)
		if err != nil || sig64 != sig {
			t.Fatalf("Sign with the 64-byte key: %v, same signature %v", err, sig64 == sig)
		}
	}
}

func TestAgeVerifyRejectsTamperingWithoutError(t *testing.T) {
	verify, secret := GenerateSignKey()
	otherVerify, _ := GenerateSignKey()
	msg := []byte("signed message")
	sig, _ := Sign(secret, msg)
	cases := []struct {
		name, key, sig string
		msg            []byte
	}{
		{"tampered signature", verify, ageFlip(t, sig, 5), msg},
		{"tampered message", verify, sig, []byte("signed messagE")},
		{"other key", otherVerify, sig, msg},
		{"short signature", verify, base64.StdEncoding.EncodeToString(mustB64(t, sig)[:63]), msg},
		{"long signature", verify, base64.StdEncoding.EncodeToString(append(mustB64(t, sig), 0)), msg},
		{"empty signature", verify, "", msg},
		{"bad base64 signature", verify, "%%%%", msg},
	}
	for _, c := range cases {
		ok, err := Verify(c.key, c.msg, c.sig)
		if ok || err != nil {
			t.Errorf("Verify(%s) = %v, %v; want false, nil", c.name, ok, err)
		}
	}
	if ok, err := Verify(verify, msg, sig); !ok || err != nil {
		t.Fatalf("the untampered signature: %v, %v", ok, err)
	}
}

func TestAgeSignKeyErrors(t *testing.T) {
	verify, secret := GenerateSignKey()
	seed := mustB64(t, secret)
	priv := ed25519.NewKeyFromSeed(seed)
	mismatched := append([]byte(nil), priv...)
	mismatched[40] ^= 1 // public half of another key
	recipient, identity := GenerateAgeKey()
	for _, c := range []struct{ name, key string }{
		{"bad base64", "not*base64"},
		{"empty", ""},
		{"31 bytes", base64.StdEncoding.EncodeToString(seed[:31])},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(seed, 0))},
		{"64 bytes, public half mismatched", base64.StdEncoding.EncodeToString(mismatched)},
		{"age identity", identity},
		{"age recipient", recipient},
	} {
		sig, err := Sign(c.key, []byte("m"))
		if !errors.Is(err, ErrBadSignKey) || sig != "" {
			t.Errorf("Sign(%s) = %q, %v; want ErrBadSignKey", c.name, sig, err)
			continue
		}
		ageNoInput(t, "Sign "+c.name, err, c.key)
	}
	sig, _ := Sign(secret, []byte("m"))
	for _, c := range []struct{ name, key string }{
		{"bad base64", "not*base64"},
		{"empty", ""},
		{"64-byte private key", base64.StdEncoding.EncodeToString(priv)},
		{"31 bytes", base64.StdEncoding.EncodeToString(mustB64(t, verify)[:31])},
		{"age recipient", recipient},
	} {
		ok, err := Verify(c.key, []byte("m"), sig)
		if !errors.Is(err, ErrBadVerifyKey) || ok {
			t.Errorf("Verify(%s) = %v, %v; want ErrBadVerifyKey", c.name, ok, err)
			continue
		}
		ageNoInput(t, "Verify "+c.name, err, c.key)
	}
	// A 32-byte seed given as a verify key has a public key's shape: it cannot be told
	// apart, and it simply does not verify.
	if ok, err := Verify(secret, []byte("m"), sig); ok || err != nil {
		t.Errorf("Verify(seed as verify key) = %v, %v; want false, nil", ok, err)
	}
}

func TestSymRoundTripWithLibrary(t *testing.T) {
	key := SymKeygen()
	raw, err := base64.StdEncoding.Strict().DecodeString(key)
	if err != nil || len(raw) != chacha20poly1305.KeySize {
		t.Fatalf("SymKeygen: %d bytes, %v", len(raw), err)
	}
	if SymKeygen() == key {
		t.Fatal("two SYM keys are equal")
	}
	aead, err := chacha20poly1305.NewX(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range ageMessages() {
		ct, err := SymEncrypt(key, msg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := base64.StdEncoding.Strict().DecodeString(ct)
		if err != nil {
			t.Fatalf("ciphertext is not standard base64: %v", err)
		}
		if len(b) != chacha20poly1305.NonceSizeX+len(msg)+chacha20poly1305.Overhead {
			t.Fatalf("ciphertext of %d bytes is %d bytes, want nonce‖ct‖tag", len(msg), len(b))
		}
		pt, err := aead.Open(nil, b[:chacha20poly1305.NonceSizeX], b[chacha20poly1305.NonceSizeX:], nil)
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("library open: %d bytes, %v", len(pt), err)
		}
		// The other way: sealed by the library, opened here.
		nonce := Random(chacha20poly1305.NonceSizeX)
		lib := base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, msg, nil))
		pt, err = SymDecrypt(key, []byte(lib))
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("SymDecrypt of a library ciphertext: %d bytes, %v", len(pt), err)
		}
		// A fresh nonce every time.
		ct2, _ := SymEncrypt(key, msg)
		if ct2 == ct || bytes.Equal(mustB64(t, ct2)[:24], b[:24]) {
			t.Fatal("two encryptions share a nonce")
		}
	}
}

func TestSymErrors(t *testing.T) {
	key := SymKeygen()
	otherKey := SymKeygen()
	ct, _ := SymEncrypt(key, []byte("secret message"))
	for _, c := range []struct{ name, key string }{
		{"bad base64", "@@@@"},
		{"empty", ""},
		{"16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16))},
		{"33 bytes", base64.StdEncoding.EncodeToString(make([]byte, 33))},
		{"unpadded", strings.TrimRight(key, "=")},
	} {
		if _, err := SymEncrypt(c.key, []byte("m")); !errors.Is(err, ErrBadSymKey) {
			t.Errorf("SymEncrypt(%s): %v, want ErrBadSymKey", c.name, err)
		} else {
			ageNoInput(t, "SymEncrypt "+c.name, err, c.key)
		}
		if _, err := SymDecrypt(c.key, []byte(ct)); !errors.Is(err, ErrBadSymKey) {
			t.Errorf("SymDecrypt(%s): %v, want ErrBadSymKey", c.name, err)
		}
	}
	for _, c := range []struct {
		name, key, ct string
		want          error
	}{
		{"bad base64", key, "***", ErrBadBase64},
		{"wrong key", otherKey, ct, ErrDecrypt},
		{"tampered tag", key, ageFlip(t, ct, -1), ErrDecrypt},
		{"tampered nonce", key, ageFlip(t, ct, 0), ErrDecrypt},
		{"tampered body", key, ageFlip(t, ct, 30), ErrDecrypt},
		{"too short", key, base64.StdEncoding.EncodeToString(make([]byte, 39)), ErrDecrypt},
		{"empty", key, "", ErrDecrypt},
	} {
		pt, err := SymDecrypt(c.key, []byte(c.ct))
		if !errors.Is(err, c.want) || pt != nil {
			t.Errorf("SymDecrypt(%s): %q, %v; want %v", c.name, pt, err, c.want)
			continue
		}
		ageNoInput(t, "SymDecrypt "+c.name, err, c.key, "secret message")
	}
}
