#!/usr/bin/env bash
# make bench, pgcrypto part: pgcrypto on Go (the Go build) against
# pgcrypto on OpenSSL (the reference build), in the same run. TLS plays no
# part: both servers are reached over their Unix sockets.
#
# Measures, per server, in interleaved rounds: the first pgcrypto call of a
# new backend (loading pgcrypto, and on Go the library and its runtime),
# the backend's memory and threads after it, and the time of a few
# workloads: many small digests, bulk digest and cipher, PGP's S2K, and the
# public-key operations of RSA and ElGamal. Writes pgcrypto.md and
# pgcrypto.dat (every round) into OUT-DIR.
#
# usage: pgcrypto.sh GO-PREFIX OPENSSL-PREFIX PG-TREE OUT-DIR
set -euo pipefail

go_prefix=$1 ossl_prefix=$2 tree=$3 out=$4
rounds=${BENCH_ROUNDS:-3}
work=$(mktemp -d /tmp/pg-gotls-pgcrypto.XXXXXX)
chmod 755 "$work"
mkdir -p "$out"

declare -A prefix=([go]=$go_prefix [openssl]=$ossl_prefix)
cleanup() {
	for s in go openssl; do
		[ -d "$work/$s/data" ] && "${prefix[$s]}/bin/pg_ctl" -D "$work/$s/data" -m fast -w stop >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

port=54400
for s in go openssl; do
	printf '==> pgcrypto: %s server\n' "$s"
	mkdir -p "$work/$s"
	"${prefix[$s]}/bin/initdb" -D "$work/$s/data" -U postgres -A trust --no-sync >/dev/null
	printf "port = %d\nlisten_addresses = ''\nunix_socket_directories = '%s'\n" $((++port)) "$work/$s" \
		>>"$work/$s/data/postgresql.conf"
	"${prefix[$s]}/bin/pg_ctl" -D "$work/$s/data" -l "$work/$s/log" -w start >/dev/null
	echo $port >"$work/$s/port"
done

# psql_on SERVER ARGS...: psql (the reference build's) on a server's socket.
psql_on() {
	local s=$1
	shift
	"$ossl_prefix/bin/psql" -X -q -At -h "$work/$s" -p "$(cat "$work/$s/port")" -U postgres -d postgres "$@"
}

for s in go openssl; do
	psql_on $s -c "CREATE EXTENSION pgcrypto"
	# keytbl: pgcrypto's test keys (2: ElGamal 2048, 6: RSA 2048).
	psql_on $s -f "$tree/contrib/pgcrypto/sql/pgp-pubkey-decrypt.sql" >/dev/null 2>&1
	psql_on $s -c "CREATE TABLE msg AS SELECT pgp_pub_encrypt('a session key', dearmor(pubkey)) AS c, id FROM keytbl WHERE id IN (2, 6)"
done

# ms SERVER SQL: the server time of SQL, in ms (psql's \timing).
ms() {
	psql_on "$1" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}

# first_call SERVER: "ms RSS-kB Pss-kB threads" for a new backend's first
# pgcrypto call, and the backend after it.
first_call() {
	local s=$1 pid
	psql_on "$s" -c '\timing on' -c "SELECT encode(digest('x', 'sha256'), 'hex')" \
		-c "SELECT pg_backend_pid()" -c "SELECT pg_sleep(2)" >"$work/first" &
	sleep 1
	pid=$(psql_on "$s" -c "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(2)%' AND pid <> pg_backend_pid()")
	local rss pss threads
	rss=$(awk '/^Rss:/ { print $2 }' "/proc/$pid/smaps_rollup")
	pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
	threads=$(ls "/proc/$pid/task" | wc -l)
	wait
	echo "$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$work/first" | head -1) $rss $pss $threads"
}

workloads=(
	"small digests|SELECT count(digest(g::text, 'sha256')) FROM generate_series(1, 200000) g"
	"digest 256 MB|SELECT length(digest(repeat('x', 268435456), 'sha256'))"
	"AES-CBC 64 MB|SELECT length(encrypt(convert_to(repeat('x', 67108864), 'SQL_ASCII'), 'a key', 'aes'))"
	"PGP S2K 65 MB|SELECT pgp_sym_decrypt(pgp_sym_encrypt('x', 'pw', 's2k-count=65000000'), 'pw')"
	"RSA-2048 decrypt x50|SELECT count(pgp_pub_decrypt(c, dearmor(seckey))) FROM msg, keytbl, generate_series(1, 50) WHERE msg.id = 6 AND keytbl.id = 6"
	"ElGamal-2048 decrypt x50|SELECT count(pgp_pub_decrypt(c, dearmor(seckey))) FROM msg, keytbl, generate_series(1, 50) WHERE msg.id = 2 AND keytbl.id = 2"
	"ElGamal-2048 encrypt x50|SELECT count(pgp_pub_encrypt('k', dearmor(pubkey))) FROM keytbl, generate_series(1, 50) WHERE id = 2"
)

: >"$out/pgcrypto.dat"
for round in $(seq "$rounds"); do
	for s in go openssl; do
		printf '==> pgcrypto round %d: %s\n' "$round" "$s"
		read -r first rss pss threads < <(first_call $s)
		line="$s|$first|$rss|$pss|$threads"
		for w in "${workloads[@]}"; do
			line+="|$(ms $s "${w#*|}")"
		done
		echo "$line" >>"$out/pgcrypto.dat"
	done
done

# spread_of SERVER COLUMN: "median (min-max)".
spread_of() {
	grep "^$1|" "$out/pgcrypto.dat" | cut -d'|' -f"$2" | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f (%.1f-%.1f)", m, v[1], v[NR] }'
}
ratio() {
	paste <(grep "^go|" "$out/pgcrypto.dat" | cut -d'|' -f"$1" | sort -g) \
		<(grep "^openssl|" "$out/pgcrypto.dat" | cut -d'|' -f"$1" | sort -g) |
		awk '{ a[NR] = $1; b[NR] = $2 } END { i = int((NR + 1) / 2); printf "%.2f", a[i] / b[i] }'
}

{
	echo "# pgcrypto: Go against OpenSSL"
	echo
	echo "$rounds interleaved rounds; median (min-max); ratio of medians, Go / OpenSSL."
	echo
	echo "| measure | Go | OpenSSL | ratio |"
	echo "|---|---|---|---|"
	col=2
	for m in "first call in a new backend (ms)" "backend RSS after it (kB)" "backend Pss after it (kB)" "backend threads"; do
		echo "| $m | $(spread_of go $col) | $(spread_of openssl $col) | $(ratio $col) |"
		col=$((col + 1))
	done
	for w in "${workloads[@]}"; do
		echo "| ${w%%|*} (ms) | $(spread_of go $col) | $(spread_of openssl $col) | $(ratio $col) |"
		col=$((col + 1))
	done
} >"$out/pgcrypto.md"
cat "$out/pgcrypto.md"
