package pgtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// alpnPostgreSQL is the ALPN protocol PostgreSQL registered; libpq offers
// it on every TLS connection.
const alpnPostgreSQL = "postgresql"

// NewClient prepares a client Session from libpq options; the handshake
// starts with the first call to Handshake. Errors are *Error values of
// KindConfig worded as libpq words them.
func NewClient(o ClientOptions, t Transport) (*Session, error) {
	cfg, st, err := clientConfig(&o)
	if err != nil {
		return nil, err
	}
	s := newSession(t, func(p *pipe) *tls.Conn { return tls.Client(p, cfg) })
	s.client = st
	if s.secrets = newSecrets(cfg.KeyLogWriter); s.secrets != nil {
		cfg.KeyLogWriter = s.secrets
	}
	return s, nil
}

// clientState is what the client learns during the handshake.
type clientState struct {
	certRequested bool // the server asked for a client certificate
	certSent      bool // and we had one to send
	keyLog        *os.File
}

func clientConfig(o *ClientOptions) (*tls.Config, *clientState, error) {
	st := &clientState{}
	cfg := &tls.Config{
		NextProtos: []string{alpnPostgreSQL},
		// Verification is ours (VerifyConnection): libpq checks the chain
		// only when it has root certificates, and the host name after the
		// handshake, with PostgreSQL's own rules.
		InsecureSkipVerify: true,
		// crypto/tls never negotiates compression, which is what
		// sslcompression=0 asks and what modern OpenSSL does anyway.
	}
	if o.SSLSNI && o.Host != "" && !isIPLiteral(o.Host) {
		cfg.ServerName = o.Host
	}
	if err := setVersions(cfg, o); err != nil {
		return nil, nil, err
	}
	verifier, err := loadServerVerifier(o)
	if err != nil {
		return nil, nil, err
	}
	if verifier != nil {
		cfg.VerifyConnection = verifier.verifyConnection
	}
	cert, err := loadClientCertificate(o)
	if err != nil {
		return nil, nil, err
	}
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		st.certRequested = true
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		st.certSent = true
		return cert, nil
	}
	if o.KeyLogFile != "" {
		f, err := openKeyLog(o.KeyLogFile)
		if err != nil {
			// libpq's OpenSSL backend reports a key log file it cannot
			// open and carries on; the connection does not depend on it.
			fmt.Fprintf(os.Stderr, "WARNING: could not open SSL key logging file \"%s\": %v\n", o.KeyLogFile, err)
		} else {
			cfg.KeyLogWriter = f
			st.keyLog = f
		}
	}
	return cfg, st, nil
}

func setVersions(cfg *tls.Config, o *ClientOptions) error {
	if o.MinProtocol != "" {
		v, ok := protocolVersion(o.MinProtocol)
		if !ok {
			return &Error{Kind: KindConfig, Message: fmt.Sprintf("invalid value \"%s\" for minimum SSL protocol version", o.MinProtocol)}
		}
		cfg.MinVersion = v
	}
	if o.MaxProtocol != "" {
		v, ok := protocolVersion(o.MaxProtocol)
		if !ok {
			return &Error{Kind: KindConfig, Message: fmt.Sprintf("invalid value \"%s\" for maximum SSL protocol version", o.MaxProtocol)}
		}
		cfg.MaxVersion = v
	}
	if cfg.MaxVersion != 0 && cfg.MinVersion > cfg.MaxVersion {
		return &Error{Kind: KindConfig, Message: "invalid SSL protocol version range"}
	}
	return checkFIPSClientVersions(cfg.MaxVersion, o.MaxProtocol)
}

// loadServerVerifier finds the root certificates the way libpq does. It
// returns nil when there are none and the sslmode does not insist, in
// which case the server's certificate is not checked at all.
func loadServerVerifier(o *ClientOptions) (*serverVerifier, error) {
	name := o.SSLRootCert
	if name == "" {
		name = o.inHome(rootCertFile)
	}
	if name == "system" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, configError("could not load system root certificate paths", err)
		}
		return &serverVerifier{roots: pool}, nil
	}
	if name != "" {
		if _, err := os.Stat(name); err == nil {
			pool, trusted, err := loadCertPool(name)
			if err != nil {
				return nil, configError(fmt.Sprintf("could not read root certificate file \"%s\"", name), err)
			}
			crls, err := loadCRLs(o)
			if err != nil {
				return nil, err
			}
			return &serverVerifier{roots: pool, trusted: trusted, crls: crls}, nil
		}
	}
	if o.verifiesChain() {
		const hint = "\nEither provide the file, use the system's trusted roots with sslrootcert=system, or change sslmode to disable server certificate verification."
		if name == "" {
			return nil, &Error{Kind: KindConfig, Message: "could not get home directory to locate root certificate file" + hint}
		}
		return nil, &Error{Kind: KindConfig, Message: fmt.Sprintf("root certificate file \"%s\" does not exist", name) + hint}
	}
	return nil, nil
}

// loadClientCertificate loads sslcert and sslkey, or their defaults. It
// returns nil when there is no certificate to offer.
func loadClientCertificate(o *ClientOptions) (*tls.Certificate, error) {
	if o.SSLCertMode == "disable" {
		return nil, nil
	}
	certFile := o.SSLCert
	if certFile == "" {
		certFile = o.inHome(userCertFile)
	}
	if certFile == "" {
		return nil, nil
	}
	if _, err := os.Stat(certFile); err != nil {
		// A missing file means "no client certificate"; the server may
		// not want one. Anything else is worth a complaint.
		if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
			return nil, nil
		}
		return nil, configError(fmt.Sprintf("could not open certificate file \"%s\"", certFile), unwrapPathError(err))
	}
	chain, err := loadCertChain(certFile)
	if err != nil {
		return nil, configError(fmt.Sprintf("could not read certificate file \"%s\"", certFile), err)
	}
	keyFile := o.SSLKey
	if keyFile == "" {
		keyFile = o.inHome(userKeyFile)
	}
	if keyFile == "" {
		return nil, &Error{Kind: KindConfig, Message: fmt.Sprintf("certificate present, but not private key file \"%s\"", keyFile)}
	}
	key, err := loadClientKey(keyFile, o.SSLPassword)
	if err != nil {
		return nil, err
	}
	cert := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	if err := checkKeyMatches(chain[0], key); err != nil {
		return nil, configError(fmt.Sprintf("certificate does not match private key file \"%s\"", keyFile), err)
	}
	if p := fipsKeyProblem(chain[0].PublicKey); p != "" {
		return nil, &Error{Kind: KindConfig, Message: fmt.Sprintf("could not load certificate file \"%s\": %s", certFile, p)}
	}
	return cert, nil
}
