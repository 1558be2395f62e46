//go:build interop

package interop

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestLatchWakeups: a Go-TLS server under a workload that waits on latches
// all the time: row-lock handoffs between 8 pgbench clients on a scale-1
// database (one branch row for everyone), and reads through the I/O
// workers (io_method=worker) from a table larger than shared_buffers; then
// the handoffs with pgcrypto, which loads Go into each backend. Each
// handoff and each completed read wakes the waiting backend with SIGURG.
// The Go runtime in a backend must not swallow those signals: one lost
// wakeup leaves a backend waiting forever, pgbench never finishes and the
// client deadline fails the test. (With async preemption on, that happened
// within seconds in the SSL test suite.)
func TestLatchWakeups(t *testing.T) {
	f := newFixtureOn(t, goPrefix)
	appendFile(t, filepath.Join(f.srv.data, "postgresql.conf"), "shared_buffers = '16MB'\nio_method = worker\n")
	run(t, f.srv.bin("pg_ctl"), "-D", f.srv.data, "-w", "-l", filepath.Join(f.srv.dir, "server.log"), "restart")

	pgbench := filepath.Join(goPrefix, "bin", "pgbench")
	conn := []string{"-h", "localhost", "-p", strconv.Itoa(f.srv.port), "-U", "postgres"}
	env := []string{"PGSSLMODE=verify-full", "PGSSLROOTCERT=" + f.certs.Path("root.crt"), "PGHOSTADDR=127.0.0.1"}
	init := client(t, f.home, env, pgbench, append(conn, "-i", "-q", "-s", "1", "postgres")...)
	if init.err != nil {
		t.Fatalf("pgbench -i: %s", init)
	}
	f.srv.sql(t, "CREATE TABLE big AS SELECT g, repeat('x', 500) AS pad FROM generate_series(1, 100000) g")

	// The scan script reads 'big' (about 60 MB) through the I/O workers.
	scan := filepath.Join(t.TempDir(), "scan.sql")
	must(t, os.WriteFile(scan, []byte("SELECT count(*) FROM big WHERE g % 1000 = :client_id;\n"), 0o644))

	// The handoffs again, each client's backend running pgcrypto, that is
	// Go, between its waits.
	f.srv.sql(t, "CREATE EXTENSION pgcrypto")
	crypto := filepath.Join(t.TempDir(), "crypto.sql")
	must(t, os.WriteFile(crypto, []byte(`BEGIN;
UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1;
SELECT pgp_sym_decrypt(pgp_sym_encrypt(encode(digest(:client_id::text, 'sha256'), 'hex'), 'pw', 's2k-count=1024'), 'pw');
END;
`), 0o644))

	for _, w := range []struct {
		name string
		args []string
	}{
		{"row-lock handoffs", []string{"-c", "8", "-j", "2", "-T", "8", "-b", "tpcb-like"}},
		{"I/O worker reads", []string{"-c", "4", "-j", "2", "-T", "8", "-f", scan}},
		{"row-lock handoffs with pgcrypto", []string{"-c", "8", "-j", "2", "-T", "8", "-f", crypto}},
	} {
		t.Run(w.name, func(t *testing.T) {
			start := time.Now()
			r := clientWithin(t, 90*time.Second, f.home, env, pgbench, append(append(conn, w.args...), "postgres")...)
			if r.err != nil {
				t.Fatalf("pgbench: %s", r)
			}
			tx := regexp.MustCompile(`number of transactions actually processed: (\d+)`).FindStringSubmatch(r.stdout)
			failed := regexp.MustCompile(`number of failed transactions: (\d+)`).FindStringSubmatch(r.stdout)
			if tx == nil || tx[1] == "0" || (failed != nil && failed[1] != "0") {
				t.Fatalf("pgbench did no clean work:\n%s", r)
			}
			// -T 8 ends every client's last transaction promptly unless one
			// waits for a wakeup that never comes.
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("pgbench -T 8 took %v: a backend waited too long for a wakeup", d)
			}
			t.Logf("%s transactions in %v", tx[1], time.Since(start).Round(time.Millisecond))
		})
	}
	if log := f.srv.log(t); regexp.MustCompile(`PANIC|server process .* was terminated`).MatchString(log) {
		t.Fatalf("server log:\n%s", log)
	}
}
