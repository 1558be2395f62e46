// Package pgcrypto holds the primitives that PostgreSQL's pgcrypto takes
// from OpenSSL (its openssl.c and pgp-mpi-openssl.c), on Go's crypto: the
// digests it finds by name, the block ciphers it runs in ECB, CBC and CFB
// mode with OpenSSL's padding rules, and the big-number operations of its
// PGP public-key code (RSA and ElGamal).
//
// The names and the behaviour are OpenSSL's as pgcrypto sees them, so that
// the Go build gives the same bytes and the same errors: capi/ exports this
// package to contrib/pgcrypto/gotls.c and pgp-mpi-gotls.c, and
// test/interop compares the Go-built pgcrypto with the OpenSSL-built one.
//
// In FIPS 140-3 mode with enforcement (GODEBUG=fips140=only) only the
// approved algorithms are offered, as Go's own packages do for theirs; the
// x/crypto ones (Blowfish, CAST5, BLAKE2, RIPEMD-160), which Go does not
// police, are refused here. See docs/pgcrypto.md.
package pgcrypto
