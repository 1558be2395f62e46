#!/usr/bin/env bash
# contrib's regression suites (each module's SQL and isolation tests, as
# its `make installcheck` runs them), and those of the procedural
# languages PL/Perl, PL/Python and PL/Tcl, against one Go-TLS server, every
# session over TLS with sslmode=verify-full: pg_regress's psql,
# isolationtester, and the libpq that dblink and postgres_fdw load inside
# the backends. The modules are the ones contrib/Makefile builds.
#
# usage: contrib.sh PREFIX BUILD-DIR TOOLS
# Run as the unprivileged test user; BUILD-DIR/contrib must be its own,
# as pg_regress writes its results beside each module's Makefile.
set -euo pipefail

prefix=$1 build=$2 tools=$3
unset MAKELEVEL MAKEFLAGS MFLAGS
work=$(mktemp -d /tmp/pg-gotls-contrib.XXXXXX)
chmod 700 "$work"
. "$(dirname "$0")/tls-server.sh"
trap 'stop_tls_server "$work" "$prefix"; rm -rf "$work"' EXIT

# One server for every module. A module whose `make check` gives its
# temporary instance settings of its own (--temp-config: wal_level,
# shared_preload_libraries, autovacuum = off...) gets them by a restart
# with its files as module.conf, and the next module without them by
# another: each module runs with the settings its own `make check` uses,
# and only as many restarts as modules with settings. pg_regress's
# temporary instance itself would not do: it drops PGSSLMODE.
# max_prepared_transactions is what that instance gives every module.
start_tls_server "$work" "$prefix" "$tools" "max_prepared_transactions = 2
include_if_exists = 'module.conf'"

# Clients, and the server for dblink's and postgres_fdw's loopback
# connections: TCP with verify-full. Over TCP only TLS is accepted.
export PGHOST=localhost PGHOSTADDR=127.0.0.1 PGPORT=$port PGUSER=postgres
export PGSSLMODE=verify-full PGSSLROOTCERT=$work/certs/root.crt
printf '%s\n' 'local all postgres trust' 'hostssl all all 127.0.0.1/32 trust' \
	'host all all 0.0.0.0/0 reject' >"$work/data/pg_hba.conf"
restart() { "$prefix/bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w restart >/dev/null; }
restart

# The --temp-config files a module's Makefile gives pg_regress.
temp_configs() {
	make -s -C "$build/$1" -f Makefile -f - print-opts <<<'print-opts: ; @echo $(REGRESS_OPTS) $(ISOLATION_OPTS)' \
		| grep -oE -- '--temp-config[= ][^ ]+' | sed -E 's/^--temp-config[= ]//' | sort -u || true
}

# Expected files that assume a connection without TLS get an alternative
# (pg_regress accepts NAME_N.out) with libpq's message on TLS, the same
# with OpenSSL. pg_regress reads expected/ in its output directory before
# the source's: the module's build directory for SQL tests, output_iso/
# for isolation tests (in a VPATH build, configure leaves the first empty).
tls_expected() {
	local src=$1/expected dir=$2 f stem dst n
	rm -f "$dir"/expected/*.out "$dir"/output_iso/expected/*.out
	for f in $(grep -ls 'server closed the connection unexpectedly' "$src"/*.out); do
		stem=$(basename "$f" .out)
		stem=${stem%_[0-9]}
		dst=$dir/expected
		[ -f "$1/specs/$stem.spec" ] && dst=$dir/output_iso/expected
		mkdir -p "$dst" && cp "$src/$stem".out "$src/$stem"_[0-9].out "$dst"/ 2>/dev/null || true
		n=1
		while [ -e "$dst/${stem}_$n.out" ]; do n=$((n + 1)); done
		perl -0pe 's/server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request\.\n/SSL connection has been closed unexpectedly\n/g' \
			"$f" >"$dst/${stem}_$n.out"
	done
}

modules=$(make -s -C "$build/contrib" -f Makefile -f - print-subdirs <<<'print-subdirs: ; @echo $(SUBDIRS)')
suites="$(printf 'contrib/%s ' $modules) src/pl/plperl src/pl/plpython src/pl/tcl"
failed=0
for m in $suites; do
	log=$work/${m//\//_}.log
	conf=$(temp_configs "$m" | while read -r f; do cat "$f"; echo; done)
	if [ "$conf" != "$(cat "$work/data/module.conf" 2>/dev/null)" ]; then
		echo "$conf" >"$work/data/module.conf"
		restart
	fi
	# NO_INSTALLCHECK= runs the modules that set it too; TAP_TESTS= leaves
	# out their t/*.pl, which start servers of their own without TLS. The
	# SQL and the isolation tests run apart, so that both always run.
	status=0
	: >"$log"
	srcdir=$(readlink -f "$build/$m/Makefile" | xargs dirname)
	tls_expected "$srcdir" "$build/$m"
	for part in ISOLATION= REGRESS=; do
		make -s -C "$build/$m" installcheck NO_INSTALLCHECK= TAP_TESTS= $part 2>&1 \
			| tee -a "$log" || status=$?
	done
	pass=0 fail=0
	while read -r result; do
		if [ "$result" = ok ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
		fi
	done < <(sed -nE 's/^(ok|not ok) [0-9]+ +[-+] +[^ ]+ .*/\1/p' "$log" | sed 's/^not ok/not_ok/')
	# pg_regress failing without a failed test (a lost server, say) counts.
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
	counts="$pass passed, $fail failed"
	if [ "$fail" -ne 0 ]; then
		failed=1
		for d in "$build/$m"/{,output_iso/}regression.diffs; do
			[ -f "$d" ] && head -n 60 "$d"
		done
		echo "==> $m: $counts (exit status $status)"
	elif [ "$pass" -eq 0 ]; then
		echo "==> $m: has no SQL or isolation tests"
	else
		echo "==> $m: $counts"
	fi
done
exit $failed
