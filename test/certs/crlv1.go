package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"time"
)

// CRLv1 is CRL in version 1 form: no version field and no extensions, as
// `openssl ca -gencrl` writes without crl_extensions. crypto/x509 only
// writes version 2, so the structure is assembled here.
func CRLv1(ca *Cert, revoked []*Cert, nextUpdate time.Time) ([]byte, error) {
	algo, err := signatureAlgorithm(ca.Key)
	if err != nil {
		return nil, err
	}
	type tbsCertList struct {
		Signature           pkix.AlgorithmIdentifier
		Issuer              asn1.RawValue
		ThisUpdate          time.Time
		NextUpdate          time.Time
		RevokedCertificates []pkix.RevokedCertificate `asn1:"optional"`
	}
	tbs := tbsCertList{
		Signature:  algo,
		Issuer:     asn1.RawValue{FullBytes: ca.Cert.RawSubject},
		ThisUpdate: time.Now().Add(-time.Hour).UTC().Truncate(time.Second),
		NextUpdate: nextUpdate.UTC().Truncate(time.Second),
	}
	for _, r := range revoked {
		tbs.RevokedCertificates = append(tbs.RevokedCertificates, pkix.RevokedCertificate{
			SerialNumber: r.Cert.SerialNumber, RevocationTime: time.Now().Add(-time.Minute).UTC().Truncate(time.Second)})
	}
	tbsDER, err := asn1.Marshal(tbs)
	if err != nil {
		return nil, err
	}
	sig, err := sign(ca.Key, tbsDER)
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(struct {
		TBS                asn1.RawValue
		SignatureAlgorithm pkix.AlgorithmIdentifier
		SignatureValue     asn1.BitString
	}{asn1.RawValue{FullBytes: tbsDER}, algo, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), nil
}

func signatureAlgorithm(key crypto.Signer) (pkix.AlgorithmIdentifier, error) {
	switch key.(type) {
	case *ecdsa.PrivateKey:
		return pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}, nil
	case *rsa.PrivateKey:
		return pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: asn1.NullRawValue}, nil
	case ed25519.PrivateKey:
		return pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 3, 101, 112}}, nil
	}
	return pkix.AlgorithmIdentifier{}, errors.New("certs: unsupported CA key type")
}

func sign(key crypto.Signer, msg []byte) ([]byte, error) {
	if _, ok := key.(ed25519.PrivateKey); ok {
		return key.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	sum := sha256.Sum256(msg)
	return key.Sign(rand.Reader, sum[:], crypto.SHA256)
}
