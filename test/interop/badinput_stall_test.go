//go:build interop

package interop

// A handshake that stalls: authentication_timeout must end it. Also the
// process helpers (the postmaster's pid, whether a backend still runs),
// which the storm uses too.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// biPostmaster is the postmaster's pid.
func biPostmaster(t *testing.T, s *server) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.data, "postmaster.pid"))
	must(t, err)
	pid, err := strconv.Atoi(strings.SplitN(string(data), "\n", 2)[0])
	must(t, err)
	return pid
}

// biRunning says whether pid is a live (not zombie) child of parent.
func biRunning(pid, parent int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ppid ...
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 1 && fields[0] != "Z" && fields[1] == strconv.Itoa(parent)
}

// TestBadInputStalledHandshake: a client that stops in the middle of the
// handshake. authentication_timeout covers the handshake (the backend
// _exit(1)s from StartupPacketTimeoutHandler, SIGALRM reaching it while
// the Go runtime is loaded), so the backend must end the connection
// after about 2 s.
//
// PostgreSQL logs nothing at all for this timeout, with either library:
// with log_connections the backend's only line is "connection received".
// The test asserts exactly that, and that the backend process is alive
// during the stall and gone after it.
func TestBadInputStalledHandshake(t *testing.T) {
	const timeout = 2 * time.Second
	halfHello := func(t *testing.T) []byte {
		rec := biRecords(biClientHello(t))
		return rec[:len(rec)/2]
	}
	cases := []struct {
		name   string
		direct bool
		data   func(t *testing.T) []byte
	}{
		{"nothing after S", false, nil},
		{"half a ClientHello after S", false, halfHello},
		{"direct SSL, half a ClientHello", true, halfHello},
	}
	for _, b := range serverBuilds() {
		t.Run(b.name, func(t *testing.T) {
			f := biFixture(t, b.prefix, fmt.Sprintf("log_connections = receipt\nauthentication_timeout = '%ds'", int(timeout.Seconds())))
			postmaster := biPostmaster(t, f.srv)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					start := time.Now()
					var conn net.Conn
					if c.direct {
						conn = biDial(t, f.srv.port)
					} else {
						conn = biSSLRequest(t, f.srv.port)
					}
					if c.data != nil {
						_, err := conn.Write(c.data(t))
						must(t, err)
					}
					pid, _ := biBackendLines(t, f.srv, biPort(conn), nil)
					if !biRunning(pid, postmaster) && time.Since(start) < timeout/2 {
						t.Fatalf("backend %d is gone %v into the stall", pid, time.Since(start))
					}
					e := biAwaitClose(t, conn, start, 10*time.Second)
					if e.after < timeout*3/4 {
						t.Fatalf("connection ended after %v, before authentication_timeout (%v)", e.after, timeout)
					}
					for deadline := time.Now().Add(3 * time.Second); biRunning(pid, postmaster); time.Sleep(50 * time.Millisecond) {
						if time.Now().After(deadline) {
							t.Fatalf("backend %d still running %v after the connection ended", pid, time.Since(start))
						}
					}
					_, lines := biBackendLines(t, f.srv, biPort(conn), nil)
					if len(lines) != 1 {
						t.Errorf("backend %d logged more than its connection receipt:\n%s", pid, strings.Join(lines, "\n"))
					}
					t.Logf("%s: backend %d ended the connection after %v (%v, sent %x); its log: %q",
						b.name, pid, e.after.Round(time.Millisecond), e.err, e.got, lines)
				})
			}
			biServerUp(t, f)
		})
	}
}
