package pgtls

import (
	"crypto/tls"
	"slices"
	"testing"
)

// TestSNI: the client names the host in SNI as libpq does: for a host
// name, not for an IP literal, and not when sslsni is off.
func TestSNI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		sni  bool
		want string
	}{
		{"localhost", true, "localhost"},
		{"db.example.com", true, "db.example.com"},
		{"1.2.3.4.example", true, "1.2.3.4.example"},
		{"127.0.0.1", true, ""},
		{"::1", true, ""},
		{"fe80::1%eth0", true, ""},
		{"10.1.2", true, ""}, // libpq: only digits and dots is an address
		{"", true, ""},
		{"localhost", false, ""},
		{"db.example.com", false, ""},
	}
	for _, tt := range tests {
		name := tt.host
		if !tt.sni {
			name += ",sslsni=0"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fd, conn := socketPair(t)
			var hello struct {
				serverName string
				protos     []string
			}
			cfg := serverConfig(t)
			cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
				hello.serverName, hello.protos = h.ServerName, h.SupportedProtos
				return nil, nil
			}
			srv := serveTLS(t, conn, cfg, nil)
			c := newClient(t, fd, ClientOptions{SSLMode: "require", Host: tt.host, SSLSNI: tt.sni}, nil)
			if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if err := srv.wait(t); err != nil {
				t.Fatalf("server: %v", err)
			}
			if hello.serverName != tt.want {
				t.Errorf("server saw SNI %q, want %q", hello.serverName, tt.want)
			}
			if !slices.Equal(hello.protos, []string{"postgresql"}) {
				t.Errorf("client offered ALPN %q, want [postgresql]", hello.protos)
			}
		})
	}
}

// TestALPN: the client offers "postgresql" and reports what was agreed.
func TestALPN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		server  []string
		want    string
		failure string
	}{
		{"server speaks postgresql", []string{"postgresql"}, "postgresql", ""},
		{"server prefers something else", []string{"h2", "postgresql"}, "postgresql", ""},
		{"server without ALPN", nil, "", ""},
		{"no protocol in common", []string{"h2"}, "", "tlsv1 alert no application protocol"},
	}
	for _, tt := range tests {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(versionNames[version]+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				fd, conn := socketPair(t)
				cfg := serverConfig(t)
				cfg.MinVersion, cfg.MaxVersion = version, version
				cfg.NextProtos = tt.server
				var negotiated string
				srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
					negotiated = c.ConnectionState().NegotiatedProtocol
					return nil
				})
				c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
				err := c.handshake()
				serverErr := srv.wait(t)
				if tt.failure != "" {
					checkError(t, err, KindTLS, tt.failure)
					if serverErr == nil {
						t.Error("the server accepted")
					}
					return
				}
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				if serverErr != nil {
					t.Fatalf("server: %v", serverErr)
				}
				if got, _ := c.s.Attribute("alpn"); got != tt.want || negotiated != tt.want {
					t.Errorf("client says ALPN %q, server %q; want %q", got, negotiated, tt.want)
				}
			})
		}
	}
}
