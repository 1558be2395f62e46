/*
 * pgtls_carry: one connection's data path, for make bench's table of the
 * ways a Go libpq connection can run: in process, through the helper
 * process, and carried on in a forked child (a TLS session inherited
 * across fork(), which a helper resumes: docs/fork.md).
 *
 * usage: pgtls_carry CONNINFO TRANSACTIONS COPY_ROWS [fork]
 *
 * Connects; with "fork", forks and does the rest in the child, on the
 * connection it inherited.  Then it times the first query (for a carried
 * session, that includes starting the helper and handing it the session),
 * TRANSACTIONS select-only transactions as pgbench -S runs them, and a
 * COPY TO STDOUT of COPY_ROWS rows of 1000 bytes, and prints
 *
 *   first_query_ms N
 *   tps N
 *   copy_s N
 *
 * Exits 1, saying why, if anything fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"

/* pgbench -i -s 10 */
#define ACCOUNTS 1000000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(PGconn *conn, const char *what)
{
	printf("FAIL: %s: %s", what, PQerrorMessage(conn));
	exit(1);
}

static void
query(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die(conn, sql);
	PQclear(res);
}

static void
run(PGconn *conn, long transactions, long copy_rows)
{
	char		sql[128];
	char	   *row;
	double		start;
	long		bytes = 0;
	int			n;
	PGresult   *res;

	start = now();
	query(conn, "SELECT 1");
	printf("first_query_ms %.2f\n", (now() - start) * 1e3);

	start = now();
	for (long i = 0; i < transactions; i++)
	{
		snprintf(sql, sizeof(sql), "SELECT abalance FROM pgbench_accounts WHERE aid = %ld",
				 1 + random() % ACCOUNTS);
		query(conn, sql);
	}
	printf("tps %.0f\n", transactions / (now() - start));

	snprintf(sql, sizeof(sql), "COPY (SELECT repeat('x', 999) FROM generate_series(1, %ld)) TO STDOUT", copy_rows);
	start = now();
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
		die(conn, "COPY");
	PQclear(res);
	while ((n = PQgetCopyData(conn, &row, 0)) > 0)
	{
		bytes += n;
		PQfreemem(row);
	}
	if (n != -1 || bytes != copy_rows * 1000)
		die(conn, "COPY data");
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(conn, "COPY end");
	PQclear(res);
	printf("copy_s %.3f\n", now() - start);
}

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	int			status;
	pid_t		pid;

	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "fork") != 0))
	{
		fprintf(stderr, "usage: %s CONNINFO TRANSACTIONS COPY_ROWS [fork]\n", argv[0]);
		return 2;
	}
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
		die(conn, "connect");
	if (argc == 4)
	{
		run(conn, atol(argv[2]), atol(argv[3]));
		PQfinish(conn);
		return 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die(conn, "fork");
	if (pid == 0)
	{
		run(conn, atol(argv[2]), atol(argv[3]));
		PQfinish(conn);
		return 0;
	}
	/* The connection is the child's: the parent waits. */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}
