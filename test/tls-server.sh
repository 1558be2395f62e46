# Sourced by test/demo.sh and bench/run.sh: a TLS postgres on loopback.
#
# start_tls_server WORK PREFIX TOOLS [postgresql.conf lines]
#   mints certificates into WORK/certs (tools/mkcerts), initdbs WORK/data
#   with PREFIX's binaries, and starts it on 127.0.0.1 with TLS on; sets
#   $port.  Local connections are trusted; TCP ones follow pg_hba.conf,
#   which the caller may rewrite before calling reload_tls_server.
# stop_tls_server WORK PREFIX

start_tls_server() {
	local work=$1 prefix=$2 tools=$3 extra=${4:-}
	"$tools/mkcerts" "$work/certs" tls-user
	"$prefix/bin/initdb" -D "$work/data" -U postgres -A trust --no-sync >"$work/initdb.log"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >>"$work/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
ssl = on
ssl_cert_file = '$work/certs/server.crt'
ssl_key_file = '$work/certs/server.key'
ssl_ca_file = '$work/certs/root.crt'
$extra
CONF
	"$prefix/bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w start >/dev/null
}

reload_tls_server() {
	"$2/bin/pg_ctl" -D "$1/data" reload >/dev/null
}

stop_tls_server() {
	"$2/bin/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true
}
