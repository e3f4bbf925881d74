package crashtest_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"

	"github.com/seed6aa118f9/herodb/crashtest"
)

// The binary is built once for every test here; HERODB_CRASH_RACE=1 builds it with -race
// (a data race in the server then fails the run through its log).
var (
	buildOnce sync.Once
	buildDir  string
	bin       string
	buildErr  error
)

func TestMain(m *testing.M) {
	redis.SetLogger(&logging.VoidLogger{}) // its "failed to dial" after each kill is expected
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func herodbBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "herodb-crash-bin-"); buildErr != nil {
			return
		}
		bin = filepath.Join(buildDir, "herodb")
		buildErr = crashtest.Build(bin, os.Getenv("HERODB_CRASH_RACE") == "1")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// TestCrashKill9 kills the real binary with SIGKILL under a concurrent write load over 4
// databases HERODB_CRASH_CYCLES times (3), restarts it on the same directory each time
// and checks that every acknowledged write is there and no transaction is half-applied
// (see package crashtest). make crash runs it 300 times.
func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	cycles := envInt("HERODB_CRASH_CYCLES", 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cycles)*30*time.Second+time.Minute)
	defer cancel()
	res, err := crashtest.Run(ctx, crashtest.Config{
		Bin:    herodbBinary(t),
		Dir:    t.TempDir(),
		Cycles: cycles,
		Sync:   os.Getenv("HERODB_CRASH_SYNC"),
		Logf:   t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	for _, c := range res.Cycles {
		if c.Acked == 0 {
			t.Errorf("cycle %d acknowledged no write before the kill: the load did not run", c.Cycle)
		}
	}
}

// TestCrashKill9DetectsLoss proves the check can fail: before the second restart the
// data directory is put back as it was after the first kill, so everything acknowledged
// in the second cycle is gone, as a disk that lost recent writes would have it.
func TestCrashKill9DetectsLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	snap := filepath.Join(t.TempDir(), "snapshot")
	_, err := crashtest.Run(context.Background(), crashtest.Config{
		Bin:     herodbBinary(t),
		Dir:     t.TempDir(),
		Cycles:  2,
		MinKill: 150 * time.Millisecond,
		MaxKill: 250 * time.Millisecond,
		BeforeRestart: func(cycle int, data string) error {
			switch cycle {
			case 1:
				return copyDir(data, snap)
			case 2:
				if err := os.RemoveAll(data); err != nil {
					return err
				}
				return copyDir(snap, data)
			}
			return nil
		},
	})
	if err == nil {
		t.Fatal("the writes of a whole cycle were lost and the harness found nothing")
	}
	msg := err.Error()
	for _, want := range []string{"crash cycle 2 of 2", "acknowledged", "--- server run 3"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report does not say %q:\n%s", want, msg)
		}
	}
	t.Logf("as it should, the harness reports:\n%s", firstLines(msg, 12))
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

func copyDir(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
}
