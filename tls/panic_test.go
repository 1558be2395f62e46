package pgtls

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"
)

// A panic in a verification callback, which runs in the handshake
// goroutine on the peer's certificates, fails that session with an error
// instead of taking the process down (issue 9, item 7).
func TestPanicInTheHandshakeFailsOnlyThatSession(t *testing.T) {
	fd, conn := socketPair(t)
	serveTLS(t, conn, serverConfig(t), nil)
	s := newSession(&fdTransport{fd}, func(p *pipe) *tls.Conn {
		return tls.Client(p, &tls.Config{
			InsecureSkipVerify: true,
			VerifyConnection:   func(tls.ConnectionState) error { panic("verifier bug") },
		})
	})
	t.Cleanup(s.Close)
	c := &testClient{fd: fd, s: s, deadline: time.Now().Add(testTimeout)}
	e := asError(t, c.handshake())
	if e.Kind != KindTLS || !strings.Contains(e.Message, "internal error in the TLS handshake: verifier bug") {
		t.Errorf("handshake failed with %s %q, want the panic reported", kindName(e.Kind), e.Message)
	}
	p, ok := errors.AsType[*PanicError](e)
	if !ok || !strings.Contains(string(p.Stack), "panic_test.go") {
		t.Errorf("the error carries no PanicError with the panic's stack: %#v", e.Err)
	}
	// The session stays failed and can be closed.
	if err := s.Handshake(); err != e {
		t.Errorf("second Handshake = %v, want the same error", err)
	}
}
