/*
 * pgtls_connect: the cost of a process's first connection.
 *
 * usage: pgtls_connect CONNINFO
 *
 * Prints the wall time of the first PQconnectdb (for the Go libpq it
 * includes loading the library and starting the Go runtime), of a second
 * one, and the process's resident set size and thread count with both
 * connections open.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libpq-fe.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static PGconn *
timed_connect(const char *conninfo, double *ms)
{
	double		start = now_ms();
	PGconn	   *conn = PQconnectdb(conninfo);

	*ms = now_ms() - start;
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		return NULL;
	}
	return conn;
}

/* A "Name: value" line of /proc/self/status, as a number. */
static long
proc_status(const char *name)
{
	FILE	   *f = fopen("/proc/self/status", "r");
	char		line[256];
	long		v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ':')
			sscanf(line + strlen(name) + 1, "%ld", &v);
	fclose(f);
	return v;
}

int
main(int argc, char **argv)
{
	double		first, second;
	PGconn	   *a, *b;

	if (argc != 2)
	{
		fprintf(stderr, "usage: %s CONNINFO\n", argv[0]);
		return 2;
	}
	if ((a = timed_connect(argv[1], &first)) == NULL ||
		(b = timed_connect(argv[1], &second)) == NULL)
		return 1;
	printf("first_connect_ms %.2f\nsecond_connect_ms %.2f\nrss_kb %ld\nthreads %ld\n",
		   first, second, proc_status("VmRSS"), proc_status("Threads"));
	PQfinish(a);
	PQfinish(b);
	return 0;
}
