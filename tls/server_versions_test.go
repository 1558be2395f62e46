package pgtls

import (
	"crypto/tls"
	"net"
	"testing"
)

// TestServerProtocolVersions: ssl_min_protocol_version and
// ssl_max_protocol_version against crypto/tls clients, and the backend's
// hint when there is no version in common.
func TestServerProtocolVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		serverMin, serverMax string
		clientMin, clientMax uint16
		want                 string // the protocol, or the hint's range after "!"
	}{
		{"", "", tls.VersionTLS12, tls.VersionTLS12, "TLSv1.2"},
		{"", "", tls.VersionTLS12, tls.VersionTLS13, "TLSv1.3"},
		{"TLSv1.2", "TLSv1.3", tls.VersionTLS13, tls.VersionTLS13, "TLSv1.3"},
		{"tlsv1.2", "TLSV1.2", tls.VersionTLS12, tls.VersionTLS13, "TLSv1.2"},
		{"TLSv1", "TLSv1.1", tls.VersionTLS10, tls.VersionTLS13, "TLSv1.1"},
		{"TLSv1", "", tls.VersionTLS10, tls.VersionTLS10, "TLSv1"},
		{"TLSv1.3", "", tls.VersionTLS12, tls.VersionTLS12, "!TLSv1.3 and TLSv1.3"},
		{"", "TLSv1.2", tls.VersionTLS13, tls.VersionTLS13, "!TLSv1.2 and TLSv1.2"},
		{"", "", tls.VersionTLS10, tls.VersionTLS11, "!TLSv1.2 and TLSv1.3"},
	}
	for _, tt := range tests {
		t.Run(tt.serverMin+"-"+tt.serverMax+"/"+versionNameOf(tt.clientMin)+"-"+versionNameOf(tt.clientMax), func(t *testing.T) {
			t.Parallel()
			o := serverOptions(t)
			o.MinProtocol, o.MaxProtocol = tt.serverMin, tt.serverMax
			cfg := loadServerConfig(t, o)
			ccfg := goClientConfig(t)
			ccfg.MinVersion, ccfg.MaxVersion = tt.clientMin, tt.clientMax
			s, err, cerr := serverHandshake(t, cfg, ccfg)
			if tt.want[0] == '!' {
				e := checkError(t, err, KindTLS, "unsupported protocol: client offered only unsupported versions...")
				if !e.VersionMismatch {
					t.Error("not marked as a version mismatch")
				}
				if want := "This may indicate that the client does not support any SSL protocol version between " + tt.want[1:] + "."; e.Hint != want {
					t.Errorf("hint %q, want %q", e.Hint, want)
				}
				if cerr == nil {
					t.Error("the client got through")
				}
				return
			}
			if err != nil || cerr != nil {
				t.Fatalf("server %v, client %v", err, cerr)
			}
			if info, _ := s.s.ConnectionInfo(); info.Protocol != tt.want {
				t.Errorf("protocol %q, want %q", info.Protocol, tt.want)
			}
		})
	}
}

// TestServerHandshakeFailures: clients that are not TLS clients, or go
// away, as the backend reports them.
func TestServerHandshakeFailures(t *testing.T) {
	t.Parallel()
	cfg := loadServerConfig(t, serverOptions(t))
	tests := []struct {
		name   string
		client func(net.Conn) error
		kind   ErrorKind
		want   string
		hint   bool
	}{
		{"plain text", func(c net.Conn) error {
			_, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
			return err
		}, KindTLS, "wrong version number: first record does not look like a TLS handshake", true},
		{"gone at once", func(c net.Conn) error { return c.Close() }, KindEOF, "EOF detected", false},
		{"gone inside a record", func(c net.Conn) error {
			if _, err := c.Write([]byte{22, 3, 1, 0, 200, 1}); err != nil {
				return err
			}
			return c.(*net.UnixConn).CloseWrite()
		}, KindEOF, "EOF detected", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := socketPair(t)
			cli := serve(t, conn, tt.client)
			s := newServerSession(t, fd, cfg)
			e := checkError(t, s.handshake(), tt.kind, tt.want)
			if (e.Hint != "") != tt.hint {
				t.Errorf("hint %q", e.Hint)
			}
			conn.Close()
			cli.wait(t)
		})
	}
}
