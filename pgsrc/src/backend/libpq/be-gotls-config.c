/*-------------------------------------------------------------------------
 *
 * be-gotls-config.c
 *	  be_tls_init and be_tls_destroy for Go's crypto/tls (pg-gotls)
 *
 * With OpenSSL the postmaster loads the ssl_* files into an SSL_CTX that
 * every backend inherits.  The postmaster must not run Go (its forked
 * children would hang), so here a short-lived child of the postmaster
 * loads the library, reads and checks the files, and sends back a snapshot
 * of the result through a pipe: the certificate chain, the decrypted key,
 * the CA certificates and CRLs, the settings.  The postmaster passes the
 * snapshot on to the TLS process, pg_tlsd (be-gotls-tlsd.c), and keeps it
 * to restart that process if it dies, as it would keep the SSL_CTX; its
 * children wipe their inherited copy.  Errors come back as messages for the
 * postmaster to report, FATAL at server start and LOG on reload, when the
 * previous configuration stays in force: the OpenSSL backend's rules.
 *
 * The passphrase of an encrypted key is obtained here, in the postmaster,
 * with ssl_passphrase_command, under the OpenSSL backend's rules for
 * reloads; the child gets it by inheritance, and it is wiped afterwards.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  src/backend/libpq/be-gotls-config.c
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "be-gotls.h"
#include "libpq/libpq.h"
#include "miscadmin.h"
#include "postmaster/fork_process.h"
#include "utils/memutils.h"

/* The last good configuration, for backends to import. */
static char *snapshot_data = NULL;
static size_t snapshot_len = 0;

/* What the loading child sends back, ahead of the snapshot's bytes. */
typedef struct LoadResult
{
	int			status;			/* GOTLS_OK, GOTLS_NEED_PASSPHRASE, GOTLS_ERROR */
	struct gotls_message msg;
	char		warnings[2048];
	size_t		snapshot_len;
} LoadResult;

static const char *
protocol_name(int v)
{
	switch (v)
	{
		case PG_TLS1_VERSION:
			return "TLSv1";
		case PG_TLS1_1_VERSION:
			return "TLSv1.1";
		case PG_TLS1_2_VERSION:
			return "TLSv1.2";
		case PG_TLS1_3_VERSION:
			return "TLSv1.3";
	}
	return "";
}

static bool
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0)
	{
		ssize_t		n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* Read exactly len bytes; false at a short read (the child died). */
static bool
read_all(int fd, void *buf, size_t len)
{
	char	   *p = buf;

	while (len > 0)
	{
		ssize_t		n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/*
 * The loading child: load the library and the configuration, write the
 * result to fd, and exit without running the postmaster's exit hooks.
 */
pg_noreturn static void
load_in_child(int fd, const char *passphrase)
{
	const GoTLSServerLibrary *lib;
	struct gotls_server_options opts = {0};
	LoadResult res = {0};
	void	   *data = NULL;
	size_t		len = 0;

	lib = be_gotls_load(res.msg.message, sizeof(res.msg.message));
	if (lib == NULL)
	{
		res.status = GOTLS_ERROR;
		if (!write_all(fd, &res, sizeof(res)))
			_exit(1);
		_exit(0);
	}

	opts.cert_file = ssl_cert_file;
	opts.key_file = ssl_key_file;
	opts.ca_file = ssl_ca_file;
	opts.crl_file = ssl_crl_file;
	opts.crl_dir = ssl_crl_dir;
	opts.passphrase = passphrase;
	opts.min_protocol = protocol_name(ssl_min_protocol_version);
	opts.max_protocol = protocol_name(ssl_max_protocol_version);
	opts.ciphers = SSLCipherList;
	opts.tls13_ciphers = SSLCipherSuites;
	opts.groups = SSLECDHCurve;
	opts.prefer_server_ciphers = SSLPreferServerCiphers;

	res.status = lib->server_config_load(&opts, &data, &len,
										 res.warnings, sizeof(res.warnings),
										 &res.msg);
	res.snapshot_len = (res.status == GOTLS_OK) ? len : 0;
	if (!write_all(fd, &res, sizeof(res)) ||
		!write_all(fd, data, res.snapshot_len))
		_exit(1);
	_exit(0);
}

/*
 * Run a loading child.  On success, returns true with the result in *res
 * and the snapshot in *data (palloc'd in TopMemoryContext); on failure of
 * the child itself, reports it and returns false.
 */
static bool
run_loader(const char *passphrase, LoadResult *res, char **data, int elevel)
{
	int			fds[2];
	pid_t		pid;
	int			wstatus;
	bool		ok;

	*data = NULL;
	if (pipe(fds) != 0)
	{
		ereport(elevel,
				(errcode_for_file_access(),
				 errmsg("could not create pipe for the SSL configuration loader: %m")));
		return false;
	}
	pid = fork_process();
	if (pid == 0)
	{
		close(fds[0]);
		load_in_child(fds[1], passphrase);
	}
	close(fds[1]);
	if (pid < 0)
	{
		close(fds[0]);
		ereport(elevel,
				(errmsg("could not fork the SSL configuration loader: %m")));
		return false;
	}

	ok = read_all(fds[0], res, sizeof(*res));
	if (ok && res->snapshot_len > 0)
	{
		*data = MemoryContextAllocExtended(TopMemoryContext, res->snapshot_len,
										   MCXT_ALLOC_HUGE);
		ok = read_all(fds[0], *data, res->snapshot_len);
	}
	close(fds[0]);

	while (waitpid(pid, &wstatus, 0) < 0)
	{
		if (errno != EINTR)
		{
			wstatus = -1;
			break;
		}
	}
	if (!ok || wstatus != 0)
	{
		char	   *reason = wait_result_to_str(wstatus);

		if (*data)
		{
			explicit_bzero(*data, res->snapshot_len);
			pfree(*data);
			*data = NULL;
		}
		ereport(elevel,
				(errmsg("SSL configuration loader failed"),
				 errdetail_internal("%s", reason)));
		pfree(reason);
		return false;
	}
	return true;
}

/*
 * Obtain the key's passphrase as the OpenSSL backend's password callbacks
 * would: with ssl_passphrase_command, at server start or on a reload that
 * it supports.  Returns false (having reported why) if there is none.
 */
static bool
get_passphrase(bool isServerStart, char *buf, int size)
{
	int			elevel = isServerStart ? FATAL : LOG;

	if (!isServerStart &&
		!(ssl_passphrase_command[0] && ssl_passphrase_command_supports_reload))
	{
		ereport(elevel,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("private key file \"%s\" cannot be reloaded because it requires a passphrase",
						ssl_key_file)));
		return false;
	}
	if (!ssl_passphrase_command[0])
	{
		/* OpenSSL would prompt on the terminal here; Go has no prompt. */
		ereport(elevel,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("private key file \"%s\" requires a passphrase", ssl_key_file),
				 errhint("Set \"ssl_passphrase_command\" to a command that prints it.")));
		return false;
	}
	run_ssl_passphrase_command("Enter PEM pass phrase:", isServerStart, buf, size);
	return true;
}

static void
report_warnings(const LoadResult *res)
{
	char	   *copy = pstrdup(res->warnings);
	char	   *line,
			   *save;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ereport(LOG, (errmsg("%s", line)));
	if (ssl_dh_params_file[0])
		ereport(LOG,
				(errmsg("\"%s\" is not used: Go's crypto/tls has no finite-field Diffie-Hellman key exchange",
						"ssl_dh_params_file")));
	pfree(copy);
}

int
be_tls_init(bool isServerStart)
{
	int			elevel = isServerStart ? FATAL : LOG;
	char		passphrase[1024] = "";
	LoadResult	res;
	char	   *data;
	bool		ok;

	if (!check_ssl_key_file_permissions(ssl_key_file, isServerStart))
		return -1;

	ok = run_loader(NULL, &res, &data, elevel);
	if (ok && res.status == GOTLS_NEED_PASSPHRASE)
	{
		if (!get_passphrase(isServerStart, passphrase, sizeof(passphrase)))
			return -1;
		ok = run_loader(passphrase, &res, &data, elevel);
		explicit_bzero(passphrase, sizeof(passphrase));
		if (ok && res.status == GOTLS_NEED_PASSPHRASE)
		{
			/* the command printed nothing */
			ereport(elevel,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("could not load private key file \"%s\": %s",
							ssl_key_file, "bad decrypt")));
			return -1;
		}
	}
	if (!ok)
		return -1;
	if (res.status != GOTLS_OK)
	{
		ereport(elevel,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("%s", res.msg.message),
				 res.msg.detail[0] ? errdetail("%s", res.msg.detail) : 0,
				 res.msg.hint[0] ? errhint("%s", res.msg.hint) : 0));
		return -1;
	}

	report_warnings(&res);

	if (!be_gotls_tlsd_configure(data, res.snapshot_len, elevel))
	{
		explicit_bzero(data, res.snapshot_len);
		pfree(data);
		return -1;
	}

	/* Success: replace the previous configuration. */
	be_gotls_forget_snapshot();
	snapshot_data = data;
	snapshot_len = res.snapshot_len;
	ssl_loaded_verify_locations = (ssl_ca_file[0] != '\0');

	return 0;
}

void
be_tls_destroy(void)
{
	be_gotls_forget_snapshot();
	ssl_loaded_verify_locations = false;
}

/*
 * be_gotls_snapshot
 *		The configuration in force, to restart the TLS process with.
 */
bool
be_gotls_snapshot(const void **data, size_t *len)
{
	*data = snapshot_data;
	*len = snapshot_len;
	return snapshot_data != NULL;
}

/*
 * be_gotls_forget_snapshot
 *		Wipe and free this process's copy (it holds the private key).
 */
void
be_gotls_forget_snapshot(void)
{
	if (snapshot_data != NULL)
	{
		explicit_bzero(snapshot_data, snapshot_len);
		pfree(snapshot_data);
	}
	snapshot_data = NULL;
	snapshot_len = 0;
}
