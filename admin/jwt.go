package admin

import (
	"crypto/ed25519"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// JWT verification follows libSQL sqld (Ed25519 public keys, its "p" claims), made
// strict: exp is required, a token must name its databases, DB 0 is never granted.

// MaxJWTSize bounds a token before any decoding.
const MaxJWTSize = 8 << 10

// jwtSkew is the clock skew allowed for nbf and iat.
const jwtSkew = 60 * time.Second

// JWTConfig is the server-wide JWT policy.
type JWTConfig struct {
	// Load returns the server-wide key text (PUBLIC KEY PEM blocks or base64url keys);
	// nil means no server-wide keys. It is called at start and on every reload.
	Load          func() ([]byte, error)
	Leeway        time.Duration // added to exp; at most 60 s
	Audience      string        // when set, aud must contain it
	Issuer        string        // when set, iss must equal it
	AllowWildcard bool          // honour "*" (every database but DB 0)
}

// sqld's error codes, carried after the WRONGPASS prefix.
const (
	JWTInvalid  = "AUTH_JWT_INVALID"
	JWTExpired  = "AUTH_JWT_EXPIRED"
	JWTImmature = "AUTH_JWT_IMMATURE"
)

func jwtErr(code, msg string) *Error { return &Error{Code: EUNAUTHORIZED, Message: code + " " + msg} }

// JWTExpiredError is the refusal of a JWT on or after its exp: at AUTH, from the cache
// or the claims, and mid-session, when a transport notices a held grant's time is up.
func JWTExpiredError() *Error {
	return jwtErr(JWTExpired, "the token has expired: get a fresh one and AUTH again")
}

type jwtState struct {
	cfg   JWTConfig
	mu    sync.RWMutex
	keys  []crypto.PublicKey
	deny  map[string]int64 // jti → exp (unix seconds)
	cache map[[32]byte]jwtCached
}

type jwtCached struct {
	grant *Grant
	gen   uint64
}

// initJWT loads the policy, the server-wide keys and the denylist from DB 0.
func (a *Admin) initJWT(cfg JWTConfig) error {
	if cfg.Leeway < 0 || cfg.Leeway > 60*time.Second {
		return Errorf(EINVALID, "JWT leeway must be between 0 and 60 seconds")
	}
	a.jwt = &jwtState{cfg: cfg, deny: map[string]int64{}, cache: map[[32]byte]jwtCached{}}
	if err := a.ReloadJWTKeys(); err != nil {
		return err
	}
	now := a.clock.Now().Unix()
	return a.db0.View(func(tx *storage.Tx) error {
		for _, kv := range tx.SysPrefix("jwt-deny:") {
			exp, _ := strconv.ParseInt(string(kv[1]), 10, 64)
			if exp > now {
				a.jwt.deny[strings.TrimPrefix(string(kv[0]), "jwt-deny:")] = exp
			}
		}
		return nil
	})
}

// ReloadJWTKeys reads the server-wide keys again (SIGHUP, RPC reloadJwtKeys). On error
// the old keys stay. Cached verifications are dropped at once.
func (a *Admin) ReloadJWTKeys() error {
	var keys []crypto.PublicKey
	if a.jwt.cfg.Load != nil {
		text, err := a.jwt.cfg.Load()
		if err != nil {
			return Errorf(EINVALID, "JWT keys: %v", err)
		}
		if keys, err = crypto.ParsePublicKeys(text); err != nil {
			return Errorf(EINVALID, "JWT keys: %v", err)
		}
	}
	a.jwt.mu.Lock()
	a.jwt.keys = keys
	a.jwt.cache = map[[32]byte]jwtCached{}
	a.jwt.mu.Unlock()
	a.changeCredentials()
	return nil
}

// JWTKeyIDs lists the ids (RFC 7638 thumbprints) of the server-wide keys.
func (a *Admin) JWTKeyIDs() []string {
	a.jwt.mu.RLock()
	defer a.jwt.mu.RUnlock()
	var ids []string
	for _, k := range a.jwt.keys {
		ids = append(ids, k.ID)
	}
	return ids
}

// SetDatabaseJWTKey gives database id its own JWT public key (PEM or base64url; empty
// removes it): tokens for it must then verify against that key, and the server-wide
// keys no longer open it. Takes effect at once, also on open connections.
func (a *Admin) SetDatabaseJWTKey(id uint64, text string) error {
	var key ed25519.PublicKey
	if text != "" {
		keys, err := crypto.ParsePublicKeys([]byte(text))
		if err != nil {
			return Errorf(EINVALID, "jwt key: %v", err)
		}
		if len(keys) != 1 {
			return Errorf(EINVALID, "jwt key: give exactly one public key")
		}
		key = keys[0].Key
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.regLocked(id)
	if d == nil || d.Deleted() {
		return Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	if err := d.Unusable(); err != nil {
		return err // resealing would trust the tampered registration as it stands
	}
	val := ""
	if key != nil {
		val = base64.RawURLEncoding.EncodeToString(key)
	}
	err := a.db0.Update(func(tx *storage.Tx) error {
		var err error
		if val == "" {
			_, err = tx.HDel(metaKey(id), [][]byte{[]byte("jwt_key")})
		} else {
			_, err = tx.HSet(metaKey(id), [][]byte{[]byte("jwt_key"), []byte(val)})
		}
		if err != nil {
			return err
		}
		return a.sealRegistration(tx, id)
	})
	if err != nil {
		return err
	}
	a.changeDatabase(id, func(d *Database) { d.JWTKey = key })
	a.changeCredentials()
	return nil
}

// RevokeJWT refuses every token with this jti until exp (unix seconds), at once and on
// open connections at their next command. The entry is kept in DB 0 until exp.
func (a *Admin) RevokeJWT(jti string, exp int64) error {
	if jti == "" {
		return Errorf(EINVALID, "jti must not be empty")
	}
	now := a.clock.Now().Unix()
	if exp <= now {
		return Errorf(EINVALID, "exp must be in the future (unix seconds): a token past its exp is refused anyway")
	}
	err := a.db0.Update(func(tx *storage.Tx) error {
		for _, kv := range tx.SysPrefix("jwt-deny:") { // drop entries whose tokens expired
			if e, _ := strconv.ParseInt(string(kv[1]), 10, 64); e <= now {
				if err := tx.SysDelete(string(kv[0])); err != nil {
					return err
				}
			}
		}
		return tx.SysPut("jwt-deny:"+jti, []byte(strconv.FormatInt(exp, 10)))
	})
	if err != nil {
		return err
	}
	a.jwt.mu.Lock()
	for j, e := range a.jwt.deny {
		if e <= now {
			delete(a.jwt.deny, j)
		}
	}
	a.jwt.deny[jti] = exp
	a.jwt.mu.Unlock()
	a.changeCredentials()
	return nil
}
