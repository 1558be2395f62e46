package main

/*
#include "../libpq_tls.h"
*/
import "C"

import (
	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

// What contrib/sslinfo asks of the client's certificate.

//export gotls_client_name_field
func gotls_client_name_field(h C.gotls_session, issuer C.int, field *C.gotls_cchar, buf *C.char, n C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil {
		return -1
	}
	cc := s.s.ClientCertificate()
	if cc == nil {
		return -1
	}
	name := cc.Certificate.RawSubject
	if issuer != 0 {
		name = cc.Certificate.RawIssuer
	}
	v, ok, err := pgtls.NameField(name, goString(field))
	if err != nil {
		copyOut(err.Error(), buf, n)
		return -2
	}
	if !ok {
		return -1
	}
	return C.ssize_t(copyOut(v, buf, n))
}

//export gotls_client_extension
func gotls_client_extension(h C.gotls_session, index C.int, name *C.char, nameLen C.size_t,
	critical *C.int, buf *C.char, n C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil || index < 0 {
		return -1
	}
	cc := s.s.ClientCertificate()
	if cc == nil {
		return -1
	}
	// Extensions returns the rows before a failure, and the failure.
	exts, err := pgtls.Extensions(cc.Certificate)
	if int(index) >= len(exts) {
		if err != nil && int(index) == len(exts) {
			copyOut(err.Error(), buf, n)
			return -2
		}
		return -1
	}
	e := exts[index]
	copyOut(e.Name, name, nameLen)
	if critical != nil {
		*critical = 0
		if e.Critical {
			*critical = 1
		}
	}
	return C.ssize_t(copyOut(e.Value, buf, n))
}
