/*
 * pgtls_forkpoll: fork() at every step of a non-blocking TLS connection,
 * and fork() while other threads load the Go TLS library.
 *
 *   pgtls_forkpoll steps ROUNDS CONNINFO
 *		Drive PQconnectStart/PQconnectPoll with poll().  At step k of the
 *		loop (k = 0 .. the step where it completes), fork; ROUNDS new
 *		connections per step.  The child, which must never call into the
 *		parent's Go runtime, asks the SSL information functions, goes on
 *		polling the inherited connection (or runs a query on it if it was
 *		complete: a helper carries the session on, over the socket the
 *		child has cut) and finishes it.  It must end with an error, never hang
 *		(alarm() kills it) and never crash.  The parent's connection must
 *		complete and run a query over TLS.
 *
 *   pgtls_forkpoll load DRIVERS FORKS CONNINFO
 *		DRIVERS times, a fresh process (a "driver", which has not loaded
 *		the Go library) starts threads that open TLS connections in a loop
 *		to a local listener that closes them, so that they are in the
 *		loader (its first dlopen(), then its mutex) again and again, while
 *		its main thread forks FORKS children at once.  Each child tries a
 *		TLS connection itself and must get an answer: through its own
 *		library if it was forked before the load began, through the helper
 *		process after, never a deadlock on a lock some thread of the parent
 *		held at fork time.  Last, one more child must connect to the real
 *		server at CONNINFO (through the helper) and run a query, and so
 *		must the driver (in process).
 *
 * A child forked mid-connection shares the connection's socket with its
 * parent.  If it read or wrote that socket it would steal the server's
 * bytes from the parent (the SSLRequest's answer, handshake records), so
 * before anything else the child dup2()s over the descriptor a socket whose
 * peer is closed: whatever the child does, the parent's connection is
 * untouched, and any socket I/O the child attempts ends at once (EOF).
 * Calls into Go hang for another reason (the runtime's threads are gone),
 * so this hides no hang.
 *
 * Outcomes are printed one summary line per step or driver, and the exit
 * status is 0 only if no child hung, crashed or could use a connection
 * that is not its own, and every parent connection worked.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "libpq-fe.h"

/*
 * A child that has not exited by then is stuck (in Go, or on a lock).  The
 * children of "load" mode forked before the load start a Go runtime of
 * their own, which takes milliseconds, but dozens at a time on 2 cores.
 */
#define CHILD_ALARM_SECONDS 10

/*
 * At a step where this many children hung, the rest of its rounds are
 * skipped, so that a broken build fails in minutes rather than hours.
 */
#define MAX_HANGS_PER_STEP 3

#define MAX_STEPS 64

/* A child's exit status, which the parent counts. */
#define EXIT_REFUSED	10			/* error naming the fork: the right answer */
#define EXIT_ERROR		11			/* another error (its socket is dead) */
#define EXIT_USABLE		12			/* used the parent's TLS session: wrong */
#define EXIT_OWN		13			/* a TLS connection of its own (load mode):
									 * its own library, or the helper; failed */
#define EXIT_OWN_OK		14			/* the same, and it worked */

typedef struct Tally
{
	int			forks;
	int			midhandshake;	/* forks while PQconnectPoll was in TLS */
	int			refused;
	int			error;
	int			usable;
	int			own;
	int			hung;
	int			crashed;
	int			parent_failed;
} Tally;

static bool
is_fork_error(const char *msg)
{
	return strstr(msg, "inherited across fork()") != NULL ||
		strstr(msg, "cannot use SSL in this process") != NULL;
}

static void
tally_child(Tally *t, int status)
{
	t->forks++;
	if (WIFSIGNALED(status))
	{
		if (WTERMSIG(status) == SIGALRM)
			t->hung++;
		else
			t->crashed++;
		return;
	}
	switch (WEXITSTATUS(status))
	{
		case EXIT_REFUSED:
			t->refused++;
			break;
		case EXIT_ERROR:
			t->error++;
			break;
		case EXIT_OWN:
		case EXIT_OWN_OK:
			t->own++;
			break;
		default:
			t->usable++;
			break;
	}
}

static bool
tally_bad(const Tally *t)
{
	return t->hung || t->crashed || t->usable || t->parent_failed;
}

static void
print_tally(const char *what, const Tally *t)
{
	printf("%s: forks %d mid-handshake %d refused %d other-error %d own-library %d usable %d hung %d crashed %d parent-failed %d\n",
		   what, t->forks, t->midhandshake, t->refused, t->error, t->own,
		   t->usable, t->hung, t->crashed, t->parent_failed);
}

static void
add_tally(Tally *sum, const Tally *t)
{
	sum->forks += t->forks;
	sum->midhandshake += t->midhandshake;
	sum->refused += t->refused;
	sum->error += t->error;
	sum->usable += t->usable;
	sum->own += t->own;
	sum->hung += t->hung;
	sum->crashed += t->crashed;
	sum->parent_failed += t->parent_failed;
}

static const char *
status_name(ConnStatusType s)
{
	switch (s)
	{
		case CONNECTION_OK:
			return "OK";
		case CONNECTION_BAD:
			return "BAD";
		case CONNECTION_STARTED:
			return "STARTED";
		case CONNECTION_MADE:
			return "MADE";
		case CONNECTION_AWAITING_RESPONSE:
			return "AWAITING_RESPONSE";
		case CONNECTION_AUTH_OK:
			return "AUTH_OK";
		case CONNECTION_SSL_STARTUP:
			return "SSL_STARTUP";
		case CONNECTION_CHECK_WRITABLE:
			return "CHECK_WRITABLE";
		case CONNECTION_CONSUME:
			return "CONSUME";
		case CONNECTION_CHECK_TARGET:
			return "CHECK_TARGET";
		default:
			return "OTHER";
	}
}

/* Wait until conn's socket is ready for what PQconnectPoll asked. */
static bool
wait_socket(PGconn *conn, PostgresPollingStatusType st, int timeout_ms)
{
	struct pollfd pfd;
	int			rc;

	pfd.fd = PQsocket(conn);
	pfd.events = (st == PGRES_POLLING_READING) ? POLLIN : POLLOUT;
	pfd.revents = 0;
	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

/* Drive a connection started with PQconnectStart to its end. */
static PostgresPollingStatusType
drive(PGconn *conn, int timeout_ms)
{
	PostgresPollingStatusType st;

	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
		return PGRES_POLLING_FAILED;
	st = PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED)
	{
		if (!wait_socket(conn, st, timeout_ms))
			return PGRES_POLLING_FAILED;
		st = PQconnectPoll(conn);
	}
	return st;
}

static bool
tls_query_ok(PGconn *conn)
{
	PGresult   *res = PQexec(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
	bool		ok;

	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return ok;
}

/* Replace the child's copy of conn's socket by a dead one; see above. */
static void
cut_socket(PGconn *conn)
{
	int			fd = PQsocket(conn);
	int			pair[2];

	if (fd < 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0 ||
		dup2(pair[0], fd) < 0)
	{
		/* Without a dead socket the test would be unsound: give up. */
		perror("child: socketpair/dup2");
		_exit(EXIT_USABLE);
	}
	close(pair[0]);
	close(pair[1]);
}

static void
child_exit(int code)
{
	fflush(stdout);
	_exit(code);
}

/*
 * The child of "steps" mode: everything an application could do with a
 * connection it inherited mid-handshake, none of which may reach Go.
 */
static void
steps_child(PGconn *conn, PostgresPollingStatusType st, int step, bool verbose)
{
	const char *const *names;
	int			code;

	alarm(CHILD_ALARM_SECONDS);
	cut_socket(conn);

	/* The information functions, which must answer from libpq's memory. */
	(void) PQsslInUse(conn);
	(void) PQsslAttribute(conn, "protocol");
	(void) PQsslAttribute(conn, "library");
	(void) PQgetssl(conn);
	(void) PQsslStruct(conn, "OpenSSL");
	names = PQsslAttributeNames(conn);
	for (int i = 0; names != NULL && names[i] != NULL; i++)
		(void) PQsslAttribute(conn, names[i]);

	/*
	 * Go on with the connection: the handshake, authentication...  Waiting
	 * for the socket as libpq asks: a child that reaches the TLS step
	 * before the fork's session began starts a helper process, whose
	 * answer takes a moment.  The socket is dead, so each wait is short.
	 */
	for (int i = 0; i < 100 && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED; i++)
	{
		if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING)
			(void) wait_socket(conn, st, 1000);
		st = PQconnectPoll(conn);
	}

	if (st == PGRES_POLLING_OK)
	{
		/* It was complete before the fork: use it. */
		PGresult   *res = PQexec(conn, "SELECT 1");

		code = PQresultStatus(res) == PGRES_TUPLES_OK ? EXIT_USABLE : 0;
		PQclear(res);
	}
	else if (st == PGRES_POLLING_FAILED)
		code = 0;
	else
		code = EXIT_USABLE;		/* still going on a dead socket? */

	if (code == 0)
		code = is_fork_error(PQerrorMessage(conn)) ? EXIT_REFUSED : EXIT_ERROR;
	if (verbose)
		printf("step %d child: %s: %s", step,
			   code == EXIT_REFUSED ? "refused" : code == EXIT_ERROR ? "error" : "USABLE",
			   code == EXIT_USABLE ? "\n" : PQerrorMessage(conn));

	/* Dropping it must neither call Go nor crash. */
	PQfinish(conn);
	child_exit(code);
}

/*
 * One connection of "steps" mode, forking at step fork_step.  Returns the
 * number of steps the connection took (the step at which it completed),
 * or -1 if the parent's connection failed.
 */
static int
steps_round(const char *conninfo, int fork_step, bool verbose, Tally *t)
{
	PGconn	   *conn = PQconnectStart(conninfo);
	PostgresPollingStatusType st;
	int			step;

	st = (conn == NULL || PQstatus(conn) == CONNECTION_BAD) ?
		PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
	for (step = 0;; step++)
	{
		if (step == fork_step)
		{
			pid_t		pid;
			int			status;

			if (verbose)
				printf("step %d: status %s, ssl_in_use %d\n", step,
					   status_name(PQstatus(conn)), PQsslInUse(conn));
			/* The handshake may finish within one step, or take two. */
			if (PQstatus(conn) == CONNECTION_SSL_STARTUP && PQsslInUse(conn))
				t->midhandshake++;
			fflush(stdout);
			pid = fork();
			if (pid < 0)
			{
				perror("fork");
				exit(1);
			}
			if (pid == 0)
				steps_child(conn, st, step, verbose);
			if (waitpid(pid, &status, 0) != pid)
			{
				perror("waitpid");
				exit(1);
			}
			tally_child(t, status);
			if (WIFSIGNALED(status))
				printf("step %d child: killed by signal %d%s\n", step, WTERMSIG(status),
					   WTERMSIG(status) == SIGALRM ? " (hang)" : "");
		}
		if (st == PGRES_POLLING_OK || st == PGRES_POLLING_FAILED)
			break;
		if (!wait_socket(conn, st, 30000))
		{
			st = PGRES_POLLING_FAILED;
			break;
		}
		st = PQconnectPoll(conn);
	}

	if (st != PGRES_POLLING_OK || !tls_query_ok(conn))
	{
		printf("step %d parent: connection failed: %s", fork_step, PQerrorMessage(conn));
		t->parent_failed++;
		step = -1;
	}
	PQfinish(conn);
	return step;
}

static int
run_steps(int rounds, const char *conninfo)
{
	Tally		sum = {0};
	Tally		none = {0};
	int			nsteps;
	char		what[64];

	/*
	 * Load the Go library first, so that every child is forked after it:
	 * the case where the child must refuse.  The dry run also says how
	 * many steps a connection takes.
	 */
	nsteps = steps_round(conninfo, -1, false, &none);
	if (nsteps < 0)
		return 1;
	printf("a connection takes %d steps\n", nsteps);
	if (nsteps >= MAX_STEPS)
		nsteps = MAX_STEPS - 1;

	for (int k = 0; k <= nsteps; k++)
	{
		Tally		t = {0};

		for (int r = 0; r < rounds; r++)
		{
			steps_round(conninfo, k, r == 0, &t);
			if (t.hung >= MAX_HANGS_PER_STEP)
			{
				printf("step %d: %d hangs, skipping its other rounds\n", k, t.hung);
				break;
			}
		}
		snprintf(what, sizeof(what), "step %d", k);
		print_tally(what, &t);
		add_tally(&sum, &t);
	}
	print_tally("total", &sum);
	return tally_bad(&sum) || sum.refused == 0;
}

/*
 * "load" mode.
 */

static int	listen_port;
static volatile bool stop_loaders;
static char dummy_conninfo[256];

/* Accept connections and close them: a server that never speaks TLS. */
static void *
accept_thread(void *arg)
{
	int			lfd = (int) (long) arg;

	for (;;)
	{
		int			fd = accept(lfd, NULL, NULL);

		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static int
start_listener(void)
{
	struct sockaddr_in addr;
	socklen_t	len = sizeof(addr);
	int			lfd = socket(AF_INET, SOCK_STREAM, 0);
	pthread_t	th;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(lfd, 1024) != 0 ||
		getsockname(lfd, (struct sockaddr *) &addr, &len) != 0 ||
		pthread_create(&th, NULL, accept_thread, (void *) (long) lfd) != 0)
	{
		perror("listener");
		return -1;
	}
	return ntohs(addr.sin_port);
}

/* Open TLS connections in a loop: each passes through the loader. */
static void *
loader_thread(void *arg)
{
	while (!stop_loaders)
	{
		PGconn	   *conn = PQconnectStart(dummy_conninfo);

		drive(conn, 2000);
		PQfinish(conn);
	}
	return NULL;
}

/*
 * The child of "load" mode: try a TLS connection of its own.  Forked before
 * the parent's load began, it loads its own library; after, it starts the
 * helper process.  Either fails the handshake with the listener that
 * closes, and succeeds with the real server.
 */
static void
load_child(const char *conninfo, bool verbose)
{
	PGconn	   *conn;
	PostgresPollingStatusType st;
	int			code;

	alarm(CHILD_ALARM_SECONDS);
	conn = PQconnectStart(conninfo);
	st = drive(conn, 3000);
	if (st == PGRES_POLLING_OK)
		code = tls_query_ok(conn) ? EXIT_OWN_OK : EXIT_ERROR;
	else if (is_fork_error(PQerrorMessage(conn)))
		code = EXIT_REFUSED;
	else if (strstr(PQerrorMessage(conn), "SSL") != NULL)
		code = EXIT_OWN;		/* its TLS failed the handshake */
	else
		code = EXIT_ERROR;
	if (verbose)
		printf("last child: %s", code == EXIT_OWN_OK ? "tls query ok\n" : PQerrorMessage(conn));
	PQfinish(conn);
	child_exit(code);
}

#define LOADER_THREADS 3

static int
load_driver(int driver, int forks, const char *conninfo)
{
	pthread_t	th[LOADER_THREADS];
	Tally		t = {0};
	int			alive = 0;
	int			status;
	pid_t		pid;
	PGconn	   *conn;
	char		what[64];

	alarm(120);
	listen_port = start_listener();
	if (listen_port < 0)
		return 1;

	/*
	 * The user is given: without it libpq asks getpwuid_r(), and a child
	 * forked while a thread was inside glibc's NSS code deadlocks there on
	 * NSS's own locks, which glibc does not reset in the child.
	 */
	snprintf(dummy_conninfo, sizeof(dummy_conninfo),
			 "host=localhost hostaddr=127.0.0.1 port=%d user=postgres sslmode=require sslnegotiation=direct gssencmode=disable",
			 listen_port);

	/*
	 * Have libpq bind its message catalogue now, while this is the only
	 * thread: with NLS it binds it at its first message, under a mutex of
	 * its own (fe-misc.c) and glibc's gettext lock, and a child forked by
	 * another thread meanwhile inherits both held and blocks at its first
	 * message.  That is libpq's, with OpenSSL as with Go, and not what
	 * this test is about.
	 */
	PQfinish(PQconnectdb("sslmode=none-such"));

	for (int i = 0; i < LOADER_THREADS; i++)
		if (pthread_create(&th[i], NULL, loader_thread, NULL) != 0)
			return 1;

	/*
	 * Fork at once and without pause, never waiting for a child in
	 * between, so that forks meet the first load: its dlopen() takes about
	 * a millisecond, a fork() a fraction of that.
	 */
	for (int i = 0; i < forks; i++)
	{
		pid = fork();
		if (pid < 0)
		{
			perror("fork");
			break;
		}
		if (pid == 0)
			load_child(dummy_conninfo, false);
		alive++;
		while (alive > 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0)
		{
			tally_child(&t, status);
			alive--;
		}
	}
	while (alive > 0 && (pid = wait(&status)) > 0)
	{
		tally_child(&t, status);
		alive--;
	}

	stop_loaders = true;
	for (int i = 0; i < LOADER_THREADS; i++)
		pthread_join(th[i], NULL);

	/* A child forked now, with the library loaded, meets the real server. */
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		load_child(conninfo, driver == 0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	tally_child(&t, status);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != EXIT_OWN_OK)
	{
		printf("driver %d: last child failed (status 0x%x)\n", driver, status);
		t.parent_failed++;
	}

	/* And the driver's own TLS still works: its lock was released. */
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK || !tls_query_ok(conn))
	{
		printf("driver %d: connection failed: %s", driver, PQerrorMessage(conn));
		t.parent_failed++;
	}
	PQfinish(conn);

	snprintf(what, sizeof(what), "driver %d", driver);
	print_tally(what, &t);
	fflush(stdout);
	return tally_bad(&t) ? 1 : 0;
}

static int
run_load(int drivers, int forks, const char *conninfo)
{
	int			failed = 0;

	/* This process never uses TLS: each driver starts without Go. */
	for (int d = 0; d < drivers; d++)
	{
		pid_t		pid;
		int			status;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
		{
			perror("fork");
			return 1;
		}
		if (pid == 0)
			child_exit(load_driver(d, forks, conninfo));
		if (waitpid(pid, &status, 0) != pid)
			return 1;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		{
			if (WIFSIGNALED(status))
				printf("driver %d: killed by signal %d%s\n", d, WTERMSIG(status),
					   WTERMSIG(status) == SIGALRM ? " (hang)" : "");
			failed++;
		}
	}
	printf("drivers failed: %d of %d\n", failed, drivers);
	return failed != 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "steps") == 0)
		return run_steps(atoi(argv[2]), argv[3]);
	if (argc == 5 && strcmp(argv[1], "load") == 0)
		return run_load(atoi(argv[2]), atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: %s steps ROUNDS CONNINFO\n"
			"       %s load DRIVERS FORKS CONNINFO\n", argv[0], argv[0]);
	return 2;
}
