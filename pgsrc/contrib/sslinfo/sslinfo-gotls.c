/*-------------------------------------------------------------------------
 *
 * sslinfo-gotls.c
 *	  sslinfo's certificate functions for Go's crypto/tls (pg-gotls)
 *
 * sslinfo.c reads the client certificate with OpenSSL's X509 API in three
 * functions; with --with-ssl=go they are these, which ask the backend's TLS
 * layer (be-secure-gotls.c), and through it the TLS process pg_tlsd, for
 * the same answers: field values escaped as OpenSSL prints them, extension
 * values in OpenSSL's wording.  The other sslinfo functions use only the generic
 * be_tls_* interface and are shared.
 *
 * Copyright (c) 2026, pg-gotls contributors
 * Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).
 *
 * IDENTIFICATION
 *	  contrib/sslinfo/sslinfo-gotls.c
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "utils/builtins.h"

/* A field of the subject (issuer = false) or issuer, or NULL. */
static Datum
name_field(FunctionCallInfo fcinfo, bool issuer)
{
	char	   *field = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *value = be_gotls_client_name_field(MyProcPort, issuer, field);
	text	   *result;

	pfree(field);
	if (value == NULL)
		PG_RETURN_NULL();
	/* value is ours, in this context, as sslinfo.c's converted string is */
	result = cstring_to_text(value);
	pfree(value);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(ssl_client_dn_field);
Datum
ssl_client_dn_field(PG_FUNCTION_ARGS)
{
	if (!MyProcPort->ssl_in_use || !MyProcPort->peer_cert_valid)
		PG_RETURN_NULL();
	return name_field(fcinfo, false);
}

PG_FUNCTION_INFO_V1(ssl_issuer_field);
Datum
ssl_issuer_field(PG_FUNCTION_ARGS)
{
	if (!MyProcPort->peer)
		PG_RETURN_NULL();
	return name_field(fcinfo, true);
}

/* ssl_extension_info(): one row (name, value, critical) per extension. */
PG_FUNCTION_INFO_V1(ssl_extension_info);
Datum
ssl_extension_info(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	char	   *name;
	char	   *value;
	bool		critical;

	if (SRF_IS_FIRSTCALL())
	{
		TupleDesc	tupdesc;
		MemoryContext oldcontext;

		funcctx = SRF_FIRSTCALL_INIT();
		oldcontext = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("function returning record called in context that cannot accept type record")));
		funcctx->tuple_desc = BlessTupleDesc(tupdesc);
		MemoryContextSwitchTo(oldcontext);
	}
	funcctx = SRF_PERCALL_SETUP();

	if (be_gotls_client_extension(MyProcPort, (int) funcctx->call_cntr,
								  &name, &value, &critical))
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(name);
		values[1] = CStringGetTextDatum(value);
		values[2] = BoolGetDatum(critical);
		pfree(name);
		pfree(value);
		SRF_RETURN_NEXT(funcctx,
						HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}
