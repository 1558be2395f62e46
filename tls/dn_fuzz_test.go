package pgtls

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNames: the two forms of a certificate name the backend gets
// (port->peer_dn in RFC 2253 form, pg_stat_ssl's slashed form) and
// sslinfo's fields, for any DER name.
//
//   - parseName takes every name crypto/x509/pkix takes, with the same
//     attributes in the same RDNs;
//   - the RFC 2253 form is printable ASCII and unambiguous: split at its
//     unescaped separators and unescaped, it gives back each attribute's
//     name and value (clientname=DN compares these strings);
//   - neither form holds a control character or NUL (the backend takes
//     them as C strings), both fail exactly on the strings OpenSSL cannot
//     print (see unprintable), both are at most 5 bytes per byte of DER;
//   - NameField finds the first attribute of the field, valued as in the
//     slashed form, and refuses an unknown field name whatever the name;
//   - all of it is deterministic.
func FuzzNames(f *testing.F) {
	fields := []string{"CN", "O", "commonName", "2.5.4.3", "emailAddress", "DC", "x500UniqueIdentifier", "invalid", ""}
	i := 0
	add := func(der []byte) {
		f.Add(der, fields[i%len(fields)])
		i++
	}
	for _, c := range dnCases(f) {
		add(c.der)
	}
	for _, der := range siNames() {
		add(der)
	}
	add(siIssuer())
	f.Fuzz(func(t *testing.T, der []byte, field string) {
		attrs, perr := parseName(der)
		var seq pkix.RDNSequence
		if rest, err := asn1.Unmarshal(der, &seq); err == nil && len(rest) == 0 {
			if perr != nil {
				t.Fatalf("crypto/x509/pkix reads the name, parseName does not: %v", perr)
			}
			var n int
			for r, rdn := range seq {
				for _, a := range rdn {
					if n >= len(attrs) || !attrs[n].oid.Equal(a.Type) || attrs[n].rdn != r {
						t.Fatalf("attribute %d: parseName and pkix differ", n)
					}
					n++
				}
			}
			if n != len(attrs) {
				t.Fatalf("parseName has %d attributes, pkix %d", len(attrs), n)
			}
		}

		dn, err := nameRFC2253(der)
		slashed, serr := nameSlashed(der)
		if dn2, err2 := nameRFC2253(der); dn2 != dn || (err2 == nil) != (err == nil) {
			t.Fatal("nameRFC2253 is not deterministic")
		}
		if perr != nil {
			if err == nil || serr == nil {
				t.Fatal("a name that does not parse printed")
			}
		} else {
			// Which strings cannot be printed, by attribute.
			var bad, badKnown bool
			for _, a := range attrs {
				_, known := shortNames[a.oid.String()]
				u := unprintable(a.value)
				bad = bad || u
				badKnown = badKnown || u && known
			}
			if (err != nil) != badKnown || (serr != nil) != bad {
				t.Fatalf("errors %v, %v; want them exactly for unprintable strings", err, serr)
			}
		}
		if err == nil {
			if len(dn) > 5*len(der) {
				t.Errorf("RFC 2253 form of %d bytes for %d bytes of DER", len(dn), len(der))
			}
			for i := 0; i < len(dn); i++ {
				if dn[i] < 0x20 || dn[i] > 0x7e {
					t.Fatalf("RFC 2253 form %q has byte %#x", dn, dn[i])
				}
			}
			checkRFC2253(t, dn, attrs)
		}
		if serr == nil {
			if len(slashed) > 5*len(der) {
				t.Errorf("slashed form of %d bytes for %d bytes of DER", len(slashed), len(der))
			}
			if i := strings.IndexFunc(slashed, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
				t.Fatalf("slashed form %q has a control character", slashed)
			}
			if len(attrs) > 0 && !strings.HasPrefix(slashed, "/") {
				t.Errorf("slashed form %q", slashed)
			}
		}

		value, ok, ferr := NameField(der, field)
		oid, knownField := v3FieldOID(field)
		switch {
		case !knownField:
			if ferr == nil || !strings.Contains(ferr.Error(), "invalid X.509 field name") {
				t.Fatalf("field %q: %v, want an invalid field name", field, ferr)
			}
		case perr != nil:
			if ferr == nil {
				t.Fatal("NameField read a name that does not parse")
			}
		default:
			var first *nameAttr
			for i := range attrs {
				if attrs[i].oid.String() == oid {
					first = &attrs[i]
					break
				}
			}
			if ferr != nil || ok != (first != nil) {
				t.Fatalf("field %q: found %v, %v; the name has it: %v", field, ok, ferr, first != nil)
			}
			if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("field value %q has a control character", value)
			}
			if first != nil && !(first.value.Class == asn1.ClassUniversal && first.value.Tag == asn1.TagBitString) {
				if want, err := printString(first.value, escRFC2253|escCtrl); err == nil && value != want ||
					err != nil && value != "" {
					t.Errorf("field %q is %q, the slashed form has %q (%v)", field, value, want, err)
				}
			}
		}
		if cn, ok := firstCommonName(der); ok && perr == nil {
			for _, a := range attrs {
				if a.oid.Equal(oidCommonName) {
					if !bytes.Equal(cn, a.value.Bytes) {
						t.Errorf("firstCommonName %q, the first CN is %q", cn, a.value.Bytes)
					}
					break
				}
			}
		}
	})
}

// unprintable reports whether OpenSSL fails to print a string: a
// BMPString or UniversalString of a length not a multiple of its
// character size, or with a surrogate or a character past U+10FFFF.
func unprintable(v asn1.RawValue) bool {
	w := map[int]int{asn1.TagBMPString: 2, 28: 4}[v.Tag]
	if v.Class != asn1.ClassUniversal || w == 0 {
		return false
	}
	if len(v.Bytes)%w != 0 {
		return true
	}
	for i := 0; i < len(v.Bytes); i += w {
		var c uint32
		for _, b := range v.Bytes[i : i+w] {
			c = c<<8 | uint32(b)
		}
		if c >= 0xD800 && c <= 0xDFFF || c > 0x10FFFF {
			return true
		}
	}
	return false
}

// checkRFC2253 splits an RFC 2253 name at its unescaped ',' and '+',
// unescapes each value and checks it against the attributes (which it
// lists last first).
func checkRFC2253(t *testing.T, dn string, attrs []nameAttr) {
	t.Helper()
	type part struct {
		typ   string
		value []byte
		dump  bool // "#" and hex: the DER
		plus  bool // joined to the next by '+'
	}
	var parts []part
	// A value of the one character "#" is not escaped (OpenSSL's rule for
	// the last character wins): it is no dump, which has at least 4 digits.
	finish := func(p part) part {
		if p.dump && len(p.value) == 0 {
			p.dump, p.value = false, []byte("#")
		}
		return p
	}
	if dn != "" {
		cur := part{}
		inValue := false
		for i := 0; i < len(dn); i++ {
			c := dn[i]
			switch {
			case !inValue && c == '=':
				inValue = true
				if i+1 < len(dn) && dn[i+1] == '#' {
					cur.dump = true
					i++
				}
			case !inValue:
				cur.typ += string(c)
			case c == '\\':
				if i+1 >= len(dn) {
					t.Fatalf("%q ends in a backslash", dn)
				}
				if strings.IndexByte(`"+,;<>\ #`, dn[i+1]) >= 0 {
					cur.value = append(cur.value, dn[i+1])
					i++
					break
				}
				b, err := hex.DecodeString(dn[i+1 : min(i+3, len(dn))])
				if err != nil || len(b) != 1 || strings.ToUpper(dn[i+1:i+3]) != dn[i+1:i+3] {
					t.Fatalf("%q: bad escape at %d", dn, i)
				}
				cur.value = append(cur.value, b...)
				i += 2
			case c == ',' || c == '+':
				cur.plus = c == '+'
				parts = append(parts, finish(cur))
				cur, inValue = part{}, false
			case strings.IndexByte(`"+,;<>\`, c) >= 0 && !cur.dump:
				t.Fatalf("%q: unescaped %q at %d", dn, c, i)
			default:
				cur.value = append(cur.value, c)
			}
		}
		parts = append(parts, finish(cur))
	}
	if len(parts) != len(attrs) {
		t.Fatalf("%q splits into %d attributes, the name has %d", dn, len(parts), len(attrs))
	}
	for i, p := range parts {
		a := attrs[len(attrs)-1-i]
		if i > 0 && parts[i-1].plus != (attrs[len(attrs)-i].rdn == a.rdn) {
			t.Errorf("%q: separator before attribute %d does not match the RDNs", dn, i)
		}
		sn, known := shortNames[a.oid.String()]
		if !known {
			sn = a.oid.String()
		}
		if p.typ != sn {
			t.Errorf("%q: attribute %d is %q, want %q", dn, i, p.typ, sn)
		}
		v := a.value
		want, text := []byte(nil), true
		if v.Class == asn1.ClassUniversal {
			switch v.Tag {
			case asn1.TagUTF8String:
				want = v.Bytes
			case asn1.TagNumericString, asn1.TagPrintableString, asn1.TagT61String, 21, asn1.TagIA5String,
				asn1.TagUTCTime, asn1.TagGeneralizedTime, 25, 26, asn1.TagGeneralString:
				for _, c := range v.Bytes { // Latin-1
					want = utf8.AppendRune(want, rune(c))
				}
			case asn1.TagBMPString, 28:
				w := 2
				if v.Tag == 28 {
					w = 4
				}
				for j := 0; j+w <= len(v.Bytes); j += w {
					var r rune
					for _, c := range v.Bytes[j : j+w] {
						r = r<<8 | rune(c)
					}
					want = utf8.AppendRune(want, r)
				}
			default:
				text = false
			}
		} else {
			text = false
		}
		if !known || !text {
			if !p.dump || !bytes.Equal(p.value, []byte(strings.ToUpper(hex.EncodeToString(v.FullBytes)))) {
				t.Errorf("%q: attribute %d is not the dump of its DER %x", dn, i, v.FullBytes)
			}
			continue
		}
		if p.dump || !bytes.Equal(p.value, want) {
			t.Errorf("%q: attribute %d reads back as %q, want %q", dn, i, p.value, want)
		}
	}
}
