/*-------------------------------------------------------------------------
 *
 * fe-gotls-loader.c
 *	  Run-time loading of pg-gotls's Go TLS library for libpq
 *
 * libpq built --with-ssl=go does its TLS in libpq_gotls.so, a Go library.
 * Loading a Go library starts the Go runtime (threads, signal handlers),
 * and a Go runtime does not survive fork(): the child hangs on its next
 * call into Go.  Programs routinely load libpq and then fork (prefork
 * servers, pg_dump -j), so libpq must not start Go before it needs TLS.
 * Hence the library is not linked but loaded with dlopen() on the first
 * TLS connection attempt, and a process that forked after that refuses to
 * use it instead of hanging.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/interfaces/libpq/fe-gotls-loader.c
 *
 *-------------------------------------------------------------------------
 */

#include "postgres_fe.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include "fe-gotls-loader.h"
#include "libpq-int.h"

/*
 * Serializes loading.  Fork handlers hold it across fork(); see
 * register_fork_handlers().
 */
static pthread_mutex_t gotls_load_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t gotls_fork_handlers_once = PTHREAD_ONCE_INIT;
static bool gotls_fork_handlers_registered = false;

static GoTLSLibrary gotls_library;
static bool gotls_loaded = false;

/*
 * dlopen() of the library has begun (and not failed), so Go may be
 * running, in the process gotls_started_pid.  Both are protected by
 * gotls_load_mutex.
 */
static bool gotls_load_started = false;
static pid_t gotls_started_pid = 0;

/*
 * Set in a child process by the fork handler when Go may have been running
 * in the parent.  pggotls_library() runs on every read and write, so it
 * tests this flag rather than calling getpid(), a system call.
 * pggotls_load() compares pids as well, for children created without
 * running fork handlers.
 */
static volatile bool gotls_forked_after_load = false;

/*
 * Fork handlers.  A fork() while another thread holds gotls_load_mutex
 * (during the first load's dlopen(), which takes milliseconds, or any later
 * pggotls_load()) would leave the mutex locked forever in the child, whose
 * only thread is a copy of the forking one: its first TLS connection
 * attempt would deadlock instead of getting the fork error.  So, as POSIX
 * suggests for pthread_atfork(), the forking thread takes the mutex before
 * fork() and releases it in both processes afterwards.  The child thereby
 * also sees the loader's state whole, never halfway through a load: either
 * no load had begun (the child may load the library itself) or Go may be
 * running in the parent (the child must refuse).  A fork() racing with the
 * first load waits for that load, a few milliseconds.  This cannot
 * deadlock: nothing in the library, which is all that runs while the
 * mutex is held, calls fork().
 */
static void
fork_prepare(void)
{
	pthread_mutex_lock(&gotls_load_mutex);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&gotls_load_mutex);
}

static void
fork_child(void)
{
	if (gotls_load_started)
		gotls_forked_after_load = true;
	/* Registered, then, even if the fork() came before the flag was set. */
	gotls_fork_handlers_registered = true;
	pthread_mutex_unlock(&gotls_load_mutex);
}

/*
 * Run once (pthread_once), before anything locks gotls_load_mutex, so that
 * no fork() can find the mutex held with no handler to release it.  (glibc
 * holds its fork-handler lock from the prepare handlers until the child's
 * have run, so registration cannot slip into the middle of a fork() either,
 * save while another library's handler runs.)  Registering lazily, not
 * when libpq is loaded, leaves processes that never use TLS without
 * handlers.  glibc unregisters them if libpq is unloaded.  pthread_once
 * runs this again in a child forked during the first run; the flag (which
 * fork_child also sets) keeps the handlers from being registered twice, as
 * a second fork_prepare would wait forever for the mutex the first took.
 */
static void
register_fork_handlers(void)
{
	if (gotls_fork_handlers_registered)
		return;
	if (pthread_atfork(fork_prepare, fork_parent, fork_child) == 0)
		gotls_fork_handlers_registered = true;
}

/*
 * Open the library: first beside the libpq that is running (so that a
 * relocated installation, or one used through LD_LIBRARY_PATH, finds its
 * own copy), then through the dynamic linker's usual search.
 */
static void *
open_library(char *errbuf, size_t errlen)
{
	Dl_info		self;
	void	   *handle;

	if (dladdr((void *) pggotls_load, &self) != 0 && self.dli_fname != NULL)
	{
		char		path[MAXPGPATH];
		const char *slash = strrchr(self.dli_fname, '/');

		if (slash != NULL &&
			snprintf(path, sizeof(path), "%.*s/%s",
					 (int) (slash - self.dli_fname), self.dli_fname,
					 PGGOTLS_LIBRARY_NAME) < (int) sizeof(path))
		{
			handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
			if (handle != NULL)
				return handle;
		}
	}

	handle = dlopen(PGGOTLS_LIBRARY_NAME, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
		strlcpy(errbuf, dlerror(), errlen);
	return handle;
}

/* Resolve one symbol into *dest; false (with errbuf set) if missing. */
static bool
resolve(void *handle, const char *name, void **dest,
		char *errbuf, size_t errlen)
{
	*dest = dlsym(handle, name);
	if (*dest == NULL)
	{
		snprintf(errbuf, errlen, "symbol \"%s\" not found", name);
		return false;
	}
	return true;
}

static bool
load_locked(char *errbuf, size_t errlen)
{
	void	   *h;
	GoTLSLibrary lib;

	gotls_load_started = true;
	gotls_started_pid = getpid();
	h = open_library(errbuf, errlen);
	if (h == NULL)
	{
		gotls_load_started = false;
		return false;
	}

	if (!resolve(h, "gotls_client_new", (void **) &lib.client_new, errbuf, errlen) ||
		!resolve(h, "gotls_handshake", (void **) &lib.handshake, errbuf, errlen) ||
		!resolve(h, "gotls_read", (void **) &lib.read, errbuf, errlen) ||
		!resolve(h, "gotls_read_received", (void **) &lib.read_received, errbuf, errlen) ||
		!resolve(h, "gotls_pending", (void **) &lib.pending, errbuf, errlen) ||
		!resolve(h, "gotls_buffered_state", (void **) &lib.buffered_state, errbuf, errlen) ||
		!resolve(h, "gotls_write", (void **) &lib.write, errbuf, errlen) ||
		!resolve(h, "gotls_last_error", (void **) &lib.last_error, errbuf, errlen) ||
		!resolve(h, "gotls_attribute", (void **) &lib.attribute, errbuf, errlen) ||
		!resolve(h, "gotls_peer_name", (void **) &lib.peer_name, errbuf, errlen) ||
		!resolve(h, "gotls_peer_certificate_hash", (void **) &lib.peer_certificate_hash, errbuf, errlen) ||
		!resolve(h, "gotls_cert_requested", (void **) &lib.cert_requested, errbuf, errlen) ||
		!resolve(h, "gotls_cert_sent", (void **) &lib.cert_sent, errbuf, errlen) ||
		!resolve(h, "gotls_close", (void **) &lib.close, errbuf, errlen))
	{
		/* Unloading a Go library is not supported; leave it mapped. */
		return false;
	}

	gotls_library = lib;
	return true;
}

/*
 * pggotls_library
 *		The library's entry points, if this process may call them.
 *
 * NULL if the library is not loaded, or in a child forked after it was:
 * that child's Go runtime lost its threads in the fork and would hang on
 * the next call.  Apart from pggotls_load() for a new session, this is the
 * only way to the entry points, so that no caller can forget the check.
 * It runs on every read and write, and costs two loads.
 */
const GoTLSLibrary *
pggotls_library(void)
{
	if (!gotls_loaded || gotls_forked_after_load)
		return NULL;
	return &gotls_library;
}

/*
 * pggotls_load
 *		Load the Go TLS library if this process has not yet done so.
 *
 * Returns the library's entry points, or NULL after appending an error to
 * conn->errorMessage.  Where Go cannot run in this process (a child forked
 * after the library started) or PGGOTLS_HELPER=1 says it must not, they
 * are the helper process's (fe-gotls-helper.c), and nothing is loaded.
 */
const GoTLSLibrary *
pggotls_load(PGconn *conn)
{
	char		errbuf[512];
	bool		ok;
	bool		forked;

	if (pggotls_helper_forced())
		return pggotls_helper_library();

	pthread_once(&gotls_fork_handlers_once, register_fork_handlers);
	if (!gotls_fork_handlers_registered)
	{
		libpq_append_conn_error(conn, "could not load the Go TLS library \"%s\": %s",
								PGGOTLS_LIBRARY_NAME, "could not register a fork handler");
		return NULL;
	}

	pthread_mutex_lock(&gotls_load_mutex);
	errbuf[0] = '\0';

	/*
	 * In a child forked after a load began, do not load: the parent's Go
	 * runtime may be in this address space, and dlopen() would hand it
	 * back.  A child created without fork handlers shows by its pid.
	 */
	forked = gotls_forked_after_load ||
		(gotls_load_started && gotls_started_pid != getpid());
	if (!forked && !gotls_loaded)
		gotls_loaded = load_locked(errbuf, sizeof(errbuf));
	ok = gotls_loaded;
	pthread_mutex_unlock(&gotls_load_mutex);

	if (forked)
	{
		/* Go cannot run here: its runtime was lost in the fork. */
		return pggotls_helper_library();
	}
	if (!ok)
	{
		libpq_append_conn_error(conn, "could not load the Go TLS library \"%s\": %s",
								PGGOTLS_LIBRARY_NAME, errbuf);
		return NULL;
	}
	return &gotls_library;
}
