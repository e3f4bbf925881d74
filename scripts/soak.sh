#!/usr/bin/env bash
# make soak: the real binary under a bounded soak (issue 11). Builds bin/herodb and the
# soak driver (cmd/herodb-soak), which starts the server on a temporary directory with
# the RPC on, creates 100 databases with access keys over the RPC, runs 1,000 RESP
# connections over them (read/write mix) while revoking keys, and prints throughput,
# errors by kind, RSS over time and goroutines back to baseline.
#
# Environment: SOAK_SECONDS (default 60), SOAK_CONNS (1000), SOAK_DBS (100),
# SOAK_SYNC (always). Extra arguments go to the driver (see: go run ./cmd/herodb-soak -h).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
go build -ldflags "-X github.com/seed6aa118f9/herodb/server.Version=$VERSION" -o bin/herodb ./cmd/herodb
go build -o bin/herodb-soak ./cmd/herodb-soak

# 1,000 client connections plus the server's side of them need descriptors.
want=$(( ${SOAK_CONNS:-1000} * 2 + 256 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
	ulimit -n "$want" 2>/dev/null || echo "soak: ulimit -n is $(ulimit -n), below $want; connections may fail" >&2
fi

exec bin/herodb-soak -bin bin/herodb "$@"
