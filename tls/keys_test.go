package pgtls

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

const testdataPassword = "secret"

// testdataKeys are the keys tls/testdata/gen.sh makes with the openssl
// CLI, each with the certificate of its algorithm.
var testdataKeys = []struct {
	file, cert string
}{
	{"rsa-pkcs8-aes256.key", "rsa.crt"},
	{"rsa-pkcs8-aes128-sha1.key", "rsa.crt"},
	{"rsa-pkcs8-aes256.der", "rsa.crt"},
	{"rsa-legacy-aes256.key", "rsa.crt"},
	{"ecdsa-pkcs8-aes256.key", "ecdsa.crt"},
	{"ecdsa-pkcs8-aes128-sha1.key", "ecdsa.crt"},
	{"ecdsa-pkcs8-aes256.der", "ecdsa.crt"},
	{"ecdsa-pkcs8-des3.key", "ecdsa.crt"},
	{"ecdsa-legacy-aes256.key", "ecdsa.crt"},
	{"ed25519-pkcs8-aes256.key", "ed25519.crt"},
	{"ed25519-pkcs8-aes128-sha1.key", "ed25519.crt"},
	{"ed25519-pkcs8-aes256.der", "ed25519.crt"},
}

// privateCopy copies a testdata file into dir with mode 0600, as libpq
// wants key files (a checkout may leave them 0644).
func privateCopy(t testing.TB, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, data, 0o600)
}

// TestTestdataKeys: every key openssl made loads with the right password,
// matches its certificate, and signs a real handshake.
func TestTestdataKeys(t *testing.T) {
	t.Parallel()
	for _, k := range testdataKeys {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(k.file+"/"+versionNames[version], func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				keyFile := privateCopy(t, dir, k.file)
				certFile := privateCopy(t, dir, k.cert)
				want, err := loadCertChain(certFile)
				if err != nil {
					t.Fatal(err)
				}

				fd, conn := socketPair(t)
				cfg := serverConfig(t)
				cfg.MinVersion, cfg.MaxVersion = version, version
				cfg.ClientAuth = tls.RequireAnyClientCert
				var peer []*x509.Certificate
				srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
					peer = c.ConnectionState().PeerCertificates
					return nil
				})
				c := newClient(t, fd, ClientOptions{
					SSLMode: "require", SSLCert: certFile, SSLKey: keyFile, SSLPassword: testdataPassword,
				}, nil)
				if err := c.handshake(); err != nil {
					t.Fatalf("handshake: %v", err)
				}
				if err := srv.wait(t); err != nil {
					t.Fatalf("server: %v", err)
				}
				if !c.s.CertRequested() || !c.s.CertSent() {
					t.Errorf("CertRequested %v, CertSent %v; want both", c.s.CertRequested(), c.s.CertSent())
				}
				if len(peer) != 1 || !peer[0].Equal(want[0]) {
					t.Errorf("server got %d certificates, not the testdata one", len(peer))
				}
			})
		}
	}
}

// TestKeyPasswords: a wrong or missing password is OpenSSL's "bad
// decrypt", whatever the format. Wrong passwords are tried by the
// hundred: one in about 256 decrypts to valid padding by chance, and must
// still be reported as a bad password.
func TestKeyPasswords(t *testing.T) {
	t.Parallel()
	for _, k := range testdataKeys {
		t.Run(k.file, func(t *testing.T) {
			t.Parallel()
			keyFile := privateCopy(t, t.TempDir(), k.file)
			data, err := os.ReadFile(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			key, err := loadClientKey(keyFile, testdataPassword)
			if err != nil {
				t.Fatalf("right password: %v", err)
			}
			chain, err := loadCertChain(filepath.Join("testdata", k.cert))
			if err != nil {
				t.Fatal(err)
			}
			if err := checkKeyMatches(chain[0], key); err != nil {
				t.Errorf("key does not match %s: %v", k.cert, err)
			}
			wantType := map[string]string{"rsa": "*rsa.PrivateKey", "ecdsa": "*ecdsa.PrivateKey", "ed25519": "ed25519.PrivateKey"}[strings.SplitN(k.file, "-", 2)[0]]
			if got := fmt.Sprintf("%T", key); got != wantType {
				t.Errorf("key type %s, want %s", got, wantType)
			}

			_, err = loadClientKey(keyFile, "")
			checkError(t, err, KindConfig, `could not load private key file "`+keyFile+`": bad decrypt`)
			_, err = loadClientKey(keyFile, "Secret")
			checkError(t, err, KindConfig, `could not load private key file "`+keyFile+`": bad decrypt`)

			tries := 2000
			if !strings.Contains(k.file, "legacy") {
				tries = 64 // PBKDF2 is slow on purpose
			}
			for i := range tries {
				pw := fmt.Sprintf("wrong-%d", i)
				if _, err := parsePrivateKey(data, []byte(pw)); err != errBadDecrypt {
					t.Fatalf("password %q: %v, want bad decrypt", pw, err)
				}
			}
		})
	}
}

// TestKeyFormats: unencrypted keys in the forms OpenSSL reads.
func TestKeyFormats(t *testing.T) {
	t.Parallel()
	keys := map[string]*certs.Cert{
		"rsa":     mint(t, certs.Template{CommonName: "rsa", Key: certs.RSA, Client: true}, nil),
		"ecdsa":   mint(t, certs.Template{CommonName: "ecdsa", Key: certs.ECDSA, Client: true}, nil),
		"ed25519": mint(t, certs.Template{CommonName: "ed25519", Key: certs.Ed25519, Client: true}, nil),
	}
	pkcs8 := func(c *certs.Cert) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(c.Key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	ecDER, err := x509.MarshalECPrivateKey(keys["ecdsa"].Key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	rsaDER := x509.MarshalPKCS1PrivateKey(keys["rsa"].Key.(*rsa.PrivateKey))
	tests := []struct {
		name string
		key  string
		data []byte
	}{
		{"PKCS#1 PEM", "rsa", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: rsaDER})},
		{"PKCS#1 DER", "rsa", rsaDER},
		{"SEC 1 PEM", "ecdsa", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})},
		{"SEC 1 DER", "ecdsa", ecDER},
		{"SEC 1 PEM after EC PARAMETERS", "ecdsa", append([]byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})...)},
		{"PKCS#8 PEM rsa", "rsa", keys["rsa"].KeyPEM()},
		{"PKCS#8 PEM ecdsa", "ecdsa", keys["ecdsa"].KeyPEM()},
		{"PKCS#8 PEM ed25519", "ed25519", keys["ed25519"].KeyPEM()},
		{"PKCS#8 DER ed25519", "ed25519", pkcs8(keys["ed25519"])},
		{"PKCS#8 PEM after the certificate", "ecdsa", append(keys["ecdsa"].CertPEM(), keys["ecdsa"].KeyPEM()...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := parsePrivateKey(tt.data, nil)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if err := checkKeyMatches(keys[tt.key].Cert, key); err != nil {
				t.Errorf("parsed key does not match: %v", err)
			}
		})
	}
	for _, bad := range [][]byte{nil, []byte("hello\n"), keys["ecdsa"].CertPEM()} {
		if _, err := parsePrivateKey(bad, nil); err == nil || err.Error() != "no private key found" {
			t.Errorf("parsing %q: %v, want no private key found", bad, err)
		}
	}
}

// TestKeyFilePermissions: libpq's rule for the private key file.
func TestKeyFilePermissions(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	rootOwned := os.Geteuid() == 0 // the test's files are owned by the test's user
	tooOpen := `private key file "%s" has group or world access; file must have permissions u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root`
	tests := []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o700, true},
		{0o640, rootOwned},
		{0o644, false},
		{0o660, false},
		{0o604, false},
		{0o650, false},
		{0o666, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%04o", tt.mode), func(t *testing.T) {
			t.Parallel()
			key := writeFile(t, t.TempDir(), "client.key", pki.Client.KeyPEM(), tt.mode)
			s, err := NewClient(ClientOptions{SSLMode: "require", SSLCert: pki.Path("client.crt"), SSLKey: key}, &fdTransport{FD: -1})
			if tt.ok {
				if err != nil {
					t.Fatalf("mode %04o rejected: %v", tt.mode, err)
				}
				s.Close()
				return
			}
			checkError(t, err, KindConfig, fmt.Sprintf(tooOpen, key))
		})
	}
	t.Run("directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "key.d")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := NewClient(ClientOptions{SSLMode: "require", SSLCert: pki.Path("client.crt"), SSLKey: dir}, &fdTransport{FD: -1})
		checkError(t, err, KindConfig, `private key file "`+dir+`" is not a regular file`)
	})
	t.Run("missing", func(t *testing.T) {
		key := filepath.Join(t.TempDir(), "none.key")
		_, err := NewClient(ClientOptions{SSLMode: "require", SSLCert: pki.Path("client.crt"), SSLKey: key}, &fdTransport{FD: -1})
		checkError(t, err, KindConfig, `certificate present, but not private key file "`+key+`"`)
	})
}

// TestKeyCertMismatch: a key that is not the certificate's.
func TestKeyCertMismatch(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	dir := t.TempDir()
	for _, kt := range []certs.KeyType{certs.ECDSA, certs.RSA, certs.Ed25519} {
		other := mint(t, certs.Template{CommonName: "other", Client: true, Key: kt}, nil)
		key := writeFile(t, dir, fmt.Sprintf("other-%d.key", kt), other.KeyPEM(), 0o600)
		_, err := NewClient(ClientOptions{SSLMode: "require", SSLCert: pki.Path("client.crt"), SSLKey: key}, &fdTransport{FD: -1})
		checkError(t, err, KindConfig, `certificate does not match private key file "`+key+`": key values mismatch`)
	}
}

// TestClientCertificate: when a client certificate is offered and sent.
func TestClientCertificate(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	dir := t.TempDir()
	notDir := writeFile(t, dir, "plain-file", []byte("x"), 0o600)
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".postgresql"), "postgresql.crt", pki.Client.ChainPEM(), 0o644)
	writeFile(t, filepath.Join(home, ".postgresql"), "postgresql.key", pki.Client.KeyPEM(), 0o600)
	emptyHome := t.TempDir()
	badCert := writeFile(t, dir, "bad.crt", []byte("not a certificate\n"), 0o644)

	withCert := ClientOptions{SSLMode: "require", SSLCert: pki.Path("client.crt"), SSLKey: pki.Path("client.key")}
	disabled := withCert
	disabled.SSLCertMode = "disable"
	tests := []struct {
		name       string
		clientAuth tls.ClientAuthType
		opts       ClientOptions
		requested  bool
		sent       bool
	}{
		{"requested and sent", tls.RequestClientCert, withCert, true, true},
		{"required and verified", tls.RequireAndVerifyClientCert, withCert, true, true},
		{"not requested", tls.NoClientCert, withCert, false, false},
		{"sslcertmode=disable", tls.RequestClientCert, disabled, true, false},
		{"missing certificate file", tls.RequestClientCert, ClientOptions{SSLMode: "require", SSLCert: filepath.Join(dir, "none.crt")}, true, false},
		{"certificate path through a file", tls.RequestClientCert, ClientOptions{SSLMode: "require", SSLCert: notDir + "/client.crt"}, true, false},
		{"default files at home", tls.RequestClientCert, ClientOptions{SSLMode: "require", HomeDir: home}, true, true},
		{"nothing at home", tls.RequestClientCert, ClientOptions{SSLMode: "require", HomeDir: emptyHome}, true, false},
		{"no home", tls.RequestClientCert, ClientOptions{SSLMode: "require"}, true, false},
	}
	for _, tt := range tests {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(versionNames[version]+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				fd, conn := socketPair(t)
				cfg := serverConfig(t)
				cfg.MinVersion, cfg.MaxVersion = version, version
				cfg.ClientAuth = tt.clientAuth
				cfg.ClientCAs = certPool(pki.Root)
				var peer []*x509.Certificate
				srv := serveTLS(t, conn, cfg, func(c *tls.Conn) error {
					peer = c.ConnectionState().PeerCertificates
					return nil
				})
				c := newClient(t, fd, tt.opts, nil)
				if err := c.handshake(); err != nil {
					t.Fatalf("handshake: %v", err)
				}
				if err := srv.wait(t); err != nil {
					t.Fatalf("server: %v", err)
				}
				if c.s.CertRequested() != tt.requested || c.s.CertSent() != tt.sent {
					t.Errorf("CertRequested %v, CertSent %v; want %v, %v", c.s.CertRequested(), c.s.CertSent(), tt.requested, tt.sent)
				}
				if tt.sent {
					// The whole chain, leaf first.
					if len(peer) != 2 || !peer[0].Equal(pki.Client.Cert) || !peer[1].Equal(pki.ClientCA.Cert) {
						t.Errorf("server got %d certificates, want the client's and its CA's", len(peer))
					} else if peer[0].Subject.CommonName != pki.ClientUser {
						t.Errorf("server got CN %q", peer[0].Subject.CommonName)
					}
				} else if len(peer) != 0 {
					t.Errorf("server got %d certificates, want none", len(peer))
				}
			})
		}
	}

	// A certificate file that is there but unreadable as one is an error.
	_, err := NewClient(ClientOptions{SSLMode: "require", SSLCert: badCert, SSLKey: pki.Path("client.key")}, &fdTransport{FD: -1})
	checkError(t, err, KindConfig, `could not read certificate file "`+badCert+`": no certificate found`)
	// A wrong password for an encrypted key is a configuration error.
	keyFile := privateCopy(t, dir, "ecdsa-pkcs8-aes256.key")
	certFile := privateCopy(t, dir, "ecdsa.crt")
	_, err = NewClient(ClientOptions{SSLMode: "require", SSLCert: certFile, SSLKey: keyFile, SSLPassword: "wrong"}, &fdTransport{FD: -1})
	e := checkError(t, err, KindConfig, `could not load private key file "`+keyFile+`": bad decrypt`)
	if !strings.Contains(e.Error(), "bad decrypt") {
		t.Errorf("Error() = %q", e.Error())
	}
}
