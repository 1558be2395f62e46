package main

/*
#include <stdlib.h>
#include "../libpq_tls.h"
*/
import "C"

import (
	"errors"
	"strings"
	"unsafe"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

//export gotls_server_config_load
func gotls_server_config_load(opts *C.gotls_server_options_c, snapshot *unsafe.Pointer, snapshotLen *C.size_t,
	warnings *C.char, warningsLen C.size_t, msg *C.struct_gotls_message) C.int {
	setMessage(msg, nil)
	copyOut("", warnings, warningsLen)
	if opts == nil || snapshot == nil || snapshotLen == nil {
		setMessage(msg, &pgtls.Error{Message: "invalid arguments to gotls_server_config_load"})
		return C.GOTLS_ERROR
	}
	cfg, err := pgtls.NewServerConfig(serverOptions(opts))
	if err != nil {
		if errors.Is(err, pgtls.ErrPassphraseRequired) {
			return C.GOTLS_NEED_PASSPHRASE
		}
		setMessage(msg, asError(err))
		return C.GOTLS_ERROR
	}
	data, err := cfg.Export()
	if err != nil {
		setMessage(msg, asError(err))
		return C.GOTLS_ERROR
	}
	copyOut(strings.Join(cfg.Warnings(), "\n"), warnings, warningsLen)
	*snapshot = C.CBytes(data)
	*snapshotLen = C.size_t(len(data))
	return C.GOTLS_OK
}

func serverOptions(o *C.gotls_server_options_c) pgtls.ServerOptions {
	return pgtls.ServerOptions{
		CertFile:            goString(o.cert_file),
		KeyFile:             goString(o.key_file),
		CAFile:              goString(o.ca_file),
		CRLFile:             goString(o.crl_file),
		CRLDir:              goString(o.crl_dir),
		Passphrase:          goString(o.passphrase),
		MinProtocol:         goString(o.min_protocol),
		MaxProtocol:         goString(o.max_protocol),
		Ciphers:             goString(o.ciphers),
		TLS13Ciphers:        goString(o.tls13_ciphers),
		Groups:              goString(o.groups),
		PreferServerCiphers: o.prefer_server_ciphers != 0,
	}
}

// setMessage fills a gotls_message from e (nil: empties it).
func setMessage(msg *C.struct_gotls_message, e *pgtls.Error) {
	if msg == nil {
		return
	}
	if e == nil {
		e = &pgtls.Error{}
	}
	copyOut(e.Message, &msg.message[0], C.size_t(len(msg.message)))
	copyOut(e.Detail, &msg.detail[0], C.size_t(len(msg.detail)))
	copyOut(e.Hint, &msg.hint[0], C.size_t(len(msg.hint)))
}

func asError(err error) *pgtls.Error {
	if e, ok := errors.AsType[*pgtls.Error](err); ok {
		return e
	}
	return &pgtls.Error{Kind: pgtls.KindConfig, Message: err.Error()}
}
