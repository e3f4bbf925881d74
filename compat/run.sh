#!/usr/bin/env bash
# make compat: each job framework's workload (compat/<framework>/) against redis-server,
# then against herodb through a tenant's access key, one line per framework and target.
# Exits non-zero when a workload fails on herodb (or on redis-server, which means the
# workload itself is broken), unless compat/known-failures lists that framework on
# herodb: a gap already reported, shown as "FAIL (known)" so it stays in sight. A
# framework whose packages are missing is skipped.
#
# Frameworks come from the distribution and npm (.ci/run installs them):
#   RQ, Celery: /usr/bin/python3 with python3-rq, python3-celery, python3-redis
#   Sidekiq:    ruby with ruby-sidekiq, ruby-redis
#   BullMQ:     node with bullmq and ioredis from npm, into $COMPAT_NPM_CACHE
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${HERODB_BIN:-$ROOT/bin/herodb}
FRAMEWORKS=${COMPAT_FRAMEWORKS:-rq celery sidekiq bullmq}
NPM_CACHE=${COMPAT_NPM_CACHE:-${HOME:-/tmp}/.cache/herodb-compat-npm}
WORKLOAD_TIMEOUT=${COMPAT_TIMEOUT:-90}
PY=/usr/bin/python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/herodb-compat.XXXXXX")
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

die() { echo "compat: $*" >&2; exit 2; }

free_port() {
	"$(command -v python3 || echo $PY)" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_ping PORT: until the server on PORT answers PING (both answer it before AUTH).
wait_ping() {
	for _ in $(seq 100); do
		[ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	return 1
}

# Every workload runs against redis-server first: without it there is nothing to
# compare with, so all of them skip.
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	echo "compat: skip  every framework: redis-server and redis-cli are not installed (apt-get install redis-server redis-tools)"
	exit 0
fi
[ -x "$BIN" ] || die "$BIN is missing: make build"

# redis-server: no persistence, a free port.
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
	--databases 16 >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_ping "$REDIS_PORT" || die "redis-server did not start: $(tail -3 "$WORK/redis.log")"

# herodb: its own data directory, an admin secret file, the RPC on a Unix socket (the
# socket's file mode is its authentication, so the CLI needs no secret).
HERODB_PORT=$(free_port)
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/admin-secret"
"$BIN" serve --dir "$WORK/data" --port "$HERODB_PORT" --admin-secret-file "$WORK/admin-secret" \
	--rpc-socket "$WORK/rpc.sock" >"$WORK/herodb.log" 2>&1 &
PIDS+=($!)
wait_ping "$HERODB_PORT" || die "herodb did not start: $(tail -3 "$WORK/herodb.log")"

# tenant NAME: a private herodb database and a read-write access key for it; prints
# "<id> <key>".
tenant() {
	local key id
	key=compat-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf %s "$key" >"$WORK/$1.key"
	id=$("$BIN" db create --rpc "$WORK/rpc.sock" --name "$1") || return 1
	"$BIN" key add "$id" --rpc "$WORK/rpc.sock" --key-file "$WORK/$1.key" >/dev/null || return 1
	echo "$id $key"
}

# available FRAMEWORK: empty when it can run, else why not.
available() {
	case $1 in
	rq) $PY -c 'import rq, redis' 2>/dev/null || echo "python3-rq is not installed" ;;
	celery) $PY -c 'import celery, redis' 2>/dev/null || echo "python3-celery is not installed" ;;
	sidekiq) ruby -e 'require "sidekiq"' 2>/dev/null || echo "ruby-sidekiq is not installed" ;;
	bullmq)
		if ! command -v node >/dev/null; then
			echo "node is not installed"
		elif ! { mkdir -p "$NPM_CACHE" && cp "$ROOT/compat/bullmq/package.json" "$NPM_CACHE/" &&
			timeout 300 npm install --no-audit --no-fund --prefix "$NPM_CACHE" >"$WORK/npm.log" 2>&1; }; then
			echo "npm install of bullmq failed (or took over 300s): $(tail -1 "$WORK/npm.log")"
		fi
		;;
	*) echo "unknown framework" ;;
	esac
}

# workload FRAMEWORK URL LOG: runs compat/<framework>/'s workload against URL. timeout
# puts it in a process group of its own (and signals the whole group when time is up);
# the group is ended afterwards too, so no worker process outlives its workload.
workload() {
	local cmd pid rc
	case $1 in
	rq | celery) cmd=($PY workload.py) ;;
	sidekiq) cmd=(ruby workload.rb) ;;
	bullmq) cmd=(env NODE_PATH="$NPM_CACHE/node_modules" node workload.js) ;;
	esac
	(cd "$ROOT/compat/$1" && exec timeout -k 5 "$WORKLOAD_TIMEOUT" "${cmd[@]}" "$2") >"$3" 2>&1 &
	pid=$!
	wait $pid
	rc=$?
	kill -KILL -- -$pid 2>/dev/null
	[ $rc -eq 124 ] && echo "timed out after ${WORKLOAD_TIMEOUT}s" >>"$3"
	return $rc
}

# reason LOG: why a workload failed: each prints that as its last line (the first
# error a client raised, or the check that did not hold).
reason() {
	local last
	last=$(grep -v '^\s*$' "$1" | tail -1)
	echo "${last:-no output}"
}

# known FRAMEWORK: the reason compat/known-failures gives for it on herodb, if any.
known() {
	grep -v '^#' "$ROOT/compat/known-failures" 2>/dev/null | awk -v fw="$1" '$1 == fw { $1 = ""; print substr($0, 2); exit }'
}

failed=0 passed=0 skipped=0 knownfail=0 n=0
for fw in $FRAMEWORKS; do
	n=$((n + 1))
	why=$(available "$fw")
	if [ -n "$why" ]; then
		printf 'compat: %-8s %-12s skip  %s\n' "$fw" "*" "$why"
		skipped=$((skipped + 2))
		continue
	fi
	read -r id key < <(tenant "compat-$fw") || die "could not create a herodb database for $fw"
	for target in redis-server herodb; do
		if [ $target = redis-server ]; then
			url=redis://127.0.0.1:$REDIS_PORT/$n
		else
			url=redis://:$key@127.0.0.1:$HERODB_PORT/$id
		fi
		log=$WORK/$fw-$target.log
		start=$SECONDS
		listed=
		[ $target = herodb ] && listed=$(known "$fw")
		if workload "$fw" "$url" "$log"; then
			printf 'compat: %-8s %-12s pass  (%ds)%s\n' "$fw" $target $((SECONDS - start)) \
				"${listed:+ (listed in compat/known-failures: remove it)}"
			passed=$((passed + 1))
		else
			printf 'compat: %-8s %-12s FAIL  (%ds)%s %s\n' "$fw" $target $((SECONDS - start)) \
				"${listed:+ (known: $listed)}" "$(reason "$log")"
			if [ -n "$listed" ]; then knownfail=$((knownfail + 1)); else failed=$((failed + 1)); fi
			# The end of its log, for CI's output; the key is the only secret in it.
			sed "s/$key/<key>/g; s/^/    /" "$log" | tail -40
		fi
	done
done
[ $knownfail -eq 0 ] || echo "compat: $knownfail known failures on herodb (compat/known-failures)"
echo "compat: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
