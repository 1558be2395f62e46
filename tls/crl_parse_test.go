package pgtls

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// TestVersion1CRL: a version 1 CRL is read as OpenSSL reads it, its
// signature checked, its entries honoured.
func TestVersion1CRL(t *testing.T) {
	// Not parallel: between fork and exec the child holds copies of every
	// open socket, which would hide a peer's close from concurrent tests.
	pki := testPKI(t)
	revoked := mint(t, certs.Template{CommonName: "revoked", Client: true}, pki.ClientCA)
	data, err := certs.CRLv1(pki.ClientCA, []*certs.Cert{revoked}, nextWeek())
	if err != nil {
		t.Fatal(err)
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		path := writeFile(t, t.TempDir(), "v1.crl", data, 0o600)
		out, err := exec.Command(openssl, "crl", "-in", path, "-noout", "-text").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Version 1 (0x0)") {
			t.Fatalf("openssl does not read the test CRL as version 1: %v\n%s", err, out)
		}
	}
	lists, err := parseCRLs(data)
	if err != nil {
		t.Fatalf("parseCRLs: %v", err)
	}
	now := time.Now()
	if err := checkRevocation(pki.Client.Cert, pki.ClientCA.Cert, lists, now); err != nil {
		t.Errorf("good certificate: %v", err)
	}
	if err := checkRevocation(revoked.Cert, pki.ClientCA.Cert, lists, now); err == nil || !strings.Contains(err.Error(), "certificate revoked") {
		t.Errorf("revoked certificate: %v", err)
	}
	// Signed by the client CA, so not a CRL of the server CA's, though
	// the issuer name is the only thing to tell them apart otherwise.
	impostor := *pki.ServerCA.Cert
	impostor.RawSubject = pki.ClientCA.Cert.RawSubject
	if err := lists[0].checkSignatureFrom(&impostor); err == nil {
		t.Error("the CRL's signature verifies with another CA's key")
	}
}
