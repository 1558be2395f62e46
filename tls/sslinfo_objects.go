// The part of OpenSSL 3.0's object table that sslinfo's field names and
// extensions use, and the lookups that name an OID as OpenSSL does
// (OBJ_nid2sn, OBJ_obj2txt), so that sslinfo's names are the same with a
// Go-TLS server.
//
// An OID OpenSSL knows beyond this table shows dotted inside an extension
// (an extended key usage, a policy) where OpenSSL shows its long name.

package pgtls

import (
	"encoding/asn1"
	"errors"
	"strings"
	"sync"
)

type v3Object struct{ oid, sn, ln string }

type v3ObjectIndex struct {
	byOID, bySN, byLN map[string]v3Object
}

var v3Objects = sync.OnceValue(func() v3ObjectIndex {
	idx := v3ObjectIndex{map[string]v3Object{}, map[string]v3Object{}, map[string]v3Object{}}
	for _, line := range strings.Split(strings.TrimSpace(v3ObjectTable), "\n") {
		f := strings.Split(line, "|")
		o := v3Object{oid: f[0], sn: f[1], ln: f[1]}
		if len(f) > 2 {
			o.ln = f[2]
		}
		idx.byOID[o.oid], idx.bySN[o.sn], idx.byLN[o.ln] = o, o, o
	}
	return idx
})

// v3ShortName is OBJ_nid2sn, or the dotted OID for an unknown one.
func v3ShortName(oid string) string {
	if o, ok := v3Objects().byOID[oid]; ok {
		return o.sn
	}
	return oid
}

// v3ObjText is i2t_ASN1_OBJECT / OBJ_obj2txt(buf, size, obj, 0): the long
// name of a known OID, else its dotted form, cut to fit buf of size bytes
// (size 0: no limit, as with i2a_ASN1_OBJECT).
func v3ObjText(v asn1.RawValue, size int) (string, error) {
	if !v3IsUniversal(v, asn1.TagOID) {
		return "", errors.New("expected OBJECT IDENTIFIER")
	}
	oid, err := v3OID(v.Bytes)
	if err != nil {
		return "", err
	}
	s := oid
	if o, ok := v3Objects().byOID[oid]; ok {
		s = o.ln
	}
	if size > 0 && len(s) > size-1 {
		s = s[:size-1]
	}
	return s, nil
}

// v3ObjectTable is the part of OpenSSL 3.0's object table (`openssl list
// -objects`) that names and extensions use: "OID|short name|long name",
// the long name left out where it is the short one. TestSSLInfoObjectTable
// checks it against the openssl binary.
const v3ObjectTable = `
2.5.4.3|CN|commonName
2.5.4.4|SN|surname
2.5.4.5|serialNumber
2.5.4.6|C|countryName
2.5.4.7|L|localityName
2.5.4.8|ST|stateOrProvinceName
2.5.4.9|street|streetAddress
2.5.4.10|O|organizationName
2.5.4.11|OU|organizationalUnitName
2.5.4.12|title
2.5.4.13|description
2.5.4.14|searchGuide
2.5.4.15|businessCategory
2.5.4.16|postalAddress
2.5.4.17|postalCode
2.5.4.18|postOfficeBox
2.5.4.19|physicalDeliveryOfficeName
2.5.4.20|telephoneNumber
2.5.4.21|telexNumber
2.5.4.22|teletexTerminalIdentifier
2.5.4.23|facsimileTelephoneNumber
2.5.4.24|x121Address
2.5.4.25|internationaliSDNNumber
2.5.4.26|registeredAddress
2.5.4.27|destinationIndicator
2.5.4.28|preferredDeliveryMethod
2.5.4.29|presentationAddress
2.5.4.30|supportedApplicationContext
2.5.4.31|member
2.5.4.32|owner
2.5.4.33|roleOccupant
2.5.4.34|seeAlso
2.5.4.35|userPassword
2.5.4.36|userCertificate
2.5.4.37|cACertificate
2.5.4.38|authorityRevocationList
2.5.4.39|certificateRevocationList
2.5.4.40|crossCertificatePair
2.5.4.41|name
2.5.4.42|GN|givenName
2.5.4.43|initials
2.5.4.44|generationQualifier
2.5.4.45|x500UniqueIdentifier
2.5.4.46|dnQualifier
2.5.4.47|enhancedSearchGuide
2.5.4.48|protocolInformation
2.5.4.49|distinguishedName
2.5.4.50|uniqueMember
2.5.4.51|houseIdentifier
2.5.4.52|supportedAlgorithms
2.5.4.53|deltaRevocationList
2.5.4.54|dmdName
2.5.4.65|pseudonym
2.5.4.72|role
2.5.4.97|organizationIdentifier
2.5.4.98|c3|countryCode3c
2.5.4.99|n3|countryCode3n
2.5.4.100|dnsName
1.2.840.113549.1.9.1|emailAddress
1.2.840.113549.1.9.2|unstructuredName
1.2.840.113549.1.9.8|unstructuredAddress
0.9.2342.19200300.100.1.1|UID|userId
0.9.2342.19200300.100.1.3|mail|rfc822Mailbox
0.9.2342.19200300.100.1.25|DC|domainComponent
0.9.2342.19200300.100.1.44|uid|uniqueIdentifier
1.3.6.1.4.1.311.60.2.1.1|jurisdictionL|jurisdictionLocalityName
1.3.6.1.4.1.311.60.2.1.2|jurisdictionST|jurisdictionStateOrProvinceName
1.3.6.1.4.1.311.60.2.1.3|jurisdictionC|jurisdictionCountryName
1.2.643.3.131.1.1|INN
1.2.643.100.1|OGRN
1.2.643.100.3|SNILS
1.2.643.100.5|OGRNIP
2.5.29.9|subjectDirectoryAttributes|X509v3 Subject Directory Attributes
2.5.29.14|subjectKeyIdentifier|X509v3 Subject Key Identifier
2.5.29.15|keyUsage|X509v3 Key Usage
2.5.29.16|privateKeyUsagePeriod|X509v3 Private Key Usage Period
2.5.29.17|subjectAltName|X509v3 Subject Alternative Name
2.5.29.18|issuerAltName|X509v3 Issuer Alternative Name
2.5.29.19|basicConstraints|X509v3 Basic Constraints
2.5.29.20|crlNumber|X509v3 CRL Number
2.5.29.21|CRLReason|X509v3 CRL Reason Code
2.5.29.24|invalidityDate|Invalidity Date
2.5.29.27|deltaCRL|X509v3 Delta CRL Indicator
2.5.29.28|issuingDistributionPoint|X509v3 Issuing Distribution Point
2.5.29.29|certificateIssuer|X509v3 Certificate Issuer
2.5.29.30|nameConstraints|X509v3 Name Constraints
2.5.29.31|crlDistributionPoints|X509v3 CRL Distribution Points
2.5.29.32|certificatePolicies|X509v3 Certificate Policies
2.5.29.32.0|anyPolicy|X509v3 Any Policy
2.5.29.33|policyMappings|X509v3 Policy Mappings
2.5.29.35|authorityKeyIdentifier|X509v3 Authority Key Identifier
2.5.29.36|policyConstraints|X509v3 Policy Constraints
2.5.29.37|extendedKeyUsage|X509v3 Extended Key Usage
2.5.29.37.0|anyExtendedKeyUsage|Any Extended Key Usage
2.5.29.46|freshestCRL|X509v3 Freshest CRL
2.5.29.54|inhibitAnyPolicy|X509v3 Inhibit Any Policy
2.5.29.55|targetInformation|X509v3 AC Targeting
2.5.29.56|noRevAvail|X509v3 No Revocation Available
1.3.6.1.5.5.7.1.1|authorityInfoAccess|Authority Information Access
1.3.6.1.5.5.7.1.2|biometricInfo|Biometric Info
1.3.6.1.5.5.7.1.3|qcStatements
1.3.6.1.5.5.7.1.7|sbgp-ipAddrBlock
1.3.6.1.5.5.7.1.8|sbgp-autonomousSysNum
1.3.6.1.5.5.7.1.9|sbgp-routerIdentifier
1.3.6.1.5.5.7.1.11|subjectInfoAccess|Subject Information Access
1.3.6.1.5.5.7.1.14|proxyCertInfo|Proxy Certificate Information
1.3.6.1.5.5.7.1.24|tlsfeature|TLS Feature
1.3.6.1.5.5.7.2.1|id-qt-cps|Policy Qualifier CPS
1.3.6.1.5.5.7.2.2|id-qt-unotice|Policy Qualifier User Notice
1.3.6.1.5.5.7.3.1|serverAuth|TLS Web Server Authentication
1.3.6.1.5.5.7.3.2|clientAuth|TLS Web Client Authentication
1.3.6.1.5.5.7.3.3|codeSigning|Code Signing
1.3.6.1.5.5.7.3.4|emailProtection|E-mail Protection
1.3.6.1.5.5.7.3.5|ipsecEndSystem|IPSec End System
1.3.6.1.5.5.7.3.6|ipsecTunnel|IPSec Tunnel
1.3.6.1.5.5.7.3.7|ipsecUser|IPSec User
1.3.6.1.5.5.7.3.8|timeStamping|Time Stamping
1.3.6.1.5.5.7.3.9|OCSPSigning|OCSP Signing
1.3.6.1.5.5.7.3.17|ipsecIKE|ipsec Internet Key Exchange
1.3.6.1.5.5.7.3.21|secureShellClient|SSH Client
1.3.6.1.5.5.7.3.22|secureShellServer|SSH Server
1.3.6.1.5.5.7.8.5|id-on-xmppAddr|XmppAddr
1.3.6.1.5.5.7.8.7|id-on-dnsSRV|SRVName
1.3.6.1.5.5.7.8.8|id-on-NAIRealm|NAIRealm
1.3.6.1.5.5.7.8.9|id-on-SmtpUTF8Mailbox|Smtp UTF8 Mailbox
1.3.6.1.5.5.7.48.1|OCSP
1.3.6.1.5.5.7.48.1.5|noCheck|OCSP No Check
1.3.6.1.5.5.7.48.2|caIssuers|CA Issuers
1.3.6.1.5.5.7.48.3|ad_timestamping|AD Time Stamping
1.3.6.1.5.5.7.48.5|caRepository|CA Repository
1.3.6.1.5.2.3.4|pkInitClientAuth|PKINIT Client Auth
1.3.6.1.5.2.3.5|pkInitKDC|Signing KDC Response
1.3.6.1.4.1.311.2.1.21|msCodeInd|Microsoft Individual Code Signing
1.3.6.1.4.1.311.2.1.22|msCodeCom|Microsoft Commercial Code Signing
1.3.6.1.4.1.311.10.3.1|msCTLSign|Microsoft Trust List Signing
1.3.6.1.4.1.311.10.3.3|msSGC|Microsoft Server Gated Crypto
1.3.6.1.4.1.311.10.3.4|msEFS|Microsoft Encrypted File System
1.3.6.1.4.1.311.20.2.2|msSmartcardLogin|Microsoft Smartcard Login
1.3.6.1.4.1.311.20.2.3|msUPN|Microsoft User Principal Name
1.3.6.1.4.1.11129.2.4.2|ct_precert_scts|CT Precertificate SCTs
1.3.6.1.4.1.11129.2.4.3|ct_precert_poison|CT Precertificate Poison
1.3.6.1.4.1.11129.2.4.5|ct_cert_scts|CT Certificate SCTs
2.16.840.1.113730.1.1|nsCertType|Netscape Cert Type
2.16.840.1.113730.1.2|nsBaseUrl|Netscape Base Url
2.16.840.1.113730.1.3|nsRevocationUrl|Netscape Revocation Url
2.16.840.1.113730.1.4|nsCaRevocationUrl|Netscape CA Revocation Url
2.16.840.1.113730.1.7|nsRenewalUrl|Netscape Renewal Url
2.16.840.1.113730.1.8|nsCaPolicyUrl|Netscape CA Policy Url
2.16.840.1.113730.1.12|nsSslServerName|Netscape SSL Server Name
2.16.840.1.113730.1.13|nsComment|Netscape Comment
2.16.840.1.113730.4.1|nsSGC|Netscape Server Gated Crypto
`
