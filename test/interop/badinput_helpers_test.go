//go:build interop

package interop

// Helpers shared by the bad-input tests: a server with extra settings,
// raw connections with or without an SSLRequest, waiting for the server
// to hang up, the backend's log lines, and the check that the server is
// still up after the bad input.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// biFixture starts a server of the installation at prefix with extra
// settings (a restart applies them, postmaster-level ones included).
func biFixture(t *testing.T, prefix, conf string) *fixture {
	t.Helper()
	f := newFixtureOn(t, prefix)
	if conf != "" {
		appendFile(t, filepath.Join(f.srv.data, "postgresql.conf"), conf)
		run(t, f.srv.bin("pg_ctl"), "-D", f.srv.data, "-w", "-t", "60", "-l", filepath.Join(f.srv.dir, "server.log"), "restart")
	}
	return f
}

func biDial(t *testing.T, port int) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func biSSLRequestBytes() []byte {
	b := binary.BigEndian.AppendUint32(nil, 8)
	return binary.BigEndian.AppendUint32(b, 80877103)
}

// biSSLRequest connects, sends an SSLRequest and reads the 'S'.
func biSSLRequest(t *testing.T, port int) net.Conn {
	t.Helper()
	c := biDial(t, port)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Write(biSSLRequestBytes())
	must(t, err)
	var answer [1]byte
	if _, err := io.ReadFull(c, answer[:]); err != nil || answer[0] != 'S' {
		t.Fatalf("SSLRequest: answer %q, %v", answer[:], err)
	}
	c.SetDeadline(time.Time{})
	return c
}

func biPort(c net.Conn) int { return c.LocalAddr().(*net.TCPAddr).Port }

// biEnding is how the server ended a connection.
type biEnding struct {
	got   []byte        // what it sent before (a TLS alert, say)
	after time.Duration // from the start the caller gave
	err   error         // io.EOF or ECONNRESET
}

// biAwaitClose reads until the server ends the connection; not within
// `within` of start is a failure (the connection hangs).
func biAwaitClose(t *testing.T, c net.Conn, start time.Time, within time.Duration) biEnding {
	t.Helper()
	c.SetReadDeadline(start.Add(within))
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err == nil {
			continue
		}
		e := biEnding{got: got, after: time.Since(start), err: err}
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			return e
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the server did not end the connection within %v (it sent %x)", within, got)
		}
		t.Fatalf("reading: %v (after %v, got %x)", err, e.after, got)
	}
}

// biBackendLines waits until the backend that served the client port
// cport has logged a line matching want, and returns that backend's pid
// and lines. It needs log_connections (the receipt line has the port) and
// the default log_line_prefix ('%m [%p] ').
func biBackendLines(t *testing.T, s *server, cport int, want *regexp.Regexp) (int, []string) {
	t.Helper()
	receipt := regexp.MustCompile(`\[(\d+)\] LOG:  connection received: host=127\.0\.0\.1 port=` + strconv.Itoa(cport) + `\n`)
	var pid int
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		log := s.log(t)
		if m := receipt.FindStringSubmatch(log); m != nil {
			pid, _ = strconv.Atoi(m[1])
			lines = nil
			for _, l := range strings.Split(log, "\n") {
				if strings.Contains(l, "["+m[1]+"] ") {
					lines = append(lines, l)
				}
			}
			if want == nil || slices.ContainsFunc(lines, want.MatchString) {
				return pid, lines
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line matching %q from the backend of client port %d (pid %d: %q)\nserver log:\n%s", want, cport, pid, lines, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// biCrash matches what a crashed backend, a PANIC or Go runtime output on
// the backend's stderr leaves in the server log.
// (A backend's exit code 1 is not logged; the logical replication
// launcher's at a restart is, and is no crash.)
var biCrash = regexp.MustCompile(`PANIC|(client backend|server process) \(PID \d+\) (was terminated|exited with exit code)|terminated by signal|terminating any other active server processes|all server processes terminated|(?m)^(panic|fatal error|SIG[A-Z]+):|goroutine \d+ \[`)

// biServerUp: the server has not crashed, and a normal TLS session (the
// OpenSSL psql, an independent client) works.
func biServerUp(t *testing.T, f *fixture) {
	t.Helper()
	conninfo := f.verifyFull()
	r := client(t, f.home, nil, filepath.Join(osslPrefix, "bin", "psql"), "-X", "-At", "-d", conninfo, "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.err != nil || strings.TrimSpace(r.stdout) != "t" {
		t.Fatalf("a normal TLS session after the bad input failed:\n%s\nserver log:\n%s", r, f.srv.log(t))
	}
	if m := biCrash.FindString(f.srv.log(t)); m != "" {
		t.Fatalf("server log has %q:\n%s", m, f.srv.log(t))
	}
}

// biGarbage is n deterministic pseudo-random bytes (so that each server's
// log line is the same at every run).
func biGarbage(seed uint64, n int) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed), 'b', 'a', 'd'})
	b := make([]byte, n)
	r.Read(b)
	return b
}
