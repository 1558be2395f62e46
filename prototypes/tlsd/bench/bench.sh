#!/usr/bin/env bash
# Model (a) vs model (b) vs OpenSSL, servers side by side, one client
# (the OpenSSL build's libpq, psql and pgbench), the method of
# /work/main/bench/run.sh: pgbench -C -S -c 4 -j 2 (connections/s),
# pgbench -S -c 8 -j 2 (tps), COPY of 500 MB through psql, plus the RSS of
# an idle backend and the wall time of `psql -c 'select 1'` (median of 20).
# Interleaved rounds; medians.  Servers must be running (servers.sh).
#
# usage: bench.sh OUT-DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/servers.sh"
out=$1
mkdir -p "$out"
duration=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
copy_rows=${BENCH_COPY_ROWS:-500000}
firsts=${BENCH_FIRST:-20}

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# idle_backend SERVER SSLMODE: prints "rss_kB pss_kB threads" of an idle
# backend that has run one query.
idle_backend() {
	local s=$1 mode=$2 pid="" i
	( echo 'select 1;'; sleep 4 ) | cpsql -q -d "$(conninfo "$s" "$mode" application_name=rssprobe)" >/dev/null &
	local client=$!
	for i in $(seq 40); do
		pid=$(lpsql "$s" -Atc "select pid from pg_stat_activity where application_name = 'rssprobe' and state = 'idle'" 2>/dev/null || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	sleep 0.5
	local rss pss thr
	rss=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status")
	thr=$(awk '/^Threads/{print $2}' "/proc/$pid/status")
	pss=$(awk '/^Pss:/{print $2}' "/proc/$pid/smaps_rollup")
	wait "$client"
	echo "$rss $pss $thr"
}

# measure NAME SERVER SSLMODE
measure() {
	local name=$1 s=$2 mode=$3
	local ci; ci=$(conninfo "$s" "$mode")
	printf '==> round %s, %s\n' "$round" "$name"
	local conn_tps tps start end copy_s first rss pss thr
	conn_tps=$(cpgbench -n -C -S -c 4 -j 2 -T "$duration" "$ci" 2>&1 | sed -nE 's/^tps = ([0-9.]+).*/\1/p')
	tps=$(cpgbench -n -S -c 8 -j 2 -T "$duration" "$ci" 2>&1 | sed -nE 's/^tps = ([0-9.]+).*/\1/p')
	[ -n "$conn_tps" ] && [ -n "$tps" ] || { echo "pgbench failed for $name" >&2; exit 1; }
	start=$(now)
	cpsql -q -d "$ci" -c "COPY (SELECT repeat('x', 999) FROM generate_series(1, $copy_rows)) TO STDOUT" >/dev/null
	end=$(now)
	copy_s=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
	first=$(for i in $(seq "$firsts"); do
		start=$(now); cpsql -q -d "$ci" -c 'select 1' >/dev/null; end=$(now)
		awk -v a="$start" -v b="$end" 'BEGIN { print (b - a) * 1000 }'
	done | median)
	read -r rss pss thr < <(idle_backend "$s" "$mode")
	local drss="" dthr=""
	if [ "$s" = gob ] && [ "$mode" != disable ]; then
		drss=$(awk '/^VmRSS/{print $2}' "/proc/$(tlsd_pid)/status")
		dthr=$(awk '/^Threads/{print $2}' "/proc/$(tlsd_pid)/status")
	fi
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$name" "$conn_tps" "$tps" "$copy_s" "$first" "$rss" "$pss" "$thr" "$drss" "$dthr" >>"$out/raw.dat"
	printf '    conn/s %s  tps %s  COPY %.2f s  first %.1f ms  backend RSS %s kB PSS %s kB threads %s  %s\n' \
		"$conn_tps" "$tps" "$copy_s" "$first" "$rss" "$pss" "$thr" "${drss:+daemon RSS $drss kB threads $dthr}"
}

configs=("no TLS|ossl|disable" "no TLS, Go-built server|gob|disable" "OpenSSL|ossl|require" "model (a) Go in backend|goa|require" "model (b) pg-tlsd|gob|require")
: >"$out/raw.dat"
date -u >"$out/when"
uptime >>"$out/when"
for round in $(seq "$rounds"); do
	# rotate the order each round, so that no configuration always runs first
	for k in $(seq 0 $((${#configs[@]} - 1))); do
		IFS='|' read -r name s mode <<<"${configs[$(((k + round - 1) % ${#configs[@]}))]}"
		measure "$name" "$s" "$mode"
	done
done
uptime >>"$out/when"

col() { grep "^$1|" "$out/raw.dat" | cut -d'|' -f"$2" | median; }
{
	echo "| server | conn/s | select-only tps | COPY 500 MB, s | first conn (psql -c 'select 1'), ms | idle backend RSS, kB | idle backend PSS, kB | backend threads |"
	echo "|---|---|---|---|---|---|---|---|"
	for c in "${configs[@]}"; do
		name=${c%%|*}
		printf '| %s | %.1f | %.0f | %.2f | %.1f | %.0f | %.0f | %.0f |\n' "$name" "$(col "$name" 2)" "$(col "$name" 3)" \
			"$(col "$name" 4)" "$(col "$name" 5)" "$(col "$name" 6)" "$(col "$name" 7)" "$(col "$name" 8)"
	done
} | tee "$out/results.md"
