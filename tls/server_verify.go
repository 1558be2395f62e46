package pgtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// Bounds on the work one client's certificate list can cost the server
// before the client has authenticated. Without them a list of many
// certificates sharing one name, each signed by the next, made the chain
// building for the log message check a signature against every
// same-name certificate at every step: 800 certificates (255 KB) cost
// pg_tlsd 18-27 s of CPU. Each bound is one the OpenSSL server (or Go's
// own verifier) has; with them that list costs 20-30 ms, mostly
// crypto/tls parsing it (TestBadInputCertificateFlood measures it).
const (
	// maxCertListBytes is OpenSSL's default max_cert_list
	// (SSL_MAX_CERT_LIST_DEFAULT, 100 KiB, SSL_CTX_set_max_cert_list;
	// PostgreSQL keeps it): a client Certificate message longer than
	// that is refused with "excessive message size" before any
	// certificate in it is looked at. crypto/tls's own limit is 256 KiB
	// (maxHandshakeCertificateMsg), and it parses the certificates and
	// runs crypto/x509's bounded verification before our hooks see
	// them; we refuse a longer list (certListSize) before any chain
	// building of ours.
	maxCertListBytes = 100 * 1024

	// maxVerifyDepth is OpenSSL's default verify depth (the "default"
	// X509_VERIFY_PARAM, 100; PostgreSQL does not change it): build_chain
	// adds at most maxVerifyDepth+1 issuers above the leaf and reports a
	// longer chain as "certificate chain too long" at depth
	// maxVerifyDepth+1.
	maxVerifyDepth = 100

	// maxIssuerSignatureChecks is crypto/x509's maxChainSignatureChecks:
	// the signature checks one description of a failure (describe) may
	// spend telling apart candidate issuers that match by name and key
	// identifier. OpenSSL spends none there: it takes the first
	// candidate by name and key identifier, and checks signatures once
	// the chain is built. Once the budget is spent, we pick as it does.
	maxIssuerSignatureChecks = 100
)

// reasonExcessiveMessageSize is OpenSSL's SSL_R_EXCESSIVE_MESSAGE_SIZE,
// which the backend logs after "could not accept SSL connection: ".
const reasonExcessiveMessageSize = "excessive message size"

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

	// sigChecks, if set (by tests), counts the signature checks the
	// chain building of describe makes.
	sigChecks *atomic.Int64
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
	// cert is nil when the list was refused before verification, as by
	// OpenSSL's message size check: reason is then the whole message.
	cert *x509.Certificate
}

// certListSize is the length of the body of the TLS 1.3 Certificate
// message that carries certs as clients send it: an empty request
// context (1 byte), the list length (3), and before each certificate its
// length (3) and after it an empty extensions block (2). That is what
// OpenSSL compares with max_cert_list in TLS 1.3, the version clients
// negotiate. (crypto/tls does not tell which version a failed handshake
// had. A TLS 1.2 message is 2n+1 bytes shorter, so there a list up to
// that much under OpenSSL's limit is refused as well.)
func certListSize(certs []*x509.Certificate) int {
	n := 1 + 3
	for _, c := range certs {
		n += 3 + len(c.Raw) + 2
	}
	return n
}

// tooLong is the failure for a list beyond maxCertListBytes, or nil.
func tooLong(certs []*x509.Certificate) *certFailure {
	if certListSize(certs) > maxCertListBytes {
		return &certFailure{reason: reasonExcessiveMessageSize}
	}
	return nil
}

func (v *clientVerifier) verify(certs []*x509.Certificate, now time.Time) *certFailure {
	if f := tooLong(certs); f != nil {
		return f
	}
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
//
// Its work is bounded whatever the client sent (see maxCertListBytes and
// the other bounds): a list longer than OpenSSL reads is refused with
// OpenSSL's reason before any chain is built, the chain stops at
// OpenSSL's verify depth, and at most maxIssuerSignatureChecks
// signatures are checked.
func (v *clientVerifier) describe(certs []*x509.Certificate, err error, now time.Time) *certFailure {
	if f := tooLong(certs); f != nil {
		return f
	}
	chain, trustedAt := v.buildChain(certs)
	top := len(chain) - 1
	switch {
	case top > maxVerifyDepth && !(trustedAt >= 0 && isSelfSigned(chain[top])):
		// build_chain's first check of a chain without a trusted anchor
		// (it looks for none beyond the limit).
		return &certFailure{top, "certificate chain too long", chain[top]}
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
// a self-signed certificate, no issuer, or a chain one longer than
// OpenSSL's verify depth allows (maxVerifyDepth+2 certificates, the
// length at which build_chain stops). trustedAt is the index of the
// first certificate taken from the CA file, or -1.
func (v *clientVerifier) buildChain(certs []*x509.Certificate) (chain []*x509.Certificate, trustedAt int) {
	chain, trustedAt = []*x509.Certificate{certs[0]}, -1
	if slices.ContainsFunc(v.trusted, certs[0].Equal) {
		trustedAt = 0
	}
	s := &issuerSearch{inChain: map[string]bool{string(certs[0].Raw): true}, budget: maxIssuerSignatureChecks}
	defer func() {
		if v.sigChecks != nil {
			v.sigChecks.Add(int64(maxIssuerSignatureChecks - s.budget))
		}
	}()
	for len(chain) <= maxVerifyDepth+1 {
		last := chain[len(chain)-1]
		if isSelfSigned(last) {
			break
		}
		issuer := s.find(last, v.trusted)
		if issuer != nil {
			if trustedAt < 0 {
				trustedAt = len(chain)
			}
		} else if trustedAt < 0 {
			issuer = s.find(last, certs[1:])
		}
		if issuer == nil {
			break
		}
		chain = append(chain, issuer)
		s.inChain[string(issuer.Raw)] = true
	}
	return chain, trustedAt
}

// issuerSearch is the state of one buildChain: the certificates already
// in the chain (by DER) and the signature checks left.
type issuerSearch struct {
	inChain map[string]bool
	budget  int
}

// find picks c's issuer among candidates. The candidates are those
// OpenSSL's find_issuer considers: X509_check_issued's name and key
// identifier match (likelyIssued), not already in the chain. Of these it
// takes the first whose signature on c verifies; once the budget of
// signature checks is spent, it takes, as OpenSSL does, the first one
// (whose signature OpenSSL would check later, on the finished chain).
// Each call costs a pass over candidates without signature checks, and
// at most the remaining budget of them.
func (s *issuerSearch) find(c *x509.Certificate, candidates []*x509.Certificate) *x509.Certificate {
	var first *x509.Certificate
	for _, cand := range candidates {
		if !likelyIssued(c, cand) || s.inChain[string(cand.Raw)] {
			continue
		}
		if first == nil {
			first = cand
		}
		if s.budget <= 0 {
			return first
		}
		s.budget--
		if c.CheckSignatureFrom(cand) == nil {
			return cand
		}
	}
	return nil
}

// likelyIssued is OpenSSL's X509_check_issued (ossl_x509_likely_issued)
// short of the signature: issuer's subject is c's issuer name and, where
// both are present, c's authority key identifier is issuer's subject key
// identifier.
func likelyIssued(c, issuer *x509.Certificate) bool {
	if !bytes.Equal(issuer.RawSubject, c.RawIssuer) {
		return false
	}
	return len(c.AuthorityKeyId) == 0 || len(issuer.SubjectKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, issuer.SubjectKeyId)
}

// asError is the handshake failure, with verify_cb's log detail.
func (f *certFailure) asError() *Error {
	if f.cert == nil {
		// As OpenSSL's message size check: the reason alone, no detail.
		return &Error{Kind: KindTLS, Message: f.reason, Err: errors.New(f.reason)}
	}
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
