package record

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"io"
	"strings"
	"testing"
)

// The traces of RFC 8448, section 3 (a simple 1-RTT handshake,
// TLS_AES_128_GCM_SHA256): the application traffic secrets, the keys
// derived from them, and every record sent under them. The server sends a
// NewSessionTicket, then both sides send the same 50 bytes and close.
var (
	rfcClientSecret = unhex("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5")
	rfcServerSecret = unhex("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43")
	rfcClientKey    = unhex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51")
	rfcClientIV     = unhex("5b 78 92 3d ee 08 57 90 33 e5 23 d9")
	rfcServerKey    = unhex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56")
	rfcServerIV     = unhex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84")

	rfcTicketRecord = unhex(`17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24
		0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a
		01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1
		70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0
		9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15
		13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77
		f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51 9d 86 cb ee ac 87 aa c3
		47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74
		bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b
		3b 6c 67 79 b3 7b f1 59 85 68 4f`)
	rfcClientData = unhex(`17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea
		42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b
		62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4`)
	rfcServerData = unhex(`17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc
		32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8
		fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d`)
	rfcClientClose = unhex("17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3")
	rfcServerClose = unhex("17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9")
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func rfcPayload() []byte {
	p := make([]byte, 50)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}

func TestRFC8448TrafficKeys(t *testing.T) {
	s := suiteByID(tls.TLS_AES_128_GCM_SHA256)
	for _, c := range []struct {
		name          string
		secret, k, iv []byte
	}{
		{"client", rfcClientSecret, rfcClientKey, rfcClientIV},
		{"server", rfcServerSecret, rfcServerKey, rfcServerIV},
	} {
		if got := s.expandLabel(c.secret, "key", 16); !bytes.Equal(got, c.k) {
			t.Errorf("%s write key = %x, want %x", c.name, got, c.k)
		}
		if got := s.expandLabel(c.secret, "iv", ivLen); !bytes.Equal(got, c.iv) {
			t.Errorf("%s write iv = %x, want %x", c.name, got, c.iv)
		}
	}
}

// The client's layer reads the server's records (the ticket, the data, its
// close_notify) and writes exactly the client's.
func TestRFC8448Client(t *testing.T) {
	input := append(append(append([]byte{}, rfcTicketRecord...), rfcServerData...), rfcServerClose...)
	st := State{Suite: tls.TLS_AES_128_GCM_SHA256, Client: true, ReadSecret: rfcServerSecret, WriteSecret: rfcClientSecret, Input: input}
	l, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, l)
	if !bytes.Equal(got, rfcPayload()) {
		t.Fatalf("read %x, want %x", got, rfcPayload())
	}
	out, err := l.Seal(nil, rfcPayload())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, rfcClientData) {
		t.Fatalf("sealed\n%x\nwant\n%x", out, rfcClientData)
	}
	if out := l.CloseNotify(nil); !bytes.Equal(out, rfcClientClose) {
		t.Fatalf("close_notify\n%x\nwant\n%x", out, rfcClientClose)
	}
}

// The server's layer starts after its ticket (write sequence 1), reads the
// client's records and writes exactly the server's.
func TestRFC8448Server(t *testing.T) {
	st := State{Suite: tls.TLS_AES_128_GCM_SHA256, ReadSecret: rfcClientSecret, WriteSecret: rfcServerSecret, WriteSeq: 1,
		Input: append(append([]byte{}, rfcClientData...), rfcClientClose...)}
	l, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, l); !bytes.Equal(got, rfcPayload()) {
		t.Fatalf("read %x, want %x", got, rfcPayload())
	}
	out, err := l.Seal(nil, rfcPayload())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, rfcServerData) {
		t.Fatalf("sealed\n%x\nwant\n%x", out, rfcServerData)
	}
	if out := l.CloseNotify(nil); !bytes.Equal(out, rfcServerClose) {
		t.Fatalf("close_notify\n%x\nwant\n%x", out, rfcServerClose)
	}
}

// A server receiving the client's ticket record refuses it, as crypto/tls
// does, and tells the peer why.
func TestRFC8448TicketFromAClientIsRefused(t *testing.T) {
	st := State{Suite: tls.TLS_AES_128_GCM_SHA256, ReadSecret: rfcServerSecret, WriteSecret: rfcClientSecret, Input: rfcTicketRecord}
	l, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Read(make([]byte, 100))
	if err == nil || !strings.Contains(err.Error(), "new session ticket from a client") {
		t.Fatalf("Read: %v", err)
	}
	if len(l.TakeReplies(nil)) != headerLen+2+1+16 {
		t.Fatal("no alert queued for the peer")
	}
}

// readAll reads until close_notify, whatever the chunk sizes.
func readAll(t *testing.T, l *Layer) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 7)
	for {
		n, err := l.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", len(got), err)
		}
	}
}
