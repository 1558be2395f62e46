package tlsd

import pgtls "github.com/pg-gotls/pg-gotls/tls"

// fdTransport is the engine's Transport over the client's non-blocking
// socket, returning first the bytes the backend had already read.
type fdTransport struct {
	pgtls.SocketTransport
	prefix []byte
}

func (t *fdTransport) Read(p []byte) (int, error) {
	if len(t.prefix) > 0 {
		n := copy(p, t.prefix)
		t.prefix = t.prefix[n:]
		return n, nil
	}
	return t.SocketTransport.Read(p)
}
