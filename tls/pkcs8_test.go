package pgtls

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"hash"
	"strings"
	"testing"
)

// pbes2Scheme is one PBES2 cipher and PBKDF2 pseudo-random function.
type pbes2Scheme struct {
	name      string
	cipher    asn1.ObjectIdentifier
	keyLen    int
	newCipher func([]byte) (cipher.Block, error)
	prf       asn1.ObjectIdentifier // nil: the default, HMAC-SHA1
	hash      func() hash.Hash
}

var pbes2Schemes = []pbes2Scheme{
	{"aes-256-cbc/sha256", oidAES256CBC, 32, aes.NewCipher, oidHMACWithSHA256, sha256.New},
	{"aes-128-cbc/sha1 (default PRF)", oidAES128CBC, 16, aes.NewCipher, nil, sha1.New},
	{"aes-128-cbc/sha1 (explicit PRF)", oidAES128CBC, 16, aes.NewCipher, oidHMACWithSHA1, sha1.New},
	{"aes-192-cbc/sha224", oidAES192CBC, 24, aes.NewCipher, oidHMACWithSHA224, sha256.New224},
	{"aes-256-cbc/sha384", oidAES256CBC, 32, aes.NewCipher, oidHMACWithSHA384, sha512.New384},
	{"aes-256-cbc/sha512", oidAES256CBC, 32, aes.NewCipher, oidHMACWithSHA512, sha512.New},
	{"des-ede3-cbc/sha256", oidDESEDE3CBC, 24, des.NewTripleDESCipher, oidHMACWithSHA256, sha256.New},
}

// encryptPKCS8 is the inverse of decryptPKCS8, for the tests: it wraps a
// DER PrivateKeyInfo in a PBES2 EncryptedPrivateKeyInfo.
func encryptPKCS8(t testing.TB, plain []byte, password string, s pbes2Scheme) []byte {
	t.Helper()
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(s.hash, password, salt, 1000, s.keyLen)
	if err != nil {
		t.Fatal(err)
	}
	block, err := s.newCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	iv := make([]byte, block.BlockSize())
	rand.Read(iv)
	pad := block.BlockSize() - len(plain)%block.BlockSize()
	data := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)

	mustMarshal := func(v any) []byte {
		der, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	kdf := pbkdf2Params{Salt: salt, IterationCount: 1000}
	if s.prf != nil {
		kdf.PRF = pkix.AlgorithmIdentifier{Algorithm: s.prf, Parameters: asn1.NullRawValue}
	}
	params := pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: mustMarshal(kdf)}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: s.cipher, Parameters: asn1.RawValue{FullBytes: mustMarshal(iv)}},
	}
	return mustMarshal(encryptedPrivateKeyInfo{
		Algorithm:     pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: mustMarshal(params)}},
		EncryptedData: data,
	})
}

// TestPBES2: every cipher and PRF decryptPKCS8 supports, round trip.
func TestPBES2(t *testing.T) {
	t.Parallel()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range pbes2Schemes {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			der := encryptPKCS8(t, plain, "pässwörd", s)
			pemData := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der})
			for _, data := range [][]byte{der, pemData} {
				key, err := parsePrivateKey(data, []byte("pässwörd"))
				if err != nil {
					t.Fatalf("decrypt: %v", err)
				}
				if !edKey.Equal(key) {
					t.Fatal("decrypted another key")
				}
				for _, pw := range []string{"", "password", "pässwörd "} {
					if _, err := parsePrivateKey(data, []byte(pw)); err != errBadDecrypt {
						t.Errorf("password %q: %v, want bad decrypt", pw, err)
					}
				}
			}
		})
	}
}

// TestPBES2Unsupported: schemes OpenSSL may write that we do not read are
// named in the error, not mistaken for a wrong password.
func TestPBES2Unsupported(t *testing.T) {
	t.Parallel()
	plain := []byte("0123456789abcdef")
	good := pbes2Schemes[0]
	tests := []struct {
		name   string
		scheme pbes2Scheme
		want   string
	}{
		{"unknown PRF", pbes2Scheme{"", oidAES256CBC, 32, aes.NewCipher, asn1.ObjectIdentifier{1, 2, 3, 4}, sha256.New}, "unsupported PBKDF2 pseudo-random function 1.2.3.4"},
		{"unknown cipher", pbes2Scheme{"", asn1.ObjectIdentifier{1, 2, 3, 5}, 32, aes.NewCipher, oidHMACWithSHA256, sha256.New}, "unsupported private key cipher 1.2.3.5"},
	}
	for _, tt := range tests {
		der := encryptPKCS8(t, plain, "secret", tt.scheme)
		if _, err := decryptPKCS8(der, []byte("secret")); err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	// PBES1 (pbeWithSHA1And3-KeyTripleDES-CBC, what "openssl pkcs8 -v1"
	// writes) is not PBES2.
	der, _ := asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm:     pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}},
		EncryptedData: make([]byte, 32),
	})
	if _, err := decryptPKCS8(der, []byte("secret")); err == nil || !strings.Contains(err.Error(), "only PBES2 is supported") {
		t.Errorf("PBES1: %v", err)
	}
	// Not an EncryptedPrivateKeyInfo at all.
	if _, err := decryptPKCS8([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, nil); err != errNotEncryptedPKCS8 {
		t.Errorf("garbage: %v", err)
	}
	// Trailing data after the structure.
	der = append(encryptPKCS8(t, plain, "secret", good), 0)
	if _, err := decryptPKCS8(der, []byte("secret")); err != errNotEncryptedPKCS8 {
		t.Errorf("trailing data: %v", err)
	}
}

// TestDERKeyEndingInWhitespace: a DER key is binary, and one in about 40
// ends in a byte that is also ASCII white space. Such keys must load,
// encrypted or not; so must a DER key followed by a stray newline.
func TestDERKeyEndingInWhitespace(t *testing.T) {
	t.Parallel()
	isSpace := func(b byte) bool { return b == ' ' || (b >= '\t' && b <= '\r') }
	// Generate keys until the DER ends in white space; P-256 and Ed25519
	// keys are cheap, and their DER ends in key material.
	find := func(gen func() (crypto.Signer, []byte)) (crypto.Signer, []byte) {
		for range 10000 {
			k, der := gen()
			if isSpace(der[len(der)-1]) {
				return k, der
			}
		}
		t.Fatal("no key ending in white space")
		return nil, nil
	}
	ecKey := func() (crypto.Signer, *ecdsa.PrivateKey) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k, k
	}
	pkcs8 := func(k crypto.Signer) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	tests := []struct {
		name string
		gen  func() (crypto.Signer, []byte)
	}{
		{"SEC 1", func() (crypto.Signer, []byte) {
			s, k := ecKey()
			der, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return s, der
		}},
		{"PKCS#8 ECDSA", func() (crypto.Signer, []byte) { s, _ := ecKey(); return s, pkcs8(s) }},
		{"PKCS#8 Ed25519", func() (crypto.Signer, []byte) {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return k, pkcs8(k)
		}},
		{"encrypted PKCS#8", func() (crypto.Signer, []byte) {
			s, _ := ecKey()
			return s, encryptPKCS8(t, pkcs8(s), "secret", pbes2Schemes[0])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want, der := find(tt.gen)
			for _, data := range [][]byte{der, append(bytes.Clone(der), '\n')} {
				key, err := parsePrivateKey(data, []byte("secret"))
				if err != nil {
					t.Fatalf("DER ending in %#x (+%d bytes): %v", der[len(der)-1], len(data)-len(der), err)
				}
				if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(want.Public()) {
					t.Fatal("parsed another key")
				}
			}
			// And through the file, as NewClient reads it.
			f := writeFile(t, t.TempDir(), "key.der", der, 0o600)
			if _, err := loadClientKey(f, "secret"); err != nil {
				t.Errorf("loadClientKey: %v", err)
			}
		})
	}
}
