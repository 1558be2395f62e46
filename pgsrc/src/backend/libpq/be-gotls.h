/*-------------------------------------------------------------------------
 *
 * be-gotls.h
 *	  The backend's view of pg-gotls's Go TLS library
 *
 * With --with-ssl=go, TLS is done by pg_tlsd, a Go process the postmaster
 * starts with fork+exec (process model (b) of pg-gotls's
 * docs/process-model.md): Go never runs in a process the postmaster forks
 * without exec, where its runtime would hang.
 *
 *	be-gotls-config.c	be_tls_init: a short-lived child of the postmaster
 *						loads the configuration into a snapshot
 *	be-gotls-loader.c	loads libpq_gotls.so into that child
 *	be-gotls-tlsd.c		the postmaster's side of pg_tlsd: starts it, sends
 *						it each snapshot, restarts it if it dies
 *	be-secure-gotls.c	the be_tls_* functions: a backend hands the client's
 *						socket to pg_tlsd and continues on plaintext
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/backend/libpq/be-gotls.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BE_GOTLS_H
#define BE_GOTLS_H

#include "libpq_tls.h"

/*
 * The library's entry points the loading child uses, named as in
 * libpq_tls.h without "gotls_".
 */
typedef struct GoTLSServerLibrary
{
	int			(*server_config_load) (gotls_server_options_c *opts,
									   void **snapshot, size_t *snapshot_len,
									   char *warnings, size_t warnings_len,
									   struct gotls_message *err);
	size_t		(*library_version) (char *buf, size_t len);
} GoTLSServerLibrary;

/* File name of the library, looked for in PostgreSQL's library directory. */
#define PGGOTLS_LIBRARY_NAME "libpq_gotls.so"

/* be-gotls-loader.c */
extern const GoTLSServerLibrary *be_gotls_load(char *errbuf, size_t errlen);

/* be-gotls-config.c: the last good configuration. */
extern bool be_gotls_snapshot(const void **data, size_t *len);
extern void be_gotls_forget_snapshot(void);

/* be-gotls-tlsd.c */
extern bool be_gotls_tlsd_configure(const void *snapshot, size_t len, int elevel);
extern pgsocket be_gotls_tlsd_request_socket(void);

/*
 * The messages between the postgres processes and pg_tlsd; the daemon's
 * tlsd/protocol.go describes them, and these must match it.
 */
#define TLSD_CONFIG_MAGIC	0x31474643	/* "CFG1" */
#define TLSD_ACK_MAGIC		0x314b4341	/* "ACK1" */
#define TLSD_REQUEST_MAGIC	0x32534c54	/* "TLS2" */
#define TLSD_REPLY_MAGIC	0x32444c54	/* "TLD2" */
#define TLSD_END_MAGIC		0x31444e45	/* "END1" */
#define TLSD_QUERY_MAGIC	0x31595251	/* "QRY1" */
#define TLSD_ANSWER_MAGIC	0x31534e41	/* "ANS1" */
#define TLSD_FLAG_DIRECT	1
#define TLSD_NO_STRING		0xffffffff

/* Status of a handshake reply or an end message. */
typedef enum TLSDStatus
{
	TLSD_OK = 0,
	TLSD_TLS = 1,				/* message, detail, hint */
	TLSD_EOF = 2,				/* the client went away without close_notify */
	TLSD_TRANSPORT = 3,			/* socket error, errno */
	TLSD_INTERNAL = 4,			/* the daemon could not serve the request */
	TLSD_CLOSED = 5,			/* end only: the client sent close_notify */
} TLSDStatus;

/* sslinfo's and the TCP settings' queries, and their answers' status. */
#define TLSD_QUERY_NAME_FIELD	1
#define TLSD_QUERY_EXTENSION	2
#define TLSD_QUERY_GET_OPTION	3
#define TLSD_QUERY_SET_OPTION	4
#define TLSD_ANSWER_FOUND		0
#define TLSD_ANSWER_ABSENT		1
#define TLSD_ANSWER_ERROR		2

/* The executable, in the directory of the postgres executable. */
#define PGGOTLS_TLSD_NAME "pg_tlsd"

#endif							/* BE_GOTLS_H */
