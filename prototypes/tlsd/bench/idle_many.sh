#!/usr/bin/env bash
# Memory with N idle TLS connections: the sum of the backends' PSS and
# RSS, and for model (b) the daemon's RSS and threads, per server.
# usage: idle_many.sh N
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/servers.sh"
n=${1:-40}
flag=$(mktemp /tmp/proto-b/hold.XXXXXX)
trap 'rm -f "$flag"' EXIT
sum_backends() {  # SERVER: "count pss_sum rss_sum threads_sum" of the idle probe backends
	local s=$1 pids p pss=0 rss=0 thr=0 c=0
	pids=$(lpsql "$s" -Atc "select pid from pg_stat_activity where application_name = 'idleprobe'")
	for p in $pids; do
		pss=$((pss + $(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup)))
		rss=$((rss + $(awk '/^VmRSS/{print $2}' /proc/$p/status)))
		thr=$((thr + $(awk '/^Threads/{print $2}' /proc/$p/status)))
		c=$((c + 1))
	done
	echo "$c $pss $rss $thr"
}
for s in ossl goa gob; do
	for mode in disable require; do
		d0=""; t0=""
		if [ $s = gob ]; then d0=$(awk '/^VmRSS/{print $2}' /proc/$(tlsd_pid)/status); t0=$(awk '/^Threads/{print $2}' /proc/$(tlsd_pid)/status); fi
		touch "$flag"
		for i in $(seq "$n"); do
			( echo 'select 1;'; while [ -e "$flag" ]; do sleep 0.2; done ) | cpsql -q -d "$(conninfo $s $mode application_name=idleprobe)" >/dev/null &
		done
		for _ in $(seq 600); do
			c=$(lpsql "$s" -Atc "select count(*) from pg_stat_activity where application_name = 'idleprobe' and state = 'idle'")
			[ "$c" -ge "$n" ] && break; sleep 0.1
		done
		sleep 1
		read -r c pss rss thr < <(sum_backends $s)
		extra=""
		if [ $s = gob ] && [ $mode = require ]; then
			d1=$(awk '/^VmRSS/{print $2}' /proc/$(tlsd_pid)/status); t1=$(awk '/^Threads/{print $2}' /proc/$(tlsd_pid)/status)
			extra="daemon RSS $d0 -> $d1 kB (+$(( (d1 - d0) / c )) kB/conn), threads $t0 -> $t1"
		fi
		printf '%-5s %-8s %d backends: PSS %d kB/backend, RSS %d kB/backend, threads %.1f/backend %s\n' \
			$s $mode "$c" $((pss / c)) $((rss / c)) "$(awk -v a=$thr -v b=$c 'BEGIN{print a/b}')" "$extra"
		rm -f "$flag"
		wait
	done
done
