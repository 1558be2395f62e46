#!/usr/bin/env bash
# PostgreSQL's own TAP tests in a subdirectory of a build (libpq's t/, the
# SSL suite): installcheck in the build tree, using the installed binaries.
#
# usage: tap.sh BUILD-DIR SUBDIR [TEST...]
# Run as the unprivileged test user: the tests start postgres servers.
# PG_TEST_EXTRA (ssl, libpq_encryption) is passed through.
set -euo pipefail

build=$1 subdir=$2
shift 2
# Flags of an outer make (make check -j, say) must not leak into this one.
unset MAKELEVEL MAKEFLAGS MFLAGS
# Port reservations go to the build tree by default, which belongs to root.
PG_TEST_PORT_DIR=$(mktemp -d /tmp/pg-gotls-portlock.XXXXXX)
export PG_TEST_PORT_DIR
trap 'rm -rf "$PG_TEST_PORT_DIR"' EXIT
make -s -C "$build/$subdir" installcheck PROVE_TESTS="$*"
