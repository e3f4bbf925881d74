package server_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestDiffCopyMove: COPY within the selected database and MOVE's and COPY's errors
// against redis-server, which selects the same database number first (across databases
// the grants differ from Redis by design: copy_test.go).
func TestDiffCopyMove(t *testing.T) {
	raddr := tStartRedis(t)
	srv, db := tServer(t, herodbtest.Options{})
	id := strconv.FormatUint(db, 10)
	r, h := tDial(t, raddr), tSelected(t, srv.Addr(), db)
	tEq(t, "redis SELECT", r.do("SELECT", id), tOK)
	for _, cmd := range [][]string{
		{"SET", "s", "v"}, {"EXPIRE", "s", "100"}, {"COPY", "s", "s2"}, {"TTL", "s2"}, {"GET", "s2"},
		{"COPY", "s", "s2"}, {"COPY", "s", "s2", "REPLACE"}, {"COPY", "s", "s2", "replace", "replace"},
		{"COPY", "s", "s"}, {"COPY", "s", "s", "DB", id}, {"COPY", "s", "s3", "DB", id}, {"GET", "s3"},
		{"COPY", "nokey", "x"}, {"COPY", "s", "x", "BOGUS"}, {"COPY", "s", "x", "DB"}, {"COPY", "s"},
		{"HSET", "h", "a", "1", "b", "2"}, {"COPY", "h", "h2"}, {"HGET", "h2", "b"}, {"HLEN", "h2"},
		{"RPUSH", "l", "x", "y", "z"}, {"COPY", "l", "l2"}, {"LRANGE", "l2", "0", "-1"}, {"TYPE", "l2"},
		{"SADD", "S", "m"}, {"COPY", "S", "S2"}, {"SMEMBERS", "S2"},
		{"ZADD", "z", "1.5", "a", "2", "b"}, {"COPY", "z", "z2"}, {"ZRANGE", "z2", "0", "-1", "WITHSCORES"},
		{"COPY", "z", "l2", "REPLACE"}, {"TYPE", "l2"}, {"OBJECT", "ENCODING", "nokey"},
		{"MOVE", "s", id}, {"MOVE", "nokey", id}, {"MOVE", "s"}, {"MOVE", "s", id, "x"},
		{"DBSIZE"},
	} {
		want, got := r.do(cmd...), h.do(cmd...)
		if want != got {
			t.Errorf("%s:\n  redis:  %q\n  herodb: %q", strings.Join(cmd, " "), want, got)
		}
	}
}
