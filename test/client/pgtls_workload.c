/*
 * pgtls_workload: drive libpq through everything that moves data, on a
 * non-blocking connection, and check every byte.  Run under faultshim.so
 * it shows that the TLS layer survives EAGAIN, EINTR and short counts at
 * any point.
 *
 * usage: pgtls_workload CONNINFO [carry]
 *
 *   1. connect with PQconnectStart / PQconnectPoll and poll(); with
 *      "carry", fork, and do the rest in the child, on the connection it
 *      inherited: its TLS session is carried on by a helper process
 *   2. a query whose result is over 1 MB
 *   3. COPY FROM STDIN of 2 MB in non-blocking mode, checked by the server
 *   4. COPY TO STDOUT of 1.5 MB
 *   5. pipeline mode: 64 parameterized queries, then a sync
 *
 * Prints "ok" and exits 0 when all is well; otherwise says what went wrong
 * and exits 1.  A hang is caught by alarm().
 *
 * A wait that sees no progress for POLL_TIMEOUT_MS is a hang.  poll() is
 * retried on EINTR: the Go runtime in this process sends signals (its
 * preemption uses SIGURG), and a wait cut short is not a timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"

#define POLL_TIMEOUT_MS 60000
#define ROWS 1500
#define COPY_IN_ROWS 2000

static PGconn *conn;
static const char *conninfo_arg;
static const char *phase = "start";

static void
die(const char *what)
{
	printf("FAIL in %s: %s: %s", phase, what, conn ? PQerrorMessage(conn) : "\n");
	exit(1);
}

/* The row content both sides can compute: letter and length from g. */
static int
row_len(int g)
{
	return 1000 + g % 100;
}

static int
row_ok(int g, const char *v, int len)
{
	if (len != row_len(g))
		return 0;
	for (int i = 0; i < len; i++)
		if (v[i] != 'A' + g % 26)
			return 0;
	return 1;
}

static void
wait_socket(int for_write)
{
	struct pollfd p = {PQsocket(conn), for_write ? POLLOUT : POLLIN, 0};
	struct timespec start,
				now;
	int			left = POLL_TIMEOUT_MS;
	int			ready;
	int			poll_errno = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((ready = poll(&p, 1, left)) < 0 && (poll_errno = errno) == EINTR)
	{
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = POLL_TIMEOUT_MS - (int) ((now.tv_sec - start.tv_sec) * 1000 +
										(now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
		{
			ready = 0;
			break;
		}
	}
	if (ready <= 0)
	{
		int			inq = -1,
					outq = -1;

		/* Say where the bytes are, to tell a stuck client from a silent server. */
		ioctl(PQsocket(conn), FIONREAD, &inq);
		ioctl(PQsocket(conn), SIOCOUTQ, &outq);
		printf("waiting to %s; kernel queues: %d bytes in, %d bytes out; "
			   "PQisBusy %d, PQflush %d\n", for_write ? "write" : "read", inq, outq,
			   PQisBusy(conn), PQflush(conn));
		/*
		 * Both ends of the connection as the kernel sees them: unacked and
		 * queued bytes, retransmissions and back-off tell a stalled TCP
		 * stream from data our TLS layer holds.
		 */
		{
			struct sockaddr_storage me;
			socklen_t	len = sizeof(me);
			char		cmd[128];

			if (getsockname(PQsocket(conn), (struct sockaddr *) &me, &len) == 0)
			{
				snprintf(cmd, sizeof(cmd), "ss -tinoe '( sport = :%d or dport = :%d )'",
						 ntohs(((struct sockaddr_in *) &me)->sin_port),
						 ntohs(((struct sockaddr_in *) &me)->sin_port));
				fflush(stdout);
				if (system(cmd) != 0)
					printf("(ss failed)\n");
			}
		}
		/* And what the server is doing for us, seen from a new session. */
		{
			char		q[256];
			PGconn	   *other;
			int			busy_before = PQisBusy(conn);
			int			consumed = PQconsumeInput(conn);

			printf("PQconsumeInput %d; PQisBusy %d -> %d\n", consumed, busy_before, PQisBusy(conn));
			snprintf(q, sizeof(q), "%s sslmode=disable", conninfo_arg);
			other = PQconnectdb(q);
			PGresult   *r;

			snprintf(q, sizeof(q), "SELECT state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity WHERE pid = %d", PQbackendPID(conn));
			r = PQexec(other, q);
			if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
				printf("server: state %s, wait %s/%s, query %s\n", PQgetvalue(r, 0, 0),
					   PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
			else
				printf("server: %s", PQerrorMessage(other));
			PQclear(r);
			PQfinish(other);
		}
		die(ready == 0 ? "poll timed out" : strerror(poll_errno));
	}
}

static void
connect_nonblocking(const char *conninfo)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	conn = PQconnectStart(conninfo);
	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
		die("PQconnectStart");
	while (st != PGRES_POLLING_OK)
	{
		if (st == PGRES_POLLING_FAILED)
			die("connect");
		wait_socket(st == PGRES_POLLING_WRITING);
		st = PQconnectPoll(conn);
	}
	if (!PQsslInUse(conn))
		die("connection is not using TLS");
}

static PGresult *
exec_checked(const char *sql, ExecStatusType want)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != want)
		die(sql);
	return res;
}

static void
big_query(void)
{
	char		sql[256];
	PGresult   *res;

	snprintf(sql, sizeof(sql),
			 "SELECT g, repeat(chr(65 + g %% 26), 1000 + g %% 100) FROM generate_series(1, %d) g", ROWS);
	res = exec_checked(sql, PGRES_TUPLES_OK);
	if (PQntuples(res) != ROWS)
		die("big query: row count");
	for (int i = 0; i < ROWS; i++)
		if (atoi(PQgetvalue(res, i, 0)) != i + 1 ||
			!row_ok(i + 1, PQgetvalue(res, i, 1), PQgetlength(res, i, 1)))
			die("big query: row content");
	PQclear(res);
}

/* Flush in non-blocking mode, waiting for the socket as libpq asks. */
static void
flush_all(void)
{
	int			r;

	while ((r = PQflush(conn)) != 0)
	{
		if (r < 0)
			die("PQflush");
		wait_socket(1);
		if (!PQconsumeInput(conn))
			die("PQconsumeInput during flush");
	}
}

static PGresult *
get_result_nonblocking(void)
{
	while (PQisBusy(conn))
	{
		wait_socket(0);
		if (!PQconsumeInput(conn))
			die("PQconsumeInput");
	}
	return PQgetResult(conn);
}

static void
copy_in(void)
{
	char	   *line = malloc(64 + 1200);
	PGresult   *res;

	PQclear(exec_checked("CREATE TEMP TABLE tin (g int, t text)", PGRES_COMMAND_OK));
	if (PQsetnonblocking(conn, 1) != 0)
		die("PQsetnonblocking");
	if (!PQsendQuery(conn, "COPY tin FROM STDIN"))
		die("COPY FROM send");
	flush_all();
	res = get_result_nonblocking();
	if (PQresultStatus(res) != PGRES_COPY_IN)
		die("COPY FROM start");
	PQclear(res);
	for (int g = 1; g <= COPY_IN_ROWS; g++)
	{
		int			n = sprintf(line, "%d\t", g);
		int			r;

		memset(line + n, 'A' + g % 26, row_len(g));
		n += row_len(g);
		line[n++] = '\n';
		while ((r = PQputCopyData(conn, line, n)) == 0)
			wait_socket(1);
		if (r < 0)
			die("PQputCopyData");
	}
	if (PQputCopyEnd(conn, NULL) < 0)
		die("PQputCopyEnd");
	flush_all();
	res = get_result_nonblocking();
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("COPY FROM end");
	PQclear(res);
	while ((res = get_result_nonblocking()) != NULL)
		PQclear(res);
	if (PQsetnonblocking(conn, 0) != 0)
		die("PQsetnonblocking off");
	free(line);

	res = exec_checked("SELECT count(*), count(*) FILTER (WHERE t <> repeat(chr(65 + g % 26), 1000 + g % 100)) FROM tin",
					   PGRES_TUPLES_OK);
	if (atoi(PQgetvalue(res, 0, 0)) != COPY_IN_ROWS || atoi(PQgetvalue(res, 0, 1)) != 0)
		die("COPY FROM: server saw wrong rows");
	PQclear(res);
}

static void
copy_out(void)
{
	char		sql[256];
	char	   *buf;
	int			n;
	int			rows = 0;
	PGresult   *res;

	snprintf(sql, sizeof(sql),
			 "COPY (SELECT g, repeat(chr(65 + g %% 26), 1000 + g %% 100) FROM generate_series(1, %d) g) TO STDOUT", ROWS);
	PQclear(exec_checked(sql, PGRES_COPY_OUT));
	while ((n = PQgetCopyData(conn, &buf, 0)) > 0)
	{
		int			g = atoi(buf);
		char	   *tab = memchr(buf, '\t', n);

		rows++;
		if (g != rows || tab == NULL || buf[n - 1] != '\n' ||
			!row_ok(g, tab + 1, (int) (buf + n - 1 - (tab + 1))))
			die("COPY TO: row content");
		PQfreemem(buf);
	}
	if (n != -1 || rows != ROWS)
		die("COPY TO: end or row count");
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("COPY TO: result");
	PQclear(res);
	if (PQgetResult(conn) != NULL)
		die("COPY TO: expected end of results");
}

static void
pipeline(void)
{
	const int	n = 64;
	PGresult   *res;

	if (PQsetnonblocking(conn, 1) != 0 || !PQenterPipelineMode(conn))
		die("enter pipeline mode");
	for (int i = 0; i < n; i++)
	{
		char		len[16];
		const char *params[1] = {len};

		snprintf(len, sizeof(len), "%d", 1000 * (i + 1));
		if (!PQsendQueryParams(conn, "SELECT repeat('p', $1::int)", 1, NULL, params, NULL, NULL, 0))
			die("PQsendQueryParams");
	}
	if (!PQpipelineSync(conn))
		die("PQpipelineSync");
	flush_all();
	for (int i = 0; i < n; i++)
	{
		res = get_result_nonblocking();
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQgetlength(res, 0, 0) != 1000 * (i + 1))
			die("pipeline result");
		PQclear(res);
		if (get_result_nonblocking() != NULL)
			die("pipeline: expected end of results");
	}
	res = get_result_nonblocking();
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		die("pipeline sync");
	PQclear(res);
	if (!PQexitPipelineMode(conn) || PQsetnonblocking(conn, 0) != 0)
		die("exit pipeline mode");
}

int
main(int argc, char **argv)
{
	bool		carry = argc == 3 && strcmp(argv[2], "carry") == 0;

	if (argc != 2 && !carry)
	{
		fprintf(stderr, "usage: %s CONNINFO [carry]\n", argv[0]);
		return 2;
	}
	alarm(200);
	setvbuf(stdout, NULL, _IOLBF, 0);
	conninfo_arg = argv[1];
	phase = "connect";
	connect_nonblocking(argv[1]);
	if (carry)
	{
		pid_t		pid;
		int			status;

		phase = "fork";
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid > 0)
		{
			/* The connection is the child's now: the parent only waits. */
			if (waitpid(pid, &status, 0) != pid)
				die("waitpid");
			if (WIFSIGNALED(status))
				printf("FAIL: the child was killed by signal %d\n", WTERMSIG(status));
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		}
	}
	phase = "big query";
	big_query();
	phase = "COPY FROM STDIN";
	copy_in();
	phase = "COPY TO STDOUT";
	copy_out();
	phase = "pipeline";
	pipeline();
	PQfinish(conn);
	printf("ok\n");
	return 0;
}
