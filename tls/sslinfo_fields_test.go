// Tests of NameField against the openssl binary: subjects full of string
// types, escapes and repeated attributes, read with field names valid and
// not, so that every field sslinfo can be asked for answers as OpenSSL
// 3.0 does.

package pgtls

import (
	"testing"
)

// siIssuer is the issuer of the minted certificates: a multi-valued RDN
// and a repeated attribute, so that issuer fields are tested too.
func siIssuer() []byte {
	return siName(siRDN(siUTF8(siCN, "Issuer CA"), siUTF8(siO, "first O")), siRDN(siUTF8(siO, "second O")))
}

// siNames are subjects to read fields from.
func siNames() map[string][]byte {
	return map[string][]byte{
		"simple": siName(siRDN(siPrintable("2.5.4.6", "DE")), siRDN(siUTF8(siO, "PGDG")),
			siRDN(siUTF8(siCN, "ssltestuser"))),
		"multi-valued RDN": siName(siRDN(siUTF8(siCN, "a"), siUTF8(siO, "b, c")),
			siRDN(siUTF8(siOU, "x")), siRDN(siUTF8(siCN, "second"))),
		"repeated": siName(siRDN(siUTF8(siOU, "first")), siRDN(siUTF8(siOU, "second")),
			siRDN(siUTF8("0.9.2342.19200300.100.1.25", "org"), siUTF8("0.9.2342.19200300.100.1.25", "example"))),
		"string types": siName(
			siRDN(siUTF8(siCN, "Ολυμπία")),
			siRDN(siBMP(siO, "Zoë ☃")),                            // OpenSSL refuses surrogates
			siRDN(siATV{"2.5.4.7", 0x14, []byte("caf\xe9 \xff")}), // T61String, Latin-1
			siRDN(siATV{"1.2.840.113549.1.9.1", 0x16, []byte("a@b.example")}),
			siRDN(siATV{"2.5.4.5", 0x12, []byte("12345")}), // NumericString
			siRDN(siPrintable("2.5.4.8", "Some State")),
			siRDN(siUTF8("2.5.4.4", "plain"))),
		// Go's x509 refuses UniversalString, OpenSSL takes it.
		"universal": siName(siRDN(siUniversal("2.5.4.42", "𝄞 x"), siUniversal(siCN, "#x"))),
		"escapes": siName(
			siRDN(siUTF8(siCN, ` lead#,+;<>"\=trail `)),
			siRDN(siUTF8(siO, "#hash")),
			siRDN(siUTF8(siOU, "#")),
			siRDN(siUTF8("2.5.4.12", " ")),
			siRDN(siUTF8("2.5.4.65", "ctl\n\t\x7f\x00end")),
			siRDN(siUTF8("2.5.4.46", "")),
			siRDN(siUTF8("2.5.4.43", "\\")),
			siRDN(siBMP("2.5.4.44", " é ")),
			siRDN(siUTF8("2.5.4.9", "x"))),
		"dumps": siName(
			siRDN(siATV{"2.5.4.45", 0x03, []byte{0x04, 0xab, 0xff}}), // BIT STRING, 4 unused
			siRDN(siATV{"2.5.4.72", 0x30, siPrintable("1.2.3", "x").val}),
			siRDN(siUTF8("1.2.3.4.5", "unknown type")),
			siRDN(siUTF8(siCN, "last"))),
		"empty": siName(),
	}
}

var siFields = []string{
	"CN", "commonName", "2.5.4.3", "2.5.4.03", "O", "organizationName", "OU", "organizationalUnitName",
	"C", "countryName", "L", "localityName", "ST", "stateOrProvinceName", "emailAddress",
	"serialNumber", "SN", "surname", "GN", "givenName", "title", "pseudonym", "dnQualifier",
	"DC", "domainComponent", "UID", "userId", "initials", "generationQualifier", "street",
	"streetAddress", "postalCode", "name", "description", "role", "x500UniqueIdentifier",
	"businessCategory", "jurisdictionC", "organizationIdentifier", "mail", "uid",
	"2 5 4 3", "2.5.4.10.", "0.9.2342.19200300.100.1.25",
	// not field names: errors in both
	"invalid", "cn", "COMMONNAME", "2.5.4.999", "1.2.3.4.5", "", "2..5", "2.5.4.3..", "02.5.4.3",
	"2.", "1.40", "2.5.4.+3", " 2.5.4.3",
}

func TestSSLInfoNameField(t *testing.T) {
	opensslBinary(t)
	issuer := siIssuer()
	for label, subject := range siNames() {
		t.Run(label, func(t *testing.T) {
			der, _ := siMint(t, subject, issuer, nil)
			for _, which := range []string{"subject", "issuer"} {
				raw := subject
				if which == "issuer" {
					raw = issuer
				}
				entries := siCLINames(t, der, which)
				for _, f := range siFields {
					want, wantOK, known := siCLIField(t, entries, f)
					got, ok, err := NameField(raw, f)
					if !known {
						if err == nil || err.Error() != `invalid X.509 field name: "`+f+`"` {
							t.Errorf("%s %q: err %v, want invalid field name", which, f, err)
						}
						continue
					}
					if err != nil || ok != wantOK || got != want {
						t.Errorf("%s %q: got %q %v %v, openssl %q %v", which, f, got, ok, err, want, wantOK)
					}
				}
			}
		})
	}
}
