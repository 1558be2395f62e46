// Certificate policies and the constraints a CA puts on the chain below
// it (policy mappings, policy constraints, name constraints), printed as
// OpenSSL 3.0's cpols, pmaps, pcons and ncons printers print them, so
// that sslinfo's extension values are the same with a Go-TLS server.

package pgtls

import (
	"encoding/asn1"
	"errors"
	"strings"
)

func v3CertPolicies(der []byte) (string, error) {
	policies, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, p := range policies {
		if i > 0 {
			b.WriteString("\n")
		}
		fields, err := v3Seq(p.FullBytes)
		if err != nil || len(fields) == 0 {
			return "", errors.New("bad PolicyInformation")
		}
		id, err := v3ObjText(fields[0], 0)
		if err != nil {
			return "", err
		}
		b.WriteString("Policy: " + id)
		if len(fields) > 1 {
			b.WriteString("\n")
			if err := v3Qualifiers(&b, fields[1].FullBytes, 2); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

// v3Qualifiers is cpols's print_qualifiers.
func v3Qualifiers(b *strings.Builder, der []byte, indent int) error {
	quals, err := v3Seq(der)
	if err != nil {
		return err
	}
	pad := strings.Repeat(" ", indent)
	for i, q := range quals {
		if i > 0 {
			b.WriteString("\n")
		}
		fields, err := v3Seq(q.FullBytes)
		if err != nil || len(fields) != 2 || !v3IsUniversal(fields[0], asn1.TagOID) {
			return errors.New("bad PolicyQualifierInfo")
		}
		oid, err := v3OID(fields[0].Bytes)
		if err != nil {
			return err
		}
		switch oid {
		case "1.3.6.1.5.5.7.2.1": // id-qt-cps
			if !v3IsUniversal(fields[1], asn1.TagIA5String) {
				return errors.New("bad CPS")
			}
			b.WriteString(pad + "CPS: " + v3CString(fields[1].Bytes))
		case "1.3.6.1.5.5.7.2.2": // id-qt-unotice
			b.WriteString(pad + "User Notice:\n")
			if err := v3Notice(b, fields[1].FullBytes, indent+2); err != nil {
				return err
			}
		default:
			name, _ := v3ObjText(fields[0], 0)
			b.WriteString(pad + "  Unknown Qualifier: " + name)
		}
	}
	return nil
}

// v3DisplayText checks a DisplayText and returns it as %.*s prints it.
func v3DisplayText(v asn1.RawValue) (string, error) {
	switch {
	case v3IsUniversal(v, asn1.TagIA5String), v3IsUniversal(v, 26), // VisibleString
		v3IsUniversal(v, asn1.TagBMPString), v3IsUniversal(v, asn1.TagUTF8String):
		return v3CString(v.Bytes), nil
	}
	return "", errors.New("bad DisplayText")
}

// v3Notice is cpols's print_notice.
func v3Notice(b *strings.Builder, der []byte, indent int) error {
	fields, err := v3Seq(der)
	if err != nil {
		return err
	}
	pad := strings.Repeat(" ", indent)
	hasRef := len(fields) > 0 && v3IsUniversal(fields[0], asn1.TagSequence)
	if hasRef {
		ref, err := v3Seq(fields[0].FullBytes)
		if err != nil || len(ref) != 2 {
			return errors.New("bad NoticeReference")
		}
		org, err := v3DisplayText(ref[0])
		if err != nil {
			return err
		}
		nums, err := v3Seq(ref[1].FullBytes)
		if err != nil {
			return err
		}
		plural := ""
		if len(nums) > 1 {
			plural = "s"
		}
		b.WriteString(pad + "Organization: " + org + "\n" + pad + "Number" + plural + ": ")
		for i, n := range nums {
			if i > 0 {
				b.WriteString(", ")
			}
			if !v3IsUniversal(n, asn1.TagInteger) {
				return errors.New("bad notice number")
			}
			s, err := v3IntString(n.Bytes)
			if err != nil {
				return err
			}
			b.WriteString(s)
		}
		fields = fields[1:]
	}
	if len(fields) > 0 {
		text, err := v3DisplayText(fields[0])
		if err != nil {
			return err
		}
		if hasRef {
			b.WriteString("\n")
		}
		b.WriteString(pad + "Explicit Text: " + text)
	}
	return nil
}

func v3PolicyConstraints(der []byte) (string, error) {
	fields, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	var vals []v3Conf
	for _, f := range fields {
		name := "Require Explicit Policy"
		if v3IsContext(f, 1) {
			name = "Inhibit Policy Mapping"
		} else if !v3IsContext(f, 0) {
			return "", errors.New("bad PolicyConstraints")
		}
		n, err := v3IntString(f.Bytes)
		if err != nil {
			return "", err
		}
		vals = append(vals, v3Conf{name, n})
	}
	if len(vals) == 0 {
		return "", v3ErrNoValues
	}
	return v3List(vals, false), nil
}

func v3PolicyMappings(der []byte) (string, error) {
	maps, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	var vals []v3Conf
	for _, m := range maps {
		pair, err := v3Seq(m.FullBytes)
		if err != nil || len(pair) != 2 {
			return "", errors.New("bad PolicyMapping")
		}
		issuer, err1 := v3ObjText(pair[0], 80)
		subject, err2 := v3ObjText(pair[1], 80)
		if err := errors.Join(err1, err2); err != nil {
			return "", err
		}
		vals = append(vals, v3Conf{issuer, subject})
	}
	if len(vals) == 0 {
		return "", v3ErrNoValues
	}
	return v3List(vals, false), nil
}

func v3NameConstraints(der []byte) (string, error) {
	fields, err := v3Seq(der)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, f := range fields {
		label := "Permitted"
		if v3IsContext(f, 1) {
			label = "Excluded"
		} else if !v3IsContext(f, 0) {
			return "", errors.New("bad NameConstraints")
		}
		if i > 0 {
			b.WriteString("\n")
		}
		trees, err := v3Elems(f.Bytes)
		if err != nil {
			return "", err
		}
		if len(trees) > 0 {
			b.WriteString(label + ":\n")
		}
		for j, t := range trees {
			if j > 0 {
				b.WriteString("\n")
			}
			tree, err := v3Seq(t.FullBytes)
			if err != nil || len(tree) == 0 {
				return "", errors.New("bad GeneralSubtree")
			}
			base := tree[0]
			b.WriteString("  ")
			if v3IsContext(base, 7) {
				// print_nc_ipadd: address and mask.
				n := len(base.Bytes)
				half := n
				if n >= 16 {
					half = 16
				} else if n >= 4 {
					half = 4
				}
				b.WriteString("IP:" + v3IPString(base.Bytes[:half]) + "/" + v3IPString(base.Bytes[half:]))
				continue
			}
			s, err := v3GeneralNamePrint(base)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		}
	}
	return b.String(), nil
}
