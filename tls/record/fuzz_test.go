package record

import (
	"crypto/tls"
	"testing"
)

// FuzzDecryptedRecords feeds a client layer well-encrypted records whose
// contents are the fuzzer's: content types, padding, alerts, fragments of
// handshake messages. Whatever they hold, the layer must not panic, must
// keep its buffers bounded, and once failed must stay failed.
func FuzzDecryptedRecords(f *testing.F) {
	f.Add([]byte{3, 'a', 'b', 23, 2, 0, 23, 5, 24, 0, 0, 1, 22})
	f.Add([]byte{19, 4, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 't', 0, 0, 22})
	f.Add([]byte{3, 1, 0, 21, 3, 2, 40, 21, 1, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		me, peer := twoLayers(t, tls.TLS_AES_128_GCM_SHA256)
		// script: a length byte, then that many bytes of TLSInnerPlaintext.
		var input []byte
		for len(script) > 0 {
			n := min(int(script[0]), len(script)-1)
			input = append(input, sealInner(t, peer, 23, script[1:1+n])...)
			script = script[1+n:]
		}
		readChecked(t, me, input)
	})
}

// FuzzRawInput feeds a client layer arbitrary bytes as ciphertext.
func FuzzRawInput(f *testing.F) {
	f.Add([]byte{23, 3, 3, 0, 17, 1, 2, 3})
	f.Add([]byte{20, 3, 3, 0, 1, 1, 23, 3, 3, 0x41, 1})
	f.Add([]byte{22, 3, 1, 0, 5, 1, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, input []byte) {
		me, _ := twoLayers(t, tls.TLS_AES_128_GCM_SHA256)
		readChecked(t, me, input)
	})
}

func readChecked(t *testing.T, l *Layer, input []byte) {
	var failed error
	buf := make([]byte, 100)
	for step := 0; ; step++ {
		if space := l.ReadSpace(); len(space) > 0 && len(input) > 0 {
			k := copy(space[:min(len(space), 1+step%300)], input)
			l.Received(k)
			input = input[k:]
		}
		_ = l.Pending()
		_, err := l.Read(buf)
		if failed != nil && err != failed {
			t.Fatalf("failed with %v, then returned %v", failed, err)
		}
		if len(l.hs) > maxHandshake+4+maxPlaintext || l.Buffered() > len(l.buf) || len(l.replies) > 1024 {
			t.Fatalf("unbounded: %d bytes of handshake, %d buffered, %d of replies", len(l.hs), l.Buffered(), len(l.replies))
		}
		switch {
		case err == ErrNeedInput && len(input) == 0:
			return
		case err != nil && err != ErrNeedInput:
			if failed != nil {
				return
			}
			failed = err
		}
	}
}
