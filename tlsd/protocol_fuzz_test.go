package tlsd

// Fuzz targets for the session protocol (protocol.go), both directions.
// The daemon's messages are parsed in C (be-secure-gotls.c and
// be-gotls-tlsd.c), so they are checked here against a decoder that
// follows the C parser's rules line by line: the receive buffer sizes,
// parse_message, send_config. See docs/fuzzing.md.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The C side's receive buffers, as be-secure-gotls.c and
// be-gotls-tlsd.c declare them (written out again on purpose: these are
// the C side's numbers, not the daemon's constants).
const (
	cMessageMax = 64 * 1024 // TLSD_MESSAGE_MAX: handshake reply, answer, end during a query
	cEndBuffer  = 1024      // client_side_ended: char buf[1024]
	cReasonSize = 512       // send_config: char reason[512]
	cNoString   = 0xffffffff
	cReplyInts  = 3
	cReplyStrs  = 13 // F_COUNT
)

// cMessage is be-secure-gotls.c's TLSDMessage.
type cMessage struct {
	magic uint32
	ints  [3]int32
	str   [cReplyStrs][]byte // nil where the C side has NULL
	len   [cReplyStrs]uint32
}

// cReceive is channel_receive: recv(MSG_TRUNC) into size bytes, which
// fails (EMSGSIZE) for a longer message.
func cReceive(msg []byte, size int) ([]byte, bool) {
	if len(msg) > size {
		return nil, false
	}
	return msg, true
}

// cParseMessage is parse_message, statement for statement; used is how
// far it read (it ignores bytes after the last string).
func cParseMessage(buf []byte, magic uint32, nints, nstrs int) (m cMessage, used int, ok bool) {
	n := len(buf)
	if n < 4+4*nints {
		return m, 0, false
	}
	m.magic = binary.NativeEndian.Uint32(buf)
	if m.magic != magic {
		return m, 0, false
	}
	for i := range nints {
		m.ints[i] = int32(binary.NativeEndian.Uint32(buf[4+4*i:]))
	}
	p := 4 + 4*nints
	for i := range nstrs {
		if n-p < 4 {
			return m, 0, false
		}
		l := binary.NativeEndian.Uint32(buf[p:])
		p += 4
		if l == cNoString {
			continue
		}
		if uint64(n-p) < uint64(l) {
			return m, 0, false
		}
		m.str[i] = append(make([]byte, 0, l), buf[p:p+int(l)]...)
		m.len[i] = l
		p += int(l)
	}
	return m, p, true
}

// cReadAck is send_config's reading of the acknowledgement from the
// control stream: the 12-byte header, a length below sizeof(reason), the
// reason. used is what it took from the stream.
func cReadAck(stream []byte) (status int32, reason []byte, used int, ok bool) {
	if len(stream) < 12 || binary.NativeEndian.Uint32(stream) != ackMagic {
		return 0, nil, 0, false
	}
	status = int32(binary.NativeEndian.Uint32(stream[4:]))
	l := binary.NativeEndian.Uint32(stream[8:])
	if l >= cReasonSize || uint64(len(stream)-12) < uint64(l) {
		return 0, nil, 0, false
	}
	return status, stream[12 : 12+l], 12 + int(l), true
}

// fuzzStrings makes n optional strings of fields: split at its first
// byte, those whose bit is set in absent nil, and the one grow picks
// repeated, so that a short input reaches the buffer limits.
func fuzzStrings(fields []byte, absent uint16, grow uint32, n int) []*string {
	var parts [][]byte
	if len(fields) > 0 {
		parts = bytes.Split(fields[1:], fields[:1])
	}
	out := make([]*string, n)
	for i := range out {
		if absent&(1<<i) != 0 {
			continue
		}
		var s string
		if i < len(parts) {
			s = string(parts[i])
		}
		if int(grow%16) == i {
			s = strings.Repeat(s, int(grow/16%(1<<14))+1)
		}
		out[i] = &s
	}
	return out
}

// fuzzFields joins strings for fuzzStrings with a separator none holds.
func fuzzFields(strs ...string) []byte {
	for sep := byte(1); ; sep++ {
		if !strings.Contains(strings.Join(strs, ""), string(sep)) {
			return append([]byte{sep}, strings.Join(strs, string(sep))...)
		}
	}
}

func sameString(got []byte, want *string) bool {
	if want == nil {
		return got == nil
	}
	return got != nil && string(got) == *want
}

// prefixOf: got is a start of want, at most max bytes, cut no more than
// a UTF-8 sequence short of max.
func prefixOf(got []byte, want string, max int) bool {
	if !strings.HasPrefix(want, string(got)) {
		return false
	}
	if len(want) <= max {
		return len(got) == len(want)
	}
	return len(got) <= max && len(got) > max-utf8.UTFMax
}

// FuzzDaemonMessages: every message the daemon sends the backend (the
// handshake reply, the end, an answer) and the postmaster (the
// configuration's acknowledgement), for any strings, fits the C side's
// buffer and parses there to the same values; where the values cannot
// fit, it is the documented fallback (an error, or a message's start),
// never something the C side misreads.
func FuzzDaemonMessages(f *testing.F) {
	hash := make([]byte, 32)
	for i := range hash {
		hash[i] = byte(i * 37) // with a NUL: raw bytes
	}
	f.Add(int32(statusOK), int32(0), int32(256), uint32(0), uint16(0b111), fuzzFields("", "", "",
		"TLSv1.3", "TLS_AES_256_GCM_SHA384", "postgresql", "CN=alice", "alice", "/CN=alice",
		"/CN=pg-gotls test client CA", "1739274929871234567", string(hash), ""), uint32(15))
	f.Add(int32(statusTLS), int32(0), int32(0), uint32(0), uint16(0), fuzzFields("tlsv1 alert unknown ca",
		"certificate verify failed", "check ssl_ca_file"), uint32(15))
	f.Add(int32(statusTransport), int32(104), int32(0), uint32(0), uint16(0xfffe), fuzzFields("Connection reset by peer"), uint32(15))
	// Client certificate names of ~100 kB: do not fit the reply.
	f.Add(int32(statusOK), int32(0), int32(128), uint32(1), uint16(0), fuzzFields("", "", "",
		"TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "", `CN=\C3\A9`, "é", "/CN=é", "/CN=ca", "1", string(hash), ""), uint32(6+16*16000))
	// A long failure message; an end message past 1 kB; a long reason.
	f.Add(int32(statusTLS), int32(0), int32(0), uint32(0), uint16(0), fuzzFields("certificate revoked (subject \"CN=ü\")"), uint32(16*3000))
	f.Add(int32(answerFound), int32(0), int32(0), uint32(1), uint16(0), fuzzFields("€", "DNS:x"), uint32(16*600))
	f.Add(int32(answerFound), int32(0), int32(0), uint32(0), uint16(0), fuzzFields("subjectAltName", "DNS:x, "), uint32(1+16*12000))
	f.Add(int32(1), int32(0), int32(0), uint32(0), uint16(0), fuzzFields(""), uint32(0))
	f.Fuzz(func(t *testing.T, status, errno, bits int32, number uint32, absent uint16, fields []byte, grow uint32) {
		strs := fuzzStrings(fields, absent, grow, cReplyStrs)

		// The handshake reply: run_handshake's buffer, parse_message(3, F_COUNT).
		r := &handshakeReply{status: status, errno: errno, bits: bits,
			message: strs[0], detail: strs[1], hint: strs[2], protocol: strs[3], cipher: strs[4], alpn: strs[5],
			peerDN: strs[6], peerCN: strs[7], peerSubject: strs[8], peerIssuer: strs[9], peerSerial: strs[10],
			certHash: strs[11], certHashError: strs[12]}
		msg, ok := cReceive(r.marshal(), cMessageMax)
		if !ok {
			t.Fatalf("handshake reply of %d bytes: the backend's buffer is %d", len(r.marshal()), cMessageMax)
		}
		m, used, ok := cParseMessage(msg, replyMagic, cReplyInts, cReplyStrs)
		if !ok || used != len(msg) {
			t.Fatalf("handshake reply malformed for the backend (ok %v, %d of %d bytes read)", ok, used, len(msg))
		}
		size := 16
		for _, s := range strs {
			size += 4
			if s != nil {
				size += len(*s)
			}
		}
		fits := size <= cMessageMax
		switch {
		case fits:
			if m.ints != [3]int32{status, errno, bits} {
				t.Errorf("integers %v, want %v", m.ints, [3]int32{status, errno, bits})
			}
			for i, s := range strs {
				if !sameString(m.str[i], s) {
					t.Errorf("string %d: backend reads %q, want %v", i, m.str[i], s)
				}
			}
		case status == statusOK:
			// Too long to pass: refused, never truncated.
			if m.ints[0] != statusInternal || !strings.Contains(string(m.str[0]), "too long") {
				t.Errorf("oversized success became status %d %q, want an internal error", m.ints[0], m.str[0])
			}
			for i := 1; i < cReplyStrs; i++ {
				if m.str[i] != nil {
					t.Errorf("oversized success: string %d %q passed", i, m.str[i])
				}
			}
		default:
			if m.ints[0] != status || m.ints[1] != errno {
				t.Errorf("oversized failure: status %d errno %d, want %d %d", m.ints[0], m.ints[1], status, errno)
			}
			for i := range 3 {
				if (m.str[i] == nil) != (strs[i] == nil) || strs[i] != nil && !strings.HasPrefix(*strs[i], string(m.str[i])) {
					t.Errorf("oversized failure: string %d %q is not the start of the original", i, m.str[i])
				}
			}
		}

		// The end: client_side_ended's 1 kB buffer, parse_message(2, 1).
		text := ""
		if strs[0] != nil {
			text = *strs[0]
		}
		e := &endReply{status: status, errno: errno, message: text}
		msg, ok = cReceive(e.marshal(), cEndBuffer)
		if !ok {
			t.Fatalf("end message of %d bytes: the backend's buffer is %d", len(e.marshal()), cEndBuffer)
		}
		m, used, ok = cParseMessage(msg, endMagic, 2, 1)
		if !ok || used != len(msg) || m.ints[0] != status || m.ints[1] != errno {
			t.Fatalf("end message malformed for the backend: %v %d/%d %v", ok, used, len(msg), m.ints)
		}
		if !prefixOf(m.str[0], text, cEndBuffer-16) {
			t.Errorf("end message %d bytes %q: not the message or its start (%d bytes)", len(m.str[0]), m.str[0], len(text))
		}
		if utf8.ValidString(text) && !utf8.Valid(m.str[0]) {
			t.Errorf("end message cut inside a UTF-8 sequence")
		}

		// An answer: query_daemon's buffer, parse_message(2, 2).
		name, value := "", ""
		if strs[0] != nil {
			name = *strs[0]
		}
		if strs[1] != nil {
			value = *strs[1]
		}
		a := &answer{status: status, number: number, name: name, value: value}
		msg, ok = cReceive(a.marshal(), cMessageMax)
		if !ok {
			t.Fatalf("answer of %d bytes: the backend's buffer is %d", len(a.marshal()), cMessageMax)
		}
		m, used, ok = cParseMessage(msg, answerMagic, 2, 2)
		if !ok || used != len(msg) {
			t.Fatalf("answer malformed for the backend")
		}
		if 20+len(name)+len(value) <= cMessageMax {
			if m.ints[0] != status || uint32(m.ints[1]) != number || string(m.str[0]) != name || string(m.str[1]) != value ||
				m.str[0] == nil || m.str[1] == nil {
				t.Errorf("answer read as %v %q %q", m.ints, m.str[0], m.str[1])
			}
		} else if m.ints[0] != answerError || !strings.Contains(string(m.str[1]), "too long") {
			t.Errorf("oversized answer became status %d %q, want an error", m.ints[0], m.str[1])
		}

		// The acknowledgement, on the control stream, followed by the next
		// one: the first must be read whole, or the second is misread.
		stream := append(marshalAck(status, text), marshalAck(0, "")...)
		st, reason, used, ok := cReadAck(stream)
		if !ok || st != status {
			t.Fatalf("acknowledgement refused by the postmaster (ok %v, status %d)", ok, st)
		}
		if !prefixOf(reason, text, cReasonSize-1) {
			t.Errorf("reason %q: not the reason or its start", reason)
		}
		if st, reason, _, ok := cReadAck(stream[used:]); !ok || st != 0 || len(reason) != 0 {
			t.Errorf("the next acknowledgement is misread: %v %d %q", ok, st, reason)
		}
	})
}

// FuzzParseRequest: a request parses exactly when it has the magic and
// flags; its raw bytes are the rest, copied; and what the backend's
// send_request writes parses back to what it sent.
func FuzzParseRequest(f *testing.F) {
	hello := []byte{0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00} // a record header and a start
	f.Add(appendInts(nil, requestMagic, 0))
	f.Add(append(appendInts(nil, requestMagic, flagDirectSSL), hello...))
	f.Add(appendInts(nil, requestMagic))
	f.Add(append(appendInts(nil, queryMagic, 0), hello...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		req, err := parseRequest(in)
		wellFormed := len(data) >= 8 && binary.NativeEndian.Uint32(data) == requestMagic
		if (err == nil) != wellFormed {
			t.Fatalf("parseRequest(%x): error %v", data, err)
		}
		if err == nil {
			if req.flags != binary.NativeEndian.Uint32(data[4:]) || !bytes.Equal(req.raw, data[8:]) {
				t.Fatalf("parsed flags %#x raw %x", req.flags, req.raw)
			}
			for i := range in {
				in[i]++ // the session keeps raw after the buffer is reused
			}
			if !bytes.Equal(req.raw, data[8:]) {
				t.Fatal("raw aliases the receive buffer")
			}
		}
		// send_request: flags say whether bytes of the stream follow.
		flags := uint32(0)
		if len(data) > 0 {
			flags = flagDirectSSL
		}
		req, err = parseRequest(append(appendInts(nil, requestMagic, flags), data...))
		if err != nil || req.flags != flags || !bytes.Equal(req.raw, data) {
			t.Fatalf("the backend's request for %x parsed as %+v, %v", data, req, err)
		}
	})
}

// FuzzParseQuery: a query parses exactly when it has the magic, kind and
// argument, and what the backend's query_daemon writes (a C string's
// bytes after the header) parses back to what it sent.
func FuzzParseQuery(f *testing.F) {
	f.Add(append(appendInts(nil, queryMagic, queryNameField, 1), "commonName"...))
	f.Add(appendInts(nil, queryMagic, queryExtension, 3))
	f.Add(append(appendInts(nil, queryMagic, querySetOption, 4), "-1"...))
	f.Add(appendInts(nil, queryMagic, queryGetOption))
	f.Add(append(appendInts(nil, answerMagic, 0, 0), "x"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := parseQuery(data)
		wellFormed := len(data) >= 12 && binary.NativeEndian.Uint32(data) == queryMagic
		if (err == nil) != wellFormed {
			t.Fatalf("parseQuery(%x): error %v", data, err)
		}
		if err == nil && (q.kind != binary.NativeEndian.Uint32(data[4:]) ||
			q.arg != binary.NativeEndian.Uint32(data[8:]) || q.text != string(data[12:])) {
			t.Fatalf("parsed %+v from %x", q, data)
		}
		// query_daemon: the header, then strlen(text) bytes.
		var kind, arg uint32
		if len(data) >= 8 {
			kind, arg = binary.NativeEndian.Uint32(data), binary.NativeEndian.Uint32(data[4:])
		}
		text, _, _ := strings.Cut(string(data), "\x00")
		q, err = parseQuery(append(appendInts(nil, queryMagic, kind, arg), text...))
		if err != nil || q.kind != kind || q.arg != arg || q.text != text {
			t.Fatalf("the backend's query (%d, %d, %q) parsed as %+v, %v", kind, arg, text, q, err)
		}
	})
}

// TestLongClientNamesFitTheBackend: a client certificate whose subject
// prints to more than the backend's 64 kB buffer (Go's crypto/tls takes
// certificate messages of up to 256 kB) is refused with a reply the
// backend can read. Before the daemon bounded its replies, it sent one of
// ~240 kB: the backend failed with "Message too long".
func TestLongClientNamesFitTheBackend(t *testing.T) {
	h := startDaemon(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		// 40 kB of UTF-8: 120 kB as RFC 2253 escapes (\C3\A9)
		Subject:     pkix.Name{CommonName: "alice", Organization: []string{strings.Repeat("é", 20000)}},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, h.set.ClientCA.Cert, key.Public(), h.set.ClientCA.Key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.clientConfig(false)
	cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{der, h.set.ClientCA.Cert.Raw}, PrivateKey: key}}
	b, results := h.connect(cfg)
	msg, ok := cReceive(b.receive(t), cMessageMax)
	if !ok {
		t.Fatal("the handshake reply is longer than the backend's buffer")
	}
	m, _, ok := cParseMessage(msg, replyMagic, cReplyInts, cReplyStrs)
	if !ok || m.ints[0] != statusInternal || !strings.Contains(string(m.str[0]), "too long") {
		t.Errorf("reply %v, status %d %q; want an internal error saying the names are too long", ok, m.ints[0], m.str[0])
	}
	b.channel.Close() // as the backend does on a failed handshake
	b.plain.Close()
	if r := <-results; r.err == nil {
		r.conn.Close()
	}
}

// TestLongQueryIsRefused: a query longer than the daemon's buffer is an
// error, not its truncated start: "2.5.4.0…03x" cut to "2.5.4.0…03" would
// name the commonName.
func TestLongQueryIsRefused(t *testing.T) {
	b, _ := startDaemon(t).established(t, true)
	field := "2.5.4." + strings.Repeat("0", 4096-12-len("2.5.4.")-1) + "3"
	if ints, strs := b.ask(t, queryNameField, 0, field); ints[0] != answerFound || deref(strs[1]) != "alice" {
		t.Fatalf("a field name of %d bytes: status %d %q, want alice", len(field), ints[0], deref(strs[1]))
	}
	if ints, strs := b.ask(t, queryNameField, 0, field+"x"); ints[0] != answerError {
		t.Errorf("a field name of %d bytes: status %d %q, want an error", len(field)+1, ints[0], deref(strs[1]))
	}
}
