package pgtls

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"syscall"
)

// ErrWantRead and ErrWantWrite tell the caller of a Session method to wait
// until the socket is readable or writable and call again.
var (
	ErrWantRead  = errors.New("pgtls: want read")
	ErrWantWrite = errors.New("pgtls: want write")
)

// ErrorKind classifies a failure so that the C glue can word it the way
// libpq's OpenSSL backend does, and set errno accordingly.
type ErrorKind int

const (
	// KindConfig: an option or file was rejected before any I/O.
	KindConfig ErrorKind = iota + 1
	// KindTransport: the Transport failed with Errno. The owner of the
	// Transport has already described the failure.
	KindTransport
	// KindEOF: the peer closed the connection without close_notify.
	KindEOF
	// KindClosed: the peer sent close_notify.
	KindClosed
	// KindTLS: a TLS-level failure (an alert, a verification failure,
	// a protocol violation); Message says which.
	KindTLS
)

// Error is the error type every Session and configuration failure has.
type Error struct {
	Kind  ErrorKind
	Errno syscall.Errno // for KindTransport
	// Message is the text for the user. For KindTLS it follows OpenSSL's
	// reason wording where one exists (an alert's name, "certificate
	// verify failed") and appends Go's detail after ": ".
	Message string
	// VersionMismatch is set when the failure looks like the two sides
	// have no protocol version in common, for libpq's hint.
	VersionMismatch bool
	// Detail and Hint, when set, are the errdetail and errhint the
	// backend's OpenSSL code reports with the same failure (server side
	// only; libpq's messages carry everything in Message).
	Detail string
	Hint   string
	Err    error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

func configError(format string, err error) *Error {
	msg := format
	if err != nil {
		msg = format + ": " + err.Error()
	}
	return &Error{Kind: KindConfig, Message: msg, Err: err}
}

// verifyError marks a certificate verification failure of ours, so that
// it is reported as OpenSSL reports one.
type verifyError struct{ err error }

func (e *verifyError) Error() string { return "certificate verify failed: " + e.err.Error() }
func (e *verifyError) Unwrap() error { return e.err }

// classify turns an error from crypto/tls or the Transport into an *Error.
// transportEOF says whether the Transport has reported end of stream.
func classify(err error, transportEOF bool) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &Error{Kind: KindTransport, Errno: errno, Message: errno.Error(), Err: err}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// crypto/tls reports close_notify as a bare io.EOF, and so does
		// the pipe when the socket reached its end; transportEOF (from the
		// pipe) tells the two apart.
		if err == io.EOF && !transportEOF {
			return &Error{Kind: KindClosed, Message: "connection closed by peer", Err: err}
		}
		return &Error{Kind: KindEOF, Message: "EOF detected", Err: err}
	}
	var ve *verifyError
	if errors.As(err, &ve) {
		return &Error{Kind: KindTLS, Message: ve.Error(), Err: err}
	}
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return &Error{Kind: KindTLS, Message: "certificate verify failed: " + cve.Err.Error(), Err: err}
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		// What OpenSSL calls the same two conditions: bytes that are not
		// a TLS record (a peer speaking something else), or a record
		// longer than the protocol allows.
		if strings.HasPrefix(rh.Msg, "oversized record") {
			return &Error{Kind: KindTLS, Message: "packet length too long: " + rh.Msg, Err: err}
		}
		return &Error{Kind: KindTLS, Message: "wrong version number: " + strings.TrimPrefix(rh.Msg, "tls: "), VersionMismatch: true, Err: err}
	}
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "remote error" || op.Op == "local error") {
		if code, ok := alertCode(op.Err); ok {
			// OpenSSL names an alert it received "tlsv1 alert decode
			// error"; a problem it found itself gets a reason without
			// "alert". Go says only which alert it sent for the latter, so
			// its bare description keeps the two apart in the log.
			msg := alertReason(code)
			if op.Op == "local error" {
				msg = localAlertReason(code)
			}
			return &Error{
				Kind:            KindTLS,
				Message:         msg,
				VersionMismatch: code == alertProtocolVersion,
				Err:             err,
			}
		}
	}
	msg := strings.TrimPrefix(err.Error(), "tls: ")
	return &Error{
		Kind:            KindTLS,
		Message:         msg,
		VersionMismatch: strings.Contains(msg, "protocol version") || strings.Contains(msg, "supported versions"),
		Err:             err,
	}
}

// alertCode extracts the alert number from crypto/tls's unexported alert
// type (a uint8), which it wraps in a net.OpError.
func alertCode(err error) (uint8, bool) {
	if a, ok := err.(tls.AlertError); ok {
		return uint8(a), true
	}
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Uint8 {
		return 0, false
	}
	return uint8(v.Uint()), true
}
