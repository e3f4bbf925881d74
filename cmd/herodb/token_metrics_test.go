package main

import (
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTokenCreateMetrics: `herodb token create --metrics` against the real server makes a
// token that reads /metrics on the RPC's HTTP listener, is listed with the metrics scope,
// and calls no RPC method.
func TestTokenCreateMetrics(t *testing.T) {
	const secret = "token-metrics-test-admin-secret"
	rpcPort := rkFreePort(t)
	rpcURL := "http://127.0.0.1:" + strconv.Itoa(rpcPort)
	rkServe(t, herodbBin, []string{"HERODB_ADMIN_SECRET=" + secret},
		"--dir", filepath.Join(t.TempDir(), "data"), "--enable-rpc", "--rpc-port", strconv.Itoa(rpcPort))

	get := func(path, bearer string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, rpcURL+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := get("/readyz", ""); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the RPC listener never answered /readyz with 200")
		}
	}
	cli := func(cred string, args ...string) (string, string, int) {
		t.Helper()
		return execHerodb(t, exec.Command(herodbBin, args...), []string{"HERODB_RPC=" + rpcURL, cred})
	}
	adm := "HERODB_ADMIN_SECRET=" + secret

	out, errs, code := cli(adm, "token", "create", "--name", "prometheus", "--metrics")
	if code != 0 {
		t.Fatalf("token create --metrics: exit %d: %s", code, errs)
	}
	_, tok := tkPrinted(t, out)

	if code, body := get("/metrics", tok); code != http.StatusOK || !strings.Contains(body, "herodb_databases_registered") {
		t.Errorf("GET /metrics with the metrics token: %d %.200q, want 200 and herodb_databases_registered", code, body)
	}
	if code, _ := get("/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without a credential: %d, want 401", code)
	}
	if out, _, code := cli(adm, "token", "list"); code != 0 || !strings.Contains(out, "prometheus  metrics ") {
		t.Errorf("token list: exit %d, %q; want the prometheus row with scope metrics", code, out)
	}
	if _, errs, code := cli("HERODB_TOKEN="+tok, "db", "list"); code == 0 {
		t.Errorf("db list with the metrics token: exit 0, want a refusal")
	} else if strings.Contains(errs, tok) {
		t.Errorf("the refusal shows the token: %q", errs)
	}
}
