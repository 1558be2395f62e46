package pgtls

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzCertificates are seeds for the certificate targets: one minted
// with each of the sslinfo extension cases, the test PKI's, and the
// testdata certificates openssl made.
func fuzzCertificates(f *testing.F) [][]byte {
	var ders [][]byte
	cases := siExtCases()
	labels := slices.Sorted(func(yield func(string) bool) {
		for l := range cases {
			if !yield(l) {
				return
			}
		}
	})
	subjects := [][]byte{siName(siRDN(siUTF8(siCN, "ext"))), siNames()["escapes"], siNames()["string types"], siIssuer()}
	for i, label := range labels {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(4242 + i)),
			RawSubject:   subjects[i%len(subjects)],
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
		}
		if edit := cases[label]; edit != nil {
			edit(tmpl)
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, siKey().Public(), siKey())
		if err != nil {
			f.Fatalf("%s: %v", label, err)
		}
		ders = append(ders, der)
	}
	pki := testPKI(f)
	ders = append(ders, pki.Root.Cert.Raw, pki.Server.Cert.Raw, pki.Client.Cert.Raw)
	files, _ := filepath.Glob("testdata/*.crt")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if b, _ := pem.Decode(data); b != nil {
			ders = append(ders, b.Bytes)
		}
	}
	return ders
}

// FuzzCertificateText: what the backend and sslinfo show of a client
// certificate crypto/x509 parses (the daemon sees no other).
//
//   - newClientCertificate refuses a commonName with a NUL; otherwise its
//     DN is nameRFC2253's, no string holds a NUL, the serial is
//     crypto/x509's in decimal, and a single UTF8String, PrintableString
//     or IA5String commonName is crypto/x509's CommonName;
//   - Extensions has a row per extension up to the first it cannot
//     print (all of them without an error), each named, its criticality
//     crypto/x509's, and agrees with crypto/x509 on the subjectAltName
//     DNS names and e-mail addresses, basicConstraints' CA flag, the
//     keyUsage bits and the client and server extendedKeyUsage;
//   - PeerNames lists crypto/x509's DNSNames and IPAddresses, in order;
//   - CertificateHash is SHA-256 of the DER for SHA-256 signatures;
//   - each value is at most 16 bytes per byte of its extension, plus 256;
//   - all of it is deterministic.
func FuzzCertificateText(f *testing.F) {
	for _, der := range fuzzCertificates(f) {
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		cc, cerr := newClientCertificate(cert)
		cn, hasCN := firstCommonName(cert.RawSubject)
		switch {
		case hasCN && bytes.IndexByte(cn, 0) >= 0:
			if cerr == nil || !strings.Contains(cerr.Message, "embedded null") {
				t.Fatalf("a commonName with a NUL: %v", cerr)
			}
		case cerr == nil:
			if dn, err := nameRFC2253(cert.RawSubject); err != nil || cc.DN != dn {
				t.Errorf("DN %q, nameRFC2253 %q, %v", cc.DN, dn, err)
			}
			for _, s := range []string{cc.CN, cc.DN, cc.SubjectName, cc.IssuerName, cc.Serial} {
				if strings.IndexByte(s, 0) >= 0 {
					t.Errorf("%q has a NUL", s)
				}
			}
			if cc.Serial != cert.SerialNumber.String() || cc.HasCN != hasCN || cc.CN != string(cn) {
				t.Errorf("serial %s CN %q (%v)", cc.Serial, cc.CN, cc.HasCN)
			}
			attrs, _ := parseName(cert.RawSubject)
			var cns []nameAttr
			for _, a := range attrs {
				if a.oid.Equal(oidCommonName) {
					cns = append(cns, a)
				}
			}
			if len(cns) == 1 && slices.Contains([]int{12, 19, 22}, cns[0].value.Tag) && cc.CN != cert.Subject.CommonName {
				t.Errorf("CN %q, crypto/x509 %q", cc.CN, cert.Subject.CommonName)
			}
		default:
			// The DN cannot be printed: a BMPString or UniversalString
			// of a bad length, which crypto/x509 parses only in unknown
			// attributes (it keeps their raw value).
			if _, err := nameRFC2253(cert.RawSubject); err == nil {
				t.Fatalf("client certificate refused: %v", cerr)
			}
		}

		rows, err := Extensions(cert)
		if len(rows) > len(cert.Extensions) || err == nil && len(rows) != len(cert.Extensions) {
			t.Fatalf("%d rows, %v, for %d extensions", len(rows), err, len(cert.Extensions))
		}
		if again, err2 := Extensions(cert); !slices.Equal(again, rows) || (err == nil) != (err2 == nil) {
			t.Fatal("Extensions is not deterministic")
		}
		for i, r := range rows {
			e := cert.Extensions[i]
			if r.Name == "" || r.Critical != e.Critical {
				t.Errorf("row %d: %+v for %v critical %v", i, r, e.Id, e.Critical)
			}
			if len(r.Value) > 16*len(e.Value)+256 {
				t.Errorf("row %d (%s): %d bytes for %d bytes of DER", i, r.Name, len(r.Value), len(e.Value))
			}
			var want []string
			switch r.Name {
			case "subjectAltName":
				for _, d := range cert.DNSNames {
					if strings.IndexByte(d, 0) < 0 {
						want = append(want, "DNS:"+d)
					}
				}
				for _, m := range cert.EmailAddresses {
					if strings.IndexByte(m, 0) < 0 {
						want = append(want, "email:"+m)
					}
				}
			case "basicConstraints":
				if cert.BasicConstraintsValid && cert.IsCA {
					want = append(want, "CA:TRUE")
				} else if cert.BasicConstraintsValid {
					want = append(want, "CA:FALSE")
				}
			case "keyUsage":
				for bit, name := range v3KeyUsageBits {
					if cert.KeyUsage&(1<<bit) != 0 {
						want = append(want, name)
					}
				}
			case "extendedKeyUsage":
				if slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
					want = append(want, "TLS Web Client Authentication")
				}
				if slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
					want = append(want, "TLS Web Server Authentication")
				}
			}
			for _, w := range want {
				if !strings.Contains(r.Value, w) {
					t.Errorf("%s %q lacks %q (crypto/x509)", r.Name, r.Value, w)
				}
			}
		}

		var dns, ips [][]byte
		for _, n := range PeerNames(cert) {
			switch n.Kind {
			case NameDNS:
				dns = append(dns, n.Value)
			case NameIP:
				ips = append(ips, n.Value)
			}
		}
		if len(dns) != len(cert.DNSNames) || len(ips) != len(cert.IPAddresses) {
			t.Fatalf("PeerNames: %d DNS names, %d IPs; crypto/x509 %d, %d", len(dns), len(ips), len(cert.DNSNames), len(cert.IPAddresses))
		}
		for i, d := range dns {
			if string(d) != cert.DNSNames[i] {
				t.Errorf("DNS name %d: %q, crypto/x509 %q", i, d, cert.DNSNames[i])
			}
		}
		for i, ip := range ips {
			if !bytes.Equal(ip, cert.IPAddresses[i]) {
				t.Errorf("IP %d: %x, crypto/x509 %x", i, ip, []byte(cert.IPAddresses[i]))
			}
		}

		h, err := CertificateHash(cert)
		switch cert.SignatureAlgorithm {
		case x509.SHA256WithRSA, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS:
			if sum := sha256.Sum256(der); err != nil || !bytes.Equal(h, sum[:]) {
				t.Errorf("certificate hash %x, %v; want SHA-256 of the DER", h, err)
			}
		case x509.PureEd25519:
			if err == nil {
				t.Error("a hash for an Ed25519 certificate")
			}
		}
	})
}

// FuzzExtensionValue feeds any bytes to each extension printer (within a
// certificate crypto/x509 checks some extensions before they get there):
// a printer returns a value or an error, deterministically, of at most 16
// bytes per byte of DER plus 256.
func FuzzExtensionValue(f *testing.F) {
	oids := slices.Sorted(func(yield func(string) bool) {
		for o := range v3Printers {
			if !yield(o) {
				return
			}
		}
	})
	for _, der := range fuzzCertificates(f) {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		for _, e := range cert.Extensions {
			if i := slices.Index(oids, e.Id.String()); i >= 0 {
				f.Add(uint8(i), e.Value)
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, value []byte) {
		oid := oids[int(which)%len(oids)]
		out, err := v3Printers[oid](value)
		out2, err2 := v3Printers[oid](value)
		if out != out2 || (err == nil) != (err2 == nil) {
			t.Fatalf("%s: not deterministic", oid)
		}
		if len(out) > 16*len(value)+256 {
			t.Errorf("%s: %d bytes for %d bytes of DER", oid, len(out), len(value))
		}
	})
}
