/*-------------------------------------------------------------------------
 *
 * be-gotls-tlsd.c
 *	  The postmaster's side of pg_tlsd, the TLS process of --with-ssl=go
 *
 * pg_tlsd terminates TLS for every connection (docs/process-model.md in
 * pg-gotls).  The postmaster starts it with fork+exec, never plain fork:
 * Go's runtime must not run in a process the postmaster forks.  It gets
 * two sockets:
 *
 *	descriptor 3, the control socket (a stream): the postmaster sends each
 *		configuration snapshot be_tls_init loads, and the daemon answers
 *		whether it is in force.  When the postmaster exits, the daemon sees
 *		the socket close, stops taking connections and exits when its last
 *		session ends.
 *	descriptor 4, the request socket (SOCK_SEQPACKET): the other end stays
 *		open in the postmaster for the backends it forks, which send their
 *		clients' sockets on it (be-secure-gotls.c).
 *
 * If the daemon dies, the postmaster's reaper calls be_gotls_reap_child,
 * which logs it and starts a new one with the configuration in force.  The
 * sessions it was relaying end (their backends read end-of-file); the
 * server and the other backends go on, with no crash recovery: no shared
 * memory was touched.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/backend/libpq/be-gotls-tlsd.c
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "be-gotls.h"
#include "libpq/libpq.h"
#include "miscadmin.h"
#include "postmaster/fork_process.h"
#include "utils/timestamp.h"

/* How long the postmaster waits for the daemon to take a configuration. */
#define TLSD_CONFIG_TIMEOUT_MS	30000

static pid_t tlsd_pid = 0;

/*
 * Whether the daemon has put a configuration in force.  One that dies
 * before that would most likely die again at once, so it is not restarted
 * until the next reload; one that dies later was serving and is.
 */
static bool tlsd_served = false;

/*
 * Daemons killed because their control socket failed, until the reaper
 * collects them: their exit is expected and they are not restarted.
 */
#define TLSD_MAX_RETIRED 8
static pid_t retired_pids[TLSD_MAX_RETIRED];

static pgsocket control_sock = PGINVALID_SOCKET;	/* postmaster only */
static pgsocket request_sock = PGINVALID_SOCKET;	/* inherited by backends */

static void
close_sockets(void)
{
	if (control_sock != PGINVALID_SOCKET)
		close(control_sock);
	if (request_sock != PGINVALID_SOCKET)
		close(request_sock);
	control_sock = request_sock = PGINVALID_SOCKET;
}

/*
 * The forked child: put the two sockets at descriptors 3 and 4, close
 * everything else the postmaster had open, and exec pg_tlsd.
 */
pg_noreturn static void
exec_tlsd(const char *path, int control, int request)
{
	sigset_t	none;
	int			devnull;

	/* Above 4 first, so that neither dup2 below overwrites the other. */
	control = fcntl(control, F_DUPFD, 10);
	request = fcntl(request, F_DUPFD, 10);
	if (control < 0 || request < 0 ||
		dup2(control, 3) < 0 || dup2(request, 4) < 0)
		_exit(126);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0 && devnull != 0)
	{
		dup2(devnull, 0);
		close(devnull);
	}
	closefrom(5);

	/* The postmaster may have signals blocked; the daemon starts clean. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* The data directory is there for ps, to tell servers apart. */
	execl(path, PGGOTLS_TLSD_NAME, DataDir, (char *) NULL);
	/* stderr is the server log */
	dprintf(2, "could not execute \"%s\": %s\n", path, strerror(errno));
	_exit(127);
}

/* Start the daemon; false (reported at elevel) on failure. */
static bool
start_tlsd(int elevel)
{
	char		path[MAXPGPATH];
	int			control[2];
	int			request[2];
	pid_t		pid;

	strlcpy(path, my_exec_path, sizeof(path));
	get_parent_directory(path);
	join_path_components(path, path, PGGOTLS_TLSD_NAME);
	if (access(path, X_OK) != 0)
	{
		ereport(elevel,
				(errcode_for_file_access(),
				 errmsg("could not find the TLS process executable \"%s\": %m", path)));
		return false;
	}

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0)
	{
		ereport(elevel,
				(errcode_for_socket_access(),
				 errmsg("could not create a socket pair for the TLS process: %m")));
		return false;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, request) != 0)
	{
		ereport(elevel,
				(errcode_for_socket_access(),
				 errmsg("could not create a socket pair for the TLS process: %m")));
		close(control[0]);
		close(control[1]);
		return false;
	}

	pid = fork_process();
	if (pid == 0)
		exec_tlsd(path, control[1], request[1]);
	close(control[1]);
	close(request[1]);
	if (pid < 0)
	{
		ereport(elevel,
				(errmsg("could not fork the TLS process: %m")));
		close(control[0]);
		close(request[0]);
		return false;
	}

	close_sockets();
	control_sock = control[0];
	request_sock = request[0];
	tlsd_pid = pid;
	tlsd_served = false;
	ereport(DEBUG1,
			(errmsg_internal("started the TLS process \"%s\" (PID %d)", path, (int) pid)));
	return true;
}

/*
 * Write or read all of len bytes on the control socket by the deadline.
 * On failure, returns false with errno set (ETIMEDOUT at the deadline,
 * EPIPE when the daemon closed its end).
 */
static bool
control_io(bool writing, void *buf, size_t len, TimestampTz deadline)
{
	char	   *p = buf;

	while (len > 0)
	{
		struct pollfd pfd = {.fd = control_sock,.events = writing ? POLLOUT : POLLIN};
		long		ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		ssize_t		n;
		int			rc;

		if (ms <= 0)
		{
			errno = ETIMEDOUT;
			return false;
		}
		rc = poll(&pfd, 1, (int) ms);
		if (rc < 0 && errno != EINTR)
			return false;
		if (rc <= 0)
			continue;
		if (writing)
			n = send(control_sock, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = recv(control_sock, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n == 0)
			errno = EPIPE;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/*
 * Kill a daemon whose control socket failed, and forget it.  After a
 * timeout or a short write, the stream is out of step: a late answer would
 * be read as the answer to the next configuration, or the rest of a
 * half-sent one as the start of the next.  Only a fresh daemon and a fresh
 * socket are known to be in step.  The sessions it relayed end, as when
 * it crashes.
 */
static void
retire_tlsd(void)
{
	/*
	 * Killed only if the reaper will know it: the postmaster treats a child
	 * it does not know that dies by a signal as a crash of the server.
	 * Without a free slot (eight retired daemons not yet reaped), closing
	 * its control socket alone makes it stop taking connections and exit,
	 * with status 0, when its sessions end.
	 */
	for (int i = 0; i < TLSD_MAX_RETIRED; i++)
	{
		if (retired_pids[i] == 0)
		{
			if (kill(tlsd_pid, SIGKILL) == 0)
				retired_pids[i] = tlsd_pid;
			break;
		}
	}
	tlsd_pid = 0;
	close_sockets();
}

/* Send a snapshot and wait for the daemon's answer. */
static bool
send_config(const void *snapshot, size_t len, int elevel)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   TLSD_CONFIG_TIMEOUT_MS);
	struct
	{
		uint32		magic;
		uint32		reserved;
		uint64		len;
	}			header = {TLSD_CONFIG_MAGIC, 0, len};
	struct
	{
		uint32		magic;
		int32		status;
		uint32		len;
	}			ack;
	char		reason[512] = "";

	if (!control_io(true, &header, sizeof(header), deadline) ||
		!control_io(true, (void *) snapshot, len, deadline) ||
		!control_io(false, &ack, sizeof(ack), deadline) ||
		ack.magic != TLSD_ACK_MAGIC ||
		ack.len >= sizeof(reason) ||
		!control_io(false, reason, ack.len, deadline))
	{
		pid_t		pid = tlsd_pid;
		int			save_errno = errno;

		/* Retired first: at elevel FATAL, ereport does not return. */
		retire_tlsd();
		errno = save_errno;
		ereport(elevel,
				(errmsg("could not pass the SSL configuration to the TLS process (PID %d): %m",
						(int) pid),
				 errdetail("The TLS process is replaced by a new one; the SSL connections it served are closed.")));
		return false;
	}
	if (ack.status != 0)
	{
		reason[ack.len] = '\0';
		ereport(elevel,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("the TLS process refused the SSL configuration: %s", reason)));
		return false;
	}
	tlsd_served = true;
	return true;
}

/*
 * be_gotls_tlsd_configure
 *		Put a configuration in force in the daemon, starting it if needed.
 *
 * Failures are reported at elevel; the daemon's previous configuration, if
 * any, stays in force.
 */
bool
be_gotls_tlsd_configure(const void *snapshot, size_t len, int elevel)
{
	if (tlsd_pid == 0 && !start_tlsd(elevel))
		return false;
	if (send_config(snapshot, len, elevel))
		return true;
	if (tlsd_pid != 0)
		return false;			/* refused: the previous configuration stays */

	/* The control socket failed and the daemon was retired: once more. */
	if (!start_tlsd(elevel) || !send_config(snapshot, len, elevel))
		return false;
	ereport(LOG,
			(errmsg("TLS process replaced (PID %d)", (int) tlsd_pid)));
	return true;
}

/*
 * be_gotls_reap_child
 *		The postmaster's reaper: true if pid was the daemon, which is then
 *		restarted with the configuration in force.
 */
bool
be_gotls_reap_child(pid_t pid, int exitstatus)
{
	const void *snapshot;
	size_t		len;

	for (int i = 0; i < TLSD_MAX_RETIRED; i++)
	{
		if (retired_pids[i] != 0 && pid == retired_pids[i])
		{
			retired_pids[i] = 0;
			ereport(DEBUG1,
					(errmsg_internal("retired TLS process (PID %d) has exited", (int) pid)));
			return true;
		}
	}
	if (tlsd_pid == 0 || pid != tlsd_pid)
		return false;

	tlsd_pid = 0;
	close_sockets();
	if (WIFSIGNALED(exitstatus))
		ereport(LOG,
				(errmsg("TLS process (PID %d) was terminated by signal %d: %s",
						(int) pid, WTERMSIG(exitstatus), pg_strsignal(WTERMSIG(exitstatus))),
				 errdetail("The SSL connections it served were closed.")));
	else
		ereport(LOG,
				(errmsg("TLS process (PID %d) exited with exit code %d",
						(int) pid, WEXITSTATUS(exitstatus)),
				 errdetail("The SSL connections it served were closed.")));

	if (!be_gotls_snapshot(&snapshot, &len))
		return true;			/* SSL was turned off: start it when needed */
	if (!tlsd_served)
	{
		ereport(LOG,
				(errmsg("TLS process exited before it took a configuration; not restarting it"),
				 errhint("New SSL connections fail until the configuration is reloaded.")));
		return true;
	}
	if (be_gotls_tlsd_configure(snapshot, len, LOG))
		ereport(LOG,
				(errmsg("TLS process restarted (PID %d)", (int) tlsd_pid)));
	return true;
}

/*
 * be_gotls_close_postmaster_sockets
 *		In every child of the postmaster: only the postmaster talks to the
 *		daemon's control socket, and only the postmaster needs the
 *		configuration's private key.
 */
void
be_gotls_close_postmaster_sockets(void)
{
	if (control_sock != PGINVALID_SOCKET)
		close(control_sock);
	control_sock = PGINVALID_SOCKET;
	tlsd_pid = 0;
	be_gotls_forget_snapshot();
}

/*
 * be_gotls_tlsd_request_socket
 *		Where a backend sends its connection; PGINVALID_SOCKET if the daemon
 *		was not running when the backend was forked.
 */
pgsocket
be_gotls_tlsd_request_socket(void)
{
	return request_sock;
}
