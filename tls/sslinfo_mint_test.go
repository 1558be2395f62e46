// Minting for the sslinfo tests: DER built by hand, so that names and
// extensions can hold what Go's x509 would never write (string types,
// escapes, malformed values) but OpenSSL reads, and certificates signed
// with a throwaway key.

package pgtls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// siTLV is a DER element: tag byte, length, contents.
func siTLV(tag byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	n := len(c)
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, c...)
}

func siSeq(content ...[]byte) []byte { return siTLV(0x30, content...) }

func siObjectID(s string) asn1.ObjectIdentifier {
	var oid asn1.ObjectIdentifier
	for _, a := range strings.Split(s, ".") {
		n, _ := strconv.Atoi(a)
		oid = append(oid, n)
	}
	return oid
}

func siOID(s string) []byte {
	b, err := asn1.Marshal(siObjectID(s))
	if err != nil {
		panic(err)
	}
	return b
}

func siInt(n int64) []byte {
	b, _ := asn1.Marshal(big.NewInt(n))
	return b
}

// siATV is one attribute of a name: OID, string tag, content octets.
type siATV struct {
	oid string
	tag byte
	val []byte
}

func siUTF8(oid, s string) siATV      { return siATV{oid, 0x0c, []byte(s)} }
func siPrintable(oid, s string) siATV { return siATV{oid, 0x13, []byte(s)} }

func siBMP(oid, s string) siATV {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return siATV{oid, 0x1e, b}
}

func siUniversal(oid, s string) siATV {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
	}
	return siATV{oid, 0x1c, b}
}

// siName is a Name's DER; each argument is one RDN.
func siName(rdns ...[]siATV) []byte {
	var sets [][]byte
	for _, rdn := range rdns {
		var atvs [][]byte
		for _, a := range rdn {
			atvs = append(atvs, siSeq(siOID(a.oid), siTLV(a.tag, a.val)))
		}
		sets = append(sets, siTLV(0x31, atvs...))
	}
	return siSeq(sets...)
}

func siRDN(atvs ...siATV) []siATV { return atvs }

const (
	siCN = "2.5.4.3"
	siO  = "2.5.4.10"
	siOU = "2.5.4.11"
)

var siKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// siMint makes a certificate with the given subject, issued by itself or
// by a CA named issuer, and returns its DER and, where Go parses it, the
// certificate (Go refuses some names, e.g. UniversalString ones, that
// OpenSSL takes).
func siMint(t *testing.T, subject, issuer []byte, edit func(*x509.Certificate)) ([]byte, *x509.Certificate) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4242),
		RawSubject:   subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	if edit != nil {
		edit(tmpl)
	}
	parent := tmpl
	if issuer != nil {
		parent = &x509.Certificate{RawSubject: issuer, SubjectKeyId: []byte{1, 2, 3, 4}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, siKey().Public(), siKey())
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return der, cert
}
