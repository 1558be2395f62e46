// Package helper runs one libpq TLS connection in a process of its own,
// for a process that cannot run Go: a child forked after the Go library
// started in its parent (a Go runtime does not survive fork), or a
// program that asks never to load Go (PGGOTLS_HELPER=1). libpq starts the
// helper executable, cmd/libpq_gotls_helper, with fork and exec, gives it
// the server's TCP socket, and speaks plaintext to it over a socket pair
// put in the TCP socket's place, as a backend does to pg_tlsd. The C side
// is fe-gotls-helper.c, whose constants must match these.
//
// Descriptors, fixed: 3 the server's TCP socket, 4 the channel (a
// SOCK_SEQPACKET pair), 5 the plaintext (a SOCK_STREAM pair); 0 to 2 are
// /dev/null, and nothing else is open.
//
// Messages, in host byte order (both ends run on one machine). A string
// is a u32 length, or noString for none, then its bytes.
//
// Options, libpq -> helper, one message on the channel:
//
//	u32 optionsMagic
//	u32 sslsni
//	13 strings: host sslmode sslrootcert sslcert sslkey sslpassword
//	  sslcrl sslcrldir sslcertmode ssl_min_protocol_version
//	  ssl_max_protocol_version sslkeylogfile homedir
//
// Or, for a session established in libpq's process before it forked
// (docs/fork.md), the session's state in place of the options, one
// message on the channel; the helper then sends no outcome, and relays at
// once:
//
//	u32 stateMagic
//	the state, encoded as tls/record/state.go says (big-endian there)
//
// The handshake's outcome, helper -> libpq, the first bytes of the
// plaintext stream (libpq polls that socket while it waits):
//
//	u32 outcomeMagic
//	u32 length of the rest
//	i32 code (GOTLS_ERR_*: 0 for success), i32 errno, string message
//	on success:
//	  i32 cert_requested, i32 cert_sent
//	  u32 n, then n times: string name, string value (PQsslAttribute)
//	  u32 n, then n times: i32 kind (GOTLS_NAME_*), string name: the
//	    server certificate's names
//	  string hash, string why-not: the channel-binding hash, or why
//	    there is none
//
// End, helper -> libpq, one message on the channel once the server's side
// has ended; sent before the helper shuts the plaintext stream, so that
// libpq finds it when it reads end of file there:
//
//	u32 endMagic, i32 code, i32 errno, string message
package helper

import (
	"encoding/binary"
	"errors"
	"math"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"github.com/pg-gotls/pg-gotls/tls/record"
)

const (
	optionsMagic = 0x31504f48 // "HOP1"
	outcomeMagic = 0x31434f48 // "HOC1"
	endMagic     = 0x31444e48 // "HND1"
	stateMagic   = 0x31545348 // "HST1"
	noString     = math.MaxUint32

	// maxFirst bounds libpq's first message, options or state (the
	// helper's receive buffer: a state holds up to two records of input
	// and a post-handshake message of 64 KiB); maxOutcome the outcome,
	// which libpq reads into memory it allocates; maxMessage the text of a
	// failure.
	maxFirst   = 128 * 1024
	maxOutcome = 1 << 20
	maxMessage = 1024
)

var byteOrder = binary.NativeEndian

// decodeOptions reads the options message.
func decodeOptions(b []byte) (pgtls.ClientOptions, error) {
	var o pgtls.ClientOptions
	bad := errors.New("malformed options message")
	if len(b) < 8 || byteOrder.Uint32(b) != optionsMagic {
		return o, bad
	}
	o.SSLSNI = byteOrder.Uint32(b[4:]) != 0
	b = b[8:]
	fields := []*string{&o.Host, &o.SSLMode, &o.SSLRootCert, &o.SSLCert, &o.SSLKey, &o.SSLPassword,
		&o.SSLCRL, &o.SSLCRLDir, &o.SSLCertMode, &o.MinProtocol, &o.MaxProtocol, &o.KeyLogFile, &o.HomeDir}
	for _, f := range fields {
		if len(b) < 4 {
			return o, bad
		}
		n := byteOrder.Uint32(b)
		b = b[4:]
		if n == noString {
			continue
		}
		if uint64(n) > uint64(len(b)) {
			return o, bad
		}
		*f, b = string(b[:n]), b[n:]
	}
	if len(b) != 0 {
		return o, bad
	}
	return o, nil
}

// isState reports whether libpq's first message carries a session's state.
func isState(b []byte) bool { return len(b) >= 4 && byteOrder.Uint32(b) == stateMagic }

// decodeState reads the state message.
func decodeState(b []byte) (record.State, error) {
	var st record.State
	if !isState(b) {
		return st, errors.New("malformed state message")
	}
	err := st.UnmarshalBinary(b[4:])
	return st, err
}

type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) { e.b = byteOrder.AppendUint32(e.b, v) }
func (e *encoder) i32(v int)    { e.u32(uint32(int32(v))) }
func (e *encoder) str(s []byte) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
}

// failure is a session's failure as code, errno and message.
func failure(err error) (code, errno int, message string) {
	var e *pgtls.Error
	if !errors.As(err, &e) {
		return int(pgtls.KindTLS), 0, truncate(err.Error())
	}
	return e.Code(), int(e.Errno), truncate(e.Message)
}

func truncate(s string) string {
	if len(s) > maxMessage {
		return s[:maxMessage]
	}
	return s
}

// encodeOutcome is the outcome message of a handshake: a failure, or, for
// a nil err, what libpq asks of an established session.
func encodeOutcome(s *pgtls.Session, err error) ([]byte, error) {
	body := &encoder{}
	if err != nil {
		code, errno, msg := failure(err)
		body.i32(code)
		body.i32(errno)
		body.str([]byte(msg))
	} else {
		body.i32(0)
		body.i32(0)
		body.str(nil)
		body.i32(boolInt(s.CertRequested()))
		body.i32(boolInt(s.CertSent()))
		names := pgtls.AttributeNames()
		body.u32(uint32(len(names)))
		for _, name := range names {
			v, _ := s.Attribute(name)
			body.str([]byte(name))
			body.str([]byte(v))
		}
		var peer []pgtls.PeerName
		var hash []byte
		hashErr := errors.New("no peer certificate")
		if cert := s.PeerCertificate(); cert != nil {
			peer = pgtls.PeerNames(cert)
			hash, hashErr = pgtls.CertificateHash(cert)
		}
		body.u32(uint32(len(peer)))
		for _, n := range peer {
			body.i32(int(n.Kind))
			body.str(n.Value)
		}
		if hashErr != nil {
			body.u32(noString)
			body.str([]byte(truncate(hashErr.Error())))
		} else {
			body.str(hash)
			body.u32(noString)
		}
	}
	if len(body.b) > maxOutcome {
		return nil, errors.New("the server certificate's names are too many to pass on")
	}
	msg := &encoder{}
	msg.u32(outcomeMagic)
	msg.u32(uint32(len(body.b)))
	msg.b = append(msg.b, body.b...)
	return msg.b, nil
}

// encodeEnd is the end message for the way the server's side ended.
func encodeEnd(err error) []byte {
	code, errno, msg := failure(err)
	e := &encoder{}
	e.u32(endMagic)
	e.i32(code)
	e.i32(errno)
	e.str([]byte(msg))
	return e.b
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
