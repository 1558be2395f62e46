/*
 * pgtls_fork: libpq's TLS and fork().
 *
 *   pgtls_fork before CONNINFO   fork first, then parent and child each
 *                                connect with TLS and run a query
 *   pgtls_fork after CONNINFO    make two TLS connections, fork; the
 *                                child goes on with the second, as
 *                                pg_basebackup's WAL streamer does (a TLS
 *                                1.3 session is carried on by the helper
 *                                process; others are refused), finishes
 *                                it, opens a new one (through the helper:
 *                                Go cannot run in the child) and runs a
 *                                query; the parent keeps using the first
 *
 *   pgtls_fork midquery CONNINFO send a query with a 3 MB result, read
 *                                part of it, fork; the child reads the
 *                                rest on the inherited connection (its
 *                                session carried on, with what the
 *                                parent's had received and not yet
 *                                returned) and checks every row
 *
 *   pgtls_fork pool CONNINFO     connect with TLS, then fork 8 workers
 *                                that run 4 tasks each, every task a new
 *                                TLS connection and a query (through the
 *                                helper process), as a prefork pool does;
 *                                the parent's connection must still work
 *
 * Each process prints one line "<who>: <outcome>" and the exit status is 0
 * only if every process behaved: success where TLS must work, a clean
 * error (never a hang: alarm() kills a stuck process) where it cannot.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libpq-fe.h"

#define DEADLINE_SECONDS 30

/* Connect and run a query; print the outcome; return 0 on success. */
static int
connect_and_query(const char *who, const char *conninfo)
{
	PGconn	   *conn = PQconnectdb(conninfo);
	PGresult   *res;
	int			ok;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		printf("%s: connection failed: %s", who, PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	res = PQexec(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	printf("%s: %s\n", who, ok ? "tls query ok" : "query failed");
	PQclear(res);
	PQfinish(conn);
	return ok ? 0 : 1;
}

static int
wait_child(pid_t pid)
{
	int			status;

	if (waitpid(pid, &status, 0) != pid)
		return 1;
	if (WIFSIGNALED(status))
	{
		printf("child: killed by signal %d%s\n", WTERMSIG(status),
			   WTERMSIG(status) == SIGALRM ? " (hang)" : "");
		return 1;
	}
	return WEXITSTATUS(status);
}

static int
fork_before(const char *conninfo)
{
	pid_t		pid;
	int			rc;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		alarm(DEADLINE_SECONDS);
		exit(connect_and_query("child", conninfo));
	}
	rc = connect_and_query("parent", conninfo);
	return wait_child(pid) | rc;
}

/* The backend's pid, by a query; NULL if the query fails. */
static char *
backend_pid(PGconn *conn)
{
	PGresult   *res = PQexec(conn, "SELECT pg_backend_pid()");
	char	   *pid = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		pid = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return pid;
}

/*
 * The child's side of "after": go on with the inherited connection, whose
 * backend is before_pid.  A result of 4 MB crosses many records; the
 * same backend answering shows that the session went on, not a new one.
 */
static void
use_inherited(PGconn *conn, const char *before_pid)
{
	PGresult   *res;
	char	   *pid;
	bool		big;

	res = PQexec(conn, "SELECT md5(repeat('pg-gotls', 500000)) = md5(x), length(x) FROM (SELECT repeat('pg-gotls', 500000) x) s");
	big = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0 &&
		strcmp(PQgetvalue(res, 0, 1), "4000000") == 0;
	PQclear(res);
	if (!big)
	{
		printf("child: inherited connection refused: %s", PQerrorMessage(conn));
		return;
	}
	pid = backend_pid(conn);
	if (pid != NULL && strcmp(pid, before_pid) == 0)
		printf("child: inherited connection: tls queries ok on the same backend\n");
	else
		printf("child: inherited connection: second query failed or another backend: %s", PQerrorMessage(conn));
	free(pid);
}

#define MIDQUERY_ROWS 100000
#define MIDQUERY_QUEUED (64 * 1024)	/* bytes of the result on the socket */

/* Row g of the midquery result: g, then 30 times one letter. */
static bool
midquery_row_ok(PGresult *res, int i)
{
	const char *v = PQgetvalue(res, i, 1);

	if (atoi(PQgetvalue(res, i, 0)) != i + 1 || PQgetlength(res, i, 1) != 30)
		return false;
	for (int k = 0; k < 30; k++)
	{
		if (v[k] != 'A' + (i + 1) % 26)
			return false;
	}
	return true;
}

static int
fork_midquery(const char *conninfo)
{
	PGconn	   *conn = PQconnectdb(conninfo);
	PGresult   *res;
	pid_t		pid;
	int			queued = 0;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		printf("parent: connection failed: %s", PQerrorMessage(conn));
		return 1;
	}
	if (!PQsendQuery(conn, "SELECT g, repeat(chr(65 + g % 26), 30) FROM generate_series(1, 100000) g"))
	{
		printf("parent: send failed: %s", PQerrorMessage(conn));
		return 1;
	}

	/*
	 * Wait until the socket holds several records, then read once: the TLS
	 * layer reads more than one record and decrypts only what libpq asks
	 * for, so the child inherits bytes received and not yet returned.
	 */
	for (int waited = 0; queued < MIDQUERY_QUEUED; waited++)
	{
		if (waited == DEADLINE_SECONDS * 100 || ioctl(PQsocket(conn), FIONREAD, &queued) != 0)
		{
			printf("parent: the result did not arrive\n");
			return 1;
		}
		usleep(10000);
	}
	if (!PQconsumeInput(conn))
	{
		printf("parent: reading failed: %s", PQerrorMessage(conn));
		return 1;
	}
	if (!PQisBusy(conn))
	{
		printf("parent: the whole result came before the fork\n");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		bool		ok;

		alarm(DEADLINE_SECONDS);
		res = PQgetResult(conn);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == MIDQUERY_ROWS;
		for (int i = 0; ok && i < MIDQUERY_ROWS; i++)
			ok = midquery_row_ok(res, i);
		if (ok)
			printf("child: the rest of the result: %d rows ok\n", MIDQUERY_ROWS);
		else
			printf("child: the rest of the result: failed or wrong: %s", PQerrorMessage(conn));
		PQclear(res);
		res = PQgetResult(conn);	/* the end of the query */
		ok = ok && res == NULL;
		PQclear(res);
		res = PQexec(conn, "SELECT 1");
		ok = ok && PQresultStatus(res) == PGRES_TUPLES_OK;
		printf("child: next query %s", ok ? "ok\n" : PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		exit(ok ? 0 : 1);
	}
	/* The connection is the child's. */
	return wait_child(pid);
}

static int
fork_after(const char *conninfo)
{
	PGconn	   *conn = PQconnectdb(conninfo);
	PGconn	   *inherited = PQconnectdb(conninfo);
	char	   *inherited_pid;
	pid_t		pid;
	int			rc = 0;
	PGresult   *res;

	if (PQstatus(conn) != CONNECTION_OK || PQstatus(inherited) != CONNECTION_OK)
	{
		printf("parent: connection failed: %s%s", PQerrorMessage(conn), PQerrorMessage(inherited));
		return 1;
	}
	inherited_pid = backend_pid(inherited);
	if (inherited_pid == NULL)
	{
		printf("parent: query failed: %s", PQerrorMessage(inherited));
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		alarm(DEADLINE_SECONDS);
		use_inherited(inherited, inherited_pid);
		PQfinish(inherited);
		exit(connect_and_query("child, new connection", conninfo));
	}
	res = PQexec(conn, "SELECT 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		printf("parent: query after fork failed: %s", PQerrorMessage(conn));
		rc = 1;
	}
	else
		printf("parent: query after fork ok\n");
	PQclear(res);
	rc |= wait_child(pid);
	PQfinish(conn);
	/* The child has the other: the parent leaves it, as pg_basebackup does. */
	free(inherited_pid);
	return rc;
}

#define POOL_WORKERS 8
#define POOL_TASKS 4

static int
fork_pool(const char *conninfo)
{
	PGconn	   *conn = PQconnectdb(conninfo);
	pid_t		pids[POOL_WORKERS];
	PGresult   *res;
	int			failed = 0;
	int			rc;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		printf("parent: connection failed: %s", PQerrorMessage(conn));
		return 1;
	}
	fflush(stdout);
	for (int w = 0; w < POOL_WORKERS; w++)
	{
		pids[w] = fork();
		if (pids[w] == 0)
		{
			char		who[32];
			int			bad = 0;

			alarm(DEADLINE_SECONDS);
			for (int i = 0; i < POOL_TASKS; i++)
			{
				snprintf(who, sizeof(who), "worker %d task %d", w, i);
				bad |= connect_and_query(who, conninfo);
			}
			exit(bad);
		}
		if (pids[w] < 0)
			return 1;
	}
	for (int w = 0; w < POOL_WORKERS; w++)
		failed += wait_child(pids[w]) != 0;
	printf("pool: %d of %d workers failed\n", failed, POOL_WORKERS);
	rc = connect_and_query("parent, new connection", conninfo) | (failed != 0);
	res = PQexec(conn, "SELECT 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		printf("parent: query after the pool failed: %s", PQerrorMessage(conn));
		rc = 1;
	}
	else
		printf("parent: query after the pool ok\n");
	PQclear(res);
	PQfinish(conn);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc != 3)
	{
		fprintf(stderr, "usage: %s before|after|midquery|pool CONNINFO\n", argv[0]);
		return 2;
	}
	alarm(DEADLINE_SECONDS);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "before") == 0)
		return fork_before(argv[2]);
	if (strcmp(argv[1], "after") == 0)
		return fork_after(argv[2]);
	if (strcmp(argv[1], "midquery") == 0)
		return fork_midquery(argv[2]);
	if (strcmp(argv[1], "pool") == 0)
		return fork_pool(argv[2]);
	fprintf(stderr, "unknown mode \"%s\"\n", argv[1]);
	return 2;
}
