#!/usr/bin/env bash
# make run: a TLS session on loopback with freshly minted certificates, Go's
# crypto/tls on both sides (the --with-ssl=go server and psql), showing what
# was negotiated; then the OpenSSL-built psql against the same server.
#
# usage: demo.sh GO-PREFIX OPENSSL-PREFIX TOOLS-DIR
set -euo pipefail

go_prefix=$1 ossl_prefix=$2 tools=$3
work=$(mktemp -d /tmp/pg-gotls-demo.XXXXXX)
chmod 700 "$work"

. "$(dirname "$0")/tls-server.sh"

cleanup() {
	stop_tls_server "$work" "$go_prefix"
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '==> %s\n' "$*"; }

step "starting the Go-TLS postgres ($go_prefix) on 127.0.0.1, certificates minted in $work/certs"
start_tls_server "$work" "$go_prefix" "$tools" "password_encryption = 'scram-sha-256'"
cat >"$work/data/pg_hba.conf" <<HBA
local   all all                trust
hostssl all all 127.0.0.1/32   scram-sha-256
HBA
reload_tls_server "$work" "$go_prefix"
"$go_prefix/bin/psql" -h "$work" -p "$port" -U postgres -qc "CREATE ROLE demo LOGIN PASSWORD 'demo-password'"

conninfo="host=localhost hostaddr=127.0.0.1 port=$port user=demo dbname=postgres password=demo-password sslmode=verify-full sslrootcert=$work/certs/root.crt channel_binding=require"

step "psql (Go libpq) with sslmode=verify-full, channel_binding=require: what the server negotiated"
"$go_prefix/bin/psql" "$conninfo" <<'SQL'
SHOW ssl_library;
\conninfo
SELECT ssl, version, cipher, bits FROM pg_stat_ssl WHERE pid = pg_backend_pid();
SQL

step "every PQsslAttribute of the session, as the client sees it"
"$tools/pgtls_info" "$conninfo"

step "the OpenSSL-built psql against the same Go-TLS server, direct SSL negotiation"
"$ossl_prefix/bin/psql" "$conninfo sslnegotiation=direct" -c "SELECT version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
