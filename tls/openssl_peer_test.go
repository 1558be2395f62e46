package pgtls

// The record layer against OpenSSL, for each TLS 1.3 cipher suite: a
// client Session against `openssl s_server`, a server Session against
// `openssl s_client`, each offering only that suite. crypto/tls cannot be
// made to pick ChaCha20-Poly1305 or AES-256 on hardware with AES, so
// OpenSSL is the peer that reaches those suites; its session tickets (two
// after each handshake) also reach the client's layer.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lines is the test's traffic: lines of several sizes up to a full record
// (s_server -rev reverses what one read of 16 KiB returns).
func lines() []string {
	var out []string
	for i, n := range []int{1, 100, 5000, 16382, 7} {
		out = append(out, strings.Repeat(string(rune('a'+i)), n)+fmt.Sprint(i))
	}
	return out
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// The client Session sends lines to `openssl s_server -rev`, which answers
// each reversed.
func TestOpenSSLServerEverySuite(t *testing.T) {
	openssl := opensslBinary(t)
	pki := testPKI(t)
	for _, suite := range tls13Suites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			port := freePort(t)
			cmd := exec.Command(openssl, "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-naccept", "1",
				"-tls1_3", "-ciphersuites", suite, "-cert", pki.Path("server.crt"), "-key", pki.Path("server.key"), "-rev")
			started(t, cmd, "ACCEPT")
			fd := dialFD(t, port)
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
			if err := c.handshake(); err != nil {
				t.Fatal(err)
			}
			dataPaths[2].check(t, c.s)
			if got, _ := c.s.Attribute("cipher"); got != suite {
				t.Fatalf("cipher %q, want %q", got, suite)
			}
			for _, line := range lines() {
				if err := c.writeAll([]byte(line + "\n")); err != nil {
					t.Fatal(err)
				}
				got, err := c.readFull(len(line) + 1)
				if err != nil {
					t.Fatalf("after %d bytes: %v", len(got), err)
				}
				if string(got) != reverse(line)+"\n" {
					t.Fatalf("line of %d bytes came back wrong", len(line))
				}
			}
		})
	}
}

// `openssl s_client` sends lines to a server Session, which sends them
// back; s_client prints them.
func TestOpenSSLClientEverySuite(t *testing.T) {
	openssl := opensslBinary(t)
	cfg := loadServerConfig(t, serverOptions(t))
	for _, suite := range tls13Suites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			want := strings.Join(lines(), "\n") + "\n"
			cmd := exec.Command(openssl, "s_client", "-connect", ln.Addr().String(), "-tls1_3",
				"-ciphersuites", suite, "-quiet")
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			go func() { _, _ = io.WriteString(stdin, want) }()
			printed := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(io.LimitReader(stdout, int64(len(want))))
				printed <- b
			}()
			conn, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			s := newServerSession(t, connFd(t, conn), cfg)
			if err := s.handshake(); err != nil {
				t.Fatal(err)
			}
			dataPaths[2].check(t, s.s)
			if got, _ := s.s.Attribute("cipher"); got != suite {
				t.Fatalf("cipher %q, want %q", got, suite)
			}
			got, err := s.readFull(len(want))
			if err != nil {
				t.Fatalf("after %d bytes: %v", len(got), err)
			}
			if err := s.writeAll(got); err != nil {
				t.Fatal(err)
			}
			select {
			case out := <-printed:
				if string(out) != want {
					t.Fatalf("s_client printed %d bytes, not the %d sent", len(out), len(want))
				}
			case <-time.After(testTimeout):
				t.Fatal("s_client did not print what was sent back")
			}
		})
	}
}

// started runs cmd and waits for a line of its output containing ready.
func started(t *testing.T, cmd *exec.Cmd, ready string) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), ready) {
			go func() {
				for sc.Scan() {
				}
			}()
			return
		}
	}
	t.Fatalf("%s exited before saying %q", cmd.Path, ready)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// connFd takes a non-blocking descriptor of conn's socket for a Session.
func connFd(t *testing.T, conn net.Conn) int {
	f, err := conn.(*net.TCPConn).File()
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}
