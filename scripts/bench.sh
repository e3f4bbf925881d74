#!/usr/bin/env bash
# make bench: herodb beside redis-server on this machine, in one run, with
# redis-benchmark; prints requests per second of each and the ratio herodb/redis,
# and writes the same report as markdown to bench/results/<UTC date>-<hostname>.md.
#
# Blocks (each starts both servers fresh, on their own temporary directories and
# random ports, and stops them at its end):
#   1. single database, writes (SET INCR HSET LPUSH LPOP) at each pipeline depth:
#      herodb --sync always   vs redis --appendonly yes --appendfsync always
#   2. the same, herodb --sync everysec vs redis --appendfsync everysec
#   3. single database, GET: herodb (--sync always) vs an in-memory redis
#      (--appendonly no --save ""), both preloaded by a SET run over the same -r; then
#      10 N GETs at -P 16 again while 4 more clients SET keys of the same range at -P 1
#   4. 16 databases, one redis-benchmark per database at once (SET -P 1), rps summed:
#      herodb --sync always vs redis --databases 17 --appendfsync always (dbnum 1..16)
#   5. the same with everysec on both
#   6. (SUSTAINED=1) 1M keys preloaded into the single database with redis-cli --pipe,
#      then SET and GET at each pipeline depth, beside the empty-database rows
#      (herodb --sync always vs redis --appendfsync always)
# and the RSS (VmRSS) of both servers at the end of every block.
#
# redis-benchmark asks CONFIG GET first; herodb answers that to the admin only and a
# connection without a credential gets NOAUTH, which redis-benchmark treats as fatal.
# So every herodb run passes the dev admin secret with -a (AUTH <secret>: the admin's
# rights on every database, no database selected), and --dbnum i then sends SELECT i.
# PING needs no credential, so readiness is a plain redis-cli ping on both servers.
#
# Env: N (requests per test, default 100000), C (clients, 50), D (value bytes, 100),
#      R (keyspace -r, 100000), PIPELINES ("1 16"), WRITE_TESTS (set,incr,hset,lpush,lpop),
#      MT_DBS (16), MT_C (connections per database, 4), MT_N (requests per database, N/10),
#      SUSTAINED (0; 1 when BENCH_FULL=1), SUSTAINED_KEYS (1000000),
#      BENCH_TMP (where the data directories go, default $TMPDIR or /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
C=${C:-50}
D=${D:-100}
R=${R:-100000}
PIPELINES=${PIPELINES:-1 16}
WRITE_TESTS=${WRITE_TESTS:-set,incr,hset,lpush,lpop}
MT_DBS=${MT_DBS:-16}
MT_C=${MT_C:-4}
MT_N=${MT_N:-$((N / 10))}
BENCH_FULL=${BENCH_FULL:-0}
if [[ $BENCH_FULL == 1 ]]; then SUSTAINED=${SUSTAINED:-1}; else SUSTAINED=${SUSTAINED:-0}; fi
SUSTAINED_KEYS=${SUSTAINED_KEYS:-1000000}

for t in redis-server redis-benchmark redis-cli; do
	command -v "$t" >/dev/null || { echo "bench: $t not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
[[ -x bin/herodb ]] || { echo "bench: bin/herodb not found (make build)" >&2; exit 1; }

tmp=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/herodb-bench.XXXXXX")
pids=()
cleanup() {
	local p
	for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; done
	for p in ${pids[@]+"${pids[@]}"}; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# The commit bin/herodb was built from (taken now: the checkout may move during the run).
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit+=" (working tree has uncommitted changes)"
say() { printf 'bench [%3ds] %s\n' $((SECONDS - start)) "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# A random port on 127.0.0.1 that nothing listens on, below the kernel's ephemeral
# range (so no client connection of an earlier run can hold it).
eph_low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % (eph_low - 10000)))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# ready PORT PID: until redis-cli ping answers PONG (0), or the process died or 20 s
# passed (1). PING needs no credential on herodb.
ready() {
	local i
	for i in $(seq 200); do
		[[ $(redis-cli -p "$1" ping 2>/dev/null) == PONG ]] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# launch NAME LOG COMMAND...: start a server whose command line holds the word PORT,
# replaced by a free port; retries on another port if it does not come up (a port
# taken meanwhile). Sets port, pid.
launch() {
	local name=$1 log=$2 try a args
	shift 2
	for try in 1 2 3 4 5; do
		port=$(free_port)
		args=()
		for a in "$@"; do [[ $a == PORT ]] && args+=("$port") || args+=("$a"); done
		"${args[@]}" >"$log" 2>&1 &
		pid=$!
		pids+=("$pid")
		ready "$port" "$pid" && return
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		unset 'pids[-1]'
	done
	echo "bench: $name did not answer PING; its log:" >&2
	cat "$log" >&2
	exit 1
}

# start_redis ARGS...: a fresh redis-server on its own directory; sets rport, rpid.
start_redis() {
	local dir
	dir=$(mktemp -d "$tmp/redis.XXXX")
	launch redis-server "$dir/log" redis-server --port PORT --bind 127.0.0.1 --dir "$dir" \
		--save "" --daemonize no "$@"
	rport=$port rpid=$pid
}

# start_herodb SYNC: a fresh herodb --dev on its own directory (admin secret in
# dev-admin-secret, public database 1 "demo", RPC on a random port and on a socket);
# sets hport, hpid, hsock, secret.
start_herodb() {
	local dir
	dir=$(mktemp -d "$tmp/herodb.XXXX")
	hsock=$dir/rpc.sock
	launch herodb "$dir/log" ./bin/herodb serve --dev --dir "$dir/data" --port PORT \
		--rpc-port "$(free_port)" --rpc-socket "$hsock" --sync "$1"
	hport=$port hpid=$pid
	# The RPC socket may come up just after the RESP port.
	local i
	for i in $(seq 100); do [[ -S $hsock ]] && break; sleep 0.1; done
	[[ -S $hsock ]] || die "herodb: no RPC socket at $hsock"
	secret=$(<"$dir/data/dev-admin-secret")
}

# rss_kb PID: the process's resident set, in kB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# stop_servers BLOCK: record both servers' RSS under BLOCK, then stop them.
stop_servers() {
	rss_rows+=("$1"$'\t'"$(rss_kb "$rpid")"$'\t'"$(rss_kb "$hpid")")
	local p keep=()
	for p in "$rpid" "$hpid"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do [[ $p == "$rpid" || $p == "$hpid" ]] || keep+=("$p"); done
	pids=(${keep[@]+"${keep[@]}"})
}

# rb PORT DBNUM ARGS...: one redis-benchmark run; prints "TEST rps" lines.
rb() {
	local port=$1 db=$2
	shift 2
	redis-benchmark -p "$port" --dbnum "$db" -d "$D" "$@" --csv 2>>"$tmp/redis-benchmark.log" |
		tail -n +2 | tr -d '"' | awk -F, '{ print $1, $2 }'
}

# The report: sections of rows "test<TAB>redis<TAB>herodb"; every row is also kept in
# val["SECTION/TEST"] so later sections can repeat it.
sections=() rss_rows=()
declare -A rows val
section() { cur=$1; sections+=("$1"); rows[$1]=""; }
row() { # TEST REDIS HERODB
	rows[$cur]+="$1"$'\t'"$2"$'\t'"$3"$'\n'
	val[$cur/$1]="$2"$'\t'"$3"
	say "  $(printf '%-22s redis %10.0f  herodb %10.0f' "$1" "$2" "$3")"
}

# compare LABEL ARGS...: the same redis-benchmark run on redis (db 0) and on herodb
# (db 1, with the admin secret); one row per test, named "TEST LABEL".
compare() {
	local label=$1 t r h
	shift
	rb "$rport" 0 "$@" >"$tmp/r"
	rb "$hport" 1 -a "$secret" "$@" >"$tmp/h"
	[[ -s $tmp/r && -s $tmp/h ]] || die "redis-benchmark printed nothing (see $tmp/redis-benchmark.log)"
	while read -r t r; do
		h=$(awk -v t="$t" '$1 == t { print $2 }' "$tmp/h")
		[[ -n $h ]] || die "herodb has no result for $t"
		row "$t $label" "$r" "$h"
	done <"$tmp/r"
}

# ---- 1, 2: single database, writes --------------------------------------------------
for sync in always everysec; do
	section "Single database, writes: herodb --sync $sync vs redis-server --appendonly yes --appendfsync $sync"
	say "writes, $sync"
	start_redis --appendonly yes --appendfsync "$sync"
	start_herodb "$sync"
	for P in $PIPELINES; do
		compare "P=$P" -n "$N" -c "$C" -r "$R" -P "$P" -t "$WRITE_TESTS"
	done
	stop_servers "writes, $sync"
	if [[ $sync == always ]]; then writes_always=$cur; fi
done

# ---- 3: single database, GET against an in-memory redis -------------------------------
section "Single database, GET: herodb --sync always vs in-memory redis-server (--appendonly no --save \"\"), $R keys preloaded range"
say "GET"
start_redis --appendonly no
start_herodb always
say "  preloading: SET -n $N -r $R -P 16 on both"
rb "$rport" 0 -n "$N" -c "$C" -r "$R" -P 16 -t set >/dev/null
rb "$hport" 1 -a "$secret" -n "$N" -c "$C" -r "$R" -P 16 -t set >/dev/null
for P in $PIPELINES; do
	compare "P=$P" -n "$N" -c "$C" -r "$R" -P "$P" -t get
done
# beside PORT DBNUM ARGS...: 10 N GETs at -P 16 (long enough for herodb to flush under
# them, about once a second) while 4 more clients SET keys of the same range at -P 1 all
# through, as a database in use is written while it is read.
beside() {
	local port=$1 db=$2 w
	shift 2
	redis-benchmark -p "$port" --dbnum "$db" -d "$D" "$@" -n $((N * 100)) -c 4 -r "$R" -P 1 -t set -q \
		>/dev/null 2>>"$tmp/redis-benchmark.log" &
	w=$!
	pids+=("$w")
	rb "$port" "$db" "$@" -n $((N * 10)) -c "$C" -r "$R" -P 16 -t get
	kill "$w" 2>/dev/null || true
	wait "$w" 2>/dev/null || true
	unset 'pids[-1]'
}
beside "$rport" 0 >"$tmp/r"
beside "$hport" 1 -a "$secret" >"$tmp/h"
r=$(awk '$1 == "GET" { print $2 }' "$tmp/r")
h=$(awk '$1 == "GET" { print $2 }' "$tmp/h")
[[ -n $r && -n $h ]] || die "GET beside a writer: redis-benchmark printed nothing (see $tmp/redis-benchmark.log)"
row "GET P=16 beside SET" "$r" "$h"
stop_servers "GET"
gets=$cur

# ---- 4, 5: many databases at once -----------------------------------------------------
# mt PORT ARGS...: one redis-benchmark per database 1..MT_DBS, all at once; prints the
# summed rps.
mt() {
	local port=$1 i bg=()
	shift
	rm -f "$tmp"/mt.*
	for i in $(seq 1 "$MT_DBS"); do
		rb "$port" "$i" "$@" -n "$MT_N" -c "$MT_C" -r "$R" -P 1 -t set >"$tmp/mt.$i" &
		bg+=($!)
	done
	for i in "${bg[@]}"; do wait "$i" || die "a redis-benchmark of the multi-database run failed"; done
	[[ $(cat "$tmp"/mt.* | grep -c '^SET ') == "$MT_DBS" ]] || die "multi-database run: not every database reported"
	awk '{ s += $2 } END { printf "%.2f\n", s }' "$tmp"/mt.*
}

for sync in always everysec; do
	section "$MT_DBS databases at once ($MT_C connections each, SET -P 1, rps summed): herodb --sync $sync vs redis-server --databases $((MT_DBS + 1)) --appendfsync $sync"
	say "$MT_DBS databases, $sync"
	start_redis --appendonly yes --appendfsync "$sync" --databases $((MT_DBS + 1))
	start_herodb "$sync"
	# --dev made database 1 ("demo"); create 2..MT_DBS so that --dbnum i reaches each.
	for i in $(seq 2 "$MT_DBS"); do
		id=$(./bin/herodb db create --rpc "$hsock" --name "tenant$i")
		[[ $id == "$i" ]] || die "herodb db create gave id $id, expected $i"
	done
	r=$(mt "$rport")
	h=$(mt "$hport" -a "$secret")
	row "SET x$MT_DBS dbs P=1" "$r" "$h"
	stop_servers "$MT_DBS databases, $sync"
done

# ---- 6: sustained: a database holding SUSTAINED_KEYS keys ------------------------------
# preload PORT DB ARGS...: SET key:000000000000 .. (redis-benchmark's key names) with
# D-byte values through redis-cli --pipe, in database DB.
preload() {
	local port=$1 db=$2 out
	shift 2
	out=$(awk -v n="$SUSTAINED_KEYS" -v d="$D" -v db="$db" 'BEGIN {
		v = sprintf("%" d "s", ""); gsub(/ /, "x", v)
		printf "*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n", length(db), db
		for (i = 0; i < n; i++) {
			k = sprintf("key:%012d", i)
			printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, d, v
		}
	}' | redis-cli -p "$port" --no-auth-warning "$@" --pipe 2>&1)
	[[ $out == *"errors: 0,"* ]] || die "preload on port $port: $out"
	[[ $(redis-cli -p "$port" --no-auth-warning "$@" -n "$db" dbsize) == "$SUSTAINED_KEYS" ]] ||
		die "preload on port $port: dbsize is not $SUSTAINED_KEYS"
}

if [[ $SUSTAINED == 1 ]]; then
	section "Sustained: $SUSTAINED_KEYS keys preloaded (-r $SUSTAINED_KEYS), herodb --sync always vs redis-server --appendfsync always; empty rows from the blocks above"
	say "sustained, $SUSTAINED_KEYS keys"
	start_redis --appendonly yes --appendfsync always
	start_herodb always
	say "  preloading $SUSTAINED_KEYS keys on both"
	t0=$(date +%s%N)
	preload "$rport" 0
	t1=$(date +%s%N)
	preload "$hport" 1 -a "$secret"
	t2=$(date +%s%N)
	sustained=$cur
	row "SET preload, redis-cli --pipe" \
		"$(awk -v n="$SUSTAINED_KEYS" -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", n / (ns / 1e9) }')" \
		"$(awk -v n="$SUSTAINED_KEYS" -v ns=$((t2 - t1)) 'BEGIN { printf "%.2f", n / (ns / 1e9) }')"
	for P in $PIPELINES; do
		rb "$rport" 0 -n "$N" -c "$C" -r "$SUSTAINED_KEYS" -P "$P" -t set,get >"$tmp/r"
		rb "$hport" 1 -a "$secret" -n "$N" -c "$C" -r "$SUSTAINED_KEYS" -P "$P" -t set,get >"$tmp/h"
		for t in SET GET; do
			if [[ $t == SET ]]; then empty=${val[$writes_always/SET P=$P]-}; else empty=${val[$gets/GET P=$P]-}; fi
			if [[ -n $empty ]]; then rows[$sustained]+="$t P=$P, empty"$'\t'"$empty"$'\n'; fi
			row "$t P=$P, $SUSTAINED_KEYS keys" \
				"$(awk -v t=$t '$1 == t { print $2 }' "$tmp/r")" "$(awk -v t=$t '$1 == t { print $2 }' "$tmp/h")"
		done
	done
	stop_servers "sustained, $SUSTAINED_KEYS keys"
fi

# ---- the report ------------------------------------------------------------------------
# table UNIT FORMAT: markdown rows from stdin "name<TAB>redis<TAB>herodb".
table() {
	awk -F'\t' -v unit="$1" -v fmt="$2" '
		BEGIN {
			printf "| %-30s | %14s | %14s | %6s |\n", "test", "redis " unit, "herodb " unit, "ratio"
			printf "|:%s|%s:|%s:|%s:|\n", "-------------------------------", "---------------", "---------------", "-------"
		}
		NF == 3 {
			ratio = $2 > 0 ? sprintf("%.2f", $3 / $2) : "n/a"
			printf "| %-30s | %14s | %14s | %6s |\n", $1, sprintf(fmt, $2), sprintf(fmt, $3), ratio
		}'
}

report() {
	local s
	echo "# herodb vs redis-server, $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname)"
	echo
	echo "## Machine"
	echo
	echo "- CPUs (nproc): $(nproc)"
	echo "- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "- kernel: $(uname -srm)"
	echo "- redis-server: $(redis-server --version)"
	echo "- go: $(go version 2>/dev/null || echo 'not found')"
	echo "- herodb: commit $commit; $(./bin/herodb version 2>/dev/null || echo '?')"
	echo "- data directories: $(df -PT "$tmp" | awk 'NR == 2 { print $2 " on " $1 ", mounted on " $7 }')"
	echo "- load average (1, 5, 15 min): $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work on the machine skews both servers)"
	echo
	echo "## Parameters"
	echo
	echo "- single database: \`redis-benchmark -n $N -c $C -d $D -r $R -P <p>\` for p in $PIPELINES; writes: \`-t $WRITE_TESTS\` (one run per p); redis db 0, herodb db 1 (\`--dbnum 1 -a <admin secret>\`)"
	echo "- GET: both preloaded with \`-t set -n $N -c $C -r $R -P 16\`, then \`-t get\` with the same -r; \"beside SET\": \`-t get -n $((N * 10)) -P 16\` while \`-t set -c 4 -r $R -P 1\` runs throughout"
	echo "- $MT_DBS databases: $MT_DBS concurrent \`redis-benchmark --dbnum i -n $MT_N -c $MT_C -d $D -r $R -P 1 -t set\`, i = 1..$MT_DBS, rps summed"
	if [[ $SUSTAINED == 1 ]]; then
		echo "- sustained: $SUSTAINED_KEYS keys \`key:%012d\` of $D bytes by \`redis-cli --pipe\`, then \`-t set,get -n $N -c $C -r $SUSTAINED_KEYS -P <p>\`"
	else
		echo "- sustained: skipped (SUSTAINED=1 or BENCH_FULL=1 runs it)"
	fi
	echo "- every block starts both servers fresh on their own temporary directories; herodb \`serve --dev\`, redis-server \`--save \"\"\`"
	echo "- ratio = herodb / redis; wall time of the run: $((SECONDS - start)) s"
	for s in "${sections[@]}"; do
		echo
		echo "## $s"
		echo
		printf '%s' "${rows[$s]}" | table rps "%.0f"
	done
	echo
	echo "## Resident memory (VmRSS) at the end of each block"
	echo
	printf '%s\n' "${rss_rows[@]}" | awk -F'\t' -v OFS='\t' '{ print $1, $2 / 1024, $3 / 1024 }' | table MiB "%.1f"
}

mkdir -p bench/results
out=bench/results/$(date -u +%Y-%m-%d)-$(hostname -s).md
report | tee "$out"
say "written to $out"
