// The PostgreSQL SSL suite's own certificates through sslinfo's code,
// where a PostgreSQL source tree is in ../_build/postgresql: these are the
// certificates 003_sslinfo.pl asks sslinfo about.

package pgtls

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// siPostgresCertFiles are the PostgreSQL SSL suite's certificates, if
// its source tree is there.
func siPostgresCertFiles() []string {
	files, _ := filepath.Glob("../_build/postgresql/src/test/ssl/ssl/*.crt")
	return files
}

func siReadPEM(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cert
}

// TestSSLInfoPostgresCerts runs the PostgreSQL SSL suite's certificates
// through the CLI oracle; 003_sslinfo.pl checks client_ext.crt's
// basicConstraints.
func TestSSLInfoPostgresCerts(t *testing.T) {
	opensslBinary(t)
	files := siPostgresCertFiles()
	if len(files) == 0 {
		t.Skip("no PostgreSQL source tree in ../_build/postgresql")
	}
	for _, f := range files {
		cert := siReadPEM(t, f)
		got, err := Extensions(cert)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		for i, w := range siCLIExtensions(t, cert.Raw, cert) {
			if i >= len(got) || got[i] != w.Extension {
				t.Errorf("%s extension %d: got %+v, openssl %+v", f, i, got, w.Extension)
			}
		}
		for _, which := range []string{"subject", "issuer"} {
			raw := map[string][]byte{"subject": cert.RawSubject, "issuer": cert.RawIssuer}[which]
			entries := siCLINames(t, cert.Raw, which)
			for _, field := range []string{"CN", "commonName", "O", "OU", "emailAddress"} {
				want, wantOK, _ := siCLIField(t, entries, field)
				if v, ok, err := NameField(raw, field); err != nil || ok != wantOK || v != want {
					t.Errorf("%s %s %s: got %q %v %v, openssl %q %v", f, which, field, v, ok, err, want, wantOK)
				}
			}
		}
		if filepath.Base(f) == "client_ext.crt" {
			found := false
			for _, e := range got {
				if e.Name == "basicConstraints" {
					found = e.Value == "CA:FALSE" && e.Critical
				}
			}
			if !found {
				t.Errorf("client_ext.crt: no critical basicConstraints CA:FALSE in %+v", got)
			}
		}
	}
}
