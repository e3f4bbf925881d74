package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeEngineFlagsRefused: a bad value of a storage-engine flag stops serve before it
// touches the data directory, with a message naming the flag.
func TestServeEngineFlagsRefused(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"--write-buffer 1mb", "--write-buffer: 1mb is below 8mb"},
		{"--write-buffer lots", `--write-buffer: "lots" is not a size`},
		{"--write-buffer -5", `--write-buffer: "-5" is not a size`},
		{"--record-cache lots", `--record-cache: "lots" is not a size`},
		{"--record-cache -1mb", `--record-cache: "-1mb" is not a size`},
		{"--max-open-dbs 0", "--max-open-dbs: 0; want at least 1"},
		{"--registry-cache 0", "--registry-cache: 0; want at least 1"},
		{"--db-idle-timeout -1s", "--db-idle-timeout: -1s; want a positive duration"},
		{"--flush-interval 0s", "--flush-interval: 0s; want a duration above 0 and at most 1h"},
		{"--flush-interval 2h", "--flush-interval: 2h0m0s; want a duration above 0 and at most 1h"},
		{"--fault-procs -2", "--fault-procs: -2; want -1 (automatic), 0 (off) or a number of Ps"},
		{"--wal-recover maybe", `--wal-recover: "maybe"; want fail or truncate`},
		{"--slowlog-max-len 0", "--slowlog-max-len: 0; want 1 to 1048576"},
		{"--slowlog-max-len 1048577", "--slowlog-max-len: 1048577; want 1 to 1048576"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			args := append([]string{"serve", "--dir", dir, "--port", "0"}, strings.Fields(tc.args)...)
			_, stderr, code := execHerodb(t, exec.Command(herodbBin, args...), []string{"HERODB_ADMIN_SECRET=engine-flags-secret"})
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("serve %s: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr, tc.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("serve %s created %s (%v)", tc.args, dir, err)
			}
		})
	}
}
