package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seed6aa118f9/herodb/crypto"
)

var jwtCommands = map[string]subcommand{
	"keygen": {`herodb jwt keygen --out DIR [--json]

Writes an Ed25519 key pair for minting JWTs: DIR/jwt_private.pem (0600; keep it in your
auth service) and DIR/jwt_public.pem (give it to herodb with --jwt-key-file). Both are
openssl-compatible. Prints the key id (its RFC 7638 thumbprint).

  herodb jwt keygen --out ./keys`, jwtKeygen},
	"mint": {`herodb jwt mint --key jwt_private.pem --db app [--db 7] [--ro] --ttl 1h [--kid K] [--jti ID] [--json]

Prints a signed token, alone, on stdout: read-write on the named databases (read-only
with --ro), expiring after --ttl. --json prints one object: token, kid, jti, expires_at.

  herodb jwt mint --key keys/jwt_private.pem --db app --ttl 1h`, jwtMint},
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func jwtKeygen(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	out := fs.String("out", "", "directory to write the key pair into")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *out == "" {
		return errors.New("want --out DIR (see --help)")
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	privPath := filepath.Join(*out, "jwt_private.pem")
	f, err := os.OpenFile(privPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write private key: %w (refusing to overwrite an existing key)", err)
	}
	if _, err := f.Write(crypto.MarshalPrivateKeyPEM(priv)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	pubPath := filepath.Join(*out, "jwt_public.pem")
	if err := os.WriteFile(pubPath, crypto.MarshalPublicKeyPEM(pub), 0o644); err != nil {
		return err
	}
	kid := crypto.Thumbprint(pub)
	printDone(cf, map[string]any{"private_key": privPath, "public_key": pubPath, "kid": kid},
		"wrote %s (keep it secret) and %s\nkid: %s", privPath, pubPath, kid)
	return nil
}

func jwtMint(fs *flag.FlagSet, cf *clientFlags, args []string) error {
	keyPath := fs.String("key", "", "the Ed25519 private key (PEM)")
	var dbs multiFlag
	fs.Var(&dbs, "db", "a database name or id the token opens (repeat for more)")
	ro := fs.Bool("ro", false, "read-only")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	kid := fs.String("kid", "", "key id header (default: the key's thumbprint)")
	jti := fs.String("jti", "", "token id, for revokeJwt (default: random)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *keyPath == "" || len(dbs) == 0 {
		return errors.New("want --key FILE and at least one --db (see --help)")
	}
	if *ttl <= 0 {
		return errors.New("--ttl must be positive")
	}
	text, err := os.ReadFile(*keyPath)
	if err != nil {
		return err
	}
	priv, err := crypto.ParsePrivateKeyPEM(text)
	if err != nil {
		return fmt.Errorf("%s: %v", *keyPath, err)
	}
	if *kid == "" {
		*kid = crypto.Thumbprint(priv.Public().(ed25519.PublicKey))
	}
	if *jti == "" {
		*jti = strconv.FormatUint(uint64(time.Now().UnixNano()), 36) + fmt.Sprintf("%x", crypto.Random(6))
	}
	perm := "rw"
	if *ro {
		perm = "ro"
	}
	now := time.Now()
	exp := now.Add(*ttl).Unix()
	claims := jwt.MapClaims{
		"p":   map[string]any{perm: map[string]any{"ns": []string(dbs)}},
		"iat": now.Unix(),
		"exp": exp,
		"jti": *jti,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = *kid
	s, err := tok.SignedString(priv)
	if err != nil {
		return err
	}
	printDone(cf, map[string]any{"token": s, "kid": *kid, "jti": *jti, "expires_at": exp}, "%s", s)
	return nil
}
