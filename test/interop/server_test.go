//go:build interop

package interop

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// server is a postgres cluster of its own, on 127.0.0.1, stopped by the
// test that started it.
type server struct {
	prefix  string // installation whose binaries run it
	dir     string
	data    string
	port    int
	stopped bool // by the test itself, before its clean-up
}

// freePort asks the kernel for a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return runEnv(t, nil, name, args...)
}

// runEnv is run with extra environment variables.
func runEnv(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = cleanEnv(env)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startServer initdbs and starts a cluster with conf appended to
// postgresql.conf and hba as pg_hba.conf.
func startServer(t *testing.T, prefix, conf, hba string) *server {
	t.Helper()
	return startServerEnv(t, prefix, conf, hba, nil)
}

// startServerEnv is startServer with extra environment variables for the
// server (and so for its TLS process).
func startServerEnv(t *testing.T, prefix, conf, hba string, env []string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{prefix: prefix, dir: dir, data: filepath.Join(dir, "data"), port: freePort(t)}
	run(t, s.bin("initdb"), "-D", s.data, "-U", "postgres", "-A", "trust", "--no-sync", "--no-instructions")
	base := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = off\n", s.port, dir)
	appendFile(t, filepath.Join(s.data, "postgresql.conf"), base+conf)
	if err := os.WriteFile(filepath.Join(s.data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start(t, env)
	return s
}

// start starts the cluster, and has the test's clean-up stop it.
func (s *server) start(t *testing.T, env []string) {
	t.Helper()
	runEnv(t, env, s.bin("pg_ctl"), "-D", s.data, "-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "60", "start")
	t.Cleanup(func() {
		if s.stopped {
			return
		}
		cmd := exec.Command(s.bin("pg_ctl"), "-D", s.data, "-m", "fast", "-w", "stop")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("stopping server: %v\n%s", err, out)
		}
	})
}

func (s *server) bin(name string) string { return filepath.Join(s.prefix, "bin", name) }

// stop stops the server now (pg_ctl stop -m fast).
func (s *server) stop(t *testing.T) {
	t.Helper()
	run(t, s.bin("pg_ctl"), "-D", s.data, "-m", "fast", "-w", "stop")
	s.stopped = true
}

// sql runs statements as the superuser over the Unix socket.
func (s *server) sql(t *testing.T, statements string) string {
	t.Helper()
	return s.sqlDB(t, "postgres", statements)
}

// sqlDB runs statements in database db.
func (s *server) sqlDB(t *testing.T, db, statements string) string {
	t.Helper()
	return run(t, s.bin("psql"), "-X", "-At", "-h", s.dir, "-p", fmt.Sprint(s.port), "-U", "postgres", "-d", db, "-c", statements)
}

func (s *server) log(t *testing.T) string {
	data, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return string(data)
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n" + text + "\n"); err != nil {
		t.Fatal(err)
	}
}

// cleanEnv is the environment without libpq's PG* variables, plus extra.
func cleanEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "SSL_CERT_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// result is what a client program did.
type result struct {
	stdout, stderr string
	err            error
	hung           bool
}

func (r result) String() string {
	return fmt.Sprintf("err=%v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// clientDeadline bounds every client run: a hang is a failure, not a
// stuck test.
const clientDeadline = 60 * time.Second

// client runs a client program with a clean environment and HOME set to
// home (so that ~/.postgresql defaults are the test's).
func client(t *testing.T, home string, env []string, name string, args ...string) result {
	t.Helper()
	return clientWithin(t, clientDeadline, home, env, name, args...)
}

// clientWithin is client with another deadline, for long jobs.
func clientWithin(t *testing.T, deadline time.Duration, home string, env []string, name string, args ...string) result {
	t.Helper()
	r := runClient(deadline, home, env, name, args...)
	if r.hung {
		t.Fatalf("%s %v did not finish within %v (hang)\n%s", name, args, deadline, r)
	}
	return r
}

// clientNoFatal is client for use outside the test's goroutine.
func clientNoFatal(home string, env []string, name string, args ...string) result {
	return runClient(clientDeadline, home, env, name, args...)
}

func runClient(deadline time.Duration, home string, env []string, name string, args ...string) result {
	cmd := exec.Command(name, args...)
	cmd.Env = cleanEnv(append([]string{"HOME=" + home}, env...))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return result{err: err}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
	case <-time.After(deadline):
		cmd.Process.Kill()
		<-done
		return result{stdout: stdout.String(), stderr: stderr.String(), err: fmt.Errorf("killed after %v", deadline), hung: true}
	}
}
