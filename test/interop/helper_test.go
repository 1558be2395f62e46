//go:build interop

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv has libpq make every TLS connection through the helper
// process, libpq_gotls_helper, as a child forked after the Go library
// started does.
const helperEnv = "PGGOTLS_HELPER=1"

// helpers returns the pids of running libpq_gotls_helper processes, by
// their argv[0]: a helper is not dumpable, so its /proc/<pid>/exe is
// closed even to its own user.
func helpers() []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.SplitN(string(cmdline), "\x00", 2)[0] == "libpq_gotls_helper" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// helpersOutlived reports the helpers still running once every test is
// done: each must end with its connection. A helper whose program has
// exited has only to see its socket close, so a few seconds' grace.
func helpersOutlived() []int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := helpers()
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHelperAttributes: what PQsslAttribute and the host name check see
// through the helper is what they see in process.
func TestHelperAttributes(t *testing.T) {
	f := newFixture(t)
	conninfo := f.verifyFull()
	in := client(t, f.home, nil, tool("pgtls_info"), conninfo)
	via := client(t, f.home, []string{helperEnv}, tool("pgtls_info"), conninfo)
	if in.err != nil || via.err != nil {
		t.Fatalf("in process:\n%s\nthrough the helper:\n%s", in, via)
	}
	// The key exchange group and cipher are the server's choice, the same
	// for both; the rest is the library's.
	if in.stdout != via.stdout {
		t.Errorf("attributes differ.\nin process:\n%s\nthrough the helper:\n%s", in.stdout, via.stdout)
	}
	r := client(t, f.home, []string{helperEnv}, tool("pgtls_info"), f.conninfo("wrong.example")+" user=postgres sslmode=verify-full sslrootcert="+f.certs.Path("root.crt"))
	if r.err == nil || !strings.Contains(r.stderr+r.stdout, `does not match host name "wrong.example"`) {
		t.Errorf("wrong host through the helper:\n%s", r)
	}
}

// TestHelperKilledMidQuery: a helper killed while its connection waits
// for a query's answer gives the program a clean error, at once.
func TestHelperKilledMidQuery(t *testing.T) {
	f := newFixture(t)
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=require application_name=helper_kill"
	cmd := exec.Command(filepath.Join(goPrefix, "bin", "psql"), "-X", "-At", "-d", conninfo, "-c", "SELECT pg_sleep(60)")
	cmd.Env = cleanEnv([]string{"HOME=" + f.home, helperEnv})
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for strings.TrimSpace(f.srv.sql(t, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'helper_kill' AND query LIKE 'SELECT pg_sleep%'")) != "1" {
		if time.Now().After(deadline) {
			t.Fatal("the query did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	pids := helpers()
	if len(pids) != 1 {
		t.Fatalf("want one helper running, found %v", pids)
	}
	must(t, syscall.Kill(pids[0], syscall.SIGKILL))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(out.String(), "the TLS helper process exited unexpectedly") {
			t.Errorf("psql after its helper was killed: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("psql still waiting 30 s after its helper was killed\n%s", out.String())
	}
}

// TestMultiprocessingPool: Debian's psycopg2 on our libpq, a pool of 8
// workers forked (multiprocessing's fork start method) after the parent
// connected over verify-full: 32 tasks, each a TLS connection through the
// helper; the parent's own connection still works afterwards.
func TestMultiprocessingPool(t *testing.T) {
	f := newFixture(t)
	conninfo := f.verifyFull()
	script, err := filepath.Abs("../ecosystem/psycopg2/pool.py")
	must(t, err)
	// Debian's Python, whose psycopg2 build/install-deps.sh installs.
	r := client(t, f.home, []string{"LD_LIBRARY_PATH=" + filepath.Join(goPrefix, "lib")}, "/usr/bin/python3", script, conninfo)
	if r.err != nil {
		t.Fatalf("pool.py: %s", r)
	}
	for _, want := range []string{
		"parent before: ssl True TLSv1.3, library Go crypto/tls",
		`tasks: 32 good of 32, in [2-8] processes`,
		"parent after: ssl True TLSv1.3 49",
	} {
		if !regexp.MustCompile(`(?m)^` + want + `$`).MatchString(r.stdout) {
			t.Errorf("want a line %q in:\n%s", want, r.stdout)
		}
	}
}

// TestForkPool: a C program, connected over verify-full, forks 8 workers
// that run 4 tasks each, every task a new TLS connection (through the
// helper) and a query; the parent's connection still works afterwards.
func TestForkPool(t *testing.T) {
	f := newFixture(t)
	conninfo := f.verifyFull()
	r := client(t, f.home, nil, tool("pgtls_fork"), "pool", conninfo)
	if r.err != nil {
		t.Fatalf("pgtls_fork pool: %s", r)
	}
	for _, want := range []string{"pool: 0 of 8 workers failed", "parent: query after the pool ok"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q in:\n%s", want, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, ": tls query ok"); n != 33 {
		t.Errorf("%d TLS queries, want 32 tasks and the parent's:\n%s", n, r.stdout)
	}
}

// TestHelperKeyLog: sslkeylogfile through the helper gets the session's
// secrets, as in process.
func TestHelperKeyLog(t *testing.T) {
	f := newFixture(t)
	keylog := filepath.Join(t.TempDir(), "keys")
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=require sslkeylogfile=" + keylog
	r := client(t, f.home, []string{helperEnv}, filepath.Join(goPrefix, "bin", "psql"), "-X", "-At", "-d", conninfo, "-c", sslQuery)
	if r.err != nil {
		t.Fatal(r)
	}
	data, err := os.ReadFile(keylog)
	must(t, err)
	for _, label := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0", "CLIENT_TRAFFIC_SECRET_0"} {
		if !strings.Contains(string(data), label+" ") {
			t.Errorf("no %s line in the key log:\n%s", label, data)
		}
	}
}
