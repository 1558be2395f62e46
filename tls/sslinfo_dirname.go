// DirName printing: the two forms OpenSSL 3.0 prints a directoryName
// GeneralName in, X509_NAME_oneline for i2v_GENERAL_NAME and
// X509_NAME_print_ex with XN_FLAG_ONELINE for GENERAL_NAME_print.
// Mirrored so that sslinfo's extension values are the same with a Go-TLS
// server.

package pgtls

import (
	"fmt"
	"strings"
)

// v3NameOneline is X509_NAME_oneline of a DER Name into a 256-byte
// buffer: "/CN=x+O=y/OU=z" ('+' within an RDN), short names, '/' and '+'
// escaped, bytes outside ' '..'~' as \xHH; entries that do not fit are
// left out.
func v3NameOneline(der []byte) (string, error) {
	attrs, err := parseName(der)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, a := range attrs {
		var e strings.Builder
		if i > 0 && a.rdn == attrs[i-1].rdn {
			e.WriteString("+")
		} else {
			e.WriteString("/")
		}
		e.WriteString(v3ShortName(a.oid.String()) + "=")
		for _, c := range a.value.Bytes {
			switch {
			case c < ' ' || c > '~':
				fmt.Fprintf(&e, "\\x%02X", c)
			case c == '/' || c == '+':
				e.WriteString("\\" + string(c))
			default:
				e.WriteByte(c)
			}
		}
		if b.Len()+e.Len() > 255 {
			break
		}
		b.WriteString(e.String())
	}
	return b.String(), nil
}

// v3NameOnelineFlags is X509_NAME_print_ex(bio, name, 0, XN_FLAG_ONELINE):
// "CN = x, O = y", values quoted where RFC 2253 would escape.
func v3NameOnelineFlags(der []byte) (string, error) {
	attrs, err := parseName(der)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, a := range attrs {
		if i > 0 {
			if a.rdn == attrs[i-1].rdn {
				b.WriteString(" + ")
			} else {
				b.WriteString(", ")
			}
		}
		v, err := printString(a.value, escRFC2253|escCtrl|escMSB)
		if err != nil {
			return "", err
		}
		b.WriteString(v3ShortName(a.oid.String()) + " = " + v3Quote(v))
	}
	return b.String(), nil
}

// v3Quote redoes an escaped value the ESC_QUOTE way: the characters that
// RFC 2253 escapes with a backslash and OpenSSL's charmap marks for
// quoting (space, #, +, comma, ;, <, >) are left as they are and the
// value is put in quotes; \", \\ and the \XX of control and high bytes
// stay.
func v3Quote(escaped string) string {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		if c == '\\' && i+1 < len(escaped) && strings.IndexByte(" #+,;<>", escaped[i+1]) >= 0 {
			quoted = true
			continue
		}
		if c == '\\' && i+1 < len(escaped) {
			b.WriteByte(c)
			i++
			c = escaped[i]
		}
		b.WriteByte(c)
	}
	if !quoted {
		return escaped
	}
	return `"` + b.String() + `"`
}
