package tlsd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

// session is one client connection, from the backend's request to the end
// of the relay.
type session struct {
	d       *Daemon
	channel *net.UnixConn // the session channel to the backend
	plain   *net.UnixConn // the daemon's end of the plaintext pair
	tcp     net.Conn      // the client's socket, in Go's netpoller
	rc      syscall.RawConn

	// The engine's Session is not safe for concurrent use: the relay's
	// two directions and the channel's queries take turns under mu. Every
	// Session call is non-blocking (the transport never waits), so mu is
	// held for CPU work only.
	mu   sync.Mutex
	sess *pgtls.Session
	peer *pgtls.ClientCertificate

	stateMu     sync.Mutex
	established bool // the handshake is over: the backend's exit no longer aborts it
	backendGone bool
}

// serve runs one connection. A panic ends this connection only: the
// backend sees its channel close, the other sessions go on.
func (d *Daemon) serve(req request, fds [3]int) {
	s := &session{d: d}
	defer func() {
		if p := recover(); p != nil {
			d.Log.Printf("internal error, connection dropped: %v\n%s", p, debug.Stack())
		}
		s.closeAll()
	}()
	if err := s.attach(fds, req.raw); err != nil {
		d.Log.Printf("could not take a connection from a backend: %v", err)
		if s.channel != nil {
			s.reply(&handshakeReply{status: statusInternal, message: str("pg_tlsd: " + err.Error())})
		}
		return
	}

	// The deadline first: serveChannel may abort the handshake at once.
	_ = s.tcp.SetDeadline(time.Now().Add(d.HandshakeTimeout))
	go s.serveChannel()
	d.handshaking.Add(1)
	err := s.handshake()
	d.handshaking.Add(-1)
	s.stateMu.Lock()
	s.established = err == nil
	gone := s.backendGone
	_ = s.tcp.SetDeadline(time.Time{})
	s.stateMu.Unlock()
	if gone {
		return
	}
	if err != nil {
		if p, ok := errors.AsType[*pgtls.PanicError](err); ok {
			d.Log.Printf("internal error in a handshake, connection dropped: %v\n%s", p.Value, p.Stack)
		}
		s.reply(handshakeFailure(err))
		return
	}
	if !s.reply(s.success()) {
		return
	}
	s.relay()
}

// attach takes over the request's descriptors: the client's socket, the
// session channel and the plaintext end, each wrapped for the netpoller.
func (s *session) attach(fds [3]int, raw []byte) error {
	var conns [3]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "backend-socket")
		c, err := net.FileConn(f) // a duplicate, non-blocking
		f.Close()
		if err != nil {
			for _, fd := range fds[i+1:] {
				unix.Close(fd)
			}
			s.tcp, s.channel, s.plain = conns[0], unixConn(conns[1]), unixConn(conns[2])
			return fmt.Errorf("socket %d of the request: %w", i, err)
		}
		conns[i] = c
	}
	s.tcp, s.channel, s.plain = conns[0], unixConn(conns[1]), unixConn(conns[2])
	if s.channel == nil || s.plain == nil {
		return errors.New("the session sockets must be Unix sockets")
	}
	sc, ok := s.tcp.(syscall.Conn)
	if !ok {
		return errors.New("the client's socket is not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	t := &fdTransport{prefix: raw}
	_ = rc.Control(func(fd uintptr) { t.FD = int(fd) })
	cfg := s.d.config.Load()
	if cfg == nil {
		return errors.New("no SSL configuration has been loaded")
	}
	sess, err := pgtls.NewServer(cfg, t)
	if err != nil {
		return err
	}
	s.rc, s.sess = rc, sess
	return nil
}

// withSession runs f with the engine's Session to itself. The deferred
// unlock keeps a panic in f (caught further up) from leaving every other
// user of the session blocked.
func (s *session) withSession(f func(*pgtls.Session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.sess)
}

func unixConn(c net.Conn) *net.UnixConn {
	u, _ := c.(*net.UnixConn)
	return u
}

// handshake drives the engine's non-blocking handshake, waiting in the
// netpoller whenever it wants the socket.
func (s *session) handshake() error {
	var err error
	step := func(want error) func(uintptr) bool {
		return func(uintptr) bool {
			s.withSession(func(sess *pgtls.Session) { err = sess.Handshake() })
			return err != want
		}
	}
	for {
		if werr := s.rc.Read(step(pgtls.ErrWantRead)); werr != nil {
			return werr
		}
		if err != pgtls.ErrWantWrite {
			break
		}
		if werr := s.rc.Write(step(pgtls.ErrWantWrite)); werr != nil {
			return werr
		}
		if err != pgtls.ErrWantRead {
			break
		}
	}
	if err == nil {
		s.peer = s.sess.ClientCertificate()
	}
	return err
}

// abortHandshake is called when the backend has gone (its channel
// closed): a handshake in progress is abandoned.
func (s *session) abortHandshake() {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.backendGone = true
	if !s.established {
		_ = s.tcp.SetDeadline(time.Unix(1, 0))
	}
}

// handshakeFailure describes a failed handshake for the backend to log.
func handshakeFailure(err error) *handshakeReply {
	var e *pgtls.Error
	switch {
	case errors.As(err, &e):
		switch e.Kind {
		case pgtls.KindTransport:
			return &handshakeReply{status: statusTransport, errno: int32(e.Errno), message: str(e.Message)}
		case pgtls.KindEOF, pgtls.KindClosed:
			return &handshakeReply{status: statusEOF, message: str(e.Message)}
		}
		r := &handshakeReply{status: statusTLS, message: str(e.Message)}
		if e.Detail != "" {
			r.detail = str(e.Detail)
		}
		if e.Hint != "" {
			r.hint = str(e.Hint)
		}
		return r
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &handshakeReply{status: statusTLS, message: str("handshake timed out")}
	}
	return &handshakeReply{status: statusInternal, message: str("pg_tlsd: " + err.Error())}
}

// success describes the established session for the backend.
func (s *session) success() *handshakeReply {
	s.mu.Lock()
	defer s.mu.Unlock()
	info, _ := s.sess.ConnectionInfo()
	r := &handshakeReply{
		status:   statusOK,
		bits:     int32(info.Bits),
		protocol: str(info.Protocol),
		cipher:   str(info.Cipher),
		alpn:     str(info.ALPN),
	}
	if cc := s.peer; cc != nil {
		r.peerDN = str(cc.DN)
		if cc.HasCN {
			r.peerCN = str(cc.CN)
		}
		r.peerSubject = str(cc.SubjectName)
		r.peerIssuer = str(cc.IssuerName)
		r.peerSerial = str(cc.Serial)
	}
	if h, err := s.sess.ServerCertificateHash(); err != nil {
		r.certHashError = str(err.Error())
	} else {
		r.certHash = str(string(h))
	}
	return r
}

// reply sends the handshake's outcome; false if the backend is gone.
func (s *session) reply(r *handshakeReply) bool {
	_, err := s.channel.Write(r.marshal())
	return err == nil
}

// closeAll ends the session on every path out of serve: the engine's
// Session first, which stops a handshake goroutine still parked for
// input (it would otherwise hold its buffers for the daemon's lifetime),
// then the three sockets.
func (s *session) closeAll() {
	if s.sess != nil {
		s.withSession(func(sess *pgtls.Session) { sess.Close() })
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.channel != nil {
		s.channel.Close()
	}
	if s.plain != nil {
		s.plain.Close()
	}
}
