#!/usr/bin/env bash
# Configures (when needed), builds and installs PostgreSQL from a prepared
# source tree into a prefix, in a separate (VPATH) build directory.  make's
# own dependency tracking keeps a re-run incremental.
#
# usage: build-postgres.sh SRCDIR BUILDDIR PREFIX SSL-LIBRARY
set -euo pipefail

src=$(readlink -f "$1") build=$2 prefix=$3 ssl=$4
jobs=${JOBS:-$(nproc)}
# What Debian's postgresql-18 package is configured with, so that the Go
# build is a server people would run: the libraries of the server and its
# data types (ICU, lz4, zstd, libxml, libxslt, uuid; readline and zlib by
# default), PL/Perl, PL/Python and PL/Tcl, PAM, LDAP and GSSAPI
# authentication, systemd notification, SELinux (sepgsql), JIT (LLVM),
# translated messages (NLS) and DTrace probes. Only the TLS library
# differs between the Go and the OpenSSL build.
args=(--prefix="$prefix" --with-ssl="$ssl" --enable-tap-tests --enable-debug
	--with-icu --with-lz4 --with-zstd --with-libxml --with-libxslt
	--with-uuid=e2fs --with-perl --with-python --with-tcl --with-pam
	--with-ldap --with-gssapi --with-systemd --with-selinux --with-llvm
	--enable-nls --enable-dtrace --enable-depend)

# PostgreSQL generates its headers only in a top-level make (MAKELEVEL 0);
# when our own Makefile calls this script, make must not look nested.
unset MAKELEVEL MAKEFLAGS MFLAGS

mkdir -p "$build"
cd "$build"
if [ ! -f config.status ] || [ "$src/configure" -nt config.status ] \
	|| [ "$(cat configure.args 2>/dev/null)" != "${args[*]}" ]; then
	"$src/configure" "${args[@]}" >configure.log 2>&1 \
		|| { tail -n 30 configure.log >&2; exit 1; }
	echo "${args[*]}" >configure.args
fi

# The server, the client programs and contrib (every module configure
# enables).
targets=(. contrib)
for t in "${targets[@]}"; do
	make -s -C "$t" -j"$jobs" >>make.log 2>&1 \
		|| { grep -E -B2 -A5 'error|Error' make.log | tail -n 40 >&2; exit 1; }
done
for t in "${targets[@]}"; do
	make -s -C "$t" install >>install.log 2>&1 || { tail -n 30 install.log >&2; exit 1; }
done
