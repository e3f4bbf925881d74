package server_test

// End-to-end tests of the AGE and SYM commands (HeroDB's crypto service): round trips
// cross-checked with filippo.io/age, crypto/ed25519 and chacha20poly1305 used directly;
// reply shapes (VERIFY answers a bulk string); bad input; stateless use before
// authentication; named keys (permissions, outside the keyspace, sealed on disk, gone
// with deleteDatabase); secrets never in logs, errors or CLIENT LIST; the age tool.
// Helpers here start with ag.

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/storage"
)

const (
	agOne  = "$1\r\n1\r\n" // AGE VERIFY's "1": a bulk string, never ":1"
	agZero = "$1\r\n0\r\n"
)

// agDo sends one command and returns its reply.
func agDo(t testing.TB, c *tConn, args ...string) tReply {
	t.Helper()
	c.send(args...)
	rep, err := c.readReply()
	if err != nil {
		t.Fatalf("%s: read reply: %v", agShow(args), err)
	}
	return rep
}

// agShow names a command for a failure message without its (secret) arguments.
func agShow(args []string) string {
	if len(args) > 1 {
		return args[0] + " " + args[1]
	}
	return strings.Join(args, " ")
}

// agBulkOf is the content of a (non-null) bulk reply.
func agBulkOf(t testing.TB, what string, rep tReply) string {
	t.Helper()
	raw := string(rep.raw)
	if !strings.HasPrefix(raw, "$") || raw == tNil {
		t.Fatalf("%s: got %q, want a bulk string", what, agClip(raw))
	}
	i := strings.Index(raw, "\r\n")
	return raw[i+2 : len(raw)-2]
}

// agStr runs a command that must answer a bulk string, and returns it.
func agStr(t testing.TB, c *tConn, args ...string) string {
	t.Helper()
	return agBulkOf(t, agShow(args), agDo(t, c, args...))
}

// agPair runs a command that must answer a two-element array of bulk strings.
func agPair(t testing.TB, c *tConn, args ...string) (string, string) {
	t.Helper()
	rep := agDo(t, c, args...)
	if !rep.array || len(rep.elems) != 2 {
		t.Fatalf("%s: got %q, want an array of 2", agShow(args), agClip(string(rep.raw)))
	}
	return agBulkOf(t, agShow(args), rep.elems[0]), agBulkOf(t, agShow(args), rep.elems[1])
}

// agNames runs a command that must answer a flat array of bulk strings.
func agNames(t testing.TB, c *tConn, args ...string) []string {
	t.Helper()
	rep := agDo(t, c, args...)
	if !rep.array {
		t.Fatalf("%s: got %q, want an array", agShow(args), agClip(string(rep.raw)))
	}
	out := []string{}
	for _, e := range rep.elems {
		out = append(out, agBulkOf(t, agShow(args), e))
	}
	return out
}

// agErr runs a command that must answer an error starting with prefix, and checks the
// connection is still served.
func agErr(t testing.TB, c *tConn, prefix string, args ...string) string {
	t.Helper()
	got := string(agDo(t, c, args...).raw)
	if !strings.HasPrefix(got, "-"+prefix) {
		t.Errorf("%s: got %q, want an error starting %q", agShow(args), agClip(got), prefix)
	}
	if pong := string(agDo(t, c, "PING").raw); pong != "+PONG\r\n" {
		t.Fatalf("after %s: PING answered %q", agShow(args), pong)
	}
	return got
}

func agClip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func agB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		t.Fatalf("not standard base64 (%v): %q", err, agClip(s))
	}
	return b
}

func agEnc(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// agFlip flips one bit of the decoded bytes at i (i < 0 counts from the end).
func agFlip(t testing.TB, s string, i int) string {
	t.Helper()
	b := agB64(t, s)
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 1
	return agEnc(b)
}

// agLibEncrypt encrypts msg to recipient with the age library.
func agLibEncrypt(t testing.TB, recipient string, msg []byte) []byte {
	t.Helper()
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		t.Fatalf("library: parse recipient: %v", err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(msg)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// agLibDecrypt decrypts base64 of an age ciphertext with the library.
func agLibDecrypt(t testing.TB, identity, ctB64 string) []byte {
	t.Helper()
	id, err := age.ParseX25519Identity(identity)
	if err != nil {
		t.Fatalf("library: parse identity: %v", err)
	}
	r, err := age.Decrypt(bytes.NewReader(agB64(t, ctB64)), id)
	if err != nil {
		t.Fatalf("library: decrypt: %v", err)
	}
	pt, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

// agCheckEncPair checks a [recipient, identity] pair with the library.
func agCheckEncPair(t testing.TB, what, recipient, identity string) {
	t.Helper()
	id, err := age.ParseX25519Identity(identity)
	if err != nil {
		t.Fatalf("%s: the identity does not parse: %v", what, err)
	}
	if got := id.Recipient().String(); got != recipient || !strings.HasPrefix(recipient, "age1") {
		t.Fatalf("%s: recipient %q, the identity's is %q", what, recipient, got)
	}
}

// agCheckSignPair checks a [verify_pub_b64, sign_secret_b64] pair: a 32-byte seed.
func agCheckSignPair(t testing.TB, what, verify, secret string) ed25519.PrivateKey {
	t.Helper()
	seed := agB64(t, secret)
	if len(seed) != ed25519.SeedSize {
		t.Fatalf("%s: the secret is %d bytes, want the 32-byte seed", what, len(seed))
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), agB64(t, verify)) {
		t.Fatalf("%s: the verify key is not the seed's public key", what)
	}
	return priv
}

// agMessages: text, binary with CR LF and NUL, empty, and over age's 64 KiB chunk.
var agMessages = []string{
	"hello herodb",
	"bin\x00\r\n\xff\x01end",
	"",
	strings.Repeat("chunky-", 12000),
}

func TestAgeStatelessRoundTrips(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	for _, selected := range []bool{false, true} {
		t.Run("selected="+strconv.FormatBool(selected), func(t *testing.T) {
			var c *tConn
			if selected {
				c = tSelected(t, srv.Addr(), db)
				if got := c.do("AUTH", herodbtest.AdminSecret); got != tOK {
					t.Fatalf("AUTH: %q", got) // lifts the pre-auth limits for the big message
				}
			} else {
				c = tDial(t, srv.Addr())
			}
			msgs := agMessages
			if !selected {
				msgs = msgs[:3] // the big one is over the pre-auth limits
			}
			recipient, identity := agPair(t, c, "AGE", "GENENC")
			agCheckEncPair(t, "GENENC", recipient, identity)
			verify, secret := agPair(t, c, "age", "gensign") // case-insensitive
			priv := agCheckSignPair(t, "GENSIGN", verify, secret)
			symKey := agStr(t, c, "SYM", "KEYGEN")
			if k := agB64(t, symKey); len(k) != chacha20poly1305.KeySize {
				t.Fatalf("SYM KEYGEN: %d bytes", len(k))
			}
			aead, _ := chacha20poly1305.NewX(agB64(t, symKey))

			for _, msg := range msgs {
				// Library encrypts to GENENC's recipient; AGE DECRYPT decrypts.
				ct := agEnc(agLibEncrypt(t, recipient, []byte(msg)))
				if got := agStr(t, c, "AGE", "DECRYPT", identity, ct); got != msg {
					t.Fatalf("AGE DECRYPT of a library ciphertext: %d bytes, want %d", len(got), len(msg))
				}
				// AGE ENCRYPT; the library decrypts.
				ct = agStr(t, c, "AGE", "ENCRYPT", recipient, msg)
				if got := agLibDecrypt(t, identity, ct); string(got) != msg {
					t.Fatalf("library decrypt of AGE ENCRYPT: %d bytes, want %d", len(got), len(msg))
				}
				if got := agStr(t, c, "AGE", "DECRYPT", identity, ct); got != msg {
					t.Fatal("AGE DECRYPT of AGE ENCRYPT: not the message")
				}

				// Library signs with the seed; AGE VERIFY says "1".
				libSig := agEnc(ed25519.Sign(priv, []byte(msg)))
				if got := string(agDo(t, c, "AGE", "VERIFY", verify, msg, libSig).raw); got != agOne {
					t.Fatalf("AGE VERIFY of a library signature: %q, want %q", got, agOne)
				}
				// AGE SIGN with the seed and with the 64-byte Go key: the library verifies.
				sig := agStr(t, c, "AGE", "SIGN", secret, msg)
				if !ed25519.Verify(priv.Public().(ed25519.PublicKey), []byte(msg), agB64(t, sig)) {
					t.Fatal("ed25519.Verify rejects AGE SIGN's signature")
				}
				if sig64 := agStr(t, c, "AGE", "SIGN", agEnc(priv), msg); sig64 != sig {
					t.Fatal("AGE SIGN with the 64-byte private key signs differently")
				}
				if got := string(agDo(t, c, "AGE", "VERIFY", verify, msg, sig).raw); got != agOne {
					t.Fatalf("AGE VERIFY of AGE SIGN: %q", got)
				}

				// SYM: nonce‖XChaCha20-Poly1305, opened by the library, and back.
				sct := agB64(t, agStr(t, c, "SYM", "ENCRYPT", symKey, msg))
				if len(sct) != chacha20poly1305.NonceSizeX+len(msg)+chacha20poly1305.Overhead {
					t.Fatalf("SYM ciphertext of %d bytes is %d bytes", len(msg), len(sct))
				}
				pt, err := aead.Open(nil, sct[:chacha20poly1305.NonceSizeX], sct[chacha20poly1305.NonceSizeX:], nil)
				if err != nil || string(pt) != msg {
					t.Fatalf("library open of SYM ENCRYPT: %v", err)
				}
				nonce := make([]byte, chacha20poly1305.NonceSizeX)
				nonce[3] = 9
				lib := agEnc(aead.Seal(nonce, nonce, []byte(msg), nil))
				if got := agStr(t, c, "SYM", "DECRYPT", symKey, lib); got != msg {
					t.Fatal("SYM DECRYPT of a library ciphertext: not the message")
				}
				if got := agStr(t, c, "SYM", "DECRYPT", symKey, agEnc(sct)); got != msg {
					t.Fatal("SYM DECRYPT of SYM ENCRYPT: not the message")
				}
			}
			// Fresh keys every time.
			r2, _ := agPair(t, c, "AGE", "GENENC")
			v2, _ := agPair(t, c, "AGE", "GENSIGN")
			if r2 == recipient || v2 == verify || agStr(t, c, "SYM", "KEYGEN") == symKey {
				t.Fatal("a key generator repeated itself")
			}
		})
	}
}

// TestAgeVerifyRepliesBulkString: VERIFY and VERIFYNAME answer "$1\r\n1\r\n" or
// "$1\r\n0\r\n", and go-redis sees a string.
func TestAgeVerifyRepliesBulkString(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	verify, secret := agPair(t, c, "AGE", "GENSIGN")
	sig := agStr(t, c, "AGE", "SIGN", secret, "m")
	tEq(t, "VERIFY good", string(agDo(t, c, "AGE", "VERIFY", verify, "m", sig).raw), agOne)
	tEq(t, "VERIFY other message", string(agDo(t, c, "AGE", "VERIFY", verify, "n", sig).raw), agZero)
	tEq(t, "VERIFY tampered", string(agDo(t, c, "AGE", "VERIFY", verify, "m", agFlip(t, sig, 7)).raw), agZero)

	agPair(t, c, "AGE", "SIGNKEYGEN", "signer")
	nsig := agStr(t, c, "AGE", "SIGNNAME", "signer", "m")
	tEq(t, "VERIFYNAME good", string(agDo(t, c, "AGE", "VERIFYNAME", "signer", "m", nsig).raw), agOne)
	tEq(t, "VERIFYNAME tampered", string(agDo(t, c, "AGE", "VERIFYNAME", "signer", "m", agFlip(t, nsig, -1)).raw), agZero)

	rdb := tClient(t, srv.Addr(), db)
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"AGE", "VERIFY", verify, "m", sig}, "1"},
		{[]any{"AGE", "VERIFY", verify, "x", sig}, "0"},
		{[]any{"AGE", "VERIFYNAME", "signer", "m", nsig}, "1"},
		{[]any{"AGE", "VERIFYNAME", "signer", "x", nsig}, "0"},
	} {
		v, err := rdb.Do(tCtx, tc.args...).Result()
		s, isString := v.(string)
		if err != nil || !isString || s != tc.want {
			t.Errorf("go-redis %v %v: %#v (%T), %v; want the string %q", tc.args[0], tc.args[1], v, v, err, tc.want)
		}
	}
}

// TestAgeBadInput: every kind of bad input is a clear -ERR, the connection goes on.
func TestAgeBadInput(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	recipient, identity := agPair(t, c, "AGE", "GENENC")
	_, otherIdentity := agPair(t, c, "AGE", "GENENC")
	verify, secret := agPair(t, c, "AGE", "GENSIGN")
	priv := ed25519.NewKeyFromSeed(agB64(t, secret))
	symKey := agStr(t, c, "SYM", "KEYGEN")
	ct := agStr(t, c, "AGE", "ENCRYPT", recipient, "the plaintext")
	sct := agStr(t, c, "SYM", "ENCRYPT", symKey, "the plaintext")
	sig := agStr(t, c, "AGE", "SIGN", secret, "the plaintext")
	agPair(t, c, "AGE", "KEYGEN", "enc")
	agPair(t, c, "AGE", "SIGNKEYGEN", "sig")
	nct := agStr(t, c, "AGE", "ENCRYPTNAME", "enc", "the plaintext")

	const (
		badB64    = "ERR invalid base64"
		badID     = "ERR invalid age identity"
		badRcpt   = "ERR invalid age recipient"
		decFail   = "ERR decryption failed"
		badSign   = "ERR invalid signing key"
		badVerify = "ERR invalid verify key"
		badSym    = "ERR invalid SYM key"
	)
	cases := []struct {
		name string
		want string
		args []string
	}{
		// Tampering and wrong keys.
		{"tampered age ciphertext", decFail, []string{"AGE", "DECRYPT", identity, agFlip(t, ct, -1)}},
		{"tampered age header", decFail, []string{"AGE", "DECRYPT", identity, agFlip(t, ct, 30)}},
		{"truncated age ciphertext", decFail, []string{"AGE", "DECRYPT", identity, agEnc(agB64(t, ct)[:50])}},
		{"not age at all", decFail, []string{"AGE", "DECRYPT", identity, agEnc([]byte("plain"))}},
		{"wrong identity", decFail, []string{"AGE", "DECRYPT", otherIdentity, ct}},
		{"tampered SYM ciphertext", decFail, []string{"SYM", "DECRYPT", symKey, agFlip(t, sct, -1)}},
		{"short SYM ciphertext", decFail, []string{"SYM", "DECRYPT", symKey, agEnc(make([]byte, 20))}},
		{"wrong SYM key", decFail, []string{"SYM", "DECRYPT", agEnc(make([]byte, 32)), sct}},
		{"tampered DECRYPTNAME", decFail, []string{"AGE", "DECRYPTNAME", "enc", agFlip(t, nct, -2)}},
		// Bad base64.
		{"age ciphertext not base64", badB64, []string{"AGE", "DECRYPT", identity, "%%%not base64%%%"}},
		{"age ciphertext URL base64", badB64, []string{"AGE", "DECRYPT", identity, strings.NewReplacer("+", "-", "/", "_").Replace(ct) + "_-"}},
		{"SYM ciphertext not base64", badB64, []string{"SYM", "DECRYPT", symKey, "***"}},
		{"DECRYPTNAME not base64", badB64, []string{"AGE", "DECRYPTNAME", "enc", "***"}},
		{"sign key not base64", badSign, []string{"AGE", "SIGN", "***", "m"}},
		{"verify key not base64", badVerify, []string{"AGE", "VERIFY", "***", "m", sig}},
		{"SYM key not base64", badSym, []string{"SYM", "ENCRYPT", "***", "m"}},
		{"SYM key of 16 bytes", badSym, []string{"SYM", "ENCRYPT", agEnc(make([]byte, 16)), "m"}},
		{"SYM key unpadded", badSym, []string{"SYM", "DECRYPT", strings.TrimRight(symKey, "="), sct}},
		// Wrong key types.
		{"recipient as identity", badID, []string{"AGE", "DECRYPT", recipient, ct}},
		{"identity as recipient", badRcpt, []string{"AGE", "ENCRYPT", identity, "m"}},
		{"verify key as recipient", badRcpt, []string{"AGE", "ENCRYPT", verify, "m"}},
		{"sign seed as identity", badID, []string{"AGE", "DECRYPT", secret, ct}},
		{"64-byte signing key as verify key", badVerify, []string{"AGE", "VERIFY", agEnc(priv), "m", sig}},
		{"age identity as signing key", badSign, []string{"AGE", "SIGN", identity, "m"}},
		{"age identity as SYM key", badSym, []string{"SYM", "ENCRYPT", identity, "m"}},
		{"mismatched 64-byte key", badSign, []string{"AGE", "SIGN", agEnc(append(append([]byte{}, priv[:32]...), make([]byte, 32)...)), "m"}},
		{"DECRYPTNAME of a signing key", "ERR key 'sig' is not an encryption key", []string{"AGE", "DECRYPTNAME", "sig", nct}},
		{"ENCRYPTNAME of a signing key", "ERR key 'sig' is not an encryption key", []string{"AGE", "ENCRYPTNAME", "sig", "m"}},
		{"SIGNNAME of an encryption key", "ERR key 'enc' is not a signing key", []string{"AGE", "SIGNNAME", "enc", "m"}},
		{"VERIFYNAME of an encryption key", "ERR key 'enc' is not a signing key", []string{"AGE", "VERIFYNAME", "enc", "m", sig}},
		// Missing names.
		{"ENCRYPTNAME missing", "ERR no key named 'nosuch'", []string{"AGE", "ENCRYPTNAME", "nosuch", "m"}},
		{"DECRYPTNAME missing", "ERR no key named 'nosuch'", []string{"AGE", "DECRYPTNAME", "nosuch", nct}},
		{"SIGNNAME missing", "ERR no key named 'nosuch'", []string{"AGE", "SIGNNAME", "nosuch", "m"}},
		{"VERIFYNAME missing", "ERR no key named 'nosuch'", []string{"AGE", "VERIFYNAME", "nosuch", "m", sig}},
		// Arity, syntax, unknown subcommands.
		{"AGE alone", "ERR wrong number of arguments for 'age' command", []string{"AGE"}},
		{"SYM alone", "ERR wrong number of arguments for 'sym' command", []string{"SYM"}},
		{"ENCRYPT short", "ERR wrong number of arguments for 'age|encrypt' command", []string{"AGE", "ENCRYPT", recipient}},
		{"ENCRYPT long", "ERR wrong number of arguments for 'age|encrypt' command", []string{"AGE", "ENCRYPT", recipient, "m", "x"}},
		{"decrypt short, lower case", "ERR wrong number of arguments for 'age|decrypt' command", []string{"age", "decrypt", identity}},
		{"SIGN short", "ERR wrong number of arguments for 'age|sign' command", []string{"AGE", "SIGN", secret}},
		{"VERIFY short", "ERR wrong number of arguments for 'age|verify' command", []string{"AGE", "VERIFY", verify, "m"}},
		{"GENENC long", "ERR wrong number of arguments for 'age|genenc' command", []string{"AGE", "GENENC", "x"}},
		{"GENSIGN long", "ERR wrong number of arguments for 'age|gensign' command", []string{"AGE", "GENSIGN", "x"}},
		{"KEYGEN without a name", "ERR wrong number of arguments for 'age|keygen' command", []string{"AGE", "KEYGEN"}},
		{"SIGNKEYGEN without a name", "ERR wrong number of arguments for 'age|signkeygen' command", []string{"AGE", "SIGNKEYGEN"}},
		{"ENCRYPTNAME without a name", "ERR wrong number of arguments for 'age|encryptname' command", []string{"AGE", "ENCRYPTNAME", "m"}},
		{"DELKEY without a name", "ERR wrong number of arguments for 'age|delkey' command", []string{"AGE", "DELKEY"}},
		{"SYM KEYGEN long", "ERR wrong number of arguments for 'sym|keygen' command", []string{"SYM", "KEYGEN", "x"}},
		{"SYM ENCRYPT short", "ERR wrong number of arguments for 'sym|encrypt' command", []string{"SYM", "ENCRYPT", symKey}},
		{"SYM DECRYPT long", "ERR wrong number of arguments for 'sym|decrypt' command", []string{"SYM", "DECRYPT", symKey, sct, "x"}},
		{"KEYGEN bad option", "ERR syntax error", []string{"AGE", "KEYGEN", "k2", "REPLACEX"}},
		{"KEYGEN extra", "ERR syntax error", []string{"AGE", "KEYGEN", "k2", "REPLACE", "x"}},
		{"LIST bad kind", "ERR syntax error", []string{"AGE", "LIST", "BOTH"}},
		{"LIST extra", "ERR syntax error", []string{"AGE", "LIST", "ENC", "x"}},
		{"unknown AGE subcommand", "ERR unknown subcommand 'NOSUCH'. Try AGE HELP.", []string{"AGE", "NOSUCH", "x"}},
		{"unknown SYM subcommand", "ERR unknown subcommand 'GENENC'. Try SYM HELP.", []string{"SYM", "GENENC"}},
	}
	secrets := []string{identity, otherIdentity, secret, agEnc(priv), symKey, "the plaintext"}
	for _, tc := range cases {
		got := agErr(t, c, tc.want, tc.args...)
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Errorf("%s: the error %q holds a secret", tc.name, agClip(got))
			}
		}
	}
	// Bad signatures are not errors: they do not verify.
	for name, bad := range map[string]string{
		"signature not base64": "***", "empty signature": "", "short signature": agEnc(agB64(t, sig)[:10]),
	} {
		tEq(t, name, string(agDo(t, c, "AGE", "VERIFY", verify, "the plaintext", bad).raw), agZero)
	}
	// A 32-byte seed has a verify key's shape: it cannot be refused, it does not verify.
	tEq(t, "seed as verify key", string(agDo(t, c, "AGE", "VERIFY", secret, "the plaintext", sig).raw), agZero)
	// Nothing was created by the failures, and the good inputs still work.
	tEq(t, "names", agNames(t, c, "AGE", "LIST"), []string{"enc", "sig"})
	tEq(t, "DECRYPT", agStr(t, c, "AGE", "DECRYPT", identity, ct), "the plaintext")
	tEq(t, "DECRYPTNAME", agStr(t, c, "AGE", "DECRYPTNAME", "enc", nct), "the plaintext")
}

// TestAgeBeforeAuth: stateless commands work on a fresh connection with no database,
// within the pre-auth limits; named-key commands need a selected database.
func TestAgeBeforeAuth(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{})
	c := tDial(t, srv.Addr())
	recipient, identity := agPair(t, c, "AGE", "GENENC")
	verify, secret := agPair(t, c, "AGE", "GENSIGN")
	key := agStr(t, c, "SYM", "KEYGEN")
	ct := agStr(t, c, "AGE", "ENCRYPT", recipient, "m")
	tEq(t, "DECRYPT", agStr(t, c, "AGE", "DECRYPT", identity, ct), "m")
	sig := agStr(t, c, "AGE", "SIGN", secret, "m")
	tEq(t, "VERIFY", string(agDo(t, c, "AGE", "VERIFY", verify, "m", sig).raw), agOne)
	sct := agStr(t, c, "SYM", "ENCRYPT", key, "m")
	tEq(t, "SYM DECRYPT", agStr(t, c, "SYM", "DECRYPT", key, sct), "m")
	agErr(t, c, "ERR decryption failed", "AGE", "DECRYPT", identity, agFlip(t, ct, -1))

	for _, args := range [][]string{
		{"AGE", "KEYGEN", "k"}, {"AGE", "SIGNKEYGEN", "k"}, {"AGE", "ENCRYPTNAME", "k", "m"},
		{"AGE", "DECRYPTNAME", "k", ct}, {"AGE", "SIGNNAME", "k", "m"},
		{"AGE", "VERIFYNAME", "k", "m", sig}, {"AGE", "LIST"}, {"AGE", "LIST", "ENC"},
		{"AGE", "DELKEY", "k"},
	} {
		tEq(t, agShow(args)+" before SELECT", string(agDo(t, c, args...).raw), tErr(tNoAuth))
	}

	// The limits: a 16 KiB message is fine; one byte more closes the connection.
	big := strings.Repeat("x", 16<<10)
	ct = agStr(t, c, "AGE", "ENCRYPT", recipient, big)
	if got := agLibDecrypt(t, identity, ct); string(got) != big {
		t.Fatal("16 KiB message: wrong plaintext")
	}
	tEq(t, "SIGN 16 KiB", len(agStr(t, c, "AGE", "SIGN", secret, big)) > 0, true)
	tEq(t, "over the limit", string(agDo(t, c, "AGE", "ENCRYPT", recipient, big+"x").raw),
		"-ERR Protocol error: unauthenticated bulk length\r\n")
	accClosed(t, c, "after an AGE argument over 16 KiB")

	// MULTI needs authentication (a queue would let an unauthenticated connection hold
	// memory); after it, stateless commands run inside MULTI as any other.
	c = tDial(t, srv.Addr())
	tEq(t, "MULTI before auth", c.do("MULTI"), tErr(tNoAuth))
	tEq(t, "AUTH", c.do("AUTH", herodbtest.AdminSecret), tOK)
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	tEq(t, "queued", c.do("SYM", "KEYGEN"), "+QUEUED\r\n")
	tEq(t, "queued", c.do("AGE", "ENCRYPT", recipient, "in multi"), "+QUEUED\r\n")
	rep := agDo(t, c, "EXEC")
	if !rep.array || len(rep.elems) != 2 {
		t.Fatalf("EXEC: %q", agClip(string(rep.raw)))
	}
	tEq(t, "EXEC's AGE ENCRYPT", string(agLibDecrypt(t, identity, agBulkOf(t, "EXEC", rep.elems[1]))), "in multi")
}

// TestAgeNamedKeyPermissions: write access to create or delete, read access to use.
func TestAgeNamedKeyPermissions(t *testing.T) {
	srv, app := tServer(t, herodbtest.Options{})
	a := srv.Admin()
	priv, err := a.CreateDatabase(admin.CreateOptions{Name: "priv"})
	tNoErr(t, "create priv", err)
	pubr, err := a.CreateDatabase(admin.CreateOptions{Name: "pubr", Public: admin.AccessRead})
	tNoErr(t, "create pubr", err)
	const rk, rwk = "age-read-key-0123456789", "age-rw-key-0123456789ab"
	tNoErr(t, "read key", a.AddAccessKey(priv.ID, rk, admin.AccessRead))
	tNoErr(t, "readwrite key", a.AddAccessKey(priv.ID, rwk, admin.AccessReadWrite))
	addr := srv.Addr()
	sel := func(db uint64, key string) *tConn {
		t.Helper()
		c := tDial(t, addr)
		args := []string{"SELECT", strconv.FormatUint(db, 10)}
		if key != "" {
			args = append(args, "KEY", key)
		}
		tEq(t, "SELECT", c.do(args...), tOK)
		return c
	}

	rw := sel(priv.ID, rwk)
	recipient, identity := agPair(t, rw, "AGE", "KEYGEN", "enc")
	verify, _ := agPair(t, rw, "AGE", "SIGNKEYGEN", "sig")
	agPair(t, rw, "AGE", "KEYGEN", "spare")

	ro := sel(priv.ID, rk)
	const noperm = "NOPERM this connection may only read this database"
	for _, args := range [][]string{
		{"AGE", "KEYGEN", "new"}, {"AGE", "SIGNKEYGEN", "new"}, {"AGE", "KEYGEN", "enc", "REPLACE"},
		{"AGE", "DELKEY", "spare"},
	} {
		agErr(t, ro, noperm, args...)
	}
	// Reading is allowed: every use of a named key, and the list.
	ct := agStr(t, ro, "AGE", "ENCRYPTNAME", "enc", "for enc")
	tEq(t, "library decrypt of ENCRYPTNAME", string(agLibDecrypt(t, identity, ct)), "for enc")
	tEq(t, "DECRYPTNAME on read", agStr(t, ro, "AGE", "DECRYPTNAME", "enc", agEnc(agLibEncrypt(t, recipient, []byte("x")))), "x")
	sig := agStr(t, ro, "AGE", "SIGNNAME", "sig", "m")
	if !ed25519.Verify(agB64(t, verify), []byte("m"), agB64(t, sig)) {
		t.Fatal("SIGNNAME on a read connection: bad signature")
	}
	tEq(t, "VERIFYNAME on read", string(agDo(t, ro, "AGE", "VERIFYNAME", "sig", "m", sig).raw), agOne)
	tEq(t, "LIST on read", agNames(t, ro, "AGE", "LIST"), []string{"enc", "sig", "spare"})
	// Nothing changed.
	tEq(t, "LIST after refusals", agNames(t, rw, "AGE", "LIST"), []string{"enc", "sig", "spare"})
	tEq(t, "enc kept", agStr(t, rw, "AGE", "DECRYPTNAME", "enc", ct), "for enc")

	// A public read-only database: the same.
	pr := sel(pubr.ID, "")
	agErr(t, pr, noperm, "AGE", "KEYGEN", "k")
	tEq(t, "LIST on pubr", agNames(t, pr, "AGE", "LIST"), []string{})
	agErr(t, pr, "ERR no key named 'k'", "AGE", "ENCRYPTNAME", "k", "m")

	// Each database has its own named keys.
	other := tSelected(t, addr, app)
	tEq(t, "LIST on app", agNames(t, other, "AGE", "LIST"), []string{})
	agErr(t, other, "ERR no key named 'enc'", "AGE", "DECRYPTNAME", "enc", ct)
	agPair(t, other, "AGE", "KEYGEN", "enc") // the same name, another database
	agErr(t, other, "ERR decryption failed", "AGE", "DECRYPTNAME", "enc", ct)
	tEq(t, "priv's enc untouched", agStr(t, rw, "AGE", "DECRYPTNAME", "enc", ct), "for enc")

	// DB 0 is read-only over RESP, even for the admin.
	adm := tDial(t, addr)
	tEq(t, "AUTH admin", adm.do("AUTH", herodbtest.AdminSecret), tOK)
	tEq(t, "SELECT 0", adm.do("SELECT", "0"), tOK)
	agErr(t, adm, "NOPERM DB 0 is read-only", "AGE", "KEYGEN", "k")

	// A write on a read connection inside MULTI is refused when queued.
	tEq(t, "MULTI", ro.do("MULTI"), tOK)
	tEq(t, "KEYGEN queued on read", ro.do("AGE", "KEYGEN", "inmulti"), tErr(noperm))
	tEq(t, "EXEC", ro.do("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n")
}

// TestAgeNamedKeys: the named-key commands and their replies, and that they live
// outside the keyspace.
func TestAgeNamedKeys(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)

	recipient, identity := agPair(t, c, "AGE", "KEYGEN", "alice")
	agCheckEncPair(t, "KEYGEN", recipient, identity)
	verify, secret := agPair(t, c, "AGE", "SIGNKEYGEN", "bob")
	priv := agCheckSignPair(t, "SIGNKEYGEN", verify, secret)

	// Existing names: an error unless REPLACE.
	agErr(t, c, "ERR key 'alice' already exists: use REPLACE to overwrite it", "AGE", "KEYGEN", "alice")
	agErr(t, c, "ERR key 'alice' already exists", "AGE", "SIGNKEYGEN", "alice")
	agErr(t, c, "ERR key 'bob' already exists", "AGE", "KEYGEN", "bob")

	// Use with the library on the other side.
	for _, msg := range agMessages[:3] {
		ct := agStr(t, c, "AGE", "ENCRYPTNAME", "alice", msg)
		tEq(t, "library decrypt of ENCRYPTNAME", string(agLibDecrypt(t, identity, ct)), msg)
		tEq(t, "DECRYPTNAME of ENCRYPTNAME", agStr(t, c, "AGE", "DECRYPTNAME", "alice", ct), msg)
		tEq(t, "DECRYPT with KEYGEN's identity", agStr(t, c, "AGE", "DECRYPT", identity, ct), msg)
		lib := agEnc(agLibEncrypt(t, recipient, []byte(msg)))
		tEq(t, "DECRYPTNAME of a library ciphertext", agStr(t, c, "AGE", "DECRYPTNAME", "alice", lib), msg)

		sig := agStr(t, c, "AGE", "SIGNNAME", "bob", msg)
		if !ed25519.Verify(priv.Public().(ed25519.PublicKey), []byte(msg), agB64(t, sig)) {
			t.Fatal("ed25519.Verify rejects SIGNNAME's signature")
		}
		libSig := agEnc(ed25519.Sign(priv, []byte(msg)))
		tEq(t, "VERIFYNAME of a library signature", string(agDo(t, c, "AGE", "VERIFYNAME", "bob", msg, libSig).raw), agOne)
		tEq(t, "VERIFY with SIGNKEYGEN's key", string(agDo(t, c, "AGE", "VERIFY", verify, msg, sig).raw), agOne)
		tEq(t, "VERIFYNAME tampered", string(agDo(t, c, "AGE", "VERIFYNAME", "bob", msg, agFlip(t, sig, 0)).raw), agZero)
	}
	oldCT := agStr(t, c, "AGE", "ENCRYPTNAME", "alice", "old")

	// REPLACE (any case): a new pair; the old ciphertext no longer opens.
	r2, id2 := agPair(t, c, "AGE", "KEYGEN", "alice", "replace")
	agCheckEncPair(t, "KEYGEN REPLACE", r2, id2)
	if r2 == recipient || id2 == identity {
		t.Fatal("REPLACE kept the old key")
	}
	agErr(t, c, "ERR decryption failed", "AGE", "DECRYPTNAME", "alice", oldCT)
	tEq(t, "DECRYPT old with the old identity", agStr(t, c, "AGE", "DECRYPT", identity, oldCT), "old")

	// Names: binary-safe, case-sensitive.
	agPair(t, c, "AGE", "SIGNKEYGEN", "Carol")
	agPair(t, c, "AGE", "KEYGEN", "carol")
	agPair(t, c, "AGE", "KEYGEN", "x y\r\nz")
	tEq(t, "LIST", agNames(t, c, "AGE", "LIST"), []string{"Carol", "alice", "bob", "carol", "x y\r\nz"})
	tEq(t, "LIST ENC", agNames(t, c, "AGE", "LIST", "ENC"), []string{"alice", "carol", "x y\r\nz"})
	tEq(t, "LIST sign", agNames(t, c, "AGE", "LIST", "sign"), []string{"Carol", "bob"})
	tEq(t, "LIST raw", string(agDo(t, c, "AGE", "LIST", "SIGN").raw), "*2\r\n"+tBulk("Carol")+tBulk("bob"))
	tEq(t, "DECRYPTNAME binary name", agStr(t, c, "AGE", "DECRYPTNAME", "x y\r\nz",
		agStr(t, c, "AGE", "ENCRYPTNAME", "x y\r\nz", "bin")), "bin")

	// Not keys of the keyspace.
	tEq(t, "SET", c.do("SET", "plain", "v"), tOK)
	tEq(t, "GET alice", c.do("GET", "alice"), tNil)
	tEq(t, "EXISTS", c.do("EXISTS", "alice", "bob", "carol"), tInt(0))
	tEq(t, "TYPE", c.do("TYPE", "bob"), "+none\r\n")
	tEq(t, "DBSIZE", c.do("DBSIZE"), tInt(1))
	tEq(t, "KEYS", c.do("KEYS", "*"), "*1\r\n"+tBulk("plain"))
	tEq(t, "SCAN", c.do("SCAN", "0", "COUNT", "1000"), "*2\r\n"+tBulk("0")+"*1\r\n"+tBulk("plain"))
	tEq(t, "DEL", c.do("DEL", "alice"), tInt(0))
	tEq(t, "SET same name", c.do("SET", "alice", "a string"), tOK)
	tEq(t, "GET same name", c.do("GET", "alice"), tBulk("a string"))
	tEq(t, "named alice intact", agStr(t, c, "AGE", "DECRYPT", id2, agStr(t, c, "AGE", "ENCRYPTNAME", "alice", "z")), "z")
	tEq(t, "FLUSHDB", c.do("FLUSHDB"), tOK)
	tEq(t, "DBSIZE after FLUSHDB", c.do("DBSIZE"), tInt(0))
	tEq(t, "LIST after FLUSHDB", agNames(t, c, "AGE", "LIST"), []string{"Carol", "alice", "bob", "carol", "x y\r\nz"})
	tEq(t, "SIGNNAME after FLUSHDB", string(agDo(t, c, "AGE", "VERIFY", verify, "f",
		agStr(t, c, "AGE", "SIGNNAME", "bob", "f")).raw), agOne)

	// DELKEY: 1 then 0; the key is gone.
	tEq(t, "DELKEY", c.do("AGE", "DELKEY", "bob"), tInt(1))
	tEq(t, "DELKEY again", c.do("AGE", "DELKEY", "bob"), tInt(0))
	tEq(t, "DELKEY missing", c.do("AGE", "DELKEY", "nobody"), tInt(0))
	agErr(t, c, "ERR no key named 'bob'", "AGE", "SIGNNAME", "bob", "m")
	tEq(t, "LIST SIGN after DELKEY", agNames(t, c, "AGE", "LIST", "SIGN"), []string{"Carol"})
	agPair(t, c, "AGE", "SIGNKEYGEN", "bob") // the name is free again

	// Named-key commands in MULTI/EXEC, with other data commands.
	tEq(t, "MULTI", c.do("MULTI"), tOK)
	for _, args := range [][]string{{"AGE", "KEYGEN", "tx"}, {"AGE", "ENCRYPTNAME", "tx", "in tx"}, {"SET", "k", "v"}, {"AGE", "LIST", "ENC"}} {
		tEq(t, "queue", c.do(args...), "+QUEUED\r\n")
	}
	rep := agDo(t, c, "EXEC")
	if !rep.array || len(rep.elems) != 4 || !rep.elems[0].array {
		t.Fatalf("EXEC: %q", agClip(string(rep.raw)))
	}
	txID := agBulkOf(t, "EXEC KEYGEN identity", rep.elems[0].elems[1])
	tEq(t, "EXEC ENCRYPTNAME", string(agLibDecrypt(t, txID, agBulkOf(t, "EXEC ENCRYPTNAME", rep.elems[1]))), "in tx")
	tEq(t, "EXEC LIST", string(rep.elems[3].raw), "*4\r\n"+tBulk("alice")+tBulk("carol")+tBulk("tx")+tBulk("x y\r\nz"))

	// Durable across a restart of the server on the same directory.
	dir := srv.Dir
	srv.Close()
	srv2 := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	c2 := tSelected(t, srv2.Addr(), db)
	tEq(t, "LIST after restart", agNames(t, c2, "AGE", "LIST"), []string{"Carol", "alice", "bob", "carol", "tx", "x y\r\nz"})
	tEq(t, "DECRYPTNAME after restart", agStr(t, c2, "AGE", "DECRYPTNAME", "tx", agBulkOf(t, "", rep.elems[1])), "in tx")
}

// agFiles reads every file under dir.
func agFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAgeNamedKeysNotOnDiskInClear: names, identities and seeds are nowhere in the data
// directory's files; deleteDatabase removes the file that held them.
func TestAgeNamedKeysNotOnDiskInClear(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	const encName, signName = "NamedEncOscar7719", "NamedSignPapa3382"
	_, identity := agPair(t, c, "AGE", "KEYGEN", encName)
	_, secret := agPair(t, c, "AGE", "SIGNKEYGEN", signName)
	_, replacedID := agPair(t, c, "AGE", "KEYGEN", "NamedGoneQuebec5521")
	agPair(t, c, "AGE", "KEYGEN", "NamedGoneQuebec5521", "REPLACE")
	_, deletedSeed := agPair(t, c, "AGE", "SIGNKEYGEN", "NamedGoneRomeo6632")
	tEq(t, "DELKEY", c.do("AGE", "DELKEY", "NamedGoneRomeo6632"), tInt(1))
	// Stateless commands keep nothing either.
	statelessRcpt, statelessID := agPair(t, c, "AGE", "GENENC")
	agStr(t, c, "AGE", "DECRYPT", statelessID, agStr(t, c, "AGE", "ENCRYPT", statelessRcpt, "x"))
	agStr(t, c, "AGE", "ENCRYPTNAME", encName, "x")
	srv.Close()

	secrets := map[string][]byte{
		"enc name": []byte(encName), "sign name": []byte(signName), "identity": []byte(identity),
		"identity (lower case)": []byte(strings.ToLower(identity)),
		"seed b64":              []byte(secret), "seed": agB64(t, secret),
		"replaced identity": []byte(replacedID), "deleted seed": agB64(t, deletedSeed),
		"deleted name": []byte("NamedGoneRomeo6632"), "stateless identity": []byte(statelessID),
	}
	files := agFiles(t, srv.Dir)
	if len(files) < 2 {
		t.Fatalf("only %d files in the data directory", len(files))
	}
	for path, raw := range files {
		for what, s := range secrets {
			if bytes.Contains(raw, s) {
				t.Errorf("%s: the %s is in clear", filepath.Base(path), what)
			}
		}
	}
}

func TestAgeDeleteDatabaseRemovesNamedKeys(t *testing.T) {
	srv, _ := tServer(t, herodbtest.Options{})
	doomed := srv.CreateDatabase(t, "doomed", true)
	c := tSelected(t, srv.Addr(), doomed)
	_, identity := agPair(t, c, "AGE", "KEYGEN", "k")
	ct := agStr(t, c, "AGE", "ENCRYPTNAME", "k", "m")
	file := storage.FilePath(srv.Dir, doomed)
	tEventually(t, "the database file made by the first flush", func() bool { _, err := os.Stat(file); return err == nil })
	tNoErr(t, "DeleteDatabase", srv.Admin().DeleteDatabase(doomed))
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("the database file after deleteDatabase: %v", err)
	}
	// The open connection can no longer use the key.
	if got := string(agDo(t, c, "AGE", "DECRYPTNAME", "k", ct).raw); !strings.HasPrefix(got, "-") || strings.Contains(got, identity) {
		t.Fatalf("DECRYPTNAME after deleteDatabase: %q", agClip(got))
	}
	// A new database (a new id) has no named keys.
	fresh := srv.CreateDatabase(t, "fresh", true)
	if fresh == doomed {
		t.Fatal("a database id was reused")
	}
	c2 := tSelected(t, srv.Addr(), fresh)
	tEq(t, "LIST on a new database", agNames(t, c2, "AGE", "LIST"), []string{})
	for path, raw := range agFiles(t, srv.Dir) {
		if bytes.Contains(raw, []byte(identity)) {
			t.Errorf("%s holds the deleted identity", path)
		}
	}
}

// TestAgeNoSecretLeaks runs every AGE and SYM command, good and bad, with a debug log,
// then looks for identities, seeds, SYM keys and plaintexts in the log, error replies,
// CLIENT LIST and INFO.
func TestAgeNoSecretLeaks(t *testing.T) {
	var lb tLog
	srv, db := tServer(t, herodbtest.Options{Configure: func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	addr := srv.Addr()
	c := tSelected(t, addr, db)
	pre := tDial(t, addr) // before authentication too
	var secrets, errs []string
	do := func(c *tConn, args ...string) tReply {
		t.Helper()
		rep := agDo(t, c, args...)
		if strings.HasPrefix(string(rep.raw), "-") {
			errs = append(errs, string(rep.raw))
		}
		return rep
	}
	pair := func(c *tConn, args ...string) (string, string) {
		t.Helper()
		rep := do(c, args...)
		if !rep.array || len(rep.elems) != 2 {
			t.Fatalf("%s: %q", agShow(args), agClip(string(rep.raw)))
		}
		return agBulkOf(t, "", rep.elems[0]), agBulkOf(t, "", rep.elems[1])
	}
	str := func(c *tConn, args ...string) string {
		t.Helper()
		return agBulkOf(t, agShow(args), do(c, args...))
	}
	plain := func(s string) string { secrets = append(secrets, s); return s }

	for _, conn := range []*tConn{c, pre} {
		recipient, identity := pair(conn, "AGE", "GENENC")
		verify, seed := pair(conn, "AGE", "GENSIGN")
		symKey := str(conn, "SYM", "KEYGEN")
		priv64 := agEnc(ed25519.NewKeyFromSeed(agB64(t, seed)))
		secrets = append(secrets, identity, seed, symKey, priv64)
		m1, m2, m3 := plain("PlainSierra"+strconv.Itoa(len(secrets))), plain("PlainTango"+strconv.Itoa(len(secrets))), plain("PlainUniform"+strconv.Itoa(len(secrets)))
		ct := str(conn, "AGE", "ENCRYPT", recipient, m1)
		str(conn, "AGE", "DECRYPT", identity, ct)
		do(conn, "AGE", "DECRYPT", identity, agFlip(t, ct, -1))
		do(conn, "AGE", "DECRYPT", identity, "***"+m1)
		do(conn, "AGE", "DECRYPT", recipient, ct)
		do(conn, "AGE", "ENCRYPT", identity, m1)
		do(conn, "AGE", "ENCRYPT", seed, m1)
		sig := str(conn, "AGE", "SIGN", seed, m2)
		str(conn, "AGE", "SIGN", priv64, m2)
		do(conn, "AGE", "SIGN", identity, m2)
		do(conn, "AGE", "SIGN", symKey+"=", m2)
		do(conn, "AGE", "VERIFY", verify, m2, sig)
		do(conn, "AGE", "VERIFY", priv64, m2, sig)
		do(conn, "AGE", "VERIFY", seed, m2, sig)
		do(conn, "AGE", "VERIFY", identity, m2, sig)
		sct := str(conn, "SYM", "ENCRYPT", symKey, m3)
		str(conn, "SYM", "DECRYPT", symKey, sct)
		do(conn, "SYM", "DECRYPT", symKey, agFlip(t, sct, -1))
		do(conn, "SYM", "DECRYPT", symKey, "*"+m3)
		do(conn, "SYM", "ENCRYPT", identity, m3)
		do(conn, "SYM", "DECRYPT", seed+"x", sct)
		// Wrong arity with secrets as arguments.
		do(conn, "AGE", "DECRYPT", identity)
		do(conn, "AGE", "SIGN", seed, m2, "extra")
		do(conn, "SYM", "ENCRYPT", symKey)
		do(conn, "SYM", "DECRYPT", symKey, sct, m3)
		// Named-key commands (NOAUTH before SELECT).
		do(conn, "AGE", "DECRYPTNAME", "nosuch", ct)
	}
	_, kid := pair(c, "AGE", "KEYGEN", "named-enc")
	_, kseed := pair(c, "AGE", "SIGNKEYGEN", "named-sign")
	_, kid2 := pair(c, "AGE", "KEYGEN", "named-enc", "REPLACE")
	secrets = append(secrets, kid, kseed, kid2)
	m4 := plain("PlainVictor4410")
	nct := str(c, "AGE", "ENCRYPTNAME", "named-enc", m4)
	str(c, "AGE", "DECRYPTNAME", "named-enc", nct)
	do(c, "AGE", "DECRYPTNAME", "named-enc", agFlip(t, nct, -1))
	do(c, "AGE", "DECRYPTNAME", "named-sign", nct)
	nsig := str(c, "AGE", "SIGNNAME", "named-sign", m4)
	do(c, "AGE", "VERIFYNAME", "named-sign", m4, nsig)
	do(c, "AGE", "VERIFYNAME", "named-sign", m4, "***")
	do(c, "AGE", "SIGNNAME", "named-enc", m4)
	do(c, "AGE", "KEYGEN", "named-enc")
	do(c, "AGE", "LIST")
	do(c, "AGE", "LIST", "ENC")
	do(c, "AGE", "LIST", "SIGN")
	do(c, "AGE", "DELKEY", "named-sign")
	// In MULTI too.
	do(c, "MULTI")
	do(c, "AGE", "DECRYPTNAME", "named-enc", nct)
	do(c, "SYM", "ENCRYPT", secrets[2], m4)
	do(c, "EXEC")
	if len(errs) < 20 {
		t.Fatalf("only %d error replies: the test does not exercise the failures", len(errs))
	}

	// What an operator can see.
	adm := tDial(t, addr)
	tEq(t, "AUTH admin", adm.do("AUTH", herodbtest.AdminSecret), tOK)
	clientList := agBulkOf(t, "CLIENT LIST", agDo(t, adm, "CLIENT", "LIST"))
	if !strings.Contains(clientList, "cmd=age|") && !strings.Contains(clientList, "cmd=sym|") && !strings.Contains(clientList, "cmd=exec") {
		t.Errorf("CLIENT LIST shows no AGE/SYM/EXEC command: %q", clientList)
	}
	info := agBulkOf(t, "INFO", agDo(t, adm, "INFO", "everything"))
	clientInfo := agBulkOf(t, "CLIENT INFO", agDo(t, c, "CLIENT", "INFO"))
	logs := lb.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "age|decrypt") {
		t.Errorf("the debug log does not show the commands: the test does not see what it should")
	}
	for where, text := range map[string]string{
		"the log": logs, "CLIENT LIST": clientList, "INFO": info, "CLIENT INFO": clientInfo,
		"the error replies": strings.Join(errs, "\n"),
	} {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the secret or plaintext %q", where, agClip(s))
			}
		}
	}
	if t.Failed() {
		t.Logf("errors:\n%s", strings.Join(errs, ""))
	}
}

// TestAgeWithTheAgeTool: `age -d -i key.txt` decrypts AGE ENCRYPT's output, and herodb
// decrypts what `age -r` made. Skipped without the age binary.
func TestAgeWithTheAgeTool(t *testing.T) {
	ageBin, err := exec.LookPath("age")
	if err != nil {
		t.Skip("no age binary on PATH")
	}
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	dir := t.TempDir()
	run := func(stdin []byte, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(ageBin, args...)
		cmd.Stdin = bytes.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("age %s: %v: %s", args[0], err, stderr.String())
		}
		return out
	}
	recipient, identity := agPair(t, c, "AGE", "GENENC")
	nRecipient, nIdentity := agPair(t, c, "AGE", "KEYGEN", "tool")
	for i, pairs := range [][2]string{{recipient, identity}, {nRecipient, nIdentity}} {
		keyFile := filepath.Join(dir, "key"+strconv.Itoa(i)+".txt")
		if err := os.WriteFile(keyFile, []byte("# test key\n"+pairs[1]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, msg := range agMessages {
			var ct string
			if i == 0 {
				ct = agStr(t, c, "AGE", "ENCRYPT", pairs[0], msg)
			} else {
				ct = agStr(t, c, "AGE", "ENCRYPTNAME", "tool", msg)
			}
			ctFile := filepath.Join(dir, "ct.age")
			if err := os.WriteFile(ctFile, agB64(t, ct), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := run(nil, "-d", "-i", keyFile, ctFile); string(got) != msg {
				t.Fatalf("age -d of herodb's ciphertext: %d bytes, want %d", len(got), len(msg))
			}
			// The other way: age -r, decrypted by herodb.
			toolCT := agEnc(run([]byte(msg), "-r", pairs[0]))
			if got := agStr(t, c, "AGE", "DECRYPT", pairs[1], toolCT); got != msg {
				t.Fatalf("AGE DECRYPT of age's ciphertext: %d bytes, want %d", len(got), len(msg))
			}
			if i == 1 {
				if got := agStr(t, c, "AGE", "DECRYPTNAME", "tool", toolCT); got != msg {
					t.Fatal("AGE DECRYPTNAME of age's ciphertext: not the message")
				}
			}
		}
	}
}
