package record

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// twoLayers returns a client layer and the server layer facing it, over
// fresh secrets of suite id.
func twoLayers(t testing.TB, id uint16) (client, server *Layer) {
	t.Helper()
	n := suiteByID(id).hash().Size()
	cs, ss := bytes.Repeat([]byte{1}, n), bytes.Repeat([]byte{2}, n)
	c, err := New(State{Suite: id, Client: true, ReadSecret: ss, WriteSecret: cs})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(State{Suite: id, ReadSecret: cs, WriteSecret: ss})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// sealInner encrypts inner (content, type byte, padding: the whole
// TLSInnerPlaintext) as the next record from l, under outer type outer.
func sealInner(t testing.TB, l *Layer, outer byte, inner []byte) []byte {
	t.Helper()
	nonce, err := l.out.nextNonce()
	if err != nil {
		t.Fatal(err)
	}
	n := len(inner) + l.out.aead.Overhead()
	hdr := []byte{outer, 3, 3, byte(n >> 8), byte(n)}
	return l.out.aead.Seal(hdr, nonce, inner, hdr)
}

// feed gives l input and reads until it needs more or fails.
func feed(l *Layer, input []byte) ([]byte, error) {
	var got []byte
	buf := make([]byte, 1000)
	for {
		if len(input) > 0 {
			if space := l.ReadSpace(); len(space) > 0 {
				k := copy(space, input)
				l.Received(k)
				input = input[k:]
			}
		}
		n, err := l.Read(buf)
		got = append(got, buf[:n]...)
		if err == ErrNeedInput && len(input) > 0 {
			continue
		}
		if err != nil {
			return got, err
		}
	}
}

func TestSuitesRoundTrip(t *testing.T) {
	for _, s := range suites {
		t.Run(tls.CipherSuiteName(s.id), func(t *testing.T) {
			c, srv := twoLayers(t, s.id)
			msg := bytes.Repeat([]byte("postgres"), 5000) // three records
			rec, err := c.Seal(nil, msg)
			if err != nil {
				t.Fatal(err)
			}
			rec, _ = c.UpdateKeys(rec, true)
			rec, _ = c.Seal(rec, []byte("after the update"))
			got, err := feed(srv, rec)
			if err != ErrNeedInput || string(got) != string(msg)+"after the update" {
				t.Fatalf("read %d bytes, %v", len(got), err)
			}
			// The server answered the request, so the client can read
			// what the server sends under its new keys.
			reply := srv.TakeReplies(nil)
			reply, _ = srv.Seal(reply, []byte("pong"))
			if got, err := feed(c, reply); err != ErrNeedInput || string(got) != "pong" {
				t.Fatalf("client read %q, %v", got, err)
			}
		})
	}
}

// Every way a record can be wrong gets crypto/tls's answer: the same
// error, and an alert for the peer where crypto/tls sends one.
func TestBadInput(t *testing.T) {
	const id = tls.TLS_AES_128_GCM_SHA256
	data := func(p *Layer, s string) []byte { return sealInner(t, p, 23, append([]byte(s), 23)) }
	hs := func(p *Layer, msg ...byte) []byte { return sealInner(t, p, 23, append(msg, 22)) }
	ticket := []byte{4, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 't', 0, 0}
	cases := []struct {
		name   string
		client bool // the layer under test is the client
		input  func(peer *Layer) []byte
		read   string // plaintext read before the error
		err    string // "" for none: the layer wants more input
		alert  bool   // an alert is queued for the peer
	}{
		{"padding and an empty data record are fine", true, func(p *Layer) []byte {
			return append(sealInner(t, p, 23, []byte{'o', 'k', 23, 0, 0, 0}), data(p, "")...)
		}, "ok", "", false},
		{"a ticket is dropped by a client", true, func(p *Layer) []byte {
			return append(hs(p, ticket...), data(p, "x")...)
		}, "x", "", false},
		{"a ticket split over two records", true, func(p *Layer) []byte {
			return append(append(hs(p, ticket[:6]...), hs(p, ticket[6:]...)...), data(p, "y")...)
		}, "y", "", false},
		{"a ticket to a server", false, func(p *Layer) []byte { return hs(p, ticket...) }, "", "new session ticket from a client", true},
		{"a malformed ticket", true, func(p *Layer) []byte { return hs(p, 4, 0, 0, 3, 1, 2, 3) }, "", "local error: tls: error decoding message", true},
		{"a change_cipher_spec is ignored", true, func(p *Layer) []byte {
			return append([]byte{20, 3, 3, 0, 1, 1}, data(p, "z")...)
		}, "z", "", false},
		{"a malformed change_cipher_spec", true, func(p *Layer) []byte { return []byte{20, 3, 3, 0, 1, 2} }, "", "local error: tls: error decoding message", true},
		{"an unencrypted alert", true, func(p *Layer) []byte { return []byte{21, 3, 3, 0, 2, 2, 40} }, "", "local error: tls: unexpected message", true},
		{"a record of version 3.1", true, func(p *Layer) []byte {
			r := data(p, "a")
			r[2] = 1
			return r
		}, "", "tls: received record with version 301 when expecting version 303", true},
		{"an oversized record", true, func(p *Layer) []byte { return []byte{23, 3, 3, 0x41, 1} }, "", "tls: oversized record received with length 16641", true},
		{"a damaged record", true, func(p *Layer) []byte {
			r := data(p, "a")
			r[len(r)-1] ^= 1
			return r
		}, "", "local error: tls: bad record MAC", true},
		{"no content type, only padding", true, func(p *Layer) []byte { return sealInner(t, p, 23, []byte{0, 0, 0}) }, "", "local error: tls: unexpected message", true},
		{"plaintext over 2^14 bytes", true, func(p *Layer) []byte {
			return sealInner(t, p, 23, append(make([]byte, maxPlaintext+1), 23))
		}, "", "local error: tls: record overflow", true},
		{"an unknown content type", true, func(p *Layer) []byte { return sealInner(t, p, 23, []byte{1, 99}) }, "", "local error: tls: unexpected message", true},
		{"an empty handshake record", true, func(p *Layer) []byte { return sealInner(t, p, 23, []byte{22}) }, "", "local error: tls: unexpected message", true},
		{"data inside a split handshake message", true, func(p *Layer) []byte {
			return append(hs(p, ticket[:6]...), data(p, "a")...)
		}, "", "local error: tls: unexpected message", true},
		{"a peer's fatal alert", true, func(p *Layer) []byte { return sealInner(t, p, 23, []byte{2, 48, 21}) }, "", "remote error: tls: unknown certificate authority", false},
		{"a malformed alert", true, func(p *Layer) []byte { return sealInner(t, p, 23, []byte{2, 48, 1, 21}) }, "", "local error: tls: unexpected message", true},
		{"user_canceled is dropped", true, func(p *Layer) []byte {
			return append(sealInner(t, p, 23, []byte{1, 90, 21}), data(p, "b")...)
		}, "b", "", false},
		{"close_notify after data", true, func(p *Layer) []byte {
			return append(data(p, "bye"), sealInner(t, p, 23, []byte{1, 0, 21})...)
		}, "bye", "EOF", false},
		{"a KeyUpdate with a bad value", true, func(p *Layer) []byte { return hs(p, 24, 0, 0, 1, 2) }, "", "local error: tls: error decoding message", true},
		{"a KeyUpdate not at the record's end", true, func(p *Layer) []byte {
			return hs(p, append([]byte{24, 0, 0, 1, 0}, ticket...)...)
		}, "", "handshake buffer not empty before setting read traffic secret", true},
		{"an unexpected handshake message", true, func(p *Layer) []byte { return hs(p, 13, 0, 0, 0) }, "", "received unexpected handshake message of type 13", true},
		{"a handshake message over 64 KiB", true, func(p *Layer) []byte { return hs(p, 4, 1, 0, 1) }, "", "exceeds maximum of 65536 bytes", true},
		{"16 empty records are tolerated", true, func(p *Layer) []byte {
			var in []byte
			for range maxUseless {
				in = append(in, data(p, "")...)
			}
			return append(in, data(p, "c")...)
		}, "c", "", false},
		{"17 empty records are not", true, func(p *Layer) []byte {
			var in []byte
			for range maxUseless + 1 {
				in = append(in, data(p, "")...)
			}
			return in
		}, "", "tls: too many ignored records", true},
		{"17 tickets in a row are not", true, func(p *Layer) []byte {
			var in []byte
			for range maxUseless + 1 {
				in = append(in, hs(p, ticket...)...)
			}
			return in
		}, "", "tls: too many non-advancing records", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, sv := twoLayers(t, id)
			me, peer := cl, sv
			if !c.client {
				me, peer = sv, cl
			}
			got, err := feed(me, c.input(peer))
			if string(got) != c.read {
				t.Errorf("read %q, want %q", got, c.read)
			}
			switch {
			case c.err == "" && err != ErrNeedInput:
				t.Fatalf("error %v, want none", err)
			case c.err == "EOF" && err != io.EOF:
				t.Fatalf("error %v, want io.EOF", err)
			case c.err != "" && c.err != "EOF" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v, want %q", err, c.err)
			}
			if c.err != "" && c.err != "EOF" {
				if _, again := me.Read(make([]byte, 1)); again != err {
					t.Errorf("a second Read returned %v, want the same error", again)
				}
			}
			// The peer can open the alert the layer queued.
			replies := me.TakeReplies(nil)
			if (len(replies) > 0) != c.alert {
				t.Fatalf("%d bytes of replies, want an alert: %v", len(replies), c.alert)
			}
			if c.alert {
				_, perr := feed(peer, replies)
				var op *net.OpError
				if !errors.As(perr, &op) || op.Op != "remote error" {
					t.Fatalf("the peer read %v from the alert", perr)
				}
			}
		})
	}
}
