/*-------------------------------------------------------------------------
 *
 * fe-gotls-helper.c
 *	  TLS connections through a helper process, for a libpq that cannot
 *	  run Go in its own process
 *
 * A Go runtime does not survive fork(): a child forked after the Go TLS
 * library started in its parent cannot call into it.  Such a child (and a
 * program that sets PGGOTLS_HELPER=1, to keep Go's threads and signal
 * handlers out of its process altogether) makes its TLS connections
 * through libpq_gotls_helper, started with fork and exec from beside
 * libpq: the helper takes the server's TCP socket and runs the same Go
 * engine on it, and libpq speaks plaintext to it over a socket pair put in
 * the TCP socket's place, so that PQsocket() and libpq's polling do not
 * change.  The helper reports the handshake's outcome (and what
 * PQsslAttribute and the host name check need) at the start of the
 * plaintext stream, and how the server's side ended on a second socket,
 * the channel.  The messages are described in pg-gotls's helper package
 * (helper/protocol.go); the constants below must match it.
 *
 * The helper is a grandchild, re-parented to init at once: the program
 * never sees it in wait() or SIGCHLD.  It lives as long as the plaintext
 * socket: it ends when libpq closes the connection, or the program exits
 * or dies.
 *
 * The same helper carries on a TLS 1.3 session that the parent established
 * in process, when its child goes on with the connection: started with the
 * session's state (gotls_carry) in place of the options, it does no
 * handshake and relays at once (pggotls_helper_carry).
 *
 * This file offers the helper as a GoTLSLibrary, so that fe-secure-gotls.c
 * drives a session the same way whichever process runs it.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/interfaces/libpq/fe-gotls-helper.c
 *
 *-------------------------------------------------------------------------
 */

#include "postgres_fe.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fe-gotls-loader.h"
#include "libpq-int.h"
#include "port/pg_bswap.h"

#define HELPER_NAME "libpq_gotls_helper"

/* helper/protocol.go */
#define HELPER_OPTIONS_MAGIC	0x31504f48	/* "HOP1" */
#define HELPER_OUTCOME_MAGIC	0x31434f48	/* "HOC1" */
#define HELPER_END_MAGIC		0x31444e48	/* "HND1" */
#define HELPER_STATE_MAGIC		0x31545348	/* "HST1" */
#define HELPER_NO_STRING		0xffffffff
#define HELPER_MAX_OUTCOME		(1 << 20)
#define HELPER_TCP_FD			3
#define HELPER_CHANNEL_FD		4
#define HELPER_PLAIN_FD			5

/* How long to wait for word that the helper's exec failed. */
#define HELPER_START_TIMEOUT_MS	10000

typedef struct HelperName
{
	int			kind;			/* GOTLS_NAME_* */
	const char *value;			/* into outcome; not NUL-terminated */
	uint32		len;
} HelperName;

typedef struct HelperSession
{
	PGconn	   *conn;
	gotls_read_fn read_fn;
	gotls_write_fn write_fn;
	int			channel;		/* the channel's libpq end, or -1 */
	gotls_buffered buffered;	/* nothing is ever buffered here */

	/* the outcome message, as it arrives */
	char		header[8];
	size_t		header_got;
	char	   *outcome;
	uint32		outcome_len;
	size_t		outcome_got;
	bool		established;

	/* parsed from outcome on success */
	int			cert_requested;
	int			cert_sent;
	int			nattributes;
	const char *attribute_names[16];
	uint32		attribute_name_lens[16];
	const char *attribute_values[16];
	uint32		attribute_value_lens[16];
	int			nnames;
	HelperName *names;
	const char *hash;
	uint32		hash_len;
	const char *hash_error;
	uint32		hash_error_len;

	/* the last failure */
	int			error_kind;
	int			error_errno;
	char		error_message[1024];
} HelperSession;

static void
fail(HelperSession *h, int kind, int err, const char *msg, size_t len)
{
	h->error_kind = kind;
	h->error_errno = err;
	if (len >= sizeof(h->error_message))
		len = sizeof(h->error_message) - 1;
	memcpy(h->error_message, msg, len);
	h->error_message[len] = '\0';
}

/* --- encoding ---------------------------------------------------------- */

typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} Buf;

static void
put(Buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap)
	{
		size_t		cap = Max(b->cap * 2, b->len + n + 256);
		char	   *d = realloc(b->data, cap);

		if (d == NULL)
		{
			b->oom = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
put_u32(Buf *b, uint32 v)
{
	put(b, &v, sizeof(v));
}

/* Big-endian, for the state (tls/record/state.go). */
static void
put_be(Buf *b, uint64 v, int bytes)
{
	uint64		be = pg_hton64(v);

	put(b, (char *) &be + sizeof(be) - bytes, bytes);
}

static void
put_str(Buf *b, const char *s)
{
	if (s == NULL)
	{
		put_u32(b, HELPER_NO_STRING);
		return;
	}
	put_u32(b, (uint32) strlen(s));
	put(b, s, strlen(s));
}

/* A cursor over a received message. */
typedef struct Cursor
{
	const char *p;
	size_t		left;
	bool		bad;
} Cursor;

static uint32
get_u32(Cursor *c)
{
	uint32		v = 0;

	if (c->left < sizeof(v))
		c->bad = true;
	if (c->bad)
		return 0;
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	c->left -= sizeof(v);
	return v;
}

/* A string: NULL for none (or a malformed message), with its length. */
static const char *
get_str(Cursor *c, uint32 *len)
{
	uint32		n = get_u32(c);
	const char *s;

	*len = 0;
	if (c->bad || n == HELPER_NO_STRING)
		return NULL;
	if (n > c->left)
	{
		c->bad = true;
		return NULL;
	}
	s = c->p;
	c->p += n;
	c->left -= n;
	*len = n;
	return s;
}

/* --- starting the helper ------------------------------------------------- */

/*
 * The helper executable, beside the libpq that is running; found once per
 * process, or "" if it cannot be.
 */
static char helper_executable[MAXPGPATH];
static pthread_once_t helper_executable_once = PTHREAD_ONCE_INIT;

static void
find_helper_executable(void)
{
	Dl_info		self;
	const char *slash;

	if (dladdr((void *) find_helper_executable, &self) == 0 || self.dli_fname == NULL)
		return;
	slash = strrchr(self.dli_fname, '/');
	if (slash == NULL ||
		snprintf(helper_executable, sizeof(helper_executable), "%.*s/%s",
				 (int) (slash - self.dli_fname), self.dli_fname,
				 HELPER_NAME) >= (int) sizeof(helper_executable))
		helper_executable[0] = '\0';
}

/*
 * In the grandchild: put the sockets at the helper's descriptors, close
 * every other one, and exec.  Only async-signal-safe calls: the program
 * may have had other threads.  libpq may not call exit() or _exit() (the
 * libpq-refs-stamp check), so a failure ends the process with SIGKILL;
 * the parent sees the exec's errno on errpipe, or its end of file.
 */
static void
exec_helper(const char *path, int devnull, int tcp, int channel, int plain,
			int errpipe)
{
	char	   *const argv[] = {(char *) HELPER_NAME, NULL};
	extern char **environ;
	sigset_t	none;
	int			from[5] = {devnull, tcp, channel, plain, errpipe};
	int			err;

	/* Out of the way first: the targets may be any of them. */
	for (int i = 0; i < lengthof(from); i++)
	{
		from[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 10);
		if (from[i] < 0)
			goto fail;
	}
	if (dup2(from[0], 0) < 0 || dup2(from[0], 1) < 0 || dup2(from[0], 2) < 0 ||
		dup2(from[1], HELPER_TCP_FD) < 0 ||
		dup2(from[2], HELPER_CHANNEL_FD) < 0 ||
		dup2(from[3], HELPER_PLAIN_FD) < 0)
		goto fail;
	if (dup3(from[4], 6, O_CLOEXEC) < 0)
		goto fail;
	errpipe = 6;
	if (syscall(SYS_close_range, 7, ~0U, 0) != 0)
		goto fail;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, environ);
fail:
	err = errno;
	if (write(errpipe, &err, sizeof(err)) < 0)
	{
		/* the parent then sees end of file, and the helper's absence */
	}
	kill(getpid(), SIGKILL);
}

/*
 * Start the helper on tcp, channel and plain: fork, fork again and exec,
 * so that the helper belongs to init.  Returns 0, or an errno.
 */
static int
spawn_helper(const char *path, int tcp, int channel, int plain)
{
	int			devnull;
	int			errpipe[2];
	pid_t		pid;
	int			status;
	int			err = 0;
	ssize_t		n;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return errno;
	if (pipe2(errpipe, O_CLOEXEC) != 0)
	{
		err = errno;
		close(devnull);
		return err;
	}
	pid = fork();
	if (pid == 0)
	{
		pid_t		helper = fork();

		if (helper == 0)
			exec_helper(path, devnull, tcp, channel, plain, errpipe[1]);
		if (helper < 0)
		{
			err = errno;
			if (write(errpipe[1], &err, sizeof(err)) < 0)
			{
				/* as in exec_helper */
			}
		}
		kill(getpid(), SIGKILL);
	}
	if (pid < 0)
		err = errno;
	close(errpipe[1]);
	close(devnull);
	if (pid > 0)
	{
		struct pollfd pfd = {.fd = errpipe[0], .events = POLLIN};

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			continue;

		/*
		 * The exec's errno, or end of file once it has succeeded.  A child
		 * that another thread forked meanwhile holds the pipe too, until it
		 * execs or exits: so wait a bounded time, and after it take the
		 * helper as started (if it was not, the handshake says so).
		 */
		while ((n = poll(&pfd, 1, HELPER_START_TIMEOUT_MS)) < 0 && errno == EINTR)
			continue;
		if (n > 0)
		{
			do
				n = read(errpipe[0], &err, sizeof(err));
			while (n < 0 && errno == EINTR);
			if (n != sizeof(err))
				err = (n == 0) ? 0 : EIO;
		}
	}
	close(errpipe[0]);
	return err;
}

static void
encode_options(Buf *b, gotls_client_options_c *o)
{
	put_u32(b, HELPER_OPTIONS_MAGIC);
	put_u32(b, o->sslsni ? 1 : 0);
	put_str(b, o->host);
	put_str(b, o->sslmode);
	put_str(b, o->sslrootcert);
	put_str(b, o->sslcert);
	put_str(b, o->sslkey);
	put_str(b, o->sslpassword);
	put_str(b, o->sslcrl);
	put_str(b, o->sslcrldir);
	put_str(b, o->sslcertmode);
	put_str(b, o->ssl_min_protocol_version);
	put_str(b, o->ssl_max_protocol_version);
	put_str(b, o->sslkeylogfile);
	put_str(b, o->homedir);
}

/*
 * The state message: the magic, then carry in tls/record/state.go's
 * encoding of a record.State.
 */
static void
encode_state(Buf *b, const gotls_carry *c)
{
	static const char state_magic[8] = {'P', 'G', 'T', 'L', 'S', '1', '3', 1};
	const unsigned char *bytes[3] = {c->plaintext, c->handshake, c->input};
	size_t		lens[3] = {c->plaintext_len, c->handshake_len, c->input_len};

	put_u32(b, HELPER_STATE_MAGIC);
	put(b, state_magic, sizeof(state_magic));
	put_be(b, c->client ? 1 : 0, 1);
	put_be(b, c->suite, 2);
	put_be(b, c->useless, 2);
	put_be(b, c->read_seq, 8);
	put_be(b, c->write_seq, 8);
	put_be(b, c->secret_len, 1);
	put(b, c->read_secret, c->secret_len);
	put_be(b, c->secret_len, 1);
	put(b, c->write_secret, c->secret_len);
	for (int i = 0; i < lengthof(bytes); i++)
	{
		put_be(b, lens[i], 4);
		put(b, bytes[i], lens[i]);
	}
}

/*
 * Start a helper on conn's socket with first, the options or the state,
 * as its first message.  first is cleared and freed (it holds
 * sslpassword, or the session's secrets).
 */
static HelperSession *
start_helper(PGconn *conn, Buf *first, gotls_read_fn read_fn,
			 gotls_write_fn write_fn, char *errbuf, size_t errlen)
{
	HelperSession *h;
	const char *path = helper_executable;
	int			channel[2] = {-1, -1};
	int			plain[2] = {-1, -1};
	int			fdflags;
	int			err;
	const char *what;

	pthread_once(&helper_executable_once, find_helper_executable);
	h = calloc(1, sizeof(HelperSession));
	what = "could not start the TLS helper \"%s\": %s";
	if (path[0] == '\0')
		err = ENOENT;			/* libpq's own path unknown */
	else if (h == NULL || first->oom)
		err = ENOMEM;
	else if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) != 0 ||
			 socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, plain) != 0)
		err = errno;
	else if (send(channel[0], first->data, first->len, MSG_NOSIGNAL) != (ssize_t) first->len)
		err = errno ? errno : EMSGSIZE;
	else
		err = spawn_helper(path, conn->sock, channel[1], plain[1]);
	explicit_bzero(first->data, first->len);
	free(first->data);

	/*
	 * The plaintext socket takes the TCP socket's place (and descriptor
	 * number, close-on-exec flag and all); the helper holds the TCP socket
	 * now.
	 */
	fdflags = fcntl(conn->sock, F_GETFD);
	if (err == 0 &&
		(dup3(plain[0], conn->sock, (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0 ||
		 !pg_set_noblock(conn->sock)))
	{
		err = errno;
		what = "could not hand the connection to the TLS helper \"%s\": %s";
	}
	for (int i = 0; i < 2; i++)
	{
		if (plain[i] >= 0)
			close(plain[i]);
	}
	if (channel[1] >= 0)
		close(channel[1]);
	if (err != 0)
	{
		char		sebuf[PG_STRERROR_R_BUFLEN];

		snprintf(errbuf, errlen, what, path[0] ? path : HELPER_NAME,
				 strerror_r(err, sebuf, sizeof(sebuf)));
		if (channel[0] >= 0)
			close(channel[0]);
		free(h);
		return NULL;
	}
	h->conn = conn;
	h->read_fn = read_fn;
	h->write_fn = write_fn;
	h->buffered.exact = 1;
	h->channel = channel[0];
	return h;
}

static gotls_session
helper_client_new(gotls_client_options_c *opts, gotls_read_fn read_fn,
				  gotls_write_fn write_fn, void *io_ctx,
				  char *errbuf, size_t errlen)
{
	Buf			options = {0};

	encode_options(&options, opts);
	return (gotls_session) start_helper((PGconn *) io_ctx, &options, read_fn, write_fn,
										errbuf, errlen);
}

/*
 * Carry on, through a helper, the session whose state is carry: one that
 * this process's parent established in process before it forked.  The
 * session is established as it starts.
 */
gotls_session
pggotls_helper_carry(const gotls_carry *carry, gotls_read_fn read_fn,
					 gotls_write_fn write_fn, void *io_ctx,
					 char *errbuf, size_t errlen)
{
	Buf			state = {0};
	HelperSession *h;

	encode_state(&state, carry);
	h = start_helper((PGconn *) io_ctx, &state, read_fn, write_fn, errbuf, errlen);
	if (h != NULL)
		h->established = true;
	return (gotls_session) h;
}

/* --- the handshake's outcome --------------------------------------------- */

/*
 * Read what has arrived of n bytes into dst; false at end of file, or on
 * an error other than "nothing yet".
 */
static bool
read_some(HelperSession *h, char *dst, size_t n, size_t *got)
{
	while (*got < n)
	{
		ssize_t		r = recv(h->conn->sock, dst + *got, n - *got, 0);

		if (r > 0)
			*got += r;
		else if (r < 0 && errno == EINTR)
			continue;
		else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		else
			return false;
	}
	return true;
}

/*
 * A failure of the server's socket, which the helper read: libpq's own
 * socket reads describe one (pqsecure_raw_read) before the TLS code sees
 * it, so this does the same, in the same words.
 */
static void
describe_transport(HelperSession *h)
{
	char		sebuf[PG_STRERROR_R_BUFLEN];

	if (h->error_errno == EPIPE || h->error_errno == ECONNRESET)
		libpq_append_conn_error(h->conn, "server closed the connection unexpectedly\n"
								"\tThis probably means the server terminated abnormally\n"
								"\tbefore or while processing the request.");
	else
		libpq_append_conn_error(h->conn, "could not receive data from server: %s",
								SOCK_STRERROR(h->error_errno, sebuf, sizeof(sebuf)));
}

static void
helper_gone(HelperSession *h)
{
	const char *msg = "the TLS helper process exited unexpectedly";

	fail(h, GOTLS_ERR_TLS, 0, msg, strlen(msg));
}

static bool
parse_outcome(HelperSession *h)
{
	Cursor		c = {h->outcome, h->outcome_len, false};
	int			code = (int) get_u32(&c);
	int			err = (int) get_u32(&c);
	uint32		len;
	const char *msg = get_str(&c, &len);

	if (!c.bad && code != GOTLS_ERR_NONE)
	{
		fail(h, code, err, msg ? msg : "", len);
		if (code == GOTLS_ERR_TRANSPORT)
			describe_transport(h);
		return false;
	}
	h->cert_requested = (int) get_u32(&c);
	h->cert_sent = (int) get_u32(&c);
	h->nattributes = (int) get_u32(&c);
	if (h->nattributes > lengthof(h->attribute_names))
		c.bad = true;
	for (int i = 0; !c.bad && i < h->nattributes; i++)
	{
		h->attribute_names[i] = get_str(&c, &h->attribute_name_lens[i]);
		h->attribute_values[i] = get_str(&c, &h->attribute_value_lens[i]);
	}
	h->nnames = (int) get_u32(&c);
	if (!c.bad && h->nnames > 0 && (size_t) h->nnames <= c.left)
		h->names = calloc(h->nnames, sizeof(HelperName));
	if (h->nnames > 0 && h->names == NULL)
		c.bad = true;
	for (int i = 0; !c.bad && i < h->nnames; i++)
	{
		h->names[i].kind = (int) get_u32(&c);
		h->names[i].value = get_str(&c, &h->names[i].len);
	}
	h->hash = get_str(&c, &h->hash_len);
	h->hash_error = get_str(&c, &h->hash_error_len);
	if (c.bad || c.left != 0)
	{
		const char *bad = "malformed message from the TLS helper process";

		fail(h, GOTLS_ERR_TLS, 0, bad, strlen(bad));
		return false;
	}
	return true;
}

static int
helper_handshake(gotls_session s)
{
	HelperSession *h = (HelperSession *) s;

	if (h->established)
		return GOTLS_OK;
	if (h->error_kind != GOTLS_ERR_NONE)
		return GOTLS_ERROR;
	if (!read_some(h, h->header, sizeof(h->header), &h->header_got))
	{
		helper_gone(h);
		return GOTLS_ERROR;
	}
	if (h->header_got < sizeof(h->header))
		return GOTLS_WANT_READ;
	if (h->outcome == NULL)
	{
		uint32		magic;

		memcpy(&magic, h->header, sizeof(magic));
		memcpy(&h->outcome_len, h->header + 4, sizeof(h->outcome_len));
		if (magic != HELPER_OUTCOME_MAGIC || h->outcome_len > HELPER_MAX_OUTCOME)
		{
			const char *bad = "malformed message from the TLS helper process";

			fail(h, GOTLS_ERR_TLS, 0, bad, strlen(bad));
			return GOTLS_ERROR;
		}
		h->outcome = malloc(Max(h->outcome_len, 1));
		if (h->outcome == NULL)
		{
			fail(h, GOTLS_ERR_CONFIG, 0, "out of memory", strlen("out of memory"));
			return GOTLS_ERROR;
		}
	}
	if (!read_some(h, h->outcome, h->outcome_len, &h->outcome_got))
	{
		helper_gone(h);
		return GOTLS_ERROR;
	}
	if (h->outcome_got < h->outcome_len)
		return GOTLS_WANT_READ;
	if (!parse_outcome(h))
		return GOTLS_ERROR;
	h->established = true;
	return GOTLS_OK;
}

/* --- the data path --------------------------------------------------------- */

/*
 * The plaintext stream ended or failed: the reason is on the channel,
 * sent before the helper shut the stream; none there means the helper
 * died.
 */
static void
stream_ended(HelperSession *h)
{
	char		msg[2048];
	ssize_t		n;

	if (h->error_kind != GOTLS_ERR_NONE)
		return;
	do
		n = recv(h->channel, msg, sizeof(msg), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0)
	{
		Cursor		c = {msg, n, false};
		uint32		magic = get_u32(&c);
		int			code = (int) get_u32(&c);
		int			err = (int) get_u32(&c);
		uint32		len;
		const char *text = get_str(&c, &len);

		if (!c.bad && magic == HELPER_END_MAGIC && code != GOTLS_ERR_NONE)
		{
			fail(h, code, err, text ? text : "", len);
			if (code == GOTLS_ERR_TRANSPORT)
				describe_transport(h);
			return;
		}
	}
	helper_gone(h);
}

/*
 * The result of a read or write on the plaintext stream, as gotls_read and
 * gotls_write return it: a count, 0 for "not now", or -1 once the stream
 * has ended (with the reason from the channel).
 */
static ssize_t
stream_result(HelperSession *h, ssize_t n)
{
	if (n > 0)
		return n;
	if (n < 0 && (SOCK_ERRNO == EAGAIN || SOCK_ERRNO == EWOULDBLOCK || SOCK_ERRNO == EINTR))
		return 0;
	stream_ended(h);
	return -1;
}

static ssize_t
helper_read(gotls_session s, void *buf, size_t len)
{
	HelperSession *h = (HelperSession *) s;

	return len == 0 ? 0 : stream_result(h, h->read_fn(h->conn, buf, len));
}

static ssize_t
helper_read_received(gotls_session s, ssize_t got, int err, void *buf, size_t len)
{
	/* No read space is ever offered (buffered.read_space is NULL). */
	return helper_read(s, buf, len);
}

static ssize_t
helper_write(gotls_session s, gotls_cchar *buf, size_t len)
{
	HelperSession *h = (HelperSession *) s;

	return len == 0 ? 0 : stream_result(h, h->write_fn(h->conn, buf, len));
}

static ssize_t
helper_pending(gotls_session s)
{
	return 0;
}

static gotls_cbuffered *
helper_buffered_state(gotls_session s)
{
	return &((HelperSession *) s)->buffered;
}

static int
helper_last_error(gotls_session s, int *errno_out, char *buf, size_t len)
{
	HelperSession *h = (HelperSession *) s;

	if (errno_out != NULL)
		*errno_out = h->error_kind == GOTLS_ERR_TRANSPORT ? h->error_errno : 0;
	strlcpy(buf, h->error_message, len);
	return h->error_kind;
}

/* --- what the session knows ------------------------------------------------ */

/* Copy n bytes and a NUL, as the library's exports do: the length, or -1. */
static ssize_t
copy_out(const char *src, uint32 n, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return n;
	if (n >= len)
		return -1;
	memcpy(buf, src, n);
	buf[n] = '\0';
	return n;
}

static ssize_t
helper_attribute(gotls_session s, gotls_cchar *name, char *buf, size_t len)
{
	HelperSession *h = (HelperSession *) s;

	if (!h->established || name == NULL)
		return -1;
	for (int i = 0; i < h->nattributes; i++)
	{
		if (h->attribute_names[i] != NULL && h->attribute_values[i] != NULL &&
			strlen(name) == h->attribute_name_lens[i] &&
			memcmp(name, h->attribute_names[i], h->attribute_name_lens[i]) == 0)
			return copy_out(h->attribute_values[i], h->attribute_value_lens[i], buf, len);
	}
	return -1;
}

static ssize_t
helper_peer_name(gotls_session s, int index, int *kind, char *buf, size_t len)
{
	HelperSession *h = (HelperSession *) s;

	if (!h->established || index < 0 || index >= h->nnames || h->names[index].value == NULL)
		return -1;
	if (kind != NULL)
		*kind = h->names[index].kind;
	return copy_out(h->names[index].value, h->names[index].len, buf, len);
}

static ssize_t
helper_peer_certificate_hash(gotls_session s, char *buf, size_t len,
							 char *errbuf, size_t errlen)
{
	HelperSession *h = (HelperSession *) s;

	if (!h->established || h->hash == NULL)
	{
		const char *why = h->hash_error ? h->hash_error : "no peer certificate";
		uint32		n = h->hash_error ? h->hash_error_len : strlen(why);

		snprintf(errbuf, errlen, "%.*s", (int) n, why);
		return -1;
	}
	if (len < h->hash_len)
	{
		snprintf(errbuf, errlen, "buffer too small for certificate hash");
		return -1;
	}
	memcpy(buf, h->hash, h->hash_len);
	return h->hash_len;
}

static int
helper_cert_requested(gotls_session s)
{
	return ((HelperSession *) s)->cert_requested != 0;
}

static int
helper_cert_sent(gotls_session s)
{
	return ((HelperSession *) s)->cert_sent != 0;
}

/*
 * The plaintext socket is libpq's to close, as the TCP socket was; the
 * helper ends when it does (and sends close_notify first).
 */
static void
helper_close(gotls_session s)
{
	HelperSession *h = (HelperSession *) s;

	if (h->channel >= 0)
		close(h->channel);
	free(h->outcome);
	free(h->names);
	free(h);
}

static const GoTLSLibrary helper_library = {
	.client_new = helper_client_new,
	.handshake = helper_handshake,
	.read = helper_read,
	.read_received = helper_read_received,
	.pending = helper_pending,
	.buffered_state = helper_buffered_state,
	.write = helper_write,
	.last_error = helper_last_error,
	.attribute = helper_attribute,
	.peer_name = helper_peer_name,
	.peer_certificate_hash = helper_peer_certificate_hash,
	.cert_requested = helper_cert_requested,
	.cert_sent = helper_cert_sent,
	.close = helper_close,
};

const GoTLSLibrary *
pggotls_helper_library(void)
{
	return &helper_library;
}

/* PGGOTLS_HELPER=1: every TLS connection through the helper. */
bool
pggotls_helper_forced(void)
{
	const char *v = getenv("PGGOTLS_HELPER");

	return v != NULL && strcmp(v, "1") == 0;
}
