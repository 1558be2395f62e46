// Tests of Extensions against the openssl binary: certificates with every
// extension pgtls prints, in the forms Go's x509 writes and in hand-made
// edge cases, so that each value (or error) is what sslinfo gets from
// OpenSSL 3.0.

package pgtls

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"strings"
	"testing"
)

// siExtCases are certificates to read extensions from.
func siExtCases() map[string]func(*x509.Certificate) {
	u, _ := url.Parse("https://example.com/p?q=1")
	ext := func(oid string, critical bool, value []byte) pkix.Extension {
		return pkix.Extension{Id: siObjectID(oid), Critical: critical, Value: value}
	}
	ia5 := func(s string) []byte { return siTLV(0x16, []byte(s)) }
	others := [][]byte{ // GeneralNames OpenSSL prints in its own ways
		siTLV(0xa0, siOID("1.3.6.1.4.1.311.20.2.3"), siTLV(0xa0, siTLV(0x0c, []byte("upn@x")))),
		siTLV(0xa0, siOID("1.3.6.1.5.5.7.8.7"), siTLV(0xa0, ia5("_ldap.x"))),
		siTLV(0xa0, siOID("1.3.6.1.5.5.7.8.9"), siTLV(0xa0, siTLV(0x0c, []byte("smtp@x")))),
		siTLV(0xa0, siOID("1.3.6.1.5.5.7.8.5"), siTLV(0xa0, siTLV(0x0c, []byte("xmpp@x")))),
		siTLV(0xa0, siOID("1.3.6.1.5.5.7.8.8"), siTLV(0xa0, siTLV(0x0c, []byte("realm")))),
		siTLV(0xa0, siOID("1.2.3.4"), siTLV(0xa0, siTLV(0x0c, []byte("utf8 other")))),
		siTLV(0xa0, siOID("1.2.3.4"), siTLV(0xa0, ia5("ia5 other"))),
		siTLV(0xa0, siOID("1.2.3.5"), siTLV(0xa0, siInt(5))),
		siTLV(0x87, []byte{1, 2, 3}),
		siTLV(0x88, siOID("1.2.840.113549.1.9.1")[2:]),
		siTLV(0x88, siOID("1.2.3.4.5")[2:]),
		siTLV(0x81, []byte("mail\x01\x7f\xc3\xa9@x")),
		siTLV(0xa3, siSeq()),
		siTLV(0xa5, siTLV(0xa1, siTLV(0x0c, []byte("party")))),
	}
	dirName := siName(siRDN(siUTF8(siCN, "dir/name+x"), siUTF8(siO, "multi")), siRDN(siATV{siOU, 0x1e, []byte{0, 'u', 0x03, 0xa9}}))
	return map[string]func(*x509.Certificate){
		"none": nil,
		"go template": func(c *x509.Certificate) {
			c.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageOCSPSigning}
			c.UnknownExtKeyUsage = []asn1.ObjectIdentifier{{1, 2, 3, 4, 5}, {2, 5, 29, 37, 0}}
			c.BasicConstraintsValid = true
			c.DNSNames = []string{"localhost", "*.example.com"}
			c.EmailAddresses = []string{"a@example.com"}
			c.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("2001:db8::1"), net.ParseIP("::")}
			c.URIs = []*url.URL{u}
			c.SubjectKeyId = []byte{0xab, 0xcd, 0x01}
			c.CRLDistributionPoints = []string{"http://crl.example.com/a.crl", "ldap://x"}
			c.PolicyIdentifiers = []asn1.ObjectIdentifier{{2, 5, 29, 32, 0}, {2, 23, 140, 1, 2, 1}}
			c.OCSPServer = []string{"http://ocsp.example.com"}
			c.IssuingCertificateURL = []string{"http://ca.example.com/ca.crt"}
			c.PermittedDNSDomains = []string{"example.com"}
			c.ExcludedIPRanges = []*net.IPNet{{IP: net.IP{10, 0, 0, 0}, Mask: net.CIDRMask(8, 32)},
				{IP: net.ParseIP("fd00::"), Mask: net.CIDRMask(8, 128)}}
			c.PermittedEmailAddresses = []string{".example.com"}
			c.PermittedURIDomains = []string{"example.org"}
		},
		"ca": func(c *x509.Certificate) {
			c.IsCA, c.BasicConstraintsValid, c.MaxPathLenZero = true, true, true
			c.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageContentCommitment |
				x509.KeyUsageDataEncipherment | x509.KeyUsageKeyAgreement | x509.KeyUsageEncipherOnly | x509.KeyUsageDecipherOnly
		},
		"ca pathlen 7": func(c *x509.Certificate) {
			c.IsCA, c.BasicConstraintsValid, c.MaxPathLen = true, true, 7
		},
		"raw extensions": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{
				ext("2.16.840.1.113730.1.1", false, siTLV(0x03, []byte{0x00, 0xa5})),
				ext("2.16.840.1.113730.1.13", false, ia5("OpenSSL Generated Certificate")),
				ext("2.16.840.1.113730.1.2", true, ia5("http://base/")),
				ext("2.5.29.18", false, siSeq(append([][]byte{siTLV(0xa4, dirName)}, others...)...)),
				ext("2.5.29.35", false, siSeq(siTLV(0x80, []byte{0xde, 0xad}), siTLV(0xa1, siTLV(0xa4, dirName)),
					siTLV(0x82, []byte{0x00, 0x80, 0x01}))),
				ext("2.5.29.36", true, siSeq(siTLV(0x80, []byte{0}), siTLV(0x81, []byte{3}))),
				ext("2.5.29.33", false, siSeq(siSeq(siOID("2.5.29.32.0"), siOID("1.2.3.4")), siSeq(siOID("1.3.6.1.5.5.7.3.1"), siOID("2.23.140.1.1")))),
				ext("2.5.29.54", true, siInt(2)),
				ext("1.3.6.1.5.5.7.1.24", false, siSeq(siInt(5), siInt(17), siInt(99))),
				ext("1.3.6.1.5.5.7.48.1.5", false, []byte{0x05, 0x00}),
				ext("1.3.6.1.4.1.11129.2.4.3", true, []byte{0x05, 0x00}),
				ext("1.3.6.1.5.5.7.1.11", false, siSeq(siSeq(siOID("1.3.6.1.5.5.7.48.5"), siTLV(0x86, []byte("rsync://repo/"))),
					siSeq(siOID("1.2.3.4"), siTLV(0x82, []byte("dns.example"))))),
				ext("2.5.29.32", false, siSeq(
					siSeq(siOID("1.2.3.4"), siSeq(
						siSeq(siOID("1.3.6.1.5.5.7.2.1"), ia5("http://cps.example/")),
						siSeq(siOID("1.3.6.1.5.5.7.2.2"), siSeq(siSeq(siTLV(0x0c, []byte("Org")), siSeq(siInt(1), siInt(2))), siTLV(0x1a, []byte("visible text")))),
						siSeq(siOID("1.3.6.1.5.5.7.2.2"), siSeq(siSeq(siTLV(0x16, []byte("One")), siSeq(siInt(7))))),
						siSeq(siOID("1.3.6.1.5.5.7.2.2"), siSeq(siTLV(0x0c, []byte("only text")))),
						siSeq(siOID("1.3.6.1.5.5.7.2.2"), siSeq()),
						siSeq(siOID("1.2.3.9"), siInt(1)))),
					siSeq(siOID("2.5.29.32.0")))),
				ext("2.5.29.31", false, siSeq(
					siSeq(siTLV(0xa0, siTLV(0xa0, siTLV(0x86, []byte("http://crl/1")), siTLV(0xa4, dirName))),
						siTLV(0x81, []byte{0x07, 0x80}), siTLV(0xa2, siTLV(0x82, []byte("issuer.example")))),
					siSeq(siTLV(0x81, []byte{0x00})),
					siSeq())),
				ext("2.5.29.46", false, siSeq(siSeq(siTLV(0xa0, siTLV(0xa0, append([][]byte{siTLV(0x86, []byte("http://delta/"))}, others...)...))))),
			}
		},
		"edge values": func(c *x509.Certificate) {
			long := "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26.27.28.29.30.31.32"
			big130 := siTLV(0x02, append([]byte{0x04}, make([]byte, 16)...))
			c.ExtraExtensions = []pkix.Extension{
				ext("2.5.29.14", false, siTLV(0x04)),
				ext("2.16.840.1.113730.1.13", false, ia5("first\x00second")),
				ext("2.16.840.1.113730.1.3", false, ia5("caf\xc3\xa9")),
				ext("1.3.6.1.5.5.7.1.24", false, siSeq(siInt(5), big130, siInt(-3), siInt(0), siInt(17))),
				ext("2.5.29.35", false, siSeq(siTLV(0x80, []byte{0xde, 0xad}), siTLV(0x82, []byte{0xff, 0x00}))),
				ext("2.5.29.37", false, siSeq(siOID(long), siOID("2.5.29.37.0"), siOID("1.3.6.1.5.5.7.3.21"))),
				ext("2.5.29.18", false, siSeq(siTLV(0xa4, siName(siRDN(siUTF8(siCN, strings.Repeat("c", 200))),
					siRDN(siUTF8(siO, strings.Repeat("o", 60))))), siTLV(0xa4, siName()),
					siTLV(0x87, net.ParseIP("2001:db8::ff00:42:8329")), siTLV(0x81, []byte("a@b")), siTLV(0x82, nil))),
				ext("1.3.6.1.5.5.7.1.11", false, siSeq()),
				ext("2.5.29.30", false, siSeq(
					siTLV(0xa0, siSeq(siTLV(0x82, []byte("example.com"))),
						siSeq(siTLV(0x87, []byte{10, 0, 0, 0, 255, 0, 0, 0}), siTLV(0x80, []byte{0}), siTLV(0x81, []byte{5})),
						siSeq(siTLV(0x87, append(net.ParseIP("fd00::"), net.CIDRMask(8, 128)...))),
						siSeq(siTLV(0x81, []byte(".example.com"))), siSeq(siTLV(0x86, []byte("example.org"))),
						siSeq(siTLV(0xa4, siName(siRDN(siUTF8(siO, "Org, Inc."))))), siSeq(others[0]), siSeq(others[9])),
					siTLV(0xa1, siSeq(siTLV(0x82, []byte("bad.example.com")))))),
				ext("2.5.29.31", false, siSeq(siSeq(siTLV(0x81, []byte{0x07, 0xff, 0x80})), siSeq(siTLV(0xa2, siTLV(0x82, []byte("x")))))),
				ext("2.5.29.33", false, siSeq(siSeq(siOID(long), siOID(long)))),
				ext("2.5.29.32", false, siSeq(siSeq(siOID(long), siSeq(siSeq(siOID("1.3.6.1.5.5.7.2.1"), ia5("cps\x00nul")))))),
			}
		},
		"excluded only": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.30", true, siSeq(siTLV(0xa1, siSeq(siTLV(0x82, []byte("x.example"))))))}
		},
		"empty nsComment": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.16.840.1.113730.1.13", false, ia5(""))}
		},
		"empty tlsfeature": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("1.3.6.1.5.5.7.1.24", false, siSeq())}
		},
		"empty lists": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.18", false, siSeq()),
				ext("2.5.29.35", false, siSeq(siTLV(0xa1))), ext("2.5.29.31", false, siSeq()),
				ext("2.5.29.32", false, siSeq(siSeq(siOID("1.2.3"), siSeq()))), ext("2.5.29.30", false, siSeq(siTLV(0xa0), siTLV(0xa1, siSeq(siTLV(0x82, []byte("x"))))))}
		},
		"empty EKU": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.37", false, siSeq())}
		},
		"empty policy constraints": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.36", false, siSeq())}
		},
		"empty AKID": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.35", false, siSeq())}
		},
		"NUL in a name": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.18", false, siSeq(siTLV(0x82, []byte("a\x00b"))))}
		},
		"NUL ending a name": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.18", false, siSeq(siTLV(0x81, []byte("a@b\x00"))))}
		},
		"critical unknown-to-printer": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.19", true, siSeq()),
				ext("1.3.6.1.5.5.7.1.3", false, siSeq())} // qcStatements: OpenSSL has no printer
		},
		"unknown OID": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("1.2.3.4.5.6", false, []byte{0x05, 0x00})}
		},
		"bad othername": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.5.29.18", false, siSeq(
				siTLV(0xa0, siOID("1.3.6.1.5.5.7.8.7"), siTLV(0xa0, siTLV(0x0c, []byte("SRVName\nmust be IA5"))))))}
		},
		"empty key usage": func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{ext("2.16.840.1.113730.1.1", false, siTLV(0x03, []byte{0x00}))}
		},
	}
}

func TestSSLInfoExtensions(t *testing.T) {
	opensslBinary(t)
	for label, edit := range siExtCases() {
		t.Run(label, func(t *testing.T) {
			der, cert := siMint(t, siName(siRDN(siUTF8(siCN, "ext"))), nil, edit)
			if cert == nil {
				t.Fatal("Go does not parse the certificate")
			}
			want := siCLIExtensions(t, der, cert)
			got, err := Extensions(cert)
			if len(want) != len(cert.Extensions) {
				t.Fatalf("openssl shows %d extensions, certificate has %d", len(want), len(cert.Extensions))
			}
			for i, w := range want {
				if i == len(got) {
					// sslinfo fails here: OpenSSL must not know or print it.
					wantErr := "could not print extension value"
					if w.Name == "" {
						wantErr = "unknown OpenSSL extension"
					} else if !w.failed {
						t.Errorf("extension %d: error %v, openssl printed %+v", i, err, w)
					}
					if err == nil || !strings.HasPrefix(err.Error(), wantErr) {
						t.Errorf("extension %d: error %v, want %s", i, err, wantErr)
					}
					return
				}
				if got[i] != w.Extension {
					t.Errorf("extension %d:\n got  %+v\n want %+v", i, got[i], w.Extension)
				}
			}
			if err != nil {
				t.Errorf("error %v", err)
			}
		})
	}
}
