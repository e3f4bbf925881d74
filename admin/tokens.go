package admin

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// Named tokens, in the shape of the npm registry's token API: created with a name and
// scopes, listed, revoked, rotated, and shown once. DB 0 keeps each token's record under
// meta:token:<id> (sealed like every DB 0 value): its fields and sha256(secret), never
// the secret.

// Token is what DB 0 keeps of a named token, and what listTokens shows.
type Token struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Scopes     []Scope `json:"scopes"`
	CreatedAt  int64   `json:"created_at"`
	UpdatedAt  int64   `json:"updated_at"`
	ExpiresAt  *int64  `json:"expires_at"`
	LastUsedAt *int64  `json:"last_used_at"`
	CreatedBy  string  `json:"created_by"`
	RevokedAt  *int64  `json:"revoked_at"`
	Hash       string  `json:"-"` // sha256 hex of the secret part
}

// NewToken is the one reply that holds the secret: createToken and rotateToken.
type NewToken struct {
	ID        string  `json:"id"`
	Token     string  `json:"token"`
	Name      string  `json:"name"`
	Scopes    []Scope `json:"scopes"`
	CreatedAt int64   `json:"created_at"`
	ExpiresAt *int64  `json:"expires_at"`
}

// ParseDuration reads "30d", "12h", "90m" or seconds: at least one second, and no more
// than a time.Duration holds (about 292 years), so a large number is an error rather
// than a lifetime that wrapped around.
func ParseDuration(s string) (time.Duration, error) {
	scaled := func(n int64, unit time.Duration) (time.Duration, bool) {
		return time.Duration(n) * unit, n > 0 && n <= int64(math.MaxInt64/unit)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if d, ok := scaled(n, time.Second); ok {
			return d, nil
		}
	} else if strings.HasSuffix(s, "d") {
		if n, err := strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 64); err == nil {
			if d, ok := scaled(n, 24*time.Hour); ok {
				return d, nil
			}
		}
	} else if d, err := time.ParseDuration(s); err == nil && d >= time.Second {
		return d, nil
	}
	return 0, Errorf(EINVALID, "invalid duration %q: want e.g. 30d, 12h, 90m or seconds (1 s to 292 years)", s)
}

func tokenKey(id string) []byte { return []byte("meta:token:" + id) }

// base62 of 32 random bytes: 43 characters.
func newSecret() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(crypto.Random(32))
	var b []byte
	base := big.NewInt(62)
	mod := new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		b = append(b, alphabet[mod.Int64()])
	}
	for len(b) < 43 {
		b = append(b, '0')
	}
	return string(b)
}

func (t *Token) save(tx *storage.Tx) error {
	rec, err := json.Marshal(struct {
		*Token
		Hash string `json:"hash"`
	}{t, t.Hash})
	if err != nil {
		return err
	}
	if _, err = tx.HSet(tokenKey(t.ID), [][]byte{[]byte("record"), rec}); err != nil {
		return err
	}
	return tx.SysPut(tokenIndex+t.ID, nil)
}

const (
	// tokenIndex names the sys records tok:<id>, one per token: the ids loadTokens reads
	// without walking DB 0's keyspace (a million databases' registrations).
	tokenIndex = "tok:"
	// tokenIndexMarker says the index is complete; a directory from before it gets it
	// built once, by the walk.
	tokenIndexMarker = "token-index"
)

// loadTokens reads every token record from DB 0, through the token index.
func (a *Admin) loadTokens() error {
	var indexed bool
	a.db0.View(func(tx *storage.Tx) error { indexed = tx.SysGet(tokenIndexMarker) != nil; return nil })
	if !indexed {
		err := a.db0.Update(func(tx *storage.Tx) error {
			keys, err := tx.Keys([]byte("meta:token:*"))
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.SysPut(tokenIndex+strings.TrimPrefix(string(k), "meta:token:"), nil); err != nil {
					return err
				}
			}
			return tx.SysPut(tokenIndexMarker, []byte("1"))
		})
		if err != nil {
			return err
		}
	}
	return a.db0.View(func(tx *storage.Tx) error {
		for _, kv := range tx.SysPrefix(tokenIndex) {
			k := tokenKey(strings.TrimPrefix(string(kv[0]), tokenIndex))
			v, ok, err := tx.HGet(k, []byte("record"))
			if err != nil {
				return err
			}
			if !ok {
				continue // an index entry without its token (the index is a hint)
			}
			var rec struct {
				Token
				Hash string `json:"hash"`
			}
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("token record %s: %w", k, err)
			}
			t := rec.Token
			t.Hash = rec.Hash
			a.tokens[t.ID] = &t
		}
		return nil
	})
}

func (t *Token) active(now int64) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || *t.ExpiresAt > now)
}

func (t *Token) public() Token {
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	return c
}

// CreateToken makes a token with scopes the caller itself holds. expiresIn 0: never.
func (a *Admin) CreateToken(caller *Grant, name string, scopes []Scope, expiresIn time.Duration) (*NewToken, error) {
	if strings.TrimSpace(name) == "" || len(name) > 128 {
		return nil, Errorf(EINVALID, "a token needs a name (1 to 128 characters)")
	}
	if len(scopes) == 0 {
		return nil, Errorf(EINVALID, "scopes must not be empty")
	}
	if !callerCovers(caller, scopes) {
		return nil, Errorf(EFORBIDDEN, "a token may only be given scopes its creator holds")
	}
	if err := a.resolveScopes(scopes); err != nil {
		return nil, err
	}
	now := a.clock.Now().Unix()
	t := &Token{ID: hex.EncodeToString(crypto.Random(8)), Name: name, Scopes: scopes,
		CreatedAt: now, UpdatedAt: now, CreatedBy: caller.describe()}
	if expiresIn > 0 {
		e := now + int64(expiresIn/time.Second)
		t.ExpiresAt = &e
	}
	// A token may not outlive the token that made it: otherwise an expiring token could
	// extend itself forever through its children.
	if !caller.Expires.IsZero() {
		if limit := caller.Expires.Unix(); t.ExpiresAt == nil || *t.ExpiresAt > limit {
			t.ExpiresAt = &limit
		}
	}
	secret := newSecret()
	t.Hash = crypto.SHA256Hex([]byte(secret))
	a.tokMu.Lock()
	defer a.tokMu.Unlock()
	if err := a.db0.Update(t.save); err != nil {
		return nil, err
	}
	a.tokens[t.ID] = t
	return &NewToken{ID: t.ID, Token: tokenText(t.ID, secret), Name: t.Name, Scopes: t.Scopes,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}, nil
}

func (g *Grant) describe() string {
	switch {
	case g.TokenID != "":
		return "token:" + g.TokenID
	case g.Admin:
		return string(KindAdmin)
	}
	return string(g.Kind)
}

// visible returns token id if the caller may see it (its scopes lie within the caller's).
func (a *Admin) visible(caller *Grant, id string) (*Token, error) {
	t := a.tokens[id]
	if t == nil || !callerCovers(caller, t.Scopes) {
		return nil, Errorf(ENOTFOUND, "no token with id %q", id)
	}
	return t, nil
}

// ListTokens lists the tokens the caller may see: active ones, or all with all.
func (a *Admin) ListTokens(caller *Grant, all bool) []Token {
	now := a.clock.Now().Unix()
	a.tokMu.Lock()
	defer a.tokMu.Unlock()
	out := []Token{}
	for _, t := range a.tokens {
		if callerCovers(caller, t.Scopes) && (all || t.active(now)) {
			out = append(out, a.withUse(t))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreatedAt != out[j].CreatedAt {
			return out[i].CreatedAt < out[j].CreatedAt
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// GetToken describes one token the caller may see.
func (a *Admin) GetToken(caller *Grant, id string) (*Token, error) {
	a.tokMu.Lock()
	defer a.tokMu.Unlock()
	t, err := a.visible(caller, id)
	if err != nil {
		return nil, err
	}
	c := a.withUse(t)
	return &c, nil
}

// withUse is t with its in-memory last use folded in; a.tokMu held.
func (a *Admin) withUse(t *Token) Token {
	c := t.public()
	if u, ok := a.tokenUse[t.ID]; ok && (c.LastUsedAt == nil || u > *c.LastUsedAt) {
		c.LastUsedAt = &u
	}
	return c
}

// RevokeToken kills a token at once: open connections fail at their next command.
func (a *Admin) RevokeToken(caller *Grant, id string) error {
	a.tokMu.Lock()
	defer a.tokMu.Unlock()
	t, err := a.visible(caller, id)
	if err != nil {
		return err
	}
	if t.RevokedAt != nil {
		return nil
	}
	now := a.clock.Now().Unix()
	c := t.public()
	c.RevokedAt, c.UpdatedAt = &now, now
	c.Hash = t.Hash
	if err := a.db0.Update(c.save); err != nil {
		return err
	}
	a.tokens[id] = &c
	a.changeCredentials()
	return nil
}

// RotateToken gives a token a new secret; the old one dies at once.
func (a *Admin) RotateToken(caller *Grant, id string) (*NewToken, error) {
	a.tokMu.Lock()
	defer a.tokMu.Unlock()
	t, err := a.visible(caller, id)
	if err != nil {
		return nil, err
	}
	now := a.clock.Now().Unix()
	if !t.active(now) {
		return nil, Errorf(EINVALID, "token %s is revoked or expired: create a new one", id)
	}
	secret := newSecret()
	c := t.public()
	c.Hash, c.UpdatedAt = crypto.SHA256Hex([]byte(secret)), now
	if err := a.db0.Update(c.save); err != nil {
		return nil, err
	}
	a.tokens[id] = &c
	a.changeCredentials()
	return &NewToken{ID: c.ID, Token: tokenText(c.ID, secret), Name: c.Name, Scopes: c.Scopes,
		CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt}, nil
}

// flushTokenUse writes the batched last-used times to DB 0: one write per interval, not
// one per command.
func (a *Admin) flushTokenUse() error {
	a.tokMu.Lock()
	var changed []Token
	for id, u := range a.tokenUse {
		t := a.tokens[id]
		if t != nil && (t.LastUsedAt == nil || *t.LastUsedAt < u) {
			c := t.public()
			c.Hash = t.Hash
			uu := u
			c.LastUsedAt = &uu
			a.tokens[id] = &c
			changed = append(changed, c)
		}
	}
	a.tokenUse = map[string]int64{}
	a.tokMu.Unlock()
	if len(changed) == 0 {
		return nil
	}
	return a.db0.Update(func(tx *storage.Tx) error {
		for i := range changed {
			if err := changed[i].save(tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// tokenUseLoop flushes last-used times every interval until stop closes.
func (a *Admin) tokenUseLoop(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.flushTokenUse()
		case <-stop:
			a.flushTokenUse()
			return
		}
	}
}
