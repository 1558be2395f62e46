package pgtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf16"
)

// attr is one attribute with a value of the given ASN.1 string type.
func attr(oid asn1.ObjectIdentifier, tag int, value []byte) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: value}}
}

func utf8Attr(oid asn1.ObjectIdentifier, s string) pkix.AttributeTypeAndValue {
	return attr(oid, asn1.TagUTF8String, []byte(s))
}

func bmp(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// rdnName encodes a Name from RDNs given as lists of attributes.
func rdnName(t testing.TB, rdns ...[]pkix.AttributeTypeAndValue) []byte {
	t.Helper()
	var seq pkix.RDNSequence
	for _, r := range rdns {
		seq = append(seq, pkix.RelativeDistinguishedNameSET(r))
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func one(a pkix.AttributeTypeAndValue) []pkix.AttributeTypeAndValue {
	return []pkix.AttributeTypeAndValue{a}
}

var (
	oidCountry = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidEmail   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidDC      = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidUID     = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidUnknown = asn1.ObjectIdentifier{1, 2, 3, 4}
)

// dnCases are names with what the backend's two printers make of them.
func dnCases(t testing.TB) []struct {
	name             string
	der              []byte
	rfc2253, slashed string
} {
	cn := func(s string) []pkix.AttributeTypeAndValue { return one(utf8Attr(oidCommonName, s)) }
	return []struct {
		name             string
		der              []byte
		rfc2253, slashed string
	}{
		{"CN only", rdnName(t, cn("alice")), "CN=alice", "/CN=alice"},
		{"usual order",
			rdnName(t, one(attr(oidCountry, asn1.TagPrintableString, []byte("US"))), one(utf8Attr(oidOrganization, "Example")), one(utf8Attr(oidOrgUnit, "DB")), cn("alice")),
			"CN=alice,OU=DB,O=Example,C=US", "/C=US/O=Example/OU=DB/CN=alice"},
		{"RFC 2253 specials", rdnName(t, cn(`a,b+c"d\e<f>g;h=i/j`)), `CN=a\,b\+c\"d\\e\<f\>g\;h=i/j`, `/CN=a\,b\+c\"d\\e\<f\>g\;h=i/j`},
		{"leading and trailing", rdnName(t, cn(" #x "), cn("#y"), cn("z#")), `CN=z#,CN=\#y,CN=\ #x\ `, `/CN=\ #x\ /CN=\#y/CN=z#`},
		{"one character", rdnName(t, cn("#"), cn(" ")), `CN=\ ,CN=#`, `/CN=#/CN=\ `},
		{"UTF-8", rdnName(t, cn("Οδυσσέας")), `CN=\CE\9F\CE\B4\CF\85\CF\83\CF\83\CE\AD\CE\B1\CF\82`, "/CN=Οδυσσέας"},
		{"BMPString", rdnName(t, one(attr(oidCommonName, asn1.TagBMPString, bmp("Ωmega")))), `CN=\CE\A9mega`, "/CN=Ωmega"},
		{"T61String is Latin-1", rdnName(t, one(attr(oidCommonName, asn1.TagT61String, []byte("caf\xe9")))), `CN=caf\C3\A9`, "/CN=café"},
		{"control characters", rdnName(t, cn("a\x01b\x7fc\td")), `CN=a\01b\7Fc\09d`, `/CN=a\01b\7Fc\09d`},
		{"email and DC", rdnName(t, one(attr(oidDC, asn1.TagIA5String, []byte("org"))), one(attr(oidDC, asn1.TagIA5String, []byte("example"))), one(attr(oidEmail, asn1.TagIA5String, []byte("dba@example.org")))),
			"emailAddress=dba@example.org,DC=example,DC=org", "/DC=org/DC=example/emailAddress=dba@example.org"},
		{"multi-valued RDN", rdnName(t, one(utf8Attr(oidOrganization, "Example")), []pkix.AttributeTypeAndValue{utf8Attr(oidCommonName, "alice"), utf8Attr(oidUID, "a1")}),
			"UID=a1+CN=alice,O=Example", "/O=Example/CN=alice/UID=a1"},
		{"unknown attribute", rdnName(t, one(utf8Attr(oidUnknown, "x")), cn("alice")), "CN=alice,1.2.3.4=#0C0178", "/1.2.3.4=x/CN=alice"},
		{"not a string", rdnName(t, one(attr(oidOrgUnit, asn1.TagOctetString, []byte{1, 2})), cn("alice")), "CN=alice,OU=#04020102", "/OU=#04020102/CN=alice"},
	}
}

// TestNameFormats: port->peer_dn (RFC 2253) and pg_stat_ssl's form.
func TestNameFormats(t *testing.T) {
	t.Parallel()
	for _, tt := range dnCases(t) {
		if got, err := nameRFC2253(tt.der); err != nil || got != tt.rfc2253 {
			t.Errorf("%s: RFC 2253 %q, %v; want %q", tt.name, got, err, tt.rfc2253)
		}
		if got, err := nameSlashed(tt.der); err != nil || got != tt.slashed {
			t.Errorf("%s: slashed %q, %v; want %q", tt.name, got, err, tt.slashed)
		}
	}
	odd := rdnName(t, one(attr(oidCommonName, asn1.TagBMPString, []byte{0, 'a', 0})))
	if _, err := nameRFC2253(odd); err == nil {
		t.Error("a BMPString of odd length was printed")
	}
	if _, err := nameRFC2253([]byte{0x30, 0x03, 0x31}); err == nil {
		t.Error("a malformed name was printed")
	}
}

// TestNameFormatsLikeOpenSSL prints the same names with the openssl
// command, when there is one: -nameopt RFC2253 is X509_NAME_print_ex's
// XN_FLAG_RFC2253, and the flags of X509_NAME_to_cstring, one attribute a
// line, give pg_stat_ssl's form.
func TestNameFormatsLikeOpenSSL(t *testing.T) {
	// Not parallel: between fork and exec the child holds copies of every
	// open socket, which would hide a peer's close from concurrent tests.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl command")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tt := range dnCases(t) {
		switch tt.name {
		case "unknown attribute", "multi-valued RDN", "not a string":
			// The backend fails on the first; openssl's line-per-RDN
			// output cannot show the second as "/a/b"; crypto/x509
			// cannot parse a certificate with the third.
			continue
		}
		c := selfSigned(t, &x509.Certificate{RawSubject: tt.der}, key)
		file := writeFile(t, dir, "c.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600)
		run := func(nameopt string) string {
			out, err := exec.Command(openssl, "x509", "-in", file, "-noout", "-subject", "-nameopt", nameopt).Output()
			if err != nil {
				t.Fatalf("%s: openssl: %v", tt.name, err)
			}
			return strings.TrimSuffix(strings.TrimPrefix(string(out), "subject="), "\n")
		}
		if want := run("RFC2253"); tt.rfc2253 != want {
			t.Errorf("%s: RFC 2253 %q, openssl %q", tt.name, tt.rfc2253, want)
		}
		var slashed string
		for line := range strings.Lines(run("esc_2253,esc_ctrl,utf8,dump_unknown,dump_der,sname,sep_multiline")) {
			if line = strings.TrimSuffix(line, "\n"); strings.TrimSpace(line) != "" {
				slashed += "/" + strings.TrimPrefix(line, "    ")
			}
		}
		if tt.slashed != slashed {
			t.Errorf("%s: slashed %q, openssl %q", tt.name, tt.slashed, slashed)
		}
	}
}
