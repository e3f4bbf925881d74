package main

import (
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestServeLogFormat: --log-format json writes one JSON object per line on stderr
// (here the lines of a start that fails to listen, on a port the test holds), text the
// key=value lines; a bad format or level stops serve with exit 2, naming the flag.
func TestServeLogFormat(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	env := []string{"HERODB_ADMIN_SECRET=log-format-test-secret"}
	for _, format := range []string{"json", "text"} {
		dir := filepath.Join(t.TempDir(), "data")
		_, stderr, code := execHerodb(t, exec.Command(herodbBin, "serve", "--dir", dir, "--port", port, "--log-format", format), env)
		if code != 1 {
			t.Fatalf("--log-format %s on a taken port: exit %d, want 1: %s", format, code, stderr)
		}
		logged := 0
		for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
			if strings.HasPrefix(line, "herodb: ") {
				continue // the one-line error of the failed start
			}
			logged++
			var m map[string]any
			isJSON := json.Unmarshal([]byte(line), &m) == nil
			if isJSON != (format == "json") || format == "text" && !strings.Contains(line, "level=") {
				t.Errorf("--log-format %s logged %q", format, line)
			}
			if strings.Contains(line, "log-format-test-secret") {
				t.Errorf("a log line holds the admin secret: %q", line)
			}
		}
		if logged == 0 {
			t.Errorf("--log-format %s logged nothing: %q", format, stderr)
		}
	}
	for _, tc := range []struct{ args, want string }{
		{"--log-format xml", `--log-format: "xml"; want text or json`},
		{"--log-level loud", `--log-level: "loud"; want debug, info, warn or error`},
	} {
		args := append([]string{"serve", "--dir", t.TempDir()}, strings.Fields(tc.args)...)
		_, stderr, code := execHerodb(t, exec.Command(herodbBin, args...), env)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("serve %s: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
