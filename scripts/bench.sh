#!/usr/bin/env bash
# Compares herodb with redis-server on this machine, in the same run, with
# redis-benchmark; prints requests per second of each and the ratio herodb/redis.
# Env: N (requests, default 50000), C (clients, 50), P (pipeline, 1 and 16), SYNC (always).
set -euo pipefail
cd "$(dirname "$0")/.."
for t in redis-server redis-benchmark; do
	command -v $t >/dev/null || { echo "bench: $t not found (apt-get install redis-server redis-tools)"; exit 1; }
done
N=${N:-50000}; C=${C:-50}; SYNC=${SYNC:-always}
tmp=$(mktemp -d)
rport=$((20000 + RANDOM % 10000)); hport=$((rport + 1))
redis-server --port $rport --save "" --appendonly no --daemonize no >"$tmp/redis.log" 2>&1 &
rpid=$!
./bin/herodb serve --dev --dir "$tmp/data" --port $hport --sync "$SYNC" >"$tmp/herodb.log" 2>&1 &
hpid=$!
trap 'kill $rpid $hpid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for i in $(seq 50); do
	redis-cli -p $hport ping >/dev/null 2>&1 && redis-cli -p $rport ping >/dev/null 2>&1 && break
	sleep 0.1
done
tests=set,get,hset,lpush
# redis-benchmark reads CONFIG GET first, which herodb answers to the admin only.
secret=$(cat "$tmp/data/dev-admin-secret")
rps() { # port dbnum pipeline [auth args] -> "test rps" lines
	redis-benchmark -p "$1" --dbnum "$2" "${@:4}" -n "$N" -c "$C" -P "$3" -t $tests --csv 2>/dev/null |
		tail -n +2 | tr -d '"' | awk -F, '{print $1, $2}'
}
echo "herodb vs redis-server: $N requests, $C clients, sync=$SYNC (herodb), $(nproc) cores"
printf "%-22s %14s %14s %8s\n" test redis herodb ratio
for P in ${P:-1 16}; do
	rps $rport 0 "$P" >"$tmp/r"
	rps $hport 1 "$P" -a "$secret" >"$tmp/h"
	join <(sort "$tmp/r") <(sort "$tmp/h") | while read -r name r h; do
		printf "%-22s %14.0f %14.0f %8.2f\n" "$name P=$P" "$r" "$h" "$(echo "$h / $r" | bc -l)"
	done
done
