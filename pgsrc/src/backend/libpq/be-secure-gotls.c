/*-------------------------------------------------------------------------
 *
 * be-secure-gotls.c
 *	  The backend's TLS connections on Go's crypto/tls (pg-gotls)
 *
 * This file implements the connection half of the be_tls_* interface of
 * libpq-be.h (be_tls_init is in be-gotls-config.c) on top of
 * libpq_gotls.so, whose C interface is libpq_tls.h.  A backend loads the
 * library on its first TLS connection, imports the configuration snapshot
 * it inherited from the postmaster, and runs its one session through it.
 * Messages follow be-secure-openssl.c, so that logs read as they always
 * did.
 *
 * Socket I/O stays here: the library reads and writes ciphertext through
 * secure_raw_read() and secure_raw_write(), which also return first the
 * bytes a direct SSL connection's startup already read (port->raw_buf).
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include "be-gotls.h"
#include "libpq/libpq.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

/* What a backend knows of its TLS session; port->ssl points here. */
typedef struct GoTLSPort
{
	const GoTLSServerLibrary *lib;
	gotls_session session;
	char		version[32];	/* "TLSv1.3" */
	char		cipher[64];		/* "TLS_AES_256_GCM_SHA384" */
	int			bits;
} GoTLSPort;

/* port->peer, when the client presented a certificate. */
static char client_certificate_present;

/* The imported configuration; a backend has at most one connection. */
static gotls_server_config server_config = 0;

static GoTLSPort *
gotls_port(Port *port)
{
	return (GoTLSPort *) port->ssl;
}

static ssize_t
port_read(void *ctx, void *buf, size_t len)
{
	return secure_raw_read((Port *) ctx, buf, len);
}

static ssize_t
port_write(void *ctx, const void *buf, size_t len)
{
	return secure_raw_write((Port *) ctx, buf, len);
}

/* Import the inherited configuration snapshot, once per backend. */
static bool
import_config(const GoTLSServerLibrary *lib)
{
	const void *data;
	size_t		len;
	struct gotls_message msg;

	if (server_config != 0)
		return true;
	if (!be_gotls_snapshot(&data, &len))
	{
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("could not initialize SSL connection: SSL context not set up")));
		return false;
	}
	server_config = lib->server_config_import(data, len, &msg);
	/* The library holds the key now; this process's copy can go. */
	be_gotls_forget_snapshot();
	if (server_config == 0)
	{
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("could not initialize SSL connection: %s", msg.message)));
		return false;
	}
	return true;
}

/* A string result of the library, copied into TopMemoryContext. */
static char *
client_certificate_field(GoTLSPort *gp, const char *field)
{
	char		buf[1024];
	ssize_t		n = gp->lib->client_certificate(gp->session, field, buf, sizeof(buf));

	if (n < 0)
		return NULL;
	if (n >= (ssize_t) sizeof(buf))
	{
		char	   *big = MemoryContextAlloc(TopMemoryContext, n + 1);

		gp->lib->client_certificate(gp->session, field, big, n + 1);
		return big;
	}
	return MemoryContextStrdup(TopMemoryContext, buf);
}

static void
report_handshake_failure(Port *port, GoTLSPort *gp)
{
	struct gotls_message msg;
	int			kind = gp->lib->last_error_message(gp->session, &msg);

	switch (kind)
	{
		case GOTLS_ERR_TRANSPORT:
			/* secure_raw_read/write left errno set */
			ereport(COMMERROR,
					(errcode_for_socket_access(),
					 errmsg("could not accept SSL connection: %m")));
			break;
		case GOTLS_ERR_EOF:
		case GOTLS_ERR_CLOSED:
			ereport(COMMERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("could not accept SSL connection: EOF detected")));
			break;
		default:
			ereport(COMMERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("could not accept SSL connection: %s", msg.message),
					 msg.detail[0] ? errdetail_internal("%s", msg.detail) : 0,
					 msg.hint[0] ? errhint("%s", msg.hint) : 0));
			break;
	}
}

int
be_tls_open_server(Port *port)
{
	const GoTLSServerLibrary *lib;
	GoTLSPort  *gp;
	char		errbuf[512];
	char		alpn[64];
	int			r;

	Assert(!port->ssl);
	Assert(!port->peer);

	lib = be_gotls_load(errbuf, sizeof(errbuf));
	if (lib == NULL)
	{
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("could not initialize SSL connection: could not load the Go TLS library \"%s\": %s",
						PGGOTLS_LIBRARY_NAME, errbuf)));
		return -1;
	}
	if (!import_config(lib))
		return -1;

	gp = MemoryContextAllocZero(TopMemoryContext, sizeof(GoTLSPort));
	gp->lib = lib;
	gp->session = lib->server_new(server_config, port_read, port_write, port,
								  errbuf, sizeof(errbuf));
	if (gp->session == 0)
	{
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("could not initialize SSL connection: %s", errbuf)));
		pfree(gp);
		return -1;
	}
	port->ssl = gp;
	port->ssl_in_use = true;

	for (;;)
	{
		int			waitfor;

		r = lib->handshake(gp->session);
		if (r == GOTLS_OK)
			break;
		if (r == GOTLS_ERROR)
		{
			report_handshake_failure(port, gp);
			return -1;
		}

		/* not allowed during connection establishment */
		Assert(!port->noblock);

		/*
		 * As in be-secure-openssl.c: authentication_timeout still ends a
		 * stalled handshake, through StartupPacketTimeoutHandler.
		 */
		waitfor = (r == GOTLS_WANT_READ ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE);
		(void) WaitLatchOrSocket(NULL, waitfor | WL_EXIT_ON_PM_DEATH, port->sock, 0,
								 WAIT_EVENT_SSL_OPEN_SERVER);
	}

	/* The library reports only "postgresql" as a negotiated protocol. */
	port->alpn_used = (lib->attribute(gp->session, "alpn", alpn, sizeof(alpn)) > 0 &&
					   strcmp(alpn, PG_ALPN_PROTOCOL) == 0);

	if (lib->attribute(gp->session, "protocol", gp->version, sizeof(gp->version)) < 0)
		gp->version[0] = '\0';
	if (lib->attribute(gp->session, "cipher", gp->cipher, sizeof(gp->cipher)) < 0)
		gp->cipher[0] = '\0';
	{
		char		bits[16];

		gp->bits = (lib->attribute(gp->session, "key_bits", bits, sizeof(bits)) > 0) ? atoi(bits) : 0;
	}

	/*
	 * The client's certificate, verified against ssl_ca_file and the CRLs
	 * during the handshake.  The library has already refused names with an
	 * embedded NUL (CVE-2009-4034).
	 */
	port->peer_cn = NULL;
	port->peer_dn = NULL;
	port->peer_cert_valid = false;
	port->peer_dn = client_certificate_field(gp, "dn");
	if (port->peer_dn != NULL)
	{
		port->peer = &client_certificate_present;
		port->peer_cn = client_certificate_field(gp, "cn");
		port->peer_cert_valid = true;
	}

	return 0;
}

void
be_tls_close(Port *port)
{
	GoTLSPort  *gp = gotls_port(port);

	if (gp)
	{
		gp->lib->close(gp->session);
		pfree(gp);
		port->ssl = NULL;
		port->ssl_in_use = false;
	}
	port->peer = NULL;
	if (port->peer_cn)
	{
		pfree(port->peer_cn);
		port->peer_cn = NULL;
	}
	if (port->peer_dn)
	{
		pfree(port->peer_dn);
		port->peer_dn = NULL;
	}
}

/*
 * After a read or write failed: set errno as secure_read and secure_write
 * expect, reporting TLS failures; returns -1, or 0 for a close_notify from
 * the client.
 */
static ssize_t
io_failure(GoTLSPort *gp, bool reading)
{
	struct gotls_message msg;
	int			kind = gp->lib->last_error_message(gp->session, &msg);

	switch (kind)
	{
		case GOTLS_ERR_CLOSED:
			if (reading)
				return 0;		/* connection was cleanly shut down by peer */
			errno = ECONNRESET;
			break;
		case GOTLS_ERR_TRANSPORT:
			/* secure_raw_read/write left errno set, for the caller to report */
			break;
		case GOTLS_ERR_EOF:
			errno = ECONNRESET;
			break;
		default:
			ereport(COMMERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("SSL error: %s", msg.message)));
			errno = ECONNRESET;
			break;
	}
	return -1;
}

/* The library could not go on: say what to wait for. */
static ssize_t
would_block(GoTLSPort *gp, int *waitfor)
{
	*waitfor = (gp->lib->wait_for(gp->session) == GOTLS_WANT_WRITE) ?
		WL_SOCKET_WRITEABLE : WL_SOCKET_READABLE;
	errno = EWOULDBLOCK;
	return -1;
}

ssize_t
be_tls_read(Port *port, void *ptr, size_t len, int *waitfor)
{
	GoTLSPort  *gp = gotls_port(port);
	ssize_t		n;

	errno = 0;
	n = gp->lib->read(gp->session, ptr, len);
	if (n > 0)
		return n;
	if (n == 0)
		return len == 0 ? 0 : would_block(gp, waitfor);
	return io_failure(gp, true);
}

ssize_t
be_tls_write(Port *port, const void *ptr, size_t len, int *waitfor)
{
	GoTLSPort  *gp = gotls_port(port);
	ssize_t		n;

	errno = 0;
	n = gp->lib->write(gp->session, ptr, len);
	if (n > 0)
		return n;
	if (n == 0)
		return len == 0 ? 0 : would_block(gp, waitfor);
	return io_failure(gp, false);
}

int
be_tls_get_cipher_bits(Port *port)
{
	GoTLSPort  *gp = gotls_port(port);

	return gp ? gp->bits : 0;
}

const char *
be_tls_get_version(Port *port)
{
	GoTLSPort  *gp = gotls_port(port);

	return gp ? gp->version : NULL;
}

const char *
be_tls_get_cipher(Port *port)
{
	GoTLSPort  *gp = gotls_port(port);

	return gp ? gp->cipher : NULL;
}

/* A certificate name for pg_stat_ssl, in the server encoding. */
static void
peer_name(Port *port, const char *field, char *ptr, size_t len)
{
	GoTLSPort  *gp = gotls_port(port);
	char	   *utf8;
	char	   *converted;

	ptr[0] = '\0';
	if (gp == NULL || port->peer == NULL)
		return;
	utf8 = client_certificate_field(gp, field);
	if (utf8 == NULL)
		return;
	converted = pg_any_to_server(utf8, strlen(utf8), PG_UTF8);
	strlcpy(ptr, converted, len);
	if (converted != utf8)
		pfree(converted);
	pfree(utf8);
}

void
be_tls_get_peer_subject_name(Port *port, char *ptr, size_t len)
{
	peer_name(port, "subject", ptr, len);
}

void
be_tls_get_peer_issuer_name(Port *port, char *ptr, size_t len)
{
	peer_name(port, "issuer", ptr, len);
}

void
be_tls_get_peer_serial(Port *port, char *ptr, size_t len)
{
	peer_name(port, "serial", ptr, len);
}

char *
be_tls_get_certificate_hash(Port *port, size_t *len)
{
	GoTLSPort  *gp = gotls_port(port);
	char		hash[64];
	char		errbuf[256];
	ssize_t		n;
	char	   *result;

	*len = 0;
	if (gp == NULL)
		return NULL;
	n = gp->lib->server_certificate_hash(gp->session, hash, sizeof(hash),
										 errbuf, sizeof(errbuf));
	if (n < 0)
		elog(ERROR, "%s", errbuf);
	result = palloc(n);
	memcpy(result, hash, n);
	*len = n;
	return result;
}

/*
 * A string the library copies into a caller's buffer: call get with growing
 * buffers until the value fits (the library returns the whole length and
 * truncates what it copies).  Returns the palloc'd buffer; *n is get's
 * result (negative: no value, or an error message in the buffer).
 */
typedef ssize_t (*StringGetter) (GoTLSPort *gp, void *arg, char *buf, size_t len);

static char *
fetch_string(GoTLSPort *gp, StringGetter get, void *arg, ssize_t *n)
{
	size_t		size = 256;

	for (;;)
	{
		char	   *buf = palloc(size);

		*n = get(gp, arg, buf, size);
		if (*n < (ssize_t) size)
			return buf;
		size = *n + 1;
		pfree(buf);
	}
}

typedef struct NameFieldArg
{
	bool		issuer;
	const char *field;
} NameFieldArg;

static ssize_t
get_name_field(GoTLSPort *gp, void *arg, char *buf, size_t len)
{
	NameFieldArg *a = arg;

	return gp->lib->client_name_field(gp->session, a->issuer, a->field, buf, len);
}

/*
 * be_gotls_client_name_field
 *		For contrib/sslinfo: a field of the client certificate's subject or
 *		issuer, in the server encoding; NULL if it has none.
 */
char *
be_gotls_client_name_field(Port *port, bool issuer, const char *field)
{
	GoTLSPort  *gp = gotls_port(port);
	NameFieldArg arg = {issuer, field};
	char	   *buf;
	char	   *converted;
	ssize_t		n;

	if (gp == NULL || port->peer == NULL)
		return NULL;
	buf = fetch_string(gp, get_name_field, &arg, &n);
	if (n == -2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", buf)));
	if (n < 0)
	{
		pfree(buf);
		return NULL;
	}
	converted = pg_any_to_server(buf, n, PG_UTF8);
	if (converted != buf)
		pfree(buf);
	return converted;
}

typedef struct ExtensionArg
{
	int			index;
	char		name[128];
	int			critical;
} ExtensionArg;

static ssize_t
get_extension(GoTLSPort *gp, void *arg, char *buf, size_t len)
{
	ExtensionArg *a = arg;

	return gp->lib->client_extension(gp->session, a->index, a->name, sizeof(a->name),
									 &a->critical, buf, len);
}

/*
 * be_gotls_client_extension
 *		For contrib/sslinfo: the index-th extension of the client
 *		certificate; false past the last.
 */
bool
be_gotls_client_extension(Port *port, int index, char **name, char **value,
						  bool *critical)
{
	GoTLSPort  *gp = gotls_port(port);
	ExtensionArg arg = {.index = index};
	char	   *buf;
	ssize_t		n;

	if (gp == NULL || port->peer == NULL)
		return false;
	buf = fetch_string(gp, get_extension, &arg, &n);
	if (n == -2)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s", buf)));
	if (n < 0)
	{
		pfree(buf);
		return false;
	}
	*name = pstrdup(arg.name);
	*value = buf;
	*critical = (arg.critical != 0);
	return true;
}
