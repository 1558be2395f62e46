//go:build interop

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Go server's TLS process, pg_tlsd (docs/process-model.md): the
// postmaster starts it, restarts it when it dies, and it exits with the
// server.

// tlsdPIDs lists the pg_tlsd processes serving the cluster at data (the
// daemon has the data directory as its argument, for ps).
func tlsdPIDs(t *testing.T, data string) []int {
	t.Helper()
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(args) == 2 && filepath.Base(args[0]) == "pg_tlsd" && args[1] == data {
			pids = append(pids, pid)
		}
	}
	return pids
}

// oneTLSD is the pid of the cluster's only pg_tlsd.
func oneTLSD(t *testing.T, f *fixture) int {
	t.Helper()
	pids := tlsdPIDs(t, f.srv.data)
	if len(pids) != 1 {
		t.Fatalf("pg_tlsd processes for the cluster: %v, want one", pids)
	}
	return pids[0]
}

func postmasterPID(t *testing.T, s *server) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.data, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(data), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// A killed TLS process ends the sessions it relayed with a clear error;
// the postmaster logs it and starts another, without crash recovery, and
// new TLS connections work.
func TestTLSProcessCrashIsContained(t *testing.T) {
	f := newFixtureOn(t, goPrefix)
	old := oneTLSD(t, f)
	pm := postmasterPID(t, f.srv)
	conninfo := f.verifyFull()
	psql := filepath.Join(goPrefix, "bin", "psql")

	// A TLS session busy in a query, and a plain one over the Unix socket.
	victim := exec.Command(psql, "-X", "-At", "-d", conninfo, "-c", "SELECT pg_sleep(60)")
	victim.Env = cleanEnv([]string{"HOME=" + f.home})
	var victimErr strings.Builder
	victim.Stderr = &victimErr
	must(t, victim.Start())
	waitFor(t, "the TLS session's query to start", func() bool {
		return strings.Contains(f.srv.sql(t, "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE ssl AND query LIKE '%pg_sleep(60)%'"), "1")
	})

	must(t, syscall.Kill(old, syscall.SIGKILL))
	done := make(chan error, 1)
	go func() { done <- victim.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("psql succeeded through a killed TLS process")
		}
		if !strings.Contains(victimErr.String(), "connection to server was lost") {
			t.Errorf("psql's error: %q, want the connection reported lost", victimErr.String())
		}
	case <-time.After(10 * time.Second):
		// The backend is busy for a minute more: the client's TCP socket
		// must have been in the dead process only.
		victim.Process.Kill()
		t.Fatal("the TLS session did not end after its TLS process was killed")
	}

	waitFor(t, "a new pg_tlsd", func() bool {
		p := tlsdPIDs(t, f.srv.data)
		return len(p) == 1 && p[0] != old
	}, f.srv)
	r := client(t, f.home, nil, psql, "-X", "-At", "-d", conninfo, "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.err != nil || strings.TrimSpace(r.stdout) != "t" {
		t.Fatalf("TLS connection after the restart:\n%s", r)
	}
	if got := postmasterPID(t, f.srv); got != pm {
		t.Errorf("postmaster PID %d, was %d", got, pm)
	}
	log := f.srv.log(t)
	for _, want := range []string{
		fmt.Sprintf("TLS process (PID %d) was terminated by signal 9: Killed", old),
		"TLS process restarted",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("server log lacks %q", want)
		}
	}
	if strings.Contains(log, "terminating any other active server processes") {
		t.Error("the TLS process's death caused crash recovery")
	}
}

// The TLS process leaves with the server: nothing of it survives pg_ctl
// stop, and no socket of it is in the data directory.
func TestTLSProcessExitsWithTheServer(t *testing.T) {
	f := newFixtureOn(t, goPrefix)
	if n := len(tlsdPIDs(t, f.srv.data)); n != 1 {
		t.Fatalf("%d pg_tlsd processes for the cluster, want one", n)
	}
	sockets, _ := filepath.Glob(filepath.Join(f.srv.data, "*.s*"))
	if len(sockets) > 0 {
		t.Errorf("sockets in the data directory: %v", sockets)
	}
	f.srv.stop(t)
	waitFor(t, "pg_tlsd to exit", func() bool { return len(tlsdPIDs(t, f.srv.data)) == 0 })
}

// A TLS session sets its TCP keepalive and user timeout settings on the
// client's socket, which is in pg_tlsd: SHOW reports a value only once
// setsockopt succeeded, and a failure would leave a log line.
func TestTCPSettingsOfATLSSession(t *testing.T) {
	f := newFixtureOn(t, goPrefix)
	conninfo := f.verifyFull()
	psql := filepath.Join(goPrefix, "bin", "psql")
	r := client(t, f.home, nil, psql, "-X", "-At", "-d", conninfo,
		"-c", "SET tcp_keepalives_idle = 77", "-c", "SET tcp_keepalives_interval = 11",
		"-c", "SET tcp_keepalives_count = 5", "-c", "SET tcp_user_timeout = 9000",
		"-c", "SELECT current_setting('tcp_keepalives_idle'), current_setting('tcp_keepalives_interval'), current_setting('tcp_keepalives_count'), current_setting('tcp_user_timeout'), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.err != nil || lines[len(lines)-1] != "77|11|5|9000|t" {
		t.Fatalf("TCP settings in a TLS session:\n%s", r)
	}
	if log := f.srv.log(t); strings.Contains(log, "setsockopt") || strings.Contains(log, "getsockopt") {
		t.Errorf("server log:\n%s", log)
	}
}

// waitFor polls cond for up to 20 s; on timeout the server's log, if
// given, goes into the failure.
func waitFor(t *testing.T, what string, cond func() bool, logOf ...*server) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	for _, s := range logOf {
		t.Logf("server log:\n%s", s.log(t))
	}
	t.Fatalf("timed out waiting for %s", what)
}
