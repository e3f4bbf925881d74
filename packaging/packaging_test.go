// Package packaging holds the systemd unit and the Dockerfile; its tests check them
// against the binaries `make release` builds.
package packaging

import (
	"bufio"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testVersion = "v9.9.9-packaging-test"

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  string
)

// release runs `make release` once into a temporary directory and returns it.
func release(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("make release builds two binaries: not in -short")
	}
	releaseOnce.Do(func() {
		dir, err := os.MkdirTemp("", "herodb-release")
		if err != nil {
			releaseErr = err.Error()
			return
		}
		releaseDir = filepath.Join(dir, "dist")
		out, err := exec.Command("make", "-C", "..", "release", "DIST="+releaseDir, "VERSION="+testVersion).CombinedOutput()
		if err != nil {
			releaseErr = "make release: " + err.Error() + "\n" + string(out)
		}
	})
	if releaseErr != "" {
		t.Fatal(releaseErr)
	}
	return releaseDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if releaseDir != "" {
		os.RemoveAll(filepath.Dir(releaseDir))
	}
	os.Exit(code)
}

// TestReleaseBinaries: one static ELF per architecture (no interpreter, no shared
// library), SHA256SUMS that match them, and the host's binary runs and says its version.
func TestReleaseBinaries(t *testing.T) {
	dir := release(t)
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	for arch, machine := range machines {
		path := filepath.Join(dir, "herodb-linux-"+arch)
		f, err := elf.Open(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if f.Machine != machine {
			t.Errorf("%s is for %v, want %v", path, f.Machine, machine)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s has a %v program header: not static", path, p.Type)
			}
		}
		f.Close()
	}

	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q: want <sum>  <name>", line)
		}
		listed[name] = sum
	}
	if len(listed) != len(machines) {
		t.Errorf("SHA256SUMS lists %d files, want %d: %s", len(listed), len(machines), sums)
	}
	for arch := range machines {
		name := "herodb-linux-" + arch
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		if listed[name] != hex.EncodeToString(h[:]) {
			t.Errorf("SHA256SUMS has %q for %s, want %x", listed[name], name, h)
		}
	}

	if runtime.GOOS != "linux" || machines[runtime.GOARCH] == 0 {
		t.Skipf("cannot run a linux amd64 or arm64 binary on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	out, err := exec.Command(filepath.Join(dir, "herodb-linux-"+runtime.GOARCH), "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "herodb "+testVersion {
		t.Errorf("herodb version: %v, %q; want \"herodb %s\"", err, out, testVersion)
	}
}

// TestSystemdUnit: systemd-analyze verify accepts herodb.service without a word (it
// only warns about a bad value, so any output fails), the unit keeps the hardening the
// deployment docs promise, and the check itself notices a broken line.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("herodb.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"User=herodb", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
		"PrivateTmp=yes", "ReadWritePaths=/var/lib/herodb", "LoadCredential=admin-secret:",
		"--admin-secret-file %d/admin-secret", "--dir /var/lib/herodb", "KillSignal=SIGTERM",
		"Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("herodb.service lacks %q", want)
		}
	}
	// A stop must outlast herodb's own 5 s for running commands, plus the flush.
	m := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)$`).FindStringSubmatch(string(unit))
	if m == nil {
		t.Error("herodb.service sets no TimeoutStopSec in seconds")
	} else if n, _ := strconv.Atoi(m[1]); n < 30 {
		t.Errorf("TimeoutStopSec=%d: want at least 30", n)
	}

	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not found (Debian: apt-get install systemd): the unit is not verified")
	}
	// verify wants ExecStart's binary to exist: point it at the one make release built.
	bin := filepath.Join(release(t), "herodb-linux-"+runtime.GOARCH)
	good := strings.ReplaceAll(string(unit), "/usr/local/bin/herodb", bin)
	if out := verify(t, good); out != "" {
		t.Errorf("systemd-analyze verify herodb.service:\n%s", out)
	}
	if out := verify(t, strings.Replace(good, "ProtectSystem=strict", "ProtectSystem=very", 1)); out == "" {
		t.Error("systemd-analyze verify said nothing of ProtectSystem=very: the check above proves nothing")
	}
}

// verify runs systemd-analyze verify on unit as herodb.service and returns what it said.
func verify(t *testing.T, unit string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "herodb.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil && len(out) == 0 {
		return err.Error()
	}
	return strings.TrimSpace(string(out))
}

// dockerfile is what the tests read from the Dockerfile.
type dockerfile struct {
	copyFrom   string   // the source of the COPY of the binary
	expose     []string // EXPOSE's ports
	entrypoint []string
	cmd        []string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dockerfile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		word, rest, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		var err error
		switch word {
		case "COPY":
			d.copyFrom = strings.Fields(rest)[0]
		case "EXPOSE":
			d.expose = strings.Fields(rest)
		case "ENTRYPOINT":
			err = json.Unmarshal([]byte(rest), &d.entrypoint)
		case "CMD":
			err = json.Unmarshal([]byte(rest), &d.cmd)
		}
		if err != nil {
			t.Fatalf("Dockerfile: %s %s: want the exec (JSON) form: %v", word, rest, err)
		}
	}
	if len(d.entrypoint) == 0 || d.copyFrom == "" {
		t.Fatalf("Dockerfile: no ENTRYPOINT or no COPY: %+v", d)
	}
	return d
}

// TestDockerfileCommand runs what the image would run, without docker: the release
// binary the COPY names, with the ENTRYPOINT and CMD (the image's /data and secret file
// swapped for temporary ones), on free ports. It must become ready and stop cleanly on
// SIGTERM, and EXPOSE must name the ports it listens on by default.
func TestDockerfileCommand(t *testing.T) {
	d := readDockerfile(t)
	dir := release(t)
	bin := filepath.Join(filepath.Dir(dir), strings.ReplaceAll(d.copyFrom, "${TARGETARCH}", runtime.GOARCH))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the Dockerfile copies %s, which make release does not make: %v", d.copyFrom, err)
	}

	help, _ := exec.Command(bin, "serve", "--help").CombinedOutput()
	for i, flag := range []string{"port", "rpc-port"} {
		m := regexp.MustCompile(`(?m)^\s+-` + flag + ` int\n.*\(default (\d+)\)`).FindSubmatch(help)
		if m == nil {
			t.Fatalf("serve --help shows no default for --%s:\n%s", flag, help)
		}
		if i >= len(d.expose) || d.expose[i] != string(m[1]) {
			t.Errorf("EXPOSE %v: want --%s's default %s in place %d", d.expose, flag, m[1], i+1)
		}
	}

	tmp := t.TempDir()
	secret := filepath.Join(tmp, "admin-secret")
	if err := os.WriteFile(secret, []byte("packaging-test-admin-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, a := range append(d.entrypoint[1:], d.cmd...) {
		switch a {
		case "/data":
			a = filepath.Join(tmp, "data")
		case "/run/secrets/admin-secret":
			a = secret
		}
		args = append(args, a)
	}
	port, rpcPort := freePort(t), freePort(t)
	args = append(args, "--port", port, "--rpc-port", rpcPort)
	cmd := exec.Command(bin, args...)
	var log strings.Builder
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://127.0.0.1:" + rpcPort + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("herodb %v exited: %v\n%s", args, err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("herodb %v: /readyz never answered 200", args)
		}
	}
	if c, err := net.Dial("tcp", "127.0.0.1:"+port); err != nil {
		t.Errorf("the RESP port: %v", err)
	} else {
		c.Close()
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("herodb after SIGTERM: %v, want exit 0\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		t.Error("herodb did not stop on SIGTERM")
	}
}

// TestDockerBuild builds the image and runs its binary, where a docker daemon answers.
func TestDockerBuild(t *testing.T) {
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skip("no docker daemon answers `docker info`: the image is not built")
	}
	dir := release(t)
	image := "herodb-packaging-test:" + strconv.Itoa(os.Getpid())
	// The Dockerfile copies dist/…: the context is the test's release, not the checkout.
	ctx := filepath.Dir(dir)
	if err := os.MkdirAll(filepath.Join(ctx, "packaging"), 0o755); err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "packaging", "Dockerfile"), df, 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("docker", "build", "-f", "packaging/Dockerfile", "-t", image, ".")
	build.Dir = ctx
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rmi", "-f", image).Run()
	out, err := exec.Command("docker", "run", "--rm", "--entrypoint", "/usr/local/bin/herodb", image, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "herodb "+testVersion {
		t.Errorf("docker run … herodb version: %v, %q", err, out)
	}
	out, err = exec.Command("docker", "image", "inspect", "--format", "{{.Config.User}}", image).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) == "" || strings.HasPrefix(string(out), "0") || strings.HasPrefix(string(out), "root") {
		t.Errorf("the image's user: %v, %q; want a non-root user", err, out)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
