package server_test

// SELECT <db> KEY <jwt> over one raw RESP connection: cold (every token new, so each
// SELECT verifies an Ed25519 signature) and warm (the same token: a cache hit).
// Run with: go test -run '^$' -bench SelectJWT ./server

import (
	"strconv"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seed6aa118f9/herodb/admin"
)

func BenchmarkSelectJWTCold(b *testing.B) {
	e := jwtStart(b, nil, admin.JWTConfig{})
	c := e.dial(b)
	toks := make([]string, b.N) // minted before the timer: signing is the auth service's cost
	for i := range toks {
		toks[i] = e.mint(b, jwt.MapClaims{"jti": "cold-" + strconv.Itoa(i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := c.do("SELECT", "app", "KEY", toks[i]); got != tOK {
			b.Fatalf("SELECT: %q", got)
		}
	}
}

func BenchmarkSelectJWTWarm(b *testing.B) {
	e := jwtStart(b, nil, admin.JWTConfig{})
	c := e.dial(b)
	tok := e.mint(b, nil)
	if got := c.do("SELECT", "app", "KEY", tok); got != tOK { // verified once, then cached
		b.Fatalf("SELECT: %q", got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := c.do("SELECT", "app", "KEY", tok); got != tOK {
			b.Fatalf("SELECT: %q", got)
		}
	}
}
