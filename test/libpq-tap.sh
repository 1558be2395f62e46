#!/usr/bin/env bash
# libpq's own TAP tests (src/interfaces/libpq/t) against the --with-ssl=go
# build: installcheck in the build tree, using the installed binaries.
#
# usage: libpq-tap.sh BUILD-DIR [TEST...]
# Run as the unprivileged test user: the tests start postgres servers.
set -euo pipefail

build=$1
shift
# Flags of an outer make (make check -j, say) must not leak into this one.
unset MAKELEVEL MAKEFLAGS MFLAGS
# Port reservations go to the build tree by default, which belongs to root.
PG_TEST_PORT_DIR=$(mktemp -d /tmp/pg-gotls-portlock.XXXXXX)
export PG_TEST_PORT_DIR
trap 'rm -rf "$PG_TEST_PORT_DIR"' EXIT
make -s -C "$build/src/interfaces/libpq" installcheck PROVE_TESTS="$*"
