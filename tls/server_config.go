package pgtls

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
)

// ServerConfig is a loaded and checked set of ServerOptions: what the
// backend's be_tls_init builds into its SSL_CTX. It is immutable, safe for
// concurrent use, and costs nothing per session beyond crypto/tls's own
// work; load it once and pass it to NewServer for every connection.
type ServerConfig struct {
	tls *tls.Config
	// noALPN is tls with ALPN off, for clients the backend's ALPN
	// callback lets through without ALPN (see selectALPNConfig).
	noALPN *tls.Config

	requireALPN    bool
	verifier       *clientVerifier // nil without ssl_ca_file
	minVer, maxVer string          // for the protocol version hint
	warnings       []string

	certHash    []byte // tls-server-end-point of the certificate
	certHashErr error

	snapshot *serverSnapshot // what Export writes
}

// NewServerConfig loads the files and checks the settings of o, in the
// order be_tls_init does. Errors are *Error values of KindConfig, worded
// like the backend's (Detail and Hint where it has them).
func NewServerConfig(o ServerOptions) (*ServerConfig, error) {
	cert, err := loadServerCertificate(o.CertFile, o.KeyFile, o.Passphrase)
	if err != nil {
		return nil, err
	}
	if p := fipsKeyProblem(cert.Leaf.PublicKey); p != "" {
		return nil, &Error{Kind: KindConfig, Message: fmt.Sprintf("could not load server certificate file \"%s\": %s", o.CertFile, p)}
	}
	settings, err := parseServerSettings(o)
	if err != nil {
		return nil, err
	}
	var roots []*x509.Certificate
	if o.CAFile != "" {
		if roots, err = loadCertChain(o.CAFile); err != nil {
			return nil, configError(fmt.Sprintf("could not load root certificate file \"%s\"", o.CAFile), err)
		}
	}
	lists, warnings, err := loadServerCRLs(o.CRLFile, o.CRLDir)
	if err != nil {
		return nil, err
	}
	settings.warnings = append(settings.warnings, warnings...)
	return assembleServerConfig(cert, settings, roots, lists, o)
}

// serverSettings are the parsed ssl_* settings that name no file.
type serverSettings struct {
	minVersion, maxVersion uint16
	minVer, maxVer         string // for the protocol version hint
	groups                 []tls.CurveID
	suites                 []uint16
	warnings               []string
}

func parseServerSettings(o ServerOptions) (*serverSettings, error) {
	st := &serverSettings{}
	var err error
	if err = st.setVersions(o.MinProtocol, o.MaxProtocol); err != nil {
		return nil, err
	}
	if st.groups, err = parseGroups(o.Groups); err != nil {
		return nil, err
	}
	ciphers := o.Ciphers
	if ciphers == "" {
		ciphers = DefaultCiphers
	}
	if st.suites, err = parseCipherString(ciphers); err != nil {
		return nil, err
	}
	warning, err := checkTLS13Ciphers(o.TLS13Ciphers)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		st.warnings = append(st.warnings, warning)
	}
	if err := checkFIPSServerSettings(st, o.TLS13Ciphers); err != nil {
		return nil, err
	}
	return st, nil
}

// assembleServerConfig builds the crypto/tls configuration from loaded
// material: roots is ssl_ca_file's certificates (none: clients are not
// asked for one), lists ssl_crl_file's CRLs.
func assembleServerConfig(cert *tls.Certificate, st *serverSettings, roots []*x509.Certificate,
	lists []*revocationList, o ServerOptions) (*ServerConfig, error) {
	c := &ServerConfig{
		requireALPN: o.RequireALPN,
		minVer:      st.minVer,
		maxVer:      st.maxVer,
		warnings:    st.warnings,
		snapshot:    newServerSnapshot(cert, roots, lists, o),
	}
	c.certHash, c.certHashErr = CertificateHash(cert.Leaf)

	cfg := &tls.Config{
		Certificates: []tls.Certificate{*cert},
		NextProtos:   []string{alpnPostgreSQL},
		// The backend turns off tickets and the session cache; crypto/tls
		// has no server-side cache, and never renegotiates or compresses.
		SessionTicketsDisabled: true,
		MinVersion:             st.minVersion,
		MaxVersion:             st.maxVersion,
		CurvePreferences:       st.groups,
		CipherSuites:           st.suites,
	}
	if roots != nil {
		pool := x509.NewCertPool()
		for _, r := range roots {
			pool.AddCert(r)
		}
		c.verifier = &clientVerifier{roots: pool, trusted: roots}
		// Ask every client for a certificate, naming the CA file's
		// subjects, and do not insist: pg_hba.conf decides later.
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		cfg.VerifyConnection = c.verifier.verifyConnection
		if o.CRLFile != "" || o.CRLDir != "" {
			c.verifier.crls = &crlSet{lists: lists, dir: o.CRLDir}
		}
	}

	c.noALPN = cfg.Clone()
	c.noALPN.NextProtos = nil
	cfg.GetConfigForClient = c.selectALPNConfig
	c.tls = cfg
	return c, nil
}

// loadServerCertificate loads ssl_cert_file (the certificate and its
// chain) and ssl_key_file.
func loadServerCertificate(certFile, keyFile, passphrase string) (*tls.Certificate, error) {
	chain, err := loadCertChain(certFile)
	if err != nil {
		return nil, configError(fmt.Sprintf("could not load server certificate file \"%s\"", certFile), err)
	}
	key, err := loadServerKey(keyFile, passphrase)
	if err != nil {
		return nil, err
	}
	if err := checkKeyMatches(chain[0], key); err != nil {
		return nil, configError("check of private key failed", err)
	}
	cert := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}

func (st *serverSettings) setVersions(minName, maxName string) error {
	st.minVer, st.maxVer = "TLSv1.2", "TLSv1.3"
	for _, p := range []struct {
		guc, name string
		ver       *uint16
		show      *string
	}{
		{"ssl_min_protocol_version", minName, &st.minVersion, &st.minVer},
		{"ssl_max_protocol_version", maxName, &st.maxVersion, &st.maxVer},
	} {
		if p.name == "" {
			continue
		}
		v, ok := protocolVersion(p.name)
		if !ok {
			return &Error{Kind: KindConfig, Message: fmt.Sprintf("invalid value for parameter \"%s\": \"%s\"", p.guc, p.name)}
		}
		*p.ver, *p.show = v, protocolNames[v]
	}
	if st.maxVersion != 0 && st.minVersion > st.maxVersion {
		return &Error{
			Kind:    KindConfig,
			Message: "could not set SSL protocol version range",
			Detail:  "\"ssl_min_protocol_version\" cannot be higher than \"ssl_max_protocol_version\"",
		}
	}
	return nil
}

// loadServerCRLs reads ssl_crl_file now and leaves ssl_crl_dir to be read
// at each verification, as OpenSSL's X509_STORE_load_locations does. A
// directory that cannot be read is no error there either (every client
// certificate then fails for want of a CRL), so it gets a warning.
func loadServerCRLs(file, dir string) (lists []*revocationList, warnings []string, err error) {
	if file != "" {
		lists, err = readCRLFile(file)
		if err != nil {
			msg := fmt.Sprintf("could not load SSL certificate revocation list file \"%s\"", file)
			if dir != "" {
				msg = fmt.Sprintf("could not load SSL certificate revocation list file \"%s\" or directory \"%s\"", file, dir)
			}
			return nil, nil, configError(msg, err)
		}
	}
	if dir != "" {
		if _, err := os.ReadDir(dir); err != nil {
			warnings = append(warnings, fmt.Sprintf("could not open SSL certificate revocation list directory \"%s\": %v", dir, unwrapPathError(err)))
		}
	}
	return lists, warnings, nil
}

// selectALPNConfig mirrors the backend's alpn_cb. When the client offers
// ALPN without "postgresql", SSL_select_next_proto returns the client's
// first protocol, and the callback checks it fits in its own 11-byte
// protocol vector: if it does, the client is refused with a
// no_application_protocol alert (crypto/tls's own answer); if it is
// longer, the callback answers NOACK and the handshake goes on without
// ALPN.
func (c *ServerConfig) selectALPNConfig(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	protos := hello.SupportedProtos
	const vectorSize = 1 + len(alpnPostgreSQL) // PG_ALPN_PROTOCOL_VECTOR
	if len(protos) > 0 && !slices.Contains(protos, alpnPostgreSQL) && len(protos[0]) > vectorSize {
		return c.noALPN, nil
	}
	return nil, nil
}

// WithRequireALPN returns a configuration that shares everything with c
// but RequireALPN, for direct SSL connections (or the reverse). It is
// cheap: make both at load time and pick one per connection.
func (c *ServerConfig) WithRequireALPN(require bool) *ServerConfig {
	dup := *c
	dup.requireALPN = require
	return &dup
}

// VerifiesClientCertificates reports whether clients are asked for a
// certificate, that is whether ssl_ca_file was loaded (the backend's
// ssl_loaded_verify_locations).
func (c *ServerConfig) VerifiesClientCertificates() bool { return c.verifier != nil }

// Warnings lists settings that were accepted but cannot act as the
// OpenSSL backend's would, for the caller to log.
func (c *ServerConfig) Warnings() []string { return slices.Clone(c.warnings) }
