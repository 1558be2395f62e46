package pgtls

import (
	"crypto/tls"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// TestProtocolVersionOptions: ssl_min_protocol_version and
// ssl_max_protocol_version are checked before any I/O.
func TestProtocolVersionOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		min, max string
		want     string // "" for accepted
	}{
		{"", "", ""},
		{"TLSv1.2", "", ""},
		{"TLSv1", "TLSv1.3", ""},
		{"TLSv1.1", "TLSv1.1", ""},
		{"tlsv1.2", "TLSV1.3", ""}, // libpq compares without case
		{"TLSv1.3", "", ""},
		{"", "TLSv1.2", ""},
		{"TLSv1.4", "", `invalid value "TLSv1.4" for minimum SSL protocol version`},
		{"SSLv3", "", `invalid value "SSLv3" for minimum SSL protocol version`},
		{"1.2", "", `invalid value "1.2" for minimum SSL protocol version`},
		{"", "TLSv1.0", `invalid value "TLSv1.0" for maximum SSL protocol version`},
		{"", "tls1.3", `invalid value "tls1.3" for maximum SSL protocol version`},
		{"TLSv1.3", "TLSv1.2", "invalid SSL protocol version range"},
		{"TLSv1.2", "TLSv1", "invalid SSL protocol version range"},
		{"bogus", "TLSv1", `invalid value "bogus" for minimum SSL protocol version`},
	}
	for _, tt := range tests {
		t.Run(tt.min+"-"+tt.max, func(t *testing.T) {
			s, err := NewClient(ClientOptions{SSLMode: "require", MinProtocol: tt.min, MaxProtocol: tt.max}, &fdTransport{-1})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				s.Close()
				return
			}
			if s != nil {
				t.Error("a session came with the error")
			}
			checkError(t, err, KindConfig, tt.want)
		})
	}
}

// TestNegotiation: what the client and a Go server agree on, as
// PQsslAttribute reports it, in OpenSSL's names.
func TestNegotiation(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	rsaServer := mint(t, certs.Template{CommonName: "localhost", DNSNames: []string{"localhost"}, Key: certs.RSA}, pki.ServerCA)
	ecdsaServer := tlsCert(pki.Server)
	suites := func(ids ...uint16) []uint16 { return ids }
	tests := []struct {
		name      string
		cert      tls.Certificate
		serverMin uint16
		serverMax uint16
		suites    []uint16
		curves    []tls.CurveID
		opts      ClientOptions

		protocol string
		cipher   string // "" for any TLS 1.3 suite
		bits     int
		group    string
	}{
		{
			name: "default", cert: ecdsaServer,
			protocol: "TLSv1.3", group: "X25519MLKEM768",
		},
		{
			name: "min TLSv1.3", cert: ecdsaServer, opts: ClientOptions{MinProtocol: "TLSv1.3"},
			protocol: "TLSv1.3", group: "X25519MLKEM768",
		},
		{
			name: "server insists on P-256", cert: ecdsaServer, curves: []tls.CurveID{tls.CurveP256},
			protocol: "TLSv1.3", group: "CurveP256",
		},
		{
			name: "max TLSv1.2", cert: ecdsaServer, opts: ClientOptions{MaxProtocol: "TLSv1.2"},
			suites:   suites(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
			protocol: "TLSv1.2", cipher: "ECDHE-ECDSA-AES128-GCM-SHA256", bits: 128, group: "X25519",
		},
		{
			name: "server max TLS 1.2", cert: ecdsaServer, serverMax: tls.VersionTLS12,
			suites:   suites(tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
			protocol: "TLSv1.2", cipher: "ECDHE-ECDSA-AES256-GCM-SHA384", bits: 256, group: "X25519",
		},
		{
			name: "TLS 1.2 ChaCha20", cert: ecdsaServer, opts: ClientOptions{MaxProtocol: "TLSv1.2"},
			suites:   suites(tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
			protocol: "TLSv1.2", cipher: "ECDHE-ECDSA-CHACHA20-POLY1305", bits: 256, group: "X25519",
		},
		{
			name: "TLS 1.2 RSA", cert: tlsCert(rsaServer), opts: ClientOptions{MaxProtocol: "TLSv1.2"},
			suites:   suites(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
			protocol: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256", bits: 128, group: "X25519",
		},
		{
			name: "TLS 1.2 RSA CBC", cert: tlsCert(rsaServer), opts: ClientOptions{MaxProtocol: "TLSv1.2"},
			suites:   suites(tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA),
			protocol: "TLSv1.2", cipher: "ECDHE-RSA-AES256-SHA", bits: 256, group: "X25519",
		},
		{
			name: "TLS 1.2 P-384", cert: ecdsaServer, opts: ClientOptions{MaxProtocol: "TLSv1.2"},
			suites: suites(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), curves: []tls.CurveID{tls.CurveP384},
			protocol: "TLSv1.2", cipher: "ECDHE-ECDSA-AES128-GCM-SHA256", bits: 128, group: "CurveP384",
		},
		{
			name: "TLSv1.1", cert: ecdsaServer, serverMin: tls.VersionTLS10, serverMax: tls.VersionTLS11,
			opts:     ClientOptions{MinProtocol: "TLSv1"},
			suites:   suites(tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
			protocol: "TLSv1.1", cipher: "ECDHE-ECDSA-AES128-SHA", bits: 128, group: "X25519",
		},
		{
			name: "TLSv1", cert: ecdsaServer, serverMin: tls.VersionTLS10, serverMax: tls.VersionTLS10,
			opts:     ClientOptions{MinProtocol: "TLSv1", MaxProtocol: "TLSv1.2"},
			suites:   suites(tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA),
			protocol: "TLSv1", cipher: "ECDHE-ECDSA-AES256-SHA", bits: 256, group: "X25519",
		},
	}
	tls13Ciphers := map[string]int{"TLS_AES_128_GCM_SHA256": 128, "TLS_AES_256_GCM_SHA384": 256, "TLS_CHACHA20_POLY1305_SHA256": 256}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fd, conn := socketPair(t)
			cfg := &tls.Config{
				Certificates:     []tls.Certificate{tt.cert},
				MinVersion:       tt.serverMin,
				MaxVersion:       tt.serverMax,
				CipherSuites:     tt.suites,
				CurvePreferences: tt.curves,
				NextProtos:       []string{"postgresql"},
			}
			var state tls.ConnectionState
			srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
				state = c.ConnectionState()
				return nil
			})
			o := tt.opts
			o.SSLMode = "require"
			c := newClient(t, fd, o, nil)
			if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if err := srv.wait(t); err != nil {
				t.Fatalf("server: %v", err)
			}
			attr := func(name string) string {
				v, ok := c.s.Attribute(name)
				if !ok {
					t.Errorf("Attribute(%q) unknown", name)
				}
				return v
			}
			if got := attr("protocol"); got != tt.protocol {
				t.Errorf("protocol %q, want %q", got, tt.protocol)
			}
			if got, want := attr("protocol"), versionNameOf(state.Version); got != want {
				t.Errorf("client says %q, server negotiated %q", got, want)
			}
			cipher := attr("cipher")
			bits, _ := strconv.Atoi(attr("key_bits"))
			if tt.cipher == "" {
				want, ok := tls13Ciphers[cipher]
				if !ok || bits != want {
					t.Errorf("cipher %q with %d bits, want a TLS 1.3 suite", cipher, bits)
				}
			} else if cipher != tt.cipher || bits != tt.bits {
				t.Errorf("cipher %q with %d bits, want %q with %d", cipher, bits, tt.cipher, tt.bits)
			}
			if cipher != cipherNames[state.CipherSuite].openssl {
				t.Errorf("client says %q, server negotiated %s", cipher, tls.CipherSuiteName(state.CipherSuite))
			}
			if got := attr("group"); got != tt.group {
				t.Errorf("group %q, want %q", got, tt.group)
			}
			if got := attr("alpn"); got != "postgresql" {
				t.Errorf("alpn %q", got)
			}
			if got := attr("compression"); got != "off" {
				t.Errorf("compression %q", got)
			}
			if got := attr("library"); got != "Go crypto/tls" {
				t.Errorf("library %q", got)
			}
			if got := attr("library_version"); got != runtime.Version() {
				t.Errorf("library_version %q", got)
			}
			if v, ok := c.s.Attribute("no such attribute"); ok {
				t.Errorf("unknown attribute = %q", v)
			}
		})
	}
}

func versionNameOf(v uint16) string { return protocolNames[v] }

// TestCipherNames: every suite crypto/tls implements has an OpenSSL name.
func TestCipherNames(t *testing.T) {
	t.Parallel()
	all := append(tls.CipherSuites(), tls.InsecureCipherSuites()...)
	for _, s := range all {
		info, ok := cipherNames[s.ID]
		if !ok {
			t.Errorf("%s has no OpenSSL name", s.Name)
			continue
		}
		if info.bits < 112 || info.openssl == "" {
			t.Errorf("%s: %+v", s.Name, info)
		}
		if slices.Contains(s.SupportedVersions, tls.VersionTLS13) != (info.openssl[:4] == "TLS_") {
			t.Errorf("%s is named %q", s.Name, info.openssl)
		}
	}
}
