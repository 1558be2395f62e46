package tlsd

// The messages between pg_tlsd and the postgres processes. Integers are in
// host byte order: both ends run on the same machine. The C side is
// be-gotls-tlsd.h; the constants there must match these.
//
// Configuration, postmaster -> daemon, on the control socket (a stream:
// the fd the daemon is started with as ControlFD):
//
//	u32 configMagic
//	u32 0 (reserved)
//	u64 length, then the snapshot (pgtls.ServerConfig.Export)
//
// answered by
//
//	u32 ackMagic
//	i32 status       0: in force for new connections; else not applied
//	u32 length, then the reason for a failure
//
// Request, backend -> daemon, one SOCK_SEQPACKET message on the request
// socket all backends share (RequestFD), with three descriptors attached
// (SCM_RIGHTS): the client's TCP socket, the backend's end of a fresh
// SOCK_SEQPACKET pair (the session channel) and the daemon's end of a
// fresh SOCK_STREAM pair (the plaintext):
//
//	u32 requestMagic
//	u32 flags        flagDirectSSL: a direct TLS handshake (informational)
//	... raw          bytes of the TLS stream the backend already read
//
// On the session channel, daemon -> backend, first the handshake's
// outcome (handshakeReply), then, once, when the client's side of the
// relay ends, how it ended (endReply). Backend -> daemon, at any time
// after a successful handshake: contrib/sslinfo's questions about the
// client certificate and the TCP keepalive and user timeout settings
// (query), each answered by one answer. The client's TCP socket lives in
// the daemon only, so that the client sees the connection end when the
// daemon does; the backend sets its options through the daemon.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

const (
	configMagic   = 0x31474643 // "CFG1"
	ackMagic      = 0x314b4341 // "ACK1"
	requestMagic  = 0x32534c54 // "TLS2"
	replyMagic    = 0x32444c54 // "TLD2"
	endMagic      = 0x31444e45 // "END1"
	queryMagic    = 0x31595251 // "QRY1"
	answerMagic   = 0x31534e41 // "ANS1"
	flagDirectSSL = 1

	noString = 0xffffffff

	// The backend's receive buffers. A message longer than its buffer
	// fails there (recv with MSG_TRUNC, EMSGSIZE) or, on the control
	// stream, leaves its tail to be read as the next message; so every
	// marshal below bounds what it sends, and no string length can reach
	// noString. FuzzDaemonMessages checks this against the C parser's rules.
	maxMessage = 64 * 1024 // TLSD_MESSAGE_MAX: handshakeReply, answer
	maxEnd     = 1024      // client_side_ended's buffer: endReply
	maxReason  = 512 - 1   // send_config's reason[512], NUL-terminated

	// maxRequest bounds a request: the backend's receive buffer is 8 kB.
	maxRequest = 64 * 1024
	// maxSnapshot bounds a configuration (certificates, CA bundle, CRLs).
	maxSnapshot = 256 << 20
)

// Status of a handshakeReply or endReply: the session error kinds of the
// engine, as the in-process glue distinguished them (GOTLS_ERR_*).
const (
	statusOK        = 0
	statusTLS       = 1 // message, detail, hint
	statusEOF       = 2 // the client went away without close_notify
	statusTransport = 3 // socket error, errno
	statusInternal  = 4 // the daemon could not serve the request
	statusClosed    = 5 // endReply only: the client sent close_notify
)

// Query kinds, and answer statuses.
const (
	queryNameField = 1 // arg: 1 for the issuer, 0 the subject; text: field name
	queryExtension = 2 // arg: index; no text
	queryGetOption = 3 // arg: the TCP option (tcpOptions); no text
	querySetOption = 4 // arg: the TCP option; text: the value, in decimal

	answerFound  = 0 // number: an option's value
	answerAbsent = 1
	answerError  = 2 // value holds the message; number an errno, if any
)

type request struct {
	flags uint32
	raw   []byte
}

func parseRequest(b []byte) (request, error) {
	if len(b) < 8 || binary.NativeEndian.Uint32(b) != requestMagic {
		return request{}, errors.New("malformed request")
	}
	raw := append([]byte(nil), b[8:]...)
	return request{flags: binary.NativeEndian.Uint32(b[4:]), raw: raw}, nil
}

// handshakeReply is the outcome of the handshake. The strings, in order
// on the wire (u32 length or noString, then the bytes):
//
//	message, detail, hint        why the handshake failed
//	protocol, cipher, alpn       "TLSv1.3", "TLS_AES_256_GCM_SHA384", "postgresql"
//	peer_dn, peer_cn             RFC 2253 DN and CN of the client certificate
//	peer_subject, peer_issuer    pg_stat_ssl's client_dn and issuer_dn
//	peer_serial                  decimal
//	cert_hash, cert_hash_error   tls-server-end-point data, or why there is none
type handshakeReply struct {
	status, errno, bits int32

	message, detail, hint  *string
	protocol, cipher, alpn *string
	peerDN, peerCN         *string
	peerSubject            *string
	peerIssuer             *string
	peerSerial             *string
	certHash               *string // raw bytes
	certHashError          *string
}

func (r *handshakeReply) marshal() []byte {
	strs := []*string{r.message, r.detail, r.hint, r.protocol, r.cipher, r.alpn,
		r.peerDN, r.peerCN, r.peerSubject, r.peerIssuer, r.peerSerial, r.certHash, r.certHashError}
	if size := 16 + wireSize(strs...); size > maxMessage {
		return r.shortened(size).marshal()
	}
	b := appendInts(nil, replyMagic, uint32(r.status), uint32(r.errno), uint32(r.bits))
	return appendStrings(b, strs...)
}

// shortened is a reply of size bytes made to fit the backend's buffer.
// Go's crypto/tls takes client certificate messages of up to 256 kB, and
// a subject of tens of kB, printed three times and escaped (\XX for each
// non-ASCII byte), does not fit: the backend would fail with "Message too
// long" (or the daemon's send with EMSGSIZE). A success is refused then,
// for a truncated DN could match another user's clientname=DN mapping; a
// failure keeps its status and the start of its message, detail and hint,
// the only strings the backend reads from it.
func (r *handshakeReply) shortened(size int) *handshakeReply {
	if r.status == statusOK {
		return &handshakeReply{status: statusInternal,
			message: str(fmt.Sprintf("pg_tlsd: the client certificate's names are too long to pass to the backend (%d bytes)", size))}
	}
	const each = (maxMessage - 16 - 13*4) / 3
	cut := func(s *string) *string {
		if s == nil {
			return nil
		}
		return str(truncate(*s, each))
	}
	return &handshakeReply{status: r.status, errno: r.errno,
		message: cut(r.message), detail: cut(r.detail), hint: cut(r.hint)}
}

// endReply says how the client's side ended: statusClosed, statusEOF,
// statusTransport (errno) or statusTLS (message).
type endReply struct {
	status, errno int32
	message       string
}

func (r *endReply) marshal() []byte {
	b := appendInts(nil, endMagic, uint32(r.status), uint32(r.errno))
	// The message is only logged; its start is enough.
	msg := truncate(r.message, maxEnd-len(b)-4)
	return appendStrings(b, &msg)
}

type query struct {
	kind, arg uint32
	text      string
}

func parseQuery(b []byte) (query, error) {
	if len(b) < 12 || binary.NativeEndian.Uint32(b) != queryMagic {
		return query{}, errors.New("malformed query")
	}
	return query{
		kind: binary.NativeEndian.Uint32(b[4:]),
		arg:  binary.NativeEndian.Uint32(b[8:]),
		text: string(b[12:]),
	}, nil
}

// answer is one reply to a query. number is an extension's critical flag
// (0 or 1), a TCP option's value, or an errno.
type answer struct {
	status      int32
	number      uint32
	name, value string
}

func (a *answer) marshal() []byte {
	if size := 12 + wireSize(&a.name, &a.value); size > maxMessage {
		// An extension or name field printed longer than the backend's
		// buffer: an error rather than a truncated value.
		a = &answer{status: answerError,
			value: fmt.Sprintf("pg_tlsd: the value is too long to pass to the backend (%d bytes)", size)}
	}
	b := appendInts(nil, answerMagic, uint32(a.status), a.number)
	return appendStrings(b, &a.name, &a.value)
}

func appendInts(b []byte, vs ...uint32) []byte {
	for _, v := range vs {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

// wireSize is the length of the strings as appendStrings writes them.
func wireSize(ss ...*string) int {
	n := 0
	for _, s := range ss {
		n += 4
		if s != nil {
			n += len(*s)
		}
	}
	return n
}

// truncate cuts s to at most n bytes, before a character the cut would
// split; only a valid one, for in a string that is not UTF-8 the last
// byte that starts a character could be its first.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := n - 1; i >= 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if r, size := utf8.DecodeRuneInString(s[i:]); (r != utf8.RuneError || size > 1) && i+size > n {
				return s[:i]
			}
			break
		}
	}
	return s[:n]
}

// appendStrings writes each string as its u32 length, or noString for
// nil, and its bytes. The callers bound the lengths (maxMessage), so none
// is taken for noString.
func appendStrings(b []byte, ss ...*string) []byte {
	for _, s := range ss {
		if s == nil {
			b = binary.NativeEndian.AppendUint32(b, noString)
			continue
		}
		b = binary.NativeEndian.AppendUint32(b, uint32(len(*s)))
		b = append(b, *s...)
	}
	return b
}

func str(s string) *string { return &s }
