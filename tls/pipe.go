package pgtls

import (
	"io"
	"net"
	"time"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

// pipe is the net.Conn that crypto/tls runs over. It never touches a
// socket by itself:
//
//   - Writes are collected in out, always successfully, until the Session
//     flushes them to the Transport. crypto/tls treats any write error as
//     permanent, so a full socket buffer must never reach it.
//   - While the handshake goroutine runs, Reads park the goroutine and ask
//     the Session's pump for ciphertext (need/feed), so that the pump, on
//     the caller's thread, does all Transport I/O.
//   - After the handshake, Reads go straight to the Transport on the
//     caller's thread and report a would-block condition as a temporary
//     net.Error, which crypto/tls passes up without poisoning the
//     connection.
type pipe struct {
	transport Transport

	out      []byte // ciphertext waiting to be written
	outStart int    // out[outStart:] is still unsent

	in []byte // ciphertext received during the handshake, not yet consumed

	// boundary keeps crypto/tls from reading past the record it is on
	// during the handshake: what it leaves in `in` when the handshake
	// ends is the record layer's (takeover.go).
	boundary record.Boundary

	handshaking bool
	need        chan struct{}  // goroutine to pump: blocked in Read, send input
	feed        chan feedChunk // pump to goroutine: the input (or why there is none)

	// offline makes Read report would-block instead of reading the
	// Transport, so that Session.Pending can decrypt what is already
	// buffered without touching the socket.
	offline bool

	// eof is set once the Transport has reported the end of the stream.
	eof bool
}

type feedChunk struct {
	data []byte
	err  error
}

// wouldBlock is the temporary net.Error that tells crypto/tls to come back
// later.
type wouldBlock struct{}

func (wouldBlock) Error() string   { return "pgtls: would block" }
func (wouldBlock) Timeout() bool   { return false }
func (wouldBlock) Temporary() bool { return true }

func isWouldBlock(err error) bool {
	_, ok := err.(wouldBlock)
	return ok
}

func (p *pipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for len(p.in) == 0 {
		if !p.handshaking {
			return p.readTransport(b)
		}
		p.need <- struct{}{}
		chunk := <-p.feed
		if chunk.err != nil {
			return 0, chunk.err
		}
		p.in = chunk.data
	}
	if p.handshaking {
		b = b[:p.boundary.Limit(len(b))]
	}
	n := copy(b, p.in)
	p.boundary.Consume(p.in[:n])
	p.in = p.in[n:]
	return n, nil
}

func (p *pipe) readTransport(b []byte) (int, error) {
	if p.offline {
		return 0, wouldBlock{}
	}
	n, err := p.transport.Read(b)
	switch {
	case n > 0:
		return n, nil
	case err == ErrWouldBlock:
		return 0, wouldBlock{}
	case err == nil || err == io.EOF:
		p.eof = true
		return 0, io.EOF
	default:
		return 0, err
	}
}

func (p *pipe) Write(b []byte) (int, error) {
	p.out = append(p.out, b...)
	return len(b), nil
}

// unsent returns the ciphertext not yet handed to the Transport.
func (p *pipe) unsent() []byte { return p.out[p.outStart:] }

// sent records that n bytes of unsent() reached the Transport.
func (p *pipe) sent(n int) {
	p.outStart += n
	if p.outStart == len(p.out) {
		p.out, p.outStart = p.out[:0], 0
	}
}

func (p *pipe) Close() error                     { return nil }
func (p *pipe) LocalAddr() net.Addr              { return pipeAddr{} }
func (p *pipe) RemoteAddr() net.Addr             { return pipeAddr{} }
func (p *pipe) SetDeadline(time.Time) error      { return nil }
func (p *pipe) SetReadDeadline(time.Time) error  { return nil }
func (p *pipe) SetWriteDeadline(time.Time) error { return nil }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pgtls" }
func (pipeAddr) String() string  { return "pgtls" }
