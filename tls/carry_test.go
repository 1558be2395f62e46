package pgtls

import (
	"bytes"
	"crypto/tls"
	"testing"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

// TestCarryMovesTheSession carries a session on in a second Session, as a
// forked child's helper does: mid-stream, with plaintext decrypted but not
// yet read and ciphertext not yet decrypted, through the state's encoding.
// The new session reads the rest of what the peer sent, and its writes and
// close_notify reach the peer (crypto/tls) intact.
func TestCarryMovesTheSession(t *testing.T) {
	t.Parallel()
	for _, path := range dataPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := connPair(t, "unix")
			cfg := path.serverConfig(t)
			srv := serveTLS(t, conn, cfg, echo)
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
			path.apply(c.s)
			if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			path.check(t, c.s)
			if !path.recordLayer {
				if _, ok := c.s.CarryState(); ok {
					t.Fatal("a state to carry without the record layer")
				}
				return
			}

			// crypto/tls's first record carries more than 100 bytes (about
			// 1 KB: it sizes records up as a connection warms), so the
			// rest of it is plaintext waiting.
			msg := randomBytes(t, 3*tlsRecordPayload)
			if err := c.writeAll(msg); err != nil {
				t.Fatalf("write: %v", err)
			}
			got, err := c.readFull(100)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			st, ok := c.s.CarryState()
			if !ok {
				t.Fatal("no state to carry on an idle, healthy session")
			}
			if len(st.Plaintext) == 0 {
				t.Fatal("no plaintext waiting: the test does not move any")
			}
			enc, err := st.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var moved record.State
			if err := moved.UnmarshalBinary(enc); err != nil {
				t.Fatal(err)
			}
			// The old session stays as the parent leaves it: unused.
			c.s, err = Resume(moved, &fdTransport{FD: fd})
			if err != nil {
				t.Fatalf("Resume: %v", err)
			}
			if _, ok := c.s.Attribute("protocol"); ok {
				t.Fatal("a resumed session claims to know its handshake")
			}

			rest, err := c.readFull(len(msg) - 100)
			if err != nil {
				t.Fatalf("read after the move: %v", err)
			}
			if got = append(got, rest...); !bytes.Equal(got, msg) {
				t.Fatalf("echo differs at byte %d", firstDiff(got, msg))
			}
			more := randomBytes(t, 5000)
			if err := c.writeAll(more); err != nil {
				t.Fatalf("write after the move: %v", err)
			}
			if got, err := c.readFull(len(more)); err != nil || !bytes.Equal(got, more) {
				t.Fatalf("echo after the move: %v", err)
			}
			c.s.Close()
			if err := srv.wait(t); err != nil {
				t.Fatalf("server: %v (want a clean close_notify)", err)
			}
		})
	}
}

// TestCarryRefused: a failed session has no state to carry on.
func TestCarryRefused(t *testing.T) {
	t.Parallel()
	fd, conn := connPair(t, "unix")
	serveTLS(t, conn, serverConfig(t), func(c *tls.Conn) error { return c.Close() })
	c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
	if err := c.handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if _, ok := c.s.CarryState(); !ok {
		t.Fatal("no state to carry right after the handshake")
	}
	if _, err := c.readUntilError(); err == nil {
		t.Fatal("no error after the server closed")
	}
	if _, ok := c.s.CarryState(); ok {
		t.Fatal("a state to carry on an ended session")
	}
}
