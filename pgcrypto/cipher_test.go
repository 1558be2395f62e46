package pgcrypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestCipherRefusals(t *testing.T) {
	key16 := make([]byte, 16)
	cases := []struct {
		name             string
		key              []byte
		decrypt, padding bool
		in               []byte
		newErr, cryptErr error
	}{
		{"aes-cbc", make([]byte, 33), false, true, nil, ErrKeyTooBig, nil},
		{"nosuch-cbc", key16, false, true, nil, ErrUnknown, nil},
		{"bf-cbc", nil, false, true, nil, ErrInit, nil},              // Blowfish needs a key
		{"bf-cbc", make([]byte, 57), false, true, nil, ErrInit, nil}, // and at most 448 bits
		{"cast5-ecb", make([]byte, 10), false, true, nil, ErrInit, nil},
		{"aes-cbc", key16, false, false, []byte("not a block"), nil, ErrEncrypt},
		{"aes-ecb", key16, true, false, []byte("not a block"), nil, ErrDecrypt},
		{"aes-cbc", key16, true, true, nil, nil, ErrDecrypt},              // nothing to unpad
		{"aes-cbc", key16, true, true, make([]byte, 16), nil, ErrDecrypt}, // bad padding
		{"des-cbc", make([]byte, 8), true, true, make([]byte, 12), nil, ErrDecrypt},
	}
	for _, c := range cases {
		ciph, err := NewCipher(c.name, c.key, nil, c.decrypt, c.padding)
		if !errors.Is(err, c.newErr) {
			t.Errorf("NewCipher(%s, %d-byte key) = %v, want %v", c.name, len(c.key), err, c.newErr)
			continue
		}
		if err != nil {
			continue
		}
		out := make([]byte, ciph.OutputSize(len(c.in)))
		if _, err := ciph.Crypt(out, c.in); !errors.Is(err, c.cryptErr) {
			t.Errorf("%s decrypt=%v padding=%v on %d bytes: %v, want %v", c.name, c.decrypt, c.padding, len(c.in), err, c.cryptErr)
		}
	}
}

// RFC 2144, appendix B.1, the 128-bit key; and a key of 88 bits, which
// OpenSSL and this package both zero-pad.
func TestCAST5(t *testing.T) {
	pt, _ := hex.DecodeString("0123456789abcdef")
	key, _ := hex.DecodeString("0123456712345678234567893456789a")
	if got := crypt(t, "cast5-ecb", key, nil, false, false, pt); hex.EncodeToString(got) != "238b4fe5847e44b2" {
		t.Errorf("RFC 2144 B.1 128-bit key: %x", got)
	}
	short, padded := key[:11], append(append([]byte{}, key[:11]...), 0, 0, 0, 0, 0)
	if a, b := crypt(t, "cast5-ecb", short, nil, false, false, pt), crypt(t, "cast5-ecb", padded, nil, false, false, pt); !bytes.Equal(a, b) {
		t.Errorf("88-bit key %x, zero-padded %x", a, b)
	}
}

// CBC chaining carries over from one Crypt to the next, as pgcrypto's
// PGP code expects of an EVP context it feeds block by block.
func TestCipherStateCarriesOver(t *testing.T) {
	key := make([]byte, 16)
	msg := bytes.Repeat([]byte("0123456789abcdef"), 4)
	for _, name := range []string{"aes-cbc", "aes-cfb", "bf-cbc"} {
		iv := bytes.Repeat([]byte{7}, ciphers[name].blockLen)
		whole := crypt(t, name, key, iv, false, false, msg)
		c, err := NewCipher(name, key, iv, false, false)
		if err != nil {
			t.Fatal(err)
		}
		var pieces []byte
		for off := 0; off < len(msg); off += 16 {
			out := make([]byte, c.OutputSize(16))
			n, err := c.Crypt(out, msg[off:off+16])
			if err != nil {
				t.Fatal(err)
			}
			pieces = append(pieces, out[:n]...)
		}
		if !bytes.Equal(whole, pieces) {
			t.Errorf("%s: in one call %x, in pieces %x", name, whole, pieces)
		}
	}
}
