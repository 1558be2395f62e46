package pgtls

import (
	"bytes"
	"crypto/x509"
	"errors"
	"slices"
)

// ConnectionInfo is what the backend reports about an established
// session, in OpenSSL's spellings.
type ConnectionInfo struct {
	Protocol string // be_tls_get_version: "TLSv1.3"
	Cipher   string // be_tls_get_cipher: "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"
	Bits     int    // be_tls_get_cipher_bits
	Group    string // key exchange group as ssl_groups spells it; "" if none (RSA key exchange)
	ALPN     string // "postgresql", or "" if not negotiated (port->alpn_used)
}

// ConnectionInfo returns the session's parameters once the handshake is
// complete; ok is false before.
func (s *Session) ConnectionInfo() (info ConnectionInfo, ok bool) {
	if !s.handshakeDone || s.conn == nil { // a resumed session (carry.go) knows no handshake
		return ConnectionInfo{}, false
	}
	cs := s.conn.ConnectionState()
	info = ConnectionInfo{
		Protocol: protocolNames[cs.Version],
		Cipher:   cipherNames[cs.CipherSuite].openssl,
		Bits:     cipherNames[cs.CipherSuite].bits,
		Group:    groupDisplayNames[cs.CurveID],
		ALPN:     cs.NegotiatedProtocol,
	}
	if info.Group == "" && cs.CurveID != 0 {
		info.Group = cs.CurveID.String()
	}
	return info, true
}

// ClientCertificate is what the backend keeps of the certificate a client
// presented, each field in the form be-secure-openssl.c produces it.
type ClientCertificate struct {
	Certificate *x509.Certificate

	// CN is the first commonName of the subject, its bytes as encoded
	// (port->peer_cn, for the cert method and clientname=CN); HasCN is
	// false if the subject has none. It never contains a NUL: the
	// handshake fails on such a certificate, as in the backend.
	CN    string
	HasCN bool
	// DN is the subject in RFC 2253 form, "CN=alice,O=Example"
	// (port->peer_dn, for clientname=DN).
	DN string
	// SubjectName and IssuerName are pg_stat_ssl's client_dn and
	// issuer_dn, "/O=Example/CN=alice", before its truncation to
	// NAMEDATALEN; in UTF-8, which the caller converts to the server
	// encoding.
	SubjectName string
	IssuerName  string
	// Serial is the serial number in decimal (pg_stat_ssl.client_serial).
	Serial string
}

func newClientCertificate(cert *x509.Certificate) (*ClientCertificate, *Error) {
	c := &ClientCertificate{Certificate: cert, Serial: cert.SerialNumber.String()}
	if cn, ok := firstCommonName(cert.RawSubject); ok {
		if bytes.IndexByte(cn, 0) >= 0 {
			// Against attacks like CVE-2009-4034.
			return nil, &Error{Kind: KindTLS, Message: "SSL certificate's common name contains embedded null"}
		}
		c.CN, c.HasCN = string(cn), true
	}
	dn, err := nameRFC2253(cert.RawSubject)
	if err != nil {
		return nil, &Error{Kind: KindTLS, Message: "could not read the distinguished name of the SSL certificate: " + err.Error(), Err: err}
	}
	if bytes.IndexByte([]byte(dn), 0) >= 0 {
		return nil, &Error{Kind: KindTLS, Message: "SSL certificate's distinguished name contains embedded null"}
	}
	c.DN = dn
	// The backend ignores a value OpenSSL cannot print here.
	c.SubjectName, _ = nameSlashed(cert.RawSubject)
	c.IssuerName, _ = nameSlashed(cert.RawIssuer)
	return c, nil
}

// ClientCertificate returns the certificate the client presented, or nil
// if it presented none (or this is not an established server session).
// The chain was verified against ssl_ca_file and the CRLs.
func (s *Session) ClientCertificate() *ClientCertificate {
	if s.server == nil || !s.handshakeDone {
		return nil
	}
	return s.server.peer
}

// ServerCertificateHash returns the tls-server-end-point channel binding
// data (RFC 5929) of the server's certificate, for SCRAM-SHA-256-PLUS:
// be_tls_get_certificate_hash. It fails for a certificate whose signature
// has no hash of its own (Ed25519), as the backend does.
func (s *Session) ServerCertificateHash() ([]byte, error) {
	if s.server == nil {
		return nil, errors.New("not a server session")
	}
	if s.server.cfg.certHashErr != nil {
		return nil, s.server.cfg.certHashErr
	}
	return slices.Clone(s.server.cfg.certHash), nil
}
