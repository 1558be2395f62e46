package pgtls

import (
	"bytes"
	"crypto/tls"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a bytes.Buffer for the server goroutine's key log.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

var nssLine = regexp.MustCompile(`^([A-Z_0-9]+) ([0-9a-f]{64}) ([0-9a-f]{64}|[0-9a-f]{96})$`)

// TestKeyLog: sslkeylogfile gets the session's secrets in NSS format,
// the same secrets the server has, in a file only its owner can read.
func TestKeyLog(t *testing.T) {
	t.Parallel()
	labels := map[uint16][]string{
		tls.VersionTLS12: {"CLIENT_RANDOM"},
		tls.VersionTLS13: {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"},
	}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(versionNames[version], func(t *testing.T) {
			t.Parallel()
			logFile := filepath.Join(t.TempDir(), "keys.log")
			var serverLog lockedBuffer
			var all []string
			for i := range 2 { // the second session appends
				fd, conn := socketPair(t)
				cfg := serverConfig(t)
				cfg.MinVersion, cfg.MaxVersion = version, version
				cfg.KeyLogWriter = &serverLog
				srv := serveTLS(t, conn, cfg, echo)
				c := newClient(t, fd, ClientOptions{SSLMode: "require", KeyLogFile: logFile}, nil)
				if err := c.handshake(); err != nil {
					t.Fatalf("session %d: handshake: %v", i, err)
				}
				if got, err := c.echo([]byte("ping")); err != nil || string(got) != "ping" {
					t.Fatalf("session %d: echo: %q, %v", i, got, err)
				}
				c.s.Close()
				if err := srv.wait(t); err != nil {
					t.Fatalf("session %d: server: %v", i, err)
				}
			}
			fi, err := os.Stat(logFile)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("key log mode %04o, want 0600", fi.Mode().Perm())
			}
			data, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(data, []byte("\n")) {
				t.Error("key log does not end with a newline")
			}
			all = strings.Split(strings.TrimSpace(string(data)), "\n")
			randoms := map[string]bool{}
			for _, line := range all {
				m := nssLine.FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("not an NSS key log line: %q", line)
				}
				if !slices.Contains(labels[version], m[1]) {
					t.Errorf("unexpected label %s", m[1])
				}
				randoms[m[2]] = true
			}
			if len(randoms) != 2 || len(all) != 2*len(labels[version]) {
				t.Errorf("%d lines for %d sessions, want %d lines for 2", len(all), len(randoms), 2*len(labels[version]))
			}
			// The client's secrets are the server's.
			server := serverLog.lines()
			slices.Sort(server)
			slices.Sort(all)
			if !slices.Equal(all, server) {
				t.Errorf("client key log:\n%s\nserver key log:\n%s", strings.Join(all, "\n"), strings.Join(server, "\n"))
			}
		})
	}
}

// TestKeyLogUnwritable: a key log file that cannot be opened is reported
// and does not stop the connection, as in libpq.
func TestKeyLogUnwritable(t *testing.T) {
	t.Parallel()
	fd, conn := socketPair(t)
	srv := serveTLS(t, conn, serverConfig(t), nil)
	c := newClient(t, fd, ClientOptions{SSLMode: "require", KeyLogFile: filepath.Join(t.TempDir(), "no", "such", "dir", "keys.log")}, nil)
	if err := c.handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if err := srv.wait(t); err != nil {
		t.Fatalf("server: %v", err)
	}
}
