/*-------------------------------------------------------------------------
 *
 * gotls.c
 *	  pgcrypto's digests, ciphers and FIPS check on pg-gotls's Go library:
 *	  the --with-ssl=go counterpart of openssl.c
 *
 * The library is libpq_gotls.so in PostgreSQL's library directory, the
 * one libpq and the server's configuration loader use; a process that
 * already has it (a backend running dblink, say) gets the same copy.
 *
 * Loading it starts a Go runtime, which does not survive fork().  So it
 * is loaded on the first call that needs it, never when pgcrypto itself is
 * loaded: pgcrypto in shared_preload_libraries must not put Go into the
 * postmaster, whose children would hang in their first call.  SIGURG is
 * blocked while it loads, so that the runtime's threads, which inherit the
 * mask, cannot take the SIGURG that wakes the backend's latch (the library
 * is built with asynchronous preemption off, so Go itself never needs it;
 * pg-gotls's docs/process-model.md has the story).
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  contrib/pgcrypto/gotls.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dlfcn.h>
#include <signal.h>

#include "gotls.h"
#include "miscadmin.h"
#include "px.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#define PGGOTLS_LIBRARY_NAME "libpq_gotls.so"

#define MAX_KEY		(512/8)
#define MAX_IV		(128/8)

static GoCrypto go_crypto;
static bool go_crypto_loaded = false;

static void
resolve(void *handle, const char *path, const char *name, void **dest)
{
	*dest = dlsym(handle, name);
	if (*dest == NULL)
		ereport(ERROR,
				(errmsg("could not load library \"%s\": symbol \"%s\" not found",
						path, name)));
}

const GoCrypto *
pgcrypto_go(void)
{
	char		libdir[MAXPGPATH];
	char		path[MAXPGPATH];
	void	   *handle;
	GoCrypto	lib;
	sigset_t	urg,
				old_mask;
	char		problem[1024];

	if (go_crypto_loaded)
		return &go_crypto;
	if (IsPostmasterEnvironment && !IsUnderPostmaster)
		elog(ERROR, "pgcrypto must not load the Go library in the postmaster");

	get_lib_path(my_exec_path, libdir);
	snprintf(path, sizeof(path), "%s/%s", libdir, PGGOTLS_LIBRARY_NAME);

	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	sigprocmask(SIG_BLOCK, &urg, &old_mask);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
	{
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		ereport(ERROR,
				(errmsg("could not load library \"%s\": %s", path, dlerror())));
	}
	/* Unloading a Go library is not supported: on error it stays mapped. */
	PG_TRY();
	{
		resolve(handle, path, "gotls_digest_sizes", (void **) &lib.digest_sizes);
		resolve(handle, path, "gotls_digest_new", (void **) &lib.digest_new);
		resolve(handle, path, "gotls_digest_update", (void **) &lib.digest_update);
		resolve(handle, path, "gotls_digest_final", (void **) &lib.digest_final);
		resolve(handle, path, "gotls_cipher_sizes", (void **) &lib.cipher_sizes);
		resolve(handle, path, "gotls_cipher_new", (void **) &lib.cipher_new);
		resolve(handle, path, "gotls_cipher_crypt", (void **) &lib.cipher_crypt);
		resolve(handle, path, "gotls_crypto_free", (void **) &lib.crypto_free);
		resolve(handle, path, "gotls_mod_exp", (void **) &lib.mod_exp);
		resolve(handle, path, "gotls_rsa_decrypt", (void **) &lib.rsa_decrypt);
		resolve(handle, path, "gotls_elgamal_encrypt", (void **) &lib.elgamal_encrypt);
		resolve(handle, path, "gotls_elgamal_decrypt", (void **) &lib.elgamal_decrypt);
		resolve(handle, path, "gotls_fips_mode", (void **) &lib.fips_mode);
		/* The first call waits for the runtime to finish starting. */
		lib.fips_mode(problem, sizeof(problem));
	}
	PG_FINALLY();
	{
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
	}
	PG_END_TRY();

	/* Never run in a weaker FIPS 140-3 mode than the environment asks. */
	if (problem[0] != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgcrypto cannot run in the FIPS 140-3 mode asked for"),
				 errdetail("%s.", problem)));

	go_crypto = lib;
	go_crypto_loaded = true;
	return &go_crypto;
}

/*
 * Digests and ciphers live in Go, named by a handle; a resource owner frees
 * them if the transaction aborts before pgcrypto does.
 */
typedef struct GoObject
{
	gotls_crypto handle;		/* 0 until made */
	ResourceOwner owner;
	Size		size;			/* of the struct that starts with this one */
} GoObject;

static void release_go_object(Datum res);

static const ResourceOwnerDesc go_object_resowner_desc =
{
	.name = "pgcrypto Go digest or cipher",
	.release_phase = RESOURCE_RELEASE_BEFORE_LOCKS,
	.release_priority = RELEASE_PRIO_FIRST,
	.ReleaseResource = release_go_object,
	.DebugPrint = NULL,
};

/*
 * Allocates a struct that starts with a GoObject in TopMemoryContext, so
 * that the resource owner can free it after the current context is gone,
 * and registers it.
 */
static void *
new_go_object(Size size)
{
	GoObject   *obj;

	ResourceOwnerEnlarge(CurrentResourceOwner);
	obj = MemoryContextAllocZero(TopMemoryContext, size);
	obj->size = size;
	obj->owner = CurrentResourceOwner;
	ResourceOwnerRemember(obj->owner, PointerGetDatum(obj), &go_object_resowner_desc);
	return obj;
}

/* Frees obj and its Go side; it may hold a key, so it is wiped. */
static void
free_go_object(GoObject *obj)
{
	if (obj->handle != 0)
		pgcrypto_go()->crypto_free(obj->handle);
	if (obj->owner != NULL)
		ResourceOwnerForget(obj->owner, PointerGetDatum(obj), &go_object_resowner_desc);
	px_memset(obj, 0, obj->size);
	pfree(obj);
}

/* The owner is being released before pgcrypto freed obj. */
static void
release_go_object(Datum res)
{
	GoObject   *obj = (GoObject *) DatumGetPointer(res);

	obj->owner = NULL;
	free_go_object(obj);
}

/* FIPS 140-3 mode with enforcement refused the algorithm: say so plainly. */
static void
report_not_approved(const char *what, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s \"%s\" is not approved in FIPS 140-3 mode", what, name),
			 errdetail("Go's cryptography runs in FIPS 140-3 mode with approved algorithms only (fips140=only).")));
}

/*
 * Digests.  Updates are gathered here and passed to Go a buffer at a time,
 * and a message that fits the buffer is hashed in one call into Go,
 * without a Go digest: callers feed some digests a few bytes per call
 * (pgp-s2k.c hashes the salt and the password in turn, up to 65 MB of
 * them), digest() makes one digest per row, and each call into Go costs
 * more than hashing a short message.
 */

#define DIGEST_BUFFER 1024

typedef struct GoDigest
{
	GoObject	obj;			/* first: the resource owner frees it; its
								 * handle is 0 until the buffer overflows */
	char		name[NAMEDATALEN];
	size_t		result_size;
	size_t		block_size;
	size_t		buffered;
	uint8		buffer[DIGEST_BUFFER];
} GoDigest;

/*
 * Digest sizes by name, so that finding a digest does not call into Go each
 * time: a few names at most are in use in a session.
 */
typedef struct DigestSizes
{
	char		name[NAMEDATALEN];
	int			status;
	size_t		result_size;
	size_t		block_size;
} DigestSizes;

static DigestSizes digest_sizes[8];
static int	digest_sizes_next = 0;

static const DigestSizes *
lookup_digest(const char *name)
{
	DigestSizes *d;
	int			i;

	for (i = 0; i < lengthof(digest_sizes); i++)
		if (digest_sizes[i].name[0] != '\0' && strcmp(digest_sizes[i].name, name) == 0)
			return &digest_sizes[i];

	d = &digest_sizes[digest_sizes_next];
	digest_sizes_next = (digest_sizes_next + 1) % lengthof(digest_sizes);
	d->status = pgcrypto_go()->digest_sizes(name, &d->result_size, &d->block_size);
	strlcpy(d->name, name, sizeof(d->name));
	return d;
}

/* Passes the buffer to Go, starting a Go digest if there is none yet. */
static void
digest_flush(GoDigest *digest)
{
	const GoCrypto *go = pgcrypto_go();

	if (digest->obj.handle == 0 &&
		go->digest_new(digest->name, &digest->obj.handle) != GOTLS_CRYPTO_OK)
		elog(ERROR, "pgcrypto could not start digest \"%s\"", digest->name);
	go->digest_update(digest->obj.handle, digest->buffer, digest->buffered);
	digest->buffered = 0;
}

static unsigned
digest_result_size(PX_MD *h)
{
	return ((GoDigest *) h->p.ptr)->result_size;
}

static unsigned
digest_block_size(PX_MD *h)
{
	return ((GoDigest *) h->p.ptr)->block_size;
}

static void
digest_reset(PX_MD *h)
{
	GoDigest   *digest = h->p.ptr;

	if (digest->obj.handle != 0)
		pgcrypto_go()->crypto_free(digest->obj.handle);
	digest->obj.handle = 0;
	digest->buffered = 0;
}

static void
digest_update(PX_MD *h, const uint8 *data, unsigned dlen)
{
	GoDigest   *digest = h->p.ptr;
	unsigned	n;

	/* Top up the buffer; pass it on when full. */
	n = Min(dlen, DIGEST_BUFFER - digest->buffered);
	memcpy(digest->buffer + digest->buffered, data, n);
	digest->buffered += n;
	data += n;
	dlen -= n;
	if (dlen == 0)
		return;
	digest_flush(digest);

	/* What would fill the buffer again goes to Go as it is. */
	if (dlen >= DIGEST_BUFFER)
	{
		pgcrypto_go()->digest_update(digest->obj.handle, data, dlen);
		return;
	}
	memcpy(digest->buffer, data, dlen);
	digest->buffered = dlen;
}

static void
digest_finish(PX_MD *h, uint8 *dst)
{
	GoDigest   *digest = h->p.ptr;

	pgcrypto_go()->digest_final(digest->obj.handle, digest->name,
								digest->buffer, digest->buffered, dst);
	px_memset(digest->buffer, 0, digest->buffered);
	digest->buffered = 0;
}

static void
digest_free(PX_MD *h)
{
	free_go_object(h->p.ptr);
	pfree(h);
}

int
px_find_digest(const char *name, PX_MD **res)
{
	const DigestSizes *sizes;
	GoDigest   *digest;
	PX_MD	   *h;

	if (strlen(name) >= NAMEDATALEN)
		return PXE_NO_HASH;
	sizes = lookup_digest(name);
	if (sizes->status == GOTLS_CRYPTO_UNKNOWN)
		return PXE_NO_HASH;
	if (sizes->status == GOTLS_CRYPTO_NOT_APPROVED)
		report_not_approved("digest", name);
	if (sizes->status != GOTLS_CRYPTO_OK)
		return PXE_CIPHER_INIT;

	digest = new_go_object(sizeof(*digest));
	strlcpy(digest->name, name, sizeof(digest->name));
	digest->result_size = sizes->result_size;
	digest->block_size = sizes->block_size;

	h = palloc(sizeof(*h));
	h->result_size = digest_result_size;
	h->block_size = digest_block_size;
	h->reset = digest_reset;
	h->update = digest_update;
	h->finish = digest_finish;
	h->free = digest_free;
	h->p.ptr = digest;
	*res = h;
	return 0;
}

/*
 * Ciphers.  pgcrypto gives the key and IV first and the direction and
 * padding with the first block of data, so the Go cipher is made then, as
 * openssl.c initialises its EVP context.
 */

typedef struct GoCipher
{
	GoObject	obj;			/* first: the resource owner frees it */
	const char *name;			/* resolved, from the alias table or static */
	size_t		block_size;
	size_t		max_key;
	uint8		key[MAX_KEY];
	unsigned	klen;
	uint8		iv[MAX_IV];
} GoCipher;

static const PX_Alias go_cipher_aliases[] = {
	{"bf", "bf-cbc"},
	{"blowfish", "bf-cbc"},
	{"blowfish-cbc", "bf-cbc"},
	{"blowfish-ecb", "bf-ecb"},
	{"blowfish-cfb", "bf-cfb"},
	{"des", "des-cbc"},
	{"3des", "des3-cbc"},
	{"3des-ecb", "des3-ecb"},
	{"3des-cbc", "des3-cbc"},
	{"cast5", "cast5-cbc"},
	{"aes", "aes-cbc"},
	{"rijndael", "aes-cbc"},
	{"rijndael-cbc", "aes-cbc"},
	{"rijndael-ecb", "aes-ecb"},
	{"rijndael-cfb", "aes-cfb"},
	{NULL}
};

/* The names gotls_cipher_sizes knows, so that GoCipher can point to them. */
static const char *const go_cipher_names[] = {
	"bf-ecb", "bf-cbc", "bf-cfb", "des-ecb", "des-cbc", "des3-ecb",
	"des3-cbc", "cast5-ecb", "cast5-cbc", "aes-ecb", "aes-cbc", "aes-cfb",
	NULL
};

static unsigned
cipher_block_size(PX_Cipher *c)
{
	return ((GoCipher *) c->ptr)->block_size;
}

static unsigned
cipher_key_size(PX_Cipher *c)
{
	return ((GoCipher *) c->ptr)->max_key;
}

static unsigned
cipher_iv_size(PX_Cipher *c)
{
	return ((GoCipher *) c->ptr)->block_size;
}

static int
cipher_init(PX_Cipher *c, const uint8 *key, unsigned klen, const uint8 *iv)
{
	GoCipher   *cipher = c->ptr;

	if (klen > MAX_KEY)
		return PXE_KEY_TOO_BIG;
	memcpy(cipher->key, key, klen);
	cipher->klen = klen;
	if (iv)
		memcpy(cipher->iv, iv, cipher->block_size);
	else
		memset(cipher->iv, 0, cipher->block_size);
	return 0;
}

static int
cipher_run(PX_Cipher *c, bool decrypt, int padding, const uint8 *data,
		   unsigned dlen, uint8 *res, unsigned *rlen)
{
	const GoCrypto *go = pgcrypto_go();
	GoCipher   *cipher = c->ptr;
	size_t		written = 0;
	int			status;

	if (cipher->obj.handle == 0)
	{
		status = go->cipher_new(cipher->name, decrypt, padding,
								cipher->key, cipher->klen, cipher->iv,
								&cipher->obj.handle);
		if (status == GOTLS_CRYPTO_NOT_APPROVED)
			report_not_approved("cipher", cipher->name);
		if (status == GOTLS_CRYPTO_KEY_TOO_BIG)
			return PXE_KEY_TOO_BIG;
		if (status != GOTLS_CRYPTO_OK)
			return PXE_CIPHER_INIT;
	}

	status = go->cipher_crypt(cipher->obj.handle, data, dlen, res, &written);
	*rlen = written;
	switch (status)
	{
		case GOTLS_CRYPTO_OK:
			return 0;
		case GOTLS_CRYPTO_DECRYPT:
			return PXE_DECRYPT_FAILED;
		case GOTLS_CRYPTO_ENCRYPT:
			return PXE_ENCRYPT_FAILED;
		default:
			return decrypt ? PXE_DECRYPT_FAILED : PXE_ENCRYPT_FAILED;
	}
}

static int
cipher_encrypt(PX_Cipher *c, int padding, const uint8 *data, unsigned dlen,
			   uint8 *res, unsigned *rlen)
{
	return cipher_run(c, false, padding, data, dlen, res, rlen);
}

static int
cipher_decrypt(PX_Cipher *c, int padding, const uint8 *data, unsigned dlen,
			   uint8 *res, unsigned *rlen)
{
	return cipher_run(c, true, padding, data, dlen, res, rlen);
}

static void
cipher_free(PX_Cipher *c)
{
	free_go_object(c->ptr);
	pfree(c);
}

int
px_find_cipher(const char *name, PX_Cipher **res)
{
	const GoCrypto *go = pgcrypto_go();
	const char *const *known;
	GoCipher   *cipher;
	size_t		block_size,
				max_key;
	PX_Cipher  *c;

	name = px_resolve_alias(go_cipher_aliases, name);
	for (known = go_cipher_names; *known; known++)
		if (strcmp(*known, name) == 0)
			break;
	if (*known == NULL ||
		go->cipher_sizes(*known, &block_size, &max_key) != GOTLS_CRYPTO_OK ||
		block_size > MAX_IV || max_key > MAX_KEY)
		return PXE_NO_CIPHER;

	cipher = new_go_object(sizeof(*cipher));
	cipher->name = *known;
	cipher->block_size = block_size;
	cipher->max_key = max_key;

	c = palloc(sizeof(*c));
	c->block_size = cipher_block_size;
	c->key_size = cipher_key_size;
	c->iv_size = cipher_iv_size;
	c->init = cipher_init;
	c->encrypt = cipher_encrypt;
	c->decrypt = cipher_decrypt;
	c->free = cipher_free;
	c->ptr = cipher;
	*res = c;
	return 0;
}

/* FIPS 140-3 mode: Go's (GODEBUG=fips140=on or only). */
bool
CheckFIPSMode(void)
{
	char		problem[1024];

	return pgcrypto_go()->fips_mode(problem, sizeof(problem)) != 0;
}

void
CheckBuiltinCryptoMode(void)
{
	if (builtin_crypto_enabled == BC_ON)
		return;
	if (builtin_crypto_enabled == BC_OFF)
		ereport(ERROR,
				errmsg("use of built-in crypto functions is disabled"));
	Assert(builtin_crypto_enabled == BC_FIPS);
	if (CheckFIPSMode())
		ereport(ERROR,
				errmsg("use of non-FIPS validated crypto not allowed when Go's cryptography is in FIPS 140-3 mode"));
}
