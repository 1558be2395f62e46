// A few NameField and Extensions values pinned as OpenSSL 3.0 prints
// them, so that sslinfo's common answers are tested even where no
// openssl binary is installed.

package pgtls

import (
	"crypto/x509"
	"net"
	"testing"
)

// TestSSLInfoExamples pins a few values, as OpenSSL 3.0 prints them, that
// need no openssl binary.
func TestSSLInfoExamples(t *testing.T) {
	name := siName(siRDN(siUTF8(siCN, "a"), siUTF8(siO, "b, c")), siRDN(siUTF8(siCN, "second")), siRDN(siBMP(siOU, " Zoë")))
	for _, c := range []struct {
		field, want string
		ok          bool
	}{{"CN", "a", true}, {"2.5.4.10", `b\, c`, true}, {"organizationalUnitName", `\ Zoë`, true}, {"L", "", false}} {
		if got, ok, err := NameField(name, c.field); err != nil || ok != c.ok || got != c.want {
			t.Errorf("%s: got %q %v %v, want %q %v", c.field, got, ok, err, c.want, c.ok)
		}
	}
	if _, _, err := NameField(name, "cn"); err == nil || err.Error() != `invalid X.509 field name: "cn"` {
		t.Errorf("cn: %v", err)
	}
	_, cert := siMint(t, name, nil, func(c *x509.Certificate) {
		c.BasicConstraintsValid = true
		c.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		c.SubjectKeyId = []byte{0xab, 0x01}
		c.DNSNames = []string{"localhost"}
		c.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	})
	got, err := Extensions(cert)
	if err != nil {
		t.Fatal(err)
	}
	want := []Extension{
		{"keyUsage", "Digital Signature, Key Encipherment", true},
		{"extendedKeyUsage", "TLS Web Client Authentication", false},
		{"basicConstraints", "CA:FALSE", true},
		{"subjectKeyIdentifier", "AB:01", false},
		{"subjectAltName", "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %+v, want %+v", got[i], want[i])
		}
	}
}
