package herodbtest_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// A tenant's client with go-redis: the access key is the password, the database id the
// DB, exactly as against Redis with requirepass.
func ExampleServer_AddAccessKey() {
	t := newExampleT() // in a test: the test's *testing.T
	defer t.done()
	ctx := context.Background()

	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "shop", false) // private: it needs a credential
	key := srv.AddAccessKey(t, db, "readwrite")

	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: key, DB: int(db)})
	defer rdb.Close()
	rdb.Set(ctx, "cart:1", "3 apples", 0)
	fmt.Println(rdb.Get(ctx, "cart:1").Val())

	// Without the key, the database stays closed.
	anon := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db)})
	defer anon.Close()
	fmt.Println(anon.Get(ctx, "cart:1").Err() != nil)
	// Output:
	// 3 apples
	// true
}

// A redis:// URL, as an application reads REDIS_URL: the credential in the password
// place, the database in the path.
func ExampleServer_URL() {
	t := newExampleT()
	defer t.done()
	ctx := context.Background()

	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", false)
	token := srv.CreateToken(t, "worker", "app:read,write")

	opt, err := redis.ParseURL(srv.URL(db, token)) // redis://:hdbt_…@127.0.0.1:port/1
	if err != nil {
		panic(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	rdb.RPush(ctx, "jobs", "a", "b")
	fmt.Println(rdb.LLen(ctx, "jobs").Val())
	// Output: 2
}

// Keys expire when the server's clock is moved, without sleeping.
func ExampleServer_FastForward() {
	t := newExampleT()
	defer t.done()
	ctx := context.Background()

	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", true)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db)})
	defer rdb.Close()

	rdb.Set(ctx, "session", "alice", 30*time.Minute)
	srv.FastForward(29 * time.Minute)
	fmt.Println(rdb.Exists(ctx, "session").Val())
	srv.FastForward(time.Minute)
	fmt.Println(rdb.Exists(ctx, "session").Val())
	// Output:
	// 1
	// 0
}

// A JWT as the password, refreshed before it expires. go-redis asks the
// CredentialsProvider for every new connection; ConnMaxLifetime keeps connections
// younger than the refresh margin, so none outlives its token. Here the token lives an
// hour and is renewed in its last 15 minutes; the example's lifetime is a millisecond
// only so that it can run in one.
func ExampleServer_MintJWT() {
	t := newExampleT()
	defer t.done()
	ctx := context.Background()

	srv := herodbtest.Start(t, herodbtest.Options{})
	db := srv.CreateDatabase(t, "app", false)
	claims := map[string]any{"p": map[string]any{"rw": map[string]any{"ns": []string{"app"}}}}

	// In production: your auth service mints, and time.Now is the clock.
	var mu sync.Mutex
	var jwt string
	var exp time.Time
	minted := 0
	provider := func() (string, string) {
		mu.Lock()
		defer mu.Unlock()
		if exp.Sub(srv.Now()) < 15*time.Minute {
			jwt, exp = srv.MintJWT(t, claims), srv.Now().Add(time.Hour) // MintJWT's default exp
			minted++
		}
		return "", jwt
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: int(db),
		CredentialsProvider: provider, ConnMaxLifetime: time.Millisecond})
	defer rdb.Close()

	rdb.Set(ctx, "greeting", "hello", 0)
	srv.FastForward(50 * time.Minute) // the first token has 10 minutes left
	time.Sleep(2 * time.Millisecond)  // the connection is past its lifetime
	fmt.Println(rdb.Get(ctx, "greeting").Val())
	srv.FastForward(20 * time.Minute) // the first token has expired; the second has not
	time.Sleep(2 * time.Millisecond)
	fmt.Println(rdb.Get(ctx, "greeting").Val())
	mu.Lock()
	fmt.Println("tokens minted:", minted)
	mu.Unlock()
	// Output:
	// hello
	// hello
	// tokens minted: 2
}

// exampleT stands in for a test's *testing.T in these examples, which have none: it
// keeps Start's cleanups and temporary directories and runs them at done; a failure
// panics, which fails the example. Only the methods the harness calls are given.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func newExampleT() *exampleT { return &exampleT{} }

func (e *exampleT) Helper()                         {}
func (e *exampleT) Cleanup(f func())                { e.cleanups = append(e.cleanups, f) }
func (e *exampleT) Fatalf(format string, a ...any)  { panic(fmt.Sprintf(format, a...)) }
func (e *exampleT) Errorf(format string, a ...any)  { panic(fmt.Sprintf(format, a...)) }
func (e *exampleT) Logf(format string, args ...any) {}

func (e *exampleT) TempDir() string {
	dir, err := os.MkdirTemp("", "herodbtest-example-")
	if err != nil {
		panic(err)
	}
	e.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// done runs the cleanups, last first, as the testing package does.
func (e *exampleT) done() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}
