package crypto

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// PublicKey is an Ed25519 public key with its id: the RFC 7638 JWK thumbprint.
type PublicKey struct {
	Key ed25519.PublicKey
	ID  string
}

// Thumbprint is the RFC 7638 JWK thumbprint of an Ed25519 public key, base64url: the
// SHA-256 of {"crv":"Ed25519","kty":"OKP","x":"…"} with members in that order.
func Thumbprint(k ed25519.PublicKey) string {
	jwk := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(k) + `"}`
	sum := sha256.Sum256([]byte(jwk))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ErrPrivateKey is returned when a private key is given where a public key belongs, so
// the operator learns at once that the server must never hold it.
var ErrPrivateKey = errors.New("a PRIVATE KEY was given where public keys belong: give the public key (openssl pkey -in key.pem -pubout)")

// ParsePublicKeys reads Ed25519 public keys as libSQL sqld does: concatenated
// "PUBLIC KEY" PEM blocks, or raw 32-byte keys in base64url (one per line). Errors never
// contain the input.
func ParsePublicKeys(text []byte) ([]PublicKey, error) {
	var out []PublicKey
	rest := bytes.TrimSpace(text)
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		for len(bytes.TrimSpace(rest)) > 0 {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				return nil, errors.New("unreadable PEM block in the key text")
			}
			if strings.Contains(block.Type, "PRIVATE") {
				return nil, ErrPrivateKey
			}
			if block.Type != "PUBLIC KEY" {
				return nil, fmt.Errorf("unexpected PEM block %q: want PUBLIC KEY", block.Type)
			}
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, errors.New("a PUBLIC KEY block is not a valid public key")
			}
			ek, ok := k.(ed25519.PublicKey)
			if !ok {
				return nil, errors.New("a PUBLIC KEY block is not an Ed25519 key: herodb verifies EdDSA (Ed25519) only")
			}
			out = append(out, PublicKey{Key: ek, ID: Thumbprint(ek)})
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(rest))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(line, "="))
			if err != nil || len(raw) != ed25519.PublicKeySize {
				if err == nil && len(raw) == ed25519.PrivateKeySize {
					return nil, ErrPrivateKey
				}
				return nil, errors.New("a key line is not a 32-byte Ed25519 public key in base64url")
			}
			out = append(out, PublicKey{Key: ed25519.PublicKey(raw), ID: Thumbprint(raw)})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no public key found")
	}
	return out, nil
}

// MarshalPublicKeyPEM writes k as a PUBLIC KEY PEM block (openssl-compatible).
func MarshalPublicKeyPEM(k ed25519.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// MarshalPrivateKeyPEM writes k as a PKCS #8 PRIVATE KEY PEM block (openssl-compatible).
func MarshalPrivateKeyPEM(k ed25519.PrivateKey) []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// ParsePrivateKeyPEM reads a PKCS #8 Ed25519 private key (openssl genpkey -algorithm ed25519).
func ParsePrivateKeyPEM(text []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(text)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PRIVATE KEY PEM file")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("unreadable private key")
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("not an Ed25519 private key")
	}
	return ek, nil
}
