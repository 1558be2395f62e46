// Package certs mints the certificates, keys and CRLs that pg-gotls's
// tests and demo use: a root CA, an intermediate CA for servers and one for
// clients, and leaf certificates good and bad.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// KeyType selects the algorithm of a generated key.
type KeyType int

const (
	ECDSA KeyType = iota
	RSA
	Ed25519
)

// Cert is a certificate with its private key and issuer.
type Cert struct {
	Cert   *x509.Certificate
	Key    crypto.Signer
	Issuer *Cert // nil for a self-signed root
}

// Template describes a certificate to mint.
type Template struct {
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	IsCA       bool
	Client     bool // client authentication rather than server
	Key        KeyType
	NotBefore  time.Time // zero: an hour ago
	NotAfter   time.Time // zero: in a year
}

// serial numbers must differ between certificates of one CA (CRLs name
// revoked certificates by serial); a counter seeded by the clock does it.
var serial atomic.Int64

func init() { serial.Store(time.Now().UnixNano()) }

func nextSerial() *big.Int { return big.NewInt(serial.Add(1)) }

func newKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case RSA:
		return rsa.GenerateKey(rand.Reader, 2048)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// New mints a certificate signed by issuer, or self-signed if issuer is nil.
func New(t Template, issuer *Cert) (*Cert, error) {
	key, err := newKey(t.Key)
	if err != nil {
		return nil, err
	}
	notBefore, notAfter := t.NotBefore, t.NotAfter
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: t.CommonName},
		DNSNames:     t.DNSNames,
		IPAddresses:  t.IPs,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	if t.IsCA {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if t.Key == RSA {
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		if t.Client {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
	}
	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Cert{Cert: c, Key: key, Issuer: issuer}, nil
}

// CertPEM is the certificate alone, PEM-encoded.
func (c *Cert) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
}

// ChainPEM is the certificate followed by its issuers up to, but not
// including, the root: what a server or client presents.
func (c *Cert) ChainPEM() []byte {
	out := c.CertPEM()
	for i := c.Issuer; i != nil && i.Issuer != nil; i = i.Issuer {
		out = append(out, i.CertPEM()...)
	}
	return out
}

// KeyPEM is the private key as unencrypted PKCS#8.
func (c *Cert) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		panic(err) // only for key types New does not create
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// CRL is a certificate revocation list signed by ca, revoking revoked.
func CRL(ca *Cert, revoked []*Cert, nextUpdate time.Time) ([]byte, error) {
	tmpl := &x509.RevocationList{
		Number:     nextSerial(),
		ThisUpdate: time.Now().Add(-time.Hour),
		NextUpdate: nextUpdate,
	}
	for _, r := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: r.Cert.SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), nil
}

// WriteFile writes data to dir/name with mode, creating dir.
func WriteFile(dir, name string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}

// Must panics on error; for test set-up.
func Must(c *Cert, err error) *Cert {
	if err != nil {
		panic(fmt.Sprintf("minting certificate: %v", err))
	}
	return c
}
