#!/usr/bin/env bash
# make bench: the Go libpq beside the OpenSSL libpq, both against the same
# OpenSSL-built server on loopback in the same run, with plain TCP as the
# ceiling.  Both clients are the same programs (the OpenSSL build's
# pgbench and psql); LD_LIBRARY_PATH picks the libpq.
#
# Writes results.md, results.dat (medians), raw.dat (every round) and
# chart.png into OUT-DIR.
#
# usage: run.sh GO-PREFIX OPENSSL-PREFIX TOOLS-DIR OUT-DIR
set -euo pipefail

go_prefix=$1 ossl_prefix=$2 tools=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
duration=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
copy_rows=${BENCH_COPY_ROWS:-500000}   # 500000 rows of 1000 bytes: 500 MB
work=$(mktemp -d /tmp/pg-gotls-bench.XXXXXX)
chmod 755 "$work"
mkdir -p "$out"

. "$here/../test/tls-server.sh"

cleanup() {
	stop_tls_server "$work" "$ossl_prefix"
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '==> %s\n' "$*"; }

step "server: OpenSSL build, ECDSA P-256 certificate, on 127.0.0.1"
start_tls_server "$work" "$ossl_prefix" "$tools" "max_connections = 50"
"$ossl_prefix/bin/pgbench" -i -q -s 10 -h "$work" -p "$port" -U postgres postgres >/dev/null 2>&1

base="host=localhost hostaddr=127.0.0.1 port=$port user=postgres dbname=postgres"

# measure NAME SSLMODE LIBDIR: one row of measurements, appended to raw.
measure() {
	local name=$1 sslmode=$2 libdir=$3
	local conninfo="$base sslmode=$sslmode"
	local env=(env LD_LIBRARY_PATH="$libdir")
	step "round $round, $name: pgbench -C -S, -S, COPY, first connection"
	local conn_tps tps start end copy_s first rss threads
	conn_tps=$("${env[@]}" "$ossl_prefix/bin/pgbench" -n -C -S -c 4 -j 2 -T "$duration" "$conninfo" 2>&1 |
		sed -nE 's/^tps = ([0-9.]+).*/\1/p')
	tps=$("${env[@]}" "$ossl_prefix/bin/pgbench" -n -S -c 8 -j 2 -T "$duration" "$conninfo" 2>&1 |
		sed -nE 's/^tps = ([0-9.]+).*/\1/p')
	if [ -z "$conn_tps" ] || [ -z "$tps" ]; then
		echo "pgbench failed for $name ($conninfo)" >&2
		exit 1
	fi
	start=$(date +%s.%N)
	"${env[@]}" "$ossl_prefix/bin/psql" -X -q -d "$conninfo" \
		-c "COPY (SELECT repeat('x', 999) FROM generate_series(1, $copy_rows)) TO STDOUT" >/dev/null
	end=$(date +%s.%N)
	copy_s=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
	read -r first rss threads < <("${env[@]}" "$tools/pgtls_connect" "$conninfo" |
		awk '/first_connect_ms/{f=$2} /rss_kb/{r=$2} /threads/{t=$2} END{print f, r, t}')
	printf '%s|%s|%s|%s|%s|%s|%s\n' "$name" "$conn_tps" "$tps" "$copy_s" "$first" "$rss" "$threads" >>"$out/raw.dat"
}

# Rounds interleave the clients, so that a slow spell of the machine does
# not land on one client only; the table shows each client's median.
: >"$out/raw.dat"
for round in $(seq "$rounds"); do
	measure "no TLS" disable "$ossl_prefix/lib"
	measure "OpenSSL libpq" require "$ossl_prefix/lib"
	measure "Go libpq" require "$go_prefix/lib"
done

# median NAME COLUMN: the median of one client's column in raw.dat.
median() {
	grep "^$1|" "$out/raw.dat" | cut -d'|' -f"$2" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
: >"$work/rows"
for name in "no TLS" "OpenSSL libpq" "Go libpq"; do
	printf '%s|%.1f|%.0f|%.2f|%.1f|%s|%s\n' "$name" "$(median "$name" 2)" "$(median "$name" 3)" \
		"$(median "$name" 4)" "$(median "$name" 5)" "$(median "$name" 6)" "$(median "$name" 7)" >>"$work/rows"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ossl=$(grep '^OpenSSL libpq|' "$work/rows")
gol=$(grep '^Go libpq|' "$work/rows")
field() { echo "$1" | cut -d'|' -f"$2"; }

{
	echo "# Client benchmark: Go libpq vs OpenSSL libpq"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, server: PostgreSQL $("$ossl_prefix/bin/postgres" --version | awk '{print $3}') with OpenSSL,"
	echo "ECDSA P-256 certificate, TLS 1.3, loopback; ${duration} s per pgbench run;"
	echo "median of $rounds interleaved rounds (every round in raw.dat)."
	echo
	echo "| client | connections/s (pgbench -C -S -c 4 -j 2) | select-only tps (pgbench -S -c 8 -j 2) | COPY $((copy_rows / 1000)) MB to stdout, s | first connection in a process, ms | client RSS with 2 connections, kB | client threads |"
	echo "|---|---|---|---|---|---|---|"
	while IFS='|' read -r name c t copy first rss threads; do
		echo "| $name | $c | $t | $copy | $first | $rss | $threads |"
	done <"$work/rows"
	echo
	echo "Ratios, Go libpq / OpenSSL libpq (targets: connections/s ≥ 1.0, tps ≥ 1.0, COPY time ≤ 1.0):"
	echo
	echo "- connections/s: $(ratio "$(field "$gol" 2)" "$(field "$ossl" 2)")"
	echo "- select-only tps: $(ratio "$(field "$gol" 3)" "$(field "$ossl" 3)")"
	echo "- COPY time: $(ratio "$(field "$gol" 4)" "$(field "$ossl" 4)")"
} >"$out/results.md"
cp "$work/rows" "$out/results.dat"

if command -v gnuplot >/dev/null; then
	gnuplot <<PLOT
set terminal pngcairo size 1200,420 font ",10"
set output "$out/chart.png"
set datafile separator "|"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set multiplot layout 1,3 title "Go libpq vs OpenSSL libpq (same OpenSSL server, loopback)"
set yrange [0:*]
set title "connections/s (higher is better)"
plot "$out/results.dat" using 2:xtic(1) notitle lc rgb "#4477aa"
set title "select-only tps (higher is better)"
plot "$out/results.dat" using 3:xtic(1) notitle lc rgb "#66ccee"
set title "COPY 500 MB, seconds (lower is better)"
plot "$out/results.dat" using 4:xtic(1) notitle lc rgb "#ee6677"
unset multiplot
PLOT
fi
cat "$out/results.md"
