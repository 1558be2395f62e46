#!/usr/bin/env bash
# Extracts a pristine PostgreSQL source tarball into DESTDIR and applies
# patches/ in order.  Any hunk that does not apply exactly (no fuzz, no
# offset beyond what patch reports) stops the build.
#
# usage: prepare-source.sh TARBALL DESTDIR PATCHDIR
set -euo pipefail

tarball=$1 dest=$2 patches=$3

rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
tar -xjf "$tarball" -C "$dest.tmp" --strip-components=1

for p in "$patches"/*.patch; do
	[ -e "$p" ] || continue
	if ! out=$(patch -d "$dest.tmp" -p1 --fuzz=0 --batch --forward --no-backup-if-mismatch <"$p" 2>&1); then
		echo "$out" >&2
		echo "patch $(basename "$p") does not apply to $(basename "$tarball")" >&2
		exit 1
	fi
	if grep -q -E '^Hunk .* (with fuzz|offset)' <<<"$out"; then
		echo "$out" | grep -E '^Hunk' >&2
		echo "note: $(basename "$p") applied with offsets" >&2
	fi
done
mv "$dest.tmp" "$dest"
