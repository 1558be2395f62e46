package pgtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"time"
)

// serverVerifier checks the server's certificate chain during the
// handshake, as OpenSSL's SSL_VERIFY_PEER does in libpq: only when root
// certificates are configured, and without looking at the host name, which
// libpq checks afterwards for sslmode=verify-full.
type serverVerifier struct {
	roots *x509.CertPool
	// trusted lists the certificates of the root certificate file. OpenSSL
	// also builds chains through them up to a self-signed root, so they
	// serve as intermediates too.
	trusted []*x509.Certificate
	crls    *crlSet // nil: no revocation checking
	now     func() time.Time
}

func (v *serverVerifier) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return &verifyError{errors.New("server sent no certificate")}
	}
	now := time.Now()
	if v.now != nil {
		now = v.now()
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	for _, c := range v.trusted {
		inter.AddCert(c)
	}
	chains, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return &verifyError{err}
	}
	// libpq does not set X509_V_FLAG_PARTIAL_CHAIN, so OpenSSL accepts a
	// chain only if it ends in a self-signed certificate; crypto/tls would
	// stop at any certificate of the root file, an intermediate included.
	chains = slices.DeleteFunc(chains, func(chain []*x509.Certificate) bool {
		anchor := chain[len(chain)-1]
		return !bytes.Equal(anchor.RawSubject, anchor.RawIssuer)
	})
	if len(chains) == 0 {
		return &verifyError{errors.New("unable to get issuer certificate")}
	}
	if v.crls == nil {
		return nil
	}
	// Any chain that passes revocation checking will do.
	var crlErr error
	for _, chain := range chains {
		if crlErr = v.crls.check(chain, now); crlErr == nil {
			return nil
		}
	}
	return &verifyError{crlErr}
}
