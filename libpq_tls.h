/*
 * libpq_tls.h
 *	  The C interface of pg-gotls: TLS sessions run by Go's crypto/tls.
 *
 * This header is the whole contract between the Go library
 * (libpq_gotls.so) and the C code that drives it (the TLS backend files in
 * the PostgreSQL tree, and pgcrypto's Go layer at the end).  The library
 * never sees a PGconn or a Port: callers pass option strings, buffers and
 * two I/O callbacks.
 *
 * Handles.  A session is named by a gotls_session, a non-zero integer.
 * Passing 0 or a closed handle is safe: functions fail with GOTLS_ERROR
 * (or return 0 where noted) and do nothing else.
 *
 * Buffers.  Every buffer is owned by the caller.  The library reads or
 * writes it only during the call and keeps no pointer to it.  Strings
 * returned into a caller's buffer are truncated to fit and always
 * NUL-terminated when the buffer is not empty; the return value says how
 * long the whole string is, so a caller can detect truncation.
 *
 * Blocking.  No function blocks on I/O: sockets are the caller's, reached
 * only through the callbacks, which must not block either.  Functions that
 * need the socket return GOTLS_WANT_READ or GOTLS_WANT_WRITE and resume
 * where they stopped when called again.
 *
 * Threads.  Any thread may call any function.  One session must not be
 * used by two threads at once; different sessions are independent.
 *
 * Processes.  The library starts the Go runtime when it is loaded, and a
 * Go runtime does not survive fork(): a child of a process that has loaded
 * the library must not call into it.  Load it lazily (dlopen), after any
 * fork the program does before its first TLS connection.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/interfaces/libpq/libpq_tls.h, src/backend/libpq/libpq_tls.h,
 *	  contrib/pgcrypto/libpq_tls.h (copied from pg-gotls's libpq_tls.h)
 */
#ifndef LIBPQ_TLS_H
#define LIBPQ_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A session handle; 0 is never a valid session. */
typedef uintptr_t gotls_session;

/* const char and const void, spelled so that cgo declares the same prototypes. */
typedef const char gotls_cchar;
typedef const void gotls_cvoid;

/*
 * I/O callbacks, called only from within gotls_handshake, gotls_read,
 * gotls_write and gotls_close, on the calling thread, with the io_ctx given
 * to gotls_client_new.  They move ciphertext and must not block.
 *
 * Return the number of bytes moved (a short count is fine), 0 from the
 * read callback at end of stream, or -1 with errno set: EAGAIN or
 * EWOULDBLOCK when the socket is not ready, EINTR to be retried at once,
 * anything else for a failure, which the callback is expected to have
 * reported to its owner already.
 */
typedef ssize_t (*gotls_read_fn) (void *io_ctx, void *buf, size_t len);
typedef ssize_t (*gotls_write_fn) (void *io_ctx, const void *buf, size_t len);

/* Results of gotls_handshake, and of gotls_read / gotls_write on failure. */
#define GOTLS_OK			0
#define GOTLS_WANT_READ		1	/* wait until the socket is readable */
#define GOTLS_WANT_WRITE	2	/* wait until the socket is writable */
#define GOTLS_ERROR			(-1)	/* see gotls_last_error */

/* What gotls_last_error returns: the kind of the session's failure. */
#define GOTLS_ERR_NONE		0
#define GOTLS_ERR_CONFIG	1	/* an option or file was rejected */
#define GOTLS_ERR_TRANSPORT 2	/* an I/O callback failed; errno is set */
#define GOTLS_ERR_EOF		3	/* peer closed the socket, no close_notify */
#define GOTLS_ERR_CLOSED	4	/* peer sent close_notify */
#define GOTLS_ERR_TLS		5	/* TLS failure: alert, verification... */
#define GOTLS_ERR_TLS_VERSION 6 /* a TLS failure that suggests the peers
								 * share no protocol version */

/*
 * libpq's TLS connection parameters, after libpq applied its defaults.
 * NULL and "" both mean "not set".  The strings are read during
 * gotls_client_new only.
 */
struct gotls_client_options
{
	gotls_cchar *host;			/* host name or address connected to */
	gotls_cchar *sslmode;
	gotls_cchar *sslrootcert;	/* file name, or "system" */
	gotls_cchar *sslcert;
	gotls_cchar *sslkey;
	gotls_cchar *sslpassword;
	gotls_cchar *sslcrl;
	gotls_cchar *sslcrldir;
	gotls_cchar *sslcertmode;
	gotls_cchar *ssl_min_protocol_version;
	gotls_cchar *ssl_max_protocol_version;
	gotls_cchar *sslkeylogfile;
	gotls_cchar *homedir;		/* for ~/.postgresql defaults; NULL if
								 * unknown */
	int			sslsni;			/* non-zero: send SNI for host names */
};

/* The same, const, spelled for cgo as gotls_cchar is. */
typedef const struct gotls_client_options gotls_client_options_c;

/*
 * gotls_client_new creates a client session.  It reads the certificate
 * and key files the options name; the handshake starts with the first
 * gotls_handshake.
 *
 * Returns: the session, or 0 with a message (libpq's wording, no trailing
 * newline) in errbuf.
 */
extern gotls_session gotls_client_new(gotls_client_options_c *opts,
									  gotls_read_fn read_fn,
									  gotls_write_fn write_fn,
									  void *io_ctx,
									  char *errbuf, size_t errbuf_len);

/*
 * gotls_handshake runs or resumes the handshake.
 *
 * Returns: GOTLS_OK once it is complete and fully sent; GOTLS_WANT_READ or
 * GOTLS_WANT_WRITE; GOTLS_ERROR (see gotls_last_error).  After GOTLS_OK
 * the caller still has to check the peer's name if it wants to.
 */
extern int	gotls_handshake(gotls_session s);

/*
 * gotls_read decrypts up to len bytes into buf.
 *
 * Returns: the number of bytes (> 0); 0 when nothing can be read until the
 * socket is readable (or len is 0); -1 on failure (see gotls_last_error).
 */
extern ssize_t gotls_read(gotls_session s, void *buf, size_t len);

/*
 * gotls_pending returns how many decrypted bytes gotls_read can return
 * without reading the socket.  It may decrypt records already received.
 *
 * Returns: a byte count, 0 if none (or for an invalid handle).
 */
extern ssize_t gotls_pending(gotls_session s);

/*
 * What a process forked from this one needs to carry a TLS 1.3 session on
 * without calling Go, which cannot run in it (docs/fork.md): the record
 * layer's state, as tls/record/state.go names it.  The fields are those of
 * record.State; encoded in its format, they start a session again in
 * another process.  Valid only while usable is non-zero: it is zero for a
 * session that cannot be carried on (TLS 1.2, FIPS mode, not yet
 * established, failed, or with output unsent).
 */
#define GOTLS_MAX_SECRET 48		/* SHA-384's size */

typedef struct gotls_carry
{
	int			usable;
	int			client;
	uint16_t	suite;
	uint16_t	useless;		/* records in a row that delivered no data */
	uint64_t	read_seq;		/* sequence number of the next record */
	uint64_t	write_seq;
	size_t		secret_len;		/* of each traffic secret */
	unsigned char read_secret[GOTLS_MAX_SECRET];
	unsigned char write_secret[GOTLS_MAX_SECRET];
	const unsigned char *plaintext; /* decrypted, not yet read */
	size_t		plaintext_len;
	const unsigned char *handshake; /* an incomplete post-handshake message */
	size_t		handshake_len;
	const unsigned char *input; /* ciphertext from a record boundary */
	size_t		input_len;
} gotls_carry;

/*
 * What a session holds that gotls_read returns without the socket, in the
 * library's memory, for the caller to read between calls instead of
 * calling gotls_pending (a call into Go costs more than the answer).  The
 * library updates it before every call on the session returns; it stays
 * valid until gotls_close.
 */
typedef struct gotls_buffered
{
	/*
	 * Non-zero when plaintext is what gotls_pending would return: no
	 * complete record waits to be decrypted.  When zero, call gotls_pending.
	 */
	int			exact;
	size_t		plaintext;		/* decrypted bytes not yet returned */

	/*
	 * Where gotls_read would read the socket into next, when that is all it
	 * would do (nothing buffered to return, no output waiting, no error);
	 * NULL otherwise.  The caller may then read the socket into it itself,
	 * up to read_space_len bytes, and call gotls_read_received with the
	 * outcome unless the socket was empty: a read that finds nothing then
	 * never enters Go.
	 */
	unsigned char *read_space;
	size_t		read_space_len;

	gotls_carry carry;			/* for a forked child */
} gotls_buffered;

/* const gotls_buffered, spelled so that cgo declares the same prototype. */
typedef const gotls_buffered gotls_cbuffered;

/*
 * gotls_buffered_state returns the session's gotls_buffered, or NULL for
 * an invalid handle.
 */
extern gotls_cbuffered *gotls_buffered_state(gotls_session s);

/*
 * gotls_read_received is gotls_read after the caller has read the socket
 * into the session's read_space (see gotls_buffered) itself, with result
 * got: what its read callback would have returned (a byte count, 0 for
 * end of file, or -1 with errno in err).  The bytes, or the failure, are
 * taken as the session's own read's; call it only right after that read,
 * with read_space unchanged since.
 */
extern ssize_t gotls_read_received(gotls_session s, ssize_t got, int err,
								   void *buf, size_t len);

/*
 * gotls_write encrypts and sends bytes from buf.  A count is returned only
 * once the bytes' ciphertext is entirely on the wire.  When it returns 0,
 * part of buf may already be encrypted: the next call must pass the same
 * bytes again at the start of buf (more may follow them), as with
 * OpenSSL's SSL_write; they are never encrypted twice.
 *
 * Returns: the number of bytes sent (> 0); 0 when the socket is full (wait
 * until it is writable) or len is 0; -1 on failure (see gotls_last_error).
 */
extern ssize_t gotls_write(gotls_session s, gotls_cchar *buf, size_t len);

/*
 * gotls_last_error describes the session's failure.  Once a session has
 * failed, it stays failed.
 *
 * Returns: a GOTLS_ERR_* kind.  *errno_out (if not NULL) gets the errno of
 * a GOTLS_ERR_TRANSPORT failure and 0 otherwise; the message goes into buf.
 */
extern int	gotls_last_error(gotls_session s, int *errno_out,
							 char *buf, size_t len);

/*
 * gotls_attribute copies the value of a PQsslAttribute name ("library",
 * "protocol", "cipher", "key_bits", "compression", "alpn",
 * "library_version", "group") of an established session into buf.
 *
 * Returns: the length of the value, or -1 if the name is unknown or the
 * handshake has not completed.
 */
extern ssize_t gotls_attribute(gotls_session s, gotls_cchar *name,
							   char *buf, size_t len);

/* Kinds of gotls_peer_name entries. */
#define GOTLS_NAME_DNS	1		/* subjectAltName dNSName */
#define GOTLS_NAME_IP	2		/* subjectAltName iPAddress, raw 4 or 16 bytes */
#define GOTLS_NAME_CN	3		/* first commonName of the subject */

/*
 * gotls_peer_name copies the index-th name of the peer's certificate that
 * a host name check looks at: subjectAltNames in certificate order, then
 * the commonName.  Values are raw bytes, not NUL-terminated, so that
 * embedded NULs can be detected.
 *
 * Returns: the value's length, with *kind set; -1 past the last name.
 */
extern ssize_t gotls_peer_name(gotls_session s, int index, int *kind,
							   char *buf, size_t len);

/*
 * gotls_peer_certificate_hash computes the tls-server-end-point channel
 * binding data of the peer's certificate (RFC 5929).  64 bytes suffice.
 *
 * Returns: the length, or -1 with a message in errbuf.
 */
extern ssize_t gotls_peer_certificate_hash(gotls_session s,
										   char *buf, size_t len,
										   char *errbuf, size_t errbuf_len);

/*
 * gotls_cert_requested and gotls_cert_sent report whether the server asked
 * for a client certificate and whether one was sent (sslcertmode).
 *
 * Returns: 1 or 0.
 */
extern int	gotls_cert_requested(gotls_session s);
extern int	gotls_cert_sent(gotls_session s);

/*
 * gotls_close sends close_notify if it can without waiting, and frees the
 * session.  The handle is invalid afterwards.
 */
extern void gotls_close(gotls_session s);

/*
 * gotls_library_version copies the Go version the library was built with
 * ("go1.26.8") into buf.
 *
 * Returns: its length.
 */
extern size_t gotls_library_version(char *buf, size_t len);

/* ---------------------------------------------------------------------
 * Server side (be_tls_init's configuration loader)
 *
 * A Go runtime must never start in the postmaster, which forks a backend
 * per connection.  So a short-lived child of the postmaster loads the
 * configuration with gotls_server_config_load, which reads and checks the
 * files and returns a snapshot: bytes that the postmaster passes on to
 * pg_tlsd, the TLS process that serves the connections (a Go executable,
 * not this library).
 * ---------------------------------------------------------------------
 */

/*
 * The backend's ssl_* settings.  File names are used as given (the caller
 * resolves them against the data directory).  NULL and "" mean "not set".
 */
struct gotls_server_options
{
	gotls_cchar *cert_file;		/* ssl_cert_file */
	gotls_cchar *key_file;		/* ssl_key_file */
	gotls_cchar *ca_file;		/* ssl_ca_file */
	gotls_cchar *crl_file;		/* ssl_crl_file */
	gotls_cchar *crl_dir;		/* ssl_crl_dir */
	gotls_cchar *passphrase;	/* from ssl_passphrase_command */
	gotls_cchar *min_protocol;	/* ssl_min_protocol_version, "TLSv1.2" */
	gotls_cchar *max_protocol;	/* ssl_max_protocol_version */
	gotls_cchar *ciphers;		/* ssl_ciphers */
	gotls_cchar *tls13_ciphers; /* ssl_tls13_ciphers */
	gotls_cchar *groups;		/* ssl_groups */
	int			prefer_server_ciphers;	/* ssl_prefer_server_ciphers */
};

typedef const struct gotls_server_options gotls_server_options_c;

/* A message for the server log, in the backend's wording. */
struct gotls_message
{
	char		message[1024];
	char		detail[1024];	/* "" if none */
	char		hint[512];		/* "" if none */
};

/* gotls_server_config_load: the key is encrypted and no passphrase given. */
#define GOTLS_NEED_PASSPHRASE 3

/*
 * gotls_server_config_load reads and checks the files and settings, as
 * be_tls_init does.  On success *snapshot points to a malloc()ed buffer of
 * *snapshot_len bytes, which the caller frees with free().  It holds the
 * private key unencrypted: keep it in memory or pass it through a private
 * pipe, never a file.  Settings that were accepted but have no effect are
 * described, one per line, in warnings.
 *
 * Returns: GOTLS_OK; GOTLS_NEED_PASSPHRASE (run ssl_passphrase_command and
 * call again with it); GOTLS_ERROR with the message in *err.
 */
extern int	gotls_server_config_load(gotls_server_options_c *opts,
									 void **snapshot, size_t *snapshot_len,
									 char *warnings, size_t warnings_len,
									 struct gotls_message *err);

/* ---------------------------------------------------------------------
 * pgcrypto's primitives (contrib/pgcrypto/gotls.c and pgp-mpi-gotls.c)
 *
 * What pgcrypto takes from OpenSSL, with OpenSSL's names and rules: see
 * pg-gotls's pgcrypto/ package.  A backend loads the library on its first
 * pgcrypto call, after fork, as the TLS loaders do.
 * ---------------------------------------------------------------------
 */

/* A digest or cipher; 0 is never valid.  Free with gotls_crypto_free. */
typedef uintptr_t gotls_crypto;

/* Status of the functions below. */
#define GOTLS_CRYPTO_OK				0
#define GOTLS_CRYPTO_UNKNOWN		-1	/* no such algorithm */
#define GOTLS_CRYPTO_NOT_APPROVED	-2	/* refused: GODEBUG=fips140=only */
#define GOTLS_CRYPTO_KEY_TOO_BIG	-3
#define GOTLS_CRYPTO_INIT			-4	/* a key or IV the cipher cannot take */
#define GOTLS_CRYPTO_ENCRYPT		-5	/* a partial block without padding */
#define GOTLS_CRYPTO_DECRYPT		-6	/* a partial block, or bad padding */
#define GOTLS_CRYPTO_MATH			-7	/* a zero modulus, no inverse */

/*
 * Digests, by the names EVP_get_digestbyname knows ("sha256", "SHA2-256",
 * ...).  gotls_digest_sizes looks one up.  A message that fits a caller's
 * buffer needs no digest object: gotls_digest_final with digest 0 hashes
 * data alone, one call into Go per message.  Longer messages go through a
 * digest from gotls_digest_new and gotls_digest_update.
 */
extern int	gotls_digest_sizes(gotls_cchar *name, size_t *result_size,
							   size_t *block_size);
extern int	gotls_digest_new(gotls_cchar *name, gotls_crypto *digest);
extern void gotls_digest_update(gotls_crypto digest, gotls_cvoid *data,
								size_t len);

/*
 * gotls_digest_final adds data to digest (or with digest 0, starts one of
 * name) and writes result_size bytes to out; digest then starts over.
 */
extern void gotls_digest_final(gotls_crypto digest, gotls_cchar *name,
							   gotls_cvoid *data, size_t len, void *out);

/*
 * gotls_cipher_sizes reports a cipher's block size (which is also its IV
 * size) and largest key.  Names are pgcrypto's, aliases resolved:
 * "aes-cbc", "bf-ecb", "des3-cbc", "cast5-ecb", ...
 */
extern int	gotls_cipher_sizes(gotls_cchar *name, size_t *block_size,
							   size_t *max_key);

/*
 * gotls_cipher_new prepares one direction of a cipher, as an EVP context
 * initialised once: iv is block_size bytes, or NULL for zeros.
 */
extern int	gotls_cipher_new(gotls_cchar *name, int decrypt, int padding,
							 gotls_cvoid *key, size_t key_len,
							 gotls_cvoid *iv, gotls_crypto *cipher);

/*
 * gotls_cipher_crypt is EVP's update and final: out must hold len plus
 * block_size bytes; *out_len gets what was written.  Chaining state
 * carries over to the next call.
 */
extern int	gotls_cipher_crypt(gotls_crypto cipher, gotls_cvoid *in,
							   size_t len, void *out, size_t *out_len);

extern void gotls_crypto_free(gotls_crypto h);

/* An unsigned big-endian number (a PGP MPI's bytes). */
typedef struct gotls_bignum
{
	gotls_cvoid *data;
	size_t		len;
} gotls_bignum;

/*
 * Results are written to out, which must hold the modulus's length, with
 * no leading zeros; *out_len gets their count.
 *
 * gotls_mod_exp: base^exp mod m (RSA encryption).  gotls_rsa_decrypt: c^d
 * mod n, through p and q when they are n's factors.  gotls_elgamal_encrypt:
 * c1 = g^k, c2 = m*y^k mod p for a random k of k_bits bits.
 * gotls_elgamal_decrypt: m = c2 / c1^x mod p.
 */
extern int	gotls_mod_exp(gotls_bignum base, gotls_bignum exp, gotls_bignum m,
						  void *out, size_t *out_len);
extern int	gotls_rsa_decrypt(gotls_bignum n, gotls_bignum e, gotls_bignum d,
							  gotls_bignum p, gotls_bignum q, gotls_bignum c,
							  void *out, size_t *out_len);
extern int	gotls_elgamal_encrypt(gotls_bignum p, gotls_bignum g,
								  gotls_bignum y, gotls_bignum m, int k_bits,
								  void *c1, size_t *c1_len,
								  void *c2, size_t *c2_len);
extern int	gotls_elgamal_decrypt(gotls_bignum p, gotls_bignum x,
								  gotls_bignum c1, gotls_bignum c2,
								  void *m, size_t *m_len);

/*
 * gotls_fips_mode: 0 off, 1 FIPS 140-3 mode (GODEBUG=fips140=on), 2 with
 * only approved algorithms (fips140=only).  If GODEBUG now asks for more
 * than the runtime started with (a server process: see docs/fips.md),
 * problem gets why, and the caller must refuse to run; otherwise "".
 */
extern int	gotls_fips_mode(char *problem, size_t len);

#ifdef __cplusplus
}
#endif

#endif							/* LIBPQ_TLS_H */
