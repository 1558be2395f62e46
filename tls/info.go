package pgtls

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"hash"
	"runtime"
	"strconv"
)

// LibraryName is what PQsslAttribute(conn, "library") reports outside
// FIPS 140-3 mode (see Library).
const LibraryName = "Go crypto/tls"

// LibraryVersion is the Go release the library was built with; crypto/tls
// is versioned with Go.
func LibraryVersion() string { return runtime.Version() }

// AttributeNames lists the names Attribute knows.
func AttributeNames() []string {
	return []string{"library", "library_version", "protocol", "cipher", "key_bits", "compression", "alpn", "group"}
}

// Attribute returns the value of a PQsslAttribute name for an established
// session, and false for a name it does not know. Names and spellings are
// OpenSSL's, so that psql and applications show what they always showed.
func (s *Session) Attribute(name string) (string, bool) {
	if !s.handshakeDone || s.conn == nil { // a resumed session (carry.go) knows no handshake
		return "", false
	}
	cs := s.conn.ConnectionState()
	switch name {
	case "library":
		return Library(), true
	case "library_version":
		return LibraryVersion(), true
	case "protocol":
		if p, ok := protocolNames[cs.Version]; ok {
			return p, true
		}
		return "unknown", true
	case "cipher":
		if c, ok := cipherNames[cs.CipherSuite]; ok {
			return c.openssl, true
		}
		return "unknown", true
	case "key_bits":
		return strconv.Itoa(cipherNames[cs.CipherSuite].bits), true
	case "compression":
		return "off", true
	case "alpn":
		return cs.NegotiatedProtocol, true
	case "group":
		return cs.CurveID.String(), true
	}
	return "", false
}

// CertRequested reports whether the server asked for a client certificate,
// and CertSent whether we sent one (libpq's sslcertmode=require check).
func (s *Session) CertRequested() bool { return s.client != nil && s.client.certRequested }

// CertSent reports whether the client sent a certificate.
func (s *Session) CertSent() bool { return s.client != nil && s.client.certSent }

// PeerCertificate returns the peer's leaf certificate, or nil.
func (s *Session) PeerCertificate() *x509.Certificate {
	if !s.handshakeDone || s.conn == nil {
		return nil
	}
	certs := s.conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil
	}
	return certs[0]
}

// NameKind says what a PeerName holds.
type NameKind int

const (
	NameDNS NameKind = iota + 1 // a subjectAltName dNSName
	NameIP                      // a subjectAltName iPAddress, 4 or 16 raw bytes
	NameCN                      // the subject's first commonName
)

// PeerName is one name of the peer certificate that libpq's host name
// check looks at. Value is raw, so that the check can refuse embedded NULs.
type PeerName struct {
	Kind  NameKind
	Value []byte
}

var oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// PeerNames returns the dNSName and iPAddress subjectAltNames of cert in
// the order the certificate lists them, then the first commonName: what
// OpenSSL hands libpq's fe-secure-common.c rules.
func PeerNames(cert *x509.Certificate) []PeerName {
	var names []PeerName
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(oidSubjectAltName) {
			continue
		}
		var general []asn1.RawValue
		if _, err := asn1.Unmarshal(ext.Value, &general); err != nil {
			continue
		}
		for _, g := range general {
			if g.Class != asn1.ClassContextSpecific {
				continue
			}
			switch g.Tag {
			case 2:
				names = append(names, PeerName{NameDNS, g.Bytes})
			case 7:
				names = append(names, PeerName{NameIP, g.Bytes})
			}
		}
	}
	for _, atv := range cert.Subject.Names {
		if atv.Type.Equal(oidCommonName) {
			if v, ok := atv.Value.(string); ok {
				names = append(names, PeerName{NameCN, []byte(v)})
			}
			break
		}
	}
	return names
}

// CertificateHash returns the tls-server-end-point channel binding data of
// cert (RFC 5929 section 4.1): its hash with the signature's hash
// algorithm, SHA-256 when that is MD5 or SHA-1.
func CertificateHash(cert *x509.Certificate) ([]byte, error) {
	var h hash.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		h = sha256.New()
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = sha512.New()
	default:
		// RFC 5929 defines no hash for signatures without one, such as
		// Ed25519; OpenSSL fails the same way.
		return nil, errors.New("could not find digest for NID UNDEF")
	}
	h.Write(cert.Raw)
	return h.Sum(nil), nil
}
