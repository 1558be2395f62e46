/*
 * pgtls_crossing: what loading libpq_gotls.so and calling into it cost.
 *
 * usage: pgtls_crossing LIBRARY
 *
 * Loads the library as libpq does (dlopen: the Go runtime starts), creates
 * a client session that never connects (the first call waits for the
 * runtime's initialisation), and times gotls_pending in a loop: once on
 * the session (the crossing, the handle lookup and the thread check-in)
 * and once on handle 0 (the crossing alone, refused at once).  Prints the
 * milliseconds of the first two steps and the nanoseconds per call, the
 * best of three runs of each.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

#include "libpq_tls.h"

#define CALLS 1000000

typedef gotls_session (*client_new_fn) (gotls_client_options_c *, gotls_read_fn,
										gotls_write_fn, void *, char *, size_t);
typedef ssize_t (*pending_fn) (gotls_session);

static ssize_t
no_read(void *ctx, void *buf, size_t len)
{
	(void) ctx, (void) buf, (void) len;
	return -1;
}

static ssize_t
no_write(void *ctx, const void *buf, size_t len)
{
	(void) ctx, (void) buf, (void) len;
	return -1;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The best of three runs of CALLS calls, in nanoseconds per call. */
static double
time_calls(pending_fn pending, gotls_session s)
{
	double		best = 0;

	for (int run = 0; run < 3; run++)
	{
		double		start = now_ns();
		double		per_call;

		for (int i = 0; i < CALLS; i++)
			pending(s);
		per_call = (now_ns() - start) / CALLS;
		if (run == 0 || per_call < best)
			best = per_call;
	}
	return best;
}

int
main(int argc, char **argv)
{
	void	   *lib;
	client_new_fn client_new;
	pending_fn	pending;
	struct gotls_client_options opts = {.host = "localhost", .sslmode = "require"};
	char		errbuf[256];
	gotls_session s;
	double		start,
				loaded,
				created;

	if (argc != 2)
	{
		fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
		return 2;
	}
	start = now_ns();
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	loaded = now_ns();
	if (lib == NULL)
	{
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	client_new = (client_new_fn) dlsym(lib, "gotls_client_new");
	pending = (pending_fn) dlsym(lib, "gotls_pending");
	if (client_new == NULL || pending == NULL)
	{
		fprintf(stderr, "%s: not the Go TLS library\n", argv[1]);
		return 1;
	}
	s = client_new(&opts, no_read, no_write, NULL, errbuf, sizeof(errbuf));
	created = now_ns();
	if (s == 0)
	{
		fprintf(stderr, "%s\n", errbuf);
		return 1;
	}
	printf("load_ms %.1f\n", (loaded - start) / 1e6);
	printf("first_call_ms %.1f\n", (created - loaded) / 1e6);
	printf("call_ns %.0f\n", time_calls(pending, s));
	printf("crossing_ns %.0f\n", time_calls(pending, 0));
	return 0;
}
