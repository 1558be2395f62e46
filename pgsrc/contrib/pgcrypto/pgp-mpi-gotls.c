/*-------------------------------------------------------------------------
 *
 * pgp-mpi-gotls.c
 *	  RSA and ElGamal for pgcrypto's PGP code on pg-gotls's Go library:
 *	  the --with-ssl=go counterpart of pgp-mpi-openssl.c
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  contrib/pgcrypto/pgp-mpi-gotls.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "gotls.h"
#include "pgp.h"
#include "px.h"

/* The bit count of a big-endian number without leading zero bytes. */
static int
bits_of(const uint8 *data, size_t len)
{
	int			bits = 0;
	uint8		top;

	if (len == 0)
		return 0;
	bits = (len - 1) * 8;
	for (top = data[0]; top; top >>= 1)
		bits++;
	return bits;
}

/*
 * An MPI's bytes as the library takes them.  False if its bit count does
 * not match its bytes, which pgp-mpi-openssl.c refuses too.
 */
static bool
mpi_bignum(const PGP_MPI *n, gotls_bignum *out)
{
	int			bits = bits_of(n->data, n->bytes);

	if (bits != n->bits)
	{
		px_debug("mpi_bignum: mpi=%d bits, data=%d", n->bits, bits);
		return false;
	}
	out->data = n->data;
	out->len = n->bytes;
	return true;
}

/* A scratch buffer for a result modulo a number of mod_len bytes. */
static uint8 *
result_buffer(size_t mod_len)
{
	return palloc0(mod_len > 0 ? mod_len : 1);
}

/*
 * Makes an MPI of the len result bytes if the library succeeded, NULL
 * otherwise; wipes and frees the buffer either way.
 */
static PGP_MPI *
result_mpi(int status, uint8 *buf, size_t len, size_t buf_len)
{
	PGP_MPI    *n = NULL;

	if (status != GOTLS_CRYPTO_OK ||
		pgp_mpi_create(buf, bits_of(buf, len), &n) < 0)
		n = NULL;
	px_memset(buf, 0, buf_len);
	pfree(buf);
	return n;
}

/*
 * The bits of ElGamal's random k: as pgp-mpi-openssl.c chooses them, after
 * gpg (a little above gpg's table up to 5120-bit p, gpg's formula above).
 */
static int
k_bits_for(int p_bits)
{
	if (p_bits <= 5120)
		return p_bits / 10 + 160;
	return (p_bits / 8 + 200) * 3 / 2;
}

int
pgp_elgamal_encrypt(PGP_PubKey *pk, PGP_MPI *m, PGP_MPI **c1_p, PGP_MPI **c2_p)
{
	const GoCrypto *go = pgcrypto_go();
	gotls_bignum p,
				g,
				y,
				msg;
	uint8	   *c1,
			   *c2;
	size_t		c1_len = 0,
				c2_len = 0;
	int			status;

	if (!mpi_bignum(pk->pub.elg.p, &p) || !mpi_bignum(pk->pub.elg.g, &g) ||
		!mpi_bignum(pk->pub.elg.y, &y) || !mpi_bignum(m, &msg))
		return PXE_PGP_MATH_FAILED;
	c1 = result_buffer(p.len);
	c2 = result_buffer(p.len);
	status = go->elgamal_encrypt(p, g, y, msg, k_bits_for(pk->pub.elg.p->bits),
								 c1, &c1_len, c2, &c2_len);
	*c1_p = result_mpi(status, c1, c1_len, p.len);
	*c2_p = result_mpi(status, c2, c2_len, p.len);
	return *c1_p && *c2_p ? 0 : PXE_PGP_MATH_FAILED;
}

int
pgp_elgamal_decrypt(PGP_PubKey *pk, PGP_MPI *c1, PGP_MPI *c2, PGP_MPI **msg_p)
{
	const GoCrypto *go = pgcrypto_go();
	gotls_bignum p,
				x,
				b1,
				b2;
	uint8	   *msg;
	size_t		msg_len = 0;
	int			status;

	if (!mpi_bignum(pk->pub.elg.p, &p) || !mpi_bignum(pk->sec.elg.x, &x) ||
		!mpi_bignum(c1, &b1) || !mpi_bignum(c2, &b2))
		return PXE_PGP_MATH_FAILED;
	msg = result_buffer(p.len);
	status = go->elgamal_decrypt(p, x, b1, b2, msg, &msg_len);
	*msg_p = result_mpi(status, msg, msg_len, p.len);
	return *msg_p ? 0 : PXE_PGP_MATH_FAILED;
}

/* RSA encryption: c = m^e mod n. */
int
pgp_rsa_encrypt(PGP_PubKey *pk, PGP_MPI *m, PGP_MPI **c_p)
{
	const GoCrypto *go = pgcrypto_go();
	gotls_bignum b,
				e,
				n;
	uint8	   *out;
	size_t		out_len = 0;
	int			status;

	if (!mpi_bignum(m, &b) || !mpi_bignum(pk->pub.rsa.e, &e) ||
		!mpi_bignum(pk->pub.rsa.n, &n))
		return PXE_PGP_MATH_FAILED;
	out = result_buffer(n.len);
	status = go->mod_exp(b, e, n, out, &out_len);
	*c_p = result_mpi(status, out, out_len, n.len);
	return *c_p ? 0 : PXE_PGP_MATH_FAILED;
}

/*
 * RSA decryption: m = c^d mod n, which the library computes from the key's
 * primes p and q when they are n's factors (a third of the work).
 */
int
pgp_rsa_decrypt(PGP_PubKey *pk, PGP_MPI *c, PGP_MPI **m_p)
{
	const GoCrypto *go = pgcrypto_go();
	gotls_bignum n,
				e,
				d,
				p,
				q,
				b;
	uint8	   *out;
	size_t		out_len = 0;
	int			status;

	if (!mpi_bignum(pk->pub.rsa.n, &n) || !mpi_bignum(pk->pub.rsa.e, &e) ||
		!mpi_bignum(pk->sec.rsa.d, &d) || !mpi_bignum(c, &b))
		return PXE_PGP_MATH_FAILED;
	/* Without usable primes, the library falls back to c^d mod n. */
	if (pk->sec.rsa.p == NULL || pk->sec.rsa.q == NULL ||
		!mpi_bignum(pk->sec.rsa.p, &p) || !mpi_bignum(pk->sec.rsa.q, &q))
		p.len = q.len = 0;
	out = result_buffer(n.len);
	status = go->rsa_decrypt(n, e, d, p, q, b, out, &out_len);
	*m_p = result_mpi(status, out, out_len, n.len);
	return *m_p ? 0 : PXE_PGP_MATH_FAILED;
}
