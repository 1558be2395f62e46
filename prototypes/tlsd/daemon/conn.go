package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

// conn is one client connection, from the backend's request to the end of
// the relay.
type conn struct {
	ctrl *net.UnixConn // to the backend, until the reply is sent

	tcp net.Conn        // the client's socket, in Go's netpoller
	rc  syscall.RawConn // tcp's, to wait for readiness around Session calls

	// The engine's Session is not safe for concurrent use; the two relay
	// directions take turns under mu. Every Session call is non-blocking
	// (the Transport never waits), so mu is held for CPU work only.
	mu   sync.Mutex
	sess *pgtls.Session

	plain *net.UnixConn // the daemon's end of the socketpair

	abortMu   sync.Mutex
	handedOff bool // the handshake is over: the backend's exit no longer aborts it
}

// serve handles one backend request on ctrl.
func serve(ctrl *net.UnixConn, cfg *pgtls.ServerConfig) {
	c := &conn{ctrl: ctrl}
	defer ctrl.Close()

	if err := checkPeer(ctrl); err != nil {
		log.Print(err)
		return
	}
	req, fd, err := readRequest(ctrl)
	if err != nil {
		log.Printf("bad request from backend: %v", err)
		c.sendFailure(statusInternal, 0, "pg-tlsd: "+err.Error())
		return
	}
	if err := c.attach(fd, req.raw, cfg); err != nil {
		log.Print(err)
		c.sendFailure(statusInternal, 0, "pg-tlsd: "+err.Error())
		return
	}
	defer c.tcp.Close()

	// A backend that exits during the handshake (authentication_timeout,
	// a signal) closes ctrl; the handshake is abandoned then.
	_ = c.tcp.SetDeadline(time.Now().Add(*handshakeTimeout))
	go c.watchBackend()

	err = c.handshake()
	c.abortMu.Lock()
	c.handedOff = true
	_ = c.tcp.SetDeadline(time.Time{})
	c.abortMu.Unlock()
	if err != nil {
		c.reportHandshakeFailure(err)
		return
	}

	plainFD, err := c.newPlainSocket()
	if err != nil {
		log.Print(err)
		c.sendFailure(statusInternal, 0, "pg-tlsd: "+err.Error())
		return
	}
	r := c.success()
	_, _, err = ctrl.WriteMsgUnix(r.marshal(), unix.UnixRights(plainFD), nil)
	unix.Close(plainFD)
	if err != nil {
		log.Printf("could not answer the backend: %v", err)
		c.plain.Close()
		return
	}
	ctrl.Close()
	if *verbose {
		info, _ := c.sess.ConnectionInfo()
		log.Printf("%s: %s %s, relaying", c.tcp.RemoteAddr(), info.Protocol, info.Cipher)
	}
	c.relay()
}

// checkPeer refuses a process of another user: the socket's mode already
// does, this is the second lock.
func checkPeer(ctrl *net.UnixConn) error {
	rc, err := ctrl.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("SO_PEERCRED: %w", cerr)
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("refusing a request from uid %d (pid %d)", cred.Uid, cred.Pid)
	}
	return nil
}

// readRequest reads the one request message and the descriptor with it.
func readRequest(ctrl *net.UnixConn) (request, int, error) {
	buf := make([]byte, maxRequest)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, flags, _, err := ctrl.ReadMsgUnix(buf, oob)
	if err != nil {
		return request{}, -1, err
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return request{}, -1, err
		}
		for _, m := range msgs {
			if rights, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, rights...)
			}
		}
	}
	fail := func(err error) (request, int, error) {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return request{}, -1, err
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		return fail(errors.New("request truncated"))
	}
	if len(fds) != 1 {
		return fail(fmt.Errorf("expected one socket, got %d", len(fds)))
	}
	req, err := parseRequest(buf[:n])
	if err != nil {
		return fail(err)
	}
	req.raw = append([]byte(nil), req.raw...)
	return req, fds[0], nil
}

// attach takes over the client's socket and prepares the TLS session.
func (c *conn) attach(fd int, raw []byte, cfg *pgtls.ServerConfig) error {
	f := os.NewFile(uintptr(fd), "client")
	tcp, err := net.FileConn(f) // a non-blocking duplicate in the netpoller
	f.Close()
	if err != nil {
		return fmt.Errorf("client socket: %w", err)
	}
	rc, err := tcp.(syscall.Conn).SyscallConn()
	if err != nil {
		tcp.Close()
		return err
	}
	t := &fdTransport{prefix: raw}
	_ = rc.Control(func(fd uintptr) { t.fd = int(fd) })
	sess, err := pgtls.NewServer(cfg, t)
	if err != nil {
		tcp.Close()
		return err
	}
	c.tcp, c.rc, c.sess = tcp, rc, sess
	return nil
}

func (c *conn) watchBackend() {
	var b [16]byte
	_, _ = c.ctrl.Read(b[:]) // returns when the backend closes (or we do)
	c.abortMu.Lock()
	if !c.handedOff {
		_ = c.tcp.SetDeadline(time.Unix(1, 0))
	}
	c.abortMu.Unlock()
}

// handshake drives the engine's non-blocking handshake, waiting in the
// netpoller whenever it wants the socket.
func (c *conn) handshake() error {
	var err error
	step := func(want error) func(uintptr) bool {
		return func(uintptr) bool {
			err = c.sess.Handshake()
			return err != want
		}
	}
	for {
		if werr := c.rc.Read(step(pgtls.ErrWantRead)); werr != nil {
			return werr
		}
		if err != pgtls.ErrWantWrite {
			return err
		}
		if werr := c.rc.Write(step(pgtls.ErrWantWrite)); werr != nil {
			return werr
		}
		if err != pgtls.ErrWantRead {
			return err
		}
	}
}

func (c *conn) reportHandshakeFailure(err error) {
	var e *pgtls.Error
	switch {
	case errors.As(err, &e):
		switch e.Kind {
		case pgtls.KindTransport:
			c.sendFailure(statusTransport, int32(e.Errno), e.Message)
		case pgtls.KindEOF, pgtls.KindClosed:
			c.sendFailure(statusEOF, 0, e.Message)
		default:
			r := &reply{status: statusTLS, message: str(e.Message)}
			if e.Detail != "" {
				r.detail = str(e.Detail)
			}
			if e.Hint != "" {
				r.hint = str(e.Hint)
			}
			c.send(r)
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.sendFailure(statusTLS, 0, "handshake timed out")
	default:
		c.sendFailure(statusInternal, 0, "pg-tlsd: "+err.Error())
	}
	if *verbose {
		log.Printf("handshake failed: %v", err)
	}
}

func (c *conn) sendFailure(status, errno int32, msg string) {
	c.send(&reply{status: status, errno: errno, message: str(msg)})
}

func (c *conn) send(r *reply) {
	_, _, _ = c.ctrl.WriteMsgUnix(r.marshal(), nil, nil)
}

// newPlainSocket makes the socketpair: the daemon keeps one end in c.plain,
// the other is returned for the backend.
func (c *conn) newPlainSocket() (int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socketpair: %w", err)
	}
	f := os.NewFile(uintptr(fds[0]), "plain")
	pc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		unix.Close(fds[1])
		return -1, err
	}
	c.plain = pc.(*net.UnixConn)
	return fds[1], nil
}

// success describes the established session for the backend.
func (c *conn) success() *reply {
	info, _ := c.sess.ConnectionInfo()
	r := &reply{
		status:   statusOK,
		bits:     int32(info.Bits),
		protocol: str(info.Protocol),
		cipher:   str(info.Cipher),
		alpn:     str(info.ALPN),
	}
	if cc := c.sess.ClientCertificate(); cc != nil {
		r.peerDN = str(cc.DN)
		if cc.HasCN {
			r.peerCN = str(cc.CN)
		}
		r.peerSubject = str(cc.SubjectName)
		r.peerIssuer = str(cc.IssuerName)
		r.peerSerial = str(cc.Serial)
	}
	if h, err := c.sess.ServerCertificateHash(); err != nil {
		r.certHashError = str(err.Error())
	} else {
		r.certHash = str(string(h))
	}
	return r
}

// relay copies between the TLS session and the plaintext socket until both
// directions are done.
//
//   - client to backend: decrypted data goes to the socketpair; at the
//     client's close_notify or EOF (or a TLS error) the daemon shuts down
//     its write side, so the backend reads EOF as it would from the socket.
//   - backend to client: plaintext is encrypted and sent; when the backend
//     closes its end (it exits), the daemon sends close_notify and closes
//     the client's socket, which also ends the other direction.
func (c *conn) relay() {
	done := make(chan struct{})
	go func() {
		c.clientToBackend()
		close(done)
	}()
	c.backendToClient()
	<-done
	c.plain.Close()
}

func (c *conn) clientToBackend() {
	defer c.plain.CloseWrite()
	buf := make([]byte, 32*1024)
	for {
		var n int
		var err error
		werr := c.rc.Read(func(uintptr) bool {
			c.mu.Lock()
			n, err = c.sess.Read(buf)
			c.mu.Unlock()
			return err != pgtls.ErrWantRead
		})
		if werr != nil {
			return // the other direction closed the socket
		}
		if n > 0 {
			if _, err := c.plain.Write(buf[:n]); err != nil {
				return
			}
			continue
		}
		if err != nil {
			var e *pgtls.Error
			if *verbose || (errors.As(err, &e) && e.Kind == pgtls.KindTLS) {
				log.Printf("%s: %v", c.tcp.RemoteAddr(), err)
			}
			return
		}
	}
}

func (c *conn) backendToClient() {
	buf := make([]byte, 64*1024)
	for {
		n, err := c.plain.Read(buf)
		if n > 0 && !c.write(buf[:n]) {
			break
		}
		if err != nil {
			if err != io.EOF {
				log.Printf("%s: reading from the backend: %v", c.tcp.RemoteAddr(), err)
			}
			break
		}
	}
	c.mu.Lock()
	c.sess.Close() // close_notify, if the socket takes it now
	c.mu.Unlock()
	c.tcp.Close()
}

// write encrypts and sends all of p, waiting for the socket as needed. The
// Session's retry rule (call again with the same bytes after ErrWantWrite)
// is kept by not advancing p until Write reports bytes sent.
func (c *conn) write(p []byte) bool {
	for len(p) > 0 {
		var n int
		var err error
		werr := c.rc.Write(func(uintptr) bool {
			c.mu.Lock()
			n, err = c.sess.Write(p)
			c.mu.Unlock()
			return err != pgtls.ErrWantWrite
		})
		if werr != nil || err != nil {
			return false
		}
		p = p[n:]
	}
	return true
}

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
