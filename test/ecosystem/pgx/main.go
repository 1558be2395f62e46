// Command pgx-check connects with pgx (which does its own TLS with Go's
// crypto/tls, not through libpq) and prints what was negotiated, as the
// client and as the server (pg_stat_ssl) see it, one "key: value" a line.
//
//	pgx-check 'host=localhost port=5432 user=u dbname=d sslmode=verify-full sslrootcert=root.crt'
//
// ssl_max_protocol_version=TLSv1.2 is taken as libpq takes it; pgx itself
// would send it to the server as a run-time parameter.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pgx-check CONNINFO")
		os.Exit(2)
	}
	if err := check(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func check(conninfo string) error {
	cfg, err := pgx.ParseConfig(conninfo)
	if err != nil {
		return err
	}
	if v, ok := cfg.RuntimeParams["ssl_max_protocol_version"]; ok {
		delete(cfg.RuntimeParams, "ssl_max_protocol_version")
		if v != "TLSv1.2" {
			return fmt.Errorf("ssl_max_protocol_version=%s: only TLSv1.2 is handled", v)
		}
		// Every attempt pgx may make (sslmode=prefer has fallbacks).
		if cfg.TLSConfig != nil {
			cfg.TLSConfig.MaxVersion = tls.VersionTLS12
		}
		for _, fb := range cfg.Fallbacks {
			if fb.TLSConfig != nil {
				fb.TLSConfig.MaxVersion = tls.VersionTLS12
			}
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())

	if tc, ok := conn.PgConn().Conn().(*tls.Conn); ok {
		st := tc.ConnectionState()
		fmt.Printf("client_tls_version: %s\n", strings.Replace(tls.VersionName(st.Version), " ", "v", 1))
		fmt.Printf("client_tls_cipher: %s\n", tls.CipherSuiteName(st.CipherSuite))
	} else {
		fmt.Println("client_tls_version: none")
	}

	var user string
	var ssl bool
	var version, cipher *string // NULL without TLS
	err = conn.QueryRow(ctx, "SELECT current_user, ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()").
		Scan(&user, &ssl, &version, &cipher)
	if err != nil {
		return err
	}
	fmt.Printf("current_user: %s\nssl: %t\nversion: %s\ncipher: %s\n", user, ssl, deref(version), deref(cipher))
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
