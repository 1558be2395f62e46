package pgtls

import (
	"crypto/fips140"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pg-gotls/pg-gotls/internal/fipstest"
	"time"
)

// TestFIPSMode runs TestFIPSModeChild in a process in FIPS 140-3 mode.
func TestFIPSMode(t *testing.T) { fipstest.RunChild(t, "TestFIPSModeChild") }

func TestFIPSModeChild(t *testing.T) {
	fipstest.InChild(t)
	if p := FIPSEnvironmentProblem("fips140=only"); p != "" {
		t.Errorf("the mode asked for is the mode in use, yet: %s", p)
	}
	t.Run("both sides connect", func(t *testing.T) {
		c, s := sessionPair(t, dataPath{name: "FIPS", version: 0x0304, recordLayer: false})
		for _, sess := range []*Session{c, s} {
			if got, _ := sess.Attribute("library"); got != "Go crypto/tls (FIPS 140-3 mode, approved algorithms only)" {
				t.Errorf("library = %q", got)
			}
			if got, _ := sess.Attribute("cipher"); !strings.Contains(got, "GCM") {
				t.Errorf("cipher = %q, want AES-GCM", got)
			}
		}
		mustWrite(t, c, []byte("select 1"))
		mustRead(t, s, make([]byte, 100), len("select 1"))
	})

	weak := weakRSAFiles(t)
	refused := []struct {
		name string
		err  func() error
		want string
	}{
		{"an RSA key of 1024 bits (server)", func() error {
			_, err := NewServerConfig(ServerOptions{CertFile: weak.cert, KeyFile: weak.key})
			return err
		}, `could not load server certificate file "` + weak.cert + `": an RSA key of 1024 bits is not allowed in FIPS 140-3 mode (2048 bits or more are)`},
		{"an RSA key of 1024 bits (client)", func() error {
			_, err := NewClient(ClientOptions{SSLMode: "require", SSLCert: weak.cert, SSLKey: weak.key}, nil)
			return err
		}, `could not load certificate file "` + weak.cert + `": an RSA key of 1024 bits is not allowed in FIPS 140-3 mode`},
		{"ChaCha20-Poly1305 only (TLS 1.3)", func() error {
			o := serverOptions(t)
			o.TLS13Ciphers = "TLS_CHACHA20_POLY1305_SHA256"
			_, err := NewServerConfig(o)
			return err
		}, "could not set the TLSv1.3 cipher suites (no valid ciphers available)"},
		{"ChaCha20-Poly1305 only (TLS 1.2)", func() error {
			o := serverOptions(t)
			o.Ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305"
			_, err := NewServerConfig(o)
			return err
		}, "could not set the cipher list (no valid ciphers available)"},
		{"X25519 only", func() error {
			o := serverOptions(t)
			o.Groups = "X25519"
			_, err := NewServerConfig(o)
			return err
		}, "could not set group names specified in ssl_groups"},
		{"TLSv1.1 at most (server)", func() error {
			o := serverOptions(t)
			o.MinProtocol, o.MaxProtocol = "TLSv1", "TLSv1.1"
			_, err := NewServerConfig(o)
			return err
		}, "could not set SSL protocol version range"},
		{"TLSv1.1 at most (client)", func() error {
			_, err := NewClient(ClientOptions{SSLMode: "require", MaxProtocol: "TLSv1.1"}, nil)
			return err
		}, `invalid value "TLSv1.1" for maximum SSL protocol version: FIPS 140-3 mode allows only TLSv1.2 and TLSv1.3`},
	}
	for _, c := range refused {
		t.Run("refuses "+c.name, func(t *testing.T) {
			err := c.err()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

// weakRSAFiles writes a self-signed certificate with an RSA key of 1024
// bits, made with FIPS enforcement suspended.
func weakRSAFiles(t *testing.T) (f struct{ cert, key string }) {
	dir := t.TempDir()
	f.cert, f.key = filepath.Join(dir, "weak.crt"), filepath.Join(dir, "weak.key")
	fips140.WithoutEnforcement(func() {
		key, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weak"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, "weak.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
		writeFile(t, dir, "weak.key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	})
	return f
}

// TestFIPSEnvironmentProblem, in a process started without FIPS 140-3
// mode: GODEBUG asking for it now is a problem; asking for nothing, or
// turning it off last, is not.
func TestFIPSEnvironmentProblem(t *testing.T) {
	if fips140.Enabled() {
		t.Skip("this process is in FIPS 140-3 mode")
	}
	for godebug, problem := range map[string]bool{
		"":                         false,
		"asyncpreemptoff=1":        false,
		"fips140=off":              false,
		"fips140=only,fips140=off": false,
		"fips140=on":               true,
		"fips140=debug":            true,
		"x=1,fips140=only":         true,
		"fips140=off,fips140=only": true,
	} {
		got := FIPSEnvironmentProblem(godebug)
		if (got != "") != problem {
			t.Errorf("GODEBUG=%q: %q", godebug, got)
		}
		if problem && !strings.Contains(got, "FIPS140=") {
			t.Errorf("GODEBUG=%q: the message does not say what to do: %q", godebug, got)
		}
	}
}
