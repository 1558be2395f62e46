/*
 * pgtls_info: connect with a conninfo string and print what libpq reports
 * about the TLS session, one "name: value" per line.
 *
 * usage: pgtls_info CONNINFO
 */
#include <stdio.h>
#include <stdlib.h>

#include "libpq-fe.h"

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	const char *const *names;

	if (argc != 2)
	{
		fprintf(stderr, "usage: %s CONNINFO\n", argv[0]);
		return 2;
	}
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	printf("ssl_in_use: %s\n", PQsslInUse(conn) ? "yes" : "no");
	for (names = PQsslAttributeNames(conn); *names != NULL; names++)
	{
		const char *v = PQsslAttribute(conn, *names);

		printf("%s: %s\n", *names, v ? v : "(null)");
	}
	printf("PQgetssl: %s\n", PQgetssl(conn) == NULL ? "NULL" : "non-NULL");
	PQfinish(conn);
	return 0;
}
