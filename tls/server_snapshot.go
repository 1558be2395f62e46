package pgtls

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
)

// A ServerConfig travels as a snapshot from the process that loaded it to
// the processes that use it. The postmaster must never start Go (a Go
// runtime does not survive fork), so a short-lived child of it loads and
// checks the configuration, and the postmaster keeps the Export()ed bytes
// for its backends, which ImportServerConfig them after fork. Files are
// read once, at load, as with the OpenSSL backend: a file changed on disk
// takes effect at the next reload, and a broken one leaves the snapshot
// of the last good load in force.
//
// The snapshot holds the private key in the clear (PKCS#8), as the
// postmaster's SSL_CTX holds it with OpenSSL: it must only ever be kept in
// memory or passed through a private pipe.
type serverSnapshot struct {
	Library string // LibraryVersion(): import only what this build exported

	Chain [][]byte // ssl_cert_file, DER, leaf first
	Key   []byte   // ssl_key_file, decrypted, PKCS#8 DER
	Roots [][]byte // ssl_ca_file, DER
	CRLs  [][]byte // ssl_crl_file, DER

	// The settings, re-parsed at import. ServerOptions' file names are
	// kept only for messages; the files are not read again.
	Options  ServerOptions
	Warnings []string
}

func newServerSnapshot(cert *tls.Certificate, roots []*x509.Certificate, lists []*revocationList, o ServerOptions) *serverSnapshot {
	o.Passphrase = "" // the key is stored decrypted; the passphrase is not needed again
	s := &serverSnapshot{Library: LibraryVersion(), Chain: cert.Certificate, Options: o}
	for _, r := range roots {
		s.Roots = append(s.Roots, r.Raw)
	}
	for _, l := range lists {
		s.CRLs = append(s.CRLs, l.raw)
	}
	return s
}

// Export returns the configuration as bytes for ImportServerConfig. The
// key is encoded only here, so that a process that never exports (pg_tlsd)
// holds no encoded copy of it beside crypto/tls's own; the caller owns
// the one in the result.
func (c *ServerConfig) Export() ([]byte, error) {
	if c.snapshot == nil || len(c.tls.Certificates) == 0 {
		return nil, errors.New("server configuration cannot be exported")
	}
	s := *c.snapshot
	s.Warnings = c.warnings
	// A key that crypto/tls can sign with can be marshalled: loadServerKey
	// only returns RSA, ECDSA and Ed25519 keys.
	key, err := x509.MarshalPKCS8PrivateKey(c.tls.Certificates[0].PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("server configuration cannot be exported: %w", err)
	}
	defer clear(key)
	s.Key = key
	return json.Marshal(&s)
}

// ImportServerConfig rebuilds a ServerConfig from Export's bytes, without
// reading any file. The data was checked when it was exported, so an error
// here means the bytes were damaged or come from another build.
func ImportServerConfig(data []byte) (*ServerConfig, error) {
	var s serverSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, snapshotError(err)
	}
	if s.Library != LibraryVersion() {
		return nil, snapshotError(fmt.Errorf("exported by %q, this library is %q", s.Library, LibraryVersion()))
	}
	cert, err := s.certificate()
	if err != nil {
		return nil, snapshotError(err)
	}
	st, err := parseServerSettings(s.Options)
	if err != nil {
		return nil, err
	}
	st.warnings = s.Warnings
	roots, err := parseDERs(s.Roots, x509.ParseCertificate)
	if err != nil {
		return nil, snapshotError(err)
	}
	lists, err := parseDERs(s.CRLs, parseCRL)
	if err != nil {
		return nil, snapshotError(err)
	}
	return assembleServerConfig(cert, st, roots, lists, s.Options)
}

func (s *serverSnapshot) certificate() (*tls.Certificate, error) {
	if len(s.Chain) == 0 {
		return nil, errors.New("no certificate")
	}
	leaf, err := x509.ParseCertificate(s.Chain[0])
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(s.Key)
	clear(s.Key) // parsed: the only copy left is crypto/tls's
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: s.Chain, PrivateKey: key, Leaf: leaf}, nil
}

func parseDERs[T any](ders [][]byte, parse func([]byte) (T, error)) ([]T, error) {
	var out []T
	for _, d := range ders {
		v, err := parse(d)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func snapshotError(err error) *Error {
	return &Error{Kind: KindConfig, Message: "could not import the SSL configuration: " + err.Error(), Err: err}
}
