# Sourced: three servers on 127.0.0.1 with the same certificates and
# settings, differing only in their TLS:
#   ossl  /work/main/install-openssl   OpenSSL, in-process        port 55431
#   goa   /work/main/install           model (a): Go in each backend port 55432
#   gob   /tmp/proto-b/install         model (b): pg-tlsd          port 55433
# Servers and the daemon run as pggotls.

RUN=${RUN:-/tmp/proto-b/run}
TLSD_BIN=/tmp/proto-b/tlsd/pg-tlsd
TLSD_SOCK=$RUN/tlsd.sock
declare -A PREFIX=([ossl]=/work/main/install-openssl [goa]=/work/main/install [gob]=/tmp/proto-b/install)
declare -A PORT=([ossl]=55431 [goa]=55432 [gob]=55433)
CLIENT=/work/main/install-openssl     # one client for all: OpenSSL libpq, psql, pgbench
as_pg() { runuser -u pggotls -- "$@"; }

init_servers() {
	mkdir -p "$RUN"
	chmod 755 "$RUN"
	if [ ! -d "$RUN/certs" ]; then
		/work/main/_build/tools/mkcerts "$RUN/certs" tls-user
	fi
	mkdir -p "$RUN/ccerts"
	cp "$RUN/certs/client.crt" "$RUN/certs/client.key" "$RUN/certs/root.crt" "$RUN/ccerts/"
	chmod 600 "$RUN/ccerts/"*
	chown -R pggotls: "$RUN/certs"
	chown pggotls: "$RUN"
	local s
	for s in ossl goa gob; do
		[ -d "$RUN/$s/data" ] && continue
		as_pg mkdir -p "$RUN/$s"
		as_pg "${PREFIX[$s]}/bin/initdb" -D "$RUN/$s/data" -U postgres -A trust --no-sync >"$RUN/$s/initdb.log"
		cat >>"$RUN/$s/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = ${PORT[$s]}
unix_socket_directories = '$RUN/$s'
max_connections = 50
ssl = on
ssl_cert_file = '$RUN/certs/server.crt'
ssl_key_file = '$RUN/certs/server.key'
ssl_ca_file = '$RUN/certs/root.crt'
ssl_min_protocol_version = 'TLSv1.3'
CONF
		cat >"$RUN/$s/data/pg_hba.conf" <<HBA
local all all trust
hostssl all tls-user 127.0.0.1/32 cert
hostssl all scram_user 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
HBA
	done
}

start_tlsd() {
	[ -S "$TLSD_SOCK" ] && return 0
	as_pg env ${TLSD_ENV:-} "$TLSD_BIN" -socket "$TLSD_SOCK" -cert "$RUN/certs/server.crt" -key "$RUN/certs/server.key" \
		-ca "$RUN/certs/root.crt" -min-protocol TLSv1.3 ${TLSD_FLAGS:-} >>"$RUN/tlsd.log" 2>&1 &
	echo $! >"$RUN/tlsd.runuser.pid"
	for _ in $(seq 50); do [ -S "$TLSD_SOCK" ] && break; sleep 0.1; done
	[ -S "$TLSD_SOCK" ] || { echo "pg-tlsd did not start" >&2; cat "$RUN/tlsd.log" >&2; return 1; }
	pgrep -u pggotls -f "^$TLSD_BIN " >"$RUN/tlsd.pid"
}

stop_tlsd() {
	local pid
	pid=$(cat "$RUN/tlsd.pid" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$RUN/tlsd.pid"
}

tlsd_pid() { cat "$RUN/tlsd.pid"; }

start_server() {
	local s=$1
	as_pg env PGGOTLS_TLSD="$TLSD_SOCK" "${PREFIX[$s]}/bin/pg_ctl" -D "$RUN/$s/data" -l "$RUN/$s/server.log" -w start >/dev/null
}

stop_server() {
	local s=$1
	as_pg "${PREFIX[$s]}/bin/pg_ctl" -D "$RUN/$s/data" -m fast stop >/dev/null 2>&1 || true
}

start_all() { start_tlsd && for s in ossl goa gob; do start_server $s; done; }
stop_all() { for s in ossl goa gob; do stop_server $s; done; stop_tlsd; }

# conninfo SERVER SSLMODE [extra]
conninfo() {
	echo "host=localhost hostaddr=127.0.0.1 port=${PORT[$1]} user=postgres dbname=postgres sslmode=$2 ${3:-}"
}
cpsql() { LD_LIBRARY_PATH=$CLIENT/lib "$CLIENT/bin/psql" -X "$@"; }
cpgbench() { LD_LIBRARY_PATH=$CLIENT/lib "$CLIENT/bin/pgbench" "$@"; }
# lpsql SERVER ...: psql over the server's Unix socket (no TLS), for setup and probes
lpsql() { local s=$1; shift; LD_LIBRARY_PATH=$CLIENT/lib "$CLIENT/bin/psql" -X -h "$RUN/$s" -p "${PORT[$s]}" -U postgres -d postgres "$@"; }
