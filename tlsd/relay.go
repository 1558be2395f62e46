package tlsd

import (
	"errors"
	"io"
	"time"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

// relay copies between the TLS session and the plaintext socket until both
// directions are done.
//
//   - client to backend: decrypted data goes to the plaintext socket. When
//     the client's side ends (close_notify, EOF, a socket or TLS error) the
//     daemon tells the backend how on the channel, then shuts down its
//     write side, so the backend reads EOF and then the reason.
//   - backend to client: plaintext is encrypted and sent. When the backend
//     closes its end (it exits), the daemon sends close_notify and closes
//     the client's socket, which also ends the other direction.
func (s *session) relay() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.recoverRelay()
		s.clientToBackend()
	}()
	func() {
		defer s.recoverRelay()
		s.backendToClient()
	}()
	<-done
}

// recoverRelay turns a panic in one direction into the end of both.
func (s *session) recoverRelay() {
	if p := recover(); p != nil {
		s.d.Log.Printf("internal error in a relay, connection dropped: %v", p)
		s.closeAll()
	}
}

func (s *session) clientToBackend() {
	end := &endReply{status: statusEOF}
	defer func() {
		_, _ = s.channel.Write(end.marshal())
		_ = s.plain.CloseWrite()
		if end.status == statusTLS || end.status == statusTransport {
			// The session has failed and can carry nothing more: stop the
			// other direction too, which may be waiting for a client that
			// never reads (it closes the socket when it stops).
			_ = s.tcp.SetWriteDeadline(time.Unix(1, 0))
		}
	}()
	buf := make([]byte, 32*1024)
	for {
		var n int
		var err error
		werr := s.rc.Read(func(uintptr) bool {
			s.withSession(func(sess *pgtls.Session) { n, err = sess.Read(buf) })
			return err != pgtls.ErrWantRead
		})
		if werr != nil {
			return // the other direction closed the socket
		}
		if n > 0 {
			if _, err := s.plain.Write(buf[:n]); err != nil {
				return
			}
			continue
		}
		if err != nil {
			end = endOf(err)
			return
		}
	}
}

func endOf(err error) *endReply {
	var e *pgtls.Error
	if !errors.As(err, &e) {
		return &endReply{status: statusTLS, message: err.Error()}
	}
	switch e.Kind {
	case pgtls.KindClosed:
		return &endReply{status: statusClosed}
	case pgtls.KindEOF:
		return &endReply{status: statusEOF}
	case pgtls.KindTransport:
		return &endReply{status: statusTransport, errno: int32(e.Errno)}
	}
	return &endReply{status: statusTLS, message: e.Message}
}

func (s *session) backendToClient() {
	buf := make([]byte, 64*1024)
	for {
		n, err := s.plain.Read(buf)
		if n > 0 && !s.write(buf[:n]) {
			break
		}
		if err != nil {
			if err != io.EOF {
				s.d.Log.Printf("reading from a backend: %v", err)
			}
			break
		}
	}
	s.withSession(func(sess *pgtls.Session) { sess.Close() }) // close_notify, if the socket takes it now
	s.tcp.Close()
}

// write encrypts and sends all of p, waiting for the socket as needed. The
// Session's retry rule (call again with the same bytes after ErrWantWrite)
// is kept by not advancing p until Write reports bytes sent.
func (s *session) write(p []byte) bool {
	for len(p) > 0 {
		var n int
		var err error
		werr := s.rc.Write(func(uintptr) bool {
			s.withSession(func(sess *pgtls.Session) { n, err = sess.Write(p) })
			return err != pgtls.ErrWantWrite
		})
		if werr != nil || err != nil {
			return false
		}
		p = p[n:]
	}
	return true
}
