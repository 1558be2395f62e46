//go:build interop

package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBasebackupStream: pg_basebackup -X stream opens its WAL-streaming
// connection, then forks, and the child streams over it: with our libpq
// the child carries the parent's TLS 1.3 session on through the helper
// process. The backup it makes, started as a standby (our build, so its
// WAL receiver runs our libpq too), must replay from the primary over
// verify-full TLS.
func TestBasebackupStream(t *testing.T) {
	for _, b := range serverBuilds() {
		t.Run(b.name, func(t *testing.T) {
			f := newFixtureOn(t, b.prefix)
			appendFile(t, filepath.Join(f.srv.data, "pg_hba.conf"), "hostssl replication postgres 127.0.0.1/32 trust")
			f.srv.sql(t, "SELECT pg_reload_conf()")
			f.srv.sql(t, "CREATE TABLE before_backup AS SELECT g, md5(g::text) h FROM generate_series(1, 50000) g")

			conninfo := f.verifyFull()
			standby := &server{prefix: goPrefix, dir: t.TempDir(), port: freePort(t)}
			standby.data = filepath.Join(standby.dir, "data")
			r := client(t, f.home, nil, filepath.Join(goPrefix, "bin", "pg_basebackup"),
				"-d", conninfo, "-D", standby.data, "-X", "stream", "-R", "-c", "fast", "-v")
			if r.err != nil {
				t.Fatalf("pg_basebackup -X stream: %s", r)
			}
			if !strings.Contains(r.stderr, "background WAL receiver") {
				t.Errorf("pg_basebackup ran no WAL receiver:\n%s", r)
			}

			appendFile(t, filepath.Join(standby.data, "postgresql.conf"),
				fmt.Sprintf("port = %d\nunix_socket_directories = '%s'\nhot_standby = on", standby.port, standby.dir))
			standby.start(t, nil)

			f.srv.sql(t, "CREATE TABLE after_backup AS SELECT g FROM generate_series(1, 1000) g")
			want := f.srv.sql(t, "SELECT pg_current_wal_lsn()")
			deadline := time.Now().Add(60 * time.Second)
			for standby.sql(t, fmt.Sprintf("SELECT pg_last_wal_replay_lsn() >= '%s'", strings.TrimSpace(want))) != "t\n" {
				if time.Now().After(deadline) {
					t.Fatalf("the standby did not replay up to %s in 60 s; its log:\n%s", want, standby.log(t))
				}
				time.Sleep(100 * time.Millisecond)
			}
			const digest = "SELECT count(*), md5(string_agg(g || h, ',' ORDER BY g)) FROM before_backup"
			if got, orig := standby.sql(t, digest), f.srv.sql(t, digest); got != orig {
				t.Errorf("the backup's data differ: %q, want %q", got, orig)
			}
			if got := standby.sql(t, "SELECT count(*) FROM after_backup"); got != "1000\n" {
				t.Errorf("the standby has %q rows streamed after the backup, want 1000", got)
			}
			tls := f.srv.sql(t, "SELECT s.ssl, s.version FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)")
			if tls != "t|TLSv1.3\n" {
				t.Errorf("the standby's stream: ssl, version %q, want t|TLSv1.3", tls)
			}
			if _, err := os.Stat(filepath.Join(standby.data, "standby.signal")); err != nil {
				t.Errorf("pg_basebackup -R wrote no standby.signal: %v", err)
			}
		})
	}
}
