package pgtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"
)

// clientVerifier checks a client's certificate as the backend's OpenSSL
// context does when ssl_ca_file is set (SSL_VERIFY_PEER, certificate
// optional): the chain must end in a self-signed certificate of the CA
// file, and with CRLs configured every certificate below it must be
// covered (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL).
//
// crypto/tls runs its own check first (ClientAuth VerifyClientCertIfGiven
// with the CA file as roots), because only that path sends the alerts
// OpenSSL sends for an unknown CA or an expired certificate; this one
// adds OpenSSL's stricter anchor rule and the CRLs, and describes any
// failure the way the backend's verify_cb logs it.
type clientVerifier struct {
	roots   *x509.CertPool
	trusted []*x509.Certificate // the CA file, also a source of intermediates
	crls    *crlSet             // nil: no revocation checking
}

// verifyConnection is the tls.Config hook. crypto/tls answers a failure
// here with a bad_certificate alert.
func (v *clientVerifier) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil // asked for, not required: pg_hba.conf decides
	}
	if f := v.verify(cs.PeerCertificates, time.Now()); f != nil {
		return f.asError()
	}
	return nil
}

// certFailure is a verification failure as OpenSSL's verify callback sees
// it: where in the chain, why, and which certificate.
type certFailure struct {
	depth  int
	reason string // X509_verify_cert_error_string's wording
	cert   *x509.Certificate
}

func (v *clientVerifier) verify(certs []*x509.Certificate, now time.Time) *certFailure {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	for _, c := range v.trusted {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return v.describe(certs, err, now)
	}
	// Without X509_V_FLAG_PARTIAL_CHAIN, OpenSSL trusts a chain only if
	// it ends in a self-signed certificate.
	chains = slices.DeleteFunc(chains, func(chain []*x509.Certificate) bool {
		return !isSelfSigned(chain[len(chain)-1])
	})
	if len(chains) == 0 {
		return v.describe(certs, nil, now)
	}
	if v.crls == nil {
		return nil
	}
	lists := append(v.crls.dirLists(), v.crls.lists...)
	var first *certFailure
	for _, chain := range chains {
		f := checkChainCRLs(chain, lists, now)
		if f == nil {
			return nil
		}
		if first == nil {
			first = f
		}
	}
	return first
}

// checkChainCRLs checks each certificate below the anchor, leaf first, as
// OpenSSL's check_revocation does.
func checkChainCRLs(chain []*x509.Certificate, lists []*revocationList, now time.Time) *certFailure {
	for i := 0; i+1 < len(chain); i++ {
		if err := checkRevocation(chain[i], chain[i+1], lists, now); err != nil {
			reason := err.Error()
			for _, e := range []error{errCertRevoked, errCRLExpired, errCRLNotYetValid, errNoCRL} {
				if errors.Is(err, e) {
					reason = e.Error()
				}
			}
			return &certFailure{depth: i, reason: reason, cert: chain[i]}
		}
	}
	return nil
}

// isSelfSigned is OpenSSL 3's EXFLAG_SS: the same subject and issuer, and
// an authority key identifier (if any) that is its own. Unlike crypto/x509
// it does not ask for a CA: a self-issued client certificate counts.
func isSelfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawSubject, c.RawIssuer) {
		return false
	}
	return len(c.AuthorityKeyId) == 0 || len(c.SubjectKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId)
}

// describe explains a failed x509 verification (err, or nil when no chain
// ended in a self-signed certificate) the way OpenSSL would have: it
// builds the chain as OpenSSL does, from the leaf through the CA file
// first and then what the client sent, finds where it breaks, and else
// applies OpenSSL's checks in its order. This is for the log; the
// decision was crypto/x509's.
func (v *clientVerifier) describe(certs []*x509.Certificate, err error, now time.Time) *certFailure {
	chain, trustedAt := v.buildChain(certs)
	top := len(chain) - 1
	switch {
	case trustedAt < 0 && isSelfSigned(chain[top]) && top == 0:
		return &certFailure{0, "self-signed certificate", chain[0]}
	case trustedAt < 0 && isSelfSigned(chain[top]):
		return &certFailure{top, "self-signed certificate in certificate chain", chain[top]}
	case trustedAt < 0:
		return &certFailure{top, "unable to get local issuer certificate", chain[top]}
	case !isSelfSigned(chain[top]):
		return &certFailure{top, "unable to get issuer certificate", chain[top]}
	}
	if f := checkChainLikeOpenSSL(chain, now); f != nil {
		return f
	}
	reason := "certificate verify failed"
	if _, ok := errors.AsType[x509.InsecureAlgorithmError](err); ok {
		reason = "certificate signature failure"
	} else if err != nil {
		reason = err.Error()
	}
	return &certFailure{0, reason, chain[0]}
}

// checkChainLikeOpenSSL applies, to a complete chain, OpenSSL's
// check_chain_extensions (leaf up: CA flag, purpose, path length) and then
// internal_verify's validity periods (root down).
func checkChainLikeOpenSSL(chain []*x509.Certificate, now time.Time) *certFailure {
	for i, c := range chain {
		if i > 0 && !(c.BasicConstraintsValid && c.IsCA) {
			return &certFailure{i, "invalid CA certificate", c}
		}
		if !usableForClientAuth(c) {
			return &certFailure{i, "unsuitable certificate purpose", c}
		}
		if i > 1 && c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero) && i-1 > c.MaxPathLen {
			return &certFailure{i, "path length constraint exceeded", c}
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		if now.Before(c.NotBefore) {
			return &certFailure{i, "certificate is not yet valid", c}
		}
		if now.After(c.NotAfter) {
			return &certFailure{i, "certificate has expired", c}
		}
	}
	return nil
}

// usableForClientAuth: no extended key usage, or one allowing clients.
func usableForClientAuth(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// buildChain follows issuers from the leaf, preferring the CA file, until
// a self-signed certificate or no issuer. trustedAt is the index of the
// first certificate taken from the CA file, or -1.
func (v *clientVerifier) buildChain(certs []*x509.Certificate) (chain []*x509.Certificate, trustedAt int) {
	chain, trustedAt = []*x509.Certificate{certs[0]}, -1
	if slices.ContainsFunc(v.trusted, certs[0].Equal) {
		trustedAt = 0
	}
	for len(chain) <= len(certs)+len(v.trusted) {
		last := chain[len(chain)-1]
		if isSelfSigned(last) {
			break
		}
		issuer := findIssuer(last, v.trusted)
		if issuer != nil {
			if trustedAt < 0 {
				trustedAt = len(chain)
			}
		} else if trustedAt < 0 {
			issuer = findIssuer(last, certs[1:])
		}
		if issuer == nil || slices.ContainsFunc(chain, issuer.Equal) {
			break
		}
		chain = append(chain, issuer)
	}
	return chain, trustedAt
}

func findIssuer(c *x509.Certificate, candidates []*x509.Certificate) *x509.Certificate {
	for _, cand := range candidates {
		if bytes.Equal(cand.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(cand) == nil {
			return cand
		}
	}
	return nil
}

// asError is the handshake failure, with verify_cb's log detail.
func (f *certFailure) asError() *Error {
	subject, _ := nameSlashed(f.cert.RawSubject)
	issuer, _ := nameSlashed(f.cert.RawIssuer)
	return &Error{
		Kind:    KindTLS,
		Message: "certificate verify failed: " + f.reason,
		Detail: fmt.Sprintf("Client certificate verification failed at depth %d: %s.\n"+
			"Failed certificate data (unverified): subject \"%s\", serial number %s, issuer \"%s\".",
			f.depth, f.reason, logCertName(subject), f.cert.SerialNumber, logCertName(issuer)),
		Err: &verifyError{errors.New(f.reason)},
	}
}

// logCertName is the backend's prepare_cert_name: the last 71 bytes of a
// long name behind "...", and bytes outside printable ASCII as \xNN.
func logCertName(name string) string {
	const maxLen = 71
	if len(name) > maxLen {
		name = "..." + name[len(name)-maxLen+3:]
	}
	var b []byte
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 32 || c > 126 {
			b = fmt.Appendf(b, "\\x%02x", c)
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}
