/*-------------------------------------------------------------------------
 *
 * be-secure-gotls.c
 *	  The backend's TLS connections, through pg_tlsd (pg-gotls)
 *
 * TLS is done by pg_tlsd, a Go process the postmaster started
 * (be-gotls-tlsd.c).  When a client asks for SSL, the backend makes two
 * socket pairs, a session channel (SOCK_SEQPACKET) and a plaintext pair
 * (SOCK_STREAM), and sends the daemon the client's TCP socket, the
 * daemon's ends of both pairs, and any bytes of the TLS stream it has
 * already read.  The daemon runs the handshake and answers on the channel;
 * on success the plaintext socket takes the place of the client's socket
 * (pq_replace_socket), and from then on the backend reads and writes
 * plaintext as on an unencrypted connection, while the daemon relays to
 * and from TLS.  When the client's side ends, the daemon says how on the
 * channel, so that a TLS error is logged here as with OpenSSL; sslinfo's
 * questions about the client certificate and the TCP keepalive settings go
 * over the channel too.  The backend keeps no copy of the client's socket:
 * when the daemon ends, the client sees it at once.
 *
 * No Go code runs in the backend and the private key is not in it.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/backend/libpq/be-secure-gotls.c
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "be-gotls.h"
#include "libpq/libpq.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

/* The largest message on the session channel. */
#define TLSD_MESSAGE_MAX	(64 * 1024)

/* The strings of a handshake reply, in order (tlsd/protocol.go). */
enum ReplyField
{
	F_MESSAGE, F_DETAIL, F_HINT,
	F_PROTOCOL, F_CIPHER, F_ALPN,
	F_PEER_DN, F_PEER_CN, F_PEER_SUBJECT, F_PEER_ISSUER, F_PEER_SERIAL,
	F_CERT_HASH, F_CERT_HASH_ERROR,
	F_COUNT
};

/* A parsed message: its integers and strings (NULL when absent). */
typedef struct TLSDMessage
{
	uint32		magic;
	int32		ints[3];
	char	   *str[F_COUNT];	/* NUL-terminated, in parse_message's cxt */
	uint32		len[F_COUNT];
} TLSDMessage;

/* What a backend knows of its TLS session; port->ssl points here. */
typedef struct TLSDPort
{
	pgsocket	channel;		/* the session channel */
	char		version[32];	/* "TLSv1.3" */
	char		cipher[64];		/* "TLS_AES_256_GCM_SHA384" */
	int			bits;
	char	   *peer_subject;	/* UTF-8; NULL without a client certificate */
	char	   *peer_issuer;
	char	   *peer_serial;
	char	   *cert_hash;		/* tls-server-end-point, or NULL ... */
	size_t		cert_hash_len;
	char	   *cert_hash_error;	/* ... and why */
	TLSDMessage *pending_end;	/* an end message a query received */
} TLSDPort;

/* port->peer, when the client presented a certificate. */
static char client_certificate_present;

static TLSDPort *
tlsd_port(Port *port)
{
	return (TLSDPort *) port->ssl;
}

static void
free_message(TLSDMessage *m)
{
	for (int i = 0; i < F_COUNT; i++)
	{
		if (m->str[i])
			pfree(m->str[i]);
		m->str[i] = NULL;
	}
}

/*
 * Parse a message of nints integers and nstrs strings after the magic,
 * the strings copied into cxt.  False if it is malformed; then nothing is
 * left allocated.
 *
 * cxt is TopMemoryContext only for what outlives the current query (the
 * handshake's reply, whose strings the port keeps, and an end message kept
 * for client_side_ended).  Everything else goes in the caller's context,
 * so that an ERROR thrown before it is freed loses nothing for good.
 */
static bool
parse_message(const char *buf, size_t n, uint32 magic, int nints, int nstrs,
			  TLSDMessage *m, MemoryContext cxt)
{
	const char *p = buf,
			   *end = buf + n;

	memset(m, 0, sizeof(*m));
	if (n < 4 + 4 * (size_t) nints)
		return false;
	memcpy(&m->magic, p, 4);
	if (m->magic != magic)
		return false;
	memcpy(m->ints, p + 4, 4 * nints);
	p += 4 + 4 * nints;
	for (int i = 0; i < nstrs; i++)
	{
		uint32		len;

		if (end - p < 4)
			goto malformed;
		memcpy(&len, p, 4);
		p += 4;
		if (len == TLSD_NO_STRING)
			continue;
		if ((size_t) (end - p) < len)
			goto malformed;
		m->str[i] = MemoryContextAlloc(cxt, len + 1);
		memcpy(m->str[i], p, len);
		m->str[i][len] = '\0';
		m->len[i] = len;
		p += len;
	}
	return true;

malformed:
	/* The strings before the fault would otherwise be nobody's. */
	free_message(m);
	return false;
}

/* Take a string out of a message, for keeping. */
static char *
take(TLSDMessage *m, int i)
{
	char	   *s = m->str[i];

	m->str[i] = NULL;
	return s;
}

/*
 * Receive one message from the session channel, waiting for it (the
 * channel is non-blocking).  Returns its length, 0 if the daemon closed the
 * channel, -1 on error (errno set).
 */
static ssize_t
channel_receive(pgsocket channel, char *buf, size_t size, bool wait)
{
	for (;;)
	{
		ssize_t		n = recv(channel, buf, size, MSG_TRUNC);

		if (n > (ssize_t) size)
		{
			errno = EMSGSIZE;
			return -1;
		}
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (!wait || (errno != EAGAIN && errno != EWOULDBLOCK))
			return -1;

		/*
		 * During the handshake, authentication_timeout ends a stalled wait
		 * through StartupPacketTimeoutHandler, as in be-secure-openssl.c;
		 * the daemon sees the channel close and abandons the handshake.
		 */
		(void) WaitLatchOrSocket(NULL, WL_SOCKET_READABLE | WL_EXIT_ON_PM_DEATH,
								 channel, 0, WAIT_EVENT_SSL_OPEN_SERVER);
	}
}

/*
 * Send the connection to the daemon: the client's socket, the daemon's
 * ends of the two pairs, and the bytes of the TLS stream already read
 * (port->raw_buf, which is consumed here).
 */
static bool
send_request(pgsocket request, Port *port, int channel_end, int plain_end)
{
	size_t		rawlen = port->raw_buf_remaining;
	uint32		header[2] = {TLSD_REQUEST_MAGIC, rawlen > 0 ? TLSD_FLAG_DIRECT : 0};
	int			fds[3] = {port->sock, channel_end, plain_end};
	struct iovec iov[2];
	struct msghdr msg = {0};
	union
	{
		char		buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	}			cmsgbuf;
	struct cmsghdr *cmsg;
	ssize_t		n;

	iov[0].iov_base = header;
	iov[0].iov_len = sizeof(header);
	iov[1].iov_base = rawlen > 0 ? port->raw_buf + port->raw_buf_consumed : NULL;
	iov[1].iov_len = rawlen;
	msg.msg_iov = iov;
	msg.msg_iovlen = rawlen > 0 ? 2 : 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));

	do
		n = sendmsg(request, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
	{
		if (errno == EPIPE || errno == ECONNREFUSED || errno == ECONNRESET)
			ereport(COMMERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("could not initialize SSL connection: the TLS process is not running")));
		else
			ereport(COMMERROR,
					(errcode_for_socket_access(),
					 errmsg("could not initialize SSL connection: could not send the connection to the TLS process: %m")));
		return false;
	}

	/* The daemon has these bytes now; secure_open_server checks. */
	port->raw_buf_consumed += rawlen;
	port->raw_buf_remaining = 0;
	return true;
}

/* Log a failed handshake as be-secure-openssl.c words it. */
static void
report_failure(const TLSDMessage *r)
{
	const char *message = r->str[F_MESSAGE] ? r->str[F_MESSAGE] : "unknown error";

	switch (r->ints[0])
	{
		case TLSD_TRANSPORT:
			errno = r->ints[1];
			ereport(COMMERROR,
					(errcode_for_socket_access(),
					 errmsg("could not accept SSL connection: %m")));
			break;
		case TLSD_EOF:
			ereport(COMMERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("could not accept SSL connection: EOF detected")));
			break;
		default:
			ereport(COMMERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("could not accept SSL connection: %s", message),
					 r->str[F_DETAIL] ? errdetail_internal("%s", r->str[F_DETAIL]) : 0,
					 r->str[F_HINT] ? errhint("%s", r->str[F_HINT]) : 0));
			break;
	}
}

/*
 * Hand the connection to the daemon and wait for the handshake's outcome.
 * On success, returns the backend's channel end and leaves the reply in
 * *r; on failure, reports it and returns -1.
 */
static pgsocket
run_handshake(Port *port, int *plain, TLSDMessage *r)
{
	pgsocket	request = be_gotls_tlsd_request_socket();
	int			channel[2];
	char	   *buf;
	ssize_t		n;

	/* Every way out below frees *r's strings, parsed or not. */
	memset(r, 0, sizeof(*r));

	if (request == PGINVALID_SOCKET)
	{
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("could not initialize SSL connection: the TLS process is not running")));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) != 0)
	{
		ereport(COMMERROR,
				(errcode_for_socket_access(),
				 errmsg("could not initialize SSL connection: could not create socket pair: %m")));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, plain) != 0)
	{
		ereport(COMMERROR,
				(errcode_for_socket_access(),
				 errmsg("could not initialize SSL connection: could not create socket pair: %m")));
		close(channel[0]);
		close(channel[1]);
		return -1;
	}
	if (!send_request(request, port, channel[1], plain[1]))
	{
		close(channel[0]);
		close(channel[1]);
		close(plain[0]);
		close(plain[1]);
		return -1;
	}
	close(channel[1]);
	close(plain[1]);

	buf = palloc(TLSD_MESSAGE_MAX);
	if (!pg_set_noblock(channel[0]))
		n = -1;
	else
		n = channel_receive(channel[0], buf, TLSD_MESSAGE_MAX, true);
	if (n <= 0 ||
		!parse_message(buf, n, TLSD_REPLY_MAGIC, 3, F_COUNT, r, TopMemoryContext))
	{
		if (n < 0)
			ereport(COMMERROR,
					(errcode_for_socket_access(),
					 errmsg("could not accept SSL connection: could not receive from the TLS process: %m")));
		else
			ereport(COMMERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("could not accept SSL connection: %s",
							n == 0 ? "the TLS process closed the connection" :
							"malformed reply from the TLS process")));
		r->ints[0] = TLSD_INTERNAL;
	}
	else if (r->ints[0] != TLSD_OK)
		report_failure(r);
	pfree(buf);

	if (r->ints[0] != TLSD_OK)
	{
		free_message(r);
		close(channel[0]);
		close(plain[0]);
		return -1;
	}
	return channel[0];
}

int
be_tls_open_server(Port *port)
{
	TLSDMessage r;
	TLSDPort   *tp;
	int			plain[2];
	pgsocket	channel;

	Assert(!port->ssl);
	Assert(!port->peer);

	channel = run_handshake(port, plain, &r);
	if (channel < 0)
		return -1;

	/* From here on the connection is the plaintext socket. */
	pq_replace_socket(port, plain[0]);

	tp = MemoryContextAllocZero(TopMemoryContext, sizeof(TLSDPort));
	tp->channel = channel;
	strlcpy(tp->version, r.str[F_PROTOCOL] ? r.str[F_PROTOCOL] : "", sizeof(tp->version));
	strlcpy(tp->cipher, r.str[F_CIPHER] ? r.str[F_CIPHER] : "", sizeof(tp->cipher));
	tp->bits = r.ints[2];
	tp->cert_hash_len = r.len[F_CERT_HASH];
	tp->cert_hash = take(&r, F_CERT_HASH);
	tp->cert_hash_error = take(&r, F_CERT_HASH_ERROR);

	port->ssl = tp;
	port->ssl_in_use = true;
	port->alpn_used = (r.str[F_ALPN] != NULL && strcmp(r.str[F_ALPN], PG_ALPN_PROTOCOL) == 0);

	/*
	 * The client's certificate, verified by the daemon against ssl_ca_file
	 * and the CRLs; it has refused names with an embedded NUL
	 * (CVE-2009-4034).
	 */
	port->peer_cn = NULL;
	port->peer_dn = NULL;
	port->peer_cert_valid = false;
	if (r.str[F_PEER_DN] != NULL)
	{
		port->peer = &client_certificate_present;
		port->peer_dn = take(&r, F_PEER_DN);
		port->peer_cn = take(&r, F_PEER_CN);
		port->peer_cert_valid = true;
		tp->peer_subject = take(&r, F_PEER_SUBJECT);
		tp->peer_issuer = take(&r, F_PEER_ISSUER);
		tp->peer_serial = take(&r, F_PEER_SERIAL);
	}
	free_message(&r);
	return 0;
}

void
be_tls_close(Port *port)
{
	TLSDPort   *tp = tlsd_port(port);

	/*
	 * Nothing to shut down here: when this process closes the plaintext
	 * socket, the daemon sends close_notify and closes the client's.
	 */
	if (tp)
	{
		close(tp->channel);
		if (tp->peer_subject)
			pfree(tp->peer_subject);
		if (tp->peer_issuer)
			pfree(tp->peer_issuer);
		if (tp->peer_serial)
			pfree(tp->peer_serial);
		if (tp->cert_hash)
			pfree(tp->cert_hash);
		if (tp->cert_hash_error)
			pfree(tp->cert_hash_error);
		if (tp->pending_end)
		{
			free_message(tp->pending_end);
			pfree(tp->pending_end);
		}
		pfree(tp);
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
 * The plaintext socket reached end-of-file: the client's side ended, and
 * the daemon has said how on the channel.  Returns 0 for a close_notify,
 * else -1 with errno set as secure_read expects, having logged a TLS error
 * as be-secure-openssl.c does.
 */
static ssize_t
client_side_ended(TLSDPort *tp)
{
	char		buf[1024];
	TLSDMessage m;
	ssize_t		n = 0;

	if (tp->pending_end)
	{
		m = *tp->pending_end;
		pfree(tp->pending_end);
		tp->pending_end = NULL;
	}
	else if ((n = channel_receive(tp->channel, buf, sizeof(buf), false)) <= 0 ||
			 !parse_message(buf, n, TLSD_END_MAGIC, 2, 1, &m, CurrentMemoryContext))
	{
		/* No word from the daemon: it exited. */
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("SSL error: the TLS process closed the connection")));
		errno = ECONNRESET;
		return -1;
	}
	switch (m.ints[0])
	{
		case TLSD_CLOSED:
			free_message(&m);
			return 0;			/* connection was cleanly shut down by peer */
		case TLSD_TRANSPORT:
			errno = m.ints[1];
			break;
		case TLSD_TLS:
			ereport(COMMERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("SSL error: %s", m.str[0] ? m.str[0] : "unknown")));
			errno = ECONNRESET;
			break;
		default:
			errno = ECONNRESET;
			break;
	}
	free_message(&m);
	return -1;
}

/*
 * Reads and writes are plain socket I/O on the socketpair; the daemon does
 * the TLS.  A would-block says what to wait for, as secure_read and
 * secure_write expect from be_tls_*.
 */
ssize_t
be_tls_read(Port *port, void *ptr, size_t len, int *waitfor)
{
	ssize_t		n = secure_raw_read(port, ptr, len);

	if (n < 0 && (errno == EWOULDBLOCK || errno == EAGAIN))
		*waitfor = WL_SOCKET_READABLE;
	else if (n == 0 && len > 0)
		n = client_side_ended(tlsd_port(port));
	return n;
}

ssize_t
be_tls_write(Port *port, const void *ptr, size_t len, int *waitfor)
{
	ssize_t		n = secure_raw_write(port, ptr, len);

	if (n < 0 && (errno == EWOULDBLOCK || errno == EAGAIN))
		*waitfor = WL_SOCKET_WRITEABLE;
	return n;
}

int
be_tls_get_cipher_bits(Port *port)
{
	TLSDPort   *tp = tlsd_port(port);

	return tp ? tp->bits : 0;
}

const char *
be_tls_get_version(Port *port)
{
	TLSDPort   *tp = tlsd_port(port);

	return tp ? tp->version : NULL;
}

const char *
be_tls_get_cipher(Port *port)
{
	TLSDPort   *tp = tlsd_port(port);

	return tp ? tp->cipher : NULL;
}

/* A certificate name for pg_stat_ssl, in the server encoding. */
static void
peer_name(const char *utf8, char *ptr, size_t len)
{
	char	   *converted;

	ptr[0] = '\0';
	if (utf8 == NULL)
		return;
	converted = pg_any_to_server(utf8, strlen(utf8), PG_UTF8);
	strlcpy(ptr, converted, len);
	if (converted != utf8)
		pfree(converted);
}

void
be_tls_get_peer_subject_name(Port *port, char *ptr, size_t len)
{
	TLSDPort   *tp = tlsd_port(port);

	peer_name(tp ? tp->peer_subject : NULL, ptr, len);
}

void
be_tls_get_peer_issuer_name(Port *port, char *ptr, size_t len)
{
	TLSDPort   *tp = tlsd_port(port);

	peer_name(tp ? tp->peer_issuer : NULL, ptr, len);
}

void
be_tls_get_peer_serial(Port *port, char *ptr, size_t len)
{
	TLSDPort   *tp = tlsd_port(port);

	peer_name(tp ? tp->peer_serial : NULL, ptr, len);
}

char *
be_tls_get_certificate_hash(Port *port, size_t *len)
{
	TLSDPort   *tp = tlsd_port(port);
	char	   *result;

	*len = 0;
	if (tp == NULL)
		return NULL;
	if (tp->cert_hash == NULL)
		elog(ERROR, "%s", tp->cert_hash_error ? tp->cert_hash_error : "no certificate hash");
	result = palloc(tp->cert_hash_len);
	memcpy(result, tp->cert_hash, tp->cert_hash_len);
	*len = tp->cert_hash_len;
	return result;
}

/*
 * Send a query on the session channel and receive its answer into *m, in
 * CurrentMemoryContext.  False, with errno set and nothing allocated, if
 * the daemon could not answer.  An end message that comes first (the
 * client's side ended meanwhile) is kept for client_side_ended.
 */
static bool
query_daemon(TLSDPort *tp, uint32 kind, uint32 arg, const char *text,
			 TLSDMessage *m)
{
	size_t		textlen = text ? strlen(text) : 0;
	uint32		header[3] = {TLSD_QUERY_MAGIC, kind, arg};
	char	   *buf;
	ssize_t		n;
	bool		ok = false;

	if (sizeof(header) + textlen > TLSD_MESSAGE_MAX)
	{
		errno = EINVAL;
		return false;
	}
	buf = palloc(TLSD_MESSAGE_MAX);
	memcpy(buf, header, sizeof(header));
	if (textlen > 0)
		memcpy(buf + sizeof(header), text, textlen);
	do
		n = send(tp->channel, buf, sizeof(header) + textlen, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	while (n >= 0)
	{
		n = channel_receive(tp->channel, buf, TLSD_MESSAGE_MAX, true);
		if (n == 0)
			errno = EPIPE;
		if (n <= 0)
			break;
		/* Kept until the plaintext socket's EOF, so beyond this query. */
		if (tp->pending_end == NULL &&
			parse_message(buf, n, TLSD_END_MAGIC, 2, 1, m, TopMemoryContext))
		{
			tp->pending_end = MemoryContextAlloc(TopMemoryContext, sizeof(*m));
			*tp->pending_end = *m;
			continue;
		}

		/*
		 * The answer goes in the caller's context: sslinfo's callers throw
		 * with it in hand, and return its value to SQL.
		 */
		ok = parse_message(buf, n, TLSD_ANSWER_MAGIC, 2, 2, m,
						   CurrentMemoryContext);
		if (!ok)
			errno = EPROTO;
		break;
	}
	pfree(buf);
	return ok;
}

/*
 * Ask the daemon about the client certificate (contrib/sslinfo).  Returns
 * the answer's status, with the name and value (palloc'd in the caller's
 * context) and critical flag in *m's strings 0 and 1 and ints[1].
 */
static int
ask(TLSDPort *tp, uint32 kind, uint32 arg, const char *text, TLSDMessage *m)
{
	if (!query_daemon(tp, kind, arg, text, m))
	{
		if (errno == EINVAL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid X.509 field name: \"%s\"", text)));
		ereport(ERROR,
				(errcode_for_socket_access(),
				 errmsg("could not query the TLS process: %m")));
	}
	return m->ints[0];
}

/*
 * be_gotls_tcp_option
 *		Get or set a TCP option (keepalives, user timeout) of an SSL client's
 *		socket.  The socket lives in the daemon only, so that the client
 *		sees its connection end as soon as the daemon does, even while this
 *		backend is busy.  Returns 0, or -1 with errno set, as getsockopt and
 *		setsockopt do; it does not throw, for GUC assign hooks call it.
 */
int
be_gotls_tcp_option(Port *port, int optname, bool set, int *value)
{
	TLSDPort   *tp = tlsd_port(port);
	TLSDMessage m;
	char		text[16];
	int			result = 0;

	if (tp == NULL)
	{
		errno = ENOTCONN;
		return -1;
	}
	snprintf(text, sizeof(text), "%d", *value);
	if (!query_daemon(tp, set ? TLSD_QUERY_SET_OPTION : TLSD_QUERY_GET_OPTION,
					  (uint32) optname, set ? text : NULL, &m))
		return -1;
	if (m.ints[0] == TLSD_ANSWER_FOUND)
		*value = m.ints[1];
	else
	{
		errno = m.ints[1] != 0 ? m.ints[1] : EIO;
		result = -1;
	}
	free_message(&m);
	return result;
}

/*
 * be_gotls_client_name_field
 *		For contrib/sslinfo: a field of the client certificate's subject or
 *		issuer, in the server encoding, palloc'd in the caller's context;
 *		NULL if it has none.
 */
char *
be_gotls_client_name_field(Port *port, bool issuer, const char *field)
{
	TLSDPort   *tp = tlsd_port(port);
	TLSDMessage m;
	char	   *converted;

	if (tp == NULL || port->peer == NULL)
		return NULL;
	switch (ask(tp, TLSD_QUERY_NAME_FIELD, issuer ? 1 : 0, field, &m))
	{
		case TLSD_ANSWER_FOUND:
			break;
		case TLSD_ANSWER_ERROR:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", m.str[1] ? m.str[1] : "unknown error")));
			break;
		default:
			free_message(&m);
			return NULL;
	}

	/*
	 * pg_any_to_server returns its input when there is nothing to convert (a
	 * UTF-8 database), so the value handed back may be the answer's own
	 * string: it is the caller's, like a converted copy.
	 */
	converted = pg_any_to_server(m.str[1], m.len[1], PG_UTF8);
	if (converted == m.str[1])
		m.str[1] = NULL;
	free_message(&m);
	return converted;
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
	TLSDPort   *tp = tlsd_port(port);
	TLSDMessage m;

	if (tp == NULL || port->peer == NULL || index < 0)
		return false;
	switch (ask(tp, TLSD_QUERY_EXTENSION, (uint32) index, NULL, &m))
	{
		case TLSD_ANSWER_FOUND:
			break;
		case TLSD_ANSWER_ERROR:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s", m.str[1] ? m.str[1] : "unknown error")));
			break;
		default:
			free_message(&m);
			return false;
	}
	*name = pstrdup(m.str[0] ? m.str[0] : "");
	*value = pstrdup(m.str[1] ? m.str[1] : "");
	*critical = (m.ints[1] != 0);
	free_message(&m);
	return true;
}
