// Extensions: what contrib/sslinfo's ssl_extension_info returns, the
// table that picks a printer by OID, and the printers of the simple
// extensions. sslinfo prints each extension with X509V3_EXT_print(bio,
// ext, 0, 0) under its OBJ_nid2sn name; this mirrors OpenSSL 3.0's output
// so that sslinfo gives the same answers with a Go-TLS server.
//
// Only the common certificate extensions have a printer; the rest are
// errors (see Extensions). The formats are OpenSSL 3.0.19's, which the
// 3.0 branch has changed across patch releases (othername's "::",
// DirName's "\/" and "+"); TestSSLInfoExtensions and TestSSLInfoCOracle
// check them against the installed OpenSSL.

package pgtls

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

// Extension is one row of ssl_extension_info().
type Extension struct {
	Name     string // OBJ_nid2sn of the extension's OID
	Value    string // what X509V3_EXT_print(bio, ext, 0, 0) prints
	Critical bool
}

// Extensions is ssl_extension_info() for cert, in certificate order. Where
// sslinfo raises an error at an extension, Extensions returns the rows
// before it with that error: an OID missing from v3ObjectTable gives
// sslinfo's "unknown OpenSSL extension", and one without a printer here
// (OpenSSL has none for some, e.g. qcStatements; pgtls has none for
// ct_precert_scts, privateKeyUsagePeriod, RFC 3779 and proxyCertInfo), or
// that does not parse, its "could not print extension value".
func Extensions(cert *x509.Certificate) ([]Extension, error) {
	if cert == nil {
		return nil, nil // no client certificate: no rows
	}
	var rows []Extension
	for i, e := range cert.Extensions {
		o, ok := v3Objects().byOID[e.Id.String()]
		if !ok {
			return rows, fmt.Errorf("unknown OpenSSL extension in certificate at position %d", i)
		}
		value, err := "", errors.New("no printer for "+o.sn)
		if p := v3Printers[o.oid]; p != nil {
			value, err = p(e.Value)
		}
		if err != nil {
			return rows, fmt.Errorf("could not print extension value in certificate at position %d: %w", i, err)
		}
		rows = append(rows, Extension{Name: o.sn, Value: value, Critical: e.Critical})
	}
	return rows, nil
}

// v3Printers are X509V3_EXT_print for the extensions pgtls prints, by
// OID; the longer printers have files of their own.
var v3Printers = map[string]func([]byte) (string, error){
	"2.5.29.14":               v3SubjectKeyID,
	"2.5.29.15":               v3BitNames(v3KeyUsageBits),
	"2.5.29.17":               v3GeneralNamesExt,
	"2.5.29.18":               v3GeneralNamesExt,
	"2.5.29.19":               v3BasicConstraints,
	"2.5.29.30":               v3NameConstraints,
	"2.5.29.31":               v3CRLDistPoints,
	"2.5.29.32":               v3CertPolicies,
	"2.5.29.33":               v3PolicyMappings,
	"2.5.29.35":               v3AuthorityKeyID,
	"2.5.29.36":               v3PolicyConstraints,
	"2.5.29.37":               v3ExtKeyUsage,
	"2.5.29.46":               v3CRLDistPoints, // freshestCRL
	"2.5.29.54":               v3Integer,
	"1.3.6.1.5.5.7.1.1":       v3InfoAccess,
	"1.3.6.1.5.5.7.1.11":      v3InfoAccess,
	"1.3.6.1.5.5.7.1.24":      v3TLSFeature,
	"1.3.6.1.5.5.7.48.1.5":    func([]byte) (string, error) { return "", nil },     // noCheck
	"1.3.6.1.4.1.11129.2.4.3": func([]byte) (string, error) { return "NULL", nil }, // ct_precert_poison
	"2.16.840.1.113730.1.1":   v3BitNames(v3NSCertTypeBits),
	"2.16.840.1.113730.1.2":   v3IA5,
	"2.16.840.1.113730.1.3":   v3IA5,
	"2.16.840.1.113730.1.4":   v3IA5,
	"2.16.840.1.113730.1.7":   v3IA5,
	"2.16.840.1.113730.1.8":   v3IA5,
	"2.16.840.1.113730.1.12":  v3IA5,
	"2.16.840.1.113730.1.13":  v3IA5,
}

// BIT_STRING_BITNAME tables of OpenSSL, by bit number.
var (
	v3KeyUsageBits = []string{"Digital Signature", "Non Repudiation", "Key Encipherment",
		"Data Encipherment", "Key Agreement", "Certificate Sign", "CRL Sign", "Encipher Only", "Decipher Only"}
	v3NSCertTypeBits = []string{"SSL Client", "SSL Server", "S/MIME", "Object Signing",
		"Unused", "SSL CA", "S/MIME CA", "Object Signing CA"}
)

// v3Conf is OpenSSL's CONF_VALUE; v3List is X509V3_EXT_val_prn: "name:value"
// (or whichever is set) joined by ", ", or on lines for multi-line
// extensions. An empty list prints "<EMPTY>\n"; a missing one (the i2v
// returned NULL) makes X509V3_EXT_print fail.
type v3Conf struct{ name, value string }

func v3List(vals []v3Conf, multiline bool) string {
	if len(vals) == 0 {
		return "<EMPTY>\n"
	}
	parts := make([]string, len(vals))
	for i, c := range vals {
		parts[i] = c.name + ":" + c.value
		if c.name == "" {
			parts[i] = c.value
		}
	}
	if multiline {
		return strings.Join(parts, "\n")
	}
	return strings.Join(parts, ", ")
}

var v3ErrNoValues = errors.New("nothing to print") // an i2v that returned NULL

func v3BasicConstraints(der []byte) (string, error) {
	elems, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	ca := false
	if len(elems) > 0 && v3IsUniversal(elems[0], asn1.TagBoolean) {
		if len(elems[0].Bytes) != 1 {
			return "", errors.New("bad BOOLEAN")
		}
		ca = elems[0].Bytes[0] != 0
		elems = elems[1:]
	}
	out := "CA:FALSE"
	if ca {
		out = "CA:TRUE"
	}
	if len(elems) > 0 {
		if !v3IsUniversal(elems[0], asn1.TagInteger) {
			return "", errors.New("bad pathLenConstraint")
		}
		n, err := v3IntString(elems[0].Bytes)
		if err != nil {
			return "", err
		}
		out += ", pathlen:" + n
	}
	return out, nil
}

// v3BitNames prints a named BIT STRING (i2v_ASN1_BIT_STRING).
func v3BitNames(names []string) func([]byte) (string, error) {
	return func(der []byte) (string, error) {
		v, err := v3Parse(der)
		if err != nil {
			return "", err
		}
		bits, err := v3Bits(v)
		if err != nil {
			return "", err
		}
		var set []string
		for i, name := range names {
			if v3BitSet(bits, i) {
				set = append(set, name)
			}
		}
		if len(set) == 0 {
			return "", v3ErrNoValues
		}
		return strings.Join(set, ", "), nil
	}
}

func v3ExtKeyUsage(der []byte) (string, error) {
	elems, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	if len(elems) == 0 {
		return "", v3ErrNoValues
	}
	var parts []string
	for _, e := range elems {
		s, err := v3ObjText(e, 80)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", "), nil
}

func v3SubjectKeyID(der []byte) (string, error) {
	v, err := v3Parse(der)
	if err != nil || !v3IsUniversal(v, asn1.TagOctetString) {
		return "", errors.New("bad subjectKeyIdentifier")
	}
	return v3HexColon(v.Bytes), nil
}

func v3AuthorityKeyID(der []byte) (string, error) {
	elems, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	var keyID, serial []byte
	var issuer []v3Conf
	hasKeyID, hasIssuer, hasSerial := false, false, false
	for _, e := range elems {
		switch {
		case v3IsContext(e, 0):
			keyID, hasKeyID = e.Bytes, true
		case v3IsContext(e, 1):
			hasIssuer = true
			if issuer, err = v3GeneralNames(e.Bytes); err != nil {
				return "", err
			}
		case v3IsContext(e, 2):
			n, err := v3BigInt(e.Bytes)
			if err != nil {
				return "", err
			}
			// i2s_ASN1_OCTET_STRING of the INTEGER as OpenSSL stores it:
			// its magnitude, at least one byte.
			if serial = n.Abs(n).Bytes(); len(serial) == 0 {
				serial = []byte{0}
			}
			hasSerial = true
		default:
			return "", errors.New("bad authorityKeyIdentifier")
		}
	}
	var vals []v3Conf
	if hasKeyID {
		name := ""
		if hasIssuer || hasSerial {
			name = "keyid"
		}
		vals = append(vals, v3Conf{name, v3HexColon(keyID)})
	}
	vals = append(vals, issuer...)
	if hasSerial {
		vals = append(vals, v3Conf{"serial", v3HexColon(serial)})
	}
	if !hasKeyID && !hasIssuer && !hasSerial {
		return "", v3ErrNoValues
	}
	// An empty issuer alone is an empty list, not a missing one.
	return v3List(vals, true), nil
}

func v3Integer(der []byte) (string, error) {
	v, err := v3Parse(der)
	if err != nil || !v3IsUniversal(v, asn1.TagInteger) {
		return "", errors.New("bad INTEGER")
	}
	return v3IntString(v.Bytes)
}

func v3TLSFeature(der []byte) (string, error) {
	elems, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, e := range elems {
		if !v3IsUniversal(e, asn1.TagInteger) {
			return "", errors.New("bad TLS feature")
		}
		s, err := v3IntString(e.Bytes)
		if err != nil {
			return "", err
		}
		switch s {
		case "5":
			s = "status_request"
		case "17":
			s = "status_request_v2"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "", v3ErrNoValues
	}
	return strings.Join(parts, ", "), nil
}

// v3IA5 is i2s_ASN1_IA5STRING (Netscape's string extensions): the string
// up to a NUL; an empty one fails.
func v3IA5(der []byte) (string, error) {
	v, err := v3Parse(der)
	if err != nil || !v3IsUniversal(v, asn1.TagIA5String) || len(v.Bytes) == 0 {
		return "", errors.New("bad IA5String")
	}
	return v3CString(v.Bytes), nil
}
