package pgtls

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var versionNames = map[uint16]string{
	tls.VersionTLS12: "TLSv1.2",
	tls.VersionTLS13: "TLSv1.3",
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEcho sends 4 MB of random data through a Session over a
// non-blocking socket to a crypto/tls echo server and reads it back.
func TestEcho(t *testing.T) {
	t.Parallel()
	const size = 4 << 20
	for _, network := range []string{"unix", "tcp"} {
		for _, path := range dataPaths {
			version := path.version
			t.Run(network+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				fd, conn := connPair(t, network)
				cfg := serverConfig(t)
				cfg.MinVersion, cfg.MaxVersion = version, version
				var state tls.ConnectionState
				srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
					state = c.ConnectionState()
					return echo(c)
				})
				c := newClient(t, fd, ClientOptions{Host: "localhost", SSLMode: "require", SSLSNI: true}, nil)
				path.apply(c.s)
				if err := c.handshake(); err != nil {
					t.Fatalf("handshake: %v", err)
				}
				path.check(t, c.s)
				if err := c.s.Handshake(); err != nil {
					t.Errorf("Handshake after the handshake: %v", err)
				}
				if p, _ := c.s.Attribute("protocol"); p != versionNames[version] {
					t.Errorf("protocol = %q, want %q", p, versionNames[version])
				}
				data := randomBytes(t, size)
				got, err := c.echo(data)
				if err != nil {
					t.Fatalf("echo after %d bytes: %v", len(got), err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("echoed data differs (got %d bytes, first difference at %d)", len(got), firstDiff(got, data))
				}
				// Close sends close_notify: the server's Read sees a clean EOF.
				c.s.Close()
				if err := srv.wait(t); err != nil {
					t.Fatalf("server: %v", err)
				}
				if state.Version != version {
					t.Errorf("server negotiated %x, want %x", state.Version, version)
				}
			})
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestWriteRetryContract fills the socket while the server does not read,
// and checks OpenSSL's SSL_write retry contract: ErrWantWrite reports
// nothing written, the retry with the same bytes reports exactly what the
// interrupted call encrypted, and the server receives every byte once.
func TestWriteRetryContract(t *testing.T) {
	t.Parallel()
	for _, path := range dataPaths {
		for _, size := range []int{1, 1000, 16 << 10, maxWriteChunk, 1 << 20} {
			for _, retry := range []string{"same", "longer"} {
				name := fmt.Sprintf("%s/size=%d/retry=%s", path.name, size, retry)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					testWriteRetry(t, path, size, retry)
				})
			}
		}
	}
}

func testWriteRetry(t *testing.T, path dataPath, size int, retry string) {
	version := path.version
	fd, conn := socketPair(t)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}
	handshook := make(chan struct{}) // the server's handshake is over
	release := make(chan struct{})   // the server may start reading
	totalCh := make(chan int, 1)     // how many bytes the client wrote
	gotAll := make(chan struct{})    // the server read them all
	var received []byte
	cfg := serverConfig(t)
	cfg.MinVersion, cfg.MaxVersion = version, version
	srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
		close(handshook)
		if err := await(t, release); err != nil {
			return err
		}
		// The client announces the total before it writes the last
		// bytes, so the server knows when to stop before it would block.
		buf := make([]byte, 64<<10)
		total := -1
		for {
			if total < 0 {
				select {
				case total = <-totalCh:
				default:
				}
			}
			if total >= 0 && len(received) >= total {
				break
			}
			n, err := c.Read(buf)
			received = append(received, buf[:n]...)
			if err != nil {
				return fmt.Errorf("server read after %d bytes: %w", len(received), err)
			}
		}
		close(gotAll)
		// Nothing more may come but close_notify.
		n, err := c.Read(buf)
		if n != 0 || err != io.EOF {
			return fmt.Errorf("after the %d bytes written: read %d more bytes, err %v; want close_notify", total, n, err)
		}
		return nil
	})
	c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
	path.apply(c.s)
	if err := c.handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	path.check(t, c.s)
	// In TLS 1.3 the client is done before the server has read its
	// Finished. Until the server has, it may still take bytes off the
	// socket, and a full socket could drain by itself before the retry
	// below; once its handshake is over, it reads nothing until release.
	select {
	case <-handshook:
	case <-srv.done:
		t.Fatalf("server: %v", srv.err)
	case <-time.After(testTimeout):
		t.Fatal("the server's handshake did not finish")
	}

	data := randomBytes(t, 8<<20)
	chunk := min(size, maxWriteChunk)
	off := 0
	for {
		if off+size+1 > len(data) {
			t.Fatalf("the socket never filled up after %d bytes", off)
		}
		n, err := c.s.Write(data[off : off+size])
		if err == ErrWantWrite {
			if n != 0 {
				t.Fatalf("ErrWantWrite reported %d bytes written", n)
			}
			break
		}
		if err != nil {
			t.Fatalf("Write at %d: %v", off, err)
		}
		if n != chunk {
			t.Fatalf("Write of %d bytes at %d reported %d, want %d", size, off, n, chunk)
		}
		off += n
	}

	// While the server does not read, a retry still cannot finish.
	n, err := c.s.Write(data[off : off+size])
	if n != 0 || err != ErrWantWrite {
		t.Fatalf("retry on a full socket: %d, %v; want 0, ErrWantWrite", n, err)
	}

	retryBuf := data[off : off+size]
	if retry == "longer" {
		retryBuf = data[off : off+size+1]
	}
	close(release)
	err = c.loop(func() error {
		var err error
		n, err = c.s.Write(retryBuf)
		return err
	})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n != chunk {
		t.Fatalf("retry reported %d bytes, want the %d the interrupted Write encrypted", n, chunk)
	}
	off += n

	// The stream goes on normally after the retry.
	more := min(len(data)-off, 300<<10)
	totalCh <- off + more
	if err := c.writeAll(data[off : off+more]); err != nil {
		t.Fatalf("writing after the retry: %v", err)
	}
	off += more
	select {
	case <-gotAll:
	case <-srv.done:
		t.Fatalf("server: %v", srv.err)
	case <-time.After(testTimeout):
		t.Fatal("server did not receive everything")
	}
	c.s.Close()
	if err := srv.wait(t); err != nil {
		t.Fatalf("server: %v", err)
	}
	if !bytes.Equal(received, data[:off]) {
		t.Fatalf("server received %d bytes, want %d; first difference at %d", len(received), off, firstDiff(received, data[:off]))
	}
}

// TestWriteRetryFewerBytes: a retry that does not offer all the bytes the
// interrupted Write encrypted cannot be honoured; it must fail with a
// permanent *Error, not corrupt the stream or report progress.
func TestWriteRetryFewerBytes(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 1000, maxWriteChunk} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			fd, conn := socketPair(t)
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
				t.Fatal(err)
			}
			release := make(chan struct{})
			serveTLS(t, conn, serverConfig(t), func(c *tls.Conn) error {
				return await(t, release)
			})
			defer close(release)
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
			if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			data := randomBytes(t, 8<<20)
			off := 0
			for {
				if off+size > len(data) {
					t.Fatal("the socket never filled up")
				}
				n, err := c.s.Write(data[off : off+size])
				if err == ErrWantWrite {
					break
				}
				if err != nil {
					t.Fatalf("Write: %v", err)
				}
				off += n
			}
			n, err := c.s.Write(data[off : off+size-1])
			if n != 0 {
				t.Fatalf("short retry reported %d bytes written", n)
			}
			if err == ErrWantWrite || err == ErrWantRead {
				t.Fatalf("short retry: %v, want a permanent error", err)
			}
			e := asError(t, err)
			if !strings.Contains(e.Message, "fewer bytes") {
				t.Errorf("message %q does not explain the bad retry", e.Message)
			}
			// The failure is permanent, and the session stays usable for
			// nothing but Close.
			if _, err2 := c.s.Write(data[off : off+size]); err2 != err {
				t.Errorf("Write after the failure: %v, want %v", err2, err)
			}
			if _, err2 := c.s.Read(make([]byte, 10)); err2 != err {
				t.Errorf("Read after the failure: %v, want %v", err2, err)
			}
			if c.s.Err() != e {
				t.Errorf("Err() = %v, want %v", c.s.Err(), e)
			}
		})
	}
}

// TestPending: the server sends a full-size record followed by small
// records back-to-back. Reading the big record pulls the small ones off
// the socket too; Pending must then report them without reading the
// Transport again, and Read must return them.
func TestPending(t *testing.T) {
	t.Parallel()
	const small, count = 10, 10
	for _, path := range dataPaths {
		version := path.version
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := socketPair(t)
			payload := randomBytes(t, 16384+small*count)
			sent := make(chan struct{})
			finish := make(chan struct{})
			cfg := serverConfig(t)
			cfg.MinVersion, cfg.MaxVersion = version, version
			cfg.SessionTicketsDisabled = true
			// One Write, one record: no small records at first.
			cfg.DynamicRecordSizingDisabled = true
			start := make(chan struct{})
			srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
				// Only once the client's handshake is over, so that none
				// of this is read with the server's last flight.
				if err := await(t, start); err != nil {
					return err
				}
				// One record per Write: a full one, then the small ones.
				if _, err := c.Write(payload[:16384]); err != nil {
					return err
				}
				for i := range count {
					if _, err := c.Write(payload[16384+i*small : 16384+(i+1)*small]); err != nil {
						return err
					}
				}
				close(sent)
				if err := await(t, finish); err != nil {
					return err
				}
				return c.CloseWrite()
			})
			var counter *countingTransport
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, func(tr Transport) Transport {
				counter = &countingTransport{inner: tr}
				return counter
			})
			path.apply(c.s)
			if p := c.s.Pending(); p != 0 {
				t.Errorf("Pending before the handshake = %d", p)
			}
			if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			close(start)
			select {
			case <-sent:
			case <-time.After(testTimeout):
				t.Fatal("server did not send")
			}

			// Read the big record. Everything the server sent is in the
			// socket now, and crypto/tls reads with room to spare beyond
			// the record it needs, so this drains the socket.
			got, err := c.readFull(16384)
			if err != nil {
				t.Fatalf("reading the first record: %v", err)
			}
			if n := fionread(t, fd); n != 0 {
				t.Fatalf("socket still holds %d bytes after the first record", n)
			}
			reads := counter.reads
			buf := make([]byte, 64<<10)

			// A partial Read of the next record leaves the rest pending.
			n, err := c.s.Read(buf[:3])
			if err != nil || n != 3 {
				t.Fatalf("Read(3) = %d, %v", n, err)
			}
			got = append(got, buf[:3]...)
			// Pending covers every record received, not only the current
			// one: libpq drains that many bytes and then polls the socket.
			if p := c.s.Pending(); p != len(payload)-len(got) {
				t.Errorf("Pending after a partial read = %d, want %d", p, len(payload)-len(got))
			}
			for len(got) < len(payload) {
				p := c.s.Pending()
				if p != len(payload)-len(got) {
					t.Fatalf("Pending = %d with %d bytes still buffered", p, len(payload)-len(got))
				}
				if again := c.s.Pending(); again != p {
					t.Errorf("a second Pending says %d, the first %d", again, p)
				}
				n, err := c.s.Read(buf)
				if err != nil || n != p {
					t.Fatalf("Pending said %d, Read returned %d, %v", p, n, err)
				}
				got = append(got, buf[:n]...)
			}
			if counter.reads != reads {
				t.Errorf("Pending/Read of buffered records read the transport %d times", counter.reads-reads)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("read data differs at %d", firstDiff(got, payload))
			}
			if p := c.s.Pending(); p != 0 {
				t.Errorf("Pending with nothing left = %d", p)
			}
			if counter.reads != reads {
				t.Errorf("Pending with nothing buffered read the transport")
			}
			// Now Read has to go to the socket, which is empty.
			if n, err := c.s.Read(buf); n != 0 || err != ErrWantRead {
				t.Errorf("Read on an empty socket = %d, %v; want ErrWantRead", n, err)
			}
			if counter.reads != reads+1 {
				t.Errorf("Read on an empty socket made %d transport reads, want 1", counter.reads-reads)
			}
			close(finish)
			if _, err := c.readUntilError(); asError(t, err).Kind != KindClosed {
				t.Errorf("after close_notify: %v, want KindClosed", err)
			}
			if err := srv.wait(t); err != nil {
				t.Fatalf("server: %v", err)
			}
		})
	}
}

// TestBeforeHandshake: data calls before the handshake fail without
// touching the transport, and attributes are unavailable.
func TestBeforeHandshake(t *testing.T) {
	t.Parallel()
	counter := &countingTransport{inner: &fdTransport{-1}}
	s, err := NewClient(ClientOptions{SSLMode: "require"}, counter)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Read(make([]byte, 1)); err == nil {
		t.Error("Read before the handshake succeeded")
	}
	if _, err := s.Write([]byte("x")); err == nil {
		t.Error("Write before the handshake succeeded")
	}
	if p := s.Pending(); p != 0 {
		t.Errorf("Pending = %d", p)
	}
	if v, ok := s.Attribute("protocol"); ok {
		t.Errorf("Attribute(protocol) = %q before the handshake", v)
	}
	if s.PeerCertificate() != nil {
		t.Error("PeerCertificate before the handshake")
	}
	if counter.reads+counter.writes != 0 {
		t.Errorf("the transport was used %d times", counter.reads+counter.writes)
	}
}

// TestCloseDuringHandshake: Close stops the handshake goroutine while it
// waits for the server, and the session is unusable afterwards.
func TestCloseDuringHandshake(t *testing.T) {
	t.Parallel()
	fd, conn := socketPair(t)
	serve(t, conn, func(c net.Conn) error {
		_, err := io.Copy(io.Discard, c) // never answers
		return err
	})
	c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
	if err := c.s.Handshake(); err != ErrWantRead && err != ErrWantWrite {
		t.Fatalf("Handshake = %v, want ErrWantRead", err)
	}
	closed := make(chan struct{})
	go func() {
		c.s.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(testTimeout):
		t.Fatal("Close did not return")
	}
	if err := c.s.Handshake(); asError(t, err).Kind != KindConfig {
		t.Errorf("Handshake after Close = %v", err)
	}
}

// gateTransport refuses every write while closed, as a full socket does.
type gateTransport struct {
	inner   Transport
	closed  bool
	written int
}

func (g *gateTransport) Read(p []byte) (int, error) { return g.inner.Read(p) }

func (g *gateTransport) Write(p []byte) (int, error) {
	if g.closed {
		return 0, ErrWouldBlock
	}
	n, err := g.inner.Write(p)
	g.written += n
	return n, err
}

// TestReadKeepsInterruptedWrite: the ciphertext of a Write that returned
// ErrWantWrite goes out when the caller retries the Write, never from a
// Read in between. libpq reads while its write waits (pqSendSome), and
// during connection start-up a reply that arrived in that read would sit
// unparsed in libpq's buffer while it polls the socket for it: a hang
// found by fault injection. OpenSSL behaves the same way.
func TestReadKeepsInterruptedWrite(t *testing.T) {
	t.Parallel()
	fd, conn := socketPair(t)
	srv := serveTLS(t, conn, serverConfig(t), echo)
	var gate *gateTransport
	c := newClient(t, fd, ClientOptions{SSLMode: "require"}, func(tr Transport) Transport {
		gate = &gateTransport{inner: tr}
		return gate
	})
	if err := c.handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}

	msg := []byte("startup packet")
	gate.closed = true
	if n, err := c.s.Write(msg); n != 0 || err != ErrWantWrite {
		t.Fatalf("Write on a full socket: %d, %v; want 0, ErrWantWrite", n, err)
	}
	gate.closed = false
	before := gate.written
	buf := make([]byte, 1024)
	if n, err := c.s.Read(buf); n != 0 || err != ErrWantRead {
		t.Fatalf("Read while the write waits: %d, %v; want 0, ErrWantRead", n, err)
	}
	if gate.written != before {
		t.Fatalf("Read sent %d bytes of the interrupted Write's ciphertext", gate.written-before)
	}

	if err := c.writeAll(msg); err != nil {
		t.Fatalf("retried Write: %v", err)
	}
	got, err := c.readFull(len(msg))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo after the retry: %q, %v; want %q", got, err, msg)
	}
	c.s.Close()
	if err := srv.wait(t); err != nil {
		t.Fatalf("server: %v", err)
	}
}

// TestCloseAnswersThePeersCloseNotify: after the peer's close_notify, Close
// sends ours, as OpenSSL's SSL_shutdown does. libpq depends on it: a
// cancel request's connection ends with the server's close_notify, and
// PQcancelPoll takes the cancel as done only if closing the connection
// left errno at 0, which the successful write of the answer does.
func TestCloseAnswersThePeersCloseNotify(t *testing.T) {
	t.Parallel()
	for _, path := range dataPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := socketPair(t)
			cfg := path.serverConfig(t)
			srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
				if err := c.CloseWrite(); err != nil {
					return err
				}
				// crypto/tls reports close_notify and a bare end of stream
				// alike; the raw bytes tell them apart: one record (an
				// encrypted alert) before the client shuts its socket.
				raw, err := io.ReadAll(c.NetConn())
				if err != nil {
					return err
				}
				if len(raw) < 5 || len(raw) != 5+int(raw[3])<<8+int(raw[4]) {
					return fmt.Errorf("after our close_notify the client sent %d bytes, want one record", len(raw))
				}
				return nil
			})
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
			path.apply(c.s)
			if err := c.handshake(); err != nil {
				t.Fatal(err)
			}
			path.check(t, c.s)
			if _, err := c.readUntilError(); asError(t, err).Kind != KindClosed {
				t.Fatalf("read ended with %v, want the peer's close_notify", err)
			}
			c.s.Close()
			if err := unix.Shutdown(fd, unix.SHUT_WR); err != nil {
				t.Fatal(err)
			}
			if err := srv.wait(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}
