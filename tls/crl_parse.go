package pgtls

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"time"
)

// revocationList is a CRL of either version. crypto/x509's
// ParseRevocationList takes only version 2 CRLs, but OpenSSL also takes
// version 1 (no extensions), which `openssl ca -gencrl` writes when no
// crl_extensions are configured, PostgreSQL's own test suite's among them.
type revocationList struct {
	raw                    []byte // the DER, for the server's snapshot
	rawIssuer              []byte
	thisUpdate, nextUpdate time.Time
	revoked                []*big.Int // serial numbers
	checkSignatureFrom     func(issuer *x509.Certificate) error
}

// parseCRL parses one DER CRL, version 2 or 1.
func parseCRL(der []byte) (*revocationList, error) {
	if rl, err := x509.ParseRevocationList(der); err == nil {
		l := &revocationList{raw: rl.Raw, rawIssuer: rl.RawIssuer, thisUpdate: rl.ThisUpdate,
			nextUpdate: rl.NextUpdate, checkSignatureFrom: rl.CheckSignatureFrom}
		for _, r := range rl.RevokedCertificateEntries {
			l.revoked = append(l.revoked, r.SerialNumber)
		}
		return l, nil
	} else if !isVersion1(der) {
		return nil, err
	}
	return parseCRLv1(der)
}

// crlHead is the start of a CRL, enough to read its version and keep its
// issuer's encoding as it is (for comparison with certificates' subjects).
type crlHead struct {
	TBS struct {
		Raw       asn1.RawContent
		Version   int `asn1:"optional,default:0"`
		Signature pkix.AlgorithmIdentifier
		Issuer    asn1.RawValue
	}
}

func isVersion1(der []byte) bool {
	var h crlHead
	_, err := asn1.UnmarshalWithParams(der, &h, "")
	return err == nil && h.TBS.Version == 0
}

func parseCRLv1(der []byte) (*revocationList, error) {
	var h crlHead
	if _, err := asn1.Unmarshal(der, &h); err != nil {
		return nil, err
	}
	// The deprecated parser still reads version 1, and the matching
	// deprecated check is the one that verifies its signature.
	list, err := x509.ParseDERCRL(der)
	if err != nil {
		return nil, err
	}
	if len(list.TBSCertList.Extensions) > 0 {
		return nil, errors.New("x509: version 1 CRL with extensions")
	}
	l := &revocationList{
		raw:        der,
		rawIssuer:  h.TBS.Issuer.FullBytes,
		thisUpdate: list.TBSCertList.ThisUpdate,
		nextUpdate: list.TBSCertList.NextUpdate,
		checkSignatureFrom: func(issuer *x509.Certificate) error {
			return issuer.CheckCRLSignature(list)
		},
	}
	for _, r := range list.TBSCertList.RevokedCertificates {
		l.revoked = append(l.revoked, r.SerialNumber)
	}
	return l, nil
}
