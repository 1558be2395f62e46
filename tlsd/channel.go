package tlsd

import (
	"errors"
	"runtime/debug"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

// serveChannel answers the backend's questions about the client
// certificate (contrib/sslinfo) and its TCP settings until the backend
// closes the channel, which also tells a handshake in progress that nobody
// waits for it any more.
func (s *session) serveChannel() {
	defer s.abortHandshake()
	// The answers print the client's certificate, attacker-controlled
	// input: a bug there ends this connection, not the daemon.
	defer func() {
		if p := recover(); p != nil {
			s.d.Log.Printf("internal error answering a backend, connection dropped: %v\n%s", p, debug.Stack())
			s.closeAll()
		}
	}()
	buf := make([]byte, 4096)
	for {
		n, _, flags, _, err := s.channel.ReadMsgUnix(buf, nil)
		if err != nil || n == 0 {
			return
		}
		var q query
		if flags&unix.MSG_TRUNC != 0 {
			// The backend sends queries of up to 64 kB (a field name is
			// the user's); the rest of a longer one than buf is gone, and
			// what is left could name another field ("2.5.4.0...03x").
			err = errors.New("malformed query: too long")
		} else {
			q, err = parseQuery(buf[:n])
		}
		var a *answer
		if err != nil {
			a = &answer{status: answerError, value: err.Error()}
		} else {
			a = s.answer(q)
		}
		if _, err := s.channel.Write(a.marshal()); err != nil {
			return
		}
	}
}

func (s *session) answer(q query) *answer {
	s.stateMu.Lock()
	established := s.established
	s.stateMu.Unlock()
	if !established {
		return &answer{status: answerError, value: "the TLS handshake is not complete"}
	}
	switch q.kind {
	case queryGetOption:
		return s.getOption(q.arg)
	case querySetOption:
		return s.setOption(q.arg, q.text)
	}
	if s.peer == nil {
		return &answer{status: answerAbsent}
	}
	cert := s.peer.Certificate
	switch q.kind {
	case queryNameField:
		name := cert.RawSubject
		if q.arg != 0 {
			name = cert.RawIssuer
		}
		v, ok, err := pgtls.NameField(name, q.text)
		switch {
		case err != nil:
			return &answer{status: answerError, value: err.Error()}
		case !ok:
			return &answer{status: answerAbsent}
		}
		return &answer{status: answerFound, value: v}
	case queryExtension:
		// Extensions returns the rows before a failure, and the failure.
		exts, err := pgtls.Extensions(cert)
		i := int(q.arg)
		if i >= len(exts) {
			if err != nil && i == len(exts) {
				return &answer{status: answerError, value: err.Error()}
			}
			return &answer{status: answerAbsent}
		}
		e := exts[i]
		a := &answer{status: answerFound, name: e.Name, value: e.Value}
		if e.Critical {
			a.number = 1
		}
		return a
	}
	return &answer{status: answerError, value: errors.New("unknown query").Error()}
}
