package herodbtest_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/storage"
)

// TestFastForwardKeys: a key with a TTL is gone as soon as the clock passes it, the
// TTL reads from the same clock, and the expiry sweep removes it from the file too (its
// "expired" event arrives without any read of the key).
func TestFastForwardKeys(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{Clock: storage.NewManualClock(time.Unix(1_700_000_000, 0))})
	db := srv.CreateDatabase(t, "app", true)
	c := client(t, &redis.Options{Addr: srv.Addr(), DB: int(db)})
	if err := c.ConfigSet(ctx, "notify-keyspace-events", "Ex").Err(); err != nil {
		t.Fatal(err)
	}
	sub := client(t, &redis.Options{Addr: srv.Addr(), DB: int(db)}).Subscribe(ctx, "__keyevent@"+strconv.FormatUint(db, 10)+"__:expired")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "session", "x", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "swept", "x", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	srv.FastForward(4 * time.Second)
	if ttl, err := c.TTL(ctx, "session").Result(); err != nil || ttl != 6*time.Second {
		t.Fatalf("TTL after 4 s of 10: %v %v", ttl, err)
	}
	srv.FastForward(6 * time.Second)
	if err := c.Get(ctx, "session").Err(); err != redis.Nil {
		t.Fatalf("GET at the TTL: %v, want nil", err)
	}
	// "swept" is never read: the sweep finds it (within its 100 ms tick).
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Payload != "swept" && msg.Payload != "session" {
		t.Fatalf("expired event for %q", msg.Payload)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE %d 5 s after every key expired", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFastForwardToken: a token that expires stops working on a connection that holds
// it at its next command, and cannot AUTH again.
func TestFastForwardToken(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", false)
	tok := srv.CreateExpiringToken(t, "ci", time.Hour, "app:read,write")
	c := client(t, &redis.Options{Addr: srv.Addr(), Password: tok, DB: int(db), MaxRetries: -1})
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.FastForward(59 * time.Minute)
	if err := c.Get(ctx, "k").Err(); err != nil {
		t.Fatalf("a minute before expiry: %v", err)
	}
	srv.FastForward(time.Minute)
	wantErr(t, "the held token at its expiry", c.Get(ctx, "k").Err(), "WRONGPASS")
	fresh := client(t, &redis.Options{Addr: srv.Addr(), Password: tok, DB: int(db)})
	wantErr(t, "AUTH with the expired token", fresh.Ping(ctx).Err(), "WRONGPASS")
}

// TestFastForwardJWT: MintJWT's default exp is an hour on the server's clock; past it
// the held JWT fails with sqld's code, and so does a new AUTH.
func TestFastForwardJWT(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", false)
	tok := srv.MintJWT(t, map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}})
	c := client(t, &redis.Options{Addr: srv.Addr(), Password: tok, DB: int(db), MaxRetries: -1})
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.FastForward(time.Hour)
	wantErr(t, "the held JWT at its exp", c.Get(ctx, "k").Err(), "WRONGPASS AUTH_JWT_EXPIRED")
	fresh := client(t, &redis.Options{Addr: srv.Addr(), Password: tok, DB: int(db)})
	wantErr(t, "AUTH with the expired JWT", fresh.Ping(ctx).Err(), "WRONGPASS AUTH_JWT_EXPIRED")
	// A JWT minted now carries the moved clock's iat and exp, so it works.
	again := srv.MintJWT(t, map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}})
	if err := client(t, &redis.Options{Addr: srv.Addr(), Password: again, DB: int(db)}).Get(ctx, "k").Err(); err != nil {
		t.Fatalf("a JWT minted after FastForward: %v", err)
	}
}

// TestSetTime: TIME answers the set time, a key's absolute expiry is read against it,
// and on a wall-clock base time runs on from there.
func TestSetTime(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", true)
	c := client(t, &redis.Options{Addr: srv.Addr(), DB: int(db)})
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	srv.SetTime(at)
	got, err := c.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Sub(at); d < 0 || d > 5*time.Second {
		t.Fatalf("TIME %v after SetTime(%v)", got, at)
	}
	if !srv.Now().After(at) && !srv.Now().Equal(at) {
		t.Fatalf("Now %v before the set time %v", srv.Now(), at)
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ExpireAt(ctx, "k", at.Add(time.Minute)).Err(); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := c.TTL(ctx, "k").Result(); ttl <= 55*time.Second || ttl > time.Minute {
		t.Fatalf("TTL of a key expiring a minute after the set time: %v", ttl)
	}
	srv.SetTime(at.Add(2 * time.Minute))
	if err := c.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("GET after SetTime past the expiry: %v", err)
	}
}

// TestFrozenClock: on a ManualClock base, time stands still between moves, as in
// miniredis: TIME answers exactly the same twice.
func TestFrozenClock(t *testing.T) {
	ctx := context.Background()
	at := time.Unix(1_800_000_000, 0)
	srv := herodbtest.Start(t, herodbtest.Options{Clock: storage.NewManualClock(at)})
	db := srv.CreateDatabase(t, "app", true)
	c := client(t, &redis.Options{Addr: srv.Addr(), DB: int(db)})
	first, _ := c.Time(ctx).Result()
	time.Sleep(5 * time.Millisecond)
	second, _ := c.Time(ctx).Result()
	if !first.Equal(at) || !second.Equal(at) {
		t.Fatalf("TIME on a frozen clock: %v then %v, want %v", first, second, at)
	}
	srv.FastForward(90 * time.Second)
	if got, _ := c.Time(ctx).Result(); !got.Equal(at.Add(90 * time.Second)) {
		t.Fatalf("TIME after FastForward(90s): %v", got)
	}
}

// TestReAuthRenewsJWT: AUTH with a fresh JWT on an open connection replaces the one it
// held, so a client without a credentials provider (ioredis, node-redis) renews by
// sending AUTH before exp.
func TestReAuthRenewsJWT(t *testing.T) {
	ctx := context.Background()
	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", false)
	claims := map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}}
	conn := client(t, &redis.Options{Addr: srv.Addr(), Password: srv.MintJWT(t, claims), DB: int(db)}).Conn()
	defer conn.Close()
	if err := conn.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.FastForward(50 * time.Minute)
	if err := conn.Do(ctx, "AUTH", srv.MintJWT(t, claims)).Err(); err != nil {
		t.Fatalf("AUTH with a fresh JWT: %v", err)
	}
	srv.FastForward(20 * time.Minute) // past the first token's exp
	if err := conn.Get(ctx, "k").Err(); err != nil {
		t.Fatalf("GET after the first JWT expired, renewed by AUTH: %v", err)
	}
}
