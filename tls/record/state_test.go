package record

import (
	"bytes"
	"crypto/tls"
	"io"
	"strings"
	"testing"
)

// A session moves from one layer to another mid-stream, through its
// encoding, as it would to another process: with plaintext decrypted and
// not yet read, and half of the next record received. The new layer reads
// the rest, then both sides carry on through key updates; crypto/tls, the
// peer, sees one connection.
func TestStateMovesTheSession(t *testing.T) {
	for _, side := range sides() {
		t.Run(side.name, func(t *testing.T) {
			me, peer := pair(t, side.client)
			msgs := []string{"first", strings.Repeat("x", 20000), "third"}
			go func() {
				for _, m := range msgs {
					_, _ = peer.Write([]byte(m))
				}
			}()
			// The first record (5 bytes of data: 27 of ciphertext) and 10
			// bytes of the second, then two bytes read.
			const firstRecord = headerLen + 5 + 1 + 16
			space := me.l.ReadSpace()
			if _, err := io.ReadFull(me.conn, space[:firstRecord+10]); err != nil {
				t.Fatal(err)
			}
			me.l.Received(firstRecord + 10)
			got := make([]byte, 2)
			if _, err := io.ReadFull(me, got); err != nil || string(got) != "fi" {
				t.Fatalf("read %q, %v", got, err)
			}

			st := mustState(t, me.l)
			if string(st.Plaintext) != "rst" || len(st.Input) != 10 {
				t.Fatalf("state holds %q of plaintext and %d bytes of input; want \"rst\" and 10", st.Plaintext, len(st.Input))
			}
			l2 := moveLayer(t, st)
			me2 := &layerConn{t: t, conn: me.conn, l: l2}

			want := "rst" + msgs[1] + msgs[2]
			rest := make([]byte, len(want))
			if _, err := io.ReadFull(me2, rest); err != nil || string(rest) != want {
				t.Fatalf("after the move: read %d bytes, %v", len(rest), err)
			}
			// Key updates both ways, then a round trip.
			out, err := l2.UpdateKeys(nil, true)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := me.conn.Write(out); err != nil {
				t.Fatal(err)
			}
			go func() { _, _ = io.CopyN(peer, peer, 4) }()
			if _, err := me2.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			back := make([]byte, 4)
			if _, err := io.ReadFull(me2, back); err != nil || string(back) != "ping" {
				t.Fatalf("echo after the move: %q, %v", back, err)
			}
		})
	}
}

// A failed session, or one with replies not yet taken, has no state to
// hand on.
func TestStateRefusedWhenItCannotMove(t *testing.T) {
	c, s := twoLayers(t, tls.TLS_AES_128_GCM_SHA256)
	rec, _ := s.UpdateKeys(nil, true)
	if _, err := feed(c, rec); err != ErrNeedInput {
		t.Fatal(err)
	}
	if _, err := c.State(); err == nil || !strings.Contains(err.Error(), "replies") {
		t.Fatalf("State with a KeyUpdate answer waiting: %v", err)
	}
	c.TakeReplies(nil)
	if _, err := c.State(); err != nil {
		t.Fatal(err)
	}
	if _, err := feed(c, append([]byte{23, 3, 3, 0, 17}, make([]byte, 17)...)); err == nil || err == ErrNeedInput {
		t.Fatalf("a record that does not decrypt: %v", err)
	}
	if _, err := c.State(); err == nil || !strings.Contains(err.Error(), "ended") {
		t.Fatalf("State of a failed session: %v", err)
	}
}

// FuzzStateEncoding: whatever the bytes, decoding does not panic, what it
// accepts encodes back to the same bytes, and New either refuses it or
// makes a layer that reads without panicking.
func FuzzStateEncoding(f *testing.F) {
	c, _ := twoLayers(f, tls.TLS_AES_256_GCM_SHA384)
	st, _ := c.State()
	st.Plaintext, st.Input = []byte("left over"), []byte{23, 3, 3, 0}
	seed, _ := st.MarshalBinary()
	f.Add(seed)
	f.Add([]byte(stateMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		var st State
		if st.UnmarshalBinary(b) != nil {
			return
		}
		again, err := st.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoded differently: %v", err)
		}
		l, err := New(st)
		if err != nil {
			return
		}
		readChecked(t, l, nil)
	})
}

// A post-handshake message cut in two by a record boundary moves with the
// state: the new layer completes it with the second record (a KeyUpdate
// here), and reads what the peer sends under the new key.
func TestStateMovesAHalfMessage(t *testing.T) {
	c, s := twoLayers(t, tls.TLS_AES_128_GCM_SHA256)
	msg := []byte{msgKeyUpdate, 0, 0, 1, 0} // update_not_requested
	first, err := s.seal(nil, typeHandshake, msg[:2])
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.seal(nil, typeHandshake, msg[2:])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.out.setSecret(s.suite, s.suite.nextSecret(s.out.secret)); err != nil {
		t.Fatal(err)
	}
	data, err := s.Seal(nil, []byte("under the new key"))
	if err != nil {
		t.Fatal(err)
	}

	if _, err := feed(c, first); err != ErrNeedInput {
		t.Fatalf("the first half: %v", err)
	}
	st := mustState(t, c)
	if !bytes.Equal(st.Handshake, msg[:2]) {
		t.Fatalf("state holds %x of a message, want %x", st.Handshake, msg[:2])
	}
	got, err := feed(moveLayer(t, st), append(second, data...))
	if err != ErrNeedInput || string(got) != "under the new key" {
		t.Fatalf("after the move: %q, %v", got, err)
	}
}

// moveLayer makes a layer from st through its encoding, as another process
// would.
func moveLayer(t testing.TB, st State) *Layer {
	t.Helper()
	enc, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var moved State
	if err := moved.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	l, err := New(moved)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
