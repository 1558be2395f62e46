package pgtls

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
	"golang.org/x/sys/unix"
)

// readClientHello reads the client's first record, which holds the whole
// ClientHello.
func readClientHello(c net.Conn) error {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return err
	}
	if hdr[0] != 22 {
		return errors.New("first record is not a handshake record")
	}
	_, err := io.ReadFull(c, make([]byte, int(hdr[3])<<8|int(hdr[4])))
	return err
}

// checkError compares a session failure with what a case wants: the
// kind, and the message (exactly, or as a prefix when it ends in "...").
func checkError(t *testing.T, err error, kind ErrorKind, message string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s %q", kindName(kind), message)
	}
	e := asError(t, err)
	if e.Kind != kind {
		t.Errorf("kind %s (%q), want %s", kindName(e.Kind), e.Message, kindName(kind))
	}
	if prefix, ok := strings.CutSuffix(message, "..."); ok {
		if !strings.HasPrefix(e.Message, prefix) {
			t.Errorf("message %q, want it to start with %q", e.Message, prefix)
		}
	} else if e.Message != message {
		t.Errorf("message %q, want %q", e.Message, message)
	}
	return e
}

// TestHandshakeFailures: the server misbehaves at the socket level during
// the handshake.
func TestHandshakeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		network string
		server  func(net.Conn) error
		kind    ErrorKind
		errno   syscall.Errno
		message string
		// mismatch: OpenSSL words it as a version problem and libpq
		// adds its protocol-range hint.
		mismatch bool
	}{
		{
			name: "close after ClientHello", network: "unix",
			server: readClientHello,
			kind:   KindEOF, message: "EOF detected",
		},
		{
			name: "close after ClientHello", network: "tcp",
			server: readClientHello,
			kind:   KindEOF, message: "EOF detected",
		},
		{
			name: "close inside a record", network: "unix",
			server: func(c net.Conn) error {
				if err := readClientHello(c); err != nil {
					return err
				}
				// A handshake record announcing 100 bytes, of which 10 come.
				_, err := c.Write(append([]byte{22, 3, 3, 0, 100}, make([]byte, 10)...))
				return err
			},
			kind: KindEOF, message: "EOF detected",
		},
		{
			name: "reset after ClientHello", network: "tcp",
			server: func(c net.Conn) error {
				if err := readClientHello(c); err != nil {
					return err
				}
				return c.(*net.TCPConn).SetLinger(0) // Close sends RST
			},
			kind: KindTransport, errno: syscall.ECONNRESET, message: "connection reset by peer",
		},
		{
			name: "HTTP instead of ServerHello", network: "unix",
			server: func(c net.Conn) error {
				if err := readClientHello(c); err != nil {
					return err
				}
				_, err := io.WriteString(c, "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
				return err
			},
			kind: KindTLS, message: "wrong version number: first record does not look like a TLS handshake",
			mismatch: true,
		},
		{
			name: "garbage handshake message", network: "unix",
			server: func(c net.Conn) error {
				if err := readClientHello(c); err != nil {
					return err
				}
				// A well-framed record holding a truncated ServerHello.
				if _, err := c.Write([]byte{22, 3, 3, 0, 6, 2, 0, 0, 2, 0xde, 0xad}); err != nil {
					return err
				}
				// The client answers with an alert.
				hdr := make([]byte, 7)
				if _, err := io.ReadFull(c, hdr); err != nil {
					return fmt.Errorf("reading the client's alert: %w", err)
				}
				if hdr[0] != 21 || hdr[3] != 0 || hdr[4] != 2 || hdr[5] != 2 {
					return fmt.Errorf("client sent % x, want a fatal alert", hdr)
				}
				return nil
			},
			kind: KindTLS, message: "decode error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.network+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := connPair(t, tt.network)
			srv := serve(t, conn, func(c net.Conn) error {
				defer c.Close()
				return tt.server(c)
			})
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
			err := c.handshake()
			e := checkError(t, err, tt.kind, tt.message)
			if e.Errno != tt.errno {
				t.Errorf("errno %v, want %v", e.Errno, tt.errno)
			}
			if e.VersionMismatch != tt.mismatch {
				t.Errorf("VersionMismatch = %v, want %v", e.VersionMismatch, tt.mismatch)
			}
			if e.Kind == KindTLS && strings.HasPrefix(e.Message, "tls: ") {
				t.Errorf("message %q keeps Go's prefix", e.Message)
			}
			// The failure is permanent.
			if err2 := c.s.Handshake(); err2 != err {
				t.Errorf("second Handshake = %v, want the same %v", err2, err)
			}
			if err := srv.wait(t); err != nil {
				t.Errorf("server: %v", err)
			}
		})
	}
}

// TestPeerClose: how the end of an established connection is reported.
func TestPeerClose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		network string
		server  func(*tls.Conn, net.Conn) error
		kind    ErrorKind
		message string
	}{
		{
			name: "close_notify", network: "unix",
			server: func(c *tls.Conn, _ net.Conn) error { return c.CloseWrite() },
			kind:   KindClosed, message: "connection closed by peer",
		},
		{
			name: "close_notify and close", network: "tcp",
			server: func(c *tls.Conn, _ net.Conn) error { return c.Close() },
			kind:   KindClosed, message: "connection closed by peer",
		},
		{
			name: "close without close_notify", network: "unix",
			server: func(_ *tls.Conn, raw net.Conn) error { return raw.Close() },
			kind:   KindEOF, message: "EOF detected",
		},
		{
			name: "close without close_notify", network: "tcp",
			server: func(_ *tls.Conn, raw net.Conn) error { return raw.Close() },
			kind:   KindEOF, message: "EOF detected",
		},
	}
	for _, tt := range tests {
		t.Run(tt.network+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := connPair(t, tt.network)
			cfg := serverConfig(t)
			srv := serve(t, conn, func(raw net.Conn) error {
				c := tls.Server(raw, cfg)
				if err := c.Handshake(); err != nil {
					return err
				}
				if _, err := io.WriteString(c, "last words"); err != nil {
					return err
				}
				return tt.server(c, raw)
			})
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
			if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			got, err := c.readUntilError()
			if string(got) != "last words" {
				t.Errorf("read %q before the end, want %q", got, "last words")
			}
			checkError(t, err, tt.kind, tt.message)
			if _, err2 := c.s.Read(make([]byte, 1)); err2 != err {
				t.Errorf("Read after the end = %v, want the same %v", err2, err)
			}
			if err := srv.wait(t); err != nil {
				t.Errorf("server: %v", err)
			}
		})
	}
}

// TestAlerts: the server refuses the client; the alert it sends is
// reported in OpenSSL's words.
func TestAlerts(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	dir := t.TempDir()
	expired := mint(t, certs.Template{
		CommonName: "alice", Client: true,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour),
	}, pki.ClientCA)
	expiredCert := writeFile(t, dir, "expired.crt", expired.ChainPEM(), 0o600)
	expiredKey := writeFile(t, dir, "expired.key", expired.KeyPEM(), 0o600)
	otherCA := mint(t, certs.Template{CommonName: "some other CA", IsCA: true}, nil)

	withClientCert := ClientOptions{SSLMode: "require", SSLCert: pki.Path("client.crt"), SSLKey: pki.Path("client.key")}
	tls12 := []uint16{tls.VersionTLS12}
	tls13 := []uint16{tls.VersionTLS13}
	tests := []struct {
		name       string
		versions   []uint16 // the server's; nil: each of 1.2 and 1.3
		clientAuth tls.ClientAuthType
		clientCAs  *certs.Cert
		opts       ClientOptions
		message    string
		mismatch   bool
		serverErr  string
	}{
		{
			name:       "unknown CA",
			clientAuth: tls.RequireAndVerifyClientCert, clientCAs: otherCA,
			opts: withClientCert, message: "tlsv1 alert unknown ca",
			serverErr: "certificate signed by unknown authority",
		},
		{
			name:       "expired client certificate",
			clientAuth: tls.RequireAndVerifyClientCert, clientCAs: pki.Root,
			opts:    ClientOptions{SSLMode: "require", SSLCert: expiredCert, SSLKey: expiredKey},
			message: "sslv3 alert certificate expired", serverErr: "expired",
		},
		{
			name: "no client certificate", versions: tls13,
			clientAuth: tls.RequireAnyClientCert,
			opts:       ClientOptions{SSLMode: "require"},
			message:    "tlsv13 alert certificate required", serverErr: "didn't provide a certificate",
		},
		{
			name: "no client certificate", versions: tls12,
			clientAuth: tls.RequireAnyClientCert,
			opts:       ClientOptions{SSLMode: "require"},
			message:    "sslv3 alert handshake failure", serverErr: "didn't provide a certificate",
		},
		{
			name: "certificate mode disable", versions: tls13,
			clientAuth: tls.RequireAnyClientCert,
			opts:       ClientOptions{SSLMode: "require", SSLCertMode: "disable", SSLCert: pki.Path("client.crt"), SSLKey: pki.Path("client.key")},
			message:    "tlsv13 alert certificate required", serverErr: "didn't provide a certificate",
		},
		{
			name: "client too old", versions: tls13,
			opts:    ClientOptions{SSLMode: "require", MaxProtocol: "TLSv1.2"},
			message: "tlsv1 alert protocol version", mismatch: true,
			serverErr: "unsupported versions",
		},
		{
			name: "client too new", versions: tls12,
			opts:    ClientOptions{SSLMode: "require", MinProtocol: "TLSv1.3"},
			message: "tlsv1 alert protocol version", mismatch: true,
			serverErr: "unsupported versions",
		},
	}
	for _, tt := range tests {
		versions := tt.versions
		if versions == nil {
			versions = []uint16{tls.VersionTLS12, tls.VersionTLS13}
		}
		for _, version := range versions {
			t.Run(versionNames[version]+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				fd, conn := socketPair(t)
				cfg := serverConfig(t)
				cfg.MinVersion, cfg.MaxVersion = version, version
				cfg.ClientAuth = tt.clientAuth
				if tt.clientCAs != nil {
					cfg.ClientCAs = certPool(tt.clientCAs)
				}
				srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
					// In TLS 1.3 the client finishes first; the server
					// reports its verdict on the client's certificate
					// when it reads.
					_, err := c.Read(make([]byte, 1))
					return err
				})
				c := newClient(t, fd, tt.opts, nil)
				err := c.handshake()
				if err == nil {
					// TLS 1.3: the client's handshake ends before the
					// server checks the client's certificate, so the
					// alert arrives with the first read.
					if version != tls.VersionTLS13 || tt.mismatch {
						t.Fatalf("the handshake succeeded")
					}
					_, err = c.readUntilError()
				} else if version == tls.VersionTLS13 && !tt.mismatch {
					t.Errorf("TLS 1.3 handshake failed (%v); the alert should follow it", err)
				}
				e := checkError(t, err, KindTLS, tt.message)
				if e.VersionMismatch != tt.mismatch {
					t.Errorf("VersionMismatch = %v, want %v", e.VersionMismatch, tt.mismatch)
				}
				if serr := srv.wait(t); serr == nil || !strings.Contains(serr.Error(), tt.serverErr) {
					t.Errorf("server: %v, want an error about %q", serr, tt.serverErr)
				}
			})
		}
	}
}

// TestTransportErrors: an errno from the transport is reported as such,
// on every path, and stays the session's error.
func TestTransportErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		arm   func(*errTransport)
		op    string // where it strikes: handshake, read or write
		errno syscall.Errno
	}{
		{"handshake read", func(e *errTransport) { e.readErr = syscall.EIO }, "handshake", syscall.EIO},
		{"handshake write", func(e *errTransport) { e.writeErr = syscall.ENOBUFS }, "handshake", syscall.ENOBUFS},
		{"read", func(e *errTransport) { e.readErr = syscall.ECONNRESET }, "read", syscall.ECONNRESET},
		// crypto/tls takes errnos that say Temporary() for would-block;
		// the session must not.
		{"read, temporary errno", func(e *errTransport) { e.readErr = syscall.ETIMEDOUT }, "read", syscall.ETIMEDOUT},
		{"write", func(e *errTransport) { e.writeErr = syscall.EPIPE }, "write", syscall.EPIPE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := socketPair(t)
			serveTLS(t, conn, serverConfig(t), echo)
			var et *errTransport
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, func(tr Transport) Transport {
				et = &errTransport{inner: tr}
				return et
			})
			if tt.op == "handshake" {
				tt.arm(et)
			} else if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			var err error
			switch tt.op {
			case "handshake":
				err = c.handshake()
			case "read":
				tt.arm(et)
				_, err = c.s.Read(make([]byte, 100))
			case "write":
				tt.arm(et)
				_, err = c.s.Write([]byte("hello"))
			}
			e := checkError(t, err, KindTransport, tt.errno.Error())
			if e.Errno != tt.errno {
				t.Errorf("errno %v, want %v", e.Errno, tt.errno)
			}
			if !errors.Is(err, tt.errno) {
				t.Errorf("%v does not wrap %v", err, tt.errno)
			}
			// Permanent, even when the transport recovers.
			et.readErr, et.writeErr = nil, nil
			if tt.op != "handshake" {
				if _, err2 := c.s.Read(make([]byte, 1)); err2 != err {
					t.Errorf("Read afterwards = %v, want %v", err2, err)
				}
				if _, err2 := c.s.Write([]byte("x")); err2 != err {
					t.Errorf("Write afterwards = %v, want %v", err2, err)
				}
			} else if err2 := c.s.Handshake(); err2 != err {
				t.Errorf("Handshake afterwards = %v, want %v", err2, err)
			}
		})
	}
}

// TestWriteToClosedPeer: a real EPIPE from the socket.
func TestWriteToClosedPeer(t *testing.T) {
	t.Parallel()
	fd, conn := socketPair(t)
	closed := make(chan struct{})
	cfg := serverConfig(t)
	serve(t, conn, func(raw net.Conn) error {
		c := tls.Server(raw, cfg)
		err := c.Handshake()
		hangUp(raw) // not just Close: see hangUp
		close(closed)
		return err
	})
	c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
	if err := c.handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	select {
	case <-closed:
	case <-time.After(testTimeout):
		t.Fatal("server did not close")
	}
	_, err := c.s.Write([]byte("anyone there?"))
	e := checkError(t, err, KindTransport, syscall.EPIPE.Error())
	if e.Errno != syscall.EPIPE {
		t.Errorf("errno %v, want EPIPE", e.Errno)
	}
}

// TestUnsentAlertKeepsFailure: when the handshake fails on our side and
// the alert describing it cannot be sent (the peer is gone, or the socket
// is full), the failure itself is reported, at once.
func TestUnsentAlertKeepsFailure(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"peer closed", "socket full"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			otherCA := mint(t, certs.Template{CommonName: "some other CA", IsCA: true}, nil)
			rootFile := writeFile(t, t.TempDir(), "root.crt", otherCA.CertPEM(), 0o600)

			fd, conn := socketPair(t)
			release := make(chan struct{})
			flightSent := make(chan struct{})
			cfg := serverConfig(t)
			serve(t, conn, func(raw net.Conn) error {
				// The server's whole first flight goes out in one write,
				// held until the test releases it; then, for "peer
				// closed", the server goes away.
				c := tls.Server(&gatedConn{Conn: raw, t: t, release: release, wrote: flightSent, hangUp: how == "peer closed"}, cfg)
				c.Handshake()
				return nil
			})
			var et *errTransport
			c := newClient(t, fd, ClientOptions{SSLMode: "verify-ca", SSLRootCert: rootFile}, func(tr Transport) Transport {
				et = &errTransport{inner: tr}
				return et
			})
			// The server cannot have answered yet, whatever the
			// scheduling: its flight is held back.
			if err := c.s.Handshake(); err != ErrWantRead {
				t.Fatalf("first Handshake = %v, want ErrWantRead", err)
			}
			close(release)
			select {
			case <-flightSent:
			case <-time.After(testTimeout):
				t.Fatal("server sent nothing")
			}
			// The flight is in the socket now, and for "peer closed" the
			// server's end is shut down.
			if how == "socket full" {
				et.writeErr = ErrWouldBlock
			}
			// Wait for input as long as the session asks; asking to wait
			// for the socket to take the alert would be wrong.
			var err error
			for {
				err = c.s.Handshake()
				if err != ErrWantRead {
					break
				}
				if werr := waitFD(fd, unix.POLLIN, c.deadline); werr != nil {
					t.Fatal(werr)
				}
			}
			if err == ErrWantWrite {
				t.Fatal("Handshake = ErrWantWrite: it waits to send the alert of a failed handshake")
			}
			checkError(t, err, KindTLS, "certificate verify failed: x509: certificate signed by unknown authority...")
			if err2 := c.s.Handshake(); err2 != err {
				t.Errorf("second Handshake = %v, want the same %v", err2, err)
			}
		})
	}
}

// gatedConn holds the first Write until release is closed, and closes
// wrote once that Write is done; if hangUp is set it hangs up in between,
// so that wrote also means the peer is gone.
type gatedConn struct {
	net.Conn
	t       testing.TB
	release <-chan struct{}
	wrote   chan struct{}
	hangUp  bool
	done    bool
}

func (g *gatedConn) Write(p []byte) (int, error) {
	if g.done {
		return g.Conn.Write(p)
	}
	g.done = true
	defer close(g.wrote)
	if err := await(g.t, g.release); err != nil {
		return 0, err
	}
	k, err := g.Conn.Write(p)
	if g.hangUp {
		hangUp(g.Conn)
	}
	return k, err
}
