package server

// AGE and SYM: HeroDB's crypto-service commands, with its reply shapes (HeroDB's clients
// depend on them: AGE VERIFY answers the string "1" or "0", not an integer). Stateless
// ones work on any connection; named keys live in the selected database, sealed like its
// data but outside its keyspace. Arguments are never logged: they hold private keys.

import (
	"errors"
	"strings"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// cryptoCommands registers this file's commands (called from table.go).
func cryptoCommands() {
	stateless := flagStateless | flagFast
	register("crypto",
		&command{name: "age", arity: -2, flags: flagStateless,
			syntax: "AGE subcommand ...", summary: "age encryption and Ed25519 signatures (HeroDB's crypto service)."},
		&command{name: "age|genenc", arity: 2, flags: stateless, run: ageGenEnc,
			syntax: "AGE GENENC", summary: "A new X25519 key pair: [recipient \"age1…\", identity \"AGE-SECRET-KEY-1…\"]."},
		&command{name: "age|gensign", arity: 2, flags: stateless, run: ageGenSign,
			syntax: "AGE GENSIGN", summary: "A new Ed25519 key pair: [verify_pub_b64, sign_secret_b64 (the 32-byte seed)]."},
		&command{name: "age|encrypt", arity: 4, flags: flagStateless, run: ageEncrypt,
			syntax: "AGE ENCRYPT recipient message", summary: "base64 of the binary age ciphertext."},
		&command{name: "age|decrypt", arity: 4, flags: flagStateless, run: ageDecrypt,
			syntax: "AGE DECRYPT identity ciphertext_b64", summary: "The plaintext."},
		&command{name: "age|sign", arity: 4, flags: stateless, run: ageSign,
			syntax: "AGE SIGN sign_secret_b64 message", summary: "base64 Ed25519 signature (a 32-byte seed or a 64-byte private key)."},
		&command{name: "age|verify", arity: 5, flags: stateless, run: ageVerify,
			syntax: "AGE VERIFY verify_pub_b64 message signature_b64", summary: "The string \"1\" or \"0\" (a string: HeroDB's clients fail on an integer)."},
		&command{name: "age|keygen", arity: -3, flags: flagWrite, v: vAgeKey, run: ageKeygen,
			syntax: "AGE KEYGEN name [REPLACE]", summary: "A named X25519 key pair kept in the database: [recipient, identity]."},
		&command{name: "age|signkeygen", arity: -3, flags: flagWrite, run: ageKeygen,
			syntax: "AGE SIGNKEYGEN name [REPLACE]", summary: "A named Ed25519 key pair kept in the database: [verify_pub_b64, sign_secret_b64]."},
		&command{name: "age|encryptname", arity: 4, flags: flagRead, run: ageEncryptName,
			syntax: "AGE ENCRYPTNAME name message", summary: "Encrypts to the named key; base64 ciphertext."},
		&command{name: "age|decryptname", arity: 4, flags: flagRead, run: ageDecryptName,
			syntax: "AGE DECRYPTNAME name ciphertext_b64", summary: "Decrypts with the named key."},
		&command{name: "age|signname", arity: 4, flags: flagRead, run: ageSignName,
			syntax: "AGE SIGNNAME name message", summary: "Signs with the named key; base64 signature."},
		&command{name: "age|verifyname", arity: 5, flags: flagRead, run: ageVerifyName,
			syntax: "AGE VERIFYNAME name message signature_b64", summary: "\"1\" or \"0\" against the named key."},
		&command{name: "age|list", arity: -2, flags: flagRead, run: ageList,
			syntax: "AGE LIST [ENC|SIGN]", summary: "Names of the kept keys (a flat array), optionally of one kind."},
		&command{name: "age|delkey", arity: 3, flags: flagWrite, run: ageDelKey,
			syntax: "AGE DELKEY name", summary: "Deletes a named key; 1 if it existed, else 0."},
		&command{name: "sym", arity: -2, flags: flagStateless,
			syntax: "SYM subcommand ...", summary: "Symmetric XChaCha20-Poly1305 (stateless)."},
		&command{name: "sym|keygen", arity: 2, flags: stateless, run: symKeygen,
			syntax: "SYM KEYGEN", summary: "base64 of a new 32-byte key."},
		&command{name: "sym|encrypt", arity: 4, flags: flagStateless, run: symEncrypt,
			syntax: "SYM ENCRYPT key_b64 message", summary: "base64 of nonce‖XChaCha20-Poly1305 ciphertext."},
		&command{name: "sym|decrypt", arity: 4, flags: flagStateless, run: symDecrypt,
			syntax: "SYM DECRYPT key_b64 ciphertext_b64", summary: "The plaintext."},
	)
}

// cryptoErr answers a crypto failure (errCrypto).
func cryptoErr(c *call, err error) error {
	c.r.err(errCrypto(err))
	return nil
}

func pair(c *call, a, b string) {
	c.r.array(2)
	c.r.bulkString(a)
	c.r.bulkString(b)
}

// AGE GENENC
func ageGenEnc(c *call) error {
	recipient, identity := crypto.GenerateAgeKey()
	pair(c, recipient, identity)
	return nil
}

// AGE GENSIGN
func ageGenSign(c *call) error {
	verify, secret := crypto.GenerateSignKey()
	pair(c, verify, secret)
	return nil
}

// AGE ENCRYPT recipient message
func ageEncrypt(c *call) error {
	ct, err := crypto.AgeEncrypt(string(c.args[2]), c.args[3])
	if err != nil {
		return cryptoErr(c, err)
	}
	c.r.bulkString(ct)
	return nil
}

// AGE DECRYPT identity ciphertext_b64
func ageDecrypt(c *call) error {
	pt, err := crypto.AgeDecrypt(string(c.args[2]), c.args[3])
	if err != nil {
		return cryptoErr(c, err)
	}
	c.r.bulk(pt)
	return nil
}

// AGE SIGN sign_secret_b64 message
func ageSign(c *call) error {
	sig, err := crypto.Sign(string(c.args[2]), c.args[3])
	if err != nil {
		return cryptoErr(c, err)
	}
	c.r.bulkString(sig)
	return nil
}

// AGE VERIFY verify_pub_b64 message signature_b64
func ageVerify(c *call) error {
	ok, err := crypto.Verify(string(c.args[2]), c.args[3], string(c.args[4]))
	if err != nil {
		return cryptoErr(c, err)
	}
	c.r.bulkString(verdict(ok))
	return nil
}

// verdict is AGE VERIFY's answer: the string "1" or "0", as HeroDB's clients expect.
func verdict(ok bool) string {
	if ok {
		return "1"
	}
	return "0"
}

// AGE KEYGEN name [REPLACE] / AGE SIGNKEYGEN name [REPLACE]
func ageKeygen(c *call) error {
	replace := false
	switch {
	case len(c.args) == 4 && strings.EqualFold(string(c.args[3]), "replace"):
		replace = true
	case len(c.args) != 3:
		c.r.err(errSyntax)
		return nil
	}
	k := storage.NamedKey{Name: c.args[2]}
	if c.row.has(vAgeKey) {
		k.Kind = 'e'
		k.Public, k.Secret = crypto.GenerateAgeKey()
	} else {
		k.Kind = 's'
		k.Public, k.Secret = crypto.GenerateSignKey()
	}
	done, err := c.tx.PutNamedKey(k, replace)
	if err != nil {
		return c.fail(err)
	}
	if !done {
		c.r.err(errNamedKeyExists(c.args[2]))
		return nil
	}
	pair(c, k.Public, k.Secret)
	return nil
}

var errNoNamedKey = errors.New("no such key")

// namedKey finds a named key of kind, or writes the error reply.
func namedKey(c *call, kind byte) (*storage.NamedKey, error) {
	k, err := c.tx.GetNamedKey(c.args[2])
	if err != nil {
		return nil, err
	}
	if k == nil {
		c.r.err(errNamedKeyMissing(c.args[2]))
		return nil, errNoNamedKey
	}
	if k.Kind != kind {
		c.r.err(errNamedKeyKind(c.args[2], kind))
		return nil, errNoNamedKey
	}
	return k, nil
}

// withNamed runs fn with the named key of kind; a missing key is a reply, not a failure.
func withNamed(c *call, kind byte, fn func(*storage.NamedKey) error) error {
	k, err := namedKey(c, kind)
	if errors.Is(err, errNoNamedKey) {
		return nil
	}
	if err != nil {
		return c.fail(err)
	}
	return fn(k)
}

// AGE ENCRYPTNAME name message
func ageEncryptName(c *call) error {
	return withNamed(c, 'e', func(k *storage.NamedKey) error {
		ct, err := crypto.AgeEncrypt(k.Public, c.args[3])
		if err != nil {
			return cryptoErr(c, err)
		}
		c.r.bulkString(ct)
		return nil
	})
}

// AGE DECRYPTNAME name ciphertext_b64
func ageDecryptName(c *call) error {
	return withNamed(c, 'e', func(k *storage.NamedKey) error {
		pt, err := crypto.AgeDecrypt(k.Secret, c.args[3])
		if err != nil {
			return cryptoErr(c, err)
		}
		c.r.bulk(pt)
		return nil
	})
}

// AGE SIGNNAME name message
func ageSignName(c *call) error {
	return withNamed(c, 's', func(k *storage.NamedKey) error {
		sig, err := crypto.Sign(k.Secret, c.args[3])
		if err != nil {
			return cryptoErr(c, err)
		}
		c.r.bulkString(sig)
		return nil
	})
}

// AGE VERIFYNAME name message signature_b64
func ageVerifyName(c *call) error {
	return withNamed(c, 's', func(k *storage.NamedKey) error {
		ok, err := crypto.Verify(k.Public, c.args[3], string(c.args[4]))
		if err != nil {
			return cryptoErr(c, err)
		}
		c.r.bulkString(verdict(ok))
		return nil
	})
}

// AGE LIST [ENC|SIGN]
func ageList(c *call) error {
	var kind byte
	switch {
	case len(c.args) == 2:
	case len(c.args) == 3 && strings.EqualFold(string(c.args[2]), "enc"):
		kind = 'e'
	case len(c.args) == 3 && strings.EqualFold(string(c.args[2]), "sign"):
		kind = 's'
	default:
		c.r.err(errSyntax)
		return nil
	}
	keys, err := c.tx.ListNamedKeys()
	if err != nil {
		return c.fail(err)
	}
	var names [][]byte
	for _, k := range keys {
		if kind == 0 || k.Kind == kind {
			names = append(names, k.Name)
		}
	}
	c.r.bulks(names)
	return nil
}

// AGE DELKEY name
func ageDelKey(c *call) error {
	ok, err := c.tx.DeleteNamedKey(c.args[2])
	if err != nil {
		return c.fail(err)
	}
	c.r.bool(ok)
	return nil
}

// SYM KEYGEN
func symKeygen(c *call) error {
	c.r.bulkString(crypto.SymKeygen())
	return nil
}

// SYM ENCRYPT key_b64 message
func symEncrypt(c *call) error {
	ct, err := crypto.SymEncrypt(string(c.args[2]), c.args[3])
	if err != nil {
		return cryptoErr(c, err)
	}
	c.r.bulkString(ct)
	return nil
}

// SYM DECRYPT key_b64 ciphertext_b64
func symDecrypt(c *call) error {
	pt, err := crypto.SymDecrypt(string(c.args[2]), c.args[3])
	if err != nil {
		return cryptoErr(c, err)
	}
	c.r.bulk(pt)
	return nil
}
