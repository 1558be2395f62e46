package pgtls

import (
	"crypto/tls"
	"errors"
	"io"
	"time"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

// NewServer prepares a server Session over t, for a client that sent
// SSLRequest (or, with a RequireALPN configuration, started a direct TLS
// handshake). The handshake starts with the first call to Handshake;
// Handshake, Read, Write, Pending and Close behave exactly as for a
// client Session. A failed handshake returns an *Error whose Message is
// what the backend logs after "could not accept SSL connection: ", with
// its Detail and Hint.
func NewServer(cfg *ServerConfig, t Transport) (*Session, error) {
	if cfg == nil {
		return nil, &Error{Kind: KindConfig, Message: "SSL context not set up"}
	}
	var secrets *record.Secrets
	tcfg := cfg.tls
	// The record layer can take over only at write sequence 0: no
	// session tickets may have gone out under the application keys.
	if tcfg.SessionTicketsDisabled {
		if secrets = newSecrets(nil); secrets != nil {
			tcfg = withKeyLog(tcfg, secrets)
		}
	}
	s := newSession(t, func(p *pipe) *tls.Conn { return tls.Server(p, tcfg) })
	s.server = &serverState{cfg: cfg}
	s.secrets = secrets
	return s, nil
}

// withKeyLog returns a copy of cfg, and of any configuration its
// GetConfigForClient picks, that logs this session's secrets to w.
func withKeyLog(cfg *tls.Config, w io.Writer) *tls.Config {
	own := cfg.Clone()
	own.KeyLogWriter = w
	if pick := cfg.GetConfigForClient; pick != nil {
		own.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			alt, err := pick(h)
			if alt != nil {
				alt = alt.Clone()
				alt.KeyLogWriter = w
			}
			return alt, err
		}
	}
	return own
}

// serverState is what a server session learns in its handshake.
type serverState struct {
	cfg  *ServerConfig
	peer *ClientCertificate // nil if the client sent none
}

// finishHandshake applies the checks be_tls_open_server and
// ProcessSSLStartup make once OpenSSL's handshake is done, and words a
// failure as the backend does. It returns nil or an *Error.
func (st *serverState) finishHandshake(conn *tls.Conn, err error, eof bool) error {
	if err != nil {
		return st.handshakeError(err, eof)
	}
	cs := conn.ConnectionState()
	if len(cs.PeerCertificates) > 0 {
		peer, e := newClientCertificate(cs.PeerCertificates[0])
		if e != nil {
			return e
		}
		st.peer = peer
	}
	if st.cfg.requireALPN && cs.NegotiatedProtocol != alpnPostgreSQL {
		return &Error{Kind: KindTLS, Message: "received direct SSL connection request without ALPN protocol negotiation extension"}
	}
	return nil
}

func (st *serverState) handshakeError(err error, eof bool) *Error {
	// crypto/tls's own chain check failed (it sent unknown_ca or
	// certificate_expired): describe it as OpenSSL's verify_cb would.
	if cve, ok := errors.AsType[*tls.CertificateVerificationError](err); ok && st.cfg.verifier != nil && len(cve.UnverifiedCertificates) > 0 {
		e := st.cfg.verifier.describe(cve.UnverifiedCertificates, cve.Err, time.Now()).asError()
		e.Err = err
		return e
	}
	e := classify(err, eof)
	if e.Kind == KindTLS {
		rewordServerError(e)
	}
	if e.VersionMismatch {
		e.Hint = "This may indicate that the client does not support any SSL protocol version between " +
			st.cfg.minVer + " and " + st.cfg.maxVer + "."
	}
	return e
}
