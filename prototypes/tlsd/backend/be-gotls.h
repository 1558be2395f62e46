/*-------------------------------------------------------------------------
 *
 * be-gotls.h
 *	  The backend's view of pg-gotls's Go TLS library
 *
 * Three files make the backend's TLS layer with --with-ssl=go:
 *
 *	be-gotls-loader.c	loads libpq_gotls.so into a backend (never the
 *						postmaster: a Go runtime does not survive fork)
 *	be-gotls-config.c	be_tls_init: the postmaster has a short-lived child
 *						load the configuration and keeps its snapshot
 *	be-secure-gotls.c	the be_tls_* connection functions
 *
 *-------------------------------------------------------------------------
 */
#ifndef BE_GOTLS_H
#define BE_GOTLS_H

#include "libpq_tls.h"
#include "libpq/libpq-be.h"

/* The library's entry points, named as in libpq_tls.h without "gotls_". */
typedef struct GoTLSServerLibrary
{
	int			(*server_config_load) (gotls_server_options_c *opts,
									   void **snapshot, size_t *snapshot_len,
									   char *warnings, size_t warnings_len,
									   struct gotls_message *err);
	gotls_server_config (*server_config_import) (gotls_cvoid *snapshot,
												 size_t snapshot_len,
												 struct gotls_message *err);
	gotls_session (*server_new) (gotls_server_config cfg,
								 gotls_read_fn read_fn,
								 gotls_write_fn write_fn,
								 void *io_ctx,
								 char *errbuf, size_t errbuf_len);
	int			(*handshake) (gotls_session s);
	ssize_t		(*read) (gotls_session s, void *buf, size_t len);
	ssize_t		(*write) (gotls_session s, gotls_cchar *buf, size_t len);
	int			(*wait_for) (gotls_session s);
	int			(*last_error_message) (gotls_session s,
									   struct gotls_message *msg);
	ssize_t		(*attribute) (gotls_session s, gotls_cchar *name,
							  char *buf, size_t len);
	ssize_t		(*client_certificate) (gotls_session s, gotls_cchar *field,
									   char *buf, size_t len);
	ssize_t		(*server_certificate_hash) (gotls_session s,
											char *buf, size_t len,
											char *errbuf, size_t errbuf_len);
	ssize_t		(*client_name_field) (gotls_session s, int issuer,
									  gotls_cchar *field,
									  char *buf, size_t len);
	ssize_t		(*client_extension) (gotls_session s, int index,
									 char *name, size_t name_len,
									 int *critical,
									 char *buf, size_t len);
	void		(*close) (gotls_session s);
	size_t		(*library_version) (char *buf, size_t len);
} GoTLSServerLibrary;

/* File name of the library, looked for in PostgreSQL's library directory. */
#define PGGOTLS_LIBRARY_NAME "libpq_gotls.so"

/* be-gotls-loader.c */
extern const GoTLSServerLibrary *be_gotls_load(char *errbuf, size_t errlen);

/*
 * Model (b) prototype: the environment variable that names the TLS
 * daemon's Unix socket (be-gotls-config.c, be-secure-gotls.c).
 */
#define PGGOTLS_TLSD_ENV "PGGOTLS_TLSD"

/* pqcomm.c (prototype: belongs in libpq/libpq.h) */
extern void pq_replace_socket(Port *port, pgsocket newsock);

#endif							/* BE_GOTLS_H */
