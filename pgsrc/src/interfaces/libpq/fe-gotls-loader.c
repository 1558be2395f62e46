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
 *-------------------------------------------------------------------------
 */

#include "postgres_fe.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include "fe-gotls-loader.h"
#include "libpq-int.h"

static pthread_mutex_t gotls_load_mutex = PTHREAD_MUTEX_INITIALIZER;
static GoTLSLibrary gotls_library;
static bool gotls_loaded = false;
static pid_t gotls_loaded_pid = 0;

/*
 * Set in a child process by the fork handler registered before loading.
 * pggotls_usable() runs on every read and write, so it tests this flag
 * rather than calling getpid(), a system call.  pggotls_load() compares
 * pids as well, for children created without running fork handlers.
 */
static volatile bool gotls_forked_after_load = false;

/* dlopen() of the library has begun (and not failed): Go may be running. */
static volatile bool gotls_load_started = false;

static void
note_fork_in_child(void)
{
	if (gotls_load_started)
		gotls_forked_after_load = true;
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
	static bool fork_handler_registered = false;
	void	   *h;
	GoTLSLibrary lib;

	/* Registered before the runtime can start, so no fork slips past it. */
	if (!fork_handler_registered)
	{
		if (pthread_atfork(NULL, NULL, note_fork_in_child) != 0)
		{
			strlcpy(errbuf, "could not register a fork handler", errlen);
			return false;
		}
		fork_handler_registered = true;
	}
	gotls_load_started = true;
	h = open_library(errbuf, errlen);
	if (h == NULL)
	{
		gotls_load_started = false;
		return false;
	}

	if (!resolve(h, "gotls_client_new", (void **) &lib.client_new, errbuf, errlen) ||
		!resolve(h, "gotls_handshake", (void **) &lib.handshake, errbuf, errlen) ||
		!resolve(h, "gotls_read", (void **) &lib.read, errbuf, errlen) ||
		!resolve(h, "gotls_pending", (void **) &lib.pending, errbuf, errlen) ||
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
 * pggotls_usable
 *		Can this process call into the Go library it loaded?
 *
 * False in a child forked after the library was loaded: its Go runtime
 * lost its threads in the fork and would hang on the next call.  Callers
 * that merely clean up (pgtls_close) check this and skip the call.
 */
bool
pggotls_usable(void)
{
	return gotls_loaded && !gotls_forked_after_load;
}

/*
 * pggotls_load
 *		Load the Go TLS library if this process has not yet done so.
 *
 * Returns the library's entry points, or NULL after appending an error to
 * conn->errorMessage.
 */
const GoTLSLibrary *
pggotls_load(PGconn *conn)
{
	char		errbuf[512];
	bool		ok;
	pid_t		loaded_by;

	pthread_mutex_lock(&gotls_load_mutex);
	errbuf[0] = '\0';
	if (!gotls_loaded)
	{
		gotls_loaded = load_locked(errbuf, sizeof(errbuf));
		if (gotls_loaded)
			gotls_loaded_pid = getpid();
	}
	ok = gotls_loaded;
	loaded_by = gotls_loaded_pid;
	pthread_mutex_unlock(&gotls_load_mutex);

	if (!ok)
	{
		libpq_append_conn_error(conn, "could not load the Go TLS library \"%s\": %s",
								PGGOTLS_LIBRARY_NAME, errbuf);
		return NULL;
	}
	if (loaded_by != getpid() || gotls_forked_after_load)
	{
		libpq_append_conn_error(conn, "cannot use SSL in this process: the Go TLS library was started by process %d before it forked",
								(int) loaded_by);
		libpq_append_conn_error(conn, "Open SSL connections in a forked process only if its parent made none before forking.");
		return NULL;
	}
	return &gotls_library;
}
