package main

/*
#include <stdlib.h>
#include "../libpq_tls.h"
*/
import "C"

import (
	"errors"
	"runtime/cgo"
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

//export gotls_server_config_import
func gotls_server_config_import(snapshot *C.gotls_cvoid, n C.size_t, msg *C.struct_gotls_message) C.gotls_server_config {
	setMessage(msg, nil)
	if snapshot == nil {
		setMessage(msg, &pgtls.Error{Message: "no SSL configuration to import"})
		return 0
	}
	cfg, err := pgtls.ImportServerConfig(C.GoBytes(unsafe.Pointer(snapshot), C.int(n)))
	if err != nil {
		setMessage(msg, asError(err))
		return 0
	}
	return C.gotls_server_config(cgo.NewHandle(cfg))
}

//export gotls_server_config_free
func gotls_server_config_free(h C.gotls_server_config) {
	if lookupConfig(h) != nil {
		cgo.Handle(h).Delete()
	}
}

//export gotls_server_new
func gotls_server_new(h C.gotls_server_config, readFn C.gotls_read_fn, writeFn C.gotls_write_fn,
	ioCtx unsafe.Pointer, errbuf *C.char, errlen C.size_t) C.gotls_session {
	cfg := lookupConfig(h)
	if cfg == nil || readFn == nil || writeFn == nil {
		copyOut("invalid arguments to gotls_server_new", errbuf, errlen)
		return 0
	}
	t := &callbackTransport{read: readFn, write: writeFn, ctx: ioCtx}
	s, err := pgtls.NewServer(cfg, t)
	if err != nil {
		copyOut(err.Error(), errbuf, errlen)
		return 0
	}
	return newHandle(&session{s: s, transport: t})
}

//export gotls_last_error_message
func gotls_last_error_message(h C.gotls_session, msg *C.struct_gotls_message) C.int {
	setMessage(msg, nil)
	s := lookup(h)
	if s == nil {
		setMessage(msg, &pgtls.Error{Message: "invalid TLS session handle"})
		return C.GOTLS_ERR_CONFIG
	}
	e := s.s.Err()
	if e == nil {
		return C.GOTLS_ERR_NONE
	}
	setMessage(msg, e)
	return errorKind(e, nil)
}

//export gotls_client_certificate
func gotls_client_certificate(h C.gotls_session, field *C.gotls_cchar, buf *C.char, n C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil {
		return -1
	}
	cc := s.s.ClientCertificate()
	if cc == nil {
		return -1
	}
	var v string
	switch goString(field) {
	case "cn":
		if !cc.HasCN {
			return -1
		}
		v = cc.CN
	case "dn":
		v = cc.DN
	case "subject":
		v = cc.SubjectName
	case "issuer":
		v = cc.IssuerName
	case "serial":
		v = cc.Serial
	default:
		return -1
	}
	return C.ssize_t(copyOut(v, buf, n))
}

//export gotls_server_certificate_hash
func gotls_server_certificate_hash(h C.gotls_session, buf *C.char, n C.size_t, errbuf *C.char, errlen C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil {
		copyOut("invalid TLS session handle", errbuf, errlen)
		return -1
	}
	sum, err := s.s.ServerCertificateHash()
	return copyHash(sum, err, buf, n, errbuf, errlen)
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
