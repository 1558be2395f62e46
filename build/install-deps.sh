#!/usr/bin/env bash
# Installs the Debian packages that building and testing pg-gotls needs.
# Idempotent: apt is only called when something is missing.
set -euo pipefail

packages=(
	bison flex gcc make perl pkg-config
	libreadline-dev zlib1g-dev libicu-dev
	liblz4-dev libzstd-dev libxml2-dev libxslt1-dev uuid-dev
	libperl-dev python3-dev tcl-dev libpam0g-dev libldap2-dev libkrb5-dev
	libsystemd-dev libselinux1-dev llvm-dev clang gettext systemtap-sdt-dev
	                            # what Debian's postgresql-18 is built with
	libssl-dev openssl          # the OpenSSL reference build and test certificates
	autoconf2.69                # regenerating configure from configure.ac
	meson ninja-build           # the meson variant of the build
	libipc-run-perl             # PostgreSQL's TAP tests
	python3-psycopg2            # a multiprocessing pool on our libpq (interop)
	ca-certificates
)
# make bench draws its chart with gnuplot and counts CPU and context
# switches with GNU time.
[ "${1:-}" = bench ] && packages+=(gnuplot-nox time)
# make check-ecosystem runs node-postgres. A node installed otherwise is
# used as it is (NodeSource's bundles npm, which Debian's npm conflicts with).
[ "${1:-}" = ecosystem ] && ! command -v npm >/dev/null && packages+=(nodejs npm)

# postgres refuses to run as root; tests and the demo run their servers as
# this unprivileged user when make is run by root (as CI is).
if [ "$(id -u)" -eq 0 ] && ! id pggotls >/dev/null 2>&1; then
	echo "  useradd pggotls (runs test servers when building as root)"
	useradd --system --user-group --no-create-home --shell /usr/sbin/nologin pggotls
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "  apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
