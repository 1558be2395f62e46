/*-------------------------------------------------------------------------
 *
 * gotls.h
 *	  pgcrypto's entry points into pg-gotls's Go library
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  contrib/pgcrypto/gotls.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGCRYPTO_GOTLS_H
#define PGCRYPTO_GOTLS_H

#include "libpq_tls.h"

typedef struct GoCrypto
{
	int			(*digest_sizes) (gotls_cchar *name, size_t *result_size,
								 size_t *block_size);
	int			(*digest_new) (gotls_cchar *name, gotls_crypto *digest);
	void		(*digest_update) (gotls_crypto digest, gotls_cvoid *data,
								  size_t len);
	void		(*digest_final) (gotls_crypto digest, gotls_cchar *name,
								 gotls_cvoid *data, size_t len, void *out);
	int			(*cipher_sizes) (gotls_cchar *name, size_t *block_size,
								 size_t *max_key);
	int			(*cipher_new) (gotls_cchar *name, int decrypt, int padding,
							   gotls_cvoid *key, size_t key_len,
							   gotls_cvoid *iv, gotls_crypto *cipher);
	int			(*cipher_crypt) (gotls_crypto cipher, gotls_cvoid *in,
								 size_t len, void *out, size_t *out_len);
	void		(*crypto_free) (gotls_crypto h);
	int			(*mod_exp) (gotls_bignum base, gotls_bignum exp,
							gotls_bignum m, void *out, size_t *out_len);
	int			(*rsa_decrypt) (gotls_bignum n, gotls_bignum e, gotls_bignum d,
								gotls_bignum p, gotls_bignum q, gotls_bignum c,
								void *out, size_t *out_len);
	int			(*elgamal_encrypt) (gotls_bignum p, gotls_bignum g,
									gotls_bignum y, gotls_bignum m,
									int k_bits, void *c1, size_t *c1_len,
									void *c2, size_t *c2_len);
	int			(*elgamal_decrypt) (gotls_bignum p, gotls_bignum x,
									gotls_bignum c1, gotls_bignum c2,
									void *m, size_t *m_len);
	int			(*fips_mode) (char *problem, size_t len);
} GoCrypto;

/* Loads the library on first use; ereports ERROR if it cannot. */
extern const GoCrypto *pgcrypto_go(void);

#endif							/* PGCRYPTO_GOTLS_H */
