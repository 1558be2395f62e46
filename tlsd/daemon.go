// Package tlsd is pg_tlsd, the process that terminates TLS for every
// connection of a PostgreSQL server built --with-ssl=go (process model
// (b), docs/process-model.md).
//
// The postmaster starts it with fork+exec, sends it each configuration it
// loads (at start, on reload, after a restart) on the control socket, and
// restarts it if it dies. A backend that receives SSLRequest (or a direct
// TLS handshake) sends the daemon the client's TCP socket on the request
// socket, with two socketpair ends of its own: the daemon runs the
// handshake with the pg-gotls engine (package pgtls, the same code and
// messages as the client library), answers on the session channel, and
// relays between TLS and the plaintext socketpair until either side ends.
// Go never runs in a process the postmaster forks without exec, and the
// private key is not needed in any backend.
package tlsd

import (
	"errors"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

// Daemon serves the connections of one postmaster.
type Daemon struct {
	// Log receives the daemon's own events; per-connection failures go to
	// the backend, which logs them in PostgreSQL's format.
	Log *log.Logger
	// HandshakeTimeout bounds a handshake. The backend's
	// authentication_timeout normally ends a stalled one first: the
	// backend exits, and its session channel closes.
	HandshakeTimeout time.Duration

	config   atomic.Pointer[pgtls.ServerConfig]
	sessions sync.WaitGroup

	// What Stats reports: sessions between the request and the end of
	// serve, and those of them still in their handshake.
	active      atomic.Int64
	handshaking atomic.Int64
}

// Run serves requests until the postmaster closes the control socket (it
// exited), then waits for the sessions in progress to end. control is the
// stream socket the configuration arrives on; requests the datagram
// socket backends send connections on.
func (d *Daemon) Run(control *net.UnixConn, requests *net.UnixConn) {
	go func() {
		d.serveControl(control)
		requests.Close() // no new connections once the postmaster is gone
	}()
	for {
		req, fds, err := readRequest(requests)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, errNoSenders) {
				break
			}
			d.Log.Printf("could not read a request: %v", err)
			continue
		}
		d.sessions.Add(1)
		d.active.Add(1)
		go func() {
			defer d.sessions.Done()
			defer d.active.Add(-1)
			d.serve(req, fds)
		}()
	}
	d.sessions.Wait()
}

var errNoSenders = errors.New("every process that could send a request has exited")

// readRequest reads one request and the three descriptors with it. A
// malformed request is refused: its descriptors are closed, and the
// backend sees its session channel close.
func readRequest(requests *net.UnixConn) (request, [3]int, error) {
	var fds [3]int
	buf := make([]byte, maxRequest)
	oob := make([]byte, unix.CmsgSpace(len(fds)*4))
	n, oobn, flags, _, err := requests.ReadMsgUnix(buf, oob)
	if err != nil {
		return request{}, fds, err
	}
	if n == 0 && oobn == 0 {
		return request{}, fds, errNoSenders
	}
	received, err := parseRights(oob[:oobn])
	if err == nil && flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		err = errors.New("request truncated")
	}
	if err == nil && len(received) != len(fds) {
		err = errors.New("a request must carry three descriptors")
	}
	var req request
	if err == nil {
		req, err = parseRequest(buf[:n])
	}
	if err != nil {
		for _, fd := range received {
			unix.Close(fd)
		}
		return request{}, fds, err
	}
	copy(fds[:], received)
	return req, fds, nil
}

func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		if rights, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, rights...)
		}
	}
	return fds, nil
}
