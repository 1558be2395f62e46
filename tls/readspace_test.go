package pgtls

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// earlyTransport reads ahead as libpq's pgtls_read does: the test reads
// the socket into the session's ReadSpace itself, and the session's next
// read of that space returns what the test got.
type earlyTransport struct {
	Transport
	space []byte // where the test read into; nil when no read waits
	n     int
	err   error
	taken int // early reads the session took
}

func (e *earlyTransport) Read(p []byte) (int, error) {
	if e.space == nil {
		return e.Transport.Read(p)
	}
	if &p[0] != &e.space[0] {
		return 0, errors.New("the session read elsewhere than its ReadSpace")
	}
	n, err := e.n, e.err
	e.space = nil
	e.taken++
	return n, err
}

// TestReadSpace reads a session's input the way libpq does: into the
// space ReadSpace offers, calling Read only when the socket gave
// something. It checks when a space is offered, that the data arrive
// whole, and that a failure read early fails the session as its own
// read would.
func TestReadSpace(t *testing.T) {
	t.Parallel()
	for _, path := range dataPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := connPair(t, "unix")
			cfg := path.serverConfig(t)
			serveTLS(t, conn, cfg, echo)
			var et *earlyTransport
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, func(tr Transport) Transport {
				et = &earlyTransport{Transport: tr}
				return et
			})
			path.apply(c.s)
			if c.s.ReadSpace() != nil {
				t.Fatal("a read space before the handshake")
			}
			if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			path.check(t, c.s)
			if !path.recordLayer {
				if c.s.ReadSpace() != nil {
					t.Fatal("a read space without the record layer")
				}
				return
			}
			space := c.s.ReadSpace()
			if len(space) == 0 {
				t.Fatal("no read space on an idle session")
			}
			if _, err := unix.Read(fd, space); err != unix.EAGAIN {
				t.Fatalf("read of an idle socket: %v, want EAGAIN", err)
			}

			msg := randomBytes(t, 3*tlsRecordPayload)
			if err := c.writeAll(msg); err != nil {
				t.Fatalf("write: %v", err)
			}
			got := make([]byte, 0, len(msg))
			buf := make([]byte, 1000)
			withheld := false // a read space withheld while plaintext waited
			for len(got) < len(msg) {
				space := c.s.ReadSpace()
				if space == nil {
					withheld = true
					n, err := c.s.Read(buf)
					if err != nil {
						t.Fatalf("Read with input buffered: %v", err)
					}
					got = append(got, buf[:n]...)
					continue
				}
				if err := waitFD(fd, unix.POLLIN, c.deadline); err != nil {
					t.Fatal(err)
				}
				n, err := unix.Read(fd, space)
				if err == unix.EAGAIN {
					continue
				}
				if err != nil || n == 0 {
					t.Fatalf("socket read: %d, %v", n, err)
				}
				et.space, et.n, et.err = space, n, nil
				k, err := c.s.Read(buf)
				if et.space != nil {
					t.Fatal("Read did not take the bytes read into its space")
				}
				if err != nil && err != ErrWantRead {
					t.Fatalf("Read after an early read: %v", err)
				}
				got = append(got, buf[:k]...)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("read %d bytes, first difference at %d", len(got), firstDiff(got, msg))
			}
			if !withheld || et.taken == 0 {
				t.Fatalf("withheld %v, early reads taken %d: the test did not exercise both", withheld, et.taken)
			}

			// A failure read early is the session's own.
			space = c.s.ReadSpace()
			if space == nil {
				t.Fatal("no read space once all was read")
			}
			et.space, et.n, et.err = space, 0, syscall.ECONNRESET
			if _, err := c.s.Read(buf); err == nil || err == ErrWantRead {
				t.Fatalf("Read after an early ECONNRESET: %v", err)
			}
			if e := asError(t, c.s.Err()); e.Kind != KindTransport || e.Errno != syscall.ECONNRESET {
				t.Fatalf("session error %+v, want a transport error ECONNRESET", e)
			}
			if c.s.ReadSpace() != nil {
				t.Fatal("a read space on a failed session")
			}
		})
	}
}

// tlsRecordPayload is the most plaintext one TLS record carries.
const tlsRecordPayload = 16384
