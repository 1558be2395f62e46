package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"math/big"
	"time"
)

// SameNameChain mints the certificate list of a client that floods a
// server's chain building: n CA certificates as small as the purpose
// allows (ECDSA P-256, no extensions but the basic constraints and key
// identifiers), leaf first, all with the subject and issuer "CN=<cn>",
// each signed by the next one's key and naming it in its authority key
// identifier; the last is self-signed. None chains to a trusted CA.
// With a one-letter cn a certificate has about 317 bytes, so that 800
// of them (a TLS 1.3 Certificate message of 255,000 bytes) stay under
// crypto/tls's limit on that message, 256 KiB (262,144 bytes).
//
// keyIDs is how many distinct subject key identifiers the list uses:
// 0 gives each certificate its own, so that the key identifiers point
// at exactly one candidate issuer; k > 0 cycles through k of them
// (certificate i has the i%k-th, its authority key identifier the
// (i+1)%k-th), so that about n/k certificates match each step by name
// and key identifier and only a signature check tells them apart.
// keyIDs 1 would make every certificate self-signed by OpenSSL's rule
// (authority key identifier = subject key identifier): do not use it.
//
// It returns the DER certificates and the leaf's key.
func SameNameChain(n int, cn string, keyIDs int) ([][]byte, crypto.Signer, error) {
	keys := make([]*ecdsa.PrivateKey, n)
	for i := range keys {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		keys[i] = k
	}
	keyID := func(i int) []byte {
		if keyIDs > 0 {
			i %= keyIDs
		}
		return binary.BigEndian.AppendUint16(nil, uint16(i)+1)
	}
	name := pkix.Name{CommonName: cn}
	notBefore := time.Now().Add(-time.Hour).Truncate(time.Second)
	notAfter := notBefore.Add(365 * 24 * time.Hour)
	ders := make([][]byte, n)
	for i := n - 1; i >= 0; i-- {
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(int64(i) + 1),
			Subject:               name,
			NotBefore:             notBefore,
			NotAfter:              notAfter,
			IsCA:                  true,
			BasicConstraintsValid: true,
			SubjectKeyId:          keyID(i),
		}
		parent, signer := tmpl, keys[i]
		if i+1 < n {
			// CreateCertificate takes the authority key identifier from
			// the parent only when the names differ.
			tmpl.AuthorityKeyId = keyID(i + 1)
			parent = &x509.Certificate{Subject: name, SubjectKeyId: keyID(i + 1), PublicKey: keys[i+1].Public()}
			signer = keys[i+1]
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, keys[i].Public(), signer)
		if err != nil {
			return nil, nil, err
		}
		ders[i] = der
	}
	return ders, keys[0], nil
}
