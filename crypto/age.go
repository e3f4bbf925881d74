package crypto

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// The AGE and SYM commands' crypto, in HeroDB's formats: standard base64 with padding
// everywhere, age's binary format for AGE ciphertexts, nonce‖XChaCha20-Poly1305 for SYM.
// Errors never contain the keys or messages given.

// MaxAgeMessage bounds a decrypted AGE message (the same as a string value).
const MaxAgeMessage = 512 << 20

var (
	ErrBadBase64    = errors.New("invalid base64 (want standard base64 with padding)")
	ErrBadRecipient = errors.New("invalid age recipient (want age1…)")
	ErrBadIdentity  = errors.New("invalid age identity (want AGE-SECRET-KEY-1…)")
	ErrDecrypt      = errors.New("decryption failed: wrong key or tampered ciphertext")
	ErrBadSignKey   = errors.New("invalid signing key (want base64 of a 32-byte Ed25519 seed or a 64-byte private key)")
	ErrBadVerifyKey = errors.New("invalid verify key (want base64 of a 32-byte Ed25519 public key)")
	ErrBadSymKey    = errors.New("invalid SYM key (want base64 of 32 bytes)")
)

var b64 = base64.StdEncoding

// GenerateAgeKey returns a new X25519 recipient and identity.
func GenerateAgeKey() (recipient, identity string) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		panic("crypto: age key generation failed: " + err.Error())
	}
	return id.Recipient().String(), id.String()
}

// AgeEncrypt encrypts msg to recipient and returns base64 of the age ciphertext.
func AgeEncrypt(recipient string, msg []byte) (string, error) {
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return "", ErrBadRecipient
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return "", err
	}
	if _, err := w.Write(msg); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return b64.EncodeToString(buf.Bytes()), nil
}

// AgeDecrypt decrypts base64 of an age ciphertext with identity.
func AgeDecrypt(identity string, ctB64 []byte) ([]byte, error) {
	id, err := age.ParseX25519Identity(identity)
	if err != nil {
		return nil, ErrBadIdentity
	}
	ct, err := b64.DecodeString(string(ctB64))
	if err != nil {
		return nil, ErrBadBase64
	}
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		return nil, ErrDecrypt
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxAgeMessage+1))
	if err != nil || len(out) > MaxAgeMessage {
		return nil, ErrDecrypt
	}
	return out, nil
}

// GenerateSignKey returns base64 of a new Ed25519 public key and of its 32-byte seed,
// as HeroDB emits them.
func GenerateSignKey() (verifyB64, secretB64 string) {
	seed := Random(ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	return b64.EncodeToString(priv.Public().(ed25519.PublicKey)), b64.EncodeToString(seed)
}

func signKey(secretB64 string) (ed25519.PrivateKey, error) {
	raw, err := b64.DecodeString(secretB64)
	if err != nil {
		return nil, ErrBadSignKey
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		k := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !bytes.Equal(k, raw) {
			return nil, ErrBadSignKey
		}
		return k, nil
	}
	return nil, ErrBadSignKey
}

// Sign signs msg with a base64 seed (or 64-byte private key); base64 of the signature.
func Sign(secretB64 string, msg []byte) (string, error) {
	k, err := signKey(secretB64)
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(ed25519.Sign(k, msg)), nil
}

// Verify reports whether sigB64 is a signature of msg by verifyB64. A malformed
// signature is simply not valid; a malformed key is an error.
func Verify(verifyB64 string, msg []byte, sigB64 string) (bool, error) {
	pub, err := b64.DecodeString(verifyB64)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false, ErrBadVerifyKey
	}
	sig, err := b64.DecodeString(sigB64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false, nil
	}
	return ed25519.Verify(ed25519.PublicKey(pub), msg, sig), nil
}

// SymKeygen returns base64 of a new 32-byte key.
func SymKeygen() string { return b64.EncodeToString(Random(chacha20poly1305.KeySize)) }

func symAEAD(keyB64 string) (interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}, error) {
	key, err := b64.DecodeString(keyB64)
	if err != nil || len(key) != chacha20poly1305.KeySize {
		return nil, ErrBadSymKey
	}
	return chacha20poly1305.NewX(key)
}

// SymEncrypt returns base64 of nonce‖XChaCha20-Poly1305(msg).
func SymEncrypt(keyB64 string, msg []byte) (string, error) {
	aead, err := symAEAD(keyB64)
	if err != nil {
		return "", err
	}
	nonce := Random(chacha20poly1305.NonceSizeX)
	return b64.EncodeToString(aead.Seal(nonce, nonce, msg, nil)), nil
}

// SymDecrypt opens base64 of nonce‖ciphertext.
func SymDecrypt(keyB64 string, ctB64 []byte) ([]byte, error) {
	aead, err := symAEAD(keyB64)
	if err != nil {
		return nil, err
	}
	ct, err := b64.DecodeString(string(ctB64))
	if err != nil {
		return nil, ErrBadBase64
	}
	if len(ct) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
		return nil, ErrDecrypt
	}
	pt, err := aead.Open(nil, ct[:chacha20poly1305.NonceSizeX], ct[chacha20poly1305.NonceSizeX:], nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
