//go:build interop

package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestRegression runs PostgreSQL's regression suite (what `make
// installcheck` runs) with the Go-built psql, every session over TLS with
// sslmode=verify-full, against the Go-built server: Go's crypto/tls on
// both sides. pg_regress and the regress module come from the Go build,
// which the server loads.
func TestRegression(t *testing.T) {
	build, tree := os.Getenv("PG_BUILD"), os.Getenv("PG_TREE")
	if build == "" || tree == "" {
		t.Fatal("PG_BUILD and PG_TREE must be set (make check does)")
	}
	f := newFixtureOn(t, goPrefix)
	// Over TCP only TLS is accepted, so every test session was TLS.
	hba := "local all postgres trust\nhostssl all all 127.0.0.1/32 trust\nhost all all 0.0.0.0/0 reject\n"
	must(t, os.WriteFile(filepath.Join(f.srv.data, "pg_hba.conf"), []byte(hba), 0o600))
	run(t, f.srv.bin("pg_ctl"), "-D", f.srv.data, "-w", "-l", filepath.Join(f.srv.dir, "server.log"), "restart")

	regress := filepath.Join(build, "pg-go", "src", "test", "regress")
	out := t.TempDir()
	r := clientWithin(t, 20*time.Minute, f.home, []string{
		"PGSSLMODE=verify-full",
		"PGSSLROOTCERT=" + f.certs.Path("root.crt"),
		"PGHOSTADDR=127.0.0.1",
		"PGUSER=postgres",
	}, filepath.Join(regress, "pg_regress"),
		"--inputdir="+filepath.Join(tree, "src", "test", "regress"),
		"--expecteddir="+filepath.Join(tree, "src", "test", "regress"),
		"--outputdir="+out,
		"--bindir="+filepath.Join(goPrefix, "bin"),
		"--dlpath="+regress,
		"--schedule="+filepath.Join(tree, "src", "test", "regress", "parallel_schedule"),
		"--host=localhost", fmt.Sprintf("--port=%d", f.srv.port),
		"--max-concurrent-tests=20",
	)
	summary := regexp.MustCompile(`(?m)^# (All \d+ tests passed|\d+ of \d+ tests failed)\.?.*$`).FindString(r.stdout)
	t.Logf("regression suite: %s", summary)
	if r.err != nil {
		diffs, _ := os.ReadFile(filepath.Join(out, "regression.diffs"))
		t.Fatalf("regression suite through the Go libpq failed:\n%s\n%s", r.stdout[max(0, len(r.stdout)-3000):], diffs[:min(len(diffs), 5000)])
	}
}
