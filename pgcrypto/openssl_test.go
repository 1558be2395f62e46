package pgcrypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// The OpenSSL command line is the oracle: it looks digests up with the
// same EVP_get_digestbyname as pgcrypto, and its enc runs the same EVP
// ciphers (Blowfish, DES and CAST5 from its legacy provider).

func openssl(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl binary not installed (build/install-deps.sh installs it)")
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func TestDigestsMatchOpenSSL(t *testing.T) {
	msg := []byte("pgcrypto digest test: the quick brown fox\n")
	for name := range digests {
		for _, spelled := range []string{name, strings.ToUpper(name)} {
			h, err := NewDigest(spelled)
			if err != nil {
				t.Errorf("NewDigest(%q): %v", spelled, err)
				continue
			}
			h.Write(msg)
			got := hex.EncodeToString(h.Sum(nil))
			out := strings.Fields(string(openssl(t, msg, "dgst", "-r", "-"+spelled)))
			if len(out) == 0 || out[0] != got {
				t.Errorf("%s: Go %s, OpenSSL %q", spelled, got, out)
			}
		}
	}
	for _, name := range []string{"md4", "whirlpool", "sha0", "", "sha256 "} {
		if _, err := NewDigest(name); !errors.Is(err, ErrUnknown) {
			t.Errorf("NewDigest(%q) = %v, want ErrUnknown", name, err)
		}
	}
}

// opensslCipher names our ciphers as openssl enc does, by key length.
func opensslCipher(name string, keyLen int) string {
	switch name {
	case "des3-ecb":
		return "des-ede3"
	case "des3-cbc":
		return "des-ede3-cbc"
	}
	if strings.HasPrefix(name, "aes-") {
		return fmt.Sprintf("aes-%d-%s", keyLen*8, name[len("aes-"):])
	}
	return name
}

func TestCiphersMatchOpenSSL(t *testing.T) {
	msgs := [][]byte{
		{},
		[]byte("short"),
		[]byte("exactly sixteen!"),
		bytes.Repeat([]byte("pgcrypto"), 9),
	}
	for name, kind := range ciphers {
		// openssl enc takes a key of the cipher's default length:
		// Blowfish and CAST5 keys of 16 bytes, AES keys of each size.
		keyLens := []int{kind.maxKey}
		switch {
		case strings.HasPrefix(name, "aes-"):
			keyLens = []int{16, 24, 32}
		case strings.HasPrefix(name, "bf-"):
			keyLens = []int{16}
		}
		for _, keyLen := range keyLens {
			key := bytes.Repeat([]byte{0x5a}, keyLen)
			key[0] = byte(keyLen)
			iv := bytes.Repeat([]byte{0xa5}, kind.blockLen)
			for _, msg := range msgs {
				for _, padding := range []bool{true, false} {
					if !padding && kind.mode != cfb && len(msg)%kind.blockLen != 0 {
						continue // refused, see TestCipherRefusals
					}
					args := []string{"enc", "-provider", "legacy", "-provider", "default",
						"-" + opensslCipher(name, keyLen), "-K", hex.EncodeToString(key)}
					if kind.mode != ecb {
						args = append(args, "-iv", hex.EncodeToString(iv))
					}
					if !padding {
						args = append(args, "-nopad")
					}
					want := openssl(t, msg, args...)
					label := fmt.Sprintf("%s key %d padding %v msg %d", name, keyLen, padding, len(msg))
					got := crypt(t, name, key, iv, false, padding, msg)
					if !bytes.Equal(got, want) {
						t.Errorf("%s: Go %x, OpenSSL %x", label, got, want)
					}
					if back := crypt(t, name, key, iv, true, padding, got); !bytes.Equal(back, msg) {
						t.Errorf("%s: decrypted %q", label, back)
					}
				}
			}
		}
	}
}

func crypt(t *testing.T, name string, key, iv []byte, decrypt, padding bool, in []byte) []byte {
	t.Helper()
	c, err := NewCipher(name, key, iv, decrypt, padding)
	if err != nil {
		t.Fatalf("NewCipher(%s): %v", name, err)
	}
	out := make([]byte, c.OutputSize(len(in)))
	n, err := c.Crypt(out, in)
	if err != nil {
		t.Fatalf("%s decrypt=%v: %v", name, decrypt, err)
	}
	return out[:n]
}
