package record

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// boundedConn hands crypto/tls one record at a time, as the engine's pipe
// does, so that nothing after the handshake is left in crypto/tls.
type boundedConn struct {
	net.Conn
	b Boundary
}

func (c *boundedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p[:c.b.Limit(len(p))])
	c.b.Consume(p[:n])
	return n, err
}

// layerConn drives a Layer over a blocking socket, for the tests.
type layerConn struct {
	t    testing.TB
	conn net.Conn
	l    *Layer
}

func (c *layerConn) Read(p []byte) (int, error) {
	for {
		n, err := c.l.Read(p)
		if out := c.l.TakeReplies(nil); len(out) > 0 {
			if _, werr := c.conn.Write(out); werr != nil {
				return n, werr
			}
		}
		if err != ErrNeedInput {
			return n, err
		}
		m, rerr := c.conn.Read(c.l.ReadSpace())
		if m == 0 && rerr != nil {
			return 0, rerr
		}
		c.l.Received(m)
	}
}

func (c *layerConn) Write(p []byte) (int, error) {
	out, err := c.l.Seal(nil, p)
	if err != nil {
		return 0, err
	}
	_, err = c.conn.Write(out)
	return len(p), err
}

// pair connects a Layer (on the side named by layerIsClient) to a
// crypto/tls peer over loopback TCP, taking over after the handshake.
func pair(t testing.TB, layerIsClient bool) (*layerConn, *tls.Conn) {
	t.Helper()
	root := certs.Must(certs.New(certs.Template{CommonName: "root", IsCA: true}, nil))
	leaf := certs.Must(certs.New(certs.Template{CommonName: "localhost", DNSNames: []string{"localhost"}}, root))
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	serverCfg := &tls.Config{
		Certificates:           []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key}},
		MinVersion:             tls.VersionTLS13,
		SessionTicketsDisabled: layerIsClient == false, // a server layer starts at write sequence 0
	}
	clientCfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS13}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	clientRaw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	serverRaw := <-accepted
	t.Cleanup(func() { clientRaw.Close(); serverRaw.Close() })

	secrets := &Secrets{}
	var mine, peer *tls.Conn
	if layerIsClient {
		clientCfg.KeyLogWriter = secrets
		mine = tls.Client(&boundedConn{Conn: clientRaw}, clientCfg)
		peer = tls.Server(serverRaw, serverCfg)
	} else {
		serverCfg.KeyLogWriter = secrets
		mine = tls.Server(&boundedConn{Conn: serverRaw}, serverCfg)
		peer = tls.Client(clientRaw, clientCfg)
	}
	done := make(chan error, 1)
	go func() { done <- peer.Handshake() }()
	if err := mine.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l, err := Takeover(mine.ConnectionState(), secrets, layerIsClient, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := clientRaw
	if !layerIsClient {
		raw = serverRaw
	}
	return &layerConn{t: t, conn: raw, l: l}, peer
}

func sides() []struct {
	name   string
	client bool
} {
	return []struct {
		name   string
		client bool
	}{{"layer is the client", true}, {"layer is the server", false}}
}

// Data of every size crosses both ways between the layer and crypto/tls,
// through key updates asked for by either side.
func TestCryptoTLSPeerEcho(t *testing.T) {
	for _, side := range sides() {
		t.Run(side.name, func(t *testing.T) {
			me, peer := pair(t, side.client)
			go func() { _, _ = io.Copy(peer, peer) }() // crypto/tls echoes
			var lastRead []byte
			for round, size := range []int{1, 100, 16383, 16384, 16385, 70000, 300000, 5} {
				want := make([]byte, size)
				for i := range want {
					want[i] = byte(i*7 + round)
				}
				go func() { _, _ = me.Write(want) }()
				got := make([]byte, size)
				if _, err := io.ReadFull(me, got); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if string(got) != string(want) {
					t.Fatalf("round %d: echo differs", round)
				}
				// The peer answered the last round's request for new keys
				// before it echoed this round's data.
				st := mustState(t, me.l)
				if round > 0 && string(st.ReadSecret) == string(lastRead) {
					t.Fatalf("round %d: the peer's KeyUpdate did not move the read secret", round)
				}
				lastRead = st.ReadSecret
				// The layer updates its keys and asks the peer to.
				out, err := me.l.UpdateKeys(nil, true)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := me.conn.Write(out); err != nil {
					t.Fatal(err)
				}
				if string(mustState(t, me.l).WriteSecret) == string(st.WriteSecret) {
					t.Fatal("write secret unchanged by UpdateKeys")
				}
			}
		})
	}
}

// Each side's close_notify ends the other's reading with io.EOF.
func TestCryptoTLSPeerCloseNotify(t *testing.T) {
	for _, side := range sides() {
		t.Run(side.name, func(t *testing.T) {
			me, peer := pair(t, side.client)
			if _, err := me.conn.Write(me.l.CloseNotify(nil)); err != nil {
				t.Fatal(err)
			}
			if n, err := peer.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Fatalf("peer read %d, %v; want io.EOF", n, err)
			}
			if err := peer.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if n, err := me.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Fatalf("layer read %d, %v; want io.EOF", n, err)
			}
		})
	}
}

// A record damaged in transit fails the layer with bad_record_mac, and the
// alert it sends reaches crypto/tls as such.
func TestCryptoTLSPeerDamagedRecord(t *testing.T) {
	for _, side := range sides() {
		t.Run(side.name, func(t *testing.T) {
			me, peer := pair(t, side.client)
			go func() { _, _ = peer.Write([]byte("first")) }()
			first := make([]byte, 5)
			if _, err := io.ReadFull(me, first); err != nil || string(first) != "first" {
				t.Fatalf("first record: %q, %v", first, err)
			}
			rec := damagedRecord(t, me)
			if _, err := peer.NetConn().Write(rec); err != nil {
				t.Fatal(err)
			}
			_, err := me.Read(make([]byte, 10))
			var op *net.OpError
			if !errors.As(err, &op) || op.Op != "local error" || op.Err != tls.AlertError(alertBadRecordMAC) {
				t.Fatalf("layer read: %v; want local error: bad record MAC", err)
			}
			_, err = peer.Read(make([]byte, 10))
			if !errors.As(err, &op) || op.Op != "remote error" || op.Error() != "remote error: tls: bad record MAC" {
				t.Fatalf("peer read: %v; want remote error: tls: bad record MAC", err)
			}
		})
	}
}

// damagedRecord is a record under the peer's current keys, as the layer
// would next read it, with one bit of its ciphertext flipped.
func damagedRecord(t testing.TB, me *layerConn) []byte {
	st := mustState(t, me.l)
	forger, err := New(State{Suite: st.Suite, WriteSecret: st.ReadSecret, ReadSecret: st.WriteSecret, WriteSeq: st.ReadSeq})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := forger.Seal(nil, []byte("second"))
	if err != nil {
		t.Fatal(err)
	}
	rec[headerLen+2] ^= 0x10
	return rec
}

func mustState(t testing.TB, l *Layer) State {
	t.Helper()
	st, err := l.State()
	if err != nil {
		t.Fatal(err)
	}
	return st
}
