// Connects with node-postgres (TLS by node's own OpenSSL, not libpq) and
// prints what was negotiated, as the client and as the server (pg_stat_ssl)
// see it, one "key: value" a line; on failure the error, and exit 1.
//
//   NODE_PATH=.../node_modules node check.js 'host=localhost port=5432 user=u dbname=d
//       sslmode=verify-full sslrootcert=root.crt [sslcert=... sslkey=...]
//       [ssl_max_protocol_version=TLSv1.2]'
//
// Only the libpq keywords above are understood, unquoted; anything else is
// an error rather than silently ignored.
'use strict';

const fs = require('fs');
const net = require('net');
const { Client } = require('pg');

const known = new Set(['host', 'port', 'user', 'dbname', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl_max_protocol_version']);

function parse(conninfo) {
  const o = {};
  for (const word of conninfo.trim().split(/\s+/)) {
    const i = word.indexOf('=');
    const key = word.slice(0, i);
    if (i < 1 || !known.has(key) || word.includes("'")) throw new Error(`unsupported conninfo word: ${word}`);
    o[key] = word.slice(i + 1);
  }
  return o;
}

async function main() {
  if (process.argv.length !== 3) throw new Error('usage: node check.js CONNINFO');
  const o = parse(process.argv[2]);
  if (o.sslmode !== 'verify-full') throw new Error('only sslmode=verify-full is handled');

  // verify-full: the chain against our root only, and the host name.
  const ssl = { ca: fs.readFileSync(o.sslrootcert), rejectUnauthorized: true };
  if (!net.isIP(o.host)) ssl.servername = o.host; // SNI takes no IP address
  if (o.sslcert) ssl.cert = fs.readFileSync(o.sslcert);
  if (o.sslkey) ssl.key = fs.readFileSync(o.sslkey);
  if (o.ssl_max_protocol_version) ssl.maxVersion = o.ssl_max_protocol_version; // node spells it as libpq does

  const client = new Client({
    host: o.host, port: Number(o.port), user: o.user, database: o.dbname, ssl,
    connectionTimeoutMillis: 30000,
  });
  await client.connect();
  try {
    const sock = client.connection.stream; // the TLSSocket after the upgrade
    if (typeof sock.getProtocol === 'function') {
      console.log(`client_tls_version: ${sock.getProtocol()}`);
      console.log(`client_tls_cipher: ${sock.getCipher().standardName}`);
    } else {
      console.log('client_tls_version: none');
    }
    const res = await client.query('SELECT current_user, ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    const row = res.rows[0];
    console.log(`current_user: ${row.current_user}`);
    console.log(`ssl: ${row.ssl}`);
    console.log(`version: ${row.version ?? ''}`);
    console.log(`cipher: ${row.cipher ?? ''}`);
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  console.error(`error: ${err.code ? err.code + ': ' : ''}${err.message}`);
  process.exit(1);
});
