#!/usr/bin/env bash
# Prints the path of a pristine PostgreSQL 18.x source tarball, downloading
# it first if needed.
#
# With PG_SOURCE set, that tarball is used as it is.  Otherwise the newest
# postgresql-18 source package is fetched from Debian's unstable suite with
# apt, using a private sources list and state directory so that the
# machine's own apt configuration is left alone.  apt checks the files
# against the signed index; we check the orig tarball against the .dsc.
set -euo pipefail

if [ -n "${PG_SOURCE:-}" ]; then
	[ -f "$PG_SOURCE" ] || { echo "PG_SOURCE=$PG_SOURCE: no such file" >&2; exit 1; }
	readlink -f "$PG_SOURCE"
	exit 0
fi

cache=${PG_GOTLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pg-gotls}
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$cache/src"

# Take the mirror the machine already uses for Debian itself.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
	| sed -nE -e 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p' \
		-e 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' \
	| grep -v -- '-security' | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" \
	>"$apt_dir/sources.list"
apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o Debug::NoLocking=1
	-o APT::Sandbox::User=root   # the cache is ours, not _apt's
)

# Refresh the index at most once a day.
if [ -z "$(find "$apt_dir/lists" -name '*Sources*' -mtime -1 2>/dev/null | head -n1)" ]; then
	apt-get -qq "${apt_opts[@]}" update >&2
fi

cd "$cache/src"
apt-get -qq "${apt_opts[@]}" source --download-only postgresql-18 >&2

dsc=$(ls -1 postgresql-18_18.*.dsc | sort -V | tail -n1)
orig=$(awk '/^Files:/{f=1;next} /^[^ ]/{f=0} f && $3 ~ /orig\.tar/ {print $3}' "$dsc" | head -n1)
[ -n "$orig" ] && [ -f "$orig" ] || { echo "no orig tarball listed in $dsc" >&2; exit 1; }

# apt verified the .dsc against the signed index; verify the tarball against the .dsc.
want=$(awk '/^Checksums-Sha256:/{f=1;next} /^[^ ]/{f=0} f && $3 == "'"$orig"'" {print $1}' "$dsc")
have=$(sha256sum "$orig" | cut -d' ' -f1)
[ "$want" = "$have" ] || { echo "$orig: sha256 $have does not match $dsc ($want)" >&2; exit 1; }

readlink -f "$orig"
