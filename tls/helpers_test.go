package pgtls

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
	"golang.org/x/sys/unix"
)

// testTimeout bounds every blocking wait of the tests, so that a bug shows
// as a failure rather than a hang. It is not a performance assertion.
const testTimeout = 60 * time.Second

var errTimedOut = errors.New("test deadline exceeded waiting for the socket")

// ---------------------------------------------------------------------
// Shared test PKI

// testPKI is one standard set of credentials (root CA, intermediate CAs,
// server and client leaves) minted once for the whole package.
var (
	pkiOnce sync.Once
	pkiSet  *certs.Set
	pkiErr  error
	pkiDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pkiDir != "" {
		os.RemoveAll(pkiDir)
	}
	os.Exit(code)
}

func testPKI(t testing.TB) *certs.Set {
	t.Helper()
	pkiOnce.Do(func() {
		pkiDir, pkiErr = os.MkdirTemp("", "pgtls-pki-")
		if pkiErr == nil {
			pkiSet, pkiErr = certs.NewSet(pkiDir, "alice")
		}
	})
	if pkiErr != nil {
		t.Fatalf("minting the test PKI: %v", pkiErr)
	}
	return pkiSet
}

// tlsCert turns a minted certificate into what a tls.Config presents: the
// leaf followed by its issuers up to, not including, the root.
func tlsCert(c *certs.Cert) tls.Certificate {
	out := tls.Certificate{PrivateKey: c.Key, Leaf: c.Cert}
	out.Certificate = append(out.Certificate, c.Cert.Raw)
	for i := c.Issuer; i != nil && i.Issuer != nil; i = i.Issuer {
		out.Certificate = append(out.Certificate, i.Cert.Raw)
	}
	return out
}

// leafOnly presents c without its intermediates.
func leafOnly(c *certs.Cert) tls.Certificate {
	return tls.Certificate{PrivateKey: c.Key, Leaf: c.Cert, Certificate: [][]byte{c.Cert.Raw}}
}

// serverConfig is a default Go server presenting the standard server
// certificate with its intermediate CA.
func serverConfig(t testing.TB) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{tlsCert(testPKI(t).Server)}}
}

// mint is certs.New that fails the test on error.
func mint(t testing.TB, tmpl certs.Template, issuer *certs.Cert) *certs.Cert {
	t.Helper()
	c, err := certs.New(tmpl, issuer)
	if err != nil {
		t.Fatalf("minting %q: %v", tmpl.CommonName, err)
	}
	return c
}

// crl is certs.CRL that fails the test on error.
func crl(t testing.TB, ca *certs.Cert, revoked []*certs.Cert, nextUpdate time.Time) []byte {
	t.Helper()
	data, err := certs.CRL(ca, revoked, nextUpdate)
	if err != nil {
		t.Fatalf("CRL of %q: %v", ca.Cert.Subject.CommonName, err)
	}
	return data
}

// writeFile writes a test file into dir and returns its path.
func writeFile(t testing.TB, dir, name string, data []byte, mode os.FileMode) string {
	t.Helper()
	if err := certs.WriteFile(dir, name, data, mode); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

func certPool(cs ...*certs.Cert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c.Cert)
	}
	return p
}

// ---------------------------------------------------------------------
// Sockets

// fdTransport is the Transport over a non-blocking socket that the C glue
// and the daemons give a Session.
type fdTransport = SocketTransport

// countingTransport counts the calls that reach the Transport below.
type countingTransport struct {
	inner         Transport
	reads, writes int
}

func (c *countingTransport) Read(p []byte) (int, error) {
	c.reads++
	return c.inner.Read(p)
}

func (c *countingTransport) Write(p []byte) (int, error) {
	c.writes++
	return c.inner.Write(p)
}

// errTransport fails reads or writes with readErr or writeErr, when set.
type errTransport struct {
	inner             Transport
	readErr, writeErr error
}

func (e *errTransport) Read(p []byte) (int, error) {
	if e.readErr != nil {
		return 0, e.readErr
	}
	return e.inner.Read(p)
}

func (e *errTransport) Write(p []byte) (int, error) {
	if e.writeErr != nil {
		return 0, e.writeErr
	}
	return e.inner.Write(p)
}

// socketPair returns the client's end of an AF_UNIX stream socketpair as a
// non-blocking fd, and the server's end as a net.Conn.
func socketPair(t testing.TB) (int, net.Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]) })
	f := os.NewFile(uintptr(fds[1]), "server")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatalf("FileConn: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return fds[0], conn
}

// tcpPair returns a loopback TCP connection: the client's end as a
// non-blocking fd (a plain socket, out of Go's poller), the server's as
// a net.Conn.
func tcpPair(t testing.TB) (int, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(testTimeout))
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	fd := dialFD(t, ln.Addr().(*net.TCPAddr).Port)
	conn := <-accepted
	if conn == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { conn.Close() })
	return fd, conn
}

// dialFD connects to 127.0.0.1:port and returns the socket as a
// non-blocking fd, a plain socket out of Go's poller.
func dialFD(t testing.TB, port int) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	return fd
}

// opensslBinary is the openssl program, a peer and an oracle for tests
// (build/install-deps.sh installs it).
func opensslBinary(t testing.TB) string {
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl binary not installed (build/install-deps.sh installs it)")
	}
	return path
}

func connPair(t testing.TB, network string) (int, net.Conn) {
	switch network {
	case "unix":
		return socketPair(t)
	case "tcp":
		return tcpPair(t)
	}
	t.Fatalf("unknown network %q", network)
	return 0, nil
}

// hangUp ends conn so that its peer sees it gone at once: EOF on reading,
// EPIPE on writing. Close alone is not enough: it drops only this
// descriptor, and a child forked by a concurrent test (os/exec) holds a
// copy of every descriptor until it execs, which keeps the socket open
// meanwhile. shutdown(2) acts on the socket itself, whoever holds it.
func hangUp(conn net.Conn) error {
	if c, ok := conn.(interface {
		CloseRead() error
		CloseWrite() error
	}); ok {
		c.CloseRead()
		c.CloseWrite()
	}
	return conn.Close()
}

// waitFD waits until fd is ready for events, or the deadline passes.
func waitFD(fd int, events int16, deadline time.Time) error {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return errTimedOut
		}
		ms := int(min(left, time.Second)/time.Millisecond) + 1
		pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(pfd, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
}

// fionread is how many bytes the socket holds for reading.
func fionread(t testing.TB, fd int) int {
	t.Helper()
	n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
	if err != nil {
		t.Fatalf("SIOCINQ: %v", err)
	}
	return n
}

// ---------------------------------------------------------------------
// The server side: a real crypto/tls server on a blocking net.Conn

type server struct {
	conn net.Conn
	done chan struct{}
	err  error
}

// serve runs fn on conn in a goroutine. conn has a deadline, and the
// test's cleanup closes it and waits for fn to return.
func serve(t testing.TB, conn net.Conn, fn func(net.Conn) error) *server {
	t.Helper()
	conn.SetDeadline(time.Now().Add(testTimeout))
	s := &server{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = fn(conn)
	}()
	t.Cleanup(func() {
		conn.Close()
		select {
		case <-s.done:
		case <-time.After(testTimeout):
			t.Error("server goroutine did not exit")
		}
	})
	return s
}

// serveTLS runs a crypto/tls server on conn: the handshake, then fn. The
// handshake's error is the server's result if it fails.
func serveTLS(t testing.TB, conn net.Conn, cfg *tls.Config, fn func(*tls.Conn) error) *server {
	return serve(t, conn, func(c net.Conn) error {
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("server handshake: %w", err)
		}
		if fn == nil {
			return nil
		}
		return fn(tc)
	})
}

// await waits, in a server goroutine, until ch is closed. It gives up when
// the test ends (its context is cancelled before the cleanups run) or the
// test timeout passes.
func await(t testing.TB, ch <-chan struct{}) error {
	ctx := t.Context()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return errors.New("test ended")
	case <-time.After(testTimeout):
		return errTimedOut
	}
}

// wait returns the server's result.
func (s *server) wait(t testing.TB) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(testTimeout):
		t.Fatal("server did not finish")
		return nil
	}
}

// echo sends back everything it reads until close_notify.
func echo(c *tls.Conn) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ---------------------------------------------------------------------
// The client side: a Session driven non-blockingly, as libpq drives it

// dataPath is one way a session's application data travels: TLS 1.2 and
// TLS 1.3 on crypto/tls's record layer (TLS 1.2 always, TLS 1.3 in FIPS
// mode), and TLS 1.3 on tls/record (takeover.go).
type dataPath struct {
	name        string
	version     uint16
	recordLayer bool
}

var dataPaths = []dataPath{
	{"TLS1.2", tls.VersionTLS12, false},
	{"TLS1.3/crypto-tls", tls.VersionTLS13, false},
	{"TLS1.3/record-layer", tls.VersionTLS13, true},
}

// serverConfig is the test server's configuration, held to p's version.
func (p dataPath) serverConfig(t testing.TB) *tls.Config {
	cfg := serverConfig(t)
	cfg.MinVersion, cfg.MaxVersion = p.version, p.version
	return cfg
}

// apply keeps s, before its handshake, on crypto/tls's record layer
// unless p is tls/record's.
func (p dataPath) apply(s *Session) {
	if !p.recordLayer {
		s.secrets = nil
	}
}

// check fails the test unless s, its handshake done, is on p's path.
func (p dataPath) check(t testing.TB, s *Session) {
	t.Helper()
	if (s.rec != nil) != p.recordLayer {
		t.Fatalf("data path: record layer %v, want %v", s.rec != nil, p.recordLayer)
	}
}

type testClient struct {
	fd       int
	s        *Session
	deadline time.Time
}

// newClient builds a client Session over fd. wrap, if not nil, wraps the
// socket's Transport.
func newClient(t testing.TB, fd int, o ClientOptions, wrap func(Transport) Transport) *testClient {
	t.Helper()
	var tr Transport = &fdTransport{FD: fd}
	if wrap != nil {
		tr = wrap(tr)
	}
	s, err := NewClient(o, tr)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(s.Close)
	return &testClient{fd: fd, s: s, deadline: time.Now().Add(testTimeout)}
}

// loop calls op until it returns something other than ErrWantRead or
// ErrWantWrite, polling the socket as asked in between.
func (c *testClient) loop(op func() error) error {
	for {
		err := op()
		var ev int16
		switch err {
		case ErrWantRead:
			ev = unix.POLLIN
		case ErrWantWrite:
			ev = unix.POLLOUT
		default:
			return err
		}
		if err := waitFD(c.fd, ev, c.deadline); err != nil {
			return err
		}
	}
}

func (c *testClient) handshake() error { return c.loop(c.s.Handshake) }

// writeAll writes data, honouring the retry contract: after ErrWantWrite
// the same bytes are offered again.
func (c *testClient) writeAll(data []byte) error {
	for off := 0; off < len(data); {
		var n int
		err := c.loop(func() error {
			var err error
			n, err = c.s.Write(data[off:])
			return err
		})
		if err != nil {
			return err
		}
		if n <= 0 || n > len(data)-off {
			return fmt.Errorf("Write reported %d bytes of %d", n, len(data)-off)
		}
		off += n
	}
	return nil
}

// readFull reads exactly n bytes.
func (c *testClient) readFull(n int) ([]byte, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 32<<10)
	for len(out) < n {
		var k int
		err := c.loop(func() error {
			var err error
			k, err = c.s.Read(buf[:min(len(buf), n-len(out))])
			return err
		})
		if err != nil {
			return out, err
		}
		out = append(out, buf[:k]...)
	}
	return out, nil
}

// readUntilError reads until the session fails, returning what it read
// and the failure.
func (c *testClient) readUntilError() ([]byte, error) {
	var out []byte
	buf := make([]byte, 32<<10)
	for {
		var k int
		err := c.loop(func() error {
			var err error
			k, err = c.s.Read(buf)
			return err
		})
		if err != nil {
			return out, err
		}
		out = append(out, buf[:k]...)
		if len(out) > 64<<20 {
			return out, errors.New("no error after 64 MB")
		}
	}
}

// echo writes data and reads it back, interleaving the two in one
// non-blocking loop as a single-threaded client must. Whatever Pending
// reports is read before the socket is polled.
func (c *testClient) echo(data []byte) ([]byte, error) {
	got := make([]byte, 0, len(data))
	buf := make([]byte, 24<<10)
	off := 0
	for len(got) < len(data) {
		progress := false
		var ev int16
		if off < len(data) {
			n, err := c.s.Write(data[off:])
			switch {
			case err == nil:
				if n <= 0 || n > len(data)-off {
					return got, fmt.Errorf("Write reported %d bytes of %d", n, len(data)-off)
				}
				off += n
				progress = true
			case err == ErrWantWrite:
				ev |= unix.POLLOUT
			case err == ErrWantRead:
				ev |= unix.POLLIN
			default:
				return got, fmt.Errorf("write at %d: %w", off, err)
			}
		}
		for {
			n, err := c.s.Read(buf)
			if err == ErrWantRead {
				ev |= unix.POLLIN
				break
			}
			if err == ErrWantWrite {
				ev |= unix.POLLOUT
				break
			}
			if err != nil {
				return got, fmt.Errorf("read at %d: %w", len(got), err)
			}
			got = append(got, buf[:n]...)
			progress = true
			if len(got) > len(data) {
				return got, fmt.Errorf("read %d bytes, more than the %d written", len(got), len(data))
			}
			// Drain what is already decrypted before going back to the
			// socket: data waiting in this layer must never wait on poll.
			// Where Buffered says it is exact, libpq takes its answer for
			// Pending's.
			if b, exact := c.s.Buffered(); exact && b != c.s.Pending() {
				return got, fmt.Errorf("Buffered said %d exactly, Pending %d", b, c.s.Pending())
			}
			for p := c.s.Pending(); p > 0; p = c.s.Pending() {
				n, err := c.s.Read(buf[:min(p, len(buf))])
				if err != nil || n == 0 {
					return got, fmt.Errorf("Pending said %d, Read gave %d, %v", p, n, err)
				}
				got = append(got, buf[:n]...)
			}
		}
		if !progress {
			if err := waitFD(c.fd, ev, c.deadline); err != nil {
				return got, err
			}
		}
	}
	return got, nil
}

// ---------------------------------------------------------------------
// Assertions

// asError fails the test unless err is an *Error.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *Error", err, err)
	}
	return e
}

// kindName names an ErrorKind for failure messages.
func kindName(k ErrorKind) string {
	switch k {
	case KindConfig:
		return "KindConfig"
	case KindTransport:
		return "KindTransport"
	case KindEOF:
		return "KindEOF"
	case KindClosed:
		return "KindClosed"
	case KindTLS:
		return "KindTLS"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// signingKeys returns fresh RSA-2048, ECDSA P-384 and Ed25519 keys, for
// certificates signed with each kind of signature.
func signingKeys(t testing.TB) (*rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return rsaKey, ecKey, edKey
}
