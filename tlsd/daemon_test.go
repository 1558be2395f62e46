package tlsd

// These tests drive the daemon through its sockets, as the postmaster and
// a backend do, with Go's crypto/tls as the client on loopback TCP. The
// whole path with real postgres processes is tested by the SSL suite and
// test/interop.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

// testTimeout bounds every blocking wait of the tests, so that a bug shows
// as a failure rather than a hang. It is not a performance assertion: on a
// loaded machine anything may take seconds.
const testTimeout = 60 * time.Second

// handshakeTimeout is the daemon's handshake bound in the tests, far
// beyond testTimeout, so that it never decides a test's outcome: a client
// that sends nothing is dropped within testTimeout only for the reason
// the test means (TestBackendExitAbandonsTheHandshake).
const handshakeTimeout = 10 * testTimeout

// harness is a running daemon with the postmaster's ends of its sockets.
type harness struct {
	t        *testing.T
	set      *certs.Set
	control  *os.File // postmaster's end of the control stream
	requests int      // backends' end of the request socket
	d        *Daemon
	done     chan struct{}
}

func startDaemon(t *testing.T) *harness {
	t.Helper()
	set, err := certs.NewSet(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	control := socketpair(t, unix.SOCK_STREAM)
	requests := socketpair(t, unix.SOCK_SEQPACKET)
	h := &harness{t: t, set: set, control: os.NewFile(uintptr(control[0]), "control"),
		requests: requests[0], done: make(chan struct{})}
	d := &Daemon{Log: log.New(io.Discard, "", 0), HandshakeTimeout: handshakeTimeout}
	h.d = d
	ctl, req := fileUnixConn(t, control[1]), fileUnixConn(t, requests[1])
	go func() {
		d.Run(ctl, req)
		close(h.done)
	}()
	t.Cleanup(func() {
		h.control.Close()
		unix.Close(h.requests)
		select {
		case <-h.done:
		case <-time.After(testTimeout):
			t.Error("the daemon did not stop after the postmaster's sockets closed")
		}
	})
	h.configure(h.snapshot(pgtls.ServerOptions{CAFile: set.Path("root.crt")}))
	return h
}

func socketpair(t *testing.T, typ int) [2]int {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds
}

func fileUnixConn(t *testing.T, fd int) *net.UnixConn {
	t.Helper()
	f := os.NewFile(uintptr(fd), "socket")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return c.(*net.UnixConn)
}

func (h *harness) snapshot(o pgtls.ServerOptions) []byte {
	h.t.Helper()
	o.CertFile, o.KeyFile = h.set.Path("server.crt"), h.set.Path("server.key")
	cfg, err := pgtls.NewServerConfig(o)
	if err != nil {
		h.t.Fatal(err)
	}
	data, err := cfg.Export()
	if err != nil {
		h.t.Fatal(err)
	}
	return data
}

// configure sends a configuration and returns the daemon's verdict.
func (h *harness) configure(snapshot []byte) (status int32, reason string) {
	h.t.Helper()
	msg := appendInts(nil, configMagic, 0)
	msg = binary.NativeEndian.AppendUint64(msg, uint64(len(snapshot)))
	if _, err := h.control.Write(append(msg, snapshot...)); err != nil {
		h.t.Fatal(err)
	}
	var ack [12]byte
	if _, err := io.ReadFull(h.control, ack[:]); err != nil {
		h.t.Fatal(err)
	}
	reasonBuf := make([]byte, binary.NativeEndian.Uint32(ack[8:]))
	if _, err := io.ReadFull(h.control, reasonBuf); err != nil {
		h.t.Fatal(err)
	}
	return int32(binary.NativeEndian.Uint32(ack[4:])), string(reasonBuf)
}

// backend is the backend's side of one connection, as be-secure-gotls.c
// has it: the session channel and the plaintext socket.
type backend struct {
	channel, plain *os.File
}

// connect accepts a client on loopback and hands its socket to the
// daemon. The client runs the handshake in the background; its result
// comes on the returned channel.
func (h *harness) connect(cfg *tls.Config) (*backend, <-chan clientResult) {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	defer ln.Close()
	results := make(chan clientResult, 1)
	go func() {
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		results <- clientResult{c, err}
	}()
	tcp, err := ln.Accept()
	if err != nil {
		h.t.Fatal(err)
	}
	f, err := tcp.(*net.TCPConn).File()
	tcp.Close()
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	b, err := h.sendRequest(appendInts(nil, requestMagic, 0), int(f.Fd()))
	if err != nil {
		h.t.Fatal(err)
	}
	return b, results
}

type clientResult struct {
	conn *tls.Conn
	err  error
}

func (h *harness) sendRequest(msg []byte, fds ...int) (*backend, error) {
	channel := socketpair(h.t, unix.SOCK_SEQPACKET)
	plain := socketpair(h.t, unix.SOCK_STREAM)
	fds = append(fds, channel[1], plain[1])
	err := unix.Sendmsg(h.requests, msg, unix.UnixRights(fds...), nil, 0)
	unix.Close(channel[1])
	unix.Close(plain[1])
	b := &backend{channel: os.NewFile(uintptr(channel[0]), "channel"), plain: os.NewFile(uintptr(plain[0]), "plain")}
	h.t.Cleanup(func() { b.channel.Close(); b.plain.Close() })
	return b, err
}

// receive reads one message from the channel (io.EOF when it closed).
func (b *backend) receive(t *testing.T) []byte {
	t.Helper()
	buf := make([]byte, 64*1024)
	_ = b.channel.SetReadDeadline(time.Now().Add(testTimeout))
	n, err := b.channel.Read(buf)
	if err == io.EOF || n == 0 {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// parsed splits a message into its integers and strings (nil: absent).
func parsed(t *testing.T, msg []byte, magic uint32, nints int) ([]uint32, []*string) {
	t.Helper()
	if len(msg) < 4+4*nints || binary.NativeEndian.Uint32(msg) != magic {
		t.Fatalf("message %q: want magic %#x and %d integers", msg, magic, nints)
	}
	var ints []uint32
	for i := range nints {
		ints = append(ints, binary.NativeEndian.Uint32(msg[4+4*i:]))
	}
	var strs []*string
	for p := msg[4+4*nints:]; len(p) > 0; {
		n := binary.NativeEndian.Uint32(p)
		p = p[4:]
		if n == noString {
			strs = append(strs, nil)
			continue
		}
		s := string(p[:n])
		strs = append(strs, &s)
		p = p[n:]
	}
	return ints, strs
}

func (h *harness) clientConfig(withCert bool) *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(h.set.Root.CertPEM())
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"postgresql"}}
	if withCert {
		c, err := tls.LoadX509KeyPair(h.set.Path("client.crt"), h.set.Path("client.key"))
		if err != nil {
			h.t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg
}

func TestRelaysBothWaysAndReportsCloseNotify(t *testing.T) {
	h := startDaemon(t)
	b, results := h.connect(h.clientConfig(false))
	ints, strs := parsed(t, b.receive(t), replyMagic, 3)
	if ints[0] != statusOK {
		t.Fatalf("handshake status %d: %v", ints[0], deref(strs[0]))
	}
	if got := deref(strs[3]) + " " + deref(strs[5]); got != "TLSv1.3 postgresql" {
		t.Errorf("protocol and ALPN %q, want TLSv1.3 postgresql", got)
	}
	if strs[6] != nil {
		t.Errorf("peer DN %q without a client certificate", *strs[6])
	}
	if strs[11] == nil || len(*strs[11]) != 32 {
		t.Errorf("tls-server-end-point hash %v, want 32 bytes (ECDSA P-256 with SHA-256)", strs[11])
	}
	r := <-results
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, err := r.conn.Write([]byte("to backend")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := b.plain.Read(buf)
	if err != nil || string(buf[:n]) != "to backend" {
		t.Fatalf("backend read %q, %v", buf[:n], err)
	}
	if _, err := b.plain.Write([]byte("to client")); err != nil {
		t.Fatal(err)
	}
	n, err = r.conn.Read(buf)
	if err != nil || string(buf[:n]) != "to client" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}

	r.conn.Close() // close_notify
	if n, err := b.plain.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("backend read %d, %v after close_notify; want EOF", n, err)
	}
	ints, _ = parsed(t, b.receive(t), endMagic, 2)
	if ints[0] != statusClosed {
		t.Errorf("end status %d, want statusClosed", ints[0])
	}
}

// established connects a client (with a certificate if withCert) and
// returns its backend once the handshake succeeded, with the reply's
// strings.
func (h *harness) established(t *testing.T, withCert bool) (*backend, []*string) {
	t.Helper()
	b, results := h.connect(h.clientConfig(withCert))
	ints, strs := parsed(t, b.receive(t), replyMagic, 3)
	if ints[0] != statusOK {
		t.Fatalf("handshake status %d: %v", ints[0], deref(strs[0]))
	}
	r := <-results
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.conn.Close() })
	return b, strs
}

// ask sends a query on the channel and returns the answer's integers
// (status, number) and strings (name, value).
func (b *backend) ask(t *testing.T, kind, arg uint32, text string) ([]uint32, []*string) {
	t.Helper()
	if _, err := b.channel.Write(append(appendInts(nil, queryMagic, kind, arg), text...)); err != nil {
		t.Fatal(err)
	}
	return parsed(t, b.receive(t), answerMagic, 2)
}

func TestAnswersCertificateQueries(t *testing.T) {
	b, strs := startDaemon(t).established(t, true)
	if got := deref(strs[6]); got != "CN=alice" {
		t.Errorf("peer DN %q, want CN=alice", got)
	}
	if ints, strs := b.ask(t, queryNameField, 0, "commonName"); ints[0] != answerFound || deref(strs[1]) != "alice" {
		t.Errorf("subject commonName: status %d value %q, want alice", ints[0], deref(strs[1]))
	}
	if ints, strs := b.ask(t, queryNameField, 1, "CN"); ints[0] != answerFound || deref(strs[1]) != "pg-gotls test client CA" {
		t.Errorf("issuer CN: status %d value %q", ints[0], deref(strs[1]))
	}
	if ints, _ := b.ask(t, queryNameField, 0, "O"); ints[0] != answerAbsent {
		t.Errorf("subject O: status %d, want absent", ints[0])
	}
	if ints, strs := b.ask(t, queryNameField, 0, "no such field"); ints[0] != answerError || !strings.Contains(deref(strs[1]), "invalid X.509 field name") {
		t.Errorf("unknown field: status %d message %q", ints[0], deref(strs[1]))
	}
	if ints, strs := b.ask(t, queryExtension, 0, ""); ints[0] != answerFound || deref(strs[0]) == "" {
		t.Errorf("extension 0: status %d name %q", ints[0], deref(strs[0]))
	}
	if ints, _ := b.ask(t, queryExtension, 99, ""); ints[0] != answerAbsent {
		t.Errorf("extension 99: status %d, want absent", ints[0])
	}
}

// The backend sets the TCP keepalive and user timeout settings of its
// client's socket, which lives in the daemon, and nothing else.
func TestSetsTheClientsTCPOptions(t *testing.T) {
	b, _ := startDaemon(t).established(t, false)
	for _, opt := range []uint32{unix.TCP_KEEPIDLE, unix.TCP_KEEPINTVL, unix.TCP_KEEPCNT, unix.TCP_USER_TIMEOUT} {
		if ints, strs := b.ask(t, querySetOption, opt, "7"); ints[0] != answerFound {
			t.Errorf("set option %d: status %d: %s", opt, ints[0], deref(strs[1]))
		}
		if ints, _ := b.ask(t, queryGetOption, opt, ""); ints[0] != answerFound || ints[1] != 7 {
			t.Errorf("get option %d: status %d value %d, want 7", opt, ints[0], ints[1])
		}
	}
	if ints, _ := b.ask(t, querySetOption, unix.TCP_KEEPIDLE, "-1"); ints[0] != answerError || ints[1] != uint32(unix.EINVAL) {
		t.Errorf("negative keepalive idle: status %d errno %d, want EINVAL", ints[0], ints[1])
	}
	if ints, _ := b.ask(t, querySetOption, unix.TCP_NODELAY, "0"); ints[0] != answerError || ints[1] != uint32(unix.ENOPROTOOPT) {
		t.Errorf("TCP_NODELAY: status %d errno %d, want ENOPROTOOPT", ints[0], ints[1])
	}
}

func TestReportsAFailedHandshake(t *testing.T) {
	h := startDaemon(t)
	cfg := h.clientConfig(false)
	cfg.MaxVersion = tls.VersionTLS12
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256} // needs an RSA key
	b, results := h.connect(cfg)
	ints, strs := parsed(t, b.receive(t), replyMagic, 3)
	if ints[0] != statusTLS || !strings.Contains(deref(strs[0]), "no shared cipher") {
		t.Errorf("status %d message %q, want statusTLS with no shared cipher", ints[0], deref(strs[0]))
	}
	if r := <-results; r.err == nil {
		t.Error("the client's handshake succeeded")
	}
}

func TestBackendExitAbandonsTheHandshake(t *testing.T) {
	h := startDaemon(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String()) // sends nothing
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	tcp, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := tcp.(*net.TCPConn).File()
	tcp.Close()
	b, err := h.sendRequest(appendInts(nil, requestMagic, 0), int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	b.channel.Close() // the backend exits (authentication_timeout)
	b.plain.Close()
	_ = client.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("client read %v, want EOF: the daemon should drop the connection", err)
	}
}

func TestRefusesAMalformedRequest(t *testing.T) {
	h := startDaemon(t)
	b, err := h.sendRequest(appendInts(nil, requestMagic, 0)) // no client socket
	if err != nil {
		t.Fatal(err)
	}
	if msg := b.receive(t); msg != nil {
		t.Errorf("got %q, want the channel closed", msg)
	}
	// The daemon goes on serving.
	b, results := h.connect(h.clientConfig(false))
	if ints, _ := parsed(t, b.receive(t), replyMagic, 3); ints[0] != statusOK {
		t.Errorf("handshake after a malformed request: status %d", ints[0])
	}
	if r := <-results; r.err == nil {
		r.conn.Close()
	}
}

func TestKeepsTheConfigurationWhenANewOneIsRefused(t *testing.T) {
	h := startDaemon(t)
	if status, reason := h.configure([]byte("not a snapshot")); status == 0 || reason == "" {
		t.Fatalf("garbage configuration accepted (status %d, %q)", status, reason)
	}
	b, results := h.connect(h.clientConfig(false))
	if ints, strs := parsed(t, b.receive(t), replyMagic, 3); ints[0] != statusOK {
		t.Errorf("handshake with the kept configuration: status %d %v", ints[0], deref(strs[0]))
	}
	if r := <-results; r.err == nil {
		r.conn.Close()
	}
	// A new valid one applies to the next connection: TLS 1.2 only.
	if status, reason := h.configure(h.snapshot(pgtls.ServerOptions{MaxProtocol: "TLSv1.2"})); status != 0 {
		t.Fatalf("configuration refused: %s", reason)
	}
	b, results = h.connect(h.clientConfig(false))
	if _, strs := parsed(t, b.receive(t), replyMagic, 3); deref(strs[3]) != "TLSv1.2" {
		t.Errorf("protocol %q after the new configuration, want TLSv1.2", deref(strs[3]))
	}
	if r := <-results; r.err == nil {
		r.conn.Close()
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
