package pgtls

import "errors"

// ErrWouldBlock is returned by a Transport when the operation cannot make
// progress without waiting for the socket.
var ErrWouldBlock = errors.New("operation would block")

// Transport moves ciphertext between the session and the peer. Both methods
// must not block: they return ErrWouldBlock instead. Read returns 0 and
// io.EOF at the end of the stream. Any other error is fatal to the session;
// if it carries an errno (syscall.Errno), that errno is reported to the
// caller of the session.
//
// A Transport is only ever called from the goroutine (and, through cgo,
// the C thread) that called into the Session, never concurrently.
type Transport interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
}
