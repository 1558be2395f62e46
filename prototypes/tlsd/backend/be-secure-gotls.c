/*-------------------------------------------------------------------------
 *
 * be-secure-gotls.c
 *	  The backend's TLS connections through pg-gotls's TLS daemon
 *	  (process model (b), PROTOTYPE)
 *
 * In model (b) one long-lived process, pg-tlsd (a Go executable), does the
 * TLS of every connection.  When a client asks for SSL, the backend hands
 * the daemon the client's TCP socket and any bytes of the TLS stream it
 * has already read; the daemon runs the handshake and answers with the
 * negotiated parameters and one end of a fresh Unix socketpair.  That
 * socket takes the place of the client's socket (pq_replace_socket), and
 * from then on the backend reads and writes plaintext on it, as on an
 * unencrypted connection, while the daemon relays to and from TLS.
 *
 * No Go code runs in the backend and the private key never enters it.
 *
 * The wire protocol (one SOCK_SEQPACKET message each way, host byte
 * order) is described in the daemon's protocol.go; TLSD_* here must match.
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "be-gotls.h"
#include "libpq/libpq.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

/* The daemon's protocol; see protocol.go. */
#define TLSD_REQUEST_MAGIC	0x31534c54	/* "TLS1" */
#define TLSD_REPLY_MAGIC	0x31444c54	/* "TLD1" */
#define TLSD_FLAG_DIRECT	1
#define TLSD_NO_STRING		0xffffffff
#define TLSD_REPLY_MAX		(64 * 1024)

enum TLSDStatus
{
	TLSD_OK = 0,
	TLSD_TLS = 1,				/* message, detail, hint */
	TLSD_EOF = 2,				/* the client went away */
	TLSD_TRANSPORT = 3,			/* socket error, errno */
	TLSD_INTERNAL = 4,			/* the daemon could not serve the request */
};

/* The reply's strings, in order. */
enum TLSDField
{
	F_MESSAGE, F_DETAIL, F_HINT,
	F_PROTOCOL, F_CIPHER, F_ALPN,
	F_PEER_DN, F_PEER_CN, F_PEER_SUBJECT, F_PEER_ISSUER, F_PEER_SERIAL,
	F_CERT_HASH, F_CERT_HASH_ERROR,
	F_COUNT
};

typedef struct TLSDReply
{
	int32		status;
	int32		err;
	int32		bits;
	/* NULL if absent; NUL-terminated, lengths in len[] */
	char	   *field[F_COUNT];
	uint32		len[F_COUNT];
} TLSDReply;

/* What a backend knows of its TLS session; port->ssl points here. */
typedef struct TLSDPort
{
	char		version[32];	/* "TLSv1.3" */
	char		cipher[64];		/* "TLS_AES_256_GCM_SHA384" */
	int			bits;
	char	   *peer_subject;	/* UTF-8; NULL without a client certificate */
	char	   *peer_issuer;
	char	   *peer_serial;
	char	   *cert_hash;		/* tls-server-end-point, or NULL ... */
	size_t		cert_hash_len;
	char	   *cert_hash_error;	/* ... and why */
} TLSDPort;

/* port->peer, when the client presented a certificate. */
static char client_certificate_present;

static TLSDPort *
tlsd_port(Port *port)
{
	return (TLSDPort *) port->ssl;
}

/*
 * Parse a reply into r, its strings copied into TopMemoryContext.  False
 * if the reply is malformed.
 */
static bool
parse_reply(const char *buf, size_t n, TLSDReply *r)
{
	const char *p = buf,
			   *end = buf + n;
	uint32		magic;

	memset(r, 0, sizeof(*r));
	if (n < 16)
		return false;
	memcpy(&magic, p, 4);
	memcpy(&r->status, p + 4, 4);
	memcpy(&r->err, p + 8, 4);
	memcpy(&r->bits, p + 12, 4);
	if (magic != TLSD_REPLY_MAGIC)
		return false;
	p += 16;
	for (int i = 0; i < F_COUNT; i++)
	{
		uint32		len;

		if (end - p < 4)
			return false;
		memcpy(&len, p, 4);
		p += 4;
		if (len == TLSD_NO_STRING)
			continue;
		if ((size_t) (end - p) < len)
			return false;
		r->field[i] = MemoryContextAlloc(TopMemoryContext, len + 1);
		memcpy(r->field[i], p, len);
		r->field[i][len] = '\0';
		r->len[i] = len;
		p += len;
	}
	return true;
}

static void
free_reply(TLSDReply *r)
{
	for (int i = 0; i < F_COUNT; i++)
		if (r->field[i])
			pfree(r->field[i]);
}

/* Connect to the daemon; -1 (reported) on failure. */
static int
connect_daemon(void)
{
	const char *path = getenv(PGGOTLS_TLSD_ENV);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int			fd;

	if (path == NULL || strlen(path) >= sizeof(addr.sun_path))
	{
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("could not initialize SSL connection: the TLS daemon's socket is not set")));
		return -1;
	}
	strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0)
	{
		ereport(COMMERROR,
				(errcode_for_socket_access(),
				 errmsg("could not initialize SSL connection: could not connect to the TLS daemon at \"%s\": %m",
						path)));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Send the request: the client's socket and the bytes of the TLS stream
 * already read (port->raw_buf, which is consumed here).
 */
static bool
send_request(int fd, Port *port)
{
	size_t		rawlen = port->raw_buf_remaining;
	uint32		header[2] = {TLSD_REQUEST_MAGIC, rawlen > 0 ? TLSD_FLAG_DIRECT : 0};
	struct iovec iov[2];
	struct msghdr msg = {0};
	union
	{
		char		buf[CMSG_SPACE(sizeof(int))];
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
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &port->sock, sizeof(int));

	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
	{
		ereport(COMMERROR,
				(errcode_for_socket_access(),
				 errmsg("could not initialize SSL connection: could not send the connection to the TLS daemon: %m")));
		return false;
	}

	/* The daemon has these bytes now; secure_open_server checks. */
	port->raw_buf_consumed += rawlen;
	port->raw_buf_remaining = 0;
	return true;
}

/*
 * Wait for the reply, while the daemon runs the handshake.  As with
 * in-process TLS, authentication_timeout ends a stalled handshake (the
 * daemon notices that we went away).  Returns the reply's length, with the
 * plaintext socket in *plainfd if one came (else -1); -1 on failure.
 */
static ssize_t
receive_reply(int fd, char *buf, size_t size, int *plainfd)
{
	struct iovec iov = {.iov_base = buf,.iov_len = size};
	struct msghdr msg = {0};
	union
	{
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	}			cmsgbuf;
	ssize_t		n;

	*plainfd = -1;
	if (!pg_set_noblock(fd))
		return -1;
	for (;;)
	{
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
		{
			ereport(COMMERROR,
					(errcode_for_socket_access(),
					 errmsg("could not accept SSL connection: could not receive from the TLS daemon: %m")));
			return -1;
		}
		(void) WaitLatchOrSocket(NULL, WL_SOCKET_READABLE | WL_EXIT_ON_PM_DEATH, fd, 0,
								 WAIT_EVENT_SSL_OPEN_SERVER);
	}

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
	{
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		{
			int			nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (int i = 0; i < nfds; i++)
			{
				int			received;

				memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (*plainfd < 0)
					*plainfd = received;
				else
					close(received);
			}
		}
	}
	if (n == 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
	{
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("could not accept SSL connection: %s",
						n == 0 ? "the TLS daemon closed the connection" : "reply from the TLS daemon truncated")));
		if (*plainfd >= 0)
			close(*plainfd);
		*plainfd = -1;
		return -1;
	}
	return n;
}

/* Log a failed handshake as be-secure-openssl.c words it. */
static void
report_failure(const TLSDReply *r)
{
	const char *message = r->field[F_MESSAGE] ? r->field[F_MESSAGE] : "unknown error";

	switch (r->status)
	{
		case TLSD_TRANSPORT:
			errno = r->err;
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
					 r->field[F_DETAIL] ? errdetail_internal("%s", r->field[F_DETAIL]) : 0,
					 r->field[F_HINT] ? errhint("%s", r->field[F_HINT]) : 0));
			break;
	}
}

int
be_tls_open_server(Port *port)
{
	int			fd;
	int			plainfd;
	char	   *buf;
	ssize_t		n;
	TLSDReply	r;
	TLSDPort   *tp;

	Assert(!port->ssl);
	Assert(!port->peer);

	fd = connect_daemon();
	if (fd < 0)
		return -1;
	if (!send_request(fd, port))
	{
		close(fd);
		return -1;
	}
	buf = palloc(TLSD_REPLY_MAX);
	n = receive_reply(fd, buf, TLSD_REPLY_MAX, &plainfd);
	close(fd);
	if (n < 0)
	{
		pfree(buf);
		return -1;
	}
	if (!parse_reply(buf, n, &r))
	{
		pfree(buf);
		free_reply(&r);
		if (plainfd >= 0)
			close(plainfd);
		ereport(COMMERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("could not accept SSL connection: malformed reply from the TLS daemon")));
		return -1;
	}
	pfree(buf);
	if (r.status != TLSD_OK || plainfd < 0)
	{
		if (r.status == TLSD_OK)
			r.status = TLSD_INTERNAL;	/* no socket came with it */
		report_failure(&r);
		free_reply(&r);
		if (plainfd >= 0)
			close(plainfd);
		return -1;
	}

	/* From here on the connection is the plaintext socket. */
	pq_replace_socket(port, plainfd);

	tp = MemoryContextAllocZero(TopMemoryContext, sizeof(TLSDPort));
	strlcpy(tp->version, r.field[F_PROTOCOL] ? r.field[F_PROTOCOL] : "", sizeof(tp->version));
	strlcpy(tp->cipher, r.field[F_CIPHER] ? r.field[F_CIPHER] : "", sizeof(tp->cipher));
	tp->bits = r.bits;
	tp->cert_hash = r.field[F_CERT_HASH];
	tp->cert_hash_len = r.len[F_CERT_HASH];
	tp->cert_hash_error = r.field[F_CERT_HASH_ERROR];
	r.field[F_CERT_HASH] = r.field[F_CERT_HASH_ERROR] = NULL;

	port->ssl = tp;
	port->ssl_in_use = true;
	port->alpn_used = (r.field[F_ALPN] != NULL && strcmp(r.field[F_ALPN], PG_ALPN_PROTOCOL) == 0);

	/*
	 * The client's certificate, verified by the daemon against its CA file
	 * and CRLs; it has refused names with an embedded NUL (CVE-2009-4034).
	 */
	port->peer_cn = NULL;
	port->peer_dn = NULL;
	port->peer_cert_valid = false;
	if (r.field[F_PEER_DN] != NULL)
	{
		port->peer = &client_certificate_present;
		port->peer_dn = r.field[F_PEER_DN];
		port->peer_cn = r.field[F_PEER_CN];
		port->peer_cert_valid = true;
		tp->peer_subject = r.field[F_PEER_SUBJECT];
		tp->peer_issuer = r.field[F_PEER_ISSUER];
		tp->peer_serial = r.field[F_PEER_SERIAL];
		r.field[F_PEER_DN] = r.field[F_PEER_CN] = NULL;
		r.field[F_PEER_SUBJECT] = r.field[F_PEER_ISSUER] = r.field[F_PEER_SERIAL] = NULL;
	}
	free_reply(&r);
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
 * contrib/sslinfo's certificate field and extension functions.  Not in the
 * prototype: the daemon would have to send the certificate (DER) along,
 * and these would parse it here without Go, or ask the daemon.
 */
char *
be_gotls_client_name_field(Port *port, bool issuer, const char *field)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("certificate fields are not available with the TLS daemon prototype")));
	return NULL;
}

bool
be_gotls_client_extension(Port *port, int index, char **name, char **value,
						  bool *critical)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("certificate extensions are not available with the TLS daemon prototype")));
	return false;
}
