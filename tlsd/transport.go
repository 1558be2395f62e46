package tlsd

import (
	"io"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

// fdTransport is the engine's Transport over the client's non-blocking
// socket, returning first the bytes the backend had already read.
type fdTransport struct {
	fd     int
	prefix []byte
}

func (t *fdTransport) Read(p []byte) (int, error) {
	if len(t.prefix) > 0 {
		n := copy(p, t.prefix)
		t.prefix = t.prefix[n:]
		return n, nil
	}
	for {
		n, err := unix.Read(t.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, pgtls.ErrWouldBlock
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (t *fdTransport) Write(p []byte) (int, error) {
	for {
		n, err := unix.SendmsgN(t.fd, p, nil, nil, unix.MSG_NOSIGNAL)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, pgtls.ErrWouldBlock
		case err != nil:
			return 0, err
		}
		return n, nil
	}
}
