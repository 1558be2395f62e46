//go:build interop

package interop

// TLS records and ClientHellos built by hand for the bad-input tests: a
// real ClientHello from crypto/tls, cut into records or padded past what
// a server accepts.

import (
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"
	"time"
)

// biClientHello is a real ClientHello from crypto/tls (the handshake
// message, without the record header).
func biClientHello(t *testing.T) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	go tls.Client(a, &tls.Config{ServerName: "localhost", NextProtos: []string{"postgresql"}}).Handshake()
	b.SetDeadline(time.Now().Add(10 * time.Second))
	defer b.Close()
	hdr := make([]byte, 5)
	_, err := io.ReadFull(b, hdr)
	must(t, err)
	msg := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	_, err = io.ReadFull(b, msg)
	must(t, err)
	if msg[0] != 1 || int(msg[1])<<16|int(msg[2])<<8|int(msg[3]) != len(msg)-4 {
		t.Fatalf("not one whole ClientHello: %x", msg[:4])
	}
	return msg
}

// biRecords cuts a handshake message into handshake records of at most
// 2^14 bytes.
func biRecords(msg []byte) []byte {
	var out []byte
	for len(msg) > 0 {
		n := min(len(msg), 1<<14)
		out = append(out, 22, 3, 1, byte(n>>8), byte(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

// biExtensions is the offset of the extensions length in a ClientHello's
// body.
func biExtensions(body []byte) int {
	p := 2 + 32
	p += 1 + int(body[p])                           // session id
	p += 2 + int(binary.BigEndian.Uint16(body[p:])) // cipher suites
	p += 1 + int(body[p])                           // compression methods
	return p
}

// biPadClientHello adds a padding extension (RFC 7685) of n bytes to a
// ClientHello, fixing the lengths.
func biPadClientHello(t *testing.T, hello []byte, n int) []byte {
	t.Helper()
	body := hello[4:]
	p := biExtensions(body)
	extLen := int(binary.BigEndian.Uint16(body[p:]))
	if p+2+extLen != len(body) || extLen+4+n > 0xffff {
		t.Fatalf("cannot pad: extensions at %d, %d bytes, body %d, padding %d", p, extLen, len(body), n)
	}
	out := slices.Clone(body[:p])
	out = binary.BigEndian.AppendUint16(out, uint16(extLen+4+n))
	out = append(out, body[p+2:]...)
	out = append(out, 0, 21, byte(n>>8), byte(n))
	out = append(out, make([]byte, n)...)
	return append([]byte{1, byte(len(out) >> 16), byte(len(out) >> 8), byte(len(out))}, out...)
}

// biMaxPadding is the largest padding extension the ClientHello's 16-bit
// extensions length leaves room for.
func biMaxPadding(hello []byte) int {
	body := hello[4:]
	return 0xffff - int(binary.BigEndian.Uint16(body[biExtensions(body):])) - 4
}
