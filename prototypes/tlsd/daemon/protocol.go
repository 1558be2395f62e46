package main

// The wire protocol between a backend and pg-tlsd, over a Unix socket of
// type SOCK_SEQPACKET (one message each way, so no framing is needed).
// Integers are in host byte order: both ends run on the same machine.
// The backend side is be-secure-gotls.c (TLSD_* there).
//
// Request, backend -> daemon, with the client's TCP socket attached
// (SCM_RIGHTS, exactly one descriptor):
//
//	u32 magic    requestMagic
//	u32 flags    flagDirectSSL: the connection started with a direct TLS
//	             handshake (informational; the backend checks ALPN itself)
//	... raw      bytes the backend already read from the socket and that
//	             belong to the TLS stream (port->raw_buf); may be empty
//
// Reply, daemon -> backend; on success, the backend's end of a fresh
// socketpair(AF_UNIX, SOCK_STREAM) is attached (SCM_RIGHTS), which from
// now on carries the connection's plaintext:
//
//	u32 magic    replyMagic
//	i32 status   statusOK, or the class of failure (status* below)
//	i32 errno    for statusTransport
//	i32 bits     cipher key bits
//	then 13 strings, each u32 length (noString: absent) and its bytes:
//	  message, detail, hint        why the handshake failed
//	  protocol, cipher, alpn       "TLSv1.3", "TLS_AES_256_GCM_SHA384", "postgresql"
//	  peer_dn, peer_cn             RFC 2253 DN and CN of the client certificate
//	  peer_subject, peer_issuer    pg_stat_ssl's client_dn and issuer_dn
//	  peer_serial                  decimal
//	  cert_hash, cert_hash_error   tls-server-end-point data, or why there is none

import (
	"encoding/binary"
	"errors"
)

const (
	requestMagic  = 0x31534c54 // "TLS1"
	replyMagic    = 0x31444c54 // "TLD1"
	flagDirectSSL = 1

	noString = 0xffffffff

	// maxRequest bounds a request: the backend's receive buffer is 8 kB.
	maxRequest = 64 * 1024
)

// Reply status: mirrors the session error kinds the in-process glue
// distinguished (GOTLS_ERR_* in libpq_tls.h).
const (
	statusOK        = 0
	statusTLS       = 1 // message, detail, hint
	statusEOF       = 2 // client went away during the handshake
	statusTransport = 3 // socket error, errno
	statusInternal  = 4 // the daemon could not serve the request
)

type request struct {
	flags uint32
	raw   []byte
}

func parseRequest(b []byte) (request, error) {
	if len(b) < 8 || binary.NativeEndian.Uint32(b) != requestMagic {
		return request{}, errors.New("malformed request")
	}
	return request{flags: binary.NativeEndian.Uint32(b[4:]), raw: b[8:]}, nil
}

type reply struct {
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

func (r *reply) marshal() []byte {
	b := binary.NativeEndian.AppendUint32(nil, replyMagic)
	for _, v := range []int32{r.status, r.errno, r.bits} {
		b = binary.NativeEndian.AppendUint32(b, uint32(v))
	}
	for _, s := range []*string{r.message, r.detail, r.hint, r.protocol, r.cipher, r.alpn,
		r.peerDN, r.peerCN, r.peerSubject, r.peerIssuer, r.peerSerial, r.certHash, r.certHashError} {
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
