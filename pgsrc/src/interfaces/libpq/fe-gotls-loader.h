/*-------------------------------------------------------------------------
 *
 * fe-gotls-loader.h
 *	  Run-time loading of pg-gotls's Go TLS library for libpq
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/interfaces/libpq/fe-gotls-loader.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FE_GOTLS_LOADER_H
#define FE_GOTLS_LOADER_H

#include "libpq-fe.h"
#include "libpq_tls.h"

/*
 * The library's entry points, resolved by pggotls_load().  The names
 * follow libpq_tls.h with the "gotls_" prefix dropped.
 */
typedef struct GoTLSLibrary
{
	gotls_session (*client_new) (gotls_client_options_c *opts,
								 gotls_read_fn read_fn,
								 gotls_write_fn write_fn,
								 void *io_ctx,
								 char *errbuf, size_t errbuf_len);
	int			(*handshake) (gotls_session s);
	ssize_t		(*read) (gotls_session s, void *buf, size_t len);
	ssize_t		(*read_received) (gotls_session s, ssize_t got, int err,
								  void *buf, size_t len);
	ssize_t		(*pending) (gotls_session s);
	gotls_cbuffered *(*buffered_state) (gotls_session s);
	ssize_t		(*write) (gotls_session s, gotls_cchar *buf, size_t len);
	int			(*last_error) (gotls_session s, int *errno_out,
							   char *buf, size_t len);
	ssize_t		(*attribute) (gotls_session s, gotls_cchar *name,
							  char *buf, size_t len);
	ssize_t		(*peer_name) (gotls_session s, int index, int *kind,
							  char *buf, size_t len);
	ssize_t		(*peer_certificate_hash) (gotls_session s,
										  char *buf, size_t len,
										  char *errbuf, size_t errbuf_len);
	int			(*cert_requested) (gotls_session s);
	int			(*cert_sent) (gotls_session s);
	void		(*close) (gotls_session s);
} GoTLSLibrary;

/* File name of the library, looked for beside libpq itself first. */
#define PGGOTLS_LIBRARY_NAME "libpq_gotls.so"

extern const GoTLSLibrary *pggotls_load(PGconn *conn);
extern const GoTLSLibrary *pggotls_library(void);

/* fe-gotls-helper.c: the same entry points, through a helper process. */
extern const GoTLSLibrary *pggotls_helper_library(void);
extern bool pggotls_helper_forced(void);
extern gotls_session pggotls_helper_carry(const gotls_carry *carry,
										  gotls_read_fn read_fn,
										  gotls_write_fn write_fn,
										  void *io_ctx,
										  char *errbuf, size_t errbuf_len);

#endif							/* FE_GOTLS_LOADER_H */
