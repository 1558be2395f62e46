// The extensions that say where to fetch things: CRL distribution points
// (and freshestCRL) and authority/subject information access, printed as
// OpenSSL 3.0's crld and info-access printers print them, so that
// sslinfo's extension values are the same with a Go-TLS server.

package pgtls

import (
	"encoding/asn1"
	"errors"
	"strings"
)

// v3ReasonBits is OpenSSL's BIT_STRING_BITNAME table of CRL reasons, by
// bit number.
var v3ReasonBits = []string{"Unused", "Key Compromise", "CA Compromise", "Affiliation Changed",
	"Superseded", "Cessation Of Operation", "Certificate Hold", "Privilege Withdrawn", "AA Compromise"}

func v3CRLDistPoints(der []byte) (string, error) {
	points, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, p := range points {
		if i > 0 {
			b.WriteString("\n")
		}
		fields, err := v3Seq(p.FullBytes)
		if err != nil {
			return "", err
		}
		for _, f := range fields {
			switch {
			case v3IsContext(f, 0): // distributionPoint, an explicit CHOICE
				name, err := v3Parse(f.Bytes)
				if err != nil || !v3IsContext(name, 0) {
					// Go's x509 refuses nameRelativeToCRLIssuer as well.
					return "", errors.New("unsupported DistributionPointName")
				}
				b.WriteString("Full Name:\n")
				if err := v3PrintGens(&b, name.Bytes); err != nil {
					return "", err
				}
			case v3IsContext(f, 1):
				f.Tag = asn1.TagBitString
				bits, err := v3Bits(f)
				if err != nil {
					return "", err
				}
				var names []string
				for n, name := range v3ReasonBits {
					if v3BitSet(bits, n) {
						names = append(names, name)
					}
				}
				if len(names) == 0 {
					b.WriteString("Reasons:\n  <EMPTY>\n")
				} else {
					b.WriteString("Reasons:\n  " + strings.Join(names, ", ") + "\n")
				}
			case v3IsContext(f, 2):
				b.WriteString("CRL Issuer:\n")
				if err := v3PrintGens(&b, f.Bytes); err != nil {
					return "", err
				}
			default:
				return "", errors.New("bad DistributionPoint")
			}
		}
	}
	return b.String(), nil
}

// v3PrintGens is crld's print_gens: one GENERAL_NAME_print per line,
// indented by two.
func v3PrintGens(b *strings.Builder, content []byte) error {
	gens, err := v3Elems(content)
	if err != nil {
		return err
	}
	for i, g := range gens {
		if i > 0 {
			b.WriteString("\n")
		}
		s, err := v3GeneralNamePrint(g)
		if err != nil {
			return err
		}
		b.WriteString("  " + s)
	}
	return nil
}

func v3InfoAccess(der []byte) (string, error) {
	descs, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	var vals []v3Conf
	for _, d := range descs {
		fields, err := v3Seq(d.FullBytes)
		if err != nil || len(fields) != 2 {
			return "", errors.New("bad AccessDescription")
		}
		method, err := v3ObjText(fields[0], 80)
		if err != nil {
			return "", err
		}
		c, err := v3GeneralName(fields[1])
		if err != nil {
			return "", err
		}
		vals = append(vals, v3Conf{method + " - " + c.name, c.value})
	}
	return v3List(vals, true), nil
}
