package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// writeConfig writes text as a config file in a temp dir and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "herodb.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// printedSettings reads --print-config's report: name → value and source.
func printedSettings(t *testing.T, out string) map[string][2]string {
	t.Helper()
	got := map[string][2]string{}
	for _, line := range strings.Split(out, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		before, source, ok := strings.Cut(line, "#")
		f := strings.Fields(before)
		if !ok || len(f) != 2 {
			t.Fatalf("--print-config line %q is not 'name value # source'", line)
		}
		got[f[0]] = [2]string{f[1], strings.TrimSpace(source)}
	}
	return got
}

// TestConfigPrecedence: for port, dir and sync, every combination of a config file, an
// env variable and a flag gives the value of the highest (flag > env > file > default),
// and --print-config names where it came from. Each run mixes the flags' combinations.
func TestConfigPrecedence(t *testing.T) {
	type layers struct{ name, file, env, flag, def string }
	settings := []layers{
		{"port", "7001", "7002", "7003", "6379"},
		{"dir", "/srv/from-file", "/srv/from-env", "/srv/from-flag", `""`},
		{"sync", "none", "everysec", "always", "always"},
	}
	for run := 0; run < 8; run++ {
		var conf strings.Builder
		conf.WriteString("# precedence\n\n")
		var env, args []string
		want := map[string][2]string{}
		for i, s := range settings {
			combo := (run + 3*i) % 8 // each setting meets all 8 combinations over the runs
			inFile, inEnv, onFlag := combo&1 != 0, combo&2 != 0, combo&4 != 0
			w := [2]string{s.def, "default"}
			if inFile {
				fmt.Fprintf(&conf, "%s %s\n", s.name, s.file)
				w = [2]string{s.file, "file"}
			}
			if inEnv {
				env = append(env, envName(s.name)+"="+s.env)
				w = [2]string{s.env, "env " + envName(s.name)}
			}
			if onFlag {
				args = append(args, "--"+s.name, s.flag)
				w = [2]string{s.flag, "flag --" + s.name}
			}
			want[s.name] = w
		}
		path := writeConfig(t, conf.String())
		all := append([]string{"serve", "--config", path, "--print-config"}, args...)
		stdout, stderr, code := execHerodb(t, exec.Command(herodbBin, all...), env)
		if code != 0 {
			t.Fatalf("run %d: %v %v: exit %d, stderr %q", run, env, all, code, stderr)
		}
		got := printedSettings(t, stdout)
		for name, w := range want {
			g := got[name]
			if w[1] == "file" {
				w[1] = "file " + path + " line "
			}
			if g[0] != w[0] || !strings.HasPrefix(g[1], w[1]) {
				t.Errorf("run %d: %v %v: %s is %q from %q; want %q from %q", run, env, args, name, g[0], g[1], w[0], w[1])
			}
		}
	}
}

// TestConfigPrintRedacted: --print-config exits 0 and shows where each secret comes
// from, never the secret: not the content of the admin secret file, not the value of
// HERODB_ADMIN_SECRET, HERODB_JWT_KEY or --admin-secret.
func TestConfigPrintRedacted(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "admin-secret")
	const fileSecret = "file-secret-7f3a9c"
	if err := os.WriteFile(secretFile, []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, "admin-secret-file "+secretFile+"\nmetrics-per-db yes\n")
	for _, tc := range []struct {
		name, secret string
		args, env    []string
		want         map[string][2]string
	}{
		{"file path", fileSecret, []string{"--config", path}, nil, map[string][2]string{
			"admin-secret-file": {secretFile, "file " + path + " line 1"},
			"metrics-per-db":    {"true", "file " + path + " line 2"},
			"admin-secret":      {`""`, "default"},
		}},
		{"env", "env-secret-91c2e4", nil, []string{"HERODB_ADMIN_SECRET=env-secret-91c2e4", "HERODB_JWT_KEY=env-secret-91c2e4"}, map[string][2]string{
			"admin-secret": {"(redacted)", "env HERODB_ADMIN_SECRET"},
		}},
		{"flag", "flag-secret-3b5d", []string{"--admin-secret", "flag-secret-3b5d", "--encryption-key", "flag-secret-3b5d"}, nil, map[string][2]string{
			"admin-secret":   {"(redacted)", "flag --admin-secret"},
			"encryption-key": {"(redacted)", "flag --encryption-key"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--print-config"}, tc.args...)
			stdout, stderr, code := execHerodb(t, exec.Command(herodbBin, args...), tc.env)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if strings.Contains(stdout+stderr, tc.secret) {
				t.Fatalf("--print-config showed the secret:\n%s%s", stdout, stderr)
			}
			got := printedSettings(t, stdout)
			for name, w := range tc.want {
				if got[name] != w {
					t.Errorf("%s: %q; want %q", name, got[name], w)
				}
			}
		})
	}
}

// TestConfigErrors: a config file or env value that cannot be used stops serve with
// exit 2 and a message naming the line (or the env variable) and the setting, without
// echoing a secret; so does a secret given in two places.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		args, env  []string
		want       []string
	}{
		{"unknown name", "port 7000\n\nprot 7001\n", nil, nil, []string{"line 3", `unknown name "prot"`}},
		{"a flag's dashes", "--port 7000\n", nil, nil, []string{"line 1", `unknown name "--port"`}},
		{"bad int", "# c\nport abc\n", nil, nil, []string{"line 2", `bad value "abc" for port`}},
		{"bad value under a flag", "port abc\n", []string{"--port", "7000"}, nil, []string{"line 1", "port"}},
		{"bad duration", "flush-interval soon\n", nil, nil, []string{"line 1", "flush-interval"}},
		{"bad switch", "\nenable-rpc maybe\n", nil, nil, []string{"line 2", "enable-rpc"}},
		{"no value", "dir\n", nil, nil, []string{"line 1", "dir has no value"}},
		{"bad quotes", `dir "/srv/a` + "\n", nil, nil, []string{"line 1", "dir"}},
		{"twice", "port 1\nport 2\n", nil, nil, []string{"line 2", "port is already set on line 1"}},
		{"a secret", "admin-secret hunter2-secret\n", nil, nil, []string{"line 1", "admin-secret holds a secret", "admin-secret-file PATH"}},
		{"config in config", "config /etc/other.conf\n", nil, nil, []string{"line 1", "config"}},
		{"env bad value", "", nil, []string{"HERODB_PORT=abc"}, []string{"env HERODB_PORT", "port"}},
		{"secret file twice", "admin-secret-file /etc/a\n", []string{"--admin-secret-file", "/etc/b"}, nil, []string{"admin-secret-file given in two places", "flag --admin-secret-file", "line 1"}},
		{"secret file in env and file", "jwt-key-file /etc/a\n", nil, []string{"HERODB_JWT_KEY_FILE=/etc/b"}, []string{"jwt-key-file given in two places", "env HERODB_JWT_KEY_FILE"}},
		{"secret in env and flag", "", []string{"--admin-secret", "hunter2-secret"}, []string{"HERODB_ADMIN_SECRET=hunter2-secret"}, []string{"admin-secret given in two places"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.conf)
			args := append([]string{"serve", "--config", path, "--dir", t.TempDir()}, tc.args...)
			stdout, stderr, code := execHerodb(t, exec.Command(herodbBin, args...), tc.env)
			if code != 2 || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and no output", code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q; want %q", stderr, w)
				}
			}
			if strings.Contains(stderr, "hunter2") {
				t.Errorf("the error echoed a secret: %q", stderr)
			}
		})
	}
	_, stderr, code := execHerodb(t, exec.Command(herodbBin, "serve", "--config", filepath.Join(t.TempDir(), "none.conf")), nil)
	if code != 2 || !strings.Contains(stderr, "none.conf") {
		t.Errorf("a missing config file: exit %d, stderr %q; want exit 2 naming it", code, stderr)
	}
}

// TestConfigFileStartsServer: a config file alone (data directory, port, admin secret
// file, sync, log format) starts a real server that answers PING and accepts the admin
// secret read from the file it names; SIGTERM then stops it with exit 0.
func TestConfigFileStartsServer(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "admin-secret")
	if err := os.WriteFile(secretFile, []byte("config-test-admin-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := tlsFreePort(t)
	path := writeConfig(t, fmt.Sprintf(`# herodb.conf for a test
dir %s
port %d
bind 127.0.0.1
admin-secret-file %s
sync everysec
log-format json
`, filepath.Join(dir, "data"), port, secretFile))
	cmd := exec.Command(herodbBin, "serve", "--config", path)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERODB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var log syncBuffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitLog(t, &log, "herodb listening", 1)
	if !strings.HasPrefix(strings.TrimSpace(log.String()), "{") {
		t.Errorf("log-format json from the file was not used:\n%s", log.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	defer c.Close()
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING: %q, %v", got, err)
	}
	if err := c.Do(ctx, "AUTH", "config-test-admin-secret").Err(); err != nil {
		t.Fatalf("AUTH with the secret from admin-secret-file: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "config-test-admin-secret") {
		t.Errorf("the log holds the admin secret:\n%s", log.String())
	}
}

// TestConfigEveryFlag: every flag of serve, present and future, is a setting of the
// config file and an env variable (all but the two about the configuration itself),
// and docs/operations.md lists its env name.
func TestConfigEveryFlag(t *testing.T) {
	var conf strings.Builder
	var env []string
	docs, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	newServeFlagSet(&serveFlags{}).VisitAll(func(fl *flag.Flag) {
		if !strings.Contains(string(docs), envName(fl.Name)) {
			t.Errorf("docs/operations.md does not list %s", envName(fl.Name))
		}
		if _, secret := secretFlags[fl.Name]; secret || notInFile[fl.Name] {
			return
		}
		fmt.Fprintf(&conf, "%s %s\n", fl.Name, strconv.Quote(fl.DefValue))
		if fl.DefValue != "" {
			env = append(env, envName(fl.Name)+"="+fl.DefValue)
		}
	})
	path := writeConfig(t, conf.String())
	for _, e := range [][]string{nil, env} {
		stdout, stderr, code := execHerodb(t, exec.Command(herodbBin, "serve", "--config", path, "--print-config"), e)
		if code != 0 {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		for name, got := range printedSettings(t, stdout) {
			_, secret := secretFlags[name]
			switch {
			case secret || notInFile[name]:
			case e != nil && slicesHasPrefix(e, envName(name)+"="):
				if got[1] != "env "+envName(name) {
					t.Errorf("%s from %q; want env %s", name, got[1], envName(name))
				}
			case !strings.HasPrefix(got[1], "file "+path+" line "):
				t.Errorf("%s from %q; want the file", name, got[1])
			}
		}
	}
}

// slicesHasPrefix reports whether some element of list starts with prefix.
func slicesHasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
