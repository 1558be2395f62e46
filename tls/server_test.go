package pgtls

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"sync"
	"testing"
)

// TestServerEcho: a server Session over a non-blocking socket and a real
// crypto/tls client exchange 2 MB each way: the server echoing what the
// client sends, then the client echoing what the server sends.
func TestServerEcho(t *testing.T) {
	t.Parallel()
	const size = 2 << 20
	cfg := loadServerConfig(t, serverOptions(t))
	for _, network := range []string{"unix", "tcp"} {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(network+"/"+versionNames[version], func(t *testing.T) {
				t.Parallel()
				ccfg := goClientConfig(t)
				ccfg.MinVersion, ccfg.MaxVersion = version, version

				t.Run("server echoes", func(t *testing.T) {
					fd, conn := connPair(t, network)
					data := randomBytes(t, size)
					var got []byte
					cli := goClient(t, conn, ccfg, func(c *tls.Conn) error {
						// Write and read at once: neither side may wait
						// for the other to drain.
						var wg sync.WaitGroup
						var werr error
						wg.Go(func() { _, werr = c.Write(data) })
						var rerr error
						got, rerr = io.ReadAll(io.LimitReader(c, size))
						wg.Wait()
						// close_notify ends the server's echo loop.
						return errors.Join(werr, rerr, c.Close())
					})
					s := newServerSession(t, fd, cfg)
					if err := s.handshake(); err != nil {
						t.Fatalf("server handshake: %v", err)
					}
					if err := s.echoBack(); err != nil {
						t.Fatalf("server echo: %v", err)
					}
					if err := cli.wait(t); err != nil {
						t.Fatalf("client: %v", err)
					}
					if !bytes.Equal(got, data) {
						t.Fatalf("echoed data differs (got %d bytes, first difference at %d)", len(got), firstDiff(got, data))
					}
				})

				t.Run("client echoes", func(t *testing.T) {
					fd, conn := connPair(t, network)
					cli := goClient(t, conn, ccfg, echo)
					s := newServerSession(t, fd, cfg)
					if err := s.handshake(); err != nil {
						t.Fatalf("server handshake: %v", err)
					}
					if info, _ := s.s.ConnectionInfo(); info.Protocol != versionNames[version] {
						t.Errorf("protocol %q, want %q", info.Protocol, versionNames[version])
					}
					data := randomBytes(t, size)
					got, err := s.echo(data)
					if err != nil {
						t.Fatalf("echo after %d bytes: %v", len(got), err)
					}
					if !bytes.Equal(got, data) {
						t.Fatalf("echoed data differs (got %d bytes, first difference at %d)", len(got), firstDiff(got, data))
					}
					s.s.Close()
					if err := cli.wait(t); err != nil {
						t.Fatalf("client: %v", err)
					}
				})
			})
		}
	}
}

// TestServerWithPgtlsClient: both ends are pgtls Sessions on non-blocking
// sockets, the client verifying the server (verify-full) and presenting a
// certificate, data going both ways.
func TestServerWithPgtlsClient(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	cfg := loadServerConfig(t, withClientCAs(t, serverOptions(t)))
	for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			data := randomBytes(t, 1<<20)
			o := ClientOptions{
				Host: "localhost", SSLMode: "verify-full", SSLSNI: true, SSLRootCert: pki.Path("root.crt"),
				SSLCert: pki.Path("client.crt"), SSLKey: pki.Path("client.key"),
				MinProtocol: version, MaxProtocol: version,
			}
			srv, cli, run := pgtlsPair(t, cfg, o, func(s *testClient) error {
				if err := s.echoBack(); err != nil {
					return err
				}
				return nil
			})
			if err := cli.handshake(); err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			got, err := cli.echo(data)
			if err != nil {
				t.Fatalf("echo after %d bytes: %v", len(got), err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("echoed data differs at %d", firstDiff(got, data))
			}
			cli.s.Close()
			if err := run.wait(t); err != nil {
				t.Fatalf("server: %v", err)
			}
			if !cli.s.CertRequested() || !cli.s.CertSent() {
				t.Errorf("CertRequested %v, CertSent %v", cli.s.CertRequested(), cli.s.CertSent())
			}
			peer := srv.s.ClientCertificate()
			if peer == nil || !peer.Certificate.Equal(pki.Client.Cert) {
				t.Fatalf("server's ClientCertificate is %+v, not the client's", peer)
			}
			if peer.CN != "alice" || !peer.HasCN || peer.DN != "CN=alice" {
				t.Errorf("CN %q (%v), DN %q", peer.CN, peer.HasCN, peer.DN)
			}
			sinfo, _ := srv.s.ConnectionInfo()
			cinfo, _ := cli.s.ConnectionInfo()
			if sinfo != cinfo || sinfo.Protocol != version || sinfo.ALPN != "postgresql" {
				t.Errorf("server sees %+v, client %+v", sinfo, cinfo)
			}
			// SCRAM channel binding: both ends compute the same data.
			sh, err := srv.s.ServerCertificateHash()
			if err != nil {
				t.Fatal(err)
			}
			ch, err := CertificateHash(cli.s.PeerCertificate())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sh, ch) {
				t.Errorf("server's tls-server-end-point %x, client's %x", sh, ch)
			}
		})
	}
}

// TestServerConfigReuse: one ServerConfig serves many concurrent
// sessions.
func TestServerConfigReuse(t *testing.T) {
	t.Parallel()
	cfg := loadServerConfig(t, withClientCAs(t, serverOptions(t)))
	pki := testPKI(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			o := ClientOptions{SSLMode: "verify-ca", SSLRootCert: pki.Path("root.crt")}
			if i%2 == 0 {
				o.SSLCert, o.SSLKey = pki.Path("client.crt"), pki.Path("client.key")
			}
			srv, cli, run := pgtlsPair(t, cfg, o, func(s *testClient) error { return s.echoBack() })
			if err := cli.handshake(); err != nil {
				t.Errorf("session %d: %v", i, err)
				return
			}
			if got, err := cli.echo([]byte("hello")); err != nil || string(got) != "hello" {
				t.Errorf("session %d: %q, %v", i, got, err)
			}
			cli.s.Close()
			if err := run.wait(t); err != nil {
				t.Errorf("session %d: server: %v", i, err)
			}
			if hasCert := srv.s.ClientCertificate() != nil; hasCert != (i%2 == 0) {
				t.Errorf("session %d: client certificate %v", i, hasCert)
			}
		})
	}
	wg.Wait()
}

// TestNewServerWithoutConfig: the backend's "SSL context not set up".
func TestNewServerWithoutConfig(t *testing.T) {
	t.Parallel()
	_, err := NewServer(nil, &fdTransport{-1})
	checkError(t, err, KindConfig, "SSL context not set up")
}
