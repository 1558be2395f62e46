/*-------------------------------------------------------------------------
 *
 * be-gotls-config.c
 *	  be_tls_init and be_tls_destroy for pg-gotls, process model (b)
 *
 * PROTOTYPE.  In model (b) no PostgreSQL process loads the TLS
 * configuration: the TLS daemon (pg-tlsd, a Go executable) holds the
 * certificate and the private key and does every handshake.  The
 * postmaster only needs to know where the daemon listens: the environment
 * variable PGGOTLS_TLSD, inherited by every backend.  The daemon is
 * started by hand, with its own copy of the ssl_* settings as flags.
 *
 * ssl_ca_file still decides ssl_loaded_verify_locations (whether "cert"
 * authentication and clientcert can work), so it must name the same file
 * as the daemon's -ca flag.
 *
 * The model (a) version of this file (a short-lived child loads the
 * configuration into a snapshot that backends import) is kept beside the
 * prototype as be-gotls-config.c.model-a.
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include <sys/stat.h>

#include "be-gotls.h"
#include "libpq/libpq.h"

int
be_tls_init(bool isServerStart)
{
	int			elevel = isServerStart ? FATAL : LOG;
	const char *path = getenv(PGGOTLS_TLSD_ENV);
	struct stat st;

	if (path == NULL || path[0] == '\0')
	{
		ereport(elevel,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("SSL is on, but the TLS daemon's socket is not set"),
				 errhint("Start pg-tlsd and set the environment variable %s to its socket.",
						 PGGOTLS_TLSD_ENV)));
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		ereport(LOG,
				(errmsg("the TLS daemon's socket \"%s\" does not exist yet; SSL connections will fail until it does",
						path)));

	ssl_loaded_verify_locations = (ssl_ca_file[0] != '\0');
	return 0;
}

void
be_tls_destroy(void)
{
	ssl_loaded_verify_locations = false;
}
