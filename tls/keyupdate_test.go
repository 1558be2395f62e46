package pgtls

// A peer that asks for key updates and never reads the replies: the
// replies must not pile up without limit on either side (issue 9, item
// 3). The hostile peer is crypto/tls for the handshake and tls/record
// after it, for the KeyUpdate records crypto/tls cannot send.

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

// keyUpdateRounds is how long the hostile peer goes on: each round is 15
// KeyUpdate requests and one byte of data (crypto/tls refuses 16
// consecutive records that carry no data). 4000 rounds provoke 1.6 MB of
// replies, several times any socket buffer plus maxUnsent.
const keyUpdateRounds = 4000

// floodKeyUpdates sends the rounds on raw, then closes it. It stops early
// once the session under test stops reading (the write fails when the
// test's cleanup closes the connection).
func floodKeyUpdates(l *record.Layer, raw net.Conn) error {
	defer raw.Close()
	var out []byte
	for range keyUpdateRounds {
		out = out[:0]
		for range 15 {
			var err error
			if out, err = l.UpdateKeys(out, true); err != nil {
				return err
			}
		}
		out, _ = l.Seal(out, []byte{0})
		if _, err := raw.Write(out); err != nil {
			return nil // the session under test gave up reading
		}
	}
	return nil
}

// assertBoundedByUnsentReplies drains s until it fails, and checks that it
// failed for the reason and at the bound that maxUnsent sets.
func assertBoundedByUnsentReplies(t *testing.T, c *testClient) {
	t.Helper()
	_, err := c.readUntilError()
	e := asError(t, err)
	if e.Kind != KindTLS || !strings.Contains(e.Message, "peer does not read") {
		t.Fatalf("session ended with %s %q, want the peer-does-not-read failure", kindName(e.Kind), e.Message)
	}
	// One Read handles at most 16 KeyUpdates before it checks.
	if n := len(c.s.pipe.unsent()); n > maxUnsent+16*64 {
		t.Errorf("%d bytes unsent, want at most about %d", n, maxUnsent)
	}
}

func TestServerBoundsRepliesToAPeerThatNeverReads(t *testing.T) {
	fd, conn := socketPair(t)
	secrets := &record.Secrets{}
	ccfg := goClientConfig(t)
	ccfg.MinVersion, ccfg.KeyLogWriter = tls.VersionTLS13, secrets
	goClient(t, conn, ccfg, func(c *tls.Conn) error {
		peer, err := record.Takeover(c.ConnectionState(), secrets, true, nil, nil)
		if err != nil {
			return err
		}
		return floodKeyUpdates(peer, conn)
	})
	s := newServerSession(t, fd, loadServerConfig(t, serverOptions(t)))
	if err := s.handshake(); err != nil {
		t.Fatal(err)
	}
	assertBoundedByUnsentReplies(t, s)
}

func TestClientBoundsRepliesToAPeerThatNeverReads(t *testing.T) {
	fd, conn := socketPair(t)
	secrets := &record.Secrets{}
	scfg := serverConfig(t)
	scfg.MinVersion, scfg.KeyLogWriter = tls.VersionTLS13, secrets
	scfg.SessionTicketsDisabled = true // a ticket would take sequence number 0
	serveTLS(t, conn, scfg, func(c *tls.Conn) error {
		peer, err := record.Takeover(c.ConnectionState(), secrets, false, nil, nil)
		if err != nil {
			return err
		}
		return floodKeyUpdates(peer, conn)
	})
	c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
	if err := c.handshake(); err != nil {
		t.Fatal(err)
	}
	assertBoundedByUnsentReplies(t, c)
}
