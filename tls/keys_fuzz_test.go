package pgtls

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxFuzzIterations bounds the PBKDF2 iteration count the key targets
// run: the count comes from the key file, which is the user's own, and
// OpenSSL takes any; a fuzzer that raised it would only measure PBKDF2.
const maxFuzzIterations = 1 << 14

// pbkdf2Iterations is the largest iteration count of the PBES2
// structures parsePrivateKey could decrypt in data.
func pbkdf2Iterations(data []byte) int {
	candidates := [][]byte{bytes.TrimLeft(data, " \t\r\n\v\f")}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		candidates = append(candidates, b.Bytes)
	}
	most := 0
	for _, der := range candidates {
		var info encryptedPrivateKeyInfo
		var params pbes2Params
		var kdf pbkdf2Params
		if _, err := asn1.Unmarshal(der, &info); err != nil {
			continue
		}
		if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
			continue
		}
		if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
			continue
		}
		most = max(most, kdf.IterationCount)
	}
	return most
}

// fuzzKeySeeds are key files in every form parsePrivateKey reads, with
// their password: the testdata keys openssl encrypted, and unencrypted
// PKCS#8, PKCS#1 and SEC 1 keys, PEM and DER.
func fuzzKeySeeds(f *testing.F) (files [][]byte, plains [][]byte) {
	names, _ := filepath.Glob("testdata/*.key")
	ders, _ := filepath.Glob("testdata/*.der")
	var rsaKey *rsa.PrivateKey
	for _, name := range append(names, ders...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, data)
		if k, err := parsePrivateKey(data, []byte(testdataPassword)); err == nil && rsaKey == nil {
			rsaKey, _ = k.(*rsa.PrivateKey)
		}
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	files = append(files, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}), ecDER)
	for _, k := range []crypto.Signer{ecKey, edKey, rsaKey} {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			f.Fatal(err)
		}
		plains = append(plains, der)
		files = append(files, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	rsaDER := x509.MarshalPKCS1PrivateKey(rsaKey)
	files = append(files, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: rsaDER}), rsaDER)
	return files, plains
}

// FuzzPrivateKey: the private key reader (parsePrivateKey: PEM and DER,
// PKCS#1, SEC 1, PKCS#8, encrypted PKCS#8 and legacy PEM encryption),
// for any file and password.
//
//   - a key it returns is RSA, ECDSA or Ed25519, and reads back the same
//     through crypto/x509's PKCS#8;
//   - the password matters only for an encrypted key: a file that reads
//     without one reads the same with any;
//   - a file whose first key is encrypted does not read without one;
//   - no error message quotes the password.
func FuzzPrivateKey(f *testing.F) {
	files, _ := fuzzKeySeeds(f)
	for i, data := range files {
		f.Add(data, []byte(testdataPassword))
		if i%4 == 0 {
			f.Add(data, []byte("wrong password"))
		}
	}
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\n\n-----END ENCRYPTED PRIVATE KEY-----\n"), []byte("secret"))
	f.Fuzz(func(t *testing.T, data, password []byte) {
		if pbkdf2Iterations(data) > maxFuzzIterations {
			t.Skip("PBKDF2 iteration count too high to fuzz")
		}
		key, err := parsePrivateKey(data, password)
		if err == nil {
			switch key.(type) {
			case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			default:
				t.Fatalf("key of type %T", key)
			}
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				t.Fatalf("crypto/x509 cannot write the key: %v", err)
			}
			back, err := parsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil)
			if err != nil || !back.(interface{ Equal(crypto.PrivateKey) bool }).Equal(key) {
				t.Fatalf("the key does not read back through PKCS#8: %v", err)
			}
		}

		plainKey, plainErr := parsePrivateKey(data, nil)
		if plainErr == nil && (err != nil || !plainKey.(interface{ Equal(crypto.PrivateKey) bool }).Equal(key)) {
			t.Fatalf("reads without a password, not the same with %q: %v", password, err)
		}
		if plainErr == nil && firstKeyEncrypted(data) {
			t.Fatal("an encrypted key read without a password")
		}

		if err != nil && len(password) >= 4 && strings.Contains(err.Error(), string(password)) {
			other := bytes.Clone(password)
			for i := range other {
				other[i] ^= 0x55
			}
			if _, err2 := parsePrivateKey(data, other); err2 == nil || !strings.Contains(err2.Error(), string(password)) {
				t.Fatalf("the error quotes the password: %v", err)
			}
		}
	})
}

// firstKeyEncrypted reports whether the first key block parsePrivateKey
// would take from data is encrypted.
func firstKeyEncrypted(data []byte) bool {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		switch b.Type {
		case "ENCRYPTED PRIVATE KEY":
			return true
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			//lint:ignore SA1019 as in parsePrivateKey
			return x509.IsEncryptedPEMBlock(b)
		}
	}
}

// FuzzPBES2: decryptPKCS8 undoes PBES2 encryption with each cipher and
// PRF, for any plaintext and password; a wrong password does not give
// the plaintext back and an empty one is "bad decrypt"; and an encrypted
// PEM key reads as its plaintext does, or as "bad decrypt" if that is
// no key (OpenSSL cannot tell a wrong password from a damaged key).
func FuzzPBES2(f *testing.F) {
	_, plains := fuzzKeySeeds(f)
	for i, p := range plains {
		f.Add(p, []byte(testdataPassword), uint8(i))
	}
	f.Add([]byte{}, []byte("x"), uint8(6))
	f.Add([]byte("not a key"), []byte{}, uint8(1))
	f.Fuzz(func(t *testing.T, plain, password []byte, scheme uint8) {
		s := pbes2Schemes[int(scheme)%len(pbes2Schemes)]
		enc := encryptPKCS8(t, plain, string(password), s)
		got, err := decryptPKCS8(enc, password)
		if len(password) == 0 {
			if !errors.Is(err, errBadDecrypt) {
				t.Fatalf("%s, no password: %v, want bad decrypt", s.name, err)
			}
			return
		}
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: decrypted %x, %v; want %x", s.name, got, err, plain)
		}
		wrong := append(slices.Clone(password), 'x')
		if got, err := decryptPKCS8(enc, wrong); err == nil && bytes.Equal(got, plain) {
			t.Fatalf("%s: a wrong password decrypts", s.name)
		}

		want, wantErr := parseDERKey(plain)
		key, err := parsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc}), password)
		switch {
		case wantErr == nil && (err != nil || !key.(interface{ Equal(crypto.PrivateKey) bool }).Equal(want)):
			t.Fatalf("%s: the encrypted key reads as %v, %v", s.name, key, err)
		case wantErr != nil && !errors.Is(err, errBadDecrypt):
			t.Fatalf("%s: an encrypted non-key reads as %v, want bad decrypt", s.name, err)
		}
	})
}
