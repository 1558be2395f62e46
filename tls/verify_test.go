package pgtls

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

const rootFileHint = "\nEither provide the file, use the system's trusted roots with sslrootcert=system, or change sslmode to disable server certificate verification."

// handshakeWith runs a handshake of a client with options o against a Go
// server presenting cert, and returns the client's error and the server's.
// expectVerification runs a handshake that must succeed (want == "") or
// fail with the TLS error want; it returns what the server saw.
func expectVerification(t *testing.T, cert tls.Certificate, o ClientOptions, want string) error {
	t.Helper()
	err, serverErr := handshakeWith(t, cert, o)
	if want == "" {
		if err != nil {
			t.Fatalf("handshake failed: %v", err)
		}
		if serverErr != nil {
			t.Errorf("server: %v", serverErr)
		}
		return serverErr
	}
	checkError(t, err, KindTLS, want)
	return serverErr
}

func handshakeWith(t *testing.T, cert tls.Certificate, o ClientOptions) (error, error) {
	t.Helper()
	fd, conn := socketPair(t)
	srv := serveTLS(t, conn, &tls.Config{Certificates: []tls.Certificate{cert}}, func(c *tls.Conn) error {
		// The client may still refuse the server in TLS 1.3 after the
		// server's handshake is done; wait for its verdict.
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			return err
		}
		return nil
	})
	c := newClient(t, fd, o, nil)
	err := c.handshake()
	if err == nil {
		c.s.Close()
	}
	return err, srv.wait(t)
}

// TestServerVerification: when libpq's rules check the server's chain,
// and what they accept.
func TestServerVerification(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	dir := t.TempDir()
	otherCA := mint(t, certs.Template{CommonName: "some other CA", IsCA: true}, nil)
	untrusted := mint(t, certs.Template{CommonName: "localhost", DNSNames: []string{"localhost"}}, otherCA)
	expired := mint(t, certs.Template{
		CommonName: "localhost", DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour),
	}, pki.ServerCA)
	notYet := mint(t, certs.Template{
		CommonName: "localhost", DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(24 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
	}, pki.ServerCA)

	root := writeFile(t, dir, "root.crt", pki.Root.CertPEM(), 0o644)
	other := writeFile(t, dir, "other.crt", otherCA.CertPEM(), 0o644)
	interOnly := writeFile(t, dir, "inter.crt", pki.ServerCA.CertPEM(), 0o644)
	rootAndInter := writeFile(t, dir, "root-inter.crt", append(pki.Root.CertPEM(), pki.ServerCA.CertPEM()...), 0o644)
	missing := filepath.Join(dir, "missing.crt")

	homeRoot := t.TempDir()
	writeFile(t, filepath.Join(homeRoot, ".postgresql"), "root.crt", pki.Root.CertPEM(), 0o644)
	homeOther := t.TempDir()
	writeFile(t, filepath.Join(homeOther, ".postgresql"), "root.crt", otherCA.CertPEM(), 0o644)
	homeEmpty := t.TempDir()

	good := tlsCert(pki.Server)
	const unknownAuthority = "certificate verify failed: x509: certificate signed by unknown authority..."
	tests := []struct {
		name string
		cert tls.Certificate
		opts ClientOptions
		want string // "" for success, a message (prefix if it ends in ...)
	}{
		// No root certificates: nothing is checked unless sslmode insists.
		{"require, no root file", leafOnly(untrusted), ClientOptions{SSLMode: "require", SSLRootCert: missing}, ""},
		{"require, no home directory", leafOnly(untrusted), ClientOptions{SSLMode: "require"}, ""},
		{"require, no root.crt at home", leafOnly(untrusted), ClientOptions{SSLMode: "require", HomeDir: homeEmpty}, ""},
		{"prefer, no root file", tlsCert(expired), ClientOptions{SSLMode: "prefer", SSLRootCert: missing}, ""},

		// A root file makes even sslmode=require check the chain.
		{"require, trusted", good, ClientOptions{SSLMode: "require", SSLRootCert: root}, ""},
		{"require, wrong CA", good, ClientOptions{SSLMode: "require", SSLRootCert: other}, unknownAuthority},
		{"verify-ca, trusted", good, ClientOptions{SSLMode: "verify-ca", SSLRootCert: root}, ""},
		{"verify-full, trusted", good, ClientOptions{SSLMode: "verify-full", SSLRootCert: root, Host: "localhost", SSLSNI: true}, ""},
		{"verify-ca, wrong CA", good, ClientOptions{SSLMode: "verify-ca", SSLRootCert: other}, unknownAuthority},
		{"verify-ca, untrusted server", leafOnly(untrusted), ClientOptions{SSLMode: "verify-ca", SSLRootCert: root}, unknownAuthority},
		{"verify-ca, expired", tlsCert(expired), ClientOptions{SSLMode: "verify-ca", SSLRootCert: root},
			"certificate verify failed: x509: certificate has expired or is not yet valid: current time ..."},
		{"verify-ca, not yet valid", tlsCert(notYet), ClientOptions{SSLMode: "verify-ca", SSLRootCert: root},
			"certificate verify failed: x509: certificate has expired or is not yet valid: current time ..."},
		{"verify-ca, client certificate as server's", tlsCert(pki.Client), ClientOptions{SSLMode: "verify-ca", SSLRootCert: root},
			"certificate verify failed: x509: certificate specifies an incompatible key usage"},

		// The default root file in the home directory.
		{"verify-ca, root.crt at home", good, ClientOptions{SSLMode: "verify-ca", HomeDir: homeRoot}, ""},
		{"require, wrong root.crt at home", good, ClientOptions{SSLMode: "require", HomeDir: homeOther}, unknownAuthority},
		{"sslrootcert beats home", good, ClientOptions{SSLMode: "verify-ca", HomeDir: homeOther, SSLRootCert: root}, ""},

		// Intermediates.
		{"intermediate sent by the server", good, ClientOptions{SSLMode: "verify-ca", SSLRootCert: root}, ""},
		{"intermediate not sent", leafOnly(pki.Server), ClientOptions{SSLMode: "verify-ca", SSLRootCert: root}, unknownAuthority},
		{"intermediate in the root file", leafOnly(pki.Server), ClientOptions{SSLMode: "verify-ca", SSLRootCert: rootAndInter}, ""},
		{"intermediate in both", good, ClientOptions{SSLMode: "verify-ca", SSLRootCert: rootAndInter}, ""},
		// OpenSSL, as libpq uses it (no X509_V_FLAG_PARTIAL_CHAIN), only
		// trusts chains that end in a self-signed root.
		{"intermediate alone in the root file", good, ClientOptions{SSLMode: "verify-ca", SSLRootCert: interOnly},
			"certificate verify failed: unable to get issuer certificate..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			serverErr := expectVerification(t, tt.cert, tt.opts, tt.want)
			if tt.want == "" {
				return
			}
			// The client told the server why, with a bad_certificate alert.
			if serverErr == nil || !strings.Contains(serverErr.Error(), "bad certificate") {
				t.Errorf("server saw %v, want a bad certificate alert", serverErr)
			}
		})
	}
}

// TestSystemRoots: sslrootcert=system verifies against the system's
// roots, which do not know the test CA.
func TestSystemRoots(t *testing.T) {
	t.Parallel()
	s, err := NewClient(ClientOptions{SSLMode: "verify-full", SSLRootCert: "system", Host: "localhost"}, &fdTransport{-1})
	if err != nil {
		e := checkError(t, err, KindConfig, "could not load system root certificate paths: ...")
		t.Skipf("no system roots here: %v", e)
	}
	s.Close()
	err, serverErr := handshakeWith(t, tlsCert(testPKI(t).Server), ClientOptions{SSLMode: "verify-full", SSLRootCert: "system", Host: "localhost"})
	checkError(t, err, KindTLS, "certificate verify failed: x509: certificate signed by unknown authority...")
	if serverErr == nil || !strings.Contains(serverErr.Error(), "bad certificate") {
		t.Errorf("server saw %v, want a bad certificate alert", serverErr)
	}
}

// TestMissingRootFile: verify-ca and verify-full need root certificates;
// without them NewClient fails with libpq's words.
func TestMissingRootFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := t.TempDir()
	missing := filepath.Join(dir, "missing.crt")
	tests := []struct {
		name string
		opts ClientOptions
		want string
	}{
		{"verify-ca, sslrootcert", ClientOptions{SSLMode: "verify-ca", SSLRootCert: missing},
			`root certificate file "` + missing + `" does not exist` + rootFileHint},
		{"verify-full, sslrootcert", ClientOptions{SSLMode: "verify-full", SSLRootCert: missing},
			`root certificate file "` + missing + `" does not exist` + rootFileHint},
		{"verify-full, home", ClientOptions{SSLMode: "verify-full", HomeDir: home},
			`root certificate file "` + home + `/.postgresql/root.crt" does not exist` + rootFileHint},
		{"verify-ca, no home", ClientOptions{SSLMode: "verify-ca"},
			"could not get home directory to locate root certificate file" + rootFileHint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewClient(tt.opts, &fdTransport{-1})
			if s != nil {
				s.Close()
			}
			checkError(t, err, KindConfig, tt.want)
		})
	}
	// A root file that is there but holds no certificate is an error too.
	bad := writeFile(t, dir, "bad.crt", []byte("not a certificate\n"), 0o644)
	_, err := NewClient(ClientOptions{SSLMode: "require", SSLRootCert: bad}, &fdTransport{-1})
	checkError(t, err, KindConfig, `could not read root certificate file "`+bad+`": ...`)
}

// opensslNameHash is OpenSSL's X509_NAME_hash (what c_rehash names files
// after): SHA-1 over the canonical encoding of the name, whose string
// values are UTF8String, lower case, with runs of spaces folded.
func opensslNameHash(t testing.TB, raw []byte) string {
	t.Helper()
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &rdns); err != nil {
		t.Fatal(err)
	}
	type atv struct {
		Type  asn1.ObjectIdentifier
		Value string `asn1:"utf8"`
	}
	var canon []byte
	for _, rdn := range rdns {
		var set []byte
		for _, a := range rdn {
			v := strings.ToLower(strings.Join(strings.Fields(fmt.Sprint(a.Value)), " "))
			b, err := asn1.Marshal(atv{a.Type, v})
			if err != nil {
				t.Fatal(err)
			}
			set = append(set, b...)
		}
		b, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: set})
		if err != nil {
			t.Fatal(err)
		}
		canon = append(canon, b...)
	}
	sum := sha1.Sum(canon)
	return fmt.Sprintf("%08x", binary.LittleEndian.Uint32(sum[:4]))
}

// TestOpenSSLNameHash checks the test's own hash against the openssl CLI,
// where there is one.
func TestOpenSSLNameHash(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl CLI")
	}
	pki := testPKI(t)
	for _, c := range []*certs.Cert{pki.Root, pki.ServerCA, pki.Server} {
		f := writeFile(t, t.TempDir(), "c.pem", c.CertPEM(), 0o644)
		out, err := exec.Command(openssl, "x509", "-noout", "-subject_hash", "-in", f).Output()
		if err != nil {
			t.Fatalf("openssl: %v", err)
		}
		if got, want := opensslNameHash(t, c.Cert.RawSubject), strings.TrimSpace(string(out)); got != want {
			t.Errorf("hash of %q = %s, openssl says %s", c.Cert.Subject, got, want)
		}
	}
}

// TestCRL: revocation checking as libpq sets it up in OpenSSL
// (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL): once CRLs are
// loaded, every certificate of the chain needs a CRL from its issuer.
func TestCRL(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	dir := t.TempDir()
	future := time.Now().Add(24 * time.Hour)

	// A second server certificate, revoked.
	revoked := mint(t, certs.Template{CommonName: "localhost", DNSNames: []string{"localhost"}}, pki.ServerCA)
	interCRL := crl(t, pki.ServerCA, nil, future)
	interCRLRevoking := crl(t, pki.ServerCA, []*certs.Cert{revoked}, future)
	rootCRL := crl(t, pki.Root, nil, future)
	rootCRLRevokingInter := crl(t, pki.Root, []*certs.Cert{pki.ServerCA}, future)
	expiredInterCRL := crl(t, pki.ServerCA, nil, time.Now().Add(-time.Minute))
	// Same name as the server CA, another key: its CRL must not count.
	impostor := mint(t, certs.Template{CommonName: pki.ServerCA.Cert.Subject.CommonName, IsCA: true}, pki.Root)
	impostorCRL := crl(t, impostor, nil, future)

	join := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	file := func(name string, data []byte) string { return writeFile(t, dir, name, data, 0o644) }
	both := file("both.crl", join(interCRLRevoking, rootCRL))
	bothClean := file("both-clean.crl", join(interCRL, rootCRL))
	interOnly := file("inter.crl", interCRLRevoking)
	rootOnly := file("root.crl", rootCRL)
	interRevoked := file("inter-revoked.crl", join(interCRL, rootCRLRevokingInter))
	expiredFile := file("expired.crl", join(expiredInterCRL, rootCRL))
	impostorFile := file("impostor.crl", join(impostorCRL, rootCRL))
	garbage := file("garbage.crl", []byte("no CRL in here\n"))
	rootFile := file("root.crt", pki.Root.CertPEM())
	missing := filepath.Join(dir, "missing.crl")

	// OpenSSL hashed directories: <hash of the issuer's name>.r<n>.
	hashDir := func(name string, crls map[*certs.Cert][]byte) string {
		d := filepath.Join(dir, name)
		for ca, data := range crls {
			writeFile(t, d, opensslNameHash(t, ca.Cert.RawSubject)+".r0", data, 0o644)
		}
		return d
	}
	dirRevoking := hashDir("crldir", map[*certs.Cert][]byte{pki.ServerCA: interCRLRevoking, pki.Root: rootCRL})
	dirRootOnly := hashDir("crldir-root", map[*certs.Cert][]byte{pki.Root: rootCRL})
	// Names that are not OpenSSL's are not looked at.
	dirBadNames := filepath.Join(dir, "crldir-badnames")
	writeFile(t, dirBadNames, "server-ca.crl", interCRLRevoking, 0o644)
	writeFile(t, dirBadNames, opensslNameHash(t, pki.Root.Cert.RawSubject)+".0", rootCRL, 0o644)
	// .r1 is as good as .r0.
	dirR1 := filepath.Join(dir, "crldir-r1")
	writeFile(t, dirR1, opensslNameHash(t, pki.ServerCA.Cert.RawSubject)+".r1", interCRLRevoking, 0o644)
	writeFile(t, dirR1, opensslNameHash(t, pki.Root.Cert.RawSubject)+".r0", rootCRL, 0o644)

	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".postgresql"), "root.crt", pki.Root.CertPEM(), 0o644)
	writeFile(t, filepath.Join(home, ".postgresql"), "root.crl", join(interCRLRevoking, rootCRL), 0o644)

	good, bad := tlsCert(pki.Server), tlsCert(revoked)
	const (
		revokedMsg = "certificate verify failed: certificate revoked..."
		noCRL      = "certificate verify failed: unable to get certificate CRL..."
	)
	opts := func(crl, crlDir string) ClientOptions {
		return ClientOptions{SSLMode: "verify-ca", SSLRootCert: rootFile, SSLCRL: crl, SSLCRLDir: crlDir}
	}
	tests := []struct {
		name string
		cert tls.Certificate
		opts ClientOptions
		want string
	}{
		{"good server", good, opts(both, ""), ""},
		{"revoked server", bad, opts(both, ""), revokedMsg},
		{"no revocations", bad, opts(bothClean, ""), ""},
		{"revoked intermediate", good, opts(interRevoked, ""), revokedMsg},
		{"no CRL from the root", good, opts(interOnly, ""), noCRL},
		{"no CRL from the intermediate", good, opts(rootOnly, ""), noCRL},
		{"CRL signed by another key", good, opts(impostorFile, ""), noCRL},
		{"expired CRL", good, opts(expiredFile, ""), "certificate verify failed: CRL has expired"},
		{"CRL file does not exist", bad, opts(missing, ""), ""},
		{"CRL file holds no CRL", bad, opts(garbage, ""), ""},
		{"root.crl at home", bad, ClientOptions{SSLMode: "verify-ca", HomeDir: home}, revokedMsg},
		{"root.crl at home, good server", good, ClientOptions{SSLMode: "verify-ca", HomeDir: home}, ""},
		{"sslcrl overrides root.crl at home", bad, ClientOptions{SSLMode: "verify-ca", HomeDir: home, SSLCRL: bothClean}, ""},
		{"no root file, no CRL checking", bad, ClientOptions{SSLMode: "require", SSLRootCert: missing, SSLCRL: both}, ""},

		{"crldir: good server", good, opts("", dirRevoking), ""},
		{"crldir: revoked server", bad, opts("", dirRevoking), revokedMsg},
		{"crldir: .r1", bad, opts("", dirR1), revokedMsg},
		{"crldir: no CRL from the intermediate", good, opts("", dirRootOnly), noCRL},
		{"crldir: names not hashed", good, opts("", dirBadNames), noCRL},
		{"crldir: directory does not exist", good, opts("", filepath.Join(dir, "nowhere")), noCRL},
		{"crldir plus sslcrl", bad, opts(interOnly, dirRootOnly), revokedMsg},
		{"crldir plus sslcrl, good server", good, opts(interOnly, dirRootOnly), ""},
		// OpenSSL's X509_STORE_load_locations fails as a whole when the
		// file fails, and libpq then checks no CRLs at all.
		{"crldir plus missing sslcrl", bad, opts(missing, dirRevoking), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectVerification(t, tt.cert, tt.opts, tt.want)
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("the missing CRL file exists")
	}
}
