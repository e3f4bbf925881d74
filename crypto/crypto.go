// Package crypto holds herodb's few cryptographic nouns: keys derived from the admin
// secret (Argon2id), data keys and the subkeys derived from them (HKDF-SHA256), sealed
// records (XChaCha20-Poly1305) and the keyed name index (HMAC-SHA256).
//
// # Record layout
//
//	version (1) | term (4, big endian) | nonce (24) | ciphertext+tag
//
// The term names the data-key generation that sealed the record, so a database key can
// rotate later without a format change: old records name their term and still open.
//
// Errors never contain key material or plaintext.
package crypto

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime/debug"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// KeySize is the size of every symmetric key herodb uses.
const KeySize = 32

// RecordVersion is the first byte of every sealed record.
const RecordVersion = 1

// recordHeader is version + term; the nonce follows.
const recordHeader = 1 + 4

// Overhead is what sealing adds to a plaintext.
const Overhead = recordHeader + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

// Domain-separation labels for keys derived from one data key. A subkey used for one
// purpose can never be confused with another.
const (
	labelRecord = "herodb/v1/record"
	labelIndex  = "herodb/v1/name-index"
	labelWrap   = "herodb/v1/wrap"
	labelFile   = "herodb/v1/file-binding"
)

// ErrOpen is returned for any record that fails to open: tampered, truncated, moved to
// another place, or sealed under another key. One error for all, so nothing leaks.
var ErrOpen = errors.New("record failed authentication (tampered, moved or wrong key)")

// ErrUnknownTerm is returned for a record sealed under a key term this keyring lacks.
var ErrUnknownTerm = errors.New("record sealed under an unknown key term")

// KDFParams are Argon2id's parameters; they are stored next to the salt so that a later
// change of defaults never strands an existing directory.
type KDFParams struct {
	Time    uint32 `json:"time"`
	Memory  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
}

// DefaultKDF follows RFC 9106's second recommended option (64 MiB, 3 passes).
var DefaultKDF = KDFParams{Time: 3, Memory: 64 * 1024, Threads: 4}

// TestKDF is cheap, for tests and embedding; never for real secrets.
var TestKDF = KDFParams{Time: 1, Memory: 64, Threads: 1}

// DeriveKEK turns the admin secret into the key that wraps DB 0's data key.
//
// Argon2id's memory (64 MiB by default) is garbage once the key is out, but the runtime
// would keep it from the OS for minutes: a server that derives once at startup showed
// 66 MiB of anonymous RSS with nothing else in its heap. So a derivation of 8 MiB or more
// hands it back at once. It runs at startup and at admin secret rotations only.
func DeriveKEK(secret []byte, salt []byte, p KDFParams) []byte {
	k := argon2.IDKey(secret, salt, p.Time, p.Memory, p.Threads, KeySize)
	if p.Memory >= 8*1024 {
		debug.FreeOSMemory()
	}
	return k
}

// Random returns n bytes from the system's CSPRNG.
func Random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto: system randomness failed: " + err.Error())
	}
	return b
}

// derive expands one subkey of key for purpose (HKDF-SHA256; info binds the purpose).
func derive(key []byte, purpose string, context []byte) []byte {
	out := make([]byte, KeySize)
	r := hkdf.New(sha256.New, key, nil, append([]byte(purpose), context...))
	if _, err := io.ReadFull(r, out); err != nil {
		panic("crypto: hkdf: " + err.Error())
	}
	return out
}

// SubKey derives the key for one purpose from key (HKDF-SHA256), so one secret serves
// several uses without one use's key revealing another's.
func SubKey(key []byte, purpose string) []byte { return derive(key, purpose, nil) }

// DeriveDataKey mixes a caller-given key (HeroDB's per-database encryption_key) into a
// random data key, so that knowing either alone is not enough.
func DeriveDataKey(random, given []byte) []byte {
	if len(given) == 0 {
		return random
	}
	return derive(random, "herodb/v1/given-key", given)
}

// Keyring is the set of key terms of one database. Sealing uses the current term; opening
// uses the term named in the record.
type Keyring struct {
	current uint32
	terms   map[uint32]*term
	index   []byte // HMAC key of the name index; from term 1, so lookups never move
	file    []byte // HMAC key binding a file to its database; from term 1 too
	// indexMACs reuses HMAC states keyed with index: every command digests a name, and a
	// fresh HMAC hashes its key pads again each time.
	indexMACs sync.Pool
}

type term struct {
	aead interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	}
}

// NewKeyring builds a keyring from data keys by term (term ids start at 1). The highest
// term seals new records. Entry 0, when there, is no term: it holds the naming keys
// (NamingKeys) of a database whose term 1 a key rotation destroyed; without it they
// derive from term 1, which must then be there.
func NewKeyring(keys map[uint32][]byte) (*Keyring, error) {
	naming := keys[0]
	if naming == nil && keys[1] != nil {
		naming = NamingKeys(keys[1])
	}
	if len(naming) != 2*KeySize {
		return nil, errors.New("keyring needs term 1 or its naming keys")
	}
	kr := &Keyring{terms: map[uint32]*term{}}
	for id, k := range keys {
		if id == 0 {
			continue
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("key term %d has the wrong size", id)
		}
		t, err := newTerm(k)
		if err != nil {
			return nil, err
		}
		kr.terms[id] = t
		if id > kr.current {
			kr.current = id
		}
	}
	if kr.current == 0 {
		return nil, errors.New("keyring needs a key term")
	}
	kr.index, kr.file = naming[:KeySize:KeySize], naming[KeySize:]
	kr.indexMACs.New = func() any { return &indexMAC{h: hmac.New(sha256.New, kr.index)} }
	return kr, nil
}

// Seal encrypts plaintext bound to aad (its place) under the current term. A random
// 192-bit nonce per record makes collisions negligible without any counter state.
func (kr *Keyring) Seal(aad, plaintext []byte) []byte {
	return kr.terms[kr.current].seal(kr.current, aad, plaintext)
}

// Open decrypts a record sealed by Seal with the same aad.
func (kr *Keyring) Open(aad, record []byte) ([]byte, error) {
	id, err := recordTerm(record)
	if err != nil {
		return nil, err
	}
	t := kr.terms[id]
	if t == nil {
		return nil, ErrUnknownTerm
	}
	return t.open(aad, record)
}

// newTerm is the cipher of key term k.
func newTerm(k []byte) (*term, error) {
	aead, err := chacha20poly1305.NewX(derive(k, labelRecord, nil))
	if err != nil {
		return nil, err
	}
	return &term{aead: aead}, nil
}

// seal makes a record of plaintext under this term, numbered id.
func (t *term) seal(id uint32, aad, plaintext []byte) []byte {
	out := make([]byte, recordHeader+chacha20poly1305.NonceSizeX, Overhead+len(plaintext))
	out[0] = RecordVersion
	binary.BigEndian.PutUint32(out[1:], id)
	nonce := out[recordHeader:] // drawn in place: Seal reads it before it writes past it
	if _, err := rand.Read(nonce); err != nil {
		panic("crypto: system randomness failed: " + err.Error())
	}
	return t.aead.Seal(out, nonce, plaintext, aad)
}

// recordTerm is the term a record names, once its length and version are checked.
func recordTerm(record []byte) (uint32, error) {
	if len(record) < Overhead || record[0] != RecordVersion {
		return 0, ErrOpen
	}
	return binary.BigEndian.Uint32(record[1:]), nil
}

// open decrypts a record of this term (recordTerm checked it).
func (t *term) open(aad, record []byte) ([]byte, error) {
	nonce := record[recordHeader : recordHeader+chacha20poly1305.NonceSizeX]
	pt, err := t.aead.Open(nil, nonce, record[recordHeader+chacha20poly1305.NonceSizeX:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Index returns the keyed digest under which a name is looked up, so names never sit on
// disk in clear. The domain tag keeps key names and field names in separate spaces.
func (kr *Keyring) Index(domain byte, parts ...[]byte) []byte {
	m := kr.indexMACs.Get().(*indexMAC)
	m.h.Reset()
	out := digestPartsWith(m.h, &m.n, domain, parts)
	kr.indexMACs.Put(m)
	return out
}

// indexMAC is a pooled HMAC state and the scratch its length prefixes are written from
// (a local array passed to the hash's Write escaped: one allocation per digest).
type indexMAC struct {
	h hash.Hash
	n [4]byte
}

// FileMAC is the keyed digest that binds a database file to its database: HMAC-SHA256,
// under a subkey of the data key of term 1 (so a key rotation never rebinds a file),
// over length-prefixed parts (the file's format fields, database id and identity).
// Only the holder of the database's key can make one, so a plaintext id beside it can
// be checked, and a file moved into another database's place is told apart.
func (kr *Keyring) FileMAC(parts ...[]byte) []byte {
	return keyedDigest(kr.file, 'F', parts)
}

// CheckFileMAC reports, in constant time, whether mac is FileMAC(parts...).
func (kr *Keyring) CheckFileMAC(mac []byte, parts ...[]byte) bool {
	return hmac.Equal(mac, kr.FileMAC(parts...))
}

// keyedDigest is HMAC-SHA256 under key of a domain tag and length-prefixed parts, so no
// two different lists of parts digest the same bytes.
func keyedDigest(key []byte, domain byte, parts [][]byte) []byte {
	return digestParts(hmac.New(sha256.New, key), domain, parts)
}

func digestParts(m hash.Hash, domain byte, parts [][]byte) []byte {
	var n [4]byte
	return digestPartsWith(m, &n, domain, parts)
}

func digestPartsWith(m hash.Hash, n *[4]byte, domain byte, parts [][]byte) []byte {
	n[0] = domain
	m.Write(n[:1])
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write(p)
	}
	return m.Sum(make([]byte, 0, sha256.Size))
}

// Wrap seals a data key under a wrapping key, bound to aad (e.g. the database id): a
// record of term 1 of a keyring whose one term derives from the wrapping key. It builds
// that term alone, not a whole keyring (whose naming keys cost two more derivations,
// on every open of a database).
func Wrap(wrappingKey, aad, key []byte) ([]byte, error) {
	t, err := newTerm(derive(wrappingKey, labelWrap, nil))
	if err != nil {
		return nil, err
	}
	return t.seal(1, aad, key), nil
}

// Unwrap opens a key sealed by Wrap.
func Unwrap(wrappingKey, aad, wrapped []byte) ([]byte, error) {
	id, err := recordTerm(wrapped)
	if err != nil {
		return nil, err
	}
	if id != 1 {
		return nil, ErrUnknownTerm
	}
	t, err := newTerm(derive(wrappingKey, labelWrap, nil))
	if err != nil {
		return nil, err
	}
	return t.open(aad, wrapped)
}

// SHA256Hex is how access keys are stored in DB 0 (HeroDB's layout).
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Digest is the fixed-size form in which secrets are compared.
func Digest(b []byte) [32]byte { return sha256.Sum256(b) }

// Equal compares two digests in constant time.
func Equal(a, b [32]byte) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }
