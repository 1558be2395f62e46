#!/usr/bin/env bash
# make bench: the Go and the OpenSSL TLS stacks on each side of the wire in
# the same run: the OpenSSL-built and the Go-built server on loopback, each
# with the OpenSSL and the Go libpq, and plain TCP as the ceiling.  The
# client programs are the same (the OpenSSL build's pgbench and psql);
# LD_LIBRARY_PATH picks the libpq.
#
# Writes results.md, results.dat (medians), raw.dat (every round),
# paths.dat (every round of the paths table) and chart.png into OUT-DIR.
#
# usage: run.sh GO-PREFIX OPENSSL-PREFIX TOOLS-DIR OUT-DIR
set -euo pipefail

go_prefix=$1 ossl_prefix=$2 tools=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
duration=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-5}
copy_rows=${BENCH_COPY_ROWS:-500000}   # 500000 rows of 1000 bytes: 500 MB
one_client_tx=${BENCH_ONE_CLIENT_TX:-20000}
work=$(mktemp -d /tmp/pg-gotls-bench.XXXXXX)
chmod 755 "$work"
mkdir -p "$out"

. "$here/../test/tls-server.sh"

cleanup() {
	stop_tls_server "$work/openssl" "$ossl_prefix"
	stop_tls_server "$work/go" "$go_prefix"
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '==> %s\n' "$*"; }

# Both servers: ECDSA P-256 certificates, the same settings and data.
declare -A ports
for server in openssl go; do
	prefix=$ossl_prefix
	[ $server = go ] && prefix=$go_prefix
	step "server: $server build, ECDSA P-256 certificate, on 127.0.0.1"
	mkdir -m 755 "$work/$server"
	start_tls_server "$work/$server" "$prefix" "$tools" "max_connections = 50"
	ports[$server]=$port
	"$prefix/bin/pgbench" -i -q -s 10 -h "$work/$server" -p "$port" -U postgres postgres >/dev/null 2>&1
done

# conninfo SERVER SSLMODE: the loopback TCP connection string for a server.
conninfo() {
	echo "host=localhost hostaddr=127.0.0.1 port=${ports[$1]} user=postgres dbname=postgres sslmode=$2"
}

# backend_memory SERVER CONNINFO LIBDIR [ENV]: "RSS Pss" (kB) of a backend
# of SERVER that has run a query over CONNINFO and is idle in pg_sleep.
backend_memory() {
	local server=$1 conninfo=$2 libdir=$3 extra=${4:-} pid
	env LD_LIBRARY_PATH="$libdir" $extra "$ossl_prefix/bin/psql" -X -q -d "$conninfo application_name=bench_memory" \
		-c "SELECT count(*) FROM pg_class" -c "SELECT pg_sleep(3)" >/dev/null &
	sleep 1.5
	pid=$("$ossl_prefix/bin/psql" -X -At -h "$work/$server" -p "${ports[$server]}" -U postgres -d postgres \
		-c "SELECT pid FROM pg_stat_activity WHERE application_name = 'bench_memory'")
	awk '/^Rss:/{r=$2} /^Pss:/{p=$2} END{print r, p}' "/proc/$pid/smaps_rollup"
	wait
}

# tlsd_memory: "RSS-idle RSS-per-connection" (kB) of the Go server's TLS
# process, pg_tlsd, alone and with 20 idle TLS sessions: its share of
# each TLS connection's memory, which the backend no longer holds. RSS,
# not Pss: pg_tlsd is not dumpable, so its smaps are closed to the
# server's user (a static Go binary shares little anyway).
tlsd_memory() {
	local n=20 pid before after
	pid=$(pgrep -f "^pg_tlsd $work/go/data\$")
	before=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")
	for _ in $(seq "$n"); do
		"$ossl_prefix/bin/psql" -X -q -d "$(conninfo go require)" -c "SELECT pg_sleep(5)" >/dev/null &
	done
	sleep 3
	after=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")
	wait
	echo "$before $(((after - before) / n))"
}

# The measurements of a row (a server and a client). Each runs inside
# measure(), which sets the row's fields, its conninfo and env (the command
# prefix that picks the row's libpq), and prints its values, separated by
# spaces.
conn_tps() {
	"${env[@]}" "$ossl_prefix/bin/pgbench" -n -C -S -c 4 -j 2 -T "$duration" "$conninfo" 2>&1 |
		sed -nE 's/^tps = ([0-9.]+).*/\1/p'
}
tps8() {
	"${env[@]}" "$ossl_prefix/bin/pgbench" -n -S -c 8 -j 2 -T "$duration" "$conninfo" 2>&1 |
		sed -nE 's/^tps = ([0-9.]+).*/\1/p'
}
# COPY: the fastest of three runs, with the client's CPU time (user +
# system, s) in it. A COPY's time is the server's, which spends it making
# and encrypting the rows whatever libpq reads them (docs/performance.md):
# the fastest run is the least disturbed.
copy_time() {
	local start end
	for _ in 1 2 3; do
		start=$(date +%s.%N)
		"${env[@]}" /usr/bin/time -o "$work/copy-cost" -f '%U %S' "$ossl_prefix/bin/psql" -X -q -d "$conninfo" \
			-c "COPY (SELECT repeat('x', 999) FROM generate_series(1, $copy_rows)) TO STDOUT" >/dev/null
		end=$(date +%s.%N)
		awk -v a="$start" -v b="$end" '{ print b - a, $1 + $2 }' "$work/copy-cost"
	done | sort -g | head -1
}
# One connection: its tps, and the client's own cost per transaction, CPU
# time (user + system, µs) and voluntary context switches of pgbench.
one_client() {
	{ "${env[@]}" /usr/bin/time -f 'client-cost %U %S %w' \
		"$ossl_prefix/bin/pgbench" -n -S -c 1 -t "$one_client_tx" "$conninfo"; } 2>&1 |
		awk -v n="$one_client_tx" '/^tps = /{t=$3} /^client-cost/{c=($2 + $3) * 1e6 / n; w=$4 / n}
			END{printf "%s %.1f %.2f\n", t, c, w}'
}
first_connection() {
	"${env[@]}" "$tools/pgtls_connect" "$conninfo" |
		awk '/first_connect_ms/{f=$2} /rss_kb/{r=$2} /threads/{t=$2} END{print f, r, t}'
}
memory() { backend_memory "$server" "$conninfo" "$libdir" "$extra"; }
measurements=(conn_tps tps8 copy_time one_client first_connection memory)

# measure ROW MEASUREMENT: one measurement of one row, kept in values[].
declare -A values
measure() {
	local name server sslmode libdir extra conninfo env
	IFS='|' read -r name server sslmode libdir extra <<<"$1"
	conninfo=$(conninfo "$server" "$sslmode")
	env=(env LD_LIBRARY_PATH="$libdir" $extra)
	step "round $round, $2: $name"
	values[$name,$2]=$($2)
	if [ -z "${values[$name,$2]}" ]; then
		echo "$2 failed for $name ($conninfo)" >&2
		exit 1
	fi
}

# record_round ROW: the row's values of this round, a line of raw.dat.
record_round() {
	local name=${1%%|*} conn tps copy_s copy_cpu tps1 cpu_us csw first rss threads be_rss be_pss
	conn=${values[$name,conn_tps]} tps=${values[$name,tps8]}
	read -r copy_s copy_cpu <<<"${values[$name,copy_time]}"
	read -r tps1 cpu_us csw <<<"${values[$name,one_client]}"
	read -r first rss threads <<<"${values[$name,first_connection]}"
	read -r be_rss be_pss <<<"${values[$name,memory]}"
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$name" "$conn" "$tps" "$copy_s" "$first" "$rss" "$threads" \
		"$be_rss" "$be_pss" "$cpu_us" "$csw" "$tps1" "$copy_cpu" "$round" >>"$out/raw.dat"
}

# measure_path NAME LIBDIR ENV [fork]: one connection of the OpenSSL
# server's, on one of the Go libpq's paths (bench/carry.c): its first
# query, one client's select-only tps and the COPY, appended to
# paths.dat. ENV is one more variable for the client ("-" for none).
measure_path() {
	local name=$1 libdir=$2 extra=$3 mode=${4:-} first tps copy_s
	[ "$extra" = - ] && extra=
	step "round $round, one connection, $name"
	read -r first tps copy_s < <(env LD_LIBRARY_PATH="$libdir" $extra "$tools/pgtls_carry" \
		"$(conninfo openssl require)" "$one_client_tx" "$copy_rows" $mode |
		awk '/^first_query_ms/{f=$2} /^tps/{t=$2} /^copy_s/{c=$2} END{print f, t, c}')
	if [ -z "$copy_s" ]; then
		echo "pgtls_carry failed for $name" >&2
		exit 1
	fi
	printf '%s|%s|%s|%s|%s\n' "$name" "$first" "$tps" "$copy_s" "$round" >>"$out/paths.dat"
}

# The ways a Go libpq connection can run, next to OpenSSL's libpq.
paths=("OpenSSL libpq|$ossl_prefix/lib|-"
	"Go libpq, in process|$go_prefix/lib|-"
	"Go libpq, through the helper|$go_prefix/lib|PGGOTLS_HELPER=1"
	"Go libpq, carried on in a forked child|$go_prefix/lib|-|fork")

# The rows: server, client.
rows=("no TLS|openssl|disable|$ossl_prefix/lib"
	"Go server, no TLS|go|disable|$ossl_prefix/lib"
	"OpenSSL server, OpenSSL libpq|openssl|require|$ossl_prefix/lib"
	"OpenSSL server, Go libpq|openssl|require|$go_prefix/lib"
	"OpenSSL server, Go libpq through the helper|openssl|require|$go_prefix/lib|PGGOTLS_HELPER=1"
	"Go server, OpenSSL libpq|go|require|$ossl_prefix/lib"
	"Go server, Go libpq|go|require|$go_prefix/lib")

# What loading the Go library and one call into it cost, outside any
# connection (bench/crossing.c).
step "the Go library: load, first call, one call's cost"
read -r load_ms first_call_ms call_ns crossing_ns < <("$tools/pgtls_crossing" "$go_prefix/lib/libpq_gotls.so" |
	awk '/^load_ms/{l=$2} /^first_call_ms/{f=$2} /^call_ns/{c=$2} /^crossing_ns/{x=$2} END{print l, f, c, x}')

# Before the rounds, while pg_tlsd's heap has not yet grown with their
# connections: after them, its idle heap absorbs 20 more sessions unseen.
step "TLS process memory: idle, and with 20 idle TLS sessions"
read -r tlsd_idle tlsd_per_conn < <(tlsd_memory)

# Rounds interleave the clients at each measurement, so that a slow spell
# of the machine lands on all of them: the rows take turns at one
# measurement before the next begins, in reverse order every other round
# (and so do the paths). The tables show each client's median, and each ratio to OpenSSL is the
# median of the rounds' ratios.
: >"$out/raw.dat"
: >"$out/paths.dat"
# in_round_order ITEM...: the items, reversed in even rounds.
in_round_order() {
	local i items=("$@")
	for ((i = 0; i < ${#items[@]}; i++)); do
		if ((round % 2 == 0)); then
			echo "${items[${#items[@]} - 1 - i]}"
		else
			echo "${items[i]}"
		fi
	done
}
for round in $(seq "$rounds"); do
	mapfile -t order < <(in_round_order "${rows[@]}")
	for m in "${measurements[@]}"; do
		for row in "${order[@]}"; do
			measure "$row" "$m"
		done
	done
	for row in "${rows[@]}"; do
		record_round "$row"
	done
	while IFS='|' read -r name libdir extra mode; do
		measure_path "$name" "$libdir" "$extra" "$mode"
	done < <(in_round_order "${paths[@]}")
done

# median NAME COLUMN [FILE]: the median of one client's column in raw.dat
# (or FILE).
median() {
	grep "^$1|" "${3:-$out/raw.dat}" | cut -d'|' -f"$2" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# spread NAME COLUMN FORMAT [FILE]: "median (min-max)" of one client's
# column.
spread() {
	grep "^$1|" "${4:-$out/raw.dat}" | cut -d'|' -f"$2" | sort -g |
		awk -v f="$3" '{ v[NR] = $1 } END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf f " (" f "-" f ")", m, v[1], v[NR] }'
}
: >"$work/rows"
: >"$work/spreads"
for row in "${rows[@]}"; do
	name=${row%%|*}
	printf '%s|%.1f|%.0f|%.2f|%.1f|%s|%s|%s|%s|%.1f|%.2f|%.0f|%.2f\n' "$name" "$(median "$name" 2)" "$(median "$name" 3)" \
		"$(median "$name" 4)" "$(median "$name" 5)" "$(median "$name" 6)" "$(median "$name" 7)" \
		"$(median "$name" 8)" "$(median "$name" 9)" "$(median "$name" 10)" "$(median "$name" 11)" \
		"$(median "$name" 12)" "$(median "$name" 13)" >>"$work/rows"
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$name" "$(spread "$name" 2 %.1f)" "$(spread "$name" 3 %.0f)" \
		"$(spread "$name" 12 %.0f)" "$(spread "$name" 4 %.2f)" "$(spread "$name" 13 %.2f)" "$(spread "$name" 5 %.1f)" \
		"$(spread "$name" 10 %.1f)" "$(spread "$name" 11 %.2f)" >>"$work/spreads"
done

diff_kb() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+d", a - b }'; }
row_of() { grep "^$1|" "$work/rows"; }
# paired NAME BASE COLUMN [FILE]: "median (min-max)" over the rounds of
# NAME's value in COLUMN divided by BASE's in the same round, from raw.dat
# (or FILE, whose last column is also the round).
paired() {
	awk -F'|' -v a="$1" -v b="$2" -v c="$3" '
		$1 == a { x[$NF] = $c } $1 == b { y[$NF] = $c }
		END { for (r in x) if ((r in y) && y[r] > 0) print x[r] / y[r] }' "${4:-$out/raw.dat}" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "n/a"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f (%.2f-%.2f)", m, v[1], v[NR] }'
}
# ratio_row LABEL COLUMN: a line of the ratio table.
ratio_row() {
	local r="| $1 |" name
	for name in "OpenSSL server, Go libpq" "OpenSSL server, Go libpq through the helper" \
		"Go server, OpenSSL libpq" "Go server, Go libpq"; do
		r+=" $(paired "$name" "OpenSSL server, OpenSSL libpq" "$2") |"
	done
	echo "$r"
}
field() { echo "$1" | cut -d'|' -f"$2"; }
plain=$(row_of "no TLS")
goplain=$(row_of "Go server, no TLS")
ossl=$(row_of "OpenSSL server, OpenSSL libpq")
osrv=$(row_of "Go server, OpenSSL libpq")

{
	echo "# Benchmark: Go's crypto/tls vs OpenSSL, server and client"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $("$ossl_prefix/bin/postgres" --version | awk '{print $3}'),"
	echo "ECDSA P-256 certificates, TLS 1.3, loopback; ${duration} s per pgbench run;"
	echo "median of $rounds interleaved rounds (every round in raw.dat)."
	echo
	echo "| server, client | connections/s (pgbench -C -S -c 4 -j 2) | select-only tps (pgbench -S -c 8 -j 2) | select-only tps, one client (pgbench -S -c 1) | COPY $((copy_rows / 1000)) MB to stdout, s (fastest of 3) | client CPU in that COPY, s | first connection in a process, ms | client RSS with 2 connections, kB | client threads | backend RSS, kB | backend Pss, kB | client CPU per transaction, µs (pgbench -S -c 1) | client voluntary context switches per transaction |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	while IFS='|' read -r name c t copy first rss threads be_rss be_pss cpu csw t1 copy_cpu; do
		echo "| $name | $c | $t | $t1 | $copy | $copy_cpu | $first | $rss | $threads | $be_rss | $be_pss | $cpu | $csw |"
	done <"$work/rows"
	echo
	echo "The same medians with the lowest and highest round:"
	echo
	echo "| server, client | connections/s | tps, 8 clients | tps, one client | COPY, s | client CPU in COPY, s | first connection, ms | client CPU per transaction, µs | client voluntary context switches per transaction |"
	echo "|---|---|---|---|---|---|---|---|---|"
	while IFS='|' read -r name c t t1 copy copy_cpu first cpu csw; do
		echo "| $name | $c | $t | $t1 | $copy | $copy_cpu | $first | $cpu | $csw |"
	done <"$work/spreads"
	echo
	echo "Ratios to OpenSSL on both sides, each the median of the rounds' ratios (lowest-highest round) (targets: connections/s ≥ 1.0, tps ≥ 1.0, COPY time ≤ 1.0, CPU and context switches within 10 %):"
	echo
	echo "| | Go libpq, OpenSSL server | Go libpq through the helper, OpenSSL server | Go server, OpenSSL libpq | Go on both sides |"
	echo "|---|---|---|---|---|"
	ratio_row "connections/s" 2
	ratio_row "select-only tps" 3
	ratio_row "select-only tps, one client" 12
	ratio_row "COPY time" 4
	ratio_row "client CPU in COPY" 13
	ratio_row "client CPU per transaction" 10
	ratio_row "client context switches per transaction" 11
	echo
	echo "One connection of the OpenSSL server's on each of the Go libpq's paths (bench/carry.c): a first query," \
		"$one_client_tx select-only transactions, COPY $((copy_rows / 1000)) MB; medians (lowest-highest round)," \
		"and ratios to OpenSSL's libpq (the median of the rounds' ratios). A session carried on in a forked child is the connection its parent made," \
		"resumed by a helper (docs/fork.md): its first query includes starting the helper."
	echo
	echo "| path | first query, ms | tps | COPY, s | tps ratio | COPY time ratio |"
	echo "|---|---|---|---|---|---|"
	for path in "${paths[@]}"; do
		name=${path%%|*}
		echo "| $name | $(spread "$name" 2 %.2f "$out/paths.dat") | $(spread "$name" 3 %.0f "$out/paths.dat") |" \
			"$(spread "$name" 4 %.2f "$out/paths.dat") |" \
			"$(paired "$name" "OpenSSL libpq" 3 "$out/paths.dat") |" \
			"$(paired "$name" "OpenSSL libpq" 4 "$out/paths.dat") |"
	done
	echo
	echo "The Go libpq's own costs, outside any connection: loading libpq_gotls.so (the Go runtime starts)" \
		"$load_ms ms, its first call $first_call_ms ms; one call from C (gotls_pending on a session)" \
		"$call_ns ns, of which the crossing into Go alone $crossing_ns ns."
	echo
	echo "Extra memory of a TLS backend over a plain one (target ≤ 1 MB): OpenSSL server" \
		"RSS $(diff_kb "$(field "$ossl" 8)" "$(field "$plain" 8)") kB, Pss $(diff_kb "$(field "$ossl" 9)" "$(field "$plain" 9)") kB;" \
		"Go server RSS $(diff_kb "$(field "$osrv" 8)" "$(field "$goplain" 8)") kB, Pss $(diff_kb "$(field "$osrv" 9)" "$(field "$goplain" 9)") kB" \
		"in the backend, and RSS +$tlsd_per_conn kB per connection in the TLS process (pg_tlsd: $tlsd_idle kB idle," \
		"measured with 20 idle TLS sessions)."
} >"$out/results.md"
cp "$work/rows" "$out/results.dat"

if command -v gnuplot >/dev/null; then
	XDG_CACHE_HOME="$work" gnuplot <<PLOT  # fontconfig wants a writable cache
set terminal pngcairo size 1600,520 font ",10"
set output "$out/chart.png"
set datafile separator "|"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set multiplot layout 1,4 title "Go's crypto/tls vs OpenSSL, server and client (loopback)"
set xtics rotate by -30
set bmargin 10
set yrange [0:*]
set title "connections/s (higher is better)"
plot "$out/results.dat" using 2:xtic(1) notitle lc rgb "#4477aa"
set title "select-only tps, 8 clients (higher is better)"
plot "$out/results.dat" using 3:xtic(1) notitle lc rgb "#66ccee"
set title "select-only tps, one client (higher is better)"
plot "$out/results.dat" using 12:xtic(1) notitle lc rgb "#228833"
set title "COPY 500 MB, seconds (lower is better)"
plot "$out/results.dat" using 4:xtic(1) notitle lc rgb "#ee6677"
unset multiplot
PLOT
fi
cat "$out/results.md"
