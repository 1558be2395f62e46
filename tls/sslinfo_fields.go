// NameField: what contrib/sslinfo's ssl_client_dn_field and
// ssl_issuer_field return for a field of a certificate's subject or
// issuer. sslinfo asks OpenSSL for these strings; this mirrors OpenSSL
// 3.0 so that sslinfo gives the same answers with a Go-TLS server.
//
// sslinfo looks the field name up with OBJ_txt2nid, takes the first entry
// with that NID, and prints it with ASN1_STRING_print_ex (RFC 2253 escapes
// minus ESC_MSB, UTF-8 converted): so "a,b" comes back as `a\,b`, which
// is what printString does. A name OpenSSL knows beyond v3ObjectTable (say
// "sha256") is an invalid field name here where sslinfo returns NULL.

package pgtls

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// NameField is sslinfo's X509_NAME_field_to_text for a DER Name
// (cert.RawSubject or cert.RawIssuer). field is an OpenSSL short name
// ("CN"), long name ("commonName") or dotted OID ("2.5.4.3"). ok is false
// where sslinfo returns NULL: the name has no such attribute.
func NameField(rawName []byte, field string) (value string, ok bool, err error) {
	oid, known := v3FieldOID(field)
	if !known {
		return "", false, errors.New(`invalid X.509 field name: "` + field + `"`)
	}
	attrs, err := parseName(rawName)
	if err != nil {
		return "", false, fmt.Errorf("parsing X.509 name: %w", err)
	}
	for _, a := range attrs {
		if a.oid.String() == oid {
			return v3EntryText(a.value), true, nil
		}
	}
	return "", false, nil
}

// v3EntryText is sslinfo's ASN1_STRING_to_text of a name entry's value.
func v3EntryText(v asn1.RawValue) string {
	if v3IsUniversal(v, asn1.TagBitString) {
		// Dumped as OpenSSL re-encodes it: unused bits cleared.
		if bits, err := v3Bits(v); err == nil {
			full := append([]byte(nil), v.FullBytes...)
			copy(full[len(full)-len(bits):], bits)
			v.FullBytes = full
		}
	}
	// sslinfo ignores ASN1_STRING_print_ex failing (on a BMPString of odd
	// length, which OpenSSL would not load anyway): its buffer stays empty.
	text, err := printString(v, escRFC2253|escCtrl)
	if err != nil {
		return ""
	}
	return text
}

// v3FieldOID is OBJ_txt2nid: a short name, else a long name, else a
// dotted OID, which must be one OpenSSL knows.
func v3FieldOID(field string) (string, bool) {
	objs := v3Objects()
	if o, ok := objs.bySN[field]; ok {
		return o.oid, true
	}
	if o, ok := objs.byLN[field]; ok {
		return o.oid, true
	}
	oid, ok := v3ParseOID(field)
	if _, known := objs.byOID[oid]; !ok || !known {
		return "", false
	}
	return oid, true
}

// v3ParseOID is a2d_ASN1_OBJECT, which is lax: '.' or ' ' separate arcs,
// an empty arc is 0, a final separator is ignored ("2.5.4.3." and
// "2 5 4 03" are 2.5.4.3).
func v3ParseOID(s string) (string, bool) {
	if len(s) < 3 || s[0] < '0' || s[0] > '2' || (s[1] != '.' && s[1] != ' ') {
		return "", false
	}
	var arcs []*big.Int
	for rest := s[2:]; ; {
		i := strings.IndexAny(rest, ". ")
		digits := rest
		if i >= 0 {
			digits = rest[:i]
		}
		n := new(big.Int)
		for _, c := range digits {
			if c < '0' || c > '9' {
				return "", false
			}
			n.Mul(n, big.NewInt(10)).Add(n, big.NewInt(int64(c-'0')))
		}
		arcs = append(arcs, n)
		if i < 0 || i == len(rest)-1 {
			break
		}
		rest = rest[i+1:]
	}
	if s[0] < '2' && arcs[0].Cmp(big.NewInt(40)) >= 0 {
		return "", false
	}
	out := s[:1]
	for _, a := range arcs {
		out += "." + a.String()
	}
	return out, true
}
