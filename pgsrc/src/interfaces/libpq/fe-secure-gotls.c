/*-------------------------------------------------------------------------
 *
 * fe-secure-gotls.c
 *	  libpq's TLS backend on Go's crypto/tls (pg-gotls)
 *
 * This file implements the pgtls_* interface of libpq-int.h and the public
 * SSL information functions on top of libpq_gotls.so, whose C interface is
 * libpq_tls.h.  It is the only code in libpq that knows Go is involved:
 * it passes option strings, buffers and I/O callbacks across, and turns
 * the library's results into libpq's return conventions and messages.
 * The wording follows fe-secure-openssl.c, so that messages stay the ones
 * users and scripts know.
 *
 * Socket I/O stays in libpq: the library reads and writes ciphertext
 * through pqsecure_raw_read() and pqsecure_raw_write(), which handle
 * SIGPIPE, EINTR and deferred write-failure reporting as for any other
 * connection.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/interfaces/libpq/fe-secure-gotls.c
 *
 *-------------------------------------------------------------------------
 */

#include "postgres_fe.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "fe-gotls-loader.h"
#include "fe-secure-common.h"
#include "libpq-fe.h"
#include "libpq-int.h"
#include "libpq_tls.h"

/* What libpq's messages call the protocol range when none is set. */
#define GOTLS_MIN_TLS_VERSION	"TLSv1"
#define GOTLS_MAX_TLS_VERSION	"TLSv1.3"

#define GOTLS_LIBRARY_NAME		"Go crypto/tls"

/*
 * PQsslAttribute names, OpenSSL's first; then the Go version and the key
 * exchange group (X25519MLKEM768, say), which OpenSSL's backend lacks.
 */
static const char *const gotls_attribute_names[] = {
	"library",
	"key_bits",
	"cipher",
	"compression",
	"protocol",
	"alpn",
	"library_version",
	"group",
	NULL
};

#define GOTLS_NUM_ATTRIBUTES (lengthof(gotls_attribute_names) - 1)
#define GOTLS_ATTRIBUTE_LEN 256 /* ALPN names are at most 255 bytes */

/*
 * Per-connection state, hung off conn->gotls.  Attribute values are copied
 * out once the handshake completes, so that PQsslAttribute can hand out
 * pointers that stay valid for the life of the connection without calling
 * into Go.
 *
 * The library's entry points are deliberately not kept here: every call
 * into Go gets them from pggotls_library() (through session_library(),
 * below), which refuses in a process forked after the library started, so
 * no entry point can call into a Go runtime that fork() left without its
 * threads.
 */
typedef struct GoTLSConn
{
	const GoTLSLibrary *lib;	/* in process, or the helper's */
	gotls_session session;
	gotls_cbuffered *buffered;	/* what the session holds; see
								 * pgtls_bytes_pending */
	char		attributes[GOTLS_NUM_ATTRIBUTES][GOTLS_ATTRIBUTE_LEN];
	bool		carry_tried;	/* see carry_on */
} GoTLSConn;

static ssize_t
gotls_io_read(void *io_ctx, void *buf, size_t len)
{
	PGconn	   *conn = (PGconn *) io_ctx;
	ssize_t		n;

	n = pqsecure_raw_read(conn, buf, len);
	conn->last_read_was_eof = (n == 0);
	if (n > 0)
		conn->ssl_handshake_started = true;
	return n;
}

static ssize_t
gotls_io_write(void *io_ctx, const void *buf, size_t len)
{
	return pqsecure_raw_write((PGconn *) io_ctx, buf, len);
}

static const char *
nonempty(const char *s)
{
	return (s != NULL && s[0] != '\0') ? s : NULL;
}

/*
 * conn_library
 *		The library that runs gc's session, if this process may call it.
 *
 * A session in a helper process is independent of this process's Go
 * runtime (a forked child uses it as it would a plain socket); one in
 * process may be used only where pggotls_library() allows.
 */
static const GoTLSLibrary *
conn_library(GoTLSConn *gc)
{
	if (gc != NULL && gc->lib == pggotls_helper_library())
		return gc->lib;
	return pggotls_library();
}

/*
 * carry_on
 *		In a child forked after the Go library started, go on with a
 *		session its parent established, through a helper process.
 *
 * The child cannot call into Go (its runtime lost its threads in the
 * fork), but the library keeps the state of an established TLS 1.3 session
 * where C can read it (gotls_carry), and a helper resumes the session from
 * that (docs/fork.md).  The parent's session stays as it was: its memory
 * is the parent's Go heap, not this process's to use or free.  Tried once;
 * false if the session cannot be carried on (a TLS 1.2 session, FIPS
 * mode, mid-handshake, failed, or output unsent at the fork).
 */
static bool
carry_on(PGconn *conn, GoTLSConn *gc)
{
	const GoTLSLibrary *helper = pggotls_helper_library();
	char		errbuf[1024];
	gotls_session s;

	if (gc->carry_tried)
		return false;
	gc->carry_tried = true;
	if (gc->buffered == NULL || !gc->buffered->carry.usable)
		return false;
	errbuf[0] = '\0';
	s = pggotls_helper_carry(&gc->buffered->carry, gotls_io_read, gotls_io_write,
							 conn, errbuf, sizeof(errbuf));
	if (s == 0)
	{
		libpq_append_conn_error(conn, "%s", errbuf);
		return false;
	}
	gc->lib = helper;
	gc->session = s;
	gc->buffered = helper->buffered_state(s);
	return true;
}

/*
 * usable_library
 *		conn_library, after carrying an inherited session on if it can be.
 */
static const GoTLSLibrary *
usable_library(PGconn *conn, GoTLSConn *gc)
{
	const GoTLSLibrary *lib = conn_library(gc);

	if (lib == NULL && gc != NULL && carry_on(conn, gc))
		lib = gc->lib;
	return lib;
}

/*
 * session_library
 *		The library to drive conn's session with, or NULL (with an error
 *		reported) where this process can neither run nor carry it on.
 *
 * A connection inherited across fork() belongs to the parent, and calling
 * into Go in the child would hang: its Go runtime lost its threads in the
 * fork.  This holds at every step, mid-handshake included, so every entry
 * point that reaches Go on an existing session calls this first.
 */
static const GoTLSLibrary *
session_library(PGconn *conn)
{
	const GoTLSLibrary *lib = usable_library(conn, conn->gotls);

	if (lib == NULL)
	{
		libpq_append_conn_error(conn, "SSL connection was inherited across fork() and cannot be used in this process");
		SOCK_ERRNO_SET(ECONNRESET);
	}
	return lib;
}

/*
 * Report the session's failure the way fe-secure-openssl.c reports the
 * same condition, and set errno as libpq's callers expect.
 */
static void
report_error(PGconn *conn, GoTLSConn *gc, const GoTLSLibrary *lib)
{
	char		msg[1024];
	int			err;
	int			kind;

	kind = lib->last_error(gc->session, &err, msg, sizeof(msg));
	switch (kind)
	{
		case GOTLS_ERR_TRANSPORT:
			/* pqsecure_raw_read/write have described it already */
			SOCK_ERRNO_SET(err);
			return;
		case GOTLS_ERR_EOF:
			/* OpenSSL 3's wording for a peer gone without close_notify */
			libpq_append_conn_error(conn, "SSL error: unexpected eof while reading");
			break;
		case GOTLS_ERR_CLOSED:
			libpq_append_conn_error(conn, "SSL connection has been closed unexpectedly");
			break;
		case GOTLS_ERR_TLS_VERSION:
			libpq_append_conn_error(conn, "SSL error: %s", msg);
			libpq_append_conn_error(conn, "This may indicate that the server does not support any SSL protocol version between %s and %s.",
									conn->ssl_min_protocol_version ?
									conn->ssl_min_protocol_version :
									GOTLS_MIN_TLS_VERSION,
									conn->ssl_max_protocol_version ?
									conn->ssl_max_protocol_version :
									GOTLS_MAX_TLS_VERSION);
			break;
		case GOTLS_ERR_TLS:
			libpq_append_conn_error(conn, "SSL error: %s", msg);
			break;
		default:
			libpq_append_conn_error(conn, "%s", msg);
			break;
	}
	/* assume the connection is broken */
	SOCK_ERRNO_SET(ECONNRESET);
}

/*
 * Create the session: load the library (first use in this process) and
 * hand it the connection's options.
 */
static bool
start_session(PGconn *conn)
{
	const GoTLSLibrary *lib;
	struct gotls_client_options opts;
	char		homedir[MAXPGPATH];
	char		errbuf[1024];
	GoTLSConn  *gc;

	lib = pggotls_load(conn);
	if (lib == NULL)
		return false;

	gc = calloc(1, sizeof(GoTLSConn));
	if (gc == NULL)
	{
		libpq_append_conn_error(conn, "out of memory");
		return false;
	}

	memset(&opts, 0, sizeof(opts));
	opts.host = conn->connhost[conn->whichhost].host;
	opts.sslmode = conn->sslmode;
	opts.sslrootcert = nonempty(conn->sslrootcert);
	opts.sslcert = nonempty(conn->sslcert);
	opts.sslkey = nonempty(conn->sslkey);
	opts.sslpassword = nonempty(conn->sslpassword);
	opts.sslcrl = nonempty(conn->sslcrl);
	opts.sslcrldir = nonempty(conn->sslcrldir);
	opts.sslcertmode = conn->sslcertmode;
	opts.ssl_min_protocol_version = nonempty(conn->ssl_min_protocol_version);
	opts.ssl_max_protocol_version = nonempty(conn->ssl_max_protocol_version);
	opts.sslkeylogfile = nonempty(conn->sslkeylogfile);
	opts.sslsni = (conn->sslsni != NULL && conn->sslsni[0] == '1');
	opts.homedir = pqGetHomeDirectory(homedir, sizeof(homedir)) ? homedir : NULL;

	errbuf[0] = '\0';
	gc->lib = lib;
	gc->session = lib->client_new(&opts, gotls_io_read, gotls_io_write, conn,
								  errbuf, sizeof(errbuf));
	if (gc->session == 0)
	{
		libpq_append_conn_error(conn, "%s", errbuf);
		free(gc);
		return false;
	}

	gc->buffered = lib->buffered_state(gc->session);
	conn->gotls = gc;
	conn->ssl_in_use = true;
	return true;
}

/*
 * With sslnegotiation=direct there is no SSLRequest, so ALPN is what tells
 * both sides they speak PostgreSQL; insist on it as the OpenSSL backend
 * does.
 */
static bool
check_alpn(PGconn *conn, GoTLSConn *gc, const GoTLSLibrary *lib)
{
	char		alpn[GOTLS_ATTRIBUTE_LEN];
	ssize_t		len;

	if (conn->current_enc_method != ENC_SSL || conn->sslnegotiation[0] != 'd')
		return true;

	len = lib->attribute(gc->session, "alpn", alpn, sizeof(alpn));
	if (len <= 0)
	{
		libpq_append_conn_error(conn, "direct SSL connection was established without ALPN protocol negotiation extension");
		return false;
	}
	if (strcmp(alpn, PG_ALPN_PROTOCOL) != 0)
	{
		libpq_append_conn_error(conn, "SSL connection was established with unexpected ALPN protocol");
		return false;
	}
	return true;
}

/* Copy the negotiated parameters out of the library; see GoTLSConn. */
static void
save_attributes(GoTLSConn *gc, const GoTLSLibrary *lib)
{
	for (int i = 0; i < GOTLS_NUM_ATTRIBUTES; i++)
	{
		if (lib->attribute(gc->session, gotls_attribute_names[i],
						   gc->attributes[i], GOTLS_ATTRIBUTE_LEN) < 0)
			gc->attributes[i][0] = '\0';
	}
}

PostgresPollingStatusType
pgtls_open_client(PGconn *conn)
{
	GoTLSConn  *gc;
	const GoTLSLibrary *lib;

	if (conn->gotls == NULL && !start_session(conn))
	{
		pgtls_close(conn);
		return PGRES_POLLING_FAILED;
	}
	gc = conn->gotls;

	/*
	 * A non-blocking handshake resumes here at each PQconnectPoll, and a
	 * process may have forked in between.
	 */
	lib = session_library(conn);
	if (lib == NULL)
	{
		pgtls_close(conn);
		return PGRES_POLLING_FAILED;
	}

	switch (lib->handshake(gc->session))
	{
		case GOTLS_OK:
			break;
		case GOTLS_WANT_READ:
			return PGRES_POLLING_READING;
		case GOTLS_WANT_WRITE:
			return PGRES_POLLING_WRITING;
		default:
			report_error(conn, gc, lib);
			pgtls_close(conn);
			return PGRES_POLLING_FAILED;
	}

	conn->ssl_cert_requested = lib->cert_requested(gc->session) != 0;
	conn->ssl_cert_sent = lib->cert_sent(gc->session) != 0;
	save_attributes(gc, lib);

	if (!check_alpn(conn, gc, lib) || !pq_verify_peer_name_matches_certificate(conn))
	{
		pgtls_close(conn);
		return PGRES_POLLING_FAILED;
	}
	return PGRES_POLLING_OK;
}

void
pgtls_close(PGconn *conn)
{
	GoTLSConn  *gc = conn->gotls;

	if (gc != NULL)
	{
		const GoTLSLibrary *lib = conn_library(gc);

		/*
		 * In a child forked after the library started, calling into Go
		 * would hang; leave the parent's session alone.  Its memory is the
		 * parent's Go heap, copied and unreachable here: there is nothing
		 * of it to free but our own state.
		 */
		if (lib != NULL)
			lib->close(gc->session);
		free(gc);
		conn->gotls = NULL;
	}
	conn->ssl_in_use = false;
	conn->ssl_handshake_started = false;
}

ssize_t
pgtls_read(PGconn *conn, void *ptr, size_t len)
{
	GoTLSConn  *gc = conn->gotls;
	const GoTLSLibrary *lib = session_library(conn);
	ssize_t		n;

	if (lib == NULL)
		return -1;
	SOCK_ERRNO_SET(0);
	if (gc->buffered != NULL && gc->buffered->read_space != NULL)
	{
		/*
		 * All the library would do is read the socket, into its own buffer:
		 * read it here, and call into Go only if something came (or
		 * failed).  Most calls that find the socket empty, such as
		 * PQconsumeInput's right after a query is sent, then cost a
		 * recv() and no crossing into Go.
		 */
		ssize_t		got = gotls_io_read(conn, gc->buffered->read_space,
										gc->buffered->read_space_len);
		int			err = SOCK_ERRNO;

		if (got < 0 && (err == EAGAIN || err == EWOULDBLOCK))
		{
			SOCK_ERRNO_SET(0);
			return 0;
		}
		n = lib->read_received(gc->session, got, got < 0 ? err : 0, ptr, len);
	}
	else
		n = lib->read(gc->session, ptr, len);
	if (n < 0)
		report_error(conn, gc, lib);
	return n;
}

ssize_t
pgtls_bytes_pending(PGconn *conn)
{
	GoTLSConn  *gc = conn->gotls;
	const GoTLSLibrary *lib = usable_library(conn, gc);

	/*
	 * Nothing is pending for a process that may not use the session; its
	 * next read reports why.  (An inherited session carried on here
	 * reports nothing pending either: its helper sends what the parent's
	 * session held, and the socket turns readable.)
	 */
	if (lib == NULL || gc == NULL)
		return 0;

	/*
	 * libpq asks after every read that returned data: the library keeps the
	 * answer where it can be read without a call into Go, unless a
	 * complete record still waits to be decrypted.
	 */
	if (gc->buffered != NULL && gc->buffered->exact)
		return (ssize_t) gc->buffered->plaintext;
	return lib->pending(gc->session);
}

ssize_t
pgtls_write(PGconn *conn, const void *ptr, size_t len)
{
	GoTLSConn  *gc = conn->gotls;
	const GoTLSLibrary *lib = session_library(conn);
	ssize_t		n;

	if (lib == NULL)
		return -1;
	SOCK_ERRNO_SET(0);
	n = lib->write(gc->session, ptr, len);
	if (n < 0)
		report_error(conn, gc, lib);
	return n;
}

char *
pgtls_get_peer_certificate_hash(PGconn *conn, size_t *len)
{
	GoTLSConn  *gc = conn->gotls;
	const GoTLSLibrary *lib;
	char		hash[64];
	char		errbuf[256];
	ssize_t		n;
	char	   *result;

	*len = 0;
	if (gc == NULL)
		return NULL;
	lib = session_library(conn);
	if (lib == NULL)
		return NULL;

	n = lib->peer_certificate_hash(gc->session, hash, sizeof(hash),
								   errbuf, sizeof(errbuf));
	if (n < 0)
	{
		libpq_append_conn_error(conn, "%s", errbuf);
		return NULL;
	}
	result = malloc(n);
	if (result == NULL)
	{
		libpq_append_conn_error(conn, "out of memory");
		return NULL;
	}
	memcpy(result, hash, n);
	*len = n;
	return result;
}

static bool
is_ip_address(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;

	return inet_aton(host, &v4) || inet_pton(AF_INET6, host, &v6) == 1;
}

/*
 * Match the host against the server certificate's names with
 * fe-secure-common.c's rules, looking at the names in the order and with
 * the CN fallback that the OpenSSL backend uses: the CN only counts if no
 * SAN of the host's own type (DNS or IP) exists.
 */
int
pgtls_verify_peer_name_matches_certificate_guts(PGconn *conn,
												int *names_examined,
												char **first_name)
{
	GoTLSConn  *gc = conn->gotls;
	const GoTLSLibrary *lib = session_library(conn);
	char	   *host = conn->connhost[conn->whichhost].host;
	int			host_kind = is_ip_address(host) ? GOTLS_NAME_IP : GOTLS_NAME_DNS;
	bool		check_cn = true;
	int			rc = 0;
	char		name[1024];

	Assert(host && host[0]);
	if (lib == NULL)
		return -1;

	for (int i = 0;; i++)
	{
		char	   *store_name = NULL;
		int			kind;
		ssize_t		len;

		len = lib->peer_name(gc->session, i, &kind, name, sizeof(name));
		if (len < 0)
			break;
		if (len > (ssize_t) sizeof(name))
		{
			libpq_append_conn_error(conn, "SSL certificate's name entry is too long");
			return -1;
		}

		if (kind == GOTLS_NAME_CN)
		{
			if (!check_cn)
				break;
			(*names_examined)++;
			rc = pq_verify_peer_name_matches_certificate_name(conn, name, len,
															  &store_name);
		}
		else
		{
			if (kind == host_kind)
				check_cn = false;
			(*names_examined)++;
			if (kind == GOTLS_NAME_DNS)
				rc = pq_verify_peer_name_matches_certificate_name(conn, name, len,
																  &store_name);
			else
				rc = pq_verify_peer_name_matches_certificate_ip(conn,
																(unsigned char *) name,
																len, &store_name);
		}

		if (store_name)
		{
			if (!*first_name)
				*first_name = store_name;
			else
				free(store_name);
		}
		if (rc != 0)
			break;				/* a match or an error: look no further */
	}

	return rc;
}

/*
 * Public SSL information functions (libpq-fe.h).
 */

void *
PQgetssl(PGconn *conn)
{
	/* There is no OpenSSL SSL object to hand out. */
	return NULL;
}

void *
PQsslStruct(PGconn *conn, const char *struct_name)
{
	/* crypto/tls state cannot be used from C. */
	return NULL;
}

const char *const *
PQsslAttributeNames(PGconn *conn)
{
	static const char *const empty_attrs[] = {NULL};

	if (conn != NULL && conn->gotls == NULL)
		return empty_attrs;
	return gotls_attribute_names;
}

const char *
PQsslAttribute(PGconn *conn, const char *attribute_name)
{
	GoTLSConn  *gc;

	if (!conn)
	{
		/* PQsslAttribute(NULL, "library") reports the default SSL library */
		if (strcmp(attribute_name, "library") == 0)
			return GOTLS_LIBRARY_NAME;
		return NULL;
	}

	gc = conn->gotls;
	if (gc == NULL || !conn->ssl_in_use)
		return NULL;

	for (int i = 0; i < GOTLS_NUM_ATTRIBUTES; i++)
	{
		if (strcmp(attribute_name, gotls_attribute_names[i]) == 0)
			return gc->attributes[i];
	}
	return NULL;				/* unknown attribute */
}
