#!/usr/bin/env bash
# make run: a TLS session on loopback through the Go libpq, with freshly
# minted certificates, showing what was negotiated.
#
# The server is the OpenSSL build: the server side of --with-ssl=go is not
# there yet (docs/status.md).
#
# usage: demo.sh GO-PREFIX OPENSSL-PREFIX TOOLS-DIR
set -euo pipefail

go_prefix=$1 ossl_prefix=$2 tools=$3
work=$(mktemp -d /tmp/pg-gotls-demo.XXXXXX)
chmod 700 "$work"

cleanup() {
	"$ossl_prefix/bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '==> %s\n' "$*"; }

step "minting certificates in $work/certs"
"$tools/mkcerts" "$work/certs" demo

step "starting an OpenSSL-built postgres on 127.0.0.1"
"$ossl_prefix/bin/initdb" -D "$work/data" -U postgres -A trust >"$work/initdb.log"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >>"$work/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
ssl = on
ssl_cert_file = '$work/certs/server.crt'
ssl_key_file = '$work/certs/server.key'
ssl_ca_file = '$work/certs/root.crt'
password_encryption = 'scram-sha-256'
CONF
cat >"$work/data/pg_hba.conf" <<HBA
local   all all                trust
hostssl all all 127.0.0.1/32   scram-sha-256
HBA
"$ossl_prefix/bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w start >/dev/null
"$ossl_prefix/bin/psql" -h "$work" -p "$port" -U postgres -qc "CREATE ROLE demo LOGIN PASSWORD 'demo-password'"

conninfo="host=localhost hostaddr=127.0.0.1 port=$port user=demo dbname=postgres password=demo-password sslmode=verify-full sslrootcert=$work/certs/root.crt channel_binding=require"

step "psql (Go libpq: $go_prefix/lib) with sslmode=verify-full, channel_binding=require"
LD_LIBRARY_PATH="$go_prefix/lib" "$go_prefix/bin/psql" "$conninfo" <<'SQL'
\conninfo
SELECT ssl, version, cipher, bits FROM pg_stat_ssl WHERE pid = pg_backend_pid();
SQL

step "every PQsslAttribute of the session"
LD_LIBRARY_PATH="$go_prefix/lib" "$tools/pgtls_info" "$conninfo"
