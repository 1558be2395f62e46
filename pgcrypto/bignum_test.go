package pgcrypto

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"testing"
)

func TestRSA(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	n, e, d := key.N.Bytes(), big.NewInt(int64(key.E)).Bytes(), key.D.Bytes()
	m := []byte("a PGP session key, padded by pgcrypto")
	c, err := ModExp(m, e, n)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ModExp(c, d, n)
	if err != nil || !bytes.Equal(back, m) {
		t.Fatalf("decrypted %q, %v", back, err)
	}
	if _, err := ModExp(m, e, nil); !errors.Is(err, ErrMath) {
		t.Errorf("modulus 0: %v", err)
	}

	p, q := key.Primes[0].Bytes(), key.Primes[1].Bytes()
	for _, k := range []struct {
		name string
		p, q []byte
	}{
		{"with its primes", p, q},
		{"with the primes swapped", q, p},
		{"without primes", nil, nil},
		{"with primes not of n", big.NewInt(3).Bytes(), big.NewInt(5).Bytes()},
		{"with a wrong prime", p, p},
	} {
		got, err := RSADecrypt(n, e, d, k.p, k.q, c)
		if err != nil || !bytes.Equal(got, m) {
			t.Errorf("RSADecrypt %s: %q, %v", k.name, got, err)
		}
	}
	// A d that does not match e: the result must still be c^d mod n.
	badD := new(big.Int).Add(key.D, big.NewInt(2)).Bytes()
	want, _ := ModExp(c, badD, n)
	if got, _ := RSADecrypt(n, e, badD, p, q, c); !bytes.Equal(got, want) {
		t.Error("RSADecrypt with a d not matching e differs from c^d mod n")
	}
}

func TestElGamal(t *testing.T) {
	p, err := rand.Prime(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	g := big.NewInt(5)
	x, _ := rand.Int(rand.Reader, p)
	y := new(big.Int).Exp(g, x, p)
	m := []byte("a PGP session key")
	kBits := 1024/10 + 160 // pgp-mpi's decide_k_bits
	c1, c2, err := ElGamalEncrypt(p.Bytes(), g.Bytes(), y.Bytes(), m, kBits)
	if err != nil {
		t.Fatal(err)
	}
	c1again, _, _ := ElGamalEncrypt(p.Bytes(), g.Bytes(), y.Bytes(), m, kBits)
	if bytes.Equal(c1, c1again) {
		t.Error("two encryptions used the same k")
	}
	back, err := ElGamalDecrypt(p.Bytes(), x.Bytes(), c1, c2)
	if err != nil || !bytes.Equal(back, m) {
		t.Fatalf("decrypted %q, %v", back, err)
	}
	// c1 = p shares p as a factor with p: no inverse.
	if _, err := ElGamalDecrypt(p.Bytes(), x.Bytes(), p.Bytes(), c2); !errors.Is(err, ErrMath) {
		t.Errorf("c1 without an inverse: %v", err)
	}
}

func TestRandomBits(t *testing.T) {
	for _, bits := range []int{1, 7, 8, 9, 262} {
		for range 20 {
			k, err := randomBits(bits)
			if err != nil || k.BitLen() != bits {
				t.Fatalf("randomBits(%d) = %v bits, %v", bits, k.BitLen(), err)
			}
		}
	}
}
