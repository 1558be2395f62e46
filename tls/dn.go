package pgtls

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The backend shows a certificate's names in two forms, both printed by
// OpenSSL from the DER, attribute by attribute:
//
//   - port->peer_dn, which clientname=DN matches: X509_NAME_print_ex with
//     XN_FLAG_RFC2253, "CN=alice,O=Example" (last RDN first, non-ASCII
//     escaped as \XX UTF-8 bytes, unknown attributes as OID=#DER);
//   - pg_stat_ssl's client_dn and issuer_dn and the log: PostgreSQL's
//     X509_NAME_to_cstring, "/O=Example/CN=alice" (in certificate order,
//     RFC 2253 escapes but non-ASCII left as UTF-8).
//
// Go's pkix.Name.String is neither, so the DER is read here.

// nameAttr is one attribute of a Name, in DER order, with the index of
// the RDN (SET) it belongs to.
type nameAttr struct {
	oid   asn1.ObjectIdentifier
	value asn1.RawValue
	rdn   int
}

type rawAttr struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rawRDNSET decodes as a SET OF (encoding/asn1 goes by the "SET" suffix).
type rawRDNSET []rawAttr

func parseName(der []byte) ([]nameAttr, error) {
	var rdns []rawRDNSET
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing data after name")
	}
	var attrs []nameAttr
	for i, rdn := range rdns {
		for _, a := range rdn {
			attrs = append(attrs, nameAttr{oid: a.Type, value: a.Value, rdn: i})
		}
	}
	return attrs, nil
}

// shortNames are OpenSSL's short names (OBJ_nid2sn) for the attributes
// found in certificate names.
var shortNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.13":                   "description",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.17":                   "postalCode",
	"2.5.4.18":                   "postOfficeBox",
	"2.5.4.20":                   "telephoneNumber",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "GN",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.45":                   "x500UniqueIdentifier",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.65":                   "pseudonym",
	"2.5.4.72":                   "role",
	"2.5.4.97":                   "organizationIdentifier",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"1.2.840.113549.1.9.2":       "unstructuredName",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.3":  "mail",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
}

// OpenSSL's ASN1_STRFLGS escape flags.
const (
	escRFC2253 = 1 << iota // \, \+ \" \\ \< \> \; and a leading # or space, a trailing space
	escCtrl                // control characters as \XX
	escMSB                 // bytes above 0x7f as \XX
)

// nameRFC2253 is X509_NAME_print_ex(..., XN_FLAG_RFC2253).
func nameRFC2253(der []byte) (string, error) {
	attrs, err := parseName(der)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := len(attrs) - 1; i >= 0; i-- {
		a := attrs[i]
		if i < len(attrs)-1 {
			if a.rdn == attrs[i+1].rdn {
				b.WriteByte('+')
			} else {
				b.WriteByte(',')
			}
		}
		sn, known := shortNames[a.oid.String()]
		if !known {
			// XN_FLAG_DUMP_UNKNOWN_FIELDS: the OID, and the value as DER.
			b.WriteString(a.oid.String() + "=" + dumpDER(a.value))
			continue
		}
		v, err := printString(a.value, escRFC2253|escCtrl|escMSB)
		if err != nil {
			return "", err
		}
		b.WriteString(sn + "=" + v)
	}
	return b.String(), nil
}

// nameSlashed is PostgreSQL's X509_NAME_to_cstring. Where the backend
// fails on an attribute OpenSSL has no name for, this writes its OID.
func nameSlashed(der []byte) (string, error) {
	attrs, err := parseName(der)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, a := range attrs {
		sn, known := shortNames[a.oid.String()]
		if !known {
			sn = a.oid.String()
		}
		v, err := printString(a.value, escRFC2253|escCtrl)
		if err != nil {
			return "", err
		}
		b.WriteString("/" + sn + "=" + v)
	}
	return b.String(), nil
}

// firstCommonName is X509_NAME_get_text_by_NID(name, NID_commonName): the
// first commonName's bytes as encoded, whatever the string type.
func firstCommonName(der []byte) ([]byte, bool) {
	attrs, err := parseName(der)
	if err != nil {
		return nil, false
	}
	for _, a := range attrs {
		if a.oid.Equal(oidCommonName) {
			return a.value.Bytes, true
		}
	}
	return nil, false
}

// printString is OpenSSL's do_print_ex with the given escapes plus
// ASN1_STRFLGS_UTF8_CONVERT | DUMP_UNKNOWN | DUMP_DER.
func printString(v asn1.RawValue, flags int) (string, error) {
	if v.Class != asn1.ClassUniversal {
		return dumpDER(v), nil
	}
	var chars []rune // each a code point, or a raw byte for UTF8String
	raw := false     // chars are bytes to print as they are
	switch data := v.Bytes; v.Tag {
	case asn1.TagUTF8String:
		// Already UTF-8: OpenSSL takes it byte by byte, unchecked.
		raw = true
		for _, c := range data {
			chars = append(chars, rune(c))
		}
	case asn1.TagNumericString, asn1.TagPrintableString, asn1.TagT61String, 21, asn1.TagIA5String,
		asn1.TagUTCTime, asn1.TagGeneralizedTime, 25, 26, asn1.TagGeneralString:
		for _, c := range data {
			chars = append(chars, rune(c))
		}
	case asn1.TagBMPString:
		if len(data)%2 != 0 {
			return "", errors.New("invalid BMPString length")
		}
		for i := 0; i < len(data); i += 2 {
			chars = append(chars, rune(data[i])<<8|rune(data[i+1]))
		}
	case 28: // UniversalString
		if len(data)%4 != 0 {
			return "", errors.New("invalid UniversalString length")
		}
		for i := 0; i < len(data); i += 4 {
			// Past U+10FFFF the value fails to print, as a surrogate
			// does below. Checked as a uint32: from 0x80000000 on, a rune
			// is negative and passed for ASCII (FuzzNames found
			// 0xFF303030 printed as "0").
			c := binary.BigEndian.Uint32(data[i:])
			if c > utf8.MaxRune {
				return "", errors.New("invalid UniversalString character")
			}
			chars = append(chars, rune(c))
		}
	default:
		return dumpDER(v), nil
	}
	var b strings.Builder
	for i, c := range chars {
		// OpenSSL marks the first character, then the last, which wins
		// for a string of one character.
		pos := 0
		if i == 0 {
			pos = escFirst
		}
		if i == len(chars)-1 {
			pos = escLast
		}
		if raw || c < 0x80 {
			escapeByte(&b, byte(c), flags, pos)
			continue
		}
		if !utf8.ValidRune(c) {
			// A surrogate: OpenSSL's UTF8_putc refuses it and the whole
			// value fails to print (3.0.19's ASN1_STRING_print_ex returns
			// -1, and d2i_X509_NAME refuses such a name outright), where
			// dropping the character printed "a\uD800b" as "ab".
			// crypto/x509 refuses these in a certificate's subject and
			// issuer; a directoryName in an extension brings them here.
			return "", errors.New("invalid character in BMPString or UniversalString")
		}
		for _, u := range []byte(string(c)) {
			escapeByte(&b, u, flags, pos)
		}
	}
	return b.String(), nil
}

// Where a character stands, for RFC 2253's first and last rules.
const (
	escFirst = 1 + iota
	escLast
)

// escapeByte is OpenSSL's do_esc_char for one byte of output.
func escapeByte(b *strings.Builder, c byte, flags, pos int) {
	if c > 0x7f {
		if flags&escMSB != 0 {
			fmt.Fprintf(b, "\\%02X", c)
		} else {
			b.WriteByte(c)
		}
		return
	}
	if flags&escRFC2253 != 0 {
		switch {
		case strings.IndexByte(`"+,;<>\`, c) >= 0,
			pos == escFirst && (c == '#' || c == ' '),
			pos == escLast && c == ' ':
			b.WriteByte('\\')
			b.WriteByte(c)
			return
		}
	}
	if flags&escCtrl != 0 && (c < 0x20 || c == 0x7f) {
		fmt.Fprintf(b, "\\%02X", c)
		return
	}
	b.WriteByte(c)
}

// dumpDER is OpenSSL's "#" and the value's DER in upper-case hex.
func dumpDER(v asn1.RawValue) string {
	return fmt.Sprintf("#%X", v.FullBytes)
}
