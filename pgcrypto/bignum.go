package pgcrypto

import (
	"crypto/rand"
	"math/big"
)

// The big-number operations of pgcrypto's PGP public-key code
// (pgp-mpi-openssl.c). Numbers are unsigned big-endian bytes, as PGP's
// MPIs hold them; results are written without leading zeros.
//
// math/big is not constant-time; neither is OpenSSL's BN_mod_exp as
// pgcrypto calls it (without BN_FLG_CONSTTIME). Intermediate values are
// cleared after use, as BN_clear_free does, as far as Go lets a caller:
// math/big may have copied them while computing.

// ModExp returns base^exp mod m: RSA encryption.
func ModExp(base, exp, m []byte) ([]byte, error) {
	b, e, n := num(base), num(exp), num(m)
	defer wipe(b, e, n)
	if n.Sign() == 0 {
		return nil, ErrMath
	}
	r := new(big.Int).Exp(b, e, n)
	defer wipe(r)
	return r.Bytes(), nil
}

// RSADecrypt returns c^d mod n, the RSA private operation. With the key's
// primes p and q it computes that through the Chinese remainder theorem,
// a third of the work, and keeps the result only if it encrypts back to c
// under e: a key whose p and q do not match n and d gives what c^d mod n
// gives, as pgcrypto's OpenSSL code computes it.
func RSADecrypt(n, e, d, p, q, c []byte) ([]byte, error) {
	N, E, D, P, Q, C := num(n), num(e), num(d), num(p), num(q), num(c)
	defer wipe(D, P, Q)
	if N.Sign() == 0 {
		return nil, ErrMath
	}
	if m := rsaCRT(N, D, P, Q, C); m != nil {
		defer wipe(m)
		if new(big.Int).Exp(m, E, N).Cmp(new(big.Int).Mod(C, N)) == 0 {
			return m.Bytes(), nil
		}
	}
	m := new(big.Int).Exp(C, D, N)
	defer wipe(m)
	return m.Bytes(), nil
}

// rsaCRT is c^d mod n from p and q, or nil if they are not n's factors.
func rsaCRT(N, D, P, Q, C *big.Int) *big.Int {
	one := big.NewInt(1)
	if P.Cmp(one) <= 0 || Q.Cmp(one) <= 0 || new(big.Int).Mul(P, Q).Cmp(N) != 0 {
		return nil
	}
	qInv := new(big.Int).ModInverse(Q, P)
	if qInv == nil {
		return nil
	}
	dP := new(big.Int).Mod(D, new(big.Int).Sub(P, one))
	dQ := new(big.Int).Mod(D, new(big.Int).Sub(Q, one))
	m1 := new(big.Int).Exp(C, dP, P)
	m2 := new(big.Int).Exp(C, dQ, Q)
	h := m1.Sub(m1, m2)
	h.Mul(h, qInv).Mod(h, P)
	m := h.Mul(h, Q).Add(h, m2)
	wipe(qInv, dP, dQ, m2)
	return m
}

// ElGamalEncrypt returns c1 = g^k mod p and c2 = m·y^k mod p for a random k
// of kBits bits (its top bit set, as BN_rand(k, kBits, 0, 0) makes it).
func ElGamalEncrypt(p, g, y, m []byte, kBits int) (c1, c2 []byte, err error) {
	P, G, Y, M := num(p), num(g), num(y), num(m)
	defer wipe(P, G, Y, M)
	if P.Sign() == 0 || kBits < 1 {
		return nil, nil, ErrMath
	}
	k, err := randomBits(kBits)
	if err != nil {
		return nil, nil, ErrMath
	}
	C1 := new(big.Int).Exp(G, k, P)
	yk := new(big.Int).Exp(Y, k, P)
	C2 := yk.Mul(M, yk).Mod(yk, P)
	defer wipe(k, C1, C2)
	return C1.Bytes(), C2.Bytes(), nil
}

// ElGamalDecrypt returns m = c2 / c1^x mod p.
func ElGamalDecrypt(p, x, c1, c2 []byte) ([]byte, error) {
	P, X, C1, C2 := num(p), num(x), num(c1), num(c2)
	defer wipe(P, X, C1, C2)
	if P.Sign() == 0 {
		return nil, ErrMath
	}
	c1x := new(big.Int).Exp(C1, X, P)
	defer wipe(c1x)
	if c1x.ModInverse(c1x, P) == nil {
		return nil, ErrMath
	}
	m := c1x.Mul(C2, c1x).Mod(c1x, P)
	return m.Bytes(), nil
}

func num(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// randomBits is a uniformly random number of exactly bits bits.
func randomBits(bits int) (*big.Int, error) {
	b := make([]byte, (bits+7)/8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if extra := len(b)*8 - bits; extra > 0 {
		b[0] &= 0xff >> extra
	}
	k := new(big.Int).SetBytes(b)
	clear(b)
	return k.SetBit(k, bits-1, 1), nil
}

func wipe(nums ...*big.Int) {
	for _, n := range nums {
		clear(n.Bits())
		n.SetInt64(0)
	}
}
