/*-------------------------------------------------------------------------
 *
 * be-gotls-loader.c
 *	  Loading pg-gotls's Go TLS library into the configuration loader
 *
 * Loading a Go library starts the Go runtime, and a Go runtime does not
 * survive fork(): a child hangs on its next call into Go.  The postmaster
 * forks every backend, so it must never load the library; only the
 * short-lived children that load the configuration for the postmaster do
 * (be-gotls-config.c).  Connections are served by pg_tlsd, a separate
 * executable (be-gotls-tlsd.c).
 *
 * Signals.  PostgreSQL wakes a process's latch with SIGURG, which it keeps
 * blocked and reads from a signalfd.  The Go runtime preempts goroutines
 * with SIGURG too, and keeps it unblocked in all its threads while it does
 * so, where a SIGURG sent to the process (by kill()) would be taken by a Go
 * thread and swallowed: a lost latch wakeup, seen as backends hanging in
 * I/O waits.  The library is built with async preemption off (GODEBUG
 * asyncpreemptoff=1 compiled in, see the Makefile), so Go sends no SIGURG
 * and leaves it blocked in the threads it starts, which inherit the mask
 * of the thread that loaded the library: so SIGURG is blocked while
 * loading.  (Setting GODEBUG in the environment would not do: a Go
 * library reads the environment the process started with.)
 * See docs/process-model.md.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/backend/libpq/be-gotls-loader.c
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "be-gotls.h"
#include "libpq/libpq.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"

static GoTLSServerLibrary gotls_library;
static bool gotls_loaded = false;
static pid_t gotls_loaded_pid = 0;

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

/* The library's file: in PostgreSQL's library directory. */
static void
library_path(char *path)
{
	char		libdir[MAXPGPATH];

	get_lib_path(my_exec_path, libdir);
	snprintf(path, MAXPGPATH, "%s/%s", libdir, PGGOTLS_LIBRARY_NAME);
}

static bool
load_library(char *errbuf, size_t errlen)
{
	char		path[MAXPGPATH];
	void	   *h;
	GoTLSServerLibrary lib;
	sigset_t	urg,
				old_mask;

	library_path(path);

	/* The runtime's threads inherit this mask: see the file's header. */
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	sigprocmask(SIG_BLOCK, &urg, &old_mask);

	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
	{
		strlcpy(errbuf, dlerror(), errlen);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		return false;
	}
	if (!resolve(h, "gotls_server_config_load", (void **) &lib.server_config_load, errbuf, errlen) ||
		!resolve(h, "gotls_library_version", (void **) &lib.library_version, errbuf, errlen))
	{
		/* Unloading a Go library is not supported; leave it mapped. */
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		return false;
	}

	/* The first call waits for the runtime to finish starting. */
	lib.library_version(NULL, 0);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);

	gotls_library = lib;
	return true;
}

/*
 * be_gotls_load
 *		Load the Go TLS library into this process, once.
 *
 * Returns the library's entry points, or NULL with a message in errbuf.
 */
const GoTLSServerLibrary *
be_gotls_load(char *errbuf, size_t errlen)
{
	if (getpid() == PostmasterPid)
	{
		/* A programming error: the postmaster's children would hang. */
		strlcpy(errbuf, "the Go TLS library must not be loaded in the postmaster", errlen);
		return NULL;
	}
	if (gotls_loaded && gotls_loaded_pid != getpid())
	{
		snprintf(errbuf, errlen, "the Go TLS library was loaded by process %d before it forked",
				 (int) gotls_loaded_pid);
		return NULL;
	}
	if (!gotls_loaded)
	{
		if (!load_library(errbuf, errlen))
			return NULL;
		gotls_loaded = true;
		gotls_loaded_pid = getpid();
	}
	return &gotls_library;
}

/* Reads a varint length at *p (advanced past it); 0 if malformed. */
static size_t
read_varint(const unsigned char **p, const unsigned char *end)
{
	size_t		n = 0;
	int			shift;

	for (shift = 0; *p < end && shift < 28; shift += 7)
	{
		n |= (size_t) (**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0)
			return n;
	}
	return 0;
}

/*
 * Read what the library file's build information says, without loading
 * it: the Go version that built it, and its compiled-in GODEBUG defaults
 * (FIPS140=on|only builds record fips140 there).  Go writes it as `go
 * version -m FILE` prints it: the magic "\xff Go buildinf:", a 32-byte
 * header whose flag 2 says strings follow inline, the version and then the
 * module information, each a varint-length-prefixed string; the latter has
 * a line "build\tDefaultGODEBUG=..." when there are defaults.  False if
 * the version cannot be found; godebug is "" when there are none.
 */
static bool
read_build_info(const char *path, char *version, size_t version_len,
				char *godebug, size_t godebug_len)
{
	static const char magic[] = "\xff Go buildinf:";
	static const char defaults[] = "\tDefaultGODEBUG=";
	int			fd;
	struct stat st;
	const unsigned char *map;
	const unsigned char *p,
			   *end;
	size_t		n;
	bool		ok = false;

	godebug[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || st.st_size < 64)
	{
		close(fd);
		return false;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;

	end = map + st.st_size;
	p = memmem(map, st.st_size, magic, sizeof(magic) - 1);
	if (p != NULL && end - p > 33 && (p[15] & 2) != 0)
	{
		p += 32;
		n = read_varint(&p, end);
		if (n > 0 && n < 64 && (size_t) (end - p) >= n && n < version_len)
		{
			memcpy(version, p, n);
			version[n] = '\0';
			ok = true;
			p += n;
			n = read_varint(&p, end);
			if (n > 0 && (size_t) (end - p) >= n)
			{
				const unsigned char *line = memmem(p, n, defaults, sizeof(defaults) - 1);

				if (line != NULL)
				{
					const unsigned char *value = line + sizeof(defaults) - 1;
					const unsigned char *eol = memchr(value, '\n', p + n - value);
					size_t		len = (eol != NULL ? eol : p + n) - value;

					if (len < godebug_len)
					{
						memcpy(godebug, value, len);
						godebug[len] = '\0';
					}
				}
			}
		}
	}
	munmap((void *) map, st.st_size);
	return ok;
}

/*
 * fips_mode_in
 *		The FIPS 140-3 mode a GODEBUG list sets, starting from mode: the last
 *		fips140 setting in the list wins, as in Go.  NULL means off.
 */
static const char *
fips_mode_in(const char *godebug, const char *mode)
{
	while (godebug != NULL && *godebug != '\0')
	{
		size_t		len = strcspn(godebug, ",");

		if (len == strlen("fips140=on") && strncmp(godebug, "fips140=on", len) == 0)
			mode = "FIPS 140-3 mode";
		else if (len == strlen("fips140=only") && strncmp(godebug, "fips140=only", len) == 0)
			mode = "FIPS 140-3 mode, approved algorithms only";
		else if (strncmp(godebug, "fips140=", strlen("fips140=")) == 0)
			mode = NULL;
		godebug += len;
		if (*godebug == ',')
			godebug++;
	}
	return mode;
}

/*
 * show_ssl_library
 *		SHOW ssl_library: "Go crypto/tls (go1.26.8)", or with the FIPS
 *		140-3 mode: "Go crypto/tls (go1.26.8, FIPS 140-3 mode)".
 *
 * The Go version is read from the library file, so that it shows even when
 * SSL is off and without starting Go.
 */
const char *
show_ssl_library(void)
{
	static char value[160];

	if (value[0] == '\0')
	{
		char		path[MAXPGPATH];
		char		version[64];
		char		defaults[256];
		const char *fips;

		library_path(path);
		if (!read_build_info(path, version, sizeof(version), defaults, sizeof(defaults)))
			version[0] = '\0';

		/*
		 * The TLS process's mode: the library's build default (pg_tlsd is
		 * built with the same FIPS140), unless GODEBUG in the environment,
		 * which it inherits from the postmaster, says otherwise.
		 */
		fips = fips_mode_in(getenv("GODEBUG"), fips_mode_in(defaults, NULL));
		if (version[0] != '\0' && fips != NULL)
			snprintf(value, sizeof(value), "%s (%s, %s)", ssl_library, version, fips);
		else if (version[0] != '\0' || fips != NULL)
			snprintf(value, sizeof(value), "%s (%s)", ssl_library,
					 fips != NULL ? fips : version);
		else
			strlcpy(value, ssl_library, sizeof(value));
	}
	return value;
}
