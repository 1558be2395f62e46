package pgtls

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// TestServerClientCertificateInfo: what the backend records of a client
// certificate: peer_cn, peer_dn, and pg_stat_ssl's client_dn, issuer_dn
// and client_serial.
func TestServerClientCertificateInfo(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	cfg := loadServerConfig(t, withClientCAs(t, serverOptions(t)))
	serial, _ := new(big.Int).SetString("1180591620717411303424123", 10) // more than 64 bits
	cn := func(s string) []pkix.AttributeTypeAndValue { return one(utf8Attr(oidCommonName, s)) }
	tests := []struct {
		name    string
		subject []byte
		serial  *big.Int
		want    *ClientCertificate // nil: refused, with failure
		failure string
	}{
		{"full subject",
			rdnName(t, one(attr(oidCountry, asn1.TagPrintableString, []byte("GR"))), one(utf8Attr(oidOrganization, "Ithaca, Ltd")), cn("Οδυσσέας")),
			serial,
			&ClientCertificate{CN: "Οδυσσέας", HasCN: true,
				DN:          `CN=\CE\9F\CE\B4\CF\85\CF\83\CF\83\CE\AD\CE\B1\CF\82,O=Ithaca\, Ltd,C=GR`,
				SubjectName: "/C=GR/O=Ithaca\\, Ltd/CN=Οδυσσέας",
				Serial:      "1180591620717411303424123"},
			""},
		{"two common names", rdnName(t, cn("first"), cn("second")), big.NewInt(7),
			&ClientCertificate{CN: "first", HasCN: true, DN: "CN=second,CN=first", SubjectName: "/CN=first/CN=second", Serial: "7"}, ""},
		{"no common name", rdnName(t, one(utf8Attr(oidOrganization, "Example"))), big.NewInt(8),
			&ClientCertificate{DN: "O=Example", SubjectName: "/O=Example", Serial: "8"}, ""},
		{"embedded NUL", rdnName(t, cn("alice\x00.example.com")), nil, nil, "SSL certificate's common name contains embedded null"},
		// OpenSSL hands the backend the raw UTF-16, NULs and all.
		{"BMPString", rdnName(t, one(attr(oidCommonName, asn1.TagBMPString, bmp("alice")))), nil, nil, "SSL certificate's common name contains embedded null"},
	}
	for _, tt := range tests {
		for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
			t.Run(version+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				cert := mintClient(t, tt.subject, tt.serial, pki.ClientCA, time.Time{})
				o := clientFiles(t, cert)
				o.MinProtocol, o.MaxProtocol = version, version
				srv, cli, run := pgtlsPair(t, cfg, o, nil)
				cerr := cli.handshake()
				err := run.wait(t)
				if tt.want == nil {
					checkError(t, err, KindTLS, tt.failure)
					if srv.s.ClientCertificate() != nil {
						t.Error("ClientCertificate after a refusal")
					}
					return
				}
				if err != nil || cerr != nil {
					t.Fatalf("server %v, client %v", err, cerr)
				}
				got := srv.s.ClientCertificate()
				if got == nil || !got.Certificate.Equal(cert.Cert) {
					t.Fatalf("ClientCertificate %+v", got)
				}
				want := *tt.want
				want.Certificate = got.Certificate
				want.IssuerName = "/CN=pg-gotls test client CA"
				if *got != want {
					t.Errorf("\n got %+v\nwant %+v", *got, want)
				}
			})
		}
	}
}

// TestServerConnectionInfo: protocol, cipher, bits, group and ALPN as the
// backend reports them, and nothing before the handshake.
func TestServerConnectionInfo(t *testing.T) {
	t.Parallel()
	cfg := loadServerConfig(t, serverOptions(t))
	tests := []struct {
		version uint16
		suites  []uint16
		want    ConnectionInfo
	}{
		{tls.VersionTLS13, nil, ConnectionInfo{"TLSv1.3", "TLS_AES_128_GCM_SHA256", 128, "X25519MLKEM768", "postgresql"}},
		{tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, ConnectionInfo{"TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", 256, "X25519", "postgresql"}},
		{tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, ConnectionInfo{"TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305", 256, "X25519", "postgresql"}},
	}
	for _, tt := range tests {
		ccfg := goClientConfig(t)
		ccfg.MinVersion, ccfg.MaxVersion, ccfg.CipherSuites = tt.version, tt.version, tt.suites
		s, err, cerr := serverHandshake(t, cfg, ccfg)
		if err != nil || cerr != nil {
			t.Fatalf("server %v, client %v", err, cerr)
		}
		if got, ok := s.s.ConnectionInfo(); !ok || got != tt.want {
			t.Errorf("%+v, want %+v", got, tt.want)
		}
		if s.s.ClientCertificate() != nil {
			t.Error("a client certificate nobody sent")
		}
	}

	fd, _ := socketPair(t)
	s := newServerSession(t, fd, cfg)
	if info, ok := s.s.ConnectionInfo(); ok {
		t.Errorf("before the handshake: %+v", info)
	}
	if s.s.ClientCertificate() != nil {
		t.Error("ClientCertificate before the handshake")
	}
}

// TestServerCertificateHash: tls-server-end-point of the server's own
// certificate, by its signature's hash; none for Ed25519.
func TestServerCertificateHash(t *testing.T) {
	t.Parallel()
	rsaKey, ecKey, edKey := signingKeys(t)
	sha384 := func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }
	tests := []struct {
		name string
		key  crypto.Signer
		alg  x509.SignatureAlgorithm
		hash func([]byte) []byte // nil: no hash
	}{
		{"ECDSA-SHA256", ecKey, x509.ECDSAWithSHA256, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
		{"ECDSA-SHA384", ecKey, x509.ECDSAWithSHA384, sha384},
		{"RSA-SHA384", rsaKey, x509.SHA384WithRSA, sha384},
		{"RSA-PSS-SHA512", rsaKey, x509.SHA512WithRSAPSS, func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }},
		{"Ed25519", edKey, x509.PureEd25519, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			leaf := localhostLeaf(t, tt.key, tt.alg)
			der, err := x509.MarshalPKCS8PrivateKey(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			cfg := loadServerConfig(t, ServerOptions{
				CertFile: writeFile(t, dir, "server.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), 0o600),
				KeyFile:  writeFile(t, dir, "server.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600),
			})
			s, err, cerr := serverHandshake(t, cfg, &tls.Config{InsecureSkipVerify: true})
			if err != nil || cerr != nil {
				t.Fatalf("server %v, client %v", err, cerr)
			}
			got, err := s.s.ServerCertificateHash()
			if tt.hash == nil {
				if err == nil || err.Error() != "could not find digest for NID UNDEF" {
					t.Errorf("%x, %v; want the backend's error", got, err)
				}
				return
			}
			if err != nil || string(got) != string(tt.hash(leaf.Raw)) {
				t.Errorf("%x, %v; want the hash of the certificate", got, err)
			}
		})
	}
	t.Run("client session", func(t *testing.T) {
		c, err := NewClient(ClientOptions{SSLMode: "require"}, &fdTransport{-1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.ServerCertificateHash(); err == nil {
			t.Error("a client session has a server certificate hash")
		}
		if c.ClientCertificate() != nil {
			t.Error("a client session has a client certificate")
		}
	})
}
