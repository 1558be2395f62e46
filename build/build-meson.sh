#!/usr/bin/env bash
# Builds libpq and psql from a prepared source tree with meson -Dssl=go, so
# that the meson side of the patch series is compiled on every check.
#
# usage: build-meson.sh SRCDIR BUILDDIR
set -euo pipefail

src=$(readlink -f "$1") build=$2

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" -Dssl=go -Dicu=disabled -Dreadline=enabled \
		-Dtap_tests=disabled >"$build.setup.log" 2>&1 \
		|| { tail -n 30 "$build.setup.log" >&2; exit 1; }
fi
grep -q "^#define USE_GOTLS 1" "$build/src/include/pg_config.h" \
	|| { echo "meson -Dssl=go did not define USE_GOTLS" >&2; exit 1; }
ninja -C "$build" src/bin/psql/psql >"$build.ninja.log" 2>&1 \
	|| { grep -E -A5 'error|FAILED' "$build.ninja.log" | head -n 40 >&2; exit 1; }
grep -q -a 'libpq_gotls\.so' "$build"/src/interfaces/libpq/libpq.so.5.* \
	|| { echo "meson-built libpq lacks the Go TLS backend" >&2; exit 1; }
