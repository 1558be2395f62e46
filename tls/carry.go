package pgtls

import (
	"crypto/fips140"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

// An established TLS 1.3 session can move to another process: to a
// helper, when libpq's process forked and its child, which cannot run Go,
// goes on with the connection (docs/fork.md); to a backend or the
// kernel's TLS, on the server side. CarryState says what moves; Resume
// starts the session again from it.

// CarryState returns the session's record-layer state when another
// process could carry the session on from it: a TLS 1.3 session outside
// FIPS mode (elsewhere crypto/tls keeps the data path, and its state
// cannot be had), established, not failed, with no output unsent. The
// state is the layer's own (record.Layer.StateInPlace): valid until the
// session's next call, and not to be written.
func (s *Session) CarryState() (record.State, bool) {
	if s.rec == nil || s.err != nil || len(s.plain) > 0 || s.unacked > 0 || len(s.pipe.unsent()) > 0 {
		return record.State{}, false
	}
	st, err := s.rec.StateInPlace()
	return st, err == nil
}

// Resume starts, on t, a session that another process's session gave
// the state of (CarryState): established, its data path the record
// layer. It knows nothing of the handshake: Attribute, PeerCertificate
// and ConnectionInfo report nothing. In FIPS mode it refuses, as the
// record layer may not run there.
func Resume(st record.State, t Transport) (*Session, error) {
	if fips140.Enabled() {
		return nil, &Error{Kind: KindConfig, Message: "a TLS session cannot be carried on in FIPS 140-3 mode"}
	}
	l, err := record.New(st)
	if err != nil {
		return nil, &Error{Kind: KindConfig, Message: "could not carry the TLS session on: " + err.Error(), Err: err}
	}
	return &Session{pipe: &pipe{transport: t}, rec: l, handshakeDone: true}, nil
}
