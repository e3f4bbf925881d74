package herodbtest_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// wantErr fails unless err is a reply starting with prefix.
func wantErr(t *testing.T, what string, err error, prefix string) {
	t.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), prefix) {
		t.Fatalf("%s: got %v, want an error starting with %q", what, err, prefix)
	}
}

// client is a go-redis client that the test closes.
func client(t *testing.T, o *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestAddAccessKey(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	app := srv.CreateDatabase(t, "app", false)
	other := srv.CreateDatabase(t, "other", false)
	rw := srv.AddAccessKey(t, app, "readwrite")
	ro := srv.AddAccessKey(t, app, "read")
	if rw == ro || len(rw) < 16 {
		t.Fatalf("keys %q and %q: want two distinct long keys", rw, ro)
	}
	w := client(t, &redis.Options{Addr: srv.Addr(), Password: rw, DB: int(app)})
	if err := w.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with the read-write key: %v", err)
	}
	r := client(t, &redis.Options{Addr: srv.Addr(), Password: ro, DB: int(app)})
	if got, err := r.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET with the read key: %q %v", got, err)
	}
	wantErr(t, "SET with the read key", r.Set(ctx, "k", "w", 0).Err(), "NOPERM")
	// A key opens its own database only.
	x := client(t, &redis.Options{Addr: srv.Addr(), Password: rw, DB: int(other)})
	wantErr(t, "the key on another database", x.Ping(ctx).Err(), "NOAUTH")
}

func TestCreateToken(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	app := srv.CreateDatabase(t, "app", false)
	other := srv.CreateDatabase(t, "other", false)
	ci := srv.CreateToken(t, "ci", "app:read")
	if !strings.HasPrefix(ci, "hdbt_") {
		t.Fatalf("token %q: want hdbt_…", ci)
	}
	c := client(t, &redis.Options{Addr: srv.Addr(), Password: ci, DB: int(app)})
	if err := c.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("GET with a read token: %v", err)
	}
	wantErr(t, "SET with a read token", c.Set(ctx, "k", "v", 0).Err(), "NOPERM")
	wantErr(t, "the token on a database it does not name",
		client(t, &redis.Options{Addr: srv.Addr(), Password: ci, DB: int(other)}).Ping(ctx).Err(), "NOPERM")

	both := srv.CreateToken(t, "svc", "app:read,write", "other:read")
	c = client(t, &redis.Options{Addr: srv.Addr(), Password: both, DB: int(app)})
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with a read-write token: %v", err)
	}
	ops := srv.CreateToken(t, "ops", "admin")
	// go-redis sends no SELECT for DB 0: a connection of its own does.
	conn := client(t, &redis.Options{Addr: srv.Addr(), Password: ops}).Conn()
	defer conn.Close()
	if err := conn.Select(ctx, 0).Err(); err != nil {
		t.Fatalf("SELECT 0 with an admin token: %v", err)
	}
	if n, err := conn.DBSize(ctx).Result(); err != nil || n == 0 {
		t.Fatalf("DBSIZE of DB 0 with an admin token: %d %v", n, err)
	}
}

func TestMintJWT(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	app := srv.CreateDatabase(t, "app", false)
	other := srv.CreateDatabase(t, "other", false)
	tok := srv.MintJWT(t, map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}})
	c := client(t, &redis.Options{Addr: srv.Addr(), Password: tok, DB: int(app)})
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with a JWT: %v", err)
	}
	wantErr(t, "a JWT on a database it does not name",
		client(t, &redis.Options{Addr: srv.Addr(), Password: tok, DB: int(other)}).Ping(ctx).Err(), "NOPERM")
	ro := srv.MintJWT(t, map[string]any{"p": map[string]any{"ro": map[string]any{"ns": []string{"other"}}}})
	c = client(t, &redis.Options{Addr: srv.Addr(), Password: ro, DB: int(other)})
	wantErr(t, "SET with a read-only JWT", c.Set(ctx, "k", "v", 0).Err(), "NOPERM")
	// The server trusts MintJWT's key only: a token signed by another key is refused,
	// which srv.MintJWT of a second server gives.
	stranger := herodbtest.Start(t, herodbtest.Options{}).MintJWT(t,
		map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}})
	c = client(t, &redis.Options{Addr: srv.Addr(), Password: stranger, DB: int(app)})
	wantErr(t, "a JWT of another key", c.Ping(ctx).Err(), "WRONGPASS")
}

// TestURL: the URL opens the database with each kind of credential, through go-redis's
// own URL parser, and a public database needs none.
func TestURL(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	app := srv.CreateDatabase(t, "app", false)
	pub := srv.CreateDatabase(t, "pub", true)
	creds := map[string]string{
		"access key": srv.AddAccessKey(t, app, "readwrite"),
		"token":      srv.CreateToken(t, "u", "app:read,write"),
		"jwt":        srv.MintJWT(t, map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}}),
	}
	for what, cred := range creds {
		o, err := redis.ParseURL(srv.URL(app, cred))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if err := client(t, o).Set(ctx, "by", what, 0).Err(); err != nil {
			t.Fatalf("SET through the URL with a %s: %v", what, err)
		}
	}
	// The user part may name the database instead of the path (AUTH <db> <credential>).
	o, err := redis.ParseURL("redis://app:" + creds["access key"] + "@" + srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := client(t, o).Get(ctx, "by").Result(); err != nil || got == "" {
		t.Fatalf("GET through redis://app:<key>@…: %q %v", got, err)
	}
	o, _ = redis.ParseURL("redis://default:" + creds["token"] + "@" + srv.Addr() + "/" + strconv.FormatUint(app, 10))
	if err := client(t, o).Get(ctx, "by").Err(); err != nil {
		t.Fatalf("GET through redis://default:<token>@…/<db>: %v", err)
	}
	if want := "redis://" + srv.Addr() + "/" + strconv.FormatUint(pub, 10); srv.URL(pub, "") != want {
		t.Fatalf("URL of a public database: %q, want %q", srv.URL(pub, ""), want)
	}
	o, _ = redis.ParseURL(srv.URL(pub, ""))
	if err := client(t, o).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("public database through its URL: %v", err)
	}
	// Without the credential, the private database is closed.
	o, _ = redis.ParseURL(srv.URL(app, ""))
	wantErr(t, "private database without a credential", client(t, o).Ping(ctx).Err(), "NOAUTH")
}
