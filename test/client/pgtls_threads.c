/*
 * pgtls_threads: many threads, each with its own TLS connection, at once.
 *
 * usage: pgtls_threads NTHREADS ROUNDS CONNINFO
 *
 * Every thread connects, runs ROUNDS queries that each return 64 kB, and
 * checks every result.  Prints "ok N" on success.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libpq-fe.h"

static const char *conninfo;
static int	rounds;

static void *
worker(void *arg)
{
	long		id = (long) arg;
	PGconn	   *conn = PQconnectdb(conninfo);
	char		query[128];

	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "thread %ld: %s", id, PQerrorMessage(conn));
		PQfinish(conn);
		return (void *) 1;
	}
	for (int i = 0; i < rounds; i++)
	{
		PGresult   *res;
		const char *v;

		snprintf(query, sizeof(query), "SELECT repeat(chr(65 + %ld %% 26), 65536)", id + i);
		res = PQexec(conn, query);
		v = PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : NULL;
		if (v == NULL || strlen(v) != 65536 || v[0] != 'A' + (id + i) % 26 || v[65535] != v[0])
		{
			fprintf(stderr, "thread %ld round %d: bad result: %s", id, i, PQerrorMessage(conn));
			PQclear(res);
			PQfinish(conn);
			return (void *) 1;
		}
		PQclear(res);
	}
	PQfinish(conn);
	return NULL;
}

int
main(int argc, char **argv)
{
	int			n;
	pthread_t  *threads;
	int			failed = 0;

	if (argc != 4)
	{
		fprintf(stderr, "usage: %s NTHREADS ROUNDS CONNINFO\n", argv[0]);
		return 2;
	}
	n = atoi(argv[1]);
	rounds = atoi(argv[2]);
	conninfo = argv[3];
	alarm(120);
	threads = calloc(n, sizeof(pthread_t));
	for (long i = 0; i < n; i++)
		if (pthread_create(&threads[i], NULL, worker, (void *) i) != 0)
			return 1;
	for (int i = 0; i < n; i++)
	{
		void	   *r;

		pthread_join(threads[i], &r);
		failed += (r != NULL);
	}
	if (failed)
	{
		fprintf(stderr, "%d of %d threads failed\n", failed, n);
		return 1;
	}
	printf("ok %d\n", n);
	return 0;
}
