package helper

import (
	"errors"
	"sync"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

// The descriptors libpq starts the helper with.
const (
	TCPFD     = 3
	ChannelFD = 4
	PlainFD   = 5
)

// errLibpqGone: libpq closed its end of the plaintext stream.
var errLibpqGone = errors.New("libpq closed the connection")

// Run serves the connection libpq handed over, and returns once libpq has
// closed its end (PQfinish, or the program's exit or death); the server's
// side ending does not end it, as libpq still holds the connection.
func Run() {
	first, err := readFirst()
	if err != nil {
		return // libpq gone before it said anything
	}
	if isState(first) {
		carryOn(first)
		return
	}
	opts, err := decodeOptions(first)
	if err != nil {
		return // not libpq
	}
	s, err := pgtls.NewClient(opts, &pgtls.SocketTransport{FD: TCPFD})
	if err == nil {
		if err = handshake(s); err == errLibpqGone {
			return
		}
	}
	out, oerr := encodeOutcome(s, err)
	if oerr != nil {
		err = &pgtls.Error{Kind: pgtls.KindTLS, Message: oerr.Error()}
		out, _ = encodeOutcome(nil, err)
	}
	if sendAll(PlainFD, out) != nil || err != nil {
		return
	}
	relay(s)
}

// readFirst reads libpq's first message on the channel.
func readFirst() ([]byte, error) {
	buf := make([]byte, maxFirst)
	for {
		n, err := unix.Read(ChannelFD, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// carryOn goes on with a session that libpq's process established before
// it forked, from its state: there is no handshake, and so no outcome. A
// state it cannot resume from ends the stream at once, with the reason
// on the channel, as a failed session does.
func carryOn(msg []byte) {
	st, err := decodeState(msg)
	clear(msg) // the secrets
	var s *pgtls.Session
	if err == nil {
		s, err = pgtls.Resume(st, &pgtls.SocketTransport{FD: TCPFD})
	}
	clear(st.ReadSecret)
	clear(st.WriteSecret)
	if err != nil {
		endStream(err)
		return
	}
	relay(s)
}

// handshake runs the handshake, waiting for the server's socket as it
// asks; it gives up if libpq closes the plaintext stream meanwhile (its
// connect_timeout, PQfinish).
func handshake(s *pgtls.Session) error {
	for {
		err := s.Handshake()
		switch err {
		case pgtls.ErrWantRead:
			err = waitServer(unix.POLLIN, true)
		case pgtls.ErrWantWrite:
			err = waitServer(unix.POLLOUT, true)
		default:
			return err
		}
		if err != nil {
			return err
		}
	}
}

// waitServer waits until the server's socket is ready for events; with
// watchLibpq, also returns errLibpqGone if libpq's end of the plaintext
// stream closes first (nothing else comes from libpq before the outcome).
func waitServer(events int16, watchLibpq bool) error {
	fds := []unix.PollFd{{Fd: TCPFD, Events: events}, {Fd: PlainFD, Events: unix.POLLIN}}
	if !watchLibpq {
		fds = fds[:1]
	}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if len(fds) > 1 && fds[1].Revents != 0 {
			return errLibpqGone
		}
		return nil // the session's own I/O reports a failed socket
	}
}

func sendAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.SendmsgN(fd, p, nil, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// relay copies between the session and the plaintext stream. The session
// is not safe for concurrent use: the two directions take turns under mu,
// and wait for the socket outside it.
func relay(s *pgtls.Session) {
	var mu sync.Mutex
	locked := func(f func()) {
		mu.Lock()
		defer mu.Unlock()
		f()
	}
	go serverToLibpq(s, locked)
	libpqToServer(s, locked)
	locked(s.Close) // close_notify, if the socket takes it now
}

// serverToLibpq passes on what the server sends. When the server's side
// ends it tells libpq how on the channel, then shuts the stream, so that
// libpq reads end of file and then the reason.
func serverToLibpq(s *pgtls.Session, locked func(func())) {
	buf := make([]byte, 64*1024)
	for {
		var n int
		var err error
		locked(func() { n, err = s.Read(buf) })
		if n > 0 {
			if sendAll(PlainFD, buf[:n]) != nil {
				return // libpq closed its end: libpqToServer ends too
			}
			continue
		}
		switch err {
		case pgtls.ErrWantRead:
			err = waitServer(unix.POLLIN, false)
		case pgtls.ErrWantWrite:
			err = waitServer(unix.POLLOUT, false)
		}
		if err != nil {
			endStream(err)
			return
		}
	}
}

// endStream tells libpq how the server's side ended, on the channel, then
// shuts the plaintext stream: libpq, reading end of file there, finds the
// reason waiting.
func endStream(err error) {
	_, _ = unix.SendmsgN(ChannelFD, encodeEnd(err), nil, nil, unix.MSG_NOSIGNAL)
	_ = unix.Shutdown(PlainFD, unix.SHUT_WR)
}

// libpqToServer encrypts and sends what libpq writes, until libpq closes
// its end. After a failed write it reads on without sending, so that
// libpq never blocks on the stream: the failure reaches libpq from the
// other direction, whose reads fail too.
func libpqToServer(s *pgtls.Session, locked func(func())) {
	buf := make([]byte, 64*1024)
	failed := false
	for {
		n, err := unix.Read(PlainFD, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return
		}
		for p := buf[:n]; len(p) > 0 && !failed; {
			var k int
			locked(func() { k, err = s.Write(p) })
			switch {
			case err == nil:
				p = p[k:]
			case err == pgtls.ErrWantWrite:
				err = waitServer(unix.POLLOUT, false)
			case err == pgtls.ErrWantRead:
				err = waitServer(unix.POLLIN, false)
			}
			failed = err != nil
		}
	}
}
