package pgtls

import (
	"io"

	"golang.org/x/sys/unix"
)

// SocketTransport is a Transport over a non-blocking socket, for the Go
// programs that own one (pg_tlsd, the libpq helper); the library's C
// callers bring their own.
type SocketTransport struct{ FD int }

func (t *SocketTransport) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(t.FD, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, ErrWouldBlock
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (t *SocketTransport) Write(p []byte) (int, error) {
	for {
		n, err := unix.SendmsgN(t.FD, p, nil, nil, unix.MSG_NOSIGNAL)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, ErrWouldBlock
		case err != nil:
			return 0, err
		}
		return n, nil
	}
}
