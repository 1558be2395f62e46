package main

// pgcrypto's primitives for contrib/pgcrypto/gotls.c and pgp-mpi-gotls.c:
// thin wrappers of the pgcrypto package. They run in a backend, called by
// its one thread over and over, so each goes through checkIn as the TLS
// calls do (schedule.go).

/*
#include "../libpq_tls.h"
*/
import "C"

import (
	"crypto/fips140"
	"errors"
	"hash"
	"runtime/cgo"
	"unsafe"

	"github.com/pg-gotls/pg-gotls/pgcrypto"
	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

func cryptoStatus(err error) C.int {
	switch {
	case err == nil:
		return C.GOTLS_CRYPTO_OK
	case errors.Is(err, pgcrypto.ErrUnknown):
		return C.GOTLS_CRYPTO_UNKNOWN
	case errors.Is(err, pgcrypto.ErrNotApproved):
		return C.GOTLS_CRYPTO_NOT_APPROVED
	case errors.Is(err, pgcrypto.ErrKeyTooBig):
		return C.GOTLS_CRYPTO_KEY_TOO_BIG
	case errors.Is(err, pgcrypto.ErrEncrypt):
		return C.GOTLS_CRYPTO_ENCRYPT
	case errors.Is(err, pgcrypto.ErrDecrypt):
		return C.GOTLS_CRYPTO_DECRYPT
	case errors.Is(err, pgcrypto.ErrMath):
		return C.GOTLS_CRYPTO_MATH
	}
	return C.GOTLS_CRYPTO_INIT
}

// cBytes views C memory; nil for an empty or NULL buffer.
func cBytes(p unsafe.Pointer, n C.size_t) []byte {
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), int(n))
}

// cryptoObject resolves a gotls_crypto handle; nil for 0, a freed or a
// foreign handle, or one of another type.
func cryptoObject[T any](h C.gotls_crypto) (v T, ok bool) {
	if h == 0 {
		return v, false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	v, ok = cgo.Handle(h).Value().(T)
	return v, ok
}

//export gotls_digest_sizes
func gotls_digest_sizes(name *C.gotls_cchar, resultSize, blockSize *C.size_t) C.int {
	h, err := pgcrypto.NewDigest(goString(name))
	if err == nil {
		*resultSize, *blockSize = C.size_t(h.Size()), C.size_t(h.BlockSize())
	}
	return cryptoStatus(err)
}

//export gotls_digest_new
func gotls_digest_new(name *C.gotls_cchar, out *C.gotls_crypto) C.int {
	checkIn()
	h, err := pgcrypto.NewDigest(goString(name))
	if err == nil {
		*out = C.gotls_crypto(cgo.NewHandle(h))
	}
	return cryptoStatus(err)
}

//export gotls_digest_update
func gotls_digest_update(d C.gotls_crypto, data *C.gotls_cvoid, n C.size_t) {
	checkIn()
	if h, ok := cryptoObject[hash.Hash](d); ok {
		h.Write(cBytes(unsafe.Pointer(data), n))
	}
}

//export gotls_digest_final
func gotls_digest_final(d C.gotls_crypto, name *C.gotls_cchar, data *C.gotls_cvoid, n C.size_t, out unsafe.Pointer) {
	checkIn()
	var h hash.Hash
	if d != 0 {
		h, _ = cryptoObject[hash.Hash](d)
	} else {
		h, _ = pgcrypto.NewDigest(goString(name))
	}
	if h == nil {
		return
	}
	h.Write(cBytes(unsafe.Pointer(data), n))
	h.Sum(unsafe.Slice((*byte)(out), h.Size())[:0])
	h.Reset()
}

//export gotls_cipher_sizes
func gotls_cipher_sizes(name *C.gotls_cchar, blockSize, maxKey *C.size_t) C.int {
	bs, mk, err := pgcrypto.CipherSizes(goString(name))
	if err == nil {
		*blockSize, *maxKey = C.size_t(bs), C.size_t(mk)
	}
	return cryptoStatus(err)
}

//export gotls_cipher_new
func gotls_cipher_new(name *C.gotls_cchar, decrypt, padding C.int, key *C.gotls_cvoid, keyLen C.size_t, iv *C.gotls_cvoid, out *C.gotls_crypto) C.int {
	checkIn()
	var ivBytes []byte
	if iv != nil {
		bs, _, err := pgcrypto.CipherSizes(goString(name))
		if err != nil {
			return cryptoStatus(err)
		}
		ivBytes = cBytes(unsafe.Pointer(iv), C.size_t(bs))
	}
	c, err := pgcrypto.NewCipher(goString(name), cBytes(unsafe.Pointer(key), keyLen), ivBytes, decrypt != 0, padding != 0)
	if err != nil {
		return cryptoStatus(err)
	}
	*out = C.gotls_crypto(cgo.NewHandle(c))
	return C.GOTLS_CRYPTO_OK
}

//export gotls_cipher_crypt
func gotls_cipher_crypt(h C.gotls_crypto, in *C.gotls_cvoid, n C.size_t, out unsafe.Pointer, outLen *C.size_t) C.int {
	checkIn()
	c, ok := cryptoObject[*pgcrypto.Cipher](h)
	if !ok {
		return C.GOTLS_CRYPTO_INIT
	}
	dst := unsafe.Slice((*byte)(out), c.OutputSize(int(n)))
	written, err := c.Crypt(dst, cBytes(unsafe.Pointer(in), n))
	*outLen = C.size_t(written)
	return cryptoStatus(err)
}

//export gotls_crypto_free
func gotls_crypto_free(h C.gotls_crypto) {
	if h == 0 {
		return
	}
	defer func() { _ = recover() }() // a foreign handle
	cgo.Handle(h).Delete()
}

func bignum(b C.gotls_bignum) []byte { return cBytes(b.data, b.len) }

// putBignum writes v to out (room for limit bytes) and wipes v.
func putBignum(v []byte, out unsafe.Pointer, outLen *C.size_t, limit int) bool {
	defer clear(v)
	if len(v) > limit {
		return false
	}
	copy(unsafe.Slice((*byte)(out), limit), v)
	*outLen = C.size_t(len(v))
	return true
}

//export gotls_mod_exp
func gotls_mod_exp(base, exp, m C.gotls_bignum, out unsafe.Pointer, outLen *C.size_t) C.int {
	checkIn()
	r, err := pgcrypto.ModExp(bignum(base), bignum(exp), bignum(m))
	if err != nil || !putBignum(r, out, outLen, int(m.len)) {
		return C.GOTLS_CRYPTO_MATH
	}
	return C.GOTLS_CRYPTO_OK
}

//export gotls_rsa_decrypt
func gotls_rsa_decrypt(n, e, d, p, q, c C.gotls_bignum, out unsafe.Pointer, outLen *C.size_t) C.int {
	checkIn()
	r, err := pgcrypto.RSADecrypt(bignum(n), bignum(e), bignum(d), bignum(p), bignum(q), bignum(c))
	if err != nil || !putBignum(r, out, outLen, int(n.len)) {
		return C.GOTLS_CRYPTO_MATH
	}
	return C.GOTLS_CRYPTO_OK
}

//export gotls_elgamal_encrypt
func gotls_elgamal_encrypt(p, g, y, m C.gotls_bignum, kBits C.int, c1 unsafe.Pointer, c1Len *C.size_t, c2 unsafe.Pointer, c2Len *C.size_t) C.int {
	checkIn()
	r1, r2, err := pgcrypto.ElGamalEncrypt(bignum(p), bignum(g), bignum(y), bignum(m), int(kBits))
	if err != nil || !putBignum(r1, c1, c1Len, int(p.len)) || !putBignum(r2, c2, c2Len, int(p.len)) {
		return C.GOTLS_CRYPTO_MATH
	}
	return C.GOTLS_CRYPTO_OK
}

//export gotls_elgamal_decrypt
func gotls_elgamal_decrypt(p, x, c1, c2 C.gotls_bignum, out unsafe.Pointer, outLen *C.size_t) C.int {
	checkIn()
	r, err := pgcrypto.ElGamalDecrypt(bignum(p), bignum(x), bignum(c1), bignum(c2))
	if err != nil || !putBignum(r, out, outLen, int(p.len)) {
		return C.GOTLS_CRYPTO_MATH
	}
	return C.GOTLS_CRYPTO_OK
}

//export gotls_fips_mode
func gotls_fips_mode(problem *C.char, n C.size_t) C.int {
	copyOut(pgtls.FIPSEnvironmentProblem(godebugNow()), problem, n)
	switch {
	case fips140.Enforced():
		return 2
	case fips140.Enabled():
		return 1
	}
	return 0
}
