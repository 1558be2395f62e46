package pgtls

import (
	"crypto/fips140"
	"crypto/tls"
	"io"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

// A TLS 1.3 session leaves crypto/tls once its handshake is done: the data
// path runs on tls/record, whose state (suite, secrets, sequence numbers,
// buffered input) is in plain fields that another process can be given
// (docs/design.md, "The record layer").
//
// Two things make the hand-over exact. The pipe feeds crypto/tls one record
// at a time during the handshake (record.Boundary), so crypto/tls holds no
// byte past the handshake's last record. And the secrets come from
// crypto/tls's key log, the one place it gives them out.
//
// In FIPS 140-3 mode crypto/tls keeps the data path: the Go module approves
// AES-GCM for TLS 1.3 only through crypto/tls's own record layer.

// newSecrets returns the key log that captures a session's traffic
// secrets and passes its lines on to next, or nil where the record layer
// is not to take over.
func newSecrets(next io.Writer) *record.Secrets {
	if fips140.Enabled() {
		return nil
	}
	return &record.Secrets{Next: next}
}

// takeOver starts the record layer once a TLS 1.3 handshake is complete,
// with what the pipe received after the handshake's last record.
func (s *Session) takeOver() error {
	if s.secrets == nil {
		return nil
	}
	cs := s.conn.ConnectionState()
	if cs.Version != tls.VersionTLS13 {
		s.secrets = nil
		return nil
	}
	var buf []byte
	if s.input != nil {
		buf = s.input()
	}
	l, err := record.Takeover(cs, s.secrets, s.client != nil, s.pipe.in, buf)
	s.secrets = nil
	if err != nil {
		return &Error{Kind: KindTLS, Message: "internal error: the record layer could not take over: " + err.Error(), Err: err}
	}
	s.rec, s.pipe.in = l, nil
	return nil
}

// SetInputBuffer has the record layer, if one takes over, read into the
// buffer that input returns (record.InputSize bytes that outlive the
// session), instead of one on Go's heap: C memory, say, which the
// caller's own code may then read the socket into (ReadSpace). Call it
// before the handshake.
func (s *Session) SetInputBuffer(input func() []byte) { s.input = input }

// ReadSpace returns where the next Read would read the Transport into,
// when that is all it would do: no plaintext or complete record waits,
// no output is unsent, and the session has not failed. A caller may then
// read the socket into the space itself and call Read only if that got
// something (or an error): its Transport must then answer Read's read of
// the same space with that result. An empty socket spares it the call.
// Otherwise, and where no record layer runs (TLS 1.2, FIPS mode), it
// returns nil.
func (s *Session) ReadSpace() []byte {
	if s.rec == nil || s.err != nil || len(s.plain) > 0 || len(s.pipe.unsent()) > 0 {
		return nil
	}
	return s.rec.ReadSpace()
}

// readRecords is Read on the record layer.
func (s *Session) readRecords(b []byte) (int, error) {
	for {
		n, err := s.rec.Read(b)
		s.pipe.out = s.rec.TakeReplies(s.pipe.out)
		if ferr := s.checkUnsent(); ferr != nil && n == 0 {
			return 0, ferr
		}
		if n > 0 {
			return n, nil
		}
		if err != record.ErrNeedInput {
			e := s.fail(err)
			if s.unacked == 0 {
				_ = s.flush() // the alert, if the socket takes it now
			}
			return 0, e
		}
		m, err := s.pipe.transport.Read(s.rec.ReadSpace())
		switch {
		case m > 0:
			s.rec.Received(m)
		case err == ErrWouldBlock:
			return 0, ErrWantRead
		case err == nil || err == io.EOF:
			s.pipe.eof = true
			if s.rec.Buffered() > 0 {
				return 0, s.fail(io.ErrUnexpectedEOF)
			}
			return 0, s.fail(io.EOF)
		default:
			return 0, s.fail(err)
		}
	}
}

// pendingRecords is Pending on the record layer.
func (s *Session) pendingRecords() int {
	n := s.rec.Pending()
	s.pipe.out = s.rec.TakeReplies(s.pipe.out)
	if err := s.checkUnsent(); err != nil {
		return 0
	}
	return n
}

// Buffered reports how many decrypted bytes Read returns without reading
// the Transport, and whether that is exactly what Pending would say (no
// complete record waits to be decrypted). It never decrypts, so a caller
// can ask it after every call and skip Pending when exact.
func (s *Session) Buffered() (plaintext int, exact bool) {
	if s.rec == nil || s.err != nil {
		return len(s.plain), false
	}
	n, waiting := s.rec.Ready()
	return n, !waiting
}
