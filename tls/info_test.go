package pgtls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

// generalName is one GeneralName of a subjectAltName extension.
func generalName(tag int, value []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, Bytes: value}
}

// rawName encodes a subject whose attributes come in the given order,
// one per RDN.
func rawName(t testing.TB, atvs ...pkix.AttributeTypeAndValue) []byte {
	t.Helper()
	var rdns pkix.RDNSequence
	for _, a := range atvs {
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{a})
	}
	der, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

var (
	oidOrganization = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrgUnit      = asn1.ObjectIdentifier{2, 5, 4, 11}
)

// selfSigned makes a certificate with tmpl, signed by key.
func selfSigned(t testing.TB, tmpl *x509.Certificate, key crypto.Signer) *x509.Certificate {
	t.Helper()
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(1)
	}
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return c
}

// localhostLeaf is a self-signed server certificate for "localhost",
// signed by key with alg: the channel-binding hash depends on alg.
func localhostLeaf(t testing.TB, key crypto.Signer, alg x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	return selfSigned(t, &x509.Certificate{
		Subject:            pkix.Name{CommonName: "localhost"},
		DNSNames:           []string{"localhost"},
		SignatureAlgorithm: alg,
		KeyUsage:           x509.KeyUsageDigitalSignature,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, key)
}

func formatNames(names []PeerName) string {
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s:%q", map[NameKind]string{NameDNS: "DNS", NameIP: "IP", NameCN: "CN"}[n.Kind], n.Value))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestPeerNames: the names libpq's host name check looks at, in the
// order OpenSSL gives them: dNSName and iPAddress subjectAltNames as the
// certificate lists them, then the first commonName.
func TestPeerNames(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ip4 := net.ParseIP("10.0.0.1").To4()
	ip6 := net.ParseIP("::1")
	san := func(names ...asn1.RawValue) []pkix.Extension {
		der, err := asn1.Marshal(names)
		if err != nil {
			t.Fatal(err)
		}
		return []pkix.Extension{{Id: oidSubjectAltName, Value: der}}
	}
	cn := func(s string) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: oidCommonName, Value: s}
	}
	org := pkix.AttributeTypeAndValue{Type: oidOrganization, Value: "PostgreSQL"}
	unit := pkix.AttributeTypeAndValue{Type: oidOrgUnit, Value: "db"}

	tests := []struct {
		name    string
		subject []byte
		exts    []pkix.Extension
		want    []PeerName
	}{
		{
			name:    "SANs interleaved, then the first CN",
			subject: rawName(t, org, cn("first.example.com"), cn("second.example.com"), unit),
			exts: san(
				generalName(2, []byte("db1.example.com")),
				generalName(7, ip4),
				generalName(1, []byte("dba@example.com")), // rfc822Name: not a host name
				generalName(2, []byte("*.example.org")),
				generalName(6, []byte("https://example.com/")), // URI: neither
				generalName(7, ip6),
				generalName(2, []byte("nul\x00.example.com")),
			),
			want: []PeerName{
				{NameDNS, []byte("db1.example.com")},
				{NameIP, ip4},
				{NameDNS, []byte("*.example.org")},
				{NameIP, ip6},
				{NameDNS, []byte("nul\x00.example.com")},
				{NameCN, []byte("first.example.com")},
			},
		},
		{
			name:    "IP first",
			subject: rawName(t, cn("db.example.com")),
			exts:    san(generalName(7, ip6), generalName(2, []byte("db.example.com")), generalName(7, ip4)),
			want: []PeerName{
				{NameIP, ip6},
				{NameDNS, []byte("db.example.com")},
				{NameIP, ip4},
				{NameCN, []byte("db.example.com")},
			},
		},
		{
			name:    "CN only",
			subject: rawName(t, org, cn("db.example.com")),
			want:    []PeerName{{NameCN, []byte("db.example.com")}},
		},
		{
			name:    "SANs only",
			subject: rawName(t, org, unit),
			exts:    san(generalName(2, []byte("a.example.com")), generalName(2, []byte("b.example.com"))),
			want:    []PeerName{{NameDNS, []byte("a.example.com")}, {NameDNS, []byte("b.example.com")}},
		},
		{
			name:    "no names",
			subject: rawName(t, org),
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := selfSigned(t, &x509.Certificate{RawSubject: tt.subject, ExtraExtensions: tt.exts}, key)
			if got := PeerNames(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PeerNames:\n got %s\nwant %s", formatNames(got), formatNames(tt.want))
			}
		})
	}
}

// TestPeerNamesOverTLS: the names of the certificate a real server sent.
func TestPeerNamesOverTLS(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	fd, conn := socketPair(t)
	srv := serveTLS(t, conn, serverConfig(t), nil)
	c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
	if err := c.handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if err := srv.wait(t); err != nil {
		t.Fatalf("server: %v", err)
	}
	peer := c.s.PeerCertificate()
	if peer == nil || !peer.Equal(pki.Server.Cert) {
		t.Fatal("PeerCertificate is not the server's leaf")
	}
	want := []PeerName{
		{NameDNS, []byte("localhost")},
		{NameIP, net.ParseIP("127.0.0.1").To4()},
		{NameIP, net.ParseIP("::1")},
		{NameCN, []byte("localhost")},
	}
	if got := PeerNames(peer); !reflect.DeepEqual(got, want) {
		t.Errorf("PeerNames:\n got %s\nwant %s", formatNames(got), formatNames(want))
	}
	h, err := CertificateHash(peer)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(pki.Server.Cert.Raw); string(h) != string(sum[:]) {
		t.Errorf("CertificateHash of the server's certificate is not its SHA-256")
	}
}

// TestCertificateHash: tls-server-end-point (RFC 5929) hashes with the
// certificate's signature hash, SHA-256 for MD5 and SHA-1, and fails for
// signatures without a hash, as OpenSSL does.
func TestCertificateHash(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey := func(c elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(h crypto.Hash, data []byte) []byte {
		switch h {
		case crypto.SHA256:
			s := sha256.Sum256(data)
			return s[:]
		case crypto.SHA384:
			s := sha512.Sum384(data)
			return s[:]
		case crypto.SHA512:
			s := sha512.Sum512(data)
			return s[:]
		}
		t.Fatalf("no hash %v", h)
		return nil
	}
	tests := []struct {
		name string
		key  crypto.Signer
		alg  x509.SignatureAlgorithm
		want x509.SignatureAlgorithm
		hash crypto.Hash
	}{
		{"ECDSA P-256", ecKey(elliptic.P256()), 0, x509.ECDSAWithSHA256, crypto.SHA256},
		{"ECDSA P-384", ecKey(elliptic.P384()), 0, x509.ECDSAWithSHA384, crypto.SHA384},
		{"ECDSA P-521", ecKey(elliptic.P521()), 0, x509.ECDSAWithSHA512, crypto.SHA512},
		{"ECDSA P-256 with SHA-384", ecKey(elliptic.P256()), x509.ECDSAWithSHA384, x509.ECDSAWithSHA384, crypto.SHA384},
		{"RSA SHA-256", rsaKey, x509.SHA256WithRSA, x509.SHA256WithRSA, crypto.SHA256},
		{"RSA SHA-384", rsaKey, x509.SHA384WithRSA, x509.SHA384WithRSA, crypto.SHA384},
		{"RSA SHA-512", rsaKey, x509.SHA512WithRSA, x509.SHA512WithRSA, crypto.SHA512},
		{"RSA-PSS SHA-256", rsaKey, x509.SHA256WithRSAPSS, x509.SHA256WithRSAPSS, crypto.SHA256},
		{"RSA-PSS SHA-384", rsaKey, x509.SHA384WithRSAPSS, x509.SHA384WithRSAPSS, crypto.SHA384},
		{"RSA-PSS SHA-512", rsaKey, x509.SHA512WithRSAPSS, x509.SHA512WithRSAPSS, crypto.SHA512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, SignatureAlgorithm: tt.alg}, tt.key)
			if c.SignatureAlgorithm != tt.want {
				t.Fatalf("certificate signed with %v, want %v", c.SignatureAlgorithm, tt.want)
			}
			got, err := CertificateHash(c)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(sum(tt.hash, c.Raw)) {
				t.Errorf("hash is not the %v of the certificate", tt.hash)
			}
		})
	}

	// MD5 and SHA-1 signatures, which Go no longer makes: only the
	// algorithm and the DER matter.
	base := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}}, rsaKey)
	for _, alg := range []x509.SignatureAlgorithm{x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1} {
		c := *base
		c.SignatureAlgorithm = alg
		got, err := CertificateHash(&c)
		if err != nil {
			t.Fatalf("%v: %v", alg, err)
		}
		if string(got) != string(sum(crypto.SHA256, c.Raw)) {
			t.Errorf("%v: hash is not SHA-256", alg)
		}
	}

	// Ed25519 signatures have no separate hash.
	ed := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}}, edKey)
	if ed.SignatureAlgorithm != x509.PureEd25519 {
		t.Fatalf("signed with %v", ed.SignatureAlgorithm)
	}
	if h, err := CertificateHash(ed); err == nil || err.Error() != "could not find digest for NID UNDEF" {
		t.Errorf("Ed25519: %x, %v; want OpenSSL's error", h, err)
	}
}

// TestCertificateHashOverTLS: the channel binding data of the
// certificate a real server sent, for several kinds of signature.
func TestCertificateHashOverTLS(t *testing.T) {
	t.Parallel()
	rsaKey, ecKey, edKey := signingKeys(t)
	tests := []struct {
		name string
		key  crypto.Signer
		alg  x509.SignatureAlgorithm
		hash func([]byte) []byte // nil: no hash
	}{
		{"RSA-SHA384", rsaKey, x509.SHA384WithRSA, func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }},
		{"RSA-PSS-SHA256", rsaKey, x509.SHA256WithRSAPSS, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
		{"ECDSA-SHA384", ecKey, x509.ECDSAWithSHA384, func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }},
		{"ECDSA-SHA512", ecKey, x509.ECDSAWithSHA512, func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }},
		{"Ed25519", edKey, x509.PureEd25519, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			leaf := localhostLeaf(t, tt.key, tt.alg)
			if leaf.SignatureAlgorithm != tt.alg {
				t.Fatalf("signed with %v", leaf.SignatureAlgorithm)
			}
			fd, conn := socketPair(t)
			cert := tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: tt.key, Leaf: leaf}
			srv := serveTLS(t, conn, &tls.Config{Certificates: []tls.Certificate{cert}}, nil)
			c := newClient(t, fd, ClientOptions{SSLMode: "require"}, nil)
			if err := c.handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if err := srv.wait(t); err != nil {
				t.Fatalf("server: %v", err)
			}
			got, err := CertificateHash(c.s.PeerCertificate())
			if tt.hash == nil {
				if err == nil || err.Error() != "could not find digest for NID UNDEF" {
					t.Errorf("got %x, %v; want OpenSSL's error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tt.hash(leaf.Raw)) {
				t.Errorf("hash %x is not the certificate's", got)
			}
		})
	}
}
