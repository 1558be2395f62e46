//go:build interop

package interop

// Bad input thrown at the server: bytes that are not TLS after an
// SSLRequest, handshakes that stall, records and ClientHellos beyond the
// protocol's limits, direct SSL with garbage, and a storm of concurrent
// handshakes. Each case asserts what the server does: it ends the
// connection promptly, logs a line from that backend, and stays up.
//
// The cases run against the Go-TLS server and, as the reference, against
// the OpenSSL server; the expected log lines are given for each, and the
// comments say where Go's wording differs.
//
// This file holds the cases that throw bytes where a ClientHello should
// be (after an SSLRequest or as direct SSL) and biThrow, their driver;
// the other badinput_*_test.go files hold the helpers, hand-built
// records, the stalled handshake and the storm.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// biInput is a case of bytes sent where the server expects a ClientHello,
// and what each server logs for it (a regexp on the backend's line).
type biInput struct {
	name string
	data func(t *testing.T) []byte
	logs map[string]string // by serverBuild.name
	// Some inputs are accepted by one server: then it answers with a
	// handshake record, and the client hangs up.
	accepted map[string]bool
}

// biThrow sends in.data on c (after the SSLRequest, or as the first bytes
// for direct SSL) and checks the outcome on the server build b.
func biThrow(t *testing.T, f *fixture, b serverBuild, c net.Conn, in biInput) {
	t.Helper()
	data := in.data(t)
	start := time.Now()
	if _, err := c.Write(data); err != nil {
		// The server may hang up before it has read everything.
		t.Logf("write: %v", err)
	}
	if in.accepted[b.name] {
		c.SetReadDeadline(start.Add(5 * time.Second))
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil || hdr[0] != 22 {
			t.Fatalf("want a handshake record in answer, got %x, %v\nserver log:\n%s", hdr, err, f.srv.log(t))
		}
		t.Logf("%s: accepted (%d bytes sent), answered with a handshake record of %d bytes after %v",
			b.name, len(data), binary.BigEndian.Uint16(hdr[3:]), time.Since(start).Round(time.Millisecond))
		c.Close()
		biServerUp(t, f)
		return
	}
	e := biAwaitClose(t, c, start, 5*time.Second)
	want := in.logs[b.name]
	if want == "" {
		t.Fatalf("no expected log line for %s", b.name)
	}
	_, lines := biBackendLines(t, f.srv, biPort(c), regexp.MustCompile(`LOG:  `+want))
	t.Logf("%s: closed after %v (%v), sent %x; backend logged:\n%s",
		b.name, e.after.Round(time.Millisecond), e.err, e.got, strings.Join(lines, "\n"))
	biServerUp(t, f)
}

// biThrowAfterSSLRequest throws each input, after an SSLRequest, at a
// fresh server of each build.
func biThrowAfterSSLRequest(t *testing.T, inputs []biInput) {
	for _, b := range serverBuilds() {
		t.Run(b.name, func(t *testing.T) {
			f := biFixture(t, b.prefix, "log_connections = receipt")
			for _, in := range inputs {
				t.Run(in.name, func(t *testing.T) {
					biThrow(t, f, b, biSSLRequest(t, f.srv.port), in)
				})
			}
		})
	}
}

// TestBadInputGarbageAfterSSLRequest: bytes that are not a ClientHello
// after the 'S'. The backend must hang up at once, log why, and the
// server must serve the next client.
//
// Where Go's wording differs from OpenSSL's:
//   - bytes that are no TLS record (random, a version 0x7f7f, application
//     data first): OpenSSL "wrong version number" (for application data
//     "unexpected message", without the protocol-version HINT), Go "wrong
//     version number: first record does not look like a TLS handshake",
//     always with the HINT.
//   - an SSLv2 ClientHello: OpenSSL "unsupported protocol", Go "wrong
//     version number: unsupported SSLv2 handshake received".
//   - a ClientHello too short to parse: OpenSSL "length mismatch", Go
//     "decode error", the description of the alert the server sends.
//   - a decode_error alert from the client (the last case): OpenSSL
//     "unexpected message", Go "tlsv1 alert decode error", OpenSSL's name
//     for a received alert.
func TestBadInputGarbageAfterSSLRequest(t *testing.T) {
	inputs := []biInput{
		{name: "4 KB random", data: func(*testing.T) []byte { return biGarbage(1, 4096) },
			logs: map[string]string{
				"go-server":      `could not accept SSL connection: wrong version number: first record does not look like a TLS handshake$`,
				"openssl-server": `could not accept SSL connection: wrong version number$`,
			}},
		{name: "application data record first", data: func(*testing.T) []byte {
			return append([]byte{23, 3, 3, 0, 32}, make([]byte, 32)...)
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: wrong version number: first record does not look like a TLS handshake$`,
			"openssl-server": `could not accept SSL connection: unexpected message$`,
		}},
		{name: "truncated ClientHello body", data: func(*testing.T) []byte {
			return []byte{22, 3, 1, 0, 10, 1, 0, 0, 6, 3, 3, 0xde, 0xad, 0xbe, 0xef}
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: decode error$`,
			"openssl-server": `could not accept SSL connection: length mismatch$`,
		}},
		{name: "handshake record of version 0x7f7f", data: func(*testing.T) []byte {
			return append([]byte{22, 0x7f, 0x7f, 0, 32}, make([]byte, 32)...)
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: wrong version number: first record does not look like a TLS handshake$`,
			"openssl-server": `could not accept SSL connection: wrong version number$`,
		}},
		{name: "SSLv2 ClientHello", data: func(*testing.T) []byte {
			// 34 bytes: CLIENT-HELLO, version 3.1, 3 cipher specs, no
			// session id, a 16-byte challenge
			hello := []byte{0x80, 34, 1, 3, 1, 0, 9, 0, 0, 0, 16, 0, 0, 0x2f, 0, 0, 0x35, 0, 0, 0x0a}
			return append(hello, make([]byte, 16)...)
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: wrong version number: unsupported SSLv2 handshake received$`,
			"openssl-server": `could not accept SSL connection: unsupported protocol$`,
		}},
		{name: "fatal alert decode_error from the client", data: func(*testing.T) []byte {
			return []byte{21, 3, 3, 0, 2, 2, 50}
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: tlsv1 alert decode error$`,
			"openssl-server": `could not accept SSL connection: unexpected message$`,
		}},
	}
	biThrowAfterSSLRequest(t, inputs)
}

// TestBadInputOversizedClientHello: records and handshake messages beyond
// the limits. The backend must refuse at once (not read or buffer what
// the header announces), log why, and the server must stay up.
//
// Where Go differs from OpenSSL:
//   - a record of 0xffff bytes: OpenSSL "packet length too long", Go adds
//     crypto/tls's "oversized record received with length 65535"; both
//     send the record_overflow alert.
//   - a handshake header announcing 16 MB: OpenSSL "excessive message
//     size" with an illegal_parameter alert, Go "handshake message of
//     length 16777215 bytes exceeds maximum of 65536 bytes" (crypto/tls's
//     sentence, not mapped to OpenSSL's reason) with internal_error.
//   - Go refuses any handshake message over 65536 bytes, OpenSSL accepts a
//     ClientHello up to 131396: a real ClientHello padded to the largest
//     its 16-bit extensions length allows (65634 bytes from Go 1.26's
//     client), well-formed TLS, is refused by Go and answered with a
//     ServerHello by OpenSSL. No real client sends one; the case pins the
//     limit.
func TestBadInputOversizedClientHello(t *testing.T) {
	inputs := []biInput{
		{name: "record length 0xffff", data: func(*testing.T) []byte {
			return append([]byte{22, 3, 1, 0xff, 0xff}, make([]byte, 1024)...)
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: packet length too long: oversized record received with length 65535$`,
			"openssl-server": `could not accept SSL connection: packet length too long$`,
		}},
		{name: "handshake length 16 MB", data: func(*testing.T) []byte {
			rec := []byte{22, 3, 1, 0x40, 0, 1, 0xff, 0xff, 0xff}
			return append(rec, make([]byte, 1<<14-4)...)
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: handshake message of length 16777215 bytes exceeds maximum of 65536 bytes$`,
			"openssl-server": `could not accept SSL connection: excessive message size$`,
		}},
		{name: "ClientHello padded to 65.6 KB", data: func(t *testing.T) []byte {
			hello := biClientHello(t)
			return biRecords(biPadClientHello(t, hello, biMaxPadding(hello)))
		}, logs: map[string]string{
			"go-server": `could not accept SSL connection: handshake message of length \d+ bytes exceeds maximum of 65536 bytes$`,
		}, accepted: map[string]bool{"openssl-server": true}},
	}
	biThrowAfterSSLRequest(t, inputs)
}

// TestBadInputDirectSSL: direct SSL (PostgreSQL 17's sslnegotiation=direct:
// the ClientHello comes first, no SSLRequest) with garbage after the 0x16
// that sends the postmaster into the handshake, and with real handshakes
// that do not negotiate ALPN "postgresql".
//
// Wording as after an SSLRequest (TestBadInputGarbageAfterSSLRequest,
// TestBadInputOversizedClientHello). For a client that offers other
// protocols, Go's line keeps crypto/tls's sentence after OpenSSL's reason
// ("no application protocol"). After a failed direct handshake the
// OpenSSL backend often adds "buffered unencrypted data remains after
// negotiating SSL connection" (be-secure.c logs it whenever bytes the
// postmaster peeked are left unread: OpenSSL read only the record header);
// Go's backend reads them all and logs only the reason.
func TestBadInputDirectSSL(t *testing.T) {
	inputs := []biInput{
		{name: "0x16 then 4 KB random", data: func(*testing.T) []byte {
			return append([]byte{22}, biGarbage(2, 4095)...)
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: wrong version number: first record does not look like a TLS handshake$`,
			"openssl-server": `could not accept SSL connection: wrong version number$`,
		}},
		{name: "record length 0xffff", data: func(*testing.T) []byte {
			return append([]byte{22, 3, 1, 0xff, 0xff}, make([]byte, 1024)...)
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: packet length too long: oversized record received with length 65535$`,
			"openssl-server": `could not accept SSL connection: packet length too long$`,
		}},
		{name: "truncated ClientHello body", data: func(*testing.T) []byte {
			return []byte{22, 3, 1, 0, 10, 1, 0, 0, 6, 3, 3, 0xde, 0xad, 0xbe, 0xef}
		}, logs: map[string]string{
			"go-server":      `could not accept SSL connection: decode error$`,
			"openssl-server": `could not accept SSL connection: length mismatch$`,
		}},
	}
	handshakes := []struct {
		name      string
		protos    []string
		clientErr string // "" for a handshake the client sees succeed
		logs      map[string]string
	}{
		{"no ALPN", nil, "", map[string]string{
			"go-server":      `received direct SSL connection request without ALPN protocol negotiation extension$`,
			"openssl-server": `received direct SSL connection request without ALPN protocol negotiation extension$`,
		}},
		{"ALPN http/1.1", []string{"http/1.1"}, "remote error: tls: no application protocol", map[string]string{
			"go-server":      `could not accept SSL connection: no application protocol: client requested unsupported application protocols \(\["http/1\.1"\]\)$`,
			"openssl-server": `could not accept SSL connection: no application protocol$`,
		}},
	}
	for _, b := range serverBuilds() {
		t.Run(b.name, func(t *testing.T) {
			f := biFixture(t, b.prefix, "log_connections = receipt")
			for _, in := range inputs {
				t.Run(in.name, func(t *testing.T) {
					biThrow(t, f, b, biDial(t, f.srv.port), in)
				})
			}
			roots := x509.NewCertPool()
			roots.AddCert(f.certs.Root.Cert)
			for _, h := range handshakes {
				t.Run(h.name, func(t *testing.T) {
					c := biDial(t, f.srv.port)
					start := time.Now()
					c.SetDeadline(start.Add(10 * time.Second))
					tc := tls.Client(c, &tls.Config{RootCAs: roots, ServerName: "localhost", NextProtos: h.protos})
					err := tc.Handshake()
					if h.clientErr == "" && err != nil || h.clientErr != "" && (err == nil || !strings.Contains(err.Error(), h.clientErr)) {
						t.Fatalf("handshake: %v, want %q", err, h.clientErr)
					}
					e := biAwaitClose(t, c, start, 5*time.Second)
					_, lines := biBackendLines(t, f.srv, biPort(c), regexp.MustCompile(`LOG:  `+h.logs[b.name]))
					t.Logf("%s: handshake %v; closed after %v (%v); backend logged:\n%s",
						b.name, err, e.after.Round(time.Millisecond), e.err, strings.Join(lines, "\n"))
					biServerUp(t, f)
				})
			}
		})
	}
}
