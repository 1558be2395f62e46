package pgtls

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
	"golang.org/x/sys/unix"
)

// rawSocketPair returns both ends of an AF_UNIX stream socketpair as
// non-blocking fds, for a pgtls client talking to a pgtls server.
func rawSocketPair(t testing.TB) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
	}
	return fds[0], fds[1]
}

// serverOptions presents the standard server certificate (with its
// intermediate CA); no client certificates are asked for.
func serverOptions(t testing.TB) ServerOptions {
	pki := testPKI(t)
	return ServerOptions{CertFile: pki.Path("server.crt"), KeyFile: pki.Path("server.key")}
}

// withClientCAs asks for client certificates trusted by the test root.
func withClientCAs(t testing.TB, o ServerOptions) ServerOptions {
	o.CAFile = testPKI(t).Path("root.crt")
	return o
}

// loadServerConfig is NewServerConfig that fails the test on error.
func loadServerConfig(t testing.TB, o ServerOptions) *ServerConfig {
	t.Helper()
	cfg, err := NewServerConfig(o)
	if err != nil {
		t.Fatalf("NewServerConfig: %v", err)
	}
	return cfg
}

// newServerSession builds a server Session over fd, driven like the
// client's by the testClient methods (loop, handshake, echo...).
func newServerSession(t testing.TB, fd int, cfg *ServerConfig) *testClient {
	t.Helper()
	s, err := NewServer(cfg, &fdTransport{fd})
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return &testClient{fd: fd, s: s, deadline: time.Now().Add(testTimeout)}
}

// goClientConfig is a crypto/tls client that trusts the test root and
// checks the server's name.
func goClientConfig(t testing.TB) *tls.Config {
	return &tls.Config{RootCAs: certPool(testPKI(t).Root), ServerName: "localhost", NextProtos: []string{"postgresql"}}
}

// goClient runs a crypto/tls client on conn: the handshake, then fn.
func goClient(t testing.TB, conn net.Conn, cfg *tls.Config, fn func(*tls.Conn) error) *server {
	return serve(t, conn, func(c net.Conn) error {
		tc := tls.Client(c, cfg)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("client handshake: %w", err)
		}
		if fn == nil {
			return nil
		}
		return fn(tc)
	})
}

// awaitClose waits for the peer's close_notify (or failure), so that a
// TLS 1.3 client's verdict on the handshake reaches the server.
func awaitClose(c *tls.Conn) error {
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		return err
	}
	return nil
}

// serverHandshake runs a handshake between a server Session with cfg and
// a Go client with ccfg. It returns the server's session (established or
// not), its error, and the client's.
func serverHandshake(t *testing.T, cfg *ServerConfig, ccfg *tls.Config) (*testClient, error, error) {
	t.Helper()
	fd, conn := socketPair(t)
	cli := goClient(t, conn, ccfg, awaitClose)
	s := newServerSession(t, fd, cfg)
	err := s.handshake()
	// close_notify (after a good handshake) or the end of the stream
	// lets the client finish.
	s.s.Close()
	unix.Shutdown(fd, unix.SHUT_RDWR)
	return s, err, cli.wait(t)
}

// handshakeAfterAlert is the error a pgtls client sees from a server that
// refused it: in TLS 1.2 during the handshake, in TLS 1.3 possibly only
// at the first read, after its own handshake completed.
func handshakeAfterAlert(c *testClient) error {
	if err := c.handshake(); err != nil {
		return err
	}
	_, err := c.readFull(1)
	return err
}

// mintClient makes a client certificate with the given subject (DER) and
// serial, issued by issuer (nil: self-signed).
func mintClient(t testing.TB, rawSubject []byte, serial *big.Int, issuer *certs.Cert, notAfter time.Time) *certs.Cert {
	t.Helper()
	c := mint(t, certs.Template{CommonName: "x", Client: true}, nil) // for its key
	if serial == nil {
		serial = big.NewInt(time.Now().UnixNano())
	}
	if notAfter.IsZero() {
		notAfter = time.Now().Add(time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		RawSubject:   rawSubject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	parent, signer := tmpl, c.Key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, c.Key.Public(), signer)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &certs.Cert{Cert: cert, Key: c.Key, Issuer: issuer}
}

// clientFiles writes a client's certificate chain and key for libpq-style
// options.
func clientFiles(t testing.TB, c *certs.Cert) ClientOptions {
	dir := t.TempDir()
	return ClientOptions{
		SSLMode: "require",
		SSLCert: writeFile(t, dir, "client.crt", c.ChainPEM(), 0o600),
		SSLKey:  writeFile(t, dir, "client.key", c.KeyPEM(), 0o600),
	}
}

// serverRun is a server Session driven in its own goroutine.
type serverRun struct {
	done chan struct{}
	err  error
}

func (r *serverRun) wait(t testing.TB) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(testTimeout):
		t.Fatal("server did not finish")
		return nil
	}
}

// pgtlsPair runs a pgtls server (in a goroutine) against a pgtls client
// over a socketpair. The server runs the handshake and then fn.
func pgtlsPair(t *testing.T, cfg *ServerConfig, o ClientOptions, fn func(*testClient) error) (*testClient, *testClient, *serverRun) {
	t.Helper()
	cfd, sfd := rawSocketPair(t)
	srv := newServerSession(t, sfd, cfg)
	cli := newClient(t, cfd, o, nil)
	run := &serverRun{done: make(chan struct{})}
	go func() {
		defer close(run.done)
		run.err = srv.handshake()
		if run.err == nil && fn != nil {
			run.err = fn(srv)
		}
	}()
	t.Cleanup(func() {
		// The server goroutine owns srv until it finishes; the client's
		// end going away makes sure it does.
		unix.Shutdown(cfd, unix.SHUT_RDWR)
		select {
		case <-run.done:
		case <-time.After(testTimeout):
			t.Error("server goroutine did not exit")
		}
	})
	return srv, cli, run
}

// echoBack echoes what the session reads until the peer closes.
func (c *testClient) echoBack() error {
	buf := make([]byte, 32<<10)
	for {
		var n int
		err := c.loop(func() error {
			var err error
			n, err = c.s.Read(buf)
			return err
		})
		var e *Error
		if errors.As(err, &e) && e.Kind == KindClosed {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.writeAll(buf[:n]); err != nil {
			return err
		}
	}
}

// nextWeek is a CRL's next update that is comfortably in the future.
func nextWeek() time.Time { return time.Now().Add(7 * 24 * time.Hour) }
