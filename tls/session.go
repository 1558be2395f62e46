package pgtls

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

// maxWriteChunk bounds how much plaintext one Write encrypts, and so how
// much ciphertext can sit in the output buffer while the socket is full.
const maxWriteChunk = 64 * 1024

// readChunk is the size of the buffer the handshake pump reads into.
const readChunk = 32 * 1024

// maxUnsentReplies bounds the TLS output that reading provokes (a reply
// to each KeyUpdate that asks for one) and the peer has not taken. A
// peer that requests updates and never reads would otherwise grow the
// output buffer without limit; past this the session fails. The bound
// sits above the most an interrupted Write can leave (maxWriteChunk and
// its records' overhead), so application data never counts against it.
// 16 KiB of replies is about 600 unanswered KeyUpdate requests, after the
// socket's own buffer has filled: no honest peer comes near it.
const maxUnsentReplies = 16 * 1024

// maxUnsent is the output buffer's bound once maxUnsentReplies is added
// to the largest interrupted Write (4 records of 16 KiB, 22 bytes of
// overhead each, with room to spare).
const maxUnsent = maxWriteChunk + 1024 + maxUnsentReplies

// Session is one TLS connection driven by its caller over a non-blocking
// Transport. Methods return ErrWantRead or ErrWantWrite when they need the
// socket to become readable or writable; calling them again resumes where
// they stopped. Any other error is an *Error and is permanent.
//
// A Session is not safe for concurrent use: one thread drives it, as libpq
// and the postgres backend drive their connections.
type Session struct {
	conn   *tls.Conn
	pipe   *pipe
	client *clientState // nil for a server session
	server *serverState // nil for a client session

	secrets *record.Secrets // captures the traffic secrets while the handshake runs
	rec     *record.Layer   // the data path of a TLS 1.3 session (takeover.go)
	input   func() []byte   // makes rec's input buffer; nil: Go's heap

	hs            *handshake // non-nil while the handshake goroutine runs
	handshakeDone bool
	err           *Error // the first permanent error, returned ever after

	plain      []byte // decrypted by Pending, not yet returned by Read
	plainStore []byte // storage behind plain, kept for reuse
	scratch    []byte // one record's worth, for Pending's reads

	// unacked is the length of plaintext that Write encrypted but could
	// not flush; the caller must retry with (at least) the same bytes, and
	// the retry reports them written once their ciphertext is out.
	unacked int
}

// handshake is the goroutine that runs crypto/tls's blocking handshake
// over the pipe, and what it last said.
type handshake struct {
	done     chan error
	finished bool
	err      error
}

func newSession(t Transport, makeConn func(*pipe) *tls.Conn) *Session {
	p := &pipe{
		transport: t,
		need:      make(chan struct{}),
		feed:      make(chan feedChunk),
	}
	return &Session{conn: makeConn(p), pipe: p}
}

// Handshake runs or resumes the TLS handshake. It returns nil once the
// handshake is complete and its last flight has been written.
func (s *Session) Handshake() error {
	if s.err != nil {
		return s.err
	}
	if s.handshakeDone {
		return nil
	}
	if s.hs == nil {
		s.startHandshake()
	}
	for {
		// A failed handshake is reported at once: the alert it leaves in
		// the output is sent only if the socket takes it now.
		if s.hs.finished && s.hs.err != nil {
			return s.finishHandshake()
		}
		if err := s.flush(); err != nil {
			return err
		}
		if s.hs.finished {
			return s.finishHandshake()
		}
		// The goroutine is parked in pipe.Read, waiting for ciphertext.
		buf := make([]byte, readChunk)
		n, err := s.pipe.transport.Read(buf)
		switch {
		case err == ErrWouldBlock:
			return ErrWantRead
		case n > 0:
			s.step(feedChunk{data: buf[:n]})
		case err == nil || err == io.EOF:
			s.pipe.eof = true
			s.step(feedChunk{err: io.ErrUnexpectedEOF})
		default:
			s.step(feedChunk{err: err})
		}
	}
}

func (s *Session) startHandshake() {
	s.pipe.handshaking = true
	s.hs = &handshake{done: make(chan error, 1)}
	go func(done chan<- error) {
		// Verification callbacks parse the peer's certificates inside
		// this goroutine: a bug there must fail this session, not the
		// process that hosts every other one.
		defer func() {
			if p := recover(); p != nil {
				done <- &PanicError{Value: p, Stack: debug.Stack()}
			}
		}()
		done <- s.conn.HandshakeContext(context.Background())
	}(s.hs.done)
	s.waitHandshake()
}

// PanicError is a panic inside crypto/tls or the engine's callbacks during
// a handshake, caught so that it ends only its own session. The session
// fails with a KindTLS *Error that wraps it; Stack is for the log.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error in the TLS handshake: %v", e.Value)
}

// step hands the parked handshake goroutine its input and waits until it
// parks again or finishes. The goroutine does no I/O, so this is bounded
// by CPU work.
func (s *Session) step(c feedChunk) {
	s.pipe.feed <- c
	s.waitHandshake()
}

func (s *Session) waitHandshake() {
	select {
	case <-s.pipe.need:
	case err := <-s.hs.done:
		s.hs.finished, s.hs.err = true, err
	}
}

func (s *Session) finishHandshake() error {
	err := s.hs.err
	s.hs = nil
	s.pipe.handshaking = false
	if s.server != nil {
		// The backend's own checks and wording; see server.go.
		err = s.server.finishHandshake(s.conn, err, s.pipe.eof)
	}
	if err != nil {
		// An alert describing the failure may be waiting; send it if the
		// socket takes it now, but never wait for that. The failure is
		// recorded first, so that the socket's complaint about the alert
		// (EPIPE from a peer that has gone) cannot replace it.
		e := s.fail(err)
		_ = s.flush()
		return e
	}
	if err := s.takeOver(); err != nil {
		return s.fail(err)
	}
	s.handshakeDone = true
	if s.rec == nil {
		s.scratch = make([]byte, 16*1024+256)
	}
	return nil
}

// fail records err as the session's permanent error and returns it.
func (s *Session) fail(err error) *Error {
	if s.err == nil {
		s.err = classify(err, s.pipe.eof)
	}
	return s.err
}

// flush writes buffered ciphertext to the Transport. It returns
// ErrWantWrite if the socket could not take all of it.
func (s *Session) flush() error {
	for out := s.pipe.unsent(); len(out) > 0; out = s.pipe.unsent() {
		n, err := s.pipe.transport.Write(out)
		if n > 0 {
			s.pipe.sent(n)
		}
		switch {
		case err == ErrWouldBlock:
			return ErrWantWrite
		case err != nil:
			return s.fail(err)
		case n == 0:
			return ErrWantWrite
		}
	}
	return nil
}

// Read returns decrypted application data. It returns ErrWantRead when no
// complete record is available and the socket has nothing more.
func (s *Session) Read(b []byte) (int, error) {
	if !s.handshakeDone {
		return 0, s.fail(errors.New("Read before the handshake completed"))
	}
	if len(s.plain) > 0 {
		n := copy(b, s.plain)
		s.plain = s.plain[n:]
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	if len(b) == 0 {
		return 0, nil
	}
	// Replies that reading produced (a KeyUpdate acknowledgement, say)
	// go out when they can; a full socket is no reason to stop reading.
	// The rest of an interrupted Write waits for the caller's retry, as
	// with OpenSSL: libpq reads while its write waits, and a reply that
	// this flush provoked would land in that read, where libpq's
	// connection start-up does not look for it.
	if s.unacked == 0 {
		if err := s.flush(); err != nil && err != ErrWantWrite {
			return 0, err
		}
	}
	if s.rec != nil {
		return s.readRecords(b)
	}
	n, err := s.conn.Read(b)
	if ferr := s.checkUnsent(); ferr != nil && n == 0 {
		return 0, ferr
	}
	if n > 0 {
		if err != nil && !isWouldBlock(err) {
			s.fail(err) // reported by the next call
		}
		return n, nil
	}
	if err == nil || isWouldBlock(err) {
		return 0, ErrWantRead
	}
	return 0, s.fail(err)
}

// checkUnsent fails the session if the output that reading provoked has
// outgrown maxUnsent: first it offers the socket what is waiting, so that
// a peer that reads, however slowly, keeps going.
func (s *Session) checkUnsent() *Error {
	if len(s.pipe.unsent()) <= maxUnsent {
		return nil
	}
	if s.unacked == 0 {
		_ = s.flush()
	}
	if n := len(s.pipe.unsent()); n > maxUnsent {
		return s.fail(&Error{
			Kind:    KindTLS,
			Message: fmt.Sprintf("peer does not read: %d bytes of TLS protocol replies (KeyUpdate) are unsent", n),
		})
	}
	return nil
}

// Pending returns how many decrypted bytes Read can return without reading
// from the Transport: it decrypts every complete record already received.
// libpq drains exactly this many bytes before it polls the socket, so a
// record left encrypted here would be data the caller never waits for.
func (s *Session) Pending() int {
	if !s.handshakeDone || s.err != nil {
		return len(s.plain)
	}
	if s.rec != nil {
		return s.pendingRecords()
	}
	s.pipe.offline = true
	defer func() { s.pipe.offline = false }()
	for {
		n, err := s.conn.Read(s.scratch)
		if ferr := s.checkUnsent(); ferr != nil && err == nil {
			err = ferr
		}
		if len(s.plain) == 0 {
			s.plain = s.plainStore[:0] // reuse the storage once drained
		}
		s.plain = append(s.plain, s.scratch[:n]...)
		s.plainStore = s.plain[:0:cap(s.plain)]
		if err != nil {
			if !isWouldBlock(err) {
				s.fail(err)
			}
			return len(s.plain)
		}
	}
}

// Write encrypts and sends b. It returns the number of bytes of b that
// are now on the wire, never more. On ErrWantWrite, part of b may already
// be encrypted: the caller must call again with the same bytes at the
// start of b (more may follow), as with OpenSSL's SSL_write.
func (s *Session) Write(b []byte) (int, error) {
	if !s.handshakeDone {
		return 0, s.fail(errors.New("Write before the handshake completed"))
	}
	if s.err != nil {
		return 0, s.err
	}
	if s.unacked > 0 {
		if len(b) < s.unacked {
			return 0, s.fail(errors.New("write retried with fewer bytes than the interrupted write"))
		}
		if err := s.flush(); err != nil {
			return 0, err
		}
		n := s.unacked
		s.unacked = 0
		return n, nil
	}
	if err := s.flush(); err != nil {
		return 0, err
	}
	n := min(len(b), maxWriteChunk)
	if s.rec != nil {
		out, err := s.rec.Seal(s.pipe.out, b[:n])
		if err != nil {
			return 0, s.fail(err)
		}
		s.pipe.out = out
	} else if _, err := s.conn.Write(b[:n]); err != nil {
		return 0, s.fail(err)
	}
	if err := s.flush(); err != nil {
		if err == ErrWantWrite {
			s.unacked = n
		}
		return 0, err
	}
	return n, nil
}

// Close ends the session: it sends close_notify if the connection is
// healthy, or ended by the peer's close_notify, and the socket takes it
// without waiting; and stops the handshake goroutine if one is running.
// The Transport is not used afterwards.
//
// Answering the peer's close_notify is what OpenSSL's SSL_shutdown does,
// and libpq relies on it: a cancel request's connection ends with the
// server's close_notify, and PQcancelPoll reports success only if closing
// left errno at 0, which the answer's successful write does.
func (s *Session) Close() {
	if s.hs != nil && !s.hs.finished {
		s.pipe.feed <- feedChunk{err: errors.New("pgtls: session closed")}
		<-s.hs.done
	}
	s.hs = nil
	if s.handshakeDone && (s.err == nil || s.err.Kind == KindClosed) {
		if s.rec != nil {
			s.pipe.out = s.rec.CloseNotify(s.pipe.out)
		} else {
			_ = s.conn.CloseWrite()
		}
		_ = s.flush()
	}
	if s.client != nil && s.client.keyLog != nil {
		s.client.keyLog.Close()
	}
	s.err = &Error{Kind: KindConfig, Message: "TLS session is closed"}
}

// Err returns the session's permanent error, or nil.
func (s *Session) Err() *Error { return s.err }
