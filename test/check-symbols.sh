#!/usr/bin/env bash
# Checks the dynamic symbol tables:
#  - libpq_gotls.so exports exactly the names in exports.list (the Go
#    runtime's crosscall2, _cgo_*, x_cgo_* ... stay hidden);
#  - the --with-ssl=go libpq.so defines every symbol of PostgreSQL's
#    src/interfaces/libpq/exports.txt, so it is a drop-in libpq.so.5;
#  - libpq.so does not link the Go library (it is loaded lazily).
#
# usage: check-symbols.sh LIBPQ_GOTLS.SO EXPORTS.LIST LIBPQ.SO EXPORTS.TXT
set -euo pipefail

lib=$1 list=$2 libpq=$3 pq_exports=$4
fail=0

want=$(sort "$list")
have=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort)
if [ "$want" != "$have" ]; then
	echo "$lib exports differ from $list:" >&2
	diff <(echo "$want") <(echo "$have") >&2 || true
	fail=1
fi

pq_have=$(nm -D --defined-only "$libpq" | awk '{print $3}' | sort -u)
missing=$(awk '!/^#/ && NF >= 2 {print $1}' "$pq_exports" | sort -u | comm -23 - <(echo "$pq_have"))
if [ -n "$missing" ]; then
	echo "$libpq lacks symbols of exports.txt:" $missing >&2
	fail=1
fi

if readelf -d "$libpq" | grep -q 'NEEDED.*libpq_gotls'; then
	echo "$libpq links libpq_gotls.so directly; it must be loaded lazily" >&2
	fail=1
fi

n_lib=$(echo "$have" | wc -l)
n_pq=$(awk '!/^#/ && NF >= 2' "$pq_exports" | wc -l)
[ $fail -eq 0 ] && echo "    libpq_gotls.so exports its $n_lib names only; libpq.so defines all $n_pq of exports.txt"
exit $fail
