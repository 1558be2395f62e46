// GeneralName printing: the two forms OpenSSL 3.0 prints a GeneralName
// in, i2v_GENERAL_NAME (subjectAltName, issuerAltName, AKID issuers,
// info access) and GENERAL_NAME_print (CRL distribution points, name
// constraints). Mirrored so that sslinfo's extension values are the same
// with a Go-TLS server.

package pgtls

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

func v3GeneralNamesExt(der []byte) (string, error) {
	v, err := v3Parse(der)
	if err != nil || !v3IsUniversal(v, asn1.TagSequence) {
		return "", errors.New("bad GeneralNames")
	}
	vals, err := v3GeneralNames(v.Bytes)
	return v3List(vals, false), err
}

// v3GeneralNames is i2v_GENERAL_NAMES of a GeneralNames' content octets.
func v3GeneralNames(content []byte) ([]v3Conf, error) {
	elems, err := v3Elems(content)
	if err != nil {
		return nil, err
	}
	var vals []v3Conf
	for _, e := range elems {
		c, err := v3GeneralName(e)
		if err != nil {
			return nil, err
		}
		vals = append(vals, c)
	}
	return vals, nil
}

// v3LenValue is x509v3_add_len_value: a NUL in the value is an error.
func v3LenValue(name string, b []byte) (v3Conf, error) {
	if strings.IndexByte(string(b), 0) >= 0 {
		return v3Conf{}, errors.New("NUL in " + name)
	}
	return v3Conf{name, string(b)}, nil
}

// v3GeneralName is i2v_GENERAL_NAME, the form SANs, AKIDs and AIAs print.
func v3GeneralName(v asn1.RawValue) (v3Conf, error) {
	if v.Class != asn1.ClassContextSpecific {
		return v3Conf{}, errors.New("bad GeneralName")
	}
	switch v.Tag {
	case 0:
		return v3OtherName(v.Bytes)
	case 1:
		return v3LenValue("email", v.Bytes)
	case 2:
		return v3LenValue("DNS", v.Bytes)
	case 3:
		return v3Conf{"X400Name", "<unsupported>"}, nil
	case 4:
		s, err := v3NameOneline(v.Bytes)
		return v3Conf{"DirName", s}, err
	case 5:
		return v3Conf{"EdiPartyName", "<unsupported>"}, nil
	case 6:
		return v3LenValue("URI", v.Bytes)
	case 7:
		return v3Conf{"IP Address", v3IPString(v.Bytes)}, nil
	case 8:
		v.Class, v.Tag = asn1.ClassUniversal, asn1.TagOID
		s, err := v3ObjText(v, 256)
		return v3Conf{"Registered ID", s}, err
	}
	return v3Conf{}, errors.New("bad GeneralName")
}

// v3OtherNames are the otherName types OpenSSL 3.0 prints: their label
// and the string type their value must have.
var v3OtherNames = map[string]struct {
	label string
	tag   int
}{
	"1.3.6.1.5.5.7.8.9":      {"SmtpUTF8Mailbox", asn1.TagUTF8String},
	"1.3.6.1.5.5.7.8.5":      {"XmppAddr", asn1.TagUTF8String},
	"1.3.6.1.5.5.7.8.7":      {"SRVName", asn1.TagIA5String},
	"1.3.6.1.4.1.311.20.2.3": {"UPN", asn1.TagUTF8String},
	"1.3.6.1.5.5.7.8.8":      {"NAIRealm", asn1.TagUTF8String},
}

// v3OtherNameParts splits an otherName's content: type-id, [0] value.
func v3OtherNameParts(content []byte) (asn1.RawValue, asn1.RawValue, error) {
	elems, err := v3Elems(content)
	if err != nil || len(elems) != 2 || !v3IsUniversal(elems[0], asn1.TagOID) || !v3IsContext(elems[1], 0) {
		return asn1.RawValue{}, asn1.RawValue{}, errors.New("bad otherName")
	}
	value, err := v3Parse(elems[1].Bytes)
	return elems[0], value, err
}

// v3OtherName is i2v_GENERAL_NAME's otherName case in OpenSSL 3.0: a
// known type whose value has the wrong type fails.
func v3OtherName(content []byte) (v3Conf, error) {
	id, value, err := v3OtherNameParts(content)
	if err != nil {
		return v3Conf{}, err
	}
	oid, _ := v3OID(id.Bytes)
	if known, ok := v3OtherNames[oid]; ok {
		if !v3IsUniversal(value, known.tag) {
			return v3Conf{}, errors.New("bad otherName value")
		}
		return v3LenValue("othername: "+known.label+":", value.Bytes)
	}
	name, _ := v3ObjText(id, 256)
	name = "othername: " + name + ":"
	if v3IsUniversal(value, asn1.TagIA5String) || v3IsUniversal(value, asn1.TagUTF8String) {
		if c, err := v3LenValue(name, value.Bytes); err == nil {
			return c, nil
		}
	}
	return v3Conf{name, "<unsupported>"}, nil
}

// v3IPString is ossl_ipaddr_to_asc: dotted quad, eight upper-case hex
// groups, or "<invalid length=N>".
func v3IPString(b []byte) string {
	switch len(b) {
	case 4:
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	case 16:
		groups := make([]string, 8)
		for i := range groups {
			groups[i] = fmt.Sprintf("%X", int(b[2*i])<<8|int(b[2*i+1]))
		}
		return strings.Join(groups, ":")
	}
	return fmt.Sprintf("<invalid length=%d>", len(b))
}

// v3GeneralNamePrint is GENERAL_NAME_print, the form CRL distribution
// points and name constraints print.
func v3GeneralNamePrint(v asn1.RawValue) (string, error) {
	if v.Class != asn1.ClassContextSpecific {
		return "", errors.New("bad GeneralName")
	}
	switch v.Tag {
	case 0:
		id, value, err := v3OtherNameParts(v.Bytes)
		if err != nil {
			return "", err
		}
		oid, _ := v3OID(id.Bytes)
		known, ok := v3OtherNames[oid]
		if !ok || !v3IsUniversal(value, known.tag) {
			return "othername:<unsupported>", nil
		}
		return "othername:" + known.label + ":" + v3CString(value.Bytes), nil
	case 1:
		return "email:" + v3Printable(v.Bytes), nil
	case 2:
		return "DNS:" + v3Printable(v.Bytes), nil
	case 6:
		return "URI:" + v3Printable(v.Bytes), nil
	case 4:
		s, err := v3NameOnelineFlags(v.Bytes)
		return "DirName:" + s, err
	case 7:
		return "IP Address:" + v3IPString(v.Bytes), nil
	case 8:
		v.Class, v.Tag = asn1.ClassUniversal, asn1.TagOID
		s, err := v3ObjText(v, 0)
		return "Registered ID:" + s, err
	}
	c, err := v3GeneralName(v)
	return c.name + ":" + c.value, err
}

// v3Printable is ASN1_STRING_print: bytes outside ' '..'~' (but \n and
// \r) become '.'.
func v3Printable(b []byte) string {
	out := []byte(string(b))
	for i, c := range out {
		if (c < ' ' && c != '\n' && c != '\r') || c > '~' {
			out[i] = '.'
		}
	}
	return string(out)
}
